"""Compact JWS with Ed25519: the RFC 8037 vector, round trips, and every refusal."""

from __future__ import annotations

import base64

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing import (
    BadSignature,
    KeySet,
    Malformed,
    Oversized,
    Signer,
    UnknownKey,
    UnsupportedHeader,
    VerificationError,
    WrongAlgorithm,
    WrongType,
    jws,
)
from registry.signing._b64 import b64url_decode, b64url_encode

RFC_8032_TEST_1_D = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
# RFC 8037 appendix A.4: {"alg":"EdDSA"} over the payload "Example of Ed25519 signing"
RFC_8037_A4 = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)
TYP = "example+jwt"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def signed(header: dict | bytes, payload: dict | bytes | list, signer: Signer) -> str:
    """A compact JWS with exactly this header and payload, validly signed."""
    head = header if isinstance(header, bytes) else orjson.dumps(header)
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    signing_input = f"{b64url_encode(head)}.{b64url_encode(body)}"
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode()))}"


def header_of(signer: Signer, **changes: object) -> dict:
    return {"alg": "EdDSA", "kid": signer.kid, "typ": TYP} | changes


def test_the_rfc_8037_a4_example_signs_and_verifies_exactly() -> None:
    rfc_key = Signer(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC_8032_TEST_1_D)))
    signing_input, _, signature = RFC_8037_A4.rpartition(".")
    assert signing_input.split(".")[1] == b64url_encode(b"Example of Ed25519 signing")
    assert b64url_encode(rfc_key.sign(signing_input.encode())) == signature
    parsed = jws.parse(RFC_8037_A4)
    assert dict(parsed.header) == {"alg": "EdDSA"}
    assert parsed.payload == b"Example of Ed25519 signing"
    jws.check_signature(parsed, rfc_key.public_key.ed25519())


def test_a_signed_token_has_exactly_the_registry_header_and_round_trips(signer: Signer) -> None:
    claims = {"sub": "UT-CIT-1", "n": 1, "nested": {"a": [1, 2]}}
    token = jws.sign(claims, signer, TYP)
    head = b64url_decode(token.split(".")[0])
    assert head == b'{"alg":"EdDSA","kid":"%s","typ":"%s"}' % (signer.kid.encode(), TYP.encode())
    header, got = jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)
    assert got == claims
    assert header == {"alg": "EdDSA", "kid": signer.kid, "typ": TYP}


def test_the_rfc_9864_alg_name_ed25519_is_accepted_on_input(signer: Signer) -> None:
    token = signed(header_of(signer, alg="Ed25519"), {"a": 1}, signer)
    assert jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)[1] == {"a": 1}


SAME_TYP = ["EXAMPLE+JWT", "application/example+jwt", "Application/Example+JWT"]


@pytest.mark.parametrize("typ", SAME_TYP)
def test_typ_is_compared_as_a_media_type(signer: Signer, typ: str) -> None:
    token = signed(header_of(signer, typ=typ), {"a": 1}, signer)
    jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)


def test_verified_headers_cannot_be_changed_through_the_cache(signer: Signer) -> None:
    token = jws.sign({"a": 1}, signer, TYP)
    header, _ = jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)
    header["kid"] = "changed"
    with pytest.raises(TypeError):
        jws.parse(token).header["kid"] = "changed"  # type: ignore[index]
    assert jws.parse(token).header["kid"] == signer.kid


def test_duplicate_member_names_keep_the_last_one_as_rfc_7519_section_4_allows(
    signer: Signer,
) -> None:
    token = signed(header_of(signer), b'{"exp":1,"sub":"a","exp":2}', signer)
    assert jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)[1] == {
        "exp": 2,
        "sub": "a",
    }


def test_claims_must_be_a_dict_to_be_signed(signer: Signer) -> None:
    with pytest.raises(TypeError):
        jws.sign([1, 2], signer, TYP)  # type: ignore[arg-type]


def flip_last_bit(part: str) -> str:
    raw = bytearray(b64url_decode(part))
    raw[-1] ^= 1
    return b64url_encode(bytes(raw))


def case(signer: Signer, other: Signer, name: str) -> str:
    """A token that must be refused, built for the case `name`."""
    good = jws.sign({"a": 1}, signer, TYP)
    head, body, sig = good.split(".")
    builders = {
        "two parts": lambda: f"{head}.{body}",
        "four parts": lambda: f"{good}.{sig}",
        "empty": lambda: "",
        "padding": lambda: f"{good}==",
        "standard base64 character": lambda: f"{head}.{body}.+{sig[1:]}",
        "non-alphabet character": lambda: f"{head}.{body[:-1]}*.{sig}",
        "non-ascii": lambda: f"{head}.{body}.{sig[:-1]}é",
        "impossible length": lambda: f"{head}.{body}.{sig}AAA",
        "non-canonical last character": lambda: f"{head}.{body}.{sig[:-1]}{chr(ord(sig[-1]) ^ 1)}",
        "oversized": lambda: jws.sign({"a": "x" * 9000}, signer, TYP),
        "header array": lambda: signed(b"[]", {"a": 1}, signer),
        "header not json": lambda: signed(b"{alg:EdDSA}", {"a": 1}, signer),
        "payload array": lambda: signed(header_of(signer), [1, 2], signer),
        "payload string": lambda: signed(header_of(signer), b'"a"', signer),
        "payload not json": lambda: signed(header_of(signer), b"\xff\xfe", signer),
        "alg none": lambda: signed(header_of(signer, alg="none"), {"a": 1}, signer),
        "alg missing": lambda: signed({"kid": signer.kid, "typ": TYP}, {"a": 1}, signer),
        "alg HS256": lambda: signed(header_of(signer, alg="HS256"), {"a": 1}, signer),
        "alg RS256": lambda: signed(header_of(signer, alg="RS256"), {"a": 1}, signer),
        "alg Ed448": lambda: signed(header_of(signer, alg="Ed448"), {"a": 1}, signer),
        "crit": lambda: signed(header_of(signer, crit=["exp"]), {"a": 1}, signer),
        "typ missing": lambda: signed({"alg": "EdDSA", "kid": signer.kid}, {"a": 1}, signer),
        "typ wrong": lambda: signed(header_of(signer, typ="JWT"), {"a": 1}, signer),
        "kid missing": lambda: signed({"alg": "EdDSA", "typ": TYP}, {"a": 1}, signer),
        "kid not a string": lambda: signed(header_of(signer, kid=7), {"a": 1}, signer),
        "kid unknown": lambda: jws.sign({"a": 1}, other, TYP),
        "signature bit flipped": lambda: f"{head}.{body}.{flip_last_bit(sig)}",
        "payload from another token": lambda: f"{head}.{b64url_encode(b'{}')}.{sig}",
        "other key under our kid": lambda: signed(header_of(signer), {"a": 1}, other),
        "signature empty": lambda: f"{head}.{body}.",
    }
    return builders[name]()


REFUSALS = {
    "two parts": Malformed,
    "four parts": Malformed,
    "empty": Malformed,
    "padding": Malformed,
    "standard base64 character": Malformed,
    "non-alphabet character": Malformed,
    "non-ascii": Malformed,
    "impossible length": Malformed,
    "non-canonical last character": Malformed,
    "oversized": Oversized,
    "header array": Malformed,
    "header not json": Malformed,
    "payload array": Malformed,
    "payload string": Malformed,
    "payload not json": Malformed,
    "alg none": WrongAlgorithm,
    "alg missing": WrongAlgorithm,
    "alg HS256": WrongAlgorithm,
    "alg RS256": WrongAlgorithm,
    "alg Ed448": WrongAlgorithm,
    "crit": UnsupportedHeader,
    "typ missing": WrongType,
    "typ wrong": WrongType,
    "kid missing": UnknownKey,
    "kid not a string": UnknownKey,
    "kid unknown": UnknownKey,
    "signature bit flipped": BadSignature,
    "payload from another token": BadSignature,
    "other key under our kid": BadSignature,
    "signature empty": BadSignature,
}


@pytest.mark.parametrize(("name", "error"), REFUSALS.items())
def test_jws_verify_fails_closed_with_the_error_that_says_why(
    signer: Signer, name: str, error: type[VerificationError]
) -> None:
    token = case(signer, Signer.generate(), name)
    with pytest.raises(error) as refused:
        jws.verify(token, {signer.kid: signer.public_key.ed25519()}, typ=TYP)
    assert refused.value.code == error.code
    assert refused.value.message


def test_a_custom_length_limit_is_kept(signer: Signer) -> None:
    token = jws.sign({"a": "x" * 100}, signer, TYP)
    keys = KeySet({"keys": [signer.public_key.jwk()]}).public_keys()
    with pytest.raises(Oversized, match=f"at most {len(token) - 1}"):
        jws.verify(token, keys, typ=TYP, max_length=len(token) - 1)
    jws.verify(token, keys, typ=TYP, max_length=len(token))


def test_strict_base64url_round_trips_every_length_and_refuses_the_rest() -> None:
    for n in range(70):
        data = bytes(range(n))
        assert b64url_decode(b64url_encode(data)) == data
        assert b64url_encode(data) == base64.urlsafe_b64encode(data).decode().rstrip("=")
    for bad in ["AA==", "A", "AB", "AAB", "A+AA", "A/AA", "A AA", "AA\n", "A=AA", "é"]:
        with pytest.raises(ValueError):
            b64url_decode(bad)

"""verify_token: a forgery corpus, each refused for the right reason, and every reason told."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.errors import InvalidInput
from registry.signing import (
    STATUS_LIST_TYP,
    TOKEN_TYP,
    KeySet,
    ReasonCode,
    Signer,
    StatusReference,
    VerificationResult,
    certificate_claims,
    jws,
    sign_status_list,
    sign_token,
    verify_token,
)
from registry.signing._b64 import b64url_decode, b64url_encode

R = ReasonCode
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
ISSUER = "https://cit-registry.utah.gov"
URI = f"{ISSUER}/status/1"
VALID, REVOKED, SUSPENDED = 0, 1, 2


@dataclass
class Registry:
    """One registry: a token key, a second key, and statuses 0 valid, 1 revoked, 2 suspended."""

    signer: Signer = field(default_factory=Signer.generate)
    second: Signer = field(default_factory=Signer.generate)
    statuses: list[int] = field(default_factory=lambda: [VALID, REVOKED, SUSPENDED] * 10)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signer.public_key.jwk(), self.second.public_key.jwk()]}

    def status_list(self, signer: Signer | None = None, **changes: Any) -> str:
        fields = {
            "iss": ISSUER,
            "sub": URI,
            "iat": NOW - timedelta(minutes=5),
            "ttl": 3600,
            "exp": NOW + timedelta(days=1),
        }
        return sign_status_list(self.statuses, signer=signer or self.signer, **fields | changes)

    def claims(self, **changes: Any) -> dict[str, Any]:
        claims = certificate_claims(
            iss=ISSUER,
            number="UT-CIT-34A3XJM9",
            credential="cit_officer",
            name="Jordan Rivera",
            agency="SLCPD",
            issued_on=date(2025, 9, 15),
            expires_on=date(2027, 9, 15),
            cert_status="in_force",
            iat=NOW - timedelta(days=1),
            exp=NOW + timedelta(days=30),
            jti="0f6e3d1c9b8a4e2f8d7c6b5a49382716",
            idx=0,
            uri=URI,
        )
        return claims | changes

    def token(self, signer: Signer | None = None, **changes: Any) -> str:
        return sign_token(self.claims(**changes), signer or self.signer)

    def at(self, idx: int, **changes: Any) -> str:
        return self.token(status={"status_list": {"idx": idx, "uri": URI}}, **changes)

    def verify(self, token: str, **options: Any) -> VerificationResult:
        arguments = {"jwks": self.jwks(), "status_list": self.status_list(), "now": NOW}
        return verify_token(token, **arguments | options)


@pytest.fixture
def registry() -> Registry:
    return Registry()


def seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def raw_jws(header: dict[str, Any] | bytes, payload: Any, signer: Signer | None) -> str:
    """A compact JWS with exactly this header and payload, signed by `signer` (or unsigned)."""
    head = header if isinstance(header, bytes) else orjson.dumps(header)
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    signing_input = f"{b64url_encode(head)}.{b64url_encode(body)}"
    signature = signer.sign(signing_input.encode()) if signer else b""
    return f"{signing_input}.{b64url_encode(signature)}"


def header(reg: Registry, **changes: Any) -> dict[str, Any]:
    return {"alg": "EdDSA", "kid": reg.signer.kid, "typ": TOKEN_TYP} | changes


def hs256(reg: Registry, secret: bytes) -> str:
    signing_input = raw_jws(header(reg, alg="HS256"), reg.claims(), None)[:-1]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}"


def change_payload_byte(token: str) -> str:
    head, body, sig = token.split(".")
    payload = b64url_decode(body).replace(b"Jordan", b"Jordam")
    return f"{head}.{b64url_encode(payload)}.{sig}"


def change_header_byte(token: str) -> str:
    head, body, sig = token.split(".")
    changed = b64url_decode(head).replace(b'"cit-', b'"Cit-')  # a typ still accepted
    return f"{b64url_encode(changed)}.{body}.{sig}"


def flip_signature_bit(token: str) -> str:
    head, body, sig = token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[0] ^= 0x01
    return f"{head}.{body}.{b64url_encode(bytes(raw))}"


def duplicate_exp(reg: Registry, first: int, last: int) -> str:
    claims = reg.claims(exp=last)
    payload = b'{"exp":%d,' % first + orjson.dumps(claims)[1:]
    return raw_jws(header(reg), payload, reg.signer)


Case = Callable[[Registry], tuple[str, dict[str, Any]]]
TOKEN_ONLY: dict[str, tuple[Callable[[Registry], str], list[ReasonCode]]] = {
    "alg none without a signature": (
        lambda r: raw_jws(header(r, alg="none"), r.claims(), None),
        [R.WRONG_ALGORITHM],
    ),
    "alg none with a valid signature": (
        lambda r: raw_jws(header(r, alg="none"), r.claims(), r.signer),
        [R.WRONG_ALGORITHM],
    ),
    "HS256 keyed with the public key bytes": (
        lambda r: hs256(r, b64url_decode(r.signer.public_key.x)),
        [R.WRONG_ALGORITHM],
    ),
    "HS256 keyed with the public key's x": (
        lambda r: hs256(r, r.signer.public_key.x.encode()),
        [R.WRONG_ALGORITHM],
    ),
    "HS256 keyed with the public JWK": (
        lambda r: hs256(r, orjson.dumps(r.signer.public_key.jwk())),
        [R.WRONG_ALGORITHM],
    ),
    "RS256": (lambda r: raw_jws(header(r, alg="RS256"), r.claims(), r.signer), [R.WRONG_ALGORITHM]),
    "alg a list": (
        lambda r: raw_jws(header(r, alg=["EdDSA"]), r.claims(), r.signer),
        [R.WRONG_ALGORITHM],
    ),
    "header changed by one byte": (lambda r: change_header_byte(r.token()), [R.BAD_SIGNATURE]),
    "payload changed by one byte": (lambda r: change_payload_byte(r.token()), [R.BAD_SIGNATURE]),
    "signature changed by one bit": (lambda r: flip_signature_bit(r.token()), [R.BAD_SIGNATURE]),
    "kid missing": (
        lambda r: raw_jws({"alg": "EdDSA", "typ": TOKEN_TYP}, r.claims(), r.signer),
        [R.UNKNOWN_KEY],
    ),
    "kid unknown": (lambda r: r.token(Signer.generate()), [R.UNKNOWN_KEY]),
    "another registry's key under our kid": (
        lambda r: raw_jws(header(r), r.claims(), Signer.generate()),
        [R.BAD_SIGNATURE],
    ),
    "expired": (lambda r: r.token(exp=seconds(NOW) - 120), [R.EXPIRED_TOKEN]),
    "not yet valid (nbf)": (lambda r: r.token(nbf=seconds(NOW) + 300), [R.NOT_YET_VALID]),
    "issued in the future (iat)": (lambda r: r.token(iat=seconds(NOW) + 300), [R.NOT_YET_VALID]),
    "certificate issued in the future": (
        lambda r: r.token(issued_on=(TODAY + timedelta(days=1)).isoformat()),
        [R.NOT_YET_VALID],
    ),
    "revoked (status 1)": (lambda r: r.at(1), [R.REVOKED]),
    "suspended (status 2)": (lambda r: r.at(2), [R.SUSPENDED]),
    "certificate lapsed after signing": (
        lambda r: r.token(expires_on=(TODAY - timedelta(days=1)).isoformat()),
        [R.CERTIFICATE_EXPIRED],
    ),
    "certificate expiring today": (
        lambda r: r.token(expires_on=TODAY.isoformat()),
        [R.CERTIFICATE_EXPIRED],
    ),
    "signed while revoked": (lambda r: r.token(cert_status="revoked"), [R.REVOKED]),
    "signed while not in force": (
        lambda r: r.token(cert_status="post_not_active"),
        [R.CERTIFICATE_NOT_IN_FORCE],
    ),
    "truncated to two parts": (lambda r: r.token().rpartition(".")[0], [R.MALFORMED]),
    "truncated by one character": (lambda r: r.token()[:-1], [R.MALFORMED]),
    "truncated by two characters": (lambda r: r.token()[:-2], [R.BAD_SIGNATURE]),
    "non-base64 character": (lambda r: r.token().replace(".", ".*", 1), [R.MALFORMED]),
    "standard base64 character": (lambda r: r.token()[:-1] + "+", [R.MALFORMED]),
    "padding": (lambda r: r.token() + "==", [R.MALFORMED]),
    "oversized (> 8 KiB)": (lambda r: r.token(name="x" * 8192), [R.OVERSIZED]),
    "crit header": (
        lambda r: raw_jws(header(r, crit=["exp"]), r.claims(), r.signer),
        [R.UNSUPPORTED_HEADER],
    ),
    "typ JWT": (lambda r: raw_jws(header(r, typ="JWT"), r.claims(), r.signer), [R.WRONG_TYPE]),
    "typ missing": (
        lambda r: raw_jws({"alg": "EdDSA", "kid": r.signer.kid}, r.claims(), r.signer),
        [R.WRONG_TYPE],
    ),
    "a status list presented as a token": (
        lambda r: r.status_list(),
        [R.WRONG_TYPE, R.MALFORMED, R.MALFORMED],
    ),
    "JSON array payload": (lambda r: raw_jws(header(r), [r.claims()], r.signer), [R.MALFORMED]),
    "payload not JSON": (lambda r: raw_jws(header(r), b"{'sub': 1}", r.signer), [R.MALFORMED]),
    "header not a JSON object": (
        lambda r: raw_jws(b'"EdDSA"', r.claims(), r.signer),
        [R.MALFORMED],
    ),
    "a claim of the wrong type": (lambda r: r.token(exp="tomorrow"), [R.MALFORMED]),
    "a claim missing": (
        lambda r: sign_token({k: v for k, v in r.claims().items() if k != "jti"}, r.signer),
        [R.MALFORMED],
    ),
    "a date that is not YYYY-MM-DD": (lambda r: r.token(expires_on="20270915"), [R.MALFORMED]),
    "a status reference without an index": (
        lambda r: r.token(status={"status_list": {"uri": URI}}),
        [R.MALFORMED],
    ),
    "an index past the end of the list": (lambda r: r.at(10_000), [R.STATUS_UNKNOWN]),
    "non-canonical signature encoding": (
        lambda r: r.token()[:-1] + chr(ord(r.token()[-1]) ^ 1),
        [R.MALFORMED],
    ),
}


@pytest.mark.parametrize(("name", "case"), TOKEN_ONLY.items(), ids=list(TOKEN_ONLY))
def test_a_forged_or_unfit_token_is_refused_for_the_right_reason(
    registry: Registry, name: str, case: tuple[Callable[[Registry], str], list[ReasonCode]]
) -> None:
    build, codes = case
    result = registry.verify(build(registry))
    assert not result.valid
    assert result.codes == codes
    assert all(r.message for r in result.reasons)


OPTIONS: dict[str, tuple[Callable[[Registry], dict[str, Any]], list[ReasonCode]]] = {
    "retired kid": (
        lambda r: {"retired": {r.signer.kid}, "status_list": r.status_list(r.second)},
        [R.RETIRED_KEY],
    ),
    "retired kid that also signed the status list": (
        lambda r: {"retired": {r.signer.kid}},
        [R.RETIRED_KEY, R.STATUS_LIST_INVALID],
    ),
    "retired kid no longer in the JWK Set": (
        lambda r: {"retired": {r.signer.kid}, "jwks": {"keys": [r.second.public_key.jwk()]}},
        [R.RETIRED_KEY],
    ),
    "a JWK Set that carries the private key": (
        lambda r: {"jwks": {"keys": [r.signer.public_key.jwk() | {"d": "AAAA"}]}},
        [R.UNKNOWN_KEY],
    ),
    "a JWK whose alg is a list": (
        lambda r: {"jwks": {"keys": [r.signer.public_key.jwk() | {"alg": ["EdDSA"]}]}},
        [R.UNKNOWN_KEY],
    ),
    "status list signed by another key": (
        lambda r: {"status_list": r.status_list(Signer.generate())},
        [R.STATUS_LIST_INVALID],
    ),
    "status list signed by another key under our kid": (
        lambda r: {"status_list": forged_status_list(r)},
        [R.STATUS_LIST_INVALID],
    ),
    "status list signed by a retired key": (
        lambda r: {"status_list": r.status_list(r.second), "retired": {r.second.kid}},
        [R.STATUS_LIST_INVALID],
    ),
    "stale status list (past iat + ttl)": (
        lambda r: {"status_list": r.status_list(iat=NOW - timedelta(hours=2))},
        [R.STATUS_LIST_STALE],
    ),
    "expired status list (past exp)": (
        lambda r: {
            "status_list": r.status_list(
                iat=NOW - timedelta(days=2), ttl=86400 * 7, exp=NOW - timedelta(hours=1)
            )
        },
        [R.STATUS_LIST_STALE],
    ),
    "status list issued in the future": (
        lambda r: {"status_list": r.status_list(iat=NOW + timedelta(hours=1))},
        [R.STATUS_LIST_INVALID],
    ),
    "status list for another uri": (
        lambda r: {"status_list": r.status_list(sub=f"{ISSUER}/status/2")},
        [R.STATUS_LIST_INVALID],
    ),
    "status list from another issuer": (
        lambda r: {"status_list": r.status_list(iss="https://elsewhere.example")},
        [R.ISSUER_MISMATCH],
    ),
    "status list with the token's typ": (
        lambda r: {"status_list": resigned_status_list(r, TOKEN_TYP)},
        [R.STATUS_LIST_INVALID],
    ),
    "status list that is not a JWS": (
        lambda r: {"status_list": "not.a.jws"},
        [R.STATUS_LIST_INVALID],
    ),
    "status list without status_list claim": (
        lambda r: {
            "status_list": jws.sign({"sub": URI, "iat": 1, "ttl": 9}, r.signer, STATUS_LIST_TYP)
        },
        [R.STATUS_LIST_INVALID],
    ),
    "status list with a null ttl and no exp": (
        lambda r: {"status_list": status_list_without_end(r)},
        [R.STATUS_LIST_INVALID],
    ),
    "no status list and no live status": (lambda r: {"status_list": None}, [R.STATUS_UNKNOWN]),
    "another issuer expected": (
        lambda r: {"issuer": "https://other-state.example"},
        [R.ISSUER_MISMATCH],
    ),
}


def resigned_status_list(reg: Registry, typ: str) -> str:
    return jws.sign(orjson.loads(jws.parse(reg.status_list()).payload), reg.signer, typ)


def status_list_without_end(reg: Registry) -> str:
    claims = orjson.loads(jws.parse(reg.status_list()).payload)
    del claims["exp"]
    return jws.sign(claims | {"ttl": None}, reg.signer, STATUS_LIST_TYP)


def forged_status_list(reg: Registry) -> str:
    other = Signer.generate()
    claims = orjson.loads(jws.parse(reg.status_list()).payload)
    claims["status_list"]["lst"] = "eNpjAAAAAQAB"  # all valid
    return raw_jws({"alg": "EdDSA", "kid": reg.signer.kid, "typ": STATUS_LIST_TYP}, claims, other)


@pytest.mark.parametrize(("name", "case"), OPTIONS.items(), ids=list(OPTIONS))
def test_a_token_checked_against_unfit_keys_or_status_is_refused_for_the_right_reason(
    registry: Registry,
    name: str,
    case: tuple[Callable[[Registry], dict[str, Any]], list[ReasonCode]],
) -> None:
    options, codes = case
    result = registry.verify(registry.token(), **options(registry))
    assert not result.valid
    assert result.codes == codes


def test_a_good_token_is_valid_with_its_claims_and_when_its_status_was_known(
    registry: Registry,
) -> None:
    token = registry.token()
    result = registry.verify(token)
    assert result.valid and result.reasons == ()
    assert result.claims == registry.claims()
    assert result.kid == registry.signer.kid
    assert result.status == VALID
    assert result.status_as_of == NOW - timedelta(minutes=5)
    assert registry.verify(token, jwks=KeySet(registry.jwks())).valid


def test_a_token_that_withholds_the_holder_name_and_agency_is_valid(registry: Registry) -> None:
    claims = {k: v for k, v in registry.claims().items() if k not in ("name", "agency")}
    assert registry.verify(sign_token(claims, registry.signer)).valid
    assert registry.verify(registry.token(name=7)).codes == [R.MALFORMED]


def test_a_token_signed_by_the_second_published_key_is_valid(registry: Registry) -> None:
    assert registry.verify(registry.token(registry.second)).valid


def test_the_rfc_9864_alg_name_is_accepted(registry: Registry) -> None:
    token = raw_jws(header(registry, alg="Ed25519"), registry.claims(), registry.signer)
    assert registry.verify(token).valid


@pytest.mark.parametrize(
    ("exp_offset", "valid"), [(0, True), (-59, True), (-60, True), (-61, False)]
)
def test_exp_has_sixty_seconds_of_leeway(registry: Registry, exp_offset: int, valid: bool) -> None:
    assert registry.verify(registry.token(exp=seconds(NOW) + exp_offset)).valid is valid


@pytest.mark.parametrize(("offset", "valid"), [(59, True), (61, False)])
def test_nbf_and_iat_have_sixty_seconds_of_leeway(
    registry: Registry, offset: int, valid: bool
) -> None:
    assert registry.verify(registry.token(nbf=seconds(NOW) + offset)).valid is valid
    assert registry.verify(registry.token(iat=seconds(NOW) + offset)).valid is valid


@pytest.mark.parametrize(("age", "stale"), [(3600, False), (3601, True)])
def test_a_status_list_is_stale_past_iat_plus_ttl(
    registry: Registry, age: int, stale: bool
) -> None:
    status_list = registry.status_list(iat=NOW - timedelta(seconds=age), ttl=3600)
    result = registry.verify(registry.token(), status_list=status_list)
    assert result.codes == ([R.STATUS_LIST_STALE] if stale else [])


def test_the_certificate_is_in_force_until_the_day_before_it_expires(registry: Registry) -> None:
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert registry.verify(registry.token(expires_on=tomorrow)).valid


def test_every_reason_is_given_not_only_the_first(registry: Registry) -> None:
    token = registry.at(
        REVOKED,
        exp=seconds(NOW) - 3600,
        expires_on=(TODAY - timedelta(days=3)).isoformat(),
    )
    result = registry.verify(
        token,
        retired={registry.signer.kid},
        issuer="https://other-state.example",
        status_list=registry.status_list(registry.second, iat=NOW - timedelta(hours=3)),
    )
    assert result.codes == [
        R.RETIRED_KEY,
        R.EXPIRED_TOKEN,
        R.CERTIFICATE_EXPIRED,
        R.ISSUER_MISMATCH,
        R.STATUS_LIST_STALE,
        R.REVOKED,
    ]
    assert result.claims is not None and result.status == REVOKED


def test_every_header_problem_is_given_and_no_signature_is_trusted(registry: Registry) -> None:
    token = raw_jws(header(registry, alg="none", typ="JWT", crit=["b64"]), registry.claims(), None)
    result = registry.verify(token)
    assert result.codes == [R.WRONG_ALGORITHM, R.UNSUPPORTED_HEADER, R.WRONG_TYPE]
    assert result.claims is None


def test_a_bad_signature_hides_what_the_claims_say(registry: Registry) -> None:
    result = registry.verify(change_payload_byte(registry.at(REVOKED, exp=1)))
    assert result.codes == [R.BAD_SIGNATURE]
    assert result.claims is None and result.status is None


def test_duplicate_claims_keep_the_last_one(registry: Registry) -> None:
    past, future = seconds(NOW) - 3600, seconds(NOW) + 3600
    assert registry.verify(duplicate_exp(registry, first=past, last=future)).valid
    assert registry.verify(duplicate_exp(registry, first=future, last=past)).codes == [
        R.EXPIRED_TOKEN
    ]


def test_a_live_status_is_asked_instead_of_the_list_and_is_as_of_now(registry: Registry) -> None:
    asked: list[StatusReference] = []

    def live(ref: StatusReference) -> int | None:
        asked.append(ref)
        return SUSPENDED

    result = registry.verify(registry.token(), live_status=live, status_list=None)
    assert result.codes == [R.SUSPENDED]
    assert result.status_as_of == NOW
    assert asked == [StatusReference(URI, 0, "UT-CIT-34A3XJM9")]
    assert registry.verify(registry.token(), live_status=lambda ref: VALID).valid
    unknown = registry.verify(registry.token(), live_status=lambda ref: None)
    assert unknown.codes == [R.STATUS_UNKNOWN]
    reserved = registry.verify(registry.token(), live_status=lambda ref: 3)
    assert reserved.codes == [R.STATUS_UNKNOWN]


def test_a_failing_live_status_is_not_taken_for_an_answer(registry: Registry) -> None:
    def down(ref: StatusReference) -> int | None:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        registry.verify(registry.token(), live_status=down)


def test_now_must_be_timezone_aware(registry: Registry) -> None:
    with pytest.raises(InvalidInput):
        registry.verify(registry.token(), now=datetime(2026, 3, 1, 12))


def test_the_result_serialises_to_json(registry: Registry) -> None:
    refused = orjson.loads(orjson.dumps(registry.verify(registry.at(REVOKED)).as_dict()))
    assert refused["valid"] is False
    assert refused["reasons"][0]["code"] == "revoked"
    assert refused["status_as_of"] == "2026-03-01T11:55:00+00:00"
    assert refused["claims"]["sub"] == "UT-CIT-34A3XJM9"


def test_a_non_string_token_is_malformed(registry: Registry) -> None:
    assert registry.verify(b"abc").codes == [R.MALFORMED]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def one_valid() -> tuple[Registry, str, str]:
    registry = Registry()
    return registry, registry.token(), registry.status_list()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_character_change_anywhere_makes_a_valid_token_invalid(
    one_valid: tuple[Registry, str, str], data: st.DataObject
) -> None:
    registry, token, status_list = one_valid
    where = data.draw(st.integers(0, len(token) - 1), label="position")
    new = data.draw(st.characters(codec="utf-8").filter(lambda c: c != token[where]), label="to")
    changed = token[:where] + new + token[where + 1 :]
    jwks = registry.jwks()
    assert verify_token(token, jwks=jwks, status_list=status_list, now=NOW).valid
    assert not verify_token(changed, jwks=jwks, status_list=status_list, now=NOW).valid

"""Compact JWS (RFC 7515) with Ed25519 (RFC 8037), signed and verified on `cryptography`.

Only what the registry needs, and strict about it: the protected header is exactly
`{"alg":"EdDSA","kid":...,"typ":...}`; on input `alg` must be EdDSA or its RFC 9864 name
Ed25519, `typ` must be the one expected, and a header with `crit` is refused (RFC 7515
section 4.1.11: we understand no extension). Header and payload must be JSON objects.

Duplicate member names: JSON is decoded with orjson, which keeps the last of duplicate
members. RFC 7515 section 4 and RFC 7519 section 4 allow exactly that ("use a JSON parser
that returns only the lexically last duplicate member name"), PyJWT and joserfc (Python's
`json`) do the same, and only the key holder can sign such a document, so it is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.signing._b64 import decode_ascii, encode_ascii
from registry.signing.errors import (
    BadSignature,
    Malformed,
    Oversized,
    UnknownKey,
    UnsupportedHeader,
    VerificationError,
    WrongAlgorithm,
    WrongType,
)
from registry.signing.keyset import is_algorithm

MAX_LENGTH = 8192
"""The longest compact JWS accepted, in characters (8 KiB); longer input is not parsed."""


class SignsBytes(Protocol):
    """What `sign` needs: a kid and a way to sign bytes (`registry.signing.keys.Signer`)."""

    kid: str

    def sign(self, data: bytes) -> bytes: ...


class CompactJWS(NamedTuple):
    """A compact JWS split and decoded, its signature not yet checked."""

    head: bytes  # the encoded protected header, as in the token
    header: Mapping[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


def sign(claims: Mapping[str, Any], signer: SignsBytes, typ: str) -> str:
    """`claims` as a compact JWS, protected header `{"alg":"EdDSA","kid":...,"typ":...}`.

    Claims are encoded with orjson (dates as ISO 8601 strings).
    """
    if type(claims) is not dict:
        raise TypeError("JWS claims must be a dict (a JSON object)")
    signing_input = _protected(signer.kid, typ) + encode_ascii(orjson.dumps(claims))
    return (signing_input + b"." + encode_ascii(signer.sign(signing_input))).decode("ascii")


def verify(
    token: str,
    keys: Mapping[str, Ed25519PublicKey],
    *,
    typ: str,
    max_length: int = MAX_LENGTH,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of `token`, once it is shown to be signed by one of `keys`.

    Fails closed: raises the `VerificationError` subclass of the first problem found
    (`Oversized`, `Malformed`, `WrongAlgorithm`, `UnsupportedHeader`, `WrongType`,
    `UnknownKey`, `BadSignature`); its `code` is the reason code.
    """
    jws = parse(token, max_length=max_length)
    problems = header_problems(jws.header, typ=typ)
    if problems:
        raise problems[0]
    kid = jws.header.get("kid")
    if not isinstance(kid, str):
        raise UnknownKey("the header has no kid")
    if kid not in keys:
        raise UnknownKey(f"no key {kid} among the {len(keys)} keys given")
    check_signature(jws, keys[kid])
    return dict(jws.header), claims_of(jws)


def parse(token: str, *, max_length: int = MAX_LENGTH) -> CompactJWS:
    """Split and decode a compact JWS: `Oversized` or `Malformed` if it is not one."""
    if not isinstance(token, str):
        raise Malformed(f"a token is a string, not {type(token).__name__}")
    if len(token) > max_length:
        raise Oversized(f"the token is {len(token)} characters long; at most {max_length}")
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise Malformed("a compact JWS is ASCII") from None
    if raw.count(b".") != 2:  # counted and cut at the dots: cheaper than a split
        raise Malformed(f"a compact JWS has 3 parts separated by dots, not {raw.count(b'.') + 1}")
    signing_input, _, encoded_signature = raw.rpartition(b".")
    head, _, body = signing_input.partition(b".")
    try:
        payload, signature = decode_ascii(body), decode_ascii(encoded_signature)
    except ValueError as e:
        raise Malformed(f"payload or signature: {e}") from None
    # tuple.__new__: the same CompactJWS as its Python-level __new__ makes, in half the time
    return tuple.__new__(CompactJWS, (head, decode_header(head), payload, signing_input, signature))


def header_problems(header: Mapping[str, Any], *, typ: str) -> list[VerificationError]:
    """Every way `header` falls short, other than its kid: alg, crit and typ."""
    problems: list[VerificationError] = []
    alg = header.get("alg")
    if not is_algorithm(alg):
        problems.append(WrongAlgorithm(f"alg must be EdDSA or Ed25519, not {_show(alg)}"))
    if "crit" in header:
        problems.append(UnsupportedHeader(f"crit {_show(header['crit'])} is not understood"))
    got = header.get("typ")
    if not isinstance(got, str) or _media_type(got) != _media_type(typ):
        problems.append(WrongType(f"typ must be {typ}, not {_show(got)}"))
    return problems


def check_signature(jws: CompactJWS, key: Ed25519PublicKey) -> None:
    """Return if `key` signed `jws`; raise `BadSignature` if not."""
    try:
        key.verify(jws.signature, jws.signing_input)
    except InvalidSignature:
        raise BadSignature("the signature does not match the header and payload") from None


def claims_of(jws: CompactJWS) -> dict[str, Any]:
    """The payload as a JSON object; `Malformed` if it is not one."""
    try:
        claims = orjson.loads(jws.payload)
    except orjson.JSONDecodeError:
        raise Malformed("the payload is not JSON") from None
    if not isinstance(claims, dict):
        raise Malformed(f"the payload must be a JSON object, not {_json_kind(claims)}")
    return claims


@lru_cache(maxsize=64)
def _protected(kid: str, typ: str) -> bytes:
    """The encoded protected header and its dot: the same for every token a key signs."""
    return encode_ascii(orjson.dumps({"alg": "EdDSA", "kid": kid, "typ": typ})) + b"."


@lru_cache(maxsize=64)
def decode_header(head: bytes) -> Mapping[str, Any]:
    """The protected header `head` encodes, read-only; `Malformed` if not a JSON object.

    Cached: the tokens of one registry share a handful of headers.
    """
    try:
        header = orjson.loads(decode_ascii(head))
    except ValueError as e:  # orjson.JSONDecodeError is a ValueError
        raise Malformed(f"header: {e}") from None
    if not isinstance(header, dict):
        raise Malformed(f"the header must be a JSON object, not {_json_kind(header)}")
    return MappingProxyType(header)  # cached, so shared: read-only


def _media_type(typ: str) -> str:
    # RFC 7515 section 4.1.9: compared case-insensitively; "application/" may be left out.
    typ = typ.lower()
    return typ[12:] if typ.startswith("application/") else typ


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _show(value: Any) -> str:
    if value is None:
        return "none given"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

"""The verifying side of keys: a JWK Set (RFC 7517) read into Ed25519 public keys.

A verifier needs nothing but the registry's published JWK Set. Only OKP Ed25519 keys
published for signatures are usable; anything else in the set is left alone (RFC 7517
section 5), and a kid published twice, or with private key material, is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NoReturn

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.signing._b64 import b64url_decode
from registry.signing.errors import UnknownKey

ALGORITHMS = frozenset({"EdDSA", "Ed25519"})


def is_algorithm(value: object) -> bool:
    """Whether `value` (from a header or a JWK: any JSON) names an algorithm we verify."""
    return isinstance(value, str) and value in ALGORITHMS
"""The `alg` values accepted for an Ed25519 key: RFC 8037's EdDSA and RFC 9864's Ed25519."""

_B64URL_32_BYTES = re.compile(r"[A-Za-z0-9_-]{43}")


def key_set(jwks: Mapping[str, Any] | KeySet) -> KeySet:
    """`jwks` as a `KeySet`; a JWK Set seen before (same content) is not read again."""
    if isinstance(jwks, KeySet):
        return jwks
    try:
        content = orjson.dumps(jwks)
    except TypeError:  # not plain JSON types: read it as it is
        return KeySet(jwks)
    return _key_set_of(content)


@lru_cache(maxsize=16)
def _key_set_of(content: bytes) -> KeySet:
    return KeySet(orjson.loads(content))


class KeySet:
    """A JWK Set (RFC 7517) read once: each kid's Ed25519 key, or why it cannot be used.

    Entries that are not Ed25519 signing keys cannot be used (RFC 7517 section 5), nor can
    a kid that appears twice: an ambiguous key is no key. Build one when the JWK Set is
    loaded and give it to `verify_token` instead of the dict, so the keys are not read
    again for every token. It keeps no reference to the dict it was made from.
    """

    __slots__ = ("_keys", "_none")

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
        self._keys: dict[str, tuple[str, Ed25519PublicKey] | str] = {}
        self._none = "" if isinstance(entries, list) else 'the JWK Set has no "keys" list'
        for entry in entries if isinstance(entries, list) else ():
            kid = entry.get("kid") if isinstance(entry, Mapping) else None
            if isinstance(kid, str) and kid not in self._keys:
                try:
                    x = find_x(jwks, kid)
                    self._keys[kid] = (x, key_from_x(x))
                except UnknownKey as e:
                    self._keys[kid] = e.message

    def x(self, kid: str) -> str:
        """The `x` of key `kid`; `UnknownKey` saying why there is no usable one."""
        found = self._keys.get(kid)
        return found[0] if type(found) is tuple else self._refuse(kid)

    def key(self, kid: str) -> Ed25519PublicKey:
        """The key `kid`, for verifying; `UnknownKey` saying why there is no usable one."""
        found = self._keys.get(kid)
        return found[1] if type(found) is tuple else self._refuse(kid)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every usable key by kid, as `jws.verify` takes them."""
        return {kid: found[1] for kid, found in self._keys.items() if type(found) is tuple}

    def __repr__(self) -> str:
        return f"KeySet({sorted(self._keys)})"

    def _refuse(self, kid: str) -> NoReturn:
        found = self._keys.get(kid)
        raise UnknownKey(
            found if type(found) is str else self._none or f"no key {kid} in the JWK Set"
        )


def find_x(jwks: Mapping[str, Any], kid: str) -> str:
    """The `x` of the one usable Ed25519 signing key `kid` in a JWK Set, else `UnknownKey`.

    Refuses a kid that appears twice, a key that is not OKP Ed25519, one published for
    another use or algorithm, and one that carries private key material (`d`).
    """
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(entries, list):
        raise UnknownKey('the JWK Set has no "keys" list')
    jwk = None
    for entry in entries:
        if (type(entry) is dict or isinstance(entry, Mapping)) and entry.get("kid") == kid:
            if jwk is not None:
                raise UnknownKey(f"the JWK Set has more than one key {kid}; expected one")
            jwk = entry
    if jwk is None:
        raise UnknownKey(f"no key {kid} in the JWK Set")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise UnknownKey(f"key {kid} is not an OKP Ed25519 key")
    if "d" in jwk:
        raise UnknownKey(f"key {kid} in the JWK Set carries private key material; refused")
    if jwk.get("use", "sig") != "sig" or not is_algorithm(jwk.get("alg", "EdDSA")):
        raise UnknownKey(f"key {kid} is not published for EdDSA signatures")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise UnknownKey(f"key {kid} may not be used to verify")
    x = jwk.get("x")
    if not isinstance(x, str) or not _B64URL_32_BYTES.fullmatch(x):
        raise UnknownKey(f"key {kid} has no x of 32 bytes in base64url")
    return x


@lru_cache(maxsize=256)
def key_from_x(x: str) -> Ed25519PublicKey:
    """The Ed25519 public key whose JWK `x` is given (cached); `UnknownKey` if it is not one."""
    try:
        return Ed25519PublicKey.from_public_bytes(b64url_decode(x))
    except ValueError:
        raise UnknownKey("an Ed25519 key's x is 32 bytes in canonical base64url") from None

"""Signing webhook deliveries per the Standard Webhooks specification (www.standardwebhooks.com).

Every delivery carries `webhook-id` (the same on every retry), `webhook-timestamp` (integer
Unix seconds of the attempt) and `webhook-signature`: space-separated signatures over
`{id}.{timestamp}.{body}`. `v1,<base64>` is HMAC-SHA256 with an endpoint's `whsec_` secret,
one per secret the endpoint holds (two while a secret is being rotated); `v1a,<base64>` is
Ed25519 with the registry's webhook key, which a receiver checks against the registry's
published JWK Set without holding any secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _random
from collections.abc import Callable, Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.signing._b64 import b64url_encode
from registry.signing.errors import UnknownKey
from registry.signing.keyset import find_x, key_from_x

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64  # the spec: at least 192 bits, at most 512
_MSG_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")  # never a ".", which would blur the signed content
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(ValueError):
    """A delivery's signature is missing or wrong, or its timestamp is out of tolerance."""


def new_secret() -> str:
    """A new endpoint secret: `whsec_` and 32 random bytes in standard base64."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(32)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a `whsec_` secret; ValueError for anything else.

    The base64 after the prefix may be padded or not, but must be standard base64 only,
    and the key 24 to 64 bytes long, as the specification asks.
    """
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    text = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is standard base64 after its prefix") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(f"a webhook secret is {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return key


def message_id(outbox_key: str) -> str:
    """The `webhook-id` of the delivery named `outbox_key`: the same key, the same id."""
    digest = hashlib.sha256(outbox_key.encode("utf-8")).digest()
    return "msg_" + b64url_encode(digest[:18])  # 144 bits, 24 characters, no padding


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    """The bytes every signature covers: `{msg_id}.{timestamp}.{body}`, the body as sent."""
    if not isinstance(msg_id, str) or not _MSG_ID.fullmatch(msg_id):
        raise ValueError("a webhook id is 1 to 256 of A-Z a-z 0-9 _ -")
    if type(timestamp) is not int or timestamp < 0:
        raise ValueError("a webhook timestamp is a non-negative integer of Unix seconds")
    if not isinstance(body, bytes):
        raise TypeError("the body is signed as the bytes sent")
    return f"{msg_id}.{timestamp}.".encode("ascii") + body


def headers(
    msg_id: str,
    timestamp: int,
    body: bytes,
    *,
    secrets: Sequence[str],
    signer: Callable[[bytes], bytes] | None,
) -> dict[str, str]:
    """The headers of one delivery attempt: a `v1` signature per secret, then `v1a` if a
    signer (such as `Signer.sign` of the registry's webhook key) is given."""
    if isinstance(secrets, str):
        raise TypeError("secrets is a sequence of secrets, not one secret")
    content = signed_content(msg_id, timestamp, body)
    signatures = [
        "v1," + _b64(hmac.digest(secret_bytes(s), content, hashlib.sha256)) for s in secrets
    ]
    if signer is not None:
        signature = signer(content)
        if not isinstance(signature, bytes) or len(signature) != 64:
            raise ValueError("an Ed25519 signer returns 64 bytes")
        signatures.append("v1a," + _b64(signature))
    if not signatures:
        raise ValueError("a delivery needs at least one secret or a signer")
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def verify_v1a(
    headers: Mapping[str, str],
    body: bytes,
    public_key: Ed25519PublicKey,
    *,
    now: int,
    tolerance: int = 300,
) -> None:
    """Check a delivery as a receiver holding only the registry's public key does.

    Returns if one `v1a` signature in `webhook-signature` verifies with `public_key` and
    `webhook-timestamp` is within `tolerance` seconds of `now`; else `SignatureError`.
    """
    found = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp = found.get("webhook-id"), found.get("webhook-timestamp", "")
    signatures = found.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not _TIMESTAMP.fullmatch(stamp):
        raise SignatureError("webhook-timestamp is not an integer of Unix seconds")
    if abs(now - int(stamp)) > tolerance:
        raise SignatureError(f"webhook-timestamp is more than {tolerance} seconds from now")
    try:
        content = signed_content(msg_id, int(stamp), body)
    except ValueError as e:
        raise SignatureError(str(e)) from None
    for entry in signatures.split(" "):
        version, _, encoded = entry.partition(",")
        if version != "v1a":
            continue
        try:
            public_key.verify(base64.b64decode(encoded, validate=True), content)
            return
        except (binascii.Error, ValueError, InvalidSignature):
            continue
    raise SignatureError("no v1a signature verifies with this key")


def public_key_from_jwk(jwk: Mapping[str, str]) -> Ed25519PublicKey:
    """The Ed25519 key of one public JWK from the registry's JWK Set; SignatureError if the
    JWK is not a public OKP Ed25519 key published for EdDSA signatures."""
    kid = jwk.get("kid")
    kid = kid if isinstance(kid, str) else "without a kid"
    try:
        return key_from_x(find_x({"keys": [{**jwk, "kid": kid}]}, kid))
    except UnknownKey as e:
        raise SignatureError(e.message) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

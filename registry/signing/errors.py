"""The signing package's errors and reason codes, inside the registry's one hierarchy.

Every class here derives from `registry.domain.errors.RegistryError`, so the command line
and the HTTP API map them in the one place they map every other registry error.
"""

from __future__ import annotations

from enum import StrEnum

from registry.domain.errors import RegistryError


class ReasonCode(StrEnum):
    """Why a token is not valid. The values are stable: clients may match on them."""

    MALFORMED = "malformed"
    OVERSIZED = "oversized"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    RETIRED_KEY = "retired_key"
    WRONG_ALGORITHM = "wrong_algorithm"
    WRONG_TYPE = "wrong_type"
    UNSUPPORTED_HEADER = "unsupported_header"
    EXPIRED_TOKEN = "expired_token"
    NOT_YET_VALID = "not_yet_valid"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_IN_FORCE = "certificate_not_in_force"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_LIST_STALE = "status_list_stale"
    STATUS_LIST_INVALID = "status_list_invalid"
    STATUS_UNKNOWN = "status_unknown"
    ISSUER_MISMATCH = "issuer_mismatch"


class KeyStoreError(RegistryError):
    """The key store cannot give the key asked for. Never carries key material."""

    kind = "key-store-error"


class KeyNotFound(KeyStoreError):
    """No key with that kid (and purpose) in the key store."""

    kind = "key-not-found"


class InsecureKeyStore(KeyStoreError):
    """A key folder or key file can be read by group or others, or is not a plain file."""

    kind = "insecure-key-store"


class VerificationError(RegistryError):
    """A signed object does not verify. `code` is the `ReasonCode` that says why."""

    kind = "verification-failed"
    code: ReasonCode = ReasonCode.MALFORMED


class Malformed(VerificationError):
    """Not a compact JWS of JSON objects: wrong parts, bad base64url, not JSON, bad claims."""

    code = ReasonCode.MALFORMED


class Oversized(VerificationError):
    """Longer than the verifier accepts; refused before any parsing."""

    code = ReasonCode.OVERSIZED


class WrongAlgorithm(VerificationError):
    """The header's `alg` is not EdDSA (or its RFC 9864 name Ed25519)."""

    code = ReasonCode.WRONG_ALGORITHM


class UnknownKey(VerificationError):
    """The header has no `kid`, or no usable key has that kid."""

    code = ReasonCode.UNKNOWN_KEY


class WrongType(VerificationError):
    """The header's `typ` is not the one expected for this kind of object."""

    code = ReasonCode.WRONG_TYPE


class UnsupportedHeader(VerificationError):
    """The header asks for an extension the verifier does not implement (`crit`)."""

    code = ReasonCode.UNSUPPORTED_HEADER


class BadSignature(VerificationError):
    """The signature does not match the signing input under the named key."""

    code = ReasonCode.BAD_SIGNATURE


class StatusListInvalid(VerificationError):
    """The status list's `lst` (or its JWT) cannot be read."""

    code = ReasonCode.STATUS_LIST_INVALID

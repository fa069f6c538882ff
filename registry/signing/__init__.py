"""Signed verification tokens: Ed25519 keys, compact JWS, status lists, one verifier.

Pure: imports the standard library, `cryptography`, `orjson` and `registry.domain` only.

    from registry.signing import KeyStore, certificate_claims, sign_token, verify_token

    store = KeyStore("keys")                      # folders 0700, key files 0600
    kid = store.create("token").kid
    token = sign_token(certificate_claims(...), store.signer(kid))
    lists = sign_status_list(values, signer=..., iss=..., sub=uri, iat=..., ttl=..., exp=...)
    result = verify_token(token, jwks=store.jwks([kid]), status_list=lists, now=now)
    result.valid, [r.code for r in result.reasons]

Lower levels: `jws.sign` / `jws.verify` (any typ, first failure raised as a
`VerificationError`), and the status list's `encode` / `decode`.
"""

from registry.signing import jws
from registry.signing.errors import (
    BadSignature,
    InsecureKeyStore,
    KeyNotFound,
    KeyStoreError,
    Malformed,
    Oversized,
    ReasonCode,
    StatusListInvalid,
    UnknownKey,
    UnsupportedHeader,
    VerificationError,
    WrongAlgorithm,
    WrongType,
)
from registry.signing.jws import MAX_LENGTH
from registry.signing.keys import PURPOSES, KeyStore, PublicKey, Signer, thumbprint
from registry.signing.keyset import KeySet
from registry.signing.result import LiveStatus, Reason, StatusReference, VerificationResult
from registry.signing.status_list import (
    STATUS_LIST_TYP,
    Status,
    StatusList,
    decode,
    encode,
    sign_status_list,
)
from registry.signing.token import TOKEN_TYP, certificate_claims, sign_token
from registry.signing.verify import LEEWAY_SECONDS, verify_token

__all__ = [
    "LEEWAY_SECONDS",
    "MAX_LENGTH",
    "PURPOSES",
    "STATUS_LIST_TYP",
    "TOKEN_TYP",
    "BadSignature",
    "InsecureKeyStore",
    "KeyNotFound",
    "KeySet",
    "KeyStore",
    "KeyStoreError",
    "LiveStatus",
    "Malformed",
    "Oversized",
    "PublicKey",
    "Reason",
    "ReasonCode",
    "Signer",
    "Status",
    "StatusList",
    "StatusListInvalid",
    "StatusReference",
    "UnknownKey",
    "UnsupportedHeader",
    "VerificationError",
    "VerificationResult",
    "WrongAlgorithm",
    "WrongType",
    "certificate_claims",
    "decode",
    "encode",
    "jws",
    "sign_status_list",
    "sign_token",
    "thumbprint",
    "verify_token",
]

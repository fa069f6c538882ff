"""Certificate tokens: the claims a signed verification token carries, and signing one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from registry.signing.jws import SignsBytes, sign

TOKEN_TYP = "cit-certificate+jwt"
"""The `typ` of a certificate token: what `verify_token` expects."""


def certificate_claims(
    *,
    iss: str,
    number: str,
    credential: str,
    name: str | None,
    agency: str | None,
    issued_on: date,
    expires_on: date,
    cert_status: str,
    iat: datetime,
    exp: datetime,
    jti: str,
    idx: int,
    uri: str,
    log_position: int | None = None,
) -> dict[str, Any]:
    """The claims of a token for certificate `number` (the `sub`), as `verify_token` reads them.

    `iat` and `exp` are aware datetimes (stored as whole seconds since the epoch); the
    certificate's dates are ISO dates; `idx` and `uri` place it in the status list. A
    `name` or `agency` of None is withheld: left out of the token. `log_position` is where
    the event that issued or last renewed the certificate stands in the log, so that an
    auditor can ask for the proof that the log's Merkle tree holds it.
    """
    if iat.utcoffset() is None or exp.utcoffset() is None:
        raise ValueError("iat and exp must be timezone-aware")
    claims = {
        "iss": iss,
        "sub": number,
        "credential": credential,
        "name": name,
        "agency": agency,
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat(),
        "cert_status": cert_status,
        "iat": int(iat.timestamp()),
        "exp": int(exp.timestamp()),
        "jti": jti,
        "status": {"status_list": {"idx": idx, "uri": uri}},
        "log_position": log_position,
    }
    return {key: value for key, value in claims.items() if value is not None}


def sign_token(claims: Mapping[str, Any], signer: SignsBytes) -> str:
    """`claims` signed as a compact JWS of type `cit-certificate+jwt`."""
    return sign(dict(claims) if type(claims) is not dict else claims, signer, TOKEN_TYP)

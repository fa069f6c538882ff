"""Interoperability: PyJWT and joserfc verify our tokens and status lists from the JWK Set alone.

They are test dependencies only: the registry signs and verifies with its own small JWS
code on `cryptography`, and these two independent implementations check it speaks JOSE.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet as JoseKeySet
from joserfc.jwk import OKPKey

from registry.signing import (
    STATUS_LIST_TYP,
    TOKEN_TYP,
    KeyStore,
    Signer,
    certificate_claims,
    sign_status_list,
    sign_token,
    thumbprint,
    verify_token,
)

pytestmark = pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")

ISSUER = "https://cit-registry.utah.gov"
URI = f"{ISSUER}/status/1"
RFC_8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"


def now() -> datetime:
    # PyJWT and joserfc check exp and iat against the real clock
    return datetime.now(UTC).replace(microsecond=0)


def claims(at: datetime) -> dict[str, Any]:
    return certificate_claims(
        iss=ISSUER,
        number="UT-CIT-34A3XJM9",
        credential="cit_officer",
        name="Jordan Rivera",
        agency="SLCPD",
        issued_on=date(2025, 9, 15),
        expires_on=at.date() + timedelta(days=700),
        cert_status="in_force",
        iat=at - timedelta(minutes=1),
        exp=at + timedelta(days=30),
        jti="0f6e3d1c9b8a4e2f8d7c6b5a49382716",
        idx=3,
        uri=URI,
    )


@pytest.fixture
def published(tmp_path: Any) -> tuple[Signer, str, str, str]:
    """A key store's signer, and the JWK Set JSON, a token and a status list it signed."""
    store = KeyStore(tmp_path / "keys")
    kid = store.create("token").kid
    signer = store.signer(kid)
    at = now()
    status_list = sign_status_list(
        [0] * 8,
        signer=signer,
        iss=ISSUER,
        sub=URI,
        iat=at - timedelta(minutes=1),
        ttl=3600,
        exp=at + timedelta(days=1),
    )
    return signer, json.dumps(store.jwks([kid])), sign_token(claims(at), signer), status_list


def test_pyjwt_verifies_a_token_and_the_status_list_from_the_jwk_set_json(
    published: tuple[Signer, str, str, str],
) -> None:
    signer, jwks_json, token, status_list = published
    jwk_set = pyjwt.PyJWKSet.from_json(jwks_json)
    key = jwk_set[signer.kid]
    decoded = pyjwt.decode(token, key=key, algorithms=["EdDSA"], issuer=ISSUER)
    assert decoded["sub"] == "UT-CIT-34A3XJM9"
    assert pyjwt.get_unverified_header(token)["typ"] == TOKEN_TYP
    listed = pyjwt.decode(status_list, key=key, algorithms=["EdDSA"], subject=URI)
    assert listed["status_list"]["bits"] == 2
    assert pyjwt.get_unverified_header(status_list)["typ"] == STATUS_LIST_TYP


def test_pyjwt_refuses_a_token_changed_by_one_byte(
    published: tuple[Signer, str, str, str],
) -> None:
    _, jwks_json, token, _ = published
    key = pyjwt.PyJWK(json.loads(jwks_json)["keys"][0])
    head, body, sig = token.split(".")
    changed = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{sig}"
    with pytest.raises(pyjwt.InvalidTokenError):
        pyjwt.decode(changed, key=key, algorithms=["EdDSA"])


def test_joserfc_verifies_a_token_and_the_status_list_from_the_jwk_set_json(
    published: tuple[Signer, str, str, str],
) -> None:
    _, jwks_json, token, status_list = published
    key_set = JoseKeySet.import_key_set(json.loads(jwks_json))
    decoded = jose_jwt.decode(token, key_set, algorithms=["EdDSA"])
    assert decoded.header["typ"] == TOKEN_TYP
    jose_jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}).validate(decoded.claims)
    assert decoded.claims["status"] == {"status_list": {"idx": 3, "uri": URI}}
    listed = jose_jwt.decode(status_list, key_set, algorithms=["EdDSA"])
    assert listed.header["typ"] == STATUS_LIST_TYP
    jose_jwt.JWTClaimsRegistry(sub={"essential": True, "value": URI}).validate(listed.claims)


def test_joserfc_computes_the_same_kids_and_the_rfc_8037_thumbprint(
    published: tuple[Signer, str, str, str],
) -> None:
    signer, jwks_json, _, _ = published
    jwk = json.loads(jwks_json)["keys"][0]
    assert OKPKey.import_key(jwk).thumbprint() == signer.kid == jwk["kid"]
    rfc_key = {"kty": "OKP", "crv": "Ed25519", "x": RFC_8037_X}
    assert OKPKey.import_key(rfc_key).thumbprint() == thumbprint(RFC_8037_X)


def test_tokens_signed_by_pyjwt_and_joserfc_verify_here() -> None:
    private = Ed25519PrivateKey.generate()
    signer = Signer(private)
    at = now()
    jwks = {"keys": [signer.public_key.jwk()]}
    status_list = sign_status_list(
        [0] * 8, signer=signer, iss=ISSUER, sub=URI, iat=at, ttl=3600, exp=at + timedelta(days=1)
    )
    by_pyjwt = pyjwt.encode(
        claims(at), private, algorithm="EdDSA", headers={"kid": signer.kid, "typ": TOKEN_TYP}
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    by_joserfc = jose_jwt.encode(
        {"alg": "Ed25519", "kid": signer.kid, "typ": TOKEN_TYP},
        claims(at),
        OKPKey.import_key(pem),
        algorithms=["Ed25519"],
    )
    for token in (by_pyjwt, by_joserfc):
        result = verify_token(token, jwks=jwks, status_list=status_list, now=at)
        assert result.valid, result.reasons

"""Verification over HTTP: the live check, and the JWK Set and status list an offline one uses.

Verification fails closed: a token that is forged, malformed, expired, signed by a retired
key or for a certificate suspended since is answered 200 with `valid: false` and reasons.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from registry.config import Settings
from registry.signing.keys import KeyStore, Signer
from registry.signing.token import sign_token
from registry.signing.verify import verify_token
from tests.api.conftest import Api
from tests.api.steps import certified, ok, refused

ZONE = ZoneInfo(Settings().timezone)


@pytest.fixture(scope="module")
def token(api: Api) -> str:
    """A token for a certificate in force, which stays in force in this module."""
    _, number = certified(api, "VE-1")
    return str(ok(api.client("state").get(f"/v1/certifications/{number}/token"))["token"])


def verify(api: Api, token: str, caller: str = "public") -> dict[str, object]:
    return ok(api.client(caller).post("/v1/verifications", json={"token": token}))


def codes(result: dict[str, object]) -> list[str]:
    return [r["code"] for r in result["reasons"]]  # type: ignore[attr-defined,index]


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def key_folder(api: Api) -> Path:
    """The server's key folder, from its environment (the test started it)."""
    environ = Path(f"/proc/{api.process.pid}/environ").read_bytes().split(b"\0")
    found = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    return Path(found["REGISTRY_KEY_DIR"])


def test_anyone_verifies_a_token_and_reads_what_it_says(api: Api, token: str) -> None:
    for caller in ("public", "agency", "academy", "auditor"):
        result = verify(api, token, caller)
        assert result["valid"] is True, (caller, result)
        assert result["reasons"] == []
        assert result["status"] == 0
        assert result["claims"]["name"] == "Officer VE-1"  # type: ignore[index]
        assert result["kid"] and result["status_as_of"]


def test_a_token_fails_once_its_certificate_is_suspended_and_passes_once_reinstated(
    api: Api,
) -> None:
    _, number = certified(api, "VE-2")
    token = ok(api.client("agency").get(f"/v1/certifications/{number}/token"))["token"]
    state = api.client("state")
    ok(state.post(f"/v1/certifications/{number}/suspensions", json={"reason": "review"}))
    result = verify(api, token)
    assert result["valid"] is False
    assert codes(result) == ["suspended"]
    ok(state.post(f"/v1/certifications/{number}/reinstatements", json={"reason": "cleared"}))
    assert verify(api, token)["valid"] is True
    ok(state.post(f"/v1/certifications/{number}/revocations", json={"reason": "misconduct"}))
    assert codes(verify(api, token)) == ["revoked"]


def b64json(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_forged_and_malformed_tokens_are_invalid_not_errors(api: Api, token: str) -> None:
    head, payload, signature = token.split(".")
    claims = claims_of(token)
    claims["name"] = "Someone Else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    cases = {
        f"{head}.{forged_payload}.{signature}": "bad_signature",
        f"{head}.{payload}.{flipped}": "bad_signature",
        "": "malformed",
        "not a token": "malformed",
        "a.b": "malformed",
        "x" * 20_000: "oversized",
        sign_token(claims, Signer.generate()): "unknown_key",
        f"{b64json({'alg': ['EdDSA'], 'typ': 'cit-certificate+jwt'})}.{payload}.{signature}": (
            "wrong_algorithm"
        ),
    }
    before = api.position()
    for bad, code in cases.items():
        result = verify(api, bad)
        assert result["valid"] is False, bad[:40]
        assert code in codes(result), (bad[:40], result)
        if code != "bad_signature":
            assert result["claims"] is None
    assert api.position() == before


def test_an_expired_token_is_invalid(api: Api, token: str) -> None:
    kid = claims_kid(token)
    signer = KeyStore(key_folder(api)).signer(kid)
    claims = claims_of(token)
    now = datetime.now(UTC)
    claims["iat"] = int((now - timedelta(days=40)).timestamp())
    claims["exp"] = int((now - timedelta(days=10)).timestamp())
    result = verify(api, sign_token(claims, signer))
    assert result["valid"] is False
    assert codes(result) == ["expired_token"]


def claims_kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def test_a_body_that_is_not_a_token_is_refused(api: Api) -> None:
    public = api.client()
    for body in ({}, {"token": 5}, {"token": None}, {"token": "x", "extra": 1}, ["x"]):
        refused(public.post("/v1/verifications", json=body), 422)
    not_json = public.post(
        "/v1/verifications", content=b"{token", headers={"content-type": "application/json"}
    )
    refused(not_json, 400)
    huge = public.post("/v1/verifications", json={"token": "x" * 70_000})
    refused(huge, 413)


def test_a_verifier_checks_offline_with_the_jwk_set_and_the_status_list(
    api: Api, token: str
) -> None:
    public = api.client()
    jwks = public.get("/.well-known/jwks.json")
    assert jwks.status_code == 200, jwks.text
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    assert jwks.headers["cache-control"] == "public, max-age=300"
    assert claims_kid(token) in [k["kid"] for k in jwks.json()["keys"]]
    assert all(set(k) >= {"kty", "crv", "x", "kid"} for k in jwks.json()["keys"])

    listed = public.get("/v1/status-lists/1")
    assert listed.status_code == 200, listed.text
    assert listed.headers["content-type"] == "application/statuslist+jwt"
    ttl = Settings().policy.status_list_ttl_seconds
    assert listed.headers["cache-control"] == f"public, max-age={ttl}"
    result = verify_token(
        token,
        jwks=jwks.json(),
        status_list=listed.text,
        now=datetime.now(ZONE),
        issuer=api.base_url,
    )
    assert result.valid, result.reasons

    refused(public.get("/v1/status-lists/2"), 404)
    refused(public.get("/v1/status-lists/no;list"), 422)
    refused(public.get("/v1/status-lists/" + "1" * 41), 422)


def test_a_token_signed_by_a_retired_key_no_longer_verifies(api: Api, token: str) -> None:
    """Last in the module: it retires the key the module's tokens were signed with."""
    state = api.client("state")
    old = claims_kid(token)
    ok(state.post("/v1/signing-keys/token/rotation"))
    assert verify(api, token)["valid"] is True  # a rotated-out key still verifies
    ok(state.post(f"/v1/signing-keys/token/{old}/retirement", json={"reason": "rotated out"}))
    result = verify(api, token)
    assert result["valid"] is False
    assert "retired_key" in codes(result)
    assert old not in [k["kid"] for k in api.client().get("/.well-known/jwks.json").json()["keys"]]
    # A token issued now is signed with the new key and verifies.
    _, number = certified(api, "VE-3")
    fresh = ok(state.get(f"/v1/certifications/{number}/token"))["token"]
    assert claims_kid(fresh) != old
    assert verify(api, fresh)["valid"] is True

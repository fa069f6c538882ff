"""Routes: verifying a certificate token, and what anyone needs to verify one offline.

A receiving department verifies a token on its own with the registry's JWK Set and its
signed status list (both public, both cacheable), or asks the registry to verify it
against the live status. Verification fails closed: a token is valid only when every
check passed; every reason it is not is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from registry.api.auth import EVERYONE, allow
from registry.api.services import Services, services_of
from registry.domain.errors import NotFound
from registry.projections import queries
from registry.signing.errors import ReasonCode
from registry.signing.keys import PublicKey
from registry.signing.result import StatusReference, VerificationResult
from registry.signing.service import STATUS_LIST_ID
from registry.signing.verify import verify_token

router = APIRouter(tags=["verification"])

Svc = Annotated[Services, Depends(services_of)]
ListId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The status list's id (the registry has one: 1).",
    ),
]
#: Seconds a verifier may keep the JWK Set: a retired key drops out of it this soon.
JWKS_MAX_AGE = 300


class JwkSetResponse(JSONResponse):
    media_type = "application/jwk-set+json"


class StatusListResponse(Response):
    media_type = "application/statuslist+jwt"


class TokenToVerify(BaseModel):
    """A certificate token, as its holder presented it."""

    model_config = ConfigDict(extra="forbid")

    token: str


class Reason(BaseModel):
    """Why a token is not valid: a stable code and a sentence for people."""

    code: ReasonCode
    message: str


class Verification(BaseModel):
    """What the verification found. `valid` is true only when `reasons` is empty; `claims`
    are given only when the signature verified; `status` is the certificate's live
    status-list value (0 valid, 1 invalid, 2 suspended) as of `status_as_of`."""

    valid: bool
    reasons: list[Reason]
    claims: dict[str, Any] | None
    status_as_of: datetime | None
    kid: str | None
    status: int | None


class JwkSet(BaseModel):
    """The RFC 7517 JWK Set of every published signing key (Ed25519, RFC 8037)."""

    keys: list[dict[str, str]]


def verify_live(services: Services, token: str) -> VerificationResult:
    """Verify `token` against the keys in the log and the status in the read models now,
    as `registry token verify` does without files: the signing keys are read once."""
    keys = services.registry.signing_keys("token")
    published = keys.published() if keys else []
    jwks = {"keys": [PublicKey(k.kid, "token", k.x).jwk() for k in published]}
    retired = {k.kid for k in keys.retired()} if keys else set()
    signing = services.signing
    today = services.today()
    own_list = signing.status_list_uri()

    def live(ref: StatusReference) -> int | None:
        if ref.uri != own_list:
            return None
        return queries.status_value(services.views, ref.certificate, ref.idx, today)

    return verify_token(
        token,
        jwks=jwks,
        status_list=None,
        now=services.registry.now(),
        retired=retired,
        live_status=live,
        issuer=signing.issuer,
    )


@router.post(
    "/v1/verifications",
    dependencies=[allow(*EVERYONE)],
    response_model=Verification,
    status_code=200,
)
async def verify(body: TokenToVerify, services: Svc) -> dict[str, Any]:
    """Verify a certificate token against the registry's keys and the certificate's
    status now. A token that is forged, expired, signed by a retired key, or for a
    certificate suspended, revoked or lapsed since is answered 200 with `valid: false` and
    every reason; only a body that is not `{"token": "..."}` is refused."""
    # In the event loop: a short read of the log and of the read models, and the
    # signature; a worker thread would wait for the interpreter lock behind the loop.
    return verify_live(services, body.token).as_dict()


@router.get(
    "/.well-known/jwks.json",
    dependencies=[allow(*EVERYONE)],
    response_model=JwkSet,
    response_class=JwkSetResponse,
    responses={200: {"headers": {"Cache-Control": {"schema": {"type": "string"}}}}},
)
def jwks(services: Svc) -> JwkSetResponse:
    """The public keys that sign tokens and status lists, as a JWK Set: with a status
    list, all a verifier needs; beside them, the keys that sign alerts to webhook endpoints
    (their `v1a` signatures). Keys that are retired are left out. The registry's own token
    verification reads only the token keys."""
    keys = services.signing.jwks()["keys"] + services.signing.jwks("webhook")["keys"]
    return JwkSetResponse(
        {"keys": keys}, headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
    )


@router.get(
    "/v1/status-lists/{id}",
    dependencies=[allow(*EVERYONE)],
    response_class=StatusListResponse,
    responses={
        200: {
            "description": "The signed status list (a JWT of type `statuslist+jwt`).",
            "content": {StatusListResponse.media_type: {"schema": {"type": "string"}}},
            "headers": {"Cache-Control": {"schema": {"type": "string"}}},
        }
    },
)
def status_list(id: ListId, services: Svc) -> StatusListResponse:
    """The signed status list of every certificate as it stands now (IETF Token Status
    List: 2 bits each, 0 valid, 1 invalid, 2 suspended). A token names its entry. It may
    be kept and relied on for the `ttl` it states (the policy's), as `Cache-Control` says."""
    if id != STATUS_LIST_ID:
        raise NotFound(f"no status list {id!r}: the registry's one list is {STATUS_LIST_ID}")
    ttl = services.registry.policy.status_list_ttl_seconds
    return StatusListResponse(
        services.signing.status_list(), headers={"Cache-Control": f"public, max-age={ttl}"}
    )

"""Routes: an agency's webhook endpoints and their deliveries. The agency for itself, and
the state; nobody else. A secret is in the answer that makes it and nowhere else."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from registry.alerts.endpoints import EndpointInfo
from registry.alerts.watches import WatchInfo
from registry.api.auth import Caller, Gate, in_agency
from registry.api.commands import command_id
from registry.api.services import Services, services_of
from registry.domain import rules
from registry.domain.access import ApiRole
from registry.domain.errors import NotFound, RuleViolation

router = APIRouter(prefix="/v1/agencies/{code}/webhooks", tags=["webhooks"])
Svc = Annotated[Services, Depends(services_of)]
Subscriber = Annotated[Caller, Depends(Gate(ApiRole.STATE, ApiRole.AGENCY))]
Code = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
EndpointId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^ep_[0-9a-f]+$")]
MsgId = Annotated[str, Path(min_length=5, max_length=64, pattern=r"^msg_[A-Za-z0-9_-]+$")]
WatchId = Annotated[str, Path(min_length=4, max_length=64, pattern=r"^wt_[0-9a-f]+$")]
NO_STORE = {"Cache-Control": "no-store"}


#: An endpoint as its agency sees it (never its secret; `fingerprint` tells the current
#: secret apart and is no secret).
Endpoint = EndpointInfo


@dataclass(frozen=True)
class WithSecret(EndpointInfo):
    """An endpoint just made or given a new secret: the secret (`whsec_...`) is shown in
    this answer only; `signing_key` is the kid of the webhook key that signs v1a now."""

    secret: str
    signing_key: str


class Register(BaseModel):
    model_config = {"extra": "forbid"}
    url: str = Field(min_length=1, max_length=2048)
    events: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20)


class Disable(BaseModel):
    model_config = {"extra": "forbid"}
    reason: str = Field(min_length=1, max_length=500)


class Attempt(BaseModel):
    attempt: int
    at: float
    duration_ms: float
    status: int | None
    error: str
    answer: str


class Delivery(BaseModel):
    msg_id: str
    event_type: str
    state: str
    attempts: int
    next_at: float
    made_at: float
    done_at: float | None
    body: dict[str, Any]
    tried: list[Attempt]


def _endpoint(services: Services, code: str, endpoint_id: str) -> EndpointInfo:
    found = [e for e in services.endpoints.of(code.upper()) if e.id == endpoint_id]
    if not found:
        raise NotFound(f"agency {code.upper()} has no webhook endpoint {endpoint_id}")
    return found[0]


def _secret_answer(services: Services, found: EndpointInfo, secret: str, status: int) -> Any:
    kid = services.signing.signer("webhook").kid
    body = WithSecret(**asdict(found), secret=secret, signing_key=kid)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=NO_STORE)


@router.post("", status_code=201, response_model=WithSecret)
def register(
    request: Request, code: Code, body: Register, services: Svc, caller: Subscriber
) -> Any:
    """Register an endpoint for the agency's alerts; the answer holds its secret, once.
    Sent again with the same Idempotency-Key, it is recorded once: the endpoint is
    answered (200) without the secret, which the first answer held."""
    in_agency(caller, code.upper())
    key = command_id(request, caller)
    found, secret = services.endpoints.register(code, body.url, body.events, caller.actor, key=key)
    if secret is None:
        return JSONResponse(jsonable_encoder(found), headers=NO_STORE)
    return _secret_answer(services, found, secret, 201)


@router.get("", response_model=list[Endpoint])
def endpoints(code: Code, services: Svc, caller: Subscriber) -> list[Endpoint]:
    """The agency's endpoints, disabled ones included, oldest first."""
    in_agency(caller, code.upper())
    return services.endpoints.of(code.upper())


@router.post("/{endpoint_id}/secret", response_model=WithSecret)
def rotate(code: Code, endpoint_id: EndpointId, services: Svc, caller: Subscriber) -> Any:
    """A new secret; the old one still signs, beside it, for 24 hours."""
    in_agency(caller, code.upper())
    _endpoint(services, code, endpoint_id)
    found, secret = services.endpoints.rotate(endpoint_id, caller.actor)
    return _secret_answer(services, found, secret, 200)


@router.post("/{endpoint_id}/disable", response_model=Endpoint)
def disable(
    code: Code, endpoint_id: EndpointId, body: Disable, services: Svc, caller: Subscriber
) -> Endpoint:
    """Send nothing more to the endpoint (its pending deliveries are cancelled)."""
    in_agency(caller, code.upper())
    _endpoint(services, code, endpoint_id)
    return services.endpoints.disable(endpoint_id, body.reason, caller.actor)


@router.get("/{endpoint_id}/deliveries", response_model=list[Delivery])
def deliveries(
    code: Code,
    endpoint_id: EndpointId,
    services: Svc,
    caller: Subscriber,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, each with every attempt."""
    in_agency(caller, code.upper())
    _endpoint(services, code, endpoint_id)
    return [Delivery(**d) for d in services.deliveries.latest(endpoint_id, limit)]


@router.post("/{endpoint_id}/deliveries/{msg_id}/replay", status_code=202,
             response_model=Delivery)  # fmt: skip
def replay(
    code: Code,
    endpoint_id: EndpointId,
    msg_id: MsgId,
    services: Svc,
    caller: Subscriber,
) -> Delivery:
    """Send a delivery again, with the same webhook-id, as soon as the worker comes to it."""
    in_agency(caller, code.upper())
    if not _endpoint(services, code, endpoint_id).enabled:
        raise RuleViolation(
            rules.WEBHOOK_DISABLED, f"endpoint {endpoint_id} is disabled: it is sent nothing"
        )
    return Delivery(**services.deliveries.replay(endpoint_id, msg_id))


# ------------------------------------------------------------------ candidates' watches

watch_router = APIRouter(prefix="/v1/agencies/{code}/watches", tags=["webhooks"])


#: A candidate an agency watches (it watches its own officers without asking).
Watch = WatchInfo


class StartWatch(BaseModel):
    model_config = {"extra": "forbid"}
    certificate_number: str = Field(min_length=1, max_length=64)
    post_number: str = Field(
        min_length=1, max_length=64,
        description="With the certificate number, what the candidate handed over: both "
        "together stand for the candidate's consent.",
    )  # fmt: skip


class EndWatch(BaseModel):
    model_config = {"extra": "forbid"}
    reason: str = Field(default="ended by the agency", min_length=1, max_length=500)


class WatchPage(BaseModel):
    items: list[Watch]
    total: int


@watch_router.post("", status_code=201, response_model=Watch)
def start_watch(code: Code, body: StartWatch, services: Svc, caller: Subscriber) -> Watch:
    """Watch a candidate for the policy's days at most (180 in Utah)."""
    in_agency(caller, code.upper())
    found = services.watches.start(code, body.certificate_number, body.post_number, caller.actor)
    return found


@watch_router.get("", response_model=WatchPage)
def watches(
    code: Code,
    services: Svc,
    caller: Subscriber,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> WatchPage:
    """The agency's watches of candidates, ended ones included, oldest first."""
    in_agency(caller, code.upper())
    found = services.watches.of(code.upper())
    return WatchPage(items=found[offset : offset + limit], total=len(found))


@watch_router.delete("/{watch_id}", response_model=Watch)
def end_watch(
    code: Code,
    watch_id: WatchId,
    services: Svc,
    caller: Subscriber,
    body: EndWatch | None = None,
) -> Watch:
    """End a watch now (its endpoints get a `watch.ending` alert)."""
    in_agency(caller, code.upper())
    if services.watches.get(watch_id).agency_code != code.upper():
        raise NotFound(f"agency {code.upper()} has no watch {watch_id}")
    reason = (body or EndWatch()).reason
    return services.watches.end(watch_id, reason, caller.actor)

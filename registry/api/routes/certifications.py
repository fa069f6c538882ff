"""Routes: certificates. Anyone may look one up; the state renews, suspends, reinstates and
revokes (an academy also renews); the state and the holder's agency get signed tokens.

The look-up is the registry's busiest request (every receiving department, every member
of the public): it reads one row of the read models and nothing else, and the public's
look-ups are answered by `PublicLookup` before FastAPI routes them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.access import Caller
from registry.api.auth import EVERYONE, Gate
from registry.api.commands import CommandResult, carry_out
from registry.api.routes.officers import ETAG_HEADER, in_scope, officer_of
from registry.api.services import Services, services_of
from registry.api.shapes import (
    CERTIFICATE_NUMBER,
    DATE_RANGE,
    IsoDate,
    body_of,
    command_from,
    in_range,
)
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.errors import NotFound
from registry.domain.officer import Officer
from registry.projections import queries
from registry.storage import DATABASE_ERRORS

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["certifications"])

Number = Annotated[
    str,
    Path(
        min_length=3,
        max_length=40,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The certificate number, e.g. UT-CIT-34A3XJM9.",
    ),
]
On = Annotated[
    IsoDate | None,
    Query(description=f"The date to answer for (default: today), {DATE_RANGE}."),
]
Svc = Annotated[Services, Depends(services_of)]

State = Annotated[Caller, Depends(Gate(ApiRole.STATE))]
Trainer = Annotated[Caller, Depends(Gate(ApiRole.STATE, ApiRole.ACADEMY))]
TokenTaker = Annotated[Caller, Depends(Gate(ApiRole.STATE, ApiRole.AGENCY))]
#: Roles that see every field of any certificate (an agency: of the officers it employs).
SEE_ALL = frozenset({ApiRole.STATE, ApiRole.AUDITOR})

RECORDED: dict[int | str, dict[str, Any]] = {201: {"model": CommandResult, "headers": ETAG_HEADER}}
RenewalBody = body_of(c.RenewCertificate, "number")
SuspensionBody = body_of(c.SuspendCertificate, "number")
ReinstatementBody = body_of(c.ReinstateCertificate, "number")
RevocationBody = body_of(c.RevokeCertificate, "number")

#: Headers of a look-up: it is never stale in a cache, and it differs by caller.
LOOKUP_HEADERS = {"Cache-Control": "no-cache", "Vary": "Authorization"}
LOOKUP_PREFIX = "/v1/certifications/"


class Token(BaseModel):
    """A signed verification token (a compact JWS of type `cit-certificate+jwt`)."""

    token: str


AnyCaller = Annotated[Caller, Depends(Gate(*EVERYONE))]


# ------------------------------------------------------------------ reads


def sees_all(services: Services, caller: Caller, status: queries.CertificationStatus) -> bool:
    """Whether the caller sees every field: the state, auditors, and the agency the holder
    serves today."""
    if caller.role in SEE_ALL:
        return True
    if caller.role is not ApiRole.AGENCY:
        return False
    today = services.today()
    if status.on != today:
        status = queries.certificate_status(services.views, status.number, today)
    return status.agency_code == caller.agency_code


@router.get(
    "/certifications/{number}",
    response_model=queries.PublicCertification | queries.CertificationStatus,
    responses={200: {"description": "The public view, or the full one (state, auditor, the "
                     "holder's agency)."}},
)  # fmt: skip
async def get_certification(
    number: Number, services: Svc, caller: AnyCaller, on: On = None
) -> Response:
    """A certificate's status on a date (default today): in force, suspended, revoked,
    expired, ... with its dates and holder. The public and academies see what a
    verification token shows; the state, auditors and the holder's agency see the full
    record (registry id, POST number, mandated, withheld, status-list entry)."""
    status = queries.certificate_status(services.views, number, on or services.today())
    if caller.role is not ApiRole.PUBLIC and sees_all(services, caller, status):
        body = status.model_dump_json()
    else:
        body = queries.public_view(status).model_dump_json()
    return Response(body, media_type="application/json", headers=LOOKUP_HEADERS)


class PublicLookup:
    """ASGI middleware: the public's look-ups of a certificate, answered before routing.

    A `GET /v1/certifications/{number}` with no key and no query but `on=YYYY-MM-DD`, for
    a certificate that is found, gets here exactly what the route would answer, without
    FastAPI's routing, dependencies and validation around the one read-model query; and
    the look-ups that arrive together are answered by one query (`Batch`). Anything else
    (a key, any other query, a malformed number or date, no such certificate, a database
    error) goes on to the route, which answers or refuses it as it does every request.
    """

    NUMBER = CERTIFICATE_NUMBER
    ON = re.compile(rb"on=(\d{4}-\d{2}-\d{2})")
    HEADERS = [
        (b"content-type", b"application/json"),
        *((name.lower().encode(), value.encode()) for name, value in LOOKUP_HEADERS.items()),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.batch = LOOKUPS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = None
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(LOOKUP_PREFIX)
        ):
            body = await self.answer(scope)
        if body is None:
            await self.app(scope, receive, send)
            return
        length = (b"content-length", str(len(body)).encode())
        await send(
            {"type": "http.response.start", "status": 200, "headers": [*self.HEADERS, length]}
        )
        await send({"type": "http.response.body", "body": body})

    async def answer(self, scope: Scope) -> bytes | None:
        """The public view of the certificate asked for, or None to leave it to the route."""
        number = scope["path"][len(LOOKUP_PREFIX) :]
        if not self.NUMBER.fullmatch(number) or any(
            name == b"authorization" for name, _ in scope["headers"]
        ):
            return None
        services: Services = scope["app"].state.services
        day = self.day(scope["query_string"]) if scope["query_string"] else services.today()
        if day is None:
            return None
        status = await self.batch.status(services, number.upper(), day)
        return None if status is None else queries.public_view(status).model_dump_json().encode()

    def day(self, query: bytes) -> date | None:
        """The date of `on=YYYY-MM-DD`, the only query answered here, if the API takes it."""
        found = self.ON.fullmatch(query)
        if found is None:
            return None
        try:
            day = date.fromisoformat(found.group(1).decode())
        except ValueError:
            return None
        return day if in_range(day) else None  # the route refuses a date out of range


Waiting = tuple[str, date, asyncio.Future[queries.CertificationStatus | None]]


class Batch:
    """Look-ups that arrive together, answered together: one read-model query for every
    `queries.MAX_NUMBERS` of them.

    The first look-up to wait asks the event loop to answer once the requests already
    read have asked theirs; under load a batch holds tens of look-ups, and alone a
    look-up waits for nothing but its own query. The queries run in the event loop: in a
    worker thread each would wait for the interpreter lock, up to 5 ms, behind the busy
    loop. A look-up is answered None (left to the route) if the query failed. A query sees
    everything committed before it, so everything before the look-up arrived.
    """

    def __init__(self) -> None:
        self.waiting: list[Waiting] = []

    async def status(
        self, services: Services, number: str, day: date
    ) -> queries.CertificationStatus | None:
        """Certificate `number` on `day`, or None if it is not found (or the query failed)."""
        loop = asyncio.get_running_loop()
        found: asyncio.Future[queries.CertificationStatus | None] = loop.create_future()
        if not self.waiting:
            loop.call_soon(self.answer, services)
        self.waiting.append((number, day, found))
        return await found

    def answer(self, services: Services) -> None:
        """Answer every look-up waiting now, with one query per date asked for."""
        waiting, self.waiting = self.waiting, []
        found: dict[tuple[str, date], queries.CertificationStatus] = {}
        try:
            for day in {day for _, day, _ in waiting}:
                numbers = [number for number, asked, _ in waiting if asked == day]
                statuses = queries.certificate_statuses(services.views, numbers, day)
                found |= {(number, day): status for number, status in statuses.items()}
        except DATABASE_ERRORS:
            log.warning("a batch of certificate look-ups failed; each goes to the route")
        finally:
            for number, day, future in waiting:
                if not future.done():
                    future.set_result(found.get((number, day)))


#: The public look-ups of this process: the JSON look-up's and the verification page's.
LOOKUPS = Batch()


def holder_of(services: Services, number: str) -> Officer:
    """The officer holding certificate `number` (404 if no one does)."""
    holder = officer_of(services, number)
    if number.strip().upper() not in holder.certificates:
        raise NotFound(f"no certificate {number!r}")
    return holder


@router.get(
    "/certifications/{number}/token",
    response_model=Token,
    responses={200: {"headers": {"Cache-Control": {"schema": {"type": "string"}}}}},
)
def token(number: Number, services: Svc, caller: TokenTaker) -> JSONResponse:
    """A signed token for a certificate in force today, for its holder to present: a
    receiving department verifies it offline with the JWK Set and the status list. The
    state, or the agency the holder serves, may ask; a certificate not in force is
    refused (422, rule `token-needs-certificate-in-force`)."""
    in_scope(caller, holder_of(services, number), services.today())
    signed = services.signing.issue_token(number.strip().upper())
    return JSONResponse(Token(token=signed).model_dump(), headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ commands


def certificate_command(
    services: Services,
    request: Request,
    caller: Caller,
    command: type[c.Command],
    body: BaseModel | None,
    number: str,
) -> JSONResponse:
    """Carry out a command about certificate `number` (404 if no one holds it). Who may
    renew is decided with the command (`registry.domain.authority`); the other commands
    are the state's alone."""
    holder_of(services, number)
    return carry_out(services, request, caller, command_from(command, body, number=number))


@router.post("/certifications/{number}/renewals", status_code=201, responses=RECORDED)
def renew(
    number: Number,
    request: Request,
    services: Svc,
    caller: Trainer,
    body: RenewalBody | None = None,  # type: ignore[valid-type]
) -> JSONResponse:
    """Renew a certificate for another cycle, from its previous expiry, once the holder has
    the continuing-education hours of the cycle. The state renews; an academy key renews
    only when its academy is state-certified on the renewal date and continuing education
    it recorded itself, at its academy, makes up the cycle's hours (else 403, rule
    `issuer-authority`). A suspended certificate is not renewed until the state reinstates
    it. The ETag is the holder's record version."""
    return certificate_command(services, request, caller, c.RenewCertificate, body, number)


@router.post("/certifications/{number}/suspensions", status_code=201, responses=RECORDED)
def suspend(
    number: Number,
    body: SuspensionBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """The state suspends a certificate, with a reason: not in force until reinstated."""
    return certificate_command(services, request, caller, c.SuspendCertificate, body, number)


@router.post("/certifications/{number}/reinstatements", status_code=201, responses=RECORDED)
def reinstate(
    number: Number,
    body: ReinstatementBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """The state lifts a suspension, with a reason."""
    return certificate_command(services, request, caller, c.ReinstateCertificate, body, number)


@router.post("/certifications/{number}/revocations", status_code=201, responses=RECORDED)
def revoke(
    number: Number,
    body: RevocationBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """The state revokes a certificate, with a reason. A revoked certificate cannot be
    renewed or reinstated."""
    return certificate_command(services, request, caller, c.RevokeCertificate, body, number)

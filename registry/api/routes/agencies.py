"""Routes: agencies and academies, and what an agency reads about its officers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from registry.api.auth import EVERYONE, READERS, Caller, Gate, allow, in_agency
from registry.api.commands import CommandResult, carry_out
from registry.api.services import Services, services_of
from registry.api.shapes import (
    DATE_RANGE,
    DEFAULT_LIMIT,
    IsoDate,
    Limit,
    Offset,
    Page,
    body_of,
    command_from,
    page,
)
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.projections import queries

router = APIRouter(prefix="/v1", tags=["agencies"])

Code = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
On = Annotated[
    IsoDate | None,
    Query(description=f"The date to answer for (default: today), {DATE_RANGE}."),
]
Svc = Annotated[Services, Depends(services_of)]
#: Who reads an agency's roster, coverage, expiring report and change feed.
AGENCY_READERS = (*READERS, ApiRole.AGENCY)
State = Annotated[Caller, Depends(Gate(ApiRole.STATE))]
AgencyReader = Annotated[Caller, Depends(Gate(*AGENCY_READERS))]
COMMAND: dict[int | str, dict[str, Any]] = {201: {"model": CommandResult}}
#: A command that changes what exists answers 200 (with the same receipt).
CHANGED: dict[int | str, dict[str, Any]] = {200: {"model": CommandResult}}

RegisterAgencyBody = body_of(c.RegisterAgency)
RegisterAcademyBody = body_of(c.RegisterAcademy)
UpdateAgencyBody = body_of(c.UpdateAgency, "code")
AcademyCertificationBody = body_of(c.ChangeAcademyCertification, "code")


class AgencyDetail(BaseModel):
    """An agency, its districts and shifts, and its tier on the date asked."""

    code: str
    name: str
    region: str
    districts: list[str]
    shifts: list[str]
    in_house_course: bool
    registered_on: date
    on: date
    tier: str
    officers_in_force: int


@router.post("/agencies", status_code=201, responses=COMMAND)
def register_agency(
    body: RegisterAgencyBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Register an agency under a code no other agency has."""
    command = command_from(c.RegisterAgency, body)
    return carry_out(services, request, caller, command, location=f"/v1/agencies/{command.code}")


@router.get("/agencies", response_model=Page[queries.AgencyTier], dependencies=[allow(*EVERYONE)])
def list_agencies(
    services: Svc, on: On = None, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, object]:
    """Every agency with its tier: state-certified, in-house only, or none."""
    return page(queries.tiers(services.views, on or services.today()), offset, limit)


@router.get("/agencies/{code}", response_model=AgencyDetail, dependencies=[allow(*EVERYONE)])
def get_agency(code: Code, services: Svc, on: On = None) -> AgencyDetail:
    """One agency, with its tier."""
    day = on or services.today()
    tier = queries.agency_tier(services.views, code, day)
    agency = services.registry.agency(tier.code)
    return AgencyDetail(
        code=agency.code,
        name=agency.name,
        region=agency.region,
        districts=list(agency.districts),
        shifts=list(agency.shifts),
        in_house_course=agency.in_house_course,
        registered_on=agency.registered_on,
        on=day,
        tier=tier.tier,
        officers_in_force=tier.officers_in_force,
    )


@router.patch("/agencies/{code}", responses=CHANGED)
def update_agency(
    code: Code,
    body: UpdateAgencyBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Change an agency's name, region, districts, shifts or in-house course."""
    command = command_from(c.UpdateAgency, body, code=code)
    return carry_out(services, request, caller, command, status=200)


@router.get("/agencies/{code}/roster", response_model=Page[queries.RosterOfficer])
def roster(
    code: Code,
    services: Svc,
    caller: AgencyReader,
    on: On = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, object]:
    """The agency's officers with their CIT credentials, district and shift."""
    in_agency(caller, code.upper())
    found = queries.roster(services.views, code, on or services.today())
    return page(found.officers, offset, limit)


@router.get("/agencies/{code}/coverage", response_model=queries.Coverage)
def coverage(code: Code, services: Svc, caller: AgencyReader, on: On = None) -> queries.Coverage:
    """Districts by shifts with the CIT officers in force in each, the gaps and the forecast."""
    in_agency(caller, code.upper())
    return queries.coverage(services.views, code, on or services.today(), services.registry.policy)


@router.get("/agencies/{code}/expiring", response_model=Page[queries.Expiring])
def expiring(
    code: Code,
    services: Svc,
    caller: AgencyReader,
    within_days: Annotated[int, Query(ge=0, le=730)] = 90,
    on: On = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, object]:
    """Certifications in force that expire within the window, soonest first, with the
    continuing-education hours each holder still lacks for renewal."""
    in_agency(caller, code.upper())
    found = queries.expiring(
        services.views, code, on or services.today(), within_days, services.registry.policy
    )
    return page(found, offset, limit)


class ChangePage(BaseModel):
    """Changes after the cursor; pass `next_after` as `after` to read on."""

    items: list[queries.Change]
    next_after: int


@router.get("/agencies/{code}/changes", response_model=ChangePage)
def changes(
    code: Code,
    services: Svc,
    caller: AgencyReader,
    after: Annotated[int, Query(ge=0, le=2**62, description="The cursor: a `seq`.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = DEFAULT_LIMIT,
) -> ChangePage:
    """The agency's change feed (issued, renewed, suspended, ... expired), read by cursor."""
    in_agency(caller, code.upper())
    items = queries.changes(services.views, code, after=after, limit=limit)
    return ChangePage(items=items, next_after=items[-1].seq if items else after)


# ------------------------------------------------------------------ academies


@router.post("/academies", status_code=201, responses=COMMAND, tags=["academies"])
def register_academy(
    body: RegisterAcademyBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Register a training academy, state-certified or not."""
    return carry_out(services, request, caller, command_from(c.RegisterAcademy, body))


@router.post(
    "/academies/{code}/certification", status_code=200, responses=CHANGED, tags=["academies"]
)
def change_academy_certification(
    code: Code,
    body: AcademyCertificationBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Certify an academy, or withdraw its state certification, with a reason."""
    command = command_from(c.ChangeAcademyCertification, body, code=code)
    return carry_out(services, request, caller, command, status=200)

"""The agency's read pages of the staff console: its officers, the certificates that expire
soon, its change feed, the coverage heat map and the 365-day forecast.

Each page asks what the API's agency routes ask (`registry.projections.queries`, on the
server's today and the registry's policy), with the same scope rule: an agency's records
clerk reads their own agency only; the state and auditors read any; academies none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from registry.api.auth import in_agency
from registry.api.routes.agencies import Code
from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.projections import forecast, queries
from registry.web import chart
from registry.web.pages import render
from registry.web.staff import NO_STORE, StaffCaller, StaffGate
from registry.web.words import status_words

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who reads an agency's pages: as the API's AGENCY_READERS.
Reader = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AUDITOR, ApiRole.AGENCY))]
#: The change feed's page length.
PAGE = 50
#: The pages of an agency, in the order the navigation lists them: (path, name).
PAGES = [
    ("", "Overview"),
    ("/roster", "Officers"),
    ("/expiring", "Expiring soon"),
    ("/changes", "Changes"),
    ("/coverage", "Coverage"),
    ("/forecast", "Forecast"),
    ("/webhooks", "Webhooks"),
    ("/watches", "Watches"),
]


def _agency(services: Services, caller: Any, code: str) -> dict[str, str]:
    """The agency's code and name, if the caller may read it: 403 for another agency's
    clerk (the API's `in_agency`), 404 if no agency has the code."""
    wanted = code.strip().upper()
    try:
        in_agency(caller, wanted)
    except HTTPException:
        raise HTTPException(
            403,
            f"Your account reads the records of agency {caller.agency_code} only. "
            f"Go to /staff/agencies/{caller.agency_code}, or ask the state program office.",
        ) from None
    name = queries.agency_name(services.views, wanted)
    if name is None:
        raise HTTPException(404, f"No agency is registered with the code {wanted}.")
    return {"code": wanted, "name": name}


def links(agency: dict[str, str]) -> list[tuple[str, str]]:
    """The agency pages' navigation: (path, name) of each."""
    base = f"/staff/agencies/{agency['code']}"
    return [(base + path, name) for path, name in PAGES]


def _page(request: Request, template: str, agency: dict[str, str], **context: Any) -> HTMLResponse:
    return render(request, template, 200, NO_STORE, agency=agency, links=links(agency), **context)


@router.get("/staff/agencies/{code}")
def overview(request: Request, code: Code, services: Svc, caller: Reader) -> HTMLResponse:
    """The agency's pages, with today's share of patrol officers holding CIT."""
    agency = _agency(services, caller, code)
    today = services.today()
    cover = queries.coverage(services.views, agency["code"], today, services.registry.policy)
    return _page(request, "console_agency.html", agency, title=agency["name"], today=today,
                 coverage=cover)  # fmt: skip


@router.get("/staff/agencies/{code}/roster")
def roster(request: Request, code: Code, services: Svc, caller: Reader) -> HTMLResponse:
    """Every officer of the agency today, with their district, shift and CIT credentials."""
    agency = _agency(services, caller, code)
    today = services.today()
    found = queries.roster(services.views, agency["code"], today)
    return _page(request, "console_roster.html", agency, title=f"Officers of {agency['name']}",
                 today=today, officers=found.officers, words=status_words)  # fmt: skip


@router.get("/staff/agencies/{code}/expiring")
def expiring(
    request: Request,
    code: Code,
    services: Svc,
    caller: Reader,
    within: Annotated[int, Query(ge=0, le=730)] = 90,
) -> HTMLResponse:
    """Certificates in force that expire within `within` days, with the CE hours lacking."""
    agency = _agency(services, caller, code)
    today, policy = services.today(), services.registry.policy
    found = queries.expiring(services.views, agency["code"], today, within, policy)
    return _page(request, "console_expiring.html", agency, title=f"Expiring soon: {agency['name']}",
                 today=today, within=within, items=found,
                 needed=policy.renewal_ce_hours)  # fmt: skip


@router.get("/staff/agencies/{code}/changes")
def changes(
    request: Request,
    code: Code,
    services: Svc,
    caller: Reader,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> HTMLResponse:
    """The agency's change feed, PAGE entries at a time after the cursor `after`."""
    agency = _agency(services, caller, code)
    items = queries.changes(services.views, agency["code"], after=after, limit=PAGE)
    more = items[-1].seq if len(items) == PAGE else None
    return _page(request, "console_changes.html", agency, title=f"Changes: {agency['name']}",
                 items=items, after=after, more=more, zone=services.settings.zone())  # fmt: skip


@router.get("/staff/agencies/{code}/coverage")
def coverage(request: Request, code: Code, services: Svc, caller: Reader) -> HTMLResponse:
    """Districts by shifts: each cell's CIT officers against its patrol officers and the
    target."""
    agency = _agency(services, caller, code)
    today, policy = services.today(), services.registry.policy
    cover = queries.coverage(services.views, agency["code"], today, policy)
    patrol = queries.patrol_by_cell(services.views, agency["code"], today)
    cells = {
        (c.district, c.shift): _cell(c.cit_officers, patrol.get((c.district, c.shift), 0),
                                     cover.target)
        for c in cover.cells
    }  # fmt: skip
    return _page(request, "console_coverage.html", agency, title=f"Coverage: {agency['name']}",
                 today=today, coverage=cover, cells=cells)  # fmt: skip


def _cell(certified: int, patrol: int, target: float) -> dict[str, Any]:
    share = certified / patrol if patrol else 0.0
    if patrol == 0:
        kind = "empty"
    elif share >= target:
        kind = "met"
    else:
        kind = "below"
    return {"certified": certified, "patrol": patrol, "share": share, "kind": kind}


@router.get("/staff/agencies/{code}/forecast")
def forecast_page(request: Request, code: Code, services: Svc, caller: Reader) -> HTMLResponse:
    """How coverage falls over the next 365 days if no certificate is renewed: a chart of
    the agency's share and, for each cell, the day it drops below the target."""
    agency = _agency(services, caller, code)
    today, policy = services.today(), services.registry.policy
    found = forecast.load(services.views, agency["code"], today, policy.coverage_target)
    return _page(request, "console_forecast.html", agency, title=f"Forecast: {agency['name']}",
                 today=today, forecast=found, chart=chart.share_chart(found))  # fmt: skip

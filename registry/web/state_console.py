"""The state office's console pages: statewide coverage by region and the late separation
reports.

Both read the whole registry (`registry.projections.statewide`), so only the state program
office and auditors may open them; an agency's clerk and training staff are refused (403).
Coverage is counted as the agency coverage page counts it, for every agency at once; a
separation is late when it was recorded more than the policy's reporting days after it
took effect.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from registry.api.services import Services, services_of
from registry.api.shapes import DATE_RANGE, in_range
from registry.domain.access import ApiRole
from registry.projections import statewide
from registry.web.pages import render
from registry.web.staff import NO_STORE, StaffCaller, StaffGate

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who reads the statewide pages: the state program office and auditors.
StateReader = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AUDITOR))]
#: Late separations listed on one page.
PAGE = 50
#: The statewide pages, in the order their navigation lists them: (path, name).
LINKS = [("/staff/coverage", "Coverage by region"), ("/staff/separations/late", "Late separations")]
CODE = re.compile(r"[A-Z0-9-]{1,40}")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return render(request, template, status, NO_STORE, links=LINKS, **context)


def asked_day(text: str, today: date) -> date:
    """The date of `?on=` (today if none); 422 if it is not a date the registry takes."""
    text = text.strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10:
        raise ValueError(f"“{text}” is not a date. Choose a day, or write it as YYYY-MM-DD, as "
                         f"{today.isoformat()}.")  # fmt: skip
    if not in_range(day):
        raise ValueError(f"Give a date {DATE_RANGE}.")
    return day


@router.get("/staff/coverage")
def coverage(
    request: Request,
    services: Svc,
    caller: StateReader,
    on: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """Every agency's patrol officers and those with CIT in force on a day (today unless
    `on` says), by region, with region and state totals against the target."""
    today = services.today()
    title = "Coverage by region"
    try:
        day = asked_day(on, today)
    except ValueError as e:
        return _page(request, "console_state_coverage.html", 422, title=title, today=today,
                     on=on.strip(), error=str(e), state=None)  # fmt: skip
    target = services.registry.policy.coverage_target
    views = services.views
    found = statewide.remembered(
        views, ("coverage", day, target), lambda: statewide.coverage(views, day, target)
    )
    return _page(request, "console_state_coverage.html", title=title, today=today,
                 on=on.strip(), error="", state=found)  # fmt: skip


@router.get("/staff/separations/late")
def late_separations(
    request: Request,
    services: Svc,
    caller: StateReader,
    agency: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """Separations recorded more than the allowed days after they took effect, newest
    first, PAGE at a time; how many each agency reported late; `agency` shows one's."""
    code = agency.strip().upper()
    if code and not CODE.fullmatch(code):
        raise HTTPException(422, "An agency code is letters, digits and hyphens, as NORTHPD.")
    views = services.views
    names = statewide.agency_names(views)
    if code and code not in names:
        raise HTTPException(404, f"No agency is registered with the code {code}.")
    allowed = services.registry.policy.separation_report_days
    zone = services.settings.zone()
    found = statewide.remembered(
        views,
        ("late", str(zone), allowed),
        lambda: statewide.late_separations(views, zone, allowed),
    )
    counts = sorted(Counter(s.agency_code for s in found).items(), key=lambda c: (-c[1], c[0]))
    shown = [s for s in found if s.agency_code == code] if code else found
    pages = max(1, -(-len(shown) // PAGE))
    if page > pages:
        raise HTTPException(
            404, f"There is no page {page}: the list has {pages} page{'s' if pages != 1 else ''}."
        )
    items = shown[(page - 1) * PAGE : page * PAGE]
    return _page(
        request,
        "console_state_late.html",
        title="Late separation reports",
        allowed=allowed,
        total=len(found),
        counts=counts,
        names=names,
        code=code,
        shown=len(shown),
        items=items,
        officers=statewide.officers(views, (s.officer_id for s in items)),
        page=page,
        pages=pages,
        first=(page - 1) * PAGE + 1,
        zone=zone,
    )

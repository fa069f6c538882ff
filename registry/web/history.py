"""The auditor's view of an officer in the staff console: every event with its effective
date, when it was recorded and by whom; and "what did the registry say on DATE": the
record as it stood at the end of that day beside what the registry says of that same
day now, each difference marked with the event, recorded later, that made it.

Both sides come from the application service's own reads (`Registry.status` and
`Registry.history`, with `as_recorded_at`), as the API's officer routes read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from registry.api.routes.officers import cutoff, scoped_officer
from registry.api.services import Services, services_of
from registry.api.shapes import DATE_RANGE, in_range
from registry.application import HistoryEntry, OfficerStatus, Registry
from registry.domain.access import ApiRole
from registry.domain.errors import InvalidInput
from registry.web.pages import render
from registry.web.staff import NO_STORE, StaffCaller, StaffGate
from registry.web.words import credential_name, status_words

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who reads an officer's history: the state and auditors, and an agency for its own.
HistoryReader = Annotated[
    StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AUDITOR, ApiRole.AGENCY))
]


def facts(status: OfficerStatus | None) -> dict[str, str]:
    """What a record says, field by field, in words (nothing if it was not recorded yet)."""
    if status is None:
        return {}
    said = {
        "Name": status.name,
        "POST number": status.post_number,
        "Agency": status.agency_code or "none",
        "District": status.district or "none",
        "Shift": status.shift or "none",
        "POST status": status.post_status.value if status.post_status else "none",
        "Withheld from the public": "yes" if status.withheld else "no",
    }
    for cert in status.certificates:
        name = f"Certificate {cert.number} ({credential_name(cert.credential)})"
        said[f"{name}: status"] = status_words(cert.status).label
        said[f"{name}: issued"] = cert.issued_on.isoformat() if cert.issued_on else "not yet"
        said[f"{name}: expires"] = cert.expires_on.isoformat() if cert.expires_on else "none"
        if cert.reason:
            said[f"{name}: reason"] = cert.reason
    return said


@dataclass(frozen=True)
class Difference:
    field: str
    then: str | None  # None: the record did not say it then
    now: str | None
    made_by: HistoryEntry | None  # the later-recorded event after which it reads as now


def compare(registry: Registry, officer_id: str, day: date, moment: datetime) -> list[Difference]:
    """Each field the record of `day`, as held at `moment`, says otherwise today, with the
    event recorded after `moment` that changed it (the last one to change it)."""
    steps = registry.statuses_since(officer_id, on=day, since=moment)
    said = [facts(status) for _, status in steps]
    before, after = said[0], said[-1]
    found = []
    for field in [*before, *(f for f in after if f not in before)]:
        if before.get(field) == after.get(field):
            continue
        made_by = None
        for (entry, _), older, newer in zip(steps[1:], said, said[1:], strict=False):
            if older.get(field) != newer.get(field):
                made_by = entry
        found.append(Difference(field, before.get(field), after.get(field), made_by))
    return found


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"“{text}” is not a date: write it as YYYY-MM-DD.") from None
    if not in_range(day):
        raise InvalidInput(f"Give a date {DATE_RANGE}.")
    return day


@router.get("/staff/officers")
def find_officer(
    caller: HistoryReader, ref: Annotated[str, Query(min_length=1, max_length=64)]
) -> RedirectResponse:
    """The console's look-up form: an officer by POST number, certificate number or id."""
    return RedirectResponse(f"/staff/officers/{quote(ref.strip(), safe='')}", status_code=303)


@router.get("/staff/officers/{ref}")
async def officer_history(
    request: Request,
    ref: str,
    services: Svc,
    caller: HistoryReader,
    as_recorded_on: Annotated[str, Query(max_length=40)] = "",
    before: Annotated[int | None, Query(ge=2, le=10**9)] = None,
) -> HTMLResponse:
    """An officer's history; with `as_recorded_on`, the record as held at the end of that
    day beside what the registry says of that day now; with `before`, the record of the
    day event `before` was recorded, as held just before it was."""
    today = services.today()
    error: str | None
    try:
        day = _day(as_recorded_on)
    except InvalidInput as e:
        day, error = None, e.message
    else:
        error = None
    if day is not None and day >= today:
        day, error = None, "Give a day that is over: before today."

    zone = services.settings.zone()

    def read() -> tuple[OfficerStatus, list[HistoryEntry], list[Difference] | None, Any]:
        officer_id = str(scoped_officer(services, caller, ref).id)
        registry = services.registry
        history = registry.history(officer_id)
        asked, moment = day, cutoff(services, day)
        target = None
        if before is not None and before <= len(history):
            target = history[before - 1]
            asked = target.recorded_at.astimezone(zone).date()
            moment = history[before - 2].recorded_at
        differences = None
        if asked is not None and moment is not None:
            differences = compare(registry, officer_id, asked, moment)
        return registry.status(officer_id), history, differences, (asked, target)

    status, history, differences, (day, target) = await run_in_threadpool(read)
    if before is not None and target is None:
        error = f"The record has no version {before}."
    return render(
        request,
        "console_history.html",
        headers=NO_STORE,
        title=f"History of {status.name}",
        officer=status,
        history=history,
        asked=as_recorded_on.strip(),
        day=day,
        differences=differences,
        error=error,
        before=target,
        zone=zone,
    )

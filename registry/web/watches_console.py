"""The console's page for an agency's watches of candidates: officers it does not employ
whose changes it is sent while it considers hiring them (`registry.alerts.watches`).

- `GET /staff/agencies/{code}/watches`: the agency's watches, active ones (certificate
  number, started, the day they end) each with a form that ends it with a reason, then
  ended ones (when and why); and the form that starts one.
- `POST /staff/agencies/{code}/watches`: start a watch, by the candidate's certificate
  number and POST number together (what the candidate handed over: their consent).
- `POST /staff/agencies/{code}/watches/{watch_id}/end`: end one now, saying why.

Who may use them is who may use the API's watch routes (`watch_router`): an agency's
records clerk for their own agency (another agency's: 403, as the other agency pages
answer), the state for any agency; auditors and academies get 403. Another agency's watch
through one's own path is not found (404), as in the API. They go through the same service
(`Services.watches`) with the same checks: a refusal of the two numbers does not say which
was wrong, the agency's own officer is refused, and so is a second active watch of the same
candidate (a form sent twice shows that refusal; this process starts one watch at a time,
so two sent at once do not both pass the check). Every form carries the session's form token
(without it: 403, nothing changed); a refusal is shown beside its field, with what was typed
kept; every page is `Cache-Control: no-store`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from registry.alerts.watches import WatchInfo
from registry.api.routes.agencies import Code
from registry.api.routes.webhooks import WatchId
from registry.api.services import Services, services_of
from registry.domain import rules
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, NotFound, RuleViolation
from registry.web.admin_console import Posted, picked, read_reason
from registry.web.agency_console import _agency as agency_of
from registry.web.agency_console import links
from registry.web.staff import StaffCaller, StaffGate, page, redirect, session_form_token

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who uses this page: as the API's watch routes (`Subscriber`), the agency for itself.
Watcher = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AGENCY))]
#: As the API's `StartWatch`: each number's length.
NUMBER_LENGTH = 64
NOTICES = {
    "started": "The watch is started: until it ends, the registry sends this agency's webhook "
    "endpoints the candidate's changes.",
    "ended": "The watch is ended: the registry sends this agency's webhook endpoints a "
    "watch.ending alert, and nothing more about the candidate.",
}
#: The same words whichever of the two numbers was wrong (the service says no more).
UNKNOWN = (
    "No certificate with that number is held under that POST number. Check both numbers "
    "with the candidate."
)
AT_ONCE = "Someone changed this watch at the same moment. Check it below, then try again."


def _base(agency: dict[str, str]) -> str:
    return f"/staff/agencies/{agency['code']}/watches"


def _refusal(error: RuleViolation, agency: dict[str, str]) -> str:
    """A rule's refusal of a start, in words, with the rule's name."""
    if error.rule == rules.WATCH_EXISTS:
        said = (f"{agency['name']} watches this candidate already: the watch is listed under "
                "Active watches, with the day it ends")  # fmt: skip
    elif error.rule == rules.WATCH_EMPLOYER:
        said = (f"{agency['name']} employs this officer: it is sent their changes already, "
                "without a watch")  # fmt: skip
    else:
        said = error.detail[:1].upper() + error.detail[1:]
    return f"{said}. (Rule: {error.rule})"


def _ended_said(error: RuleViolation) -> str:
    if error.rule == rules.WATCH_ENDED:
        return f"This watch has ended already: there is nothing to end. (Rule: {error.rule})"
    detail = error.detail[:1].upper() + error.detail[1:]
    return f"{detail}. (Rule: {error.rule})"


@router.get("/staff/agencies/{code}/watches")
def watches(
    request: Request,
    code: Code,
    services: Svc,
    caller: Watcher,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The agency's watches, active then ended, and the form that starts one."""
    agency = agency_of(services, caller, code)
    return _list_page(request, services, agency, notice=NOTICES.get(done, ""))


def _list_page(
    request: Request, services: Services, agency: dict[str, str], status: int = 200,
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    notice: str = "",
) -> HTMLResponse:  # fmt: skip
    every = services.watches.of(agency["code"])
    active = sorted((w for w in every if w.active), key=lambda w: (w.ends_on, w.started_on))
    ended = sorted((w for w in every if not w.active), key=_ended_on, reverse=True)
    sending = any(e.enabled for e in services.endpoints.of(agency["code"]))
    return page(request, "console_watches.html", status, agency=agency, links=links(agency),
                base=_base(agency), title=f"Watches: {agency['name']}", active=active,
                ended=ended, today=services.today(), sending=sending,
                days=services.registry.policy.candidate_watch_days,
                typed={"certificate_number": "", "post_number": "", **(typed or {})},
                errors=errors or {}, notice=notice,
                form_token=session_form_token(request))  # fmt: skip


def _ended_on(watch: WatchInfo) -> date:
    """The day a watch stopped holding: the day it was ended, or its last day."""
    return watch.ended_on or watch.ends_on


@router.post("/staff/agencies/{code}/watches")
def start(request: Request, code: Code, services: Svc, caller: Watcher, form: Posted) -> Response:
    """Watch a candidate by both numbers, for the policy's days at most."""
    agency = agency_of(services, caller, code)
    typed = {name: value.strip() for name, value in
             picked(form, "certificate_number", "post_number").items()}  # fmt: skip
    errors: dict[str, str] = {}
    for name, words in (("certificate_number", "certificate number"),
                        ("post_number", "POST number")):  # fmt: skip
        if not typed[name]:
            errors[name] = f"Enter the candidate's {words}."
        elif len(typed[name]) > NUMBER_LENGTH:
            errors[name] = (f"A {words} has at most {NUMBER_LENGTH} characters "
                            f"(this is {len(typed[name])}).")  # fmt: skip
    if not errors:
        try:
            # Sent twice at once, one start is recorded: the other is refused as a watch
            # that exists (the agency's nth watch of a candidate has one id).
            services.watches.start(agency["code"], typed["certificate_number"],
                                   typed["post_number"], caller.actor)  # fmt: skip
        except NotFound:
            errors["certificate_number"] = UNKNOWN
        except RuleViolation as e:
            errors["certificate_number"] = _refusal(e, agency)
        else:
            return redirect(f"{_base(agency)}?done=started")
    return _list_page(request, services, agency, 422, typed, errors)


@router.post("/staff/agencies/{code}/watches/{watch_id}/end")
def end(
    request: Request, code: Code, watch_id: WatchId, services: Svc, caller: Watcher,
    form: Posted,
) -> Response:  # fmt: skip
    """End a watch now, saying why (its endpoints get a `watch.ending` alert)."""
    agency = agency_of(services, caller, code)
    if services.watches.get(watch_id).agency_code != agency["code"]:
        raise NotFound(f"Agency {agency['code']} has no watch {watch_id}.")
    name = f"reason-{watch_id}"
    typed: dict[str, Any] = picked(form, name)
    errors: dict[str, str] = {}
    reason = read_reason(typed, name, errors, "Say why the watch ends.")
    if not errors:
        try:
            services.watches.end(watch_id, reason, caller.actor)
        except RuleViolation as e:
            errors[name] = _ended_said(e)
        except (Conflict, IntegrityError):
            errors[name] = AT_ONCE
        else:
            return redirect(f"{_base(agency)}?done=ended")
    return _list_page(request, services, agency, 422, typed, errors)

"""The staff console's forms: one for every command of the API (`actions.ACTIONS`).

- `/staff/do`: what the signed-in person may do, and where to find an officer.
- `/staff/do/{action}?officer=|number=|code=`: the form, about that officer, certificate,
  agency or academy. It carries the record's version when it was opened and a key of its
  own; sending it is `Registry.execute` with the person's actor (`user:<id>`), that key as
  the command id (sent twice, recorded once: the second answer is the first's) and the
  version as the expected version (changed meanwhile: nothing is written, the form says
  what changed and may be sent again).
- A refusal is shown beside the field it concerns, with the rule's name and sentence,
  and every value typed is kept.
- `/staff/receipts/{id}/{version}`: what was recorded, its log position and its proof.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from registry.api.problems import STATUSES
from registry.api.routes.officers import in_scope, officer_of
from registry.api.services import Services, services_of
from registry.domain import rules
from registry.domain.commands import SeparateOfficer
from registry.domain.errors import (
    IdempotencyConflict,
    NotFound,
    RegistryError,
    RuleViolation,
    StaleVersion,
)
from registry.domain.events import event_details, json_value
from registry.domain.officer import Officer
from registry.projections import queries
from registry.staff import StaffCaller
from registry.web import fields
from registry.web.actions import BY_SLUG, Action, for_role
from registry.web.staff import (
    SESSION,
    SignedIn,
    check_form,
    cookie_of,
    page,
    read_form,
    session_form_token,
)
from registry.web.staff import redirect as see_other

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
Ref = Annotated[str, Query(max_length=64)]

#: The field a refusal by each rule concerns (a rule of the whole record: none, shown at
#: the top of the form).
RULE_FIELDS = {
    rules.FUTURE_DATE: "effective_on",
    rules.DATE_ORDER: "completed_on",
    rules.DISTRICT_SHIFT: "district",
    rules.AGENCY_UNIQUE: "code",
    rules.ACADEMY_UNIQUE: "code",
    rules.POST_NUMBER_UNIQUE: "post_number",
    rules.CERTIFICATE_NUMBER_UNIQUE: "number",
    rules.CORRECTION_TARGET: "corrects_version",
    rules.HOURS: "hours",
    rules.REASON: "reason",
    rules.VOLUNTEER: "volunteered",
    rules.TRANSFER_ELSEWHERE: "agency_code",
    rules.ALREADY_CERTIFIED: "credential",
    rules.PATROL_ROLE: "credential",
    rules.TELECOMMUNICATOR_ROLE: "credential",
    rules.ISSUER_AUTHORITY: "credential",
}
#: The subject field's label, by what the form is about.
SUBJECT_LABELS = {
    "officer": "Officer: POST number, certificate number or registry id",
    "certificate": "Certificate number",
    "agency": "Agency code",
    "academy": "Academy code",
}
#: How many events one command saves at most (its record's, the claims it makes, its
#: command record).
SAVED_TOGETHER = 8
#: The forms about an officer that a caller outside the officer's record may send: the
#: academy's first training of them, the agency receiving them.
OUTSIDE_SCOPE = ("training", "transfer")
SUBJECT_FIELDS = {"officer": "officer", "certificate": "number", "agency": "code",
                  "academy": "code"}  # fmt: skip


def _action(slug: str, caller: StaffCaller) -> Action:
    action = BY_SLUG.get(slug)
    if action is None:
        raise HTTPException(404, "The console has no such form.")
    if caller.role not in action.roles:
        raise HTTPException(403, f"The {caller.role.value} role may not {action.title.lower()}.")
    return action


def _fields(action: Action) -> list[fields.Field]:
    skip = (SUBJECT_FIELDS[action.about],) if action.about else ()
    return fields.fields_of(action.command, skip)


# ------------------------------------------------------------------ subjects


def _subject(services: Services, caller: StaffCaller, action: Action, ref: str) -> dict[str, Any]:
    """What the form is about, as the form shows it: its reference (sent back with the
    form), version, and a line in words. NotFound if there is no such record."""
    ref = ref.strip()
    if action.about in ("officer", "certificate"):
        officer = officer_of(services, ref)
        if action.about == "certificate" and ref.upper() not in officer.certificates:
            raise NotFound(f"No certificate has the number {ref}.")
        value = ref.upper() if action.about == "certificate" else str(officer.id)
        return {"ref": value, "version": officer.version, "officer": officer,
                "words": _officer_words(services, caller, officer)}  # fmt: skip
    code = ref.upper()
    if action.about == "agency":
        agency = services.registry.agency(code)
        return {"ref": code, "version": agency.version, "words": f"{agency.name} ({code})"}
    academy = services.registry.academy(code)
    return {"ref": code, "version": academy.version, "words": f"{academy.name} ({code})"}


def _in_scope(services: Services, caller: StaffCaller, officer: Officer) -> bool:
    """Whether the caller may read the officer's record (the API's `in_scope`)."""
    try:
        in_scope(caller, officer, services.today())
    except HTTPException:
        return False
    return True


def _officer_words(services: Services, caller: StaffCaller, officer: Officer) -> str:
    """The officer's name and POST number, to a caller who may read their record; to an
    agency or academy that may not (yet), the POST number only (as the API answers)."""
    if not _in_scope(services, caller, officer):
        return f"POST number {officer.post_number}"
    agency = officer.agency_on(services.today()) or "no agency"
    return f"{officer.name}, POST number {officer.post_number} ({agency})"


# ------------------------------------------------------------------ pages


@router.get("/staff/do")
def menu(request: Request, services: Svc, caller: SignedIn, officer: Ref = "") -> Response:
    """What the person may record; with `officer`, what they may record about that officer
    and each of their certificates."""
    subject, error = None, ""
    about_officer = for_role(caller.role, "officer")
    if officer.strip():
        try:
            found = officer_of(services, officer.strip())
        except NotFound as e:
            error = e.message
        else:
            mine = _in_scope(services, caller, found)
            subject = {"officer": found, "words": _officer_words(services, caller, found),
                       "certificates": sorted(found.certificates) if mine else []}  # fmt: skip
            if not mine:  # only what brings the officer into the caller's scope
                about_officer = [a for a in about_officer if a.slug in OUTSIDE_SCOPE]
    return page(request, "console_do.html", 404 if error else 200, title="Record something",
                caller=caller, actions=for_role(caller.role), subject=subject, asked=officer,
                error=error, about_officer=about_officer,
                about_certificate=for_role(caller.role, "certificate"))  # fmt: skip


@router.get("/staff/do/{slug}")
def form_page(
    request: Request,
    slug: str,
    services: Svc,
    caller: SignedIn,
    officer: Ref = "",
    number: Ref = "",
    code: Ref = "",
) -> Response:
    """The form of one command, about the record the address names (if any)."""
    action = _action(slug, caller)
    ref = {"officer": officer, "certificate": number}.get(action.about or "", code)
    values = {f.name: f.default for f in _fields(action)}
    errors: dict[str, str] = {}
    subject = None
    if action.about and ref.strip():
        try:
            subject = _subject(services, caller, action, ref)
        except NotFound as e:
            errors["subject"] = e.message
        values["subject"] = ref.strip()
    return _form(request, services, caller, action, values, errors, subject,
                 404 if errors else 200)  # fmt: skip


def _form(
    request: Request,
    services: Services,
    caller: StaffCaller,
    action: Action,
    values: dict[str, str],
    errors: dict[str, str],
    subject: dict[str, Any] | None,
    status: int = 200,
    stale: list[Any] | None = None,
    key: str | None = None,
) -> HTMLResponse:
    today = services.today()
    deadline, report_days = None, services.registry.policy.separation_report_days
    if action.command is SeparateOfficer:
        deadline = today - timedelta(days=report_days)
    return page(request, "console_form.html", status, title=action.title, action=action,
                fields=_fields(action), values=values, errors=errors, subject=subject,
                subject_label=SUBJECT_LABELS.get(action.about or "", ""),
                form_token=session_form_token(request), key=key or secrets.token_urlsafe(18),
                today=today.isoformat(), stale=stale, deadline=deadline,
                report_days=report_days)  # fmt: skip


@router.post("/staff/do/{slug}")
async def submit(request: Request, slug: str, services: Svc, caller: SignedIn) -> Response:
    """Send the form: its command, carried out for the signed-in person; then what was
    recorded. Refused: the form again, each refusal beside its field."""
    action = _action(slug, caller)
    form = await read_form(request)
    check_form(cookie_of(request, SESSION), form)
    return await run_in_threadpool(_carry_out, request, services, caller, action, form)


def _carry_out(
    request: Request, services: Services, caller: StaffCaller, action: Action,
    form: dict[str, str],
) -> Response:  # fmt: skip
    shown = _fields(action)
    values = {f.name: form.get(f.name, "") for f in shown}
    values["subject"] = form.get("subject", "")
    key = form.get("key", "")
    if not 16 <= len(key) <= 64 or not key.replace("-", "").replace("_", "").isalnum():
        key = secrets.token_urlsafe(18)

    def again(errors: dict[str, str], status: int, subject: Any = None, **more: Any) -> Response:
        return _form(request, services, caller, action, values, errors, subject, status,
                     key=more.pop("new_key", key), **more)  # fmt: skip

    subject = None
    data: dict[str, Any] = {}
    if action.about:
        if not values["subject"].strip():
            return again({"subject": f"Enter the {SUBJECT_LABELS[action.about].lower()}."}, 422)
        try:
            subject = _subject(services, caller, action, values["subject"])
        except NotFound as e:
            return again({"subject": e.message}, 404)
        data[SUBJECT_FIELDS[action.about]] = subject["ref"]
    try:
        data.update(fields.read(shown, form))
    except fields.Unreadable as e:
        return again(e.errors, 422, subject)
    today = services.today()
    future = {n: v for n, v in data.items() if isinstance(v, date) and v > today}
    if future:
        said = f"A date after today ({today.isoformat()}) cannot be recorded."
        return again({n: said for n in future}, 422, subject)
    try:
        command = action.command.model_validate(data)
    except ValidationError as e:
        return again(fields.errors_of(e, shown), 422, subject)
    try:
        action.scope(services, caller, command)
    except HTTPException as e:
        return again({"": f"Your account may not do this: {e.detail}."}, 403, subject)
    except NotFound as e:
        return again({"subject": e.message}, 404, subject)
    seen = _version(form.get("version", ""))
    try:
        receipt = services.registry.execute(
            command, caller.actor, command_id=f"{caller.actor.id}:{key}",
            expected_version=seen if action.about else None,
        )  # fmt: skip
    except StaleVersion:
        fresh = _subject(services, caller, action, values["subject"])
        changed = _changes(services, caller, fresh, seen)
        return again({}, 409, fresh, stale=changed)
    except IdempotencyConflict:
        said = ("This form was already sent with other values, and those were recorded. "
                "Check the record, then send this form again to record these too.")  # fmt: skip
        return again({"": said}, 409, subject, new_key=secrets.token_urlsafe(18))
    except RegistryError as e:
        return again(_refusal(e, shown), _status(e), subject)
    services.settled(receipt.position)
    query = {} if receipt.replayed else {"position": receipt.position}
    if receipt.replayed:
        query["replayed"] = 1
    return see_other(f"/staff/receipts/{receipt.id}/{receipt.version}?{urlencode(query)}")


def _version(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


def _status(error: RegistryError) -> int:
    return next(s for cls, s, _ in STATUSES if isinstance(error, cls))


def _refusal(error: RegistryError, shown: list[fields.Field]) -> dict[str, str]:
    """A refusal beside its field: the rule's sentence and name, as the API's problem says."""
    if isinstance(error, RuleViolation):
        names = {f.name for f in shown}
        field = RULE_FIELDS.get(error.rule, "")
        if field == "completed_on" and "completed_on" not in names:
            field = "taken_on" if "taken_on" in names else ""
        said = f"{error.detail[:1].upper()}{error.detail[1:]}. (Rule: {error.rule})"
        return {field if field in names else "": said}
    return {"": f"{error.message[:1].upper()}{error.message[1:]}"}


def _changes(
    services: Services, caller: StaffCaller, subject: dict[str, Any], seen: int | None
) -> list[Any]:
    """What was recorded about the subject after the version the form was opened at (to a
    caller who may read the officer's record)."""
    officer = subject.get("officer")
    if officer is None or seen is None or not _in_scope(services, caller, officer):
        return []
    return [e for e in services.registry.history(str(officer.id)) if e.version > seen]


# ------------------------------------------------------------------ receipts


@router.get("/staff/receipts/{record}/{version}")
def receipt(
    request: Request,
    record: UUID,
    version: Annotated[int, Path(ge=1, le=10**9)],
    services: Svc,
    caller: SignedIn,
    position: Annotated[int | None, Query(ge=1, le=10**12)] = None,
    replayed: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """What a command recorded: the event, who recorded it and when, the record's new
    version and the event's log position, with a link to its proof of inclusion. Shown to
    whoever recorded it, and to the state and auditors."""
    app = services.registry
    event = None
    officer = app.stored(record, Officer)
    if position is None and officer is not None:
        found = [e for e in _timeline(services, record) if e.version == version]
        position = found[0].position if found else None
    if position is not None:
        event, position = _event_at(services, record, version, position)
    if event is None or not _may_see(caller, event):
        raise HTTPException(404, "No such record was made, or not by you.")
    details = json.loads(json.dumps(event_details(event), default=json_value))
    officer_ref = None if officer is None else str(record)
    about = None if officer is None else _officer_words(services, caller, officer)
    return page(request, "console_receipt.html", title="Recorded", event=event,
                name=event_words(type(event).__name__), details=details, position=position,
                version=version, replayed=bool(replayed), officer_ref=officer_ref,
                about=about, zone=services.settings.zone(), caller=caller)  # fmt: skip


def event_words(name: str) -> str:
    """`TrainingRecorded` as `Training recorded`."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    return spaced[:1].upper() + spaced[1:]


def _event_at(
    services: Services, record: UUID, version: int, position: int
) -> tuple[Any, int | None]:
    """The event of `record` at `version`, saved with the command whose last event is at
    `position` (a command saves its record's event with the records it claims, such as a
    POST number's, in one transaction), and its own position."""
    app = services.registry
    start = max(1, position - SAVED_TOGETHER + 1)
    for notification in app.recorder.select_notifications(start=start, limit=SAVED_TOGETHER):
        if notification.id > position:
            break
        if notification.originator_id == record and notification.originator_version == version:
            return app.mapper.to_domain_event(notification), notification.id
    return None, None


def _timeline(services: Services, record: UUID) -> list[Any]:
    return queries.timeline(services.views, str(record))


def _may_see(caller: StaffCaller, event: Any) -> bool:
    actor = getattr(event, "actor", None)
    if caller.role.value in ("state", "auditor"):
        return True
    return actor is not None and actor.id == caller.actor.id

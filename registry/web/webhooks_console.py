"""The console's pages for an agency's webhook endpoints: where the registry sends the
agency's alerts.

- `/staff/agencies/{code}/webhooks`: the agency's endpoints (URL, kinds of change, on or
  disabled and why, registered on, the secret's fingerprint) and the form that registers one.
- `/staff/agencies/{code}/webhooks/{id}`: one endpoint, its latest deliveries with every
  attempt (status, duration) and a button to send one again; the forms that rotate its
  secret and disable it.

Who may use them is who may use the API's webhook routes (`registry.api.routes.webhooks`):
an agency's records clerk for their own agency (another agency's: 403, as the other agency
pages answer), and the state for any agency; auditors and academies get 403. They go
through the same services (`Services.endpoints`, `Services.deliveries`) with the same
checks. Every form carries the session's form token (without it: 403, nothing changed). A
secret is shown once, on the page that answers the registration or the rotation (with
`Cache-Control: no-store`, as every console page), and nowhere else: not in the list, not
in a log line. A refusal is shown beside its field, with what was typed kept.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.alerts.addresses import check_url
from registry.alerts.endpoints import OLD_SECRET_LIFETIME, EndpointInfo
from registry.api.routes.agencies import Code
from registry.api.routes.webhooks import EndpointId, MsgId
from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.domain.webhooks import SUBSCRIBABLE, check_events
from registry.web.admin_console import Posted, picked, read_reason
from registry.web.agency_console import _agency as agency_of
from registry.web.agency_console import links
from registry.web.staff import (
    SESSION,
    StaffCaller,
    StaffGate,
    check_form,
    cookie_of,
    page,
    read_form,
    redirect,
    session_form_token,
)

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who uses these pages: as the API's webhook routes (`Subscriber`), the agency for itself.
Subscriber = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AGENCY))]
#: As the API's `Register`: the URL's length, how many kinds of change, each name's length.
URL_LENGTH, MOST_EVENTS, EVENT_LENGTH = 2048, 20, 64
#: How many of an endpoint's latest deliveries its page shows.
LATEST = 25
#: The kinds of change an endpoint may be sent, in words (a kind not named here is shown
#: by its name).
EVENT_WORDS = {
    "certificate.issued": "A certificate is issued",
    "certificate.renewed": "A certificate is renewed",
    "certificate.suspended": "A certificate is suspended",
    "certificate.reinstated": "A certificate is reinstated",
    "certificate.revoked": "A certificate is revoked",
    "certificate.expired": "A certificate expires",
    "officer.separated": "An officer leaves the agency",
    "officer.transferred": "An officer transfers in",
    "officer.post_status_changed": "An officer's POST status changes",
    "record.corrected": "A record is corrected",
    "watch.ending": "A watch on a candidate ends",
}
#: A delivery's state, in words.
STATES = {
    "pending": ("Waiting", "waiting"),
    "delivered": ("Delivered", "on"),
    "failed": ("Failed: no more tries", "off"),
    "cancelled": ("Cancelled: the endpoint was disabled", "off"),
}
NOTICES = {
    "disabled": "The endpoint is disabled: the registry sends it nothing more.",
    "replayed": "The delivery is queued again, with the same webhook-id: the registry sends "
    "it as soon as its sender comes to it.",
    "registered": "This form was sent before: the endpoint was registered then, once, and its "
    "secret shown then. Rotate the secret if it was not copied.",
}
AT_ONCE = "Someone changed this endpoint at the same moment. Check it below, then try again."


def _kinds() -> list[tuple[str, str]]:
    """Every kind of change an endpoint may be sent: (event type, words), in name order."""
    return [(kind, EVENT_WORDS.get(kind, kind)) for kind in sorted(SUBSCRIBABLE)]


def _base(agency: dict[str, str]) -> str:
    return f"/staff/agencies/{agency['code']}/webhooks"


def _page(
    request: Request, template: str, agency: dict[str, str], status: int = 200, **context: Any
) -> HTMLResponse:
    return page(request, template, status, agency=agency, links=links(agency),
                base=_base(agency), kinds=_kinds(), every=len(SUBSCRIBABLE),
                **context)  # fmt: skip


def _said(error: Exception) -> str:
    """A refusal's words, as a sentence (a rule's with its name)."""
    if isinstance(error, RuleViolation):
        text = f"{error.detail}. (Rule: {error.rule})"
    else:
        text = getattr(error, "message", str(error))
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", ")")) else text + "."


async def posted_lists(request: Request) -> dict[str, list[str]]:
    """A form sent to these pages with every value of each field (the kinds of change are
    checkboxes of one name), refused with 403 unless it carries the session's token."""
    first = await read_form(request)
    check_form(cookie_of(request, SESSION), first)
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


PostedLists = Annotated[dict[str, list[str]], Depends(posted_lists)]


# ------------------------------------------------------------------ the list


@router.get("/staff/agencies/{code}/webhooks")
def endpoints(request: Request, code: Code, services: Svc, caller: Subscriber) -> HTMLResponse:
    """The agency's endpoints, disabled ones included, oldest first; and the form that
    registers one (every kind of change ticked)."""
    agency = agency_of(services, caller, code)
    return _list_page(request, services, agency)


def _list_page(
    request: Request, services: Services, agency: dict[str, str], status: int = 200,
    typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    typed = typed or {"url": "", "events": sorted(SUBSCRIBABLE)}
    return _page(request, "console_webhooks.html", agency, status,
                 title=f"Webhooks: {agency['name']}",
                 endpoints=services.endpoints.of(agency["code"]), typed=typed,
                 errors=errors or {}, form_token=session_form_token(request),
                 key=typed.get("key") or secrets.token_urlsafe(18))  # fmt: skip


@router.post("/staff/agencies/{code}/webhooks")
def register(
    request: Request, code: Code, services: Svc, caller: Subscriber, form: PostedLists
) -> Response:
    """Register an endpoint; the answer shows its secret, once. The form sent again (its
    key the same) registers nothing more: it leads to the endpoint made the first time."""
    agency = agency_of(services, caller, code)
    url = (form.get("url") or [""])[0].strip()
    events = [e.strip() for e in form.get("events", []) if e.strip()]
    key = (form.get("key") or [""])[0]
    if not 16 <= len(key) <= 64 or not key.replace("-", "").replace("_", "").isalnum():
        key = secrets.token_urlsafe(18)
    typed = {"url": url, "events": events, "key": key}
    errors: dict[str, str] = {}
    if not url:
        errors["url"] = "Enter the URL the registry sends the alerts to (https://...)."
    elif len(url) > URL_LENGTH:
        errors["url"] = f"Keep the URL to {URL_LENGTH} characters (this is {len(url)})."
    if not events:
        errors["events"] = "Choose at least one kind of change to be sent."
    elif len(events) > MOST_EVENTS or any(len(e) > EVENT_LENGTH for e in events):
        errors["events"] = "Choose among the kinds of change listed."
    else:
        try:
            check_events(events)
        except InvalidInput as e:
            errors["events"] = _said(e)
    if errors and "url" not in errors:  # the URL's refusal too, not one after the other
        try:
            check_url(url, allow_loopback=services.registry.settings.webhooks_allow_loopback)
        except InvalidInput as e:
            errors["url"] = _said(e)
    if not errors:
        try:
            found, secret = services.endpoints.register(
                agency["code"], url, events, caller.actor, key=f"console:{key}"
            )
        except (InvalidInput, RuleViolation, NotFound) as e:
            errors["url"] = _said(e)
        else:
            if secret is None:  # sent twice (a double click, back and send again)
                return RedirectResponse(
                    f"/staff/agencies/{agency['code']}/webhooks/{found.id}?done=registered",
                    status_code=303,
                )
            return _secret_page(request, services, agency, found, secret, made=True)
    in_order: dict[str, str] = {n: errors[n] for n in ("url", "events") if n in errors}
    return _list_page(request, services, agency, 422, typed, in_order)


def _secret_page(
    request: Request, services: Services, agency: dict[str, str], found: EndpointInfo,
    secret: str, made: bool,
) -> HTMLResponse:  # fmt: skip
    title = "Webhook endpoint registered" if made else "New signing secret"
    return _page(request, "console_webhooks_secret.html", agency, title=title, info=found,
                 secret=secret, made=made, signing_key=services.signing.signer("webhook").kid,
                 old_hours=OLD_SECRET_LIFETIME // 3600)  # fmt: skip


# ------------------------------------------------------------------ one endpoint


def _endpoint(services: Services, agency: dict[str, str], endpoint_id: str) -> EndpointInfo:
    """The agency's endpoint `endpoint_id` (another agency's is not found, as in the API)."""
    found = [e for e in services.endpoints.of(agency["code"]) if e.id == endpoint_id]
    if not found:
        raise NotFound(f"Agency {agency['code']} has no webhook endpoint {endpoint_id}.")
    return found[0]


@router.get("/staff/agencies/{code}/webhooks/{endpoint_id}")
def endpoint(
    request: Request,
    code: Code,
    endpoint_id: EndpointId,
    services: Svc,
    caller: Subscriber,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """One endpoint, its latest deliveries with their attempts, and the forms that rotate
    its secret and disable it."""
    agency = agency_of(services, caller, code)
    return _endpoint_page(request, services, agency, endpoint_id, notice=NOTICES.get(done, ""))


def _endpoint_page(
    request: Request, services: Services, agency: dict[str, str], endpoint_id: str,
    status: int = 200, typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, notice: str = "",
) -> HTMLResponse:  # fmt: skip
    found = _endpoint(services, agency, endpoint_id)
    zone = services.settings.zone()
    deliveries = [_delivery(d, zone) for d in services.deliveries.latest(found.id, LATEST)]
    return _page(request, "console_webhooks_endpoint.html", agency, status,
                 title=f"Webhook endpoint {found.id}", info=found, deliveries=deliveries,
                 latest=LATEST, typed=typed or {}, errors=errors or {}, notice=notice,
                 form_token=session_form_token(request))  # fmt: skip


def _delivery(found: dict[str, Any], zone: Any) -> dict[str, Any]:
    """A delivery as its page shows it: its moments in the registry's zone, its state in
    words, each attempt's outcome."""

    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC).astimezone(zone)

    words, tone = STATES.get(found["state"], (found["state"].capitalize(), "waiting"))
    tried = [
        {"attempt": t["attempt"], "at": at(t["at"]), "status": t["status"], "error": t["error"],
         "ms": round(t["duration_ms"])}
        for t in found["tried"]
    ]  # fmt: skip
    return {"msg_id": found["msg_id"], "event_type": found["event_type"],
            "state": found["state"], "words": words, "tone": tone, "made_at": at(found["made_at"]),
            "next_at": at(found["next_at"]) if found["state"] == "pending" else None,
            "done_at": at(found["done_at"]), "tried": tried}  # fmt: skip


@router.post("/staff/agencies/{code}/webhooks/{endpoint_id}/secret")
def rotate(
    request: Request, code: Code, endpoint_id: EndpointId, services: Svc, caller: Subscriber,
    form: Posted,
) -> HTMLResponse:  # fmt: skip
    """A new secret, shown once; the old one still signs beside it for a day."""
    agency = agency_of(services, caller, code)
    _endpoint(services, agency, endpoint_id)
    try:
        found, secret = services.endpoints.rotate(endpoint_id, caller.actor)
    except RuleViolation as e:
        return _endpoint_page(request, services, agency, endpoint_id, 422, {},
                              {"rotate": _said(e)})  # fmt: skip
    except (Conflict, IntegrityError):
        return _endpoint_page(request, services, agency, endpoint_id, 409, {},
                              {"rotate": AT_ONCE})  # fmt: skip
    return _secret_page(request, services, agency, found, secret, made=False)


@router.post("/staff/agencies/{code}/webhooks/{endpoint_id}/disable")
def disable(
    request: Request, code: Code, endpoint_id: EndpointId, services: Svc, caller: Subscriber,
    form: Posted,
) -> Response:  # fmt: skip
    """Send the endpoint nothing more, saying why."""
    agency = agency_of(services, caller, code)
    _endpoint(services, agency, endpoint_id)
    typed = picked(form, "reason")
    errors: dict[str, str] = {}
    reason = read_reason(typed, "reason", errors, "Say why the endpoint is disabled.")
    if not errors:
        try:
            services.endpoints.disable(endpoint_id, reason, caller.actor)
        except RuleViolation as e:
            errors["reason"] = _said(e)
        except (Conflict, IntegrityError):
            errors["reason"] = AT_ONCE
        else:
            return redirect(f"{_base(agency)}/{endpoint_id}?done=disabled")
    return _endpoint_page(request, services, agency, endpoint_id, 422, typed, errors)


@router.post("/staff/agencies/{code}/webhooks/{endpoint_id}/deliveries/{msg_id}/replay")
def replay(
    request: Request, code: Code, endpoint_id: EndpointId, msg_id: MsgId, services: Svc,
    caller: Subscriber, form: Posted,
) -> Response:  # fmt: skip
    """Send a delivery again, with the same webhook-id (not to a disabled endpoint)."""
    agency = agency_of(services, caller, code)
    if not _endpoint(services, agency, endpoint_id).enabled:
        said = f"Endpoint {endpoint_id} is disabled: it is sent nothing, so nothing is sent again."
        return _endpoint_page(request, services, agency, endpoint_id, 422, {},
                              {"deliveries": said})  # fmt: skip
    services.deliveries.replay(endpoint_id, msg_id)  # NotFound: another endpoint's, or none
    return redirect(f"{_base(agency)}/{endpoint_id}?done=replayed")

"""The state office's console pages for staff accounts and API keys.

`/staff/users` lists every account and has the form that makes one; `/staff/users/{id}`
shows one account and what was done to it, with the forms that change its role or scope,
make a new set-password link, reset its second factor and disable it. `/staff/keys` lists
every API key and has the form that makes one; `/staff/keys/{id}` shows one key and the
form that revokes it.

Only the state may use them (auditors, agencies and academies get 403; no one signed in
401). Every form carries the session's form token, without which a POST is refused with
403 and changes nothing; what a form records is recorded as the signed-in person
(`user:<id>`). A set-password link and a whole key are shown once, on the page that
answers the form, and written nowhere else. A refusal is shown beside its field, with what
was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from registry.access import KeyInfo
from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.domain.staff import ROLE_UNCHANGED, check_email
from registry.domain.values import Actor
from registry.staff import StaffCaller
from registry.web.staff import (
    SESSION,
    StaffGate,
    check_form,
    cookie_of,
    page,
    read_form,
    redirect,
    session_form_token,
    staff_of,
)

router = APIRouter(include_in_schema=False)
StateStaff = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE))]
Svc = Annotated[Services, Depends(services_of)]
#: An account's or a key's id, as it is written in a path.
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
#: The roles a form offers, in the words the pages use.
ROLES = {
    ApiRole.STATE: "State CIT program office",
    ApiRole.AUDITOR: "Auditor",
    ApiRole.AGENCY: "Agency (one agency's records)",
    ApiRole.ACADEMY: "Academy (one academy's training)",
}
#: An agency or academy code: letters, digits and hyphens.
CODE_LENGTH = 40
REASON_LENGTH = 500
NAME_LENGTH = 200
#: What an account's or a key's page says after a change (`?done=`).
NOTICES = {
    "role": "The role was changed. Their sessions have ended: they sign in again to use it.",
    "disabled": "The account is disabled. Its sessions have ended and it cannot sign in.",
    "second-factor": "The second factor was reset. Their sessions have ended; they set up a "
    "new one at their next sign-in.",
    "revoked": "The key is revoked: the registry refuses it from now on.",
}
#: What a change refused because another was saved at the same moment says.
AT_ONCE = "Someone changed this account at the same moment. Check it below, then try again."


async def posted(request: Request) -> dict[str, str]:
    """A form sent to these pages, refused with 403 unless it carries the session's token."""
    form = await read_form(request)
    check_form(cookie_of(request, SESSION), form)
    return form


Posted = Annotated[dict[str, str], Depends(posted)]


@dataclass(frozen=True)
class Scope:
    """A role and the agency or academy it acts for, as a form gives them."""

    role: ApiRole
    agency_code: str | None = None
    academy_code: str | None = None

    @property
    def field(self) -> str:
        """The form field naming the scope (where a refusal of it is shown)."""
        return "academy_code" if self.role is ApiRole.ACADEMY else "agency_code"

    @property
    def code(self) -> str:
        return self.academy_code or self.agency_code or ""


def read_scope(typed: dict[str, str], errors: dict[str, str], what: str) -> Scope | None:
    """The role and scope of an account or key (`what`); refusals go into `errors`."""
    role = next((r for r in ROLES if r.value == typed.get("role", "")), None)
    codes = {f: typed.get(f, "").strip().upper() for f in ("agency_code", "academy_code")}
    if role is None:
        errors["role"] = f"Choose the role of the {what}."
        return None
    wanted = {ApiRole.AGENCY: "agency_code", ApiRole.ACADEMY: "academy_code"}.get(role)
    for name, code in codes.items():
        kind = name.split("_")[0]
        if name == wanted and not code:
            errors[name] = f"Enter the code of the {kind} this {what} acts for."
        elif name != wanted and code:
            article = "An" if role.value[0] in "aeiou" else "A"
            errors[name] = f"{article} {role.value} {what} names no {kind}: leave this empty."
        elif code and (len(code) > CODE_LENGTH or not code.replace("-", "").isalnum()):
            errors[name] = f"An {kind} code is letters, digits and hyphens, at most 40."
    if errors.keys() & codes.keys():
        return None
    return Scope(role, codes["agency_code"] or None, codes["academy_code"] or None)


def read_reason(typed: dict[str, str], name: str, errors: dict[str, str], ask: str) -> str:
    reason = typed.get(name, "").strip()
    if not reason:
        errors[name] = ask
    elif len(reason) > REASON_LENGTH:
        errors[name] = f"Say it in at most {REASON_LENGTH} characters (this is {len(reason)})."
    return reason


def picked(form: dict[str, str], *names: str) -> dict[str, str]:
    """What was typed into the fields `names`, to show again beside a refusal."""
    return {name: form.get(name, "") for name in names}


def scope_unknown(scope: Scope) -> str:
    kind = "academy" if scope.role is ApiRole.ACADEMY else "agency"
    return f"No {kind} is registered with the code {scope.code}. Check the code and try again."


# ------------------------------------------------------------------ accounts


@router.get("/staff/users")
def users(request: Request, caller: StateStaff) -> HTMLResponse:
    """Every staff account ever made, and the form that makes one."""
    return _users_page(request)


def _users_page(
    request: Request, status: int = 200, typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    return page(request, "console_users.html", status, title="Staff accounts",
                users=staff_of(request).list(), roles=ROLES, typed=typed or {},
                errors=errors or {}, form_token=session_form_token(request))  # fmt: skip


@router.post("/staff/users")
def create_user(request: Request, caller: StateStaff, form: Posted) -> HTMLResponse:
    """Make an account; the answer shows its set-password link, once."""
    typed = picked(form, "email", "role", "agency_code", "academy_code")
    errors: dict[str, str] = {}
    email = typed["email"].strip()
    if not email:
        errors["email"] = "Enter the e-mail address of the person the account is for."
    else:
        try:
            check_email(email)
        except InvalidInput:
            errors["email"] = "Enter an e-mail address like name@agency.example.gov."
    scope = read_scope(typed, errors, "account")
    if scope is not None and not errors:
        try:
            link, info = staff_of(request).create(
                email, scope.role, caller.actor, agency_code=scope.agency_code,
                academy_code=scope.academy_code,
            )  # fmt: skip
        except Conflict:
            errors["email"] = "There is already an account for this address: find it in the list."
        except NotFound:
            errors[scope.field] = scope_unknown(scope)
        except InvalidInput as e:
            errors["role"] = e.message
        else:
            return page(request, "console_users_made.html", title="Account created", info=info,
                        link=link, roles=ROLES, made=True)  # fmt: skip
    return _users_page(request, 422, typed, errors)


@router.get("/staff/users/{user_id}")
def account(
    request: Request,
    caller: StateStaff,
    user_id: Id,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """One account: its facts, what was done to it and by whom, and the forms that change it."""
    return _account_page(request, caller, user_id, notice=NOTICES.get(done, ""))


def _account_page(
    request: Request, caller: StaffCaller, user_id: str, status: int = 200,
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None, notice: str = "",
) -> HTMLResponse:  # fmt: skip
    staff = staff_of(request)
    info = staff.get(user_id)
    history = staff.history(user_id)
    services: Services = request.app.state.services
    typed = typed or {}
    role_values = typed if "role" in typed else {
        "role": info.role.value, "agency_code": info.agency_code or "",
        "academy_code": info.academy_code or "",
    }  # fmt: skip
    names = {f"user:{u.user_id}": u.email for u in staff.list()}  # who did what, in words
    return page(request, "console_users_account.html", status, title=info.email, info=info,
                history=history, names=names, own=info.user_id == caller.user_id, roles=ROLES,
                typed=typed, role_values=role_values, errors=errors or {}, notice=notice,
                form_token=session_form_token(request), zone=services.settings.zone())  # fmt: skip


@router.post("/staff/users/{user_id}/role")
def change_role(request: Request, caller: StateStaff, form: Posted, user_id: Id) -> Response:
    """Give the account another role or scope, saying why; its sessions end."""
    staff = staff_of(request)
    staff.get(user_id)  # 404 for an account that does not exist
    typed = picked(form, "role", "agency_code", "academy_code", "role_reason")
    errors: dict[str, str] = {}
    scope = read_scope(typed, errors, "account")
    reason = read_reason(typed, "role_reason", errors, "Say why the role changes.")
    if scope is not None and not errors:
        try:
            staff.change_role(user_id, scope.role, caller.actor, reason=reason,
                              agency_code=scope.agency_code,
                              academy_code=scope.academy_code)  # fmt: skip
        except NotFound:
            errors[scope.field] = scope_unknown(scope)
        except RuleViolation as e:
            errors["role" if e.rule == ROLE_UNCHANGED else "role_reason"] = _said(e)
        except Conflict:
            errors["role_reason"] = AT_ONCE
        except InvalidInput as e:
            errors["role"] = e.message
        else:
            return redirect(f"/staff/users/{user_id}?done=role")
    return _account_page(request, caller, user_id, 422, typed, errors)


@router.post("/staff/users/{user_id}/disable")
def disable(request: Request, caller: StateStaff, form: Posted, user_id: Id) -> Response:
    """Disable the account, saying why: it cannot sign in again, and its sessions end."""
    return _with_reason(request, caller, form, user_id, "disable_reason",
                        "Say why the account is disabled.", staff_of(request).disable,
                        "disabled")  # fmt: skip


@router.post("/staff/users/{user_id}/link")
def new_link(request: Request, caller: StateStaff, form: Posted, user_id: Id) -> HTMLResponse:
    """A new set-password link for a lost password, shown once; earlier links stop working."""
    staff = staff_of(request)
    info = staff.get(user_id)
    try:
        link = staff.new_link(user_id, caller.actor)
    except (RuleViolation, InvalidInput) as e:
        return _account_page(request, caller, user_id, 422, {}, {"link": _said(e)})
    except Conflict:
        return _account_page(request, caller, user_id, 409, {}, {"link": AT_ONCE})
    return page(request, "console_users_made.html", title="New set-password link", info=info,
                link=link, roles=ROLES, made=False)  # fmt: skip


@router.post("/staff/users/{user_id}/second-factor")
def reset_second_factor(
    request: Request, caller: StateStaff, form: Posted, user_id: Id
) -> Response:
    """Forget the account's second factor (a lost phone), saying why; its sessions end."""
    return _with_reason(request, caller, form, user_id, "reset_reason",
                        "Say why the second factor is reset.",
                        staff_of(request).reset_second_factor, "second-factor")  # fmt: skip


def _with_reason(
    request: Request, caller: StaffCaller, form: dict[str, str], user_id: str, field: str,
    ask: str, act: Callable[[str, str, Actor], object], done: str,
) -> Response:  # fmt: skip
    """A change to an account that needs only a reason (typed into `field`): `act` it,
    then back to the account's page saying `done`; refused, the reason beside its field."""
    staff_of(request).get(user_id)  # 404 for an account that does not exist
    typed = picked(form, field)
    errors: dict[str, str] = {}
    reason = read_reason(typed, field, errors, ask)
    if not errors:
        try:
            act(user_id, reason, caller.actor)
        except RuleViolation as e:
            errors[field] = _said(e)
        except Conflict:
            errors[field] = AT_ONCE
        else:
            return redirect(f"/staff/users/{user_id}?done={done}")
    return _account_page(request, caller, user_id, 422, typed, errors)


def _said(error: RuleViolation | InvalidInput) -> str:
    """A refusal's words, as a sentence."""
    text = error.detail if isinstance(error, RuleViolation) else error.message
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# ------------------------------------------------------------------ API keys


@router.get("/staff/keys")
def keys(request: Request, caller: StateStaff, services: Svc) -> HTMLResponse:
    """Every API key ever made, revoked ones included, and the form that makes one."""
    return _keys_page(request, services)


def _keys_page(
    request: Request, services: Services, status: int = 200,
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    return page(request, "console_keys.html", status, title="API keys", keys=services.keys.list(),
                roles=ROLES, typed=typed or {}, errors=errors or {},
                form_token=session_form_token(request))  # fmt: skip


@router.post("/staff/keys")
def create_key(request: Request, caller: StateStaff, form: Posted, services: Svc) -> HTMLResponse:
    """Make an API key; the answer shows the whole key, once."""
    typed = picked(form, "name", "role", "agency_code", "academy_code")
    errors: dict[str, str] = {}
    name = typed["name"].strip()
    if not name:
        errors["name"] = "Enter who holds the key: a system or a team."
    elif len(name) > NAME_LENGTH:
        errors["name"] = f"Keep the name to {NAME_LENGTH} characters (this is {len(name)})."
    scope = read_scope(typed, errors, "key")
    if scope is not None and not errors:
        try:
            key, info = services.keys.create(
                scope.role, caller.actor, name=name, agency_code=scope.agency_code,
                academy_code=scope.academy_code,
            )  # fmt: skip
        except NotFound:
            errors[scope.field] = scope_unknown(scope)
        except InvalidInput as e:
            errors["role"] = e.message
        else:
            return page(request, "console_keys_made.html", title="API key created", info=info,
                        key=key, roles=ROLES)  # fmt: skip
    return _keys_page(request, services, 422, typed, errors)


@router.get("/staff/keys/{key_id}")
def key(
    request: Request,
    caller: StateStaff,
    services: Svc,
    key_id: Id,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """One API key, and the form that revokes it."""
    return _key_page(request, services, key_id, notice=NOTICES.get(done, ""))


def _key_page(
    request: Request, services: Services, key_id: str, status: int = 200,
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None, notice: str = "",
) -> HTMLResponse:  # fmt: skip
    info = _key(services, key_id)
    return page(request, "console_keys_key.html", status, title=f"API key {info.key_id}",
                info=info, roles=ROLES, typed=typed or {}, errors=errors or {}, notice=notice,
                form_token=session_form_token(request))  # fmt: skip


def _key(services: Services, key_id: str) -> KeyInfo:
    found = next((k for k in services.keys.list() if k.key_id == key_id), None)
    if found is None:
        raise NotFound(f"No API key has the id {key_id}.")
    return found


@router.post("/staff/keys/{key_id}/revoke")
def revoke_key(
    request: Request, caller: StateStaff, form: Posted, services: Svc, key_id: Id
) -> Response:
    """Revoke the key, saying why: the registry refuses it from now on."""
    _key(services, key_id)
    typed = picked(form, "reason")
    errors: dict[str, str] = {}
    reason = read_reason(typed, "reason", errors, "Say why the key is revoked.")
    if not errors:
        try:
            services.keys.revoke(key_id, reason, caller.actor)
        except RuleViolation as e:
            errors["reason"] = _said(e)
        else:
            return redirect(f"/staff/keys/{key_id}?done=revoked")
    return _key_page(request, services, key_id, 422, typed, errors)

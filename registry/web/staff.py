"""The staff console's doors: sign in, set a password from a link, the second factor,
sign out, and the signed-in landing page (`/staff`). The logic is `registry.staff`;
these routes read forms and cookies and render pages.

Two cookies, both `HttpOnly` and `SameSite=Strict`, `Secure` (and `__Host-`-named) when
the registry's issuer is https: the session (`cit_staff`) and, before a session exists,
a random value that the sign-in and set-password forms' tokens are tied to
(`cit_staff_form`). Every form that changes something carries a token tied to one of
them; a POST without a valid one is refused with 403 and changes nothing.

For later console pages: `SignedIn` (any staff role) or
`Annotated[StaffCaller, Depends(StaffGate(*roles))]` gives the signed-in `StaffCaller`,
refusing with 401 (not signed in) or 403 (role), as the API's `Gate` does for keys;
`MaybeSignedIn` gives the session or None. (Spelled out, not built by a function call, so
that a type checker reads it as a type.)
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from registry.api.auth import EVERYONE, Allow, allow
from registry.domain.access import ApiRole
from registry.domain.errors import InvalidInput, NotFound
from registry.staff import Refusal, SessionView, Staff, StaffCaller, Stage
from registry.staff import totp as totp_codes
from registry.staff.accounts import form_token, form_token_ok
from registry.web.pages import render
from registry.web.qr import qr_svg

router = APIRouter(include_in_schema=False, dependencies=[allow(*EVERYONE)])

SESSION, FORM = "cit_staff", "cit_staff_form"
#: Staff pages are about one person: never kept by a cache.
NO_STORE = {"Cache-Control": "no-store"}
#: The roles of staff (everyone but the public).
STAFF_ROLES = tuple(r for r in ApiRole if r is not ApiRole.PUBLIC)
#: What the sign-in page says after a redirect to it.
NOTICES = {
    "password-set": "Your password is set. Sign in with it now.",
    "signed-out": "You have signed out.",
}
#: The refusal of a form without its token.
STALE_FORM = (
    "This form has expired or did not come from this site, so nothing was changed. "
    "Go back, reload the page and try again."
)
_lock = threading.Lock()


# ------------------------------------------------------------------ cookies


def cookie_name(base: str, secure: bool) -> str:
    """`__Host-` names a cookie only a secure origin can set, for the whole host."""
    return f"__Host-{base}" if secure else base


def cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    """A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, and Secure over https. No
    Max-Age: the cookie lasts until the browser closes; the server ends idle sessions."""
    parts = [f"{cookie_name(name, secure)}={value}", "HttpOnly", "Path=/", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def secure_of(request: Request) -> bool:
    return bool(staff_of(request).issuer.startswith("https://"))


def cookie_of(request: Request, name: str) -> str | None:
    value = request.cookies.get(cookie_name(name, secure_of(request)))
    return value if value and len(value) <= 100 else None


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.headers.append("set-cookie", cookie_header(name, value, secure=secure_of(request)))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    header = cookie_header(name, "", secure=secure_of(request), max_age=0)
    response.headers.append("set-cookie", header)


# ------------------------------------------------------------- dependencies


def staff_of(request: Request) -> Staff:
    """The accounts service of the app serving `request`, opened on first use."""
    state = request.app.state
    found: Staff | None = getattr(state, "staff", None)
    if found is None:
        with _lock:
            found = getattr(state, "staff", None)
            if found is None:
                services = state.services
                found = state.staff = Staff(services.registry, services.views)
    return found


def current(request: Request) -> SessionView | None:
    """The session the request's cookie names (at any stage), or None."""
    return staff_of(request).session(cookie_of(request, SESSION))


MaybeSignedIn = Annotated[SessionView | None, Depends(current)]


class StaffGate(Allow):
    """A console page's roles, as a dependency that returns the signed-in person or
    refuses: 401 when no one is signed in (or only the password was given), 403 when
    their role may not use the page."""

    def __call__(self, request: Request) -> StaffCaller:
        view = current(request)
        if view is None or view.stage is not Stage.FULL:
            raise HTTPException(401, "Sign in to the staff console first, at /staff/sign-in.")
        if view.caller.role not in self.roles:
            raise HTTPException(403, f"The {view.caller.role.value} role may not use this page.")
        return view.caller


SignedIn = Annotated[StaffCaller, Depends(StaffGate(*STAFF_ROLES))]


# ------------------------------------------------------------------ forms


async def read_form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (the only kind these forms send), the
    first value of each field."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Send the form as a web page does.")
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def session_form_token(request: Request) -> str:
    """The form token of the signed-in session: what every console form that changes
    something carries (`check_form` checks it against the session cookie)."""
    return form_token(cookie_of(request, SESSION) or "")


def check_form(cookie: str | None, form: dict[str, str]) -> None:
    if not form_token_ok(cookie, form.get("form_token")):
        raise HTTPException(403, STALE_FORM)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def redirect(to: str, extra: dict[str, str] | None = None) -> RedirectResponse:
    return RedirectResponse(to, status_code=303, headers={**NO_STORE, **(extra or {})})


def page(
    request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    return render(request, template, status, {**NO_STORE, **(headers or {})}, **context)


def pre_session(request: Request) -> tuple[str, bool]:
    """The value the forms before sign-in are tied to, and whether it is new."""
    found = cookie_of(request, FORM)
    return (found, False) if found else (secrets.token_urlsafe(32), True)


# ------------------------------------------------------------------ routes


@router.get("/staff")
def home(request: Request, view: MaybeSignedIn) -> Response:
    """Who is signed in, in which role and for whom, and the sign-out button."""
    if view is None:
        return redirect("/staff/sign-in")
    if view.stage is not Stage.FULL or view.must_enrol:
        return redirect("/staff/totp")
    return page(request, "staff_home.html", title="Staff console", view=view,
                caller=view.caller)  # fmt: skip


@router.get("/staff/sign-in")
def sign_in_page(
    request: Request, view: MaybeSignedIn, notice: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """The sign-in form."""
    if view is not None and view.stage is Stage.FULL:
        return redirect("/staff")
    value, new = pre_session(request)
    response = _sign_in_form(request, value, notice=NOTICES.get(notice, ""))
    if new:
        set_cookie(response, request, FORM, value)
    return response


def _sign_in_form(
    request: Request,
    value: str,
    status: int = 200,
    email: str = "",
    errors: dict[str, str] | None = None,
    notice: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(request, "staff_sign_in.html", status, headers, title="Sign in",
                form_token=form_token(value), email=email, errors=errors or {},
                notice=notice)  # fmt: skip


@router.post("/staff/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the e-mail address and password; on success a new session (a new id, always)."""
    form = await read_form(request)
    value = cookie_of(request, FORM)
    check_form(value, form)
    assert value is not None
    email, password = form.get("email", "").strip()[:254], form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _sign_in_form(request, value, 422, email, errors)
    staff = staff_of(request)
    outcome = await run_in_threadpool(staff.sign_in, email, password, client_of(request))
    if isinstance(outcome, Refusal):
        return _refused(request, value, email, outcome)
    old = cookie_of(request, SESSION)
    if old:  # a session the browser held before is never carried on: ended, and replaced
        await run_in_threadpool(staff.sign_out, old, client_of(request))
    response = redirect("/staff" if outcome.stage is Stage.FULL else "/staff/totp")
    set_cookie(response, request, SESSION, outcome.session_id)
    clear_cookie(response, request, FORM)
    return response


def _refused(request: Request, value: str, email: str, refusal: Refusal) -> HTMLResponse:
    status = 422 if refusal.kind == "wrong" else 429
    headers = {"Retry-After": str(refusal.retry_after)} if status == 429 else None
    return _sign_in_form(request, value, status, email, {"email": refusal.message},
                         headers=headers)  # fmt: skip


@router.get("/staff/password/{token}")
def password_page(request: Request, token: str) -> Response:
    """The form to set a password, from the link an administrator sent."""
    holder = _holder(request, token)
    if holder is None:
        return _link_gone(request)
    value, new = pre_session(request)
    response = _password_form(request, value, holder.email)
    if new:
        set_cookie(response, request, FORM, value)
    return response


@router.post("/staff/password/{token}")
async def set_password(request: Request, token: str) -> Response:
    """Set the password, once; then sign in with it."""
    form = await read_form(request)
    value = cookie_of(request, FORM)
    check_form(value, form)
    assert value is not None
    holder = await run_in_threadpool(_holder, request, token)
    if holder is None:
        return _link_gone(request)
    password, again = form.get("password", ""), form.get("confirm", "")
    errors = {}
    if not password:
        errors["password"] = "Enter a password."
    elif password != again:
        errors["confirm"] = "The two passwords are not the same. Enter it twice."
    if not errors:
        try:
            await run_in_threadpool(staff_of(request).set_password, token, password)
        except InvalidInput as e:
            errors["password"] = e.message
        except NotFound:
            return _link_gone(request)
    if errors:
        return _password_form(request, value, holder.email, 422, errors)
    return redirect("/staff/sign-in?notice=password-set")


def _holder(request: Request, token: str) -> Any:
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,100}", token):
        return None
    return staff_of(request).link_holder(token)


def _password_form(
    request: Request, value: str, email: str, status: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    return page(request, "staff_password.html", status, title="Set your password",
                form_token=form_token(value), email=email, errors=errors or {},
                min_length=12)  # fmt: skip


def _link_gone(request: Request) -> HTMLResponse:
    return page(request, "staff_message.html", 404, title="This link does not work",
                message="It was already used, it is more than 24 hours old, or it was never "
                "made. Ask the state CIT program office for a new link.")  # fmt: skip


@router.get("/staff/totp")
def totp_page(request: Request, view: MaybeSignedIn) -> Response:
    """The second factor: set it up (a state account's first sign-in, or anyone who
    chooses to), or enter its code."""
    if view is None:
        return redirect("/staff/sign-in")
    if view.second_factor and view.stage is Stage.FULL:
        return redirect("/staff")
    return _totp_form(request, view)


def _totp_form(
    request: Request, view: SessionView, status: int = 200,
    errors: dict[str, str] | None = None, headers: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    enrolment = None
    if not view.second_factor:
        session_id = cookie_of(request, SESSION)
        assert session_id is not None
        found = staff_of(request).enrolment(session_id)
        if found is not None:
            secret, uri = found
            enrolment = {"key": totp_codes.grouped(secret), "uri": uri, "qr": qr_svg(uri)}
    title = "Set up your second factor" if enrolment else "Enter your code"
    return page(request, "staff_totp.html", status, headers, title=title, view=view,
                enrolment=enrolment, form_token=view.form_token,
                errors=errors or {})  # fmt: skip


@router.post("/staff/totp")
async def confirm_code(request: Request) -> Response:
    """Check the code; on success the session is replaced by a signed-in one."""
    form = await read_form(request)
    session_id = cookie_of(request, SESSION)
    check_form(session_id, form)
    assert session_id is not None
    view = await run_in_threadpool(current, request)
    if view is None:
        return redirect("/staff/sign-in")
    if view.second_factor and view.stage is Stage.FULL:
        return redirect("/staff")
    code = form.get("code", "").strip()
    if not code:
        return await run_in_threadpool(
            _totp_form, request, view, 422, {"code": "Enter the 6-digit code your app shows."}
        )
    staff = staff_of(request)
    outcome = await run_in_threadpool(staff.confirm_code, session_id, code, client_of(request))
    if isinstance(outcome, Refusal):
        status = 422 if outcome.kind == "wrong" else 429
        headers = {"Retry-After": str(outcome.retry_after)} if status == 429 else None
        return await run_in_threadpool(
            _totp_form, request, view, status, {"code": outcome.message}, headers
        )
    response = redirect("/staff")
    set_cookie(response, request, SESSION, outcome.session_id)
    return response


@router.post("/staff/sign-out")
async def sign_out(request: Request) -> Response:
    """End the session at once."""
    form = await read_form(request)
    session_id = cookie_of(request, SESSION)
    check_form(session_id, form)
    assert session_id is not None
    await run_in_threadpool(staff_of(request).sign_out, session_id, client_of(request))
    response = redirect("/staff/sign-in?notice=signed-out")
    clear_cookie(response, request, SESSION)
    return response

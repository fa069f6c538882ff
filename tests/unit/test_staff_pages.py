"""The staff sign-in pages over HTTP, in-process (the app on SQLite and PostgreSQL, its
accounts on a clock the test moves): cookies, session fixation, form tokens, idle
sessions, the lock as a page says it, the second factor, and `SignedIn`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import pyotp
import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.config import Settings
from registry.domain.access import ApiRole
from registry.projections.store import query
from registry.staff import Staff
from registry.web import logs
from registry.web.staff import StaffCaller, StaffGate, cookie_header
from tests.unit.test_staff_accounts import ADMIN, PASSWORD, Clock, token_of

StateOnly = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE))]
probe = APIRouter()


@probe.get("/staff/probe")
def probe_page(caller: StateOnly) -> dict[str, str]:
    """A console page of the state's alone, as later ones will be."""
    return {"actor": str(caller.actor)}


@dataclass
class Console:
    client: TestClient
    staff: Staff
    clock: Clock

    def account(self, role: ApiRole = ApiRole.AUDITOR) -> str:
        email = f"{role.value}{len(self.staff.list())}@example.org"
        link, _ = self.staff.create(email, role, ADMIN)
        self.staff.set_password(token_of(link), PASSWORD)
        return email

    def form_token(self, path: str) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        match = re.search(r'name="form_token" value="([0-9a-f]{64})"', page.text)
        assert match, page.text
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD, token: str | None = None) -> object:
        token = self.form_token("/staff/sign-in") if token is None else token
        form = {"form_token": token, "email": email, "password": password}
        return self.client.post("/staff/sign-in", data=form, follow_redirects=False)

    def session(self) -> str | None:
        return self.client.cookies.get("cit_staff")


@pytest.fixture
def console(database_url: str) -> Iterator[Console]:
    app = create_app(Settings(database=database_url), background=False)
    app.include_router(probe)
    clock = Clock()
    with TestClient(app) as client:
        services = app.state.services
        app.state.staff = Staff(services.registry, services.views, now=clock)
        yield Console(client, app.state.staff, clock)


def error_text(page) -> str:
    found = re.search(r'<p class="error" id="email-error">.*?</span>(.*?)</p>', page.text, re.S)
    return found.group(1) if found else ""


# ------------------------------------------------------------------ cookies


def test_the_session_cookie_is_httponly_strict_and_secure_over_https() -> None:
    plain = cookie_header("cit_staff", "abc", secure=False)
    assert plain == "cit_staff=abc; HttpOnly; Path=/; SameSite=Strict"
    secure = cookie_header("cit_staff", "abc", secure=True)
    assert secure == "__Host-cit_staff=abc; HttpOnly; Path=/; SameSite=Strict; Secure"
    gone = cookie_header("cit_staff", "", secure=True, max_age=0)
    assert "Max-Age=0" in gone and "Secure" in gone


def test_signing_in_sets_a_new_httponly_strict_session_cookie(console: Console) -> None:
    email = console.account()
    console.client.cookies.set("cit_staff", "chosen-by-an-attacker", domain="testserver.local")
    token = console.form_token("/staff/sign-in")
    form_cookie = console.client.cookies.get("cit_staff_form")
    answer = console.sign_in(email, token=token)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("cit_staff="))
    assert cookie.endswith("; HttpOnly; Path=/; SameSite=Strict")
    first = console.session()
    assert first and first != "chosen-by-an-attacker"
    assert console.client.get("/staff").status_code == 200
    # Signing in again (from another tab), with a live session, gives another id and ends
    # the first.
    console.client.cookies.set("cit_staff_form", form_cookie, domain="testserver.local")
    again = console.sign_in(email, token=token)
    assert again.status_code == 303
    second = console.session()
    assert second != first
    assert console.staff.session(first) is None and console.staff.session(second) is not None


def test_staff_pages_are_never_cached_and_keep_the_page_headers(console: Console) -> None:
    page = console.client.get("/staff/sign-in")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert console.client.get("/staff", follow_redirects=False).headers["location"] == (
        "/staff/sign-in"
    )


# --------------------------------------------------------------- form tokens


@pytest.mark.parametrize("token", ["", "0" * 64, "other"])
def test_a_sign_in_without_its_form_token_is_refused_and_changes_nothing(
    console: Console, token: str
) -> None:
    email = console.account()
    if token == "other":  # a token of another browser's form
        other = TestClient(console.client.app)
        token = re.search(r'value="([0-9a-f]{64})"', other.get("/staff/sign-in").text).group(1)
    answer = console.sign_in(email, token=token)
    assert answer.status_code == 403 and "nothing was changed" in answer.text
    assert "text/html" in answer.headers["content-type"]
    assert console.session() is None
    assert query(console.staff.views, "SELECT * FROM staff_sign_ins") == []


def test_setting_a_password_without_the_form_token_is_refused_and_changes_nothing(
    console: Console,
) -> None:
    link, info = console.staff.create("new@example.org", ApiRole.AUDITOR, ADMIN)
    path = link.removeprefix("http://localhost:8000")
    console.form_token(path)
    form = {"form_token": "0" * 64, "password": PASSWORD, "confirm": PASSWORD}
    assert console.client.post(path, data=form).status_code == 403
    assert not console.staff.get(info.user_id).password_set
    form["form_token"] = console.form_token(path)
    done = console.client.post(path, data=form, follow_redirects=False)
    assert done.headers["location"] == "/staff/sign-in?notice=password-set"
    assert console.staff.get(info.user_id).password_set
    assert console.client.get(path).status_code == 404  # once only


def test_signing_out_without_the_form_token_is_refused_and_the_session_stays(
    console: Console,
) -> None:
    console.sign_in(console.account())
    session = console.session()
    token = console.form_token("/staff")
    refused = console.client.post("/staff/sign-out", data={"form_token": "f" * 64})
    assert refused.status_code == 403
    assert console.staff.session(session) is not None
    out = console.client.post("/staff/sign-out", data={"form_token": token},
                              follow_redirects=False)  # fmt: skip
    assert out.headers["location"] == "/staff/sign-in?notice=signed-out"
    assert console.staff.session(session) is None
    assert console.client.get("/staff", follow_redirects=False).status_code == 303


def test_a_code_without_the_form_token_is_refused_and_signs_no_one_in(console: Console) -> None:
    console.sign_in(console.account(ApiRole.STATE))
    page = console.client.get("/staff/totp")
    secret = re.search(r"secret=([A-Z2-7]{32})", page.text).group(1)
    code = pyotp.TOTP(secret).at(console.clock())
    refused = console.client.post("/staff/totp", data={"form_token": "", "code": code})
    assert refused.status_code == 403
    assert console.client.get("/staff", follow_redirects=False).headers["location"] == "/staff/totp"


# ------------------------------------------------------------------- time


def test_eight_idle_hours_send_the_browser_back_to_sign_in(console: Console) -> None:
    console.sign_in(console.account())
    console.clock.move(hours=7, minutes=59)
    assert console.client.get("/staff").status_code == 200
    console.clock.move(hours=8)
    answer = console.client.get("/staff", follow_redirects=False)
    assert answer.headers["location"] == "/staff/sign-in"


def test_the_lock_is_said_the_same_way_for_an_unknown_account(console: Console) -> None:
    email = console.account()
    known, unknown = [], []
    for n in range(8):
        for address, found in ((email, known), ("nobody@example.org", unknown)):
            answer = console.sign_in(address, "wrong but long enough")
            found.append((answer.status_code, answer.headers.get("retry-after"),
                          error_text(answer)))  # fmt: skip
            assert PASSWORD not in answer.text and "wrong but long enough" not in answer.text
        console.clock.move(seconds=int(known[-1][1] or 0) if n < 7 else 0)
        # separate clients would share "testclient" as an address: forget the client's count
        console.staff._forget("client:testclient")
    assert known == unknown
    assert [k[0] for k in known] == [422] * 4 + [429] * 4
    assert "locked for 15 minutes" in known[-1][2] and known[-1][1] == "900"
    assert console.sign_in(email).status_code == 429  # the right password, while locked
    console.clock.move(minutes=15)
    assert console.sign_in(email).status_code == 303


# ------------------------------------------------------------ second factor


def test_a_state_account_enrols_its_code_and_a_wrong_code_is_refused(console: Console) -> None:
    answer = console.sign_in(console.account(ApiRole.STATE))
    assert answer.headers["location"] == "/staff/totp"
    assert console.client.get("/staff", follow_redirects=False).headers["location"] == "/staff/totp"
    page = console.client.get("/staff/totp")
    assert "Set up your second factor" in page.text and "<svg" in page.text
    uri = re.search(r'href="(otpauth://totp/[^"]+)"', page.text).group(1)
    secret = re.search(r"secret=([A-Z2-7]{32})", uri).group(1)
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text).group(1)
    assert key.replace(" ", "") == secret
    token = re.search(r'name="form_token" value="([0-9a-f]{64})"', page.text).group(1)
    wrong = console.client.post("/staff/totp", data={"form_token": token, "code": "000000"})
    assert wrong.status_code == 422 and "code is not right" in wrong.text
    assert 'aria-describedby="code-error"' in wrong.text
    before = console.session()
    code = pyotp.TOTP(secret).at(console.clock())
    right = console.client.post("/staff/totp", data={"form_token": token, "code": code},
                                follow_redirects=False)  # fmt: skip
    assert right.headers["location"] == "/staff"
    assert console.session() != before
    home = console.client.get("/staff")
    assert home.status_code == 200 and "Set up: a code is asked" in home.text
    for secret_text in (secret, PASSWORD, console.session()):
        assert secret_text not in home.text


# --------------------------------------------------- for later console pages


def test_signed_in_gives_the_person_and_refuses_others(console: Console) -> None:
    assert console.client.get("/staff/probe").status_code == 401
    console.sign_in(console.account(ApiRole.AUDITOR))
    refused = console.client.get("/staff/probe")
    assert refused.status_code == 403 and "auditor role may not" in refused.text
    console.client.cookies.clear()
    console.sign_in(console.account(ApiRole.STATE))
    assert console.client.get("/staff/probe").status_code == 401  # the code is not given yet
    secret = re.search(r"secret=([A-Z2-7]{32})", console.client.get("/staff/totp").text).group(1)
    token = console.form_token("/staff/totp")
    code = pyotp.TOTP(secret).at(console.clock())
    console.client.post("/staff/totp", data={"form_token": token, "code": code})
    answer = console.client.get("/staff/probe")
    assert answer.status_code == 200
    user_id = console.staff.list()[-1].user_id
    assert answer.json() == {"actor": f"state:user:{user_id}"}


def test_the_access_log_never_holds_a_set_password_token() -> None:
    import logging

    record = logging.LogRecord("uvicorn.access", 20, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4", "GET", "/staff/password/abcDEF_123-xyz", "1.1", 200),
                               None)  # fmt: skip
    logs.HideTokens().filter(record)
    assert "abcDEF" not in record.getMessage() and "/staff/password/[token]" in record.getMessage()

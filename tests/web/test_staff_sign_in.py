"""A state staff member's first sign-in, in real Chromium against a real `registry serve`
(SQLite and PostgreSQL), by keyboard alone: the set-password link from `registry users
create`, the password, the second factor's enrolment (its code computed here with pyotp),
the landing page, and signing out. Each page passes axe-core and fits a phone; no page,
nor the server's log, ever holds the password, the TOTP secret, the session id or the
link's token.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.api.conftest import REGISTRY, Api, registry_env
from tests.web.conftest import PHONE, Watched

PASSWORD = "tangerine lantern meadow"


def create_user(api: Api, tmp: Path, role: str = "state") -> tuple[str, str]:
    """`registry users create` on the server's database: the address and the link."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    done = subprocess.run(
        [REGISTRY, "--json", "users", "create", "--role", role, "--email", email],
        env=registry_env(api.database, tmp, api.base_url),
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return email, json.loads(done.stdout)["link"]


def tab_to(page: Any, element_id: str) -> None:
    """Press Tab until the element with `element_id` has the focus."""
    for _ in range(25):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def tab_to_button(page: Any, text: str) -> None:
    for _ in range(25):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName + ':' + document.activeElement"
                         ".textContent.trim()") == f"BUTTON:{text}":  # fmt: skip
            return
    raise AssertionError(f"Tab never reached the button {text!r}")


class Checks:
    """What every page of the walk is held to, at the viewport of the test."""

    def __init__(self, phone: bool) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.phone = phone
        self.problems: dict[str, list[str]] = {}
        self.seen: list[str] = []

    def __call__(self, page: Any, name: str) -> None:
        self.seen.append(page.content())
        results = self.axe.run(page)
        bad = [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        if bad:
            self.problems[name] = bad
        width = page.evaluate("document.documentElement.scrollWidth")
        if self.phone and width > PHONE["width"]:
            self.problems[f"{name} width"] = [str(width)]


def walk(watched: Watched, api: Api, tmp: Path, checks: Checks) -> dict[str, str]:
    """The whole first sign-in of a state user; the secrets met on the way."""
    page = watched.page
    watched.expect_console("422")  # the wrong code, on purpose
    email, link = create_user(api, tmp)
    token = link.rsplit("/", 1)[1]
    assert link.startswith(f"{api.base_url}/staff/password/")

    page.goto(link)
    checks(page, "set password")
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "confirm")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/sign-in?notice=password-set")
    assert "Your password is set" in page.locator("[role=status]").inner_text()
    checks(page, "sign in")

    tab_to(page, "email")
    page.keyboard.type(email)
    tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/totp")
    assert page.locator("h1").inner_text() == "Set up your second factor"
    checks(page, "set up the second factor")
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    assert f"secret={secret}" in page.locator(".uri").inner_text()
    assert page.locator(".qr svg").count() == 1
    first_session = next(c["value"] for c in page.context.cookies() if c["name"] == "cit_staff")

    tab_to(page, "code")
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    error = page.locator("#code-error")
    assert "code is not right" in error.inner_text()
    assert page.locator("#code").get_attribute("aria-describedby") == "code-error"
    checks(page, "a wrong code")

    tab_to(page, "code")
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff")
    assert page.locator("h1").inner_text() == "Staff console"
    assert email in page.locator("main").inner_text()
    assert "State CIT program office" in page.locator("main").inner_text()
    checks(page, "staff console")
    cookie = next(c for c in page.context.cookies() if c["name"] == "cit_staff")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] != first_session

    tab_to_button(page, "Sign out")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/sign-in?notice=signed-out")
    checks(page, "signed out")
    page.goto(f"{api.base_url}/staff")
    page.wait_for_url("**/staff/sign-in")
    return {"password": PASSWORD, "secret": secret, "token": token,
            "session": cookie["value"], "first session": first_session}  # fmt: skip


def test_a_state_user_signs_in_for_the_first_time_by_keyboard(
    web: Watched, api: Api, tmp_path: Path
) -> None:
    checks = Checks(phone=False)
    secrets = walk(web, api, tmp_path, checks)
    assert checks.problems == {}
    log = api.log.read_text() if api.log else ""
    assert "/staff/password/[token]" in log
    for name, value in secrets.items():
        assert value not in log, f"the {name} is in the server's log"
    # After the enrolment page (which must show the secret once), no page holds a secret.
    for html in checks.seen[:2] + checks.seen[4:]:
        for name in ("password", "secret", "session", "first session"):
            assert secrets[name] not in html, f"the {name} is on a page"


def test_the_staff_pages_fit_a_phone_and_pass_axe_there(
    phone: Watched, api: Api, tmp_path: Path
) -> None:
    checks = Checks(phone=True)
    walk(phone, api, tmp_path, checks)
    assert checks.problems == {}


@pytest.mark.parametrize("path", ["/staff/password/" + "A" * 43, "/staff/password/x"])
def test_a_link_that_does_not_work_says_what_to_do(web: Watched, api: Api, path: str) -> None:
    web.expect_console("404")
    answer = web.page.goto(f"{api.base_url}{path}")
    assert answer.status == 404
    assert web.page.locator("h1").inner_text() == "This link does not work"
    assert "Ask the state CIT program office for a new link" in web.page.content()
    assert re.search(r"no-store", answer.headers["cache-control"])

"""Signed-in staff for the agency console tests: every role, the state's second factor
included (its code computed here with pyotp from the key the enrolment page shows), as
httpx clients holding a session, or as a browser context with that session's cookie."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pyotp

from registry.web.pages import SECURITY_HEADERS
from tests.api.conftest import ACADEMY, HOME, OTHER, Api
from tests.web import signing_in
from tests.web.conftest import DESKTOP, open_context

#: Each staff caller of the tests: the role and its scope options of `registry users create`.
ACCOUNTS: dict[str, tuple[str, ...]] = {
    "state": ("state",),
    "auditor": ("auditor",),
    "agency": ("agency", "--agency", HOME),
    "other_agency": ("agency", "--agency", OTHER),
    "academy": ("academy", "--academy", ACADEMY),
}
KEY = re.compile(r'id="totp-key">([^<]+)<')


def signed_in(api: Api, tmp: Path, who: str) -> httpx.Client:
    """A client holding the session of a new account of `who` (a key of ACCOUNTS); for
    the state, with its second factor enrolled and a code given."""
    role, *scope = ACCOUNTS[who]
    if role != "state":
        return signing_in.signed_in(api, tmp, role, *scope)
    client, done = signing_in.sign_in(api, tmp, "state")
    assert done.status_code == 303 and done.headers["location"] == "/staff/totp", done.text[:300]
    form = client.get("/staff/totp")
    key = KEY.search(form.text)
    assert form.status_code == 200 and key, form.text[:500]
    code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
    done = client.post(
        "/staff/totp", data={"form_token": signing_in.form_token(form), "code": code}
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff", done.text[:300]
    return client


def browser_context(
    browser: Any, api: Api, client: httpx.Client, viewport: Any = DESKTOP, **options: Any
) -> Any:
    """A browser context holding `client`'s session cookie."""
    context = open_context(browser, viewport, **options)
    context.add_cookies(
        [{"name": c.name, "value": c.value, "url": api.base_url} for c in client.cookies.jar]
    )
    return context


def axe_fits(watched: Any, name: str, width: int) -> None:
    """axe finds no serious or critical violation on the page, and it fits `width` px."""
    from axe_playwright_python.sync_playwright import Axe

    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in Axe().run(watched.page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == [], name
    wide = watched.page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{name}: {wide} px wide"


def policed_get(client: httpx.Client, path: str, status: int = 200) -> httpx.Response:
    """A console page asked for as a browser would, answered `status` (200: not kept by
    caches), with the pages' security headers and no inline script or style."""
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == status, page.text[:800]
    if status == 200:
        assert page.headers["cache-control"] == "no-store"
    return policed(page)


def policed(page: httpx.Response) -> httpx.Response:
    """A page with the pages' headers, and no inline script or style."""
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value, name
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert not re.search(r"\sstyle=", page.text) and "<style" not in page.text
    return page

"""The public pages in a real browser: look-ups typed into the form (also with JavaScript
off), keyboard-only use, accessibility by axe-core, and a 375 px phone screen with no
sideways scrolling. Every page must end with no console error (the fixtures check).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import HOME, Api
from tests.api.steps import certified, ok
from tests.web.conftest import PHONE, Watched, open_context, watched_page


@pytest.fixture(scope="module")
def numbers(api: Api) -> dict[str, str]:
    """Certificates in each state a clerk may meet: in force, suspended, revoked, withheld."""
    state = api.client("state")
    made = {name: certified(api, f"BR-{i}") for i, name in enumerate(
        ("in_force", "suspended", "revoked", "withheld"))}  # fmt: skip
    ok(state.post(f"/v1/certifications/{made['suspended'][1]}/suspensions",
                  json={"reason": "complaint under review"}))  # fmt: skip
    ok(state.post(f"/v1/certifications/{made['revoked'][1]}/revocations",
                  json={"reason": "misconduct"}))  # fmt: skip
    ok(state.post(f"/v1/officers/{made['withheld'][0]}/withholding",
                  json={"withheld": True, "reason": "undercover assignment"}))  # fmt: skip
    shown = {name: number for name, (_, number) in made.items()}
    token = ok(state.get(f"/v1/certifications/{shown['in_force']}/token"))["token"]
    return shown | {"token": token}


def pages(api: Api, numbers: dict[str, str]) -> dict[str, str]:
    """Every public page a visitor can reach, by a name for the test's report."""
    return {
        "home": "/",
        "in force": f"/verify?q={numbers['in_force']}",
        "suspended": f"/verify?q={numbers['suspended']}",
        "withheld": f"/verify?q={numbers['withheld']}",
        "not found": "/verify?q=UT-CIT-NOSUCH1",
        "asked again": f"/verify?q={numbers['in_force']}&on=tomorrow",
        "agencies": "/agencies",
        "agency": f"/agencies/{HOME}",
        "transparency": "/transparency",
        "token page": "/v",
        "token verified": f"/v#{numbers['token']}",
        "no such page": "/no/such/page",
    }


def visit(page: Any, url: str) -> None:
    """Open `url` and wait until the page has done its work (the token page its check)."""
    page.goto(url)
    if "/v#" in url:
        page.wait_for_selector("#result[data-result]:not([data-result=''])")


def look_up(page: Any, base: str, number: str) -> str:
    """Type `number` into the home page's field and submit it; the answer's heading."""
    page.goto(f"{base}/")
    page.get_by_label("Certificate number or token").fill(number)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    return str(page.locator("h1").inner_text()).strip()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_clerk_looks_up_each_kind_of_certificate(
    browser: Any, api: Api, numbers: dict[str, str], javascript: bool
) -> None:
    context = open_context(browser, java_script_enabled=javascript)
    watched = watched_page(context)
    watched.expect_console("404")  # the unknown number's page answers 404, on purpose
    page = watched.page
    try:
        assert look_up(page, api.base_url, numbers["in_force"]) == "In force"
        assert f"/verify?q={numbers['in_force']}" in page.url
        assert look_up(page, api.base_url, numbers["suspended"]) == "Suspended"
        assert "complaint under review" in page.inner_text("main")
        assert look_up(page, api.base_url, numbers["revoked"]) == "Revoked"
        assert look_up(page, api.base_url, numbers["withheld"]) == "In force"
        assert "Withheld by the state" in page.inner_text("main")
        assert look_up(page, api.base_url, "UT-CIT-NOSUCH1") == "Not found"
        assert watched.unexpected() == []
    finally:
        context.close()


def test_a_pasted_token_opens_the_token_page_without_reaching_the_server(
    web: Watched, api: Api, numbers: dict[str, str]
) -> None:
    token = ok(api.client("state").get(f"/v1/certifications/{numbers['in_force']}/token"))
    asked: list[str] = []
    web.page.on("request", lambda request: asked.append(request.url))
    web.page.goto(f"{api.base_url}/")
    web.page.get_by_label("Certificate number or token").fill(token["token"])
    web.page.get_by_role("button", name="Verify").click()
    web.page.wait_for_url("**/v#*")
    assert web.page.url == f"{api.base_url}/v#{token['token']}"
    assert not any(token["token"] in url.split("#")[0] for url in asked)


def test_the_asked_day_is_checked_with_the_keyboard_alone(
    web: Watched, api: Api, numbers: dict[str, str]
) -> None:
    page = web.page
    page.goto(f"{api.base_url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to the content"
    page.keyboard.press("Enter")
    for _ in range(12):  # through the navigation to the field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(numbers["in_force"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/verify?*")
    assert page.locator("h1").inner_text().strip() == "In force"
    # Every link and control on the answer can be reached, and focus is visible on each.
    reached = set()
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
            return [e.tagName, e.textContent.trim() || e.id || e.name,
                    s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }"""
        )
        reached.add(focused[1])
        if focused[0] != "BODY":
            assert focused[2], f"no visible focus on {focused}"
    assert {"Verify another certificate", "Check that day", f"{HOME} Police"} <= reached


def test_agencies_are_searched_with_the_keyboard_alone(web: Watched, api: Api) -> None:
    page = web.page
    page.goto(f"{api.base_url}/agencies")
    page.get_by_label("Find an agency by name, code or region").focus()
    page.keyboard.type("south")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agencies?q=south")
    link = page.get_by_role("link", name="SOUTHPD Police")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/agencies/SOUTHPD")
    assert page.locator("h1").inner_text().strip() == "SOUTHPD Police"


def test_every_page_passes_axe_with_no_serious_violation(
    browser: Any, api: Api, numbers: dict[str, str]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}
    for viewport in (None, PHONE):
        context = open_context(browser, **({"viewport": viewport} if viewport else {}))
        watched = watched_page(context)
        watched.expect_console("404")
        watched.expect_console("422")
        try:
            for name, path in pages(api, numbers).items():
                visit(watched.page, f"{api.base_url}{path}")
                results = axe.run(watched.page)
                bad = [
                    f"{v['id']} ({v['impact']}): {v['help']}"
                    for v in results.response["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                if bad:
                    found[f"{name} {'phone' if viewport else 'desktop'}"] = bad
            assert watched.unexpected() == []
        finally:
            context.close()
    assert found == {}


def test_every_page_fits_a_phone_without_sideways_scrolling(
    phone: Watched, api: Api, numbers: dict[str, str]
) -> None:
    phone.expect_console("404")
    phone.expect_console("422")
    wide: dict[str, int] = {}
    for name, path in pages(api, numbers).items():
        visit(phone.page, f"{api.base_url}{path}")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[name] = width
        title = phone.page.title()
        assert title and "CIT Registry" in title, name
    assert wide == {}

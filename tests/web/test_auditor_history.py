"""The auditor's officer page in the staff console, on a real server (SQLite and
PostgreSQL): every event with when it took effect, when and by whom it was recorded; the
record of a past day as it stood then beside today's; and who may see it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.web.pages import long_date
from tests.api.conftest import HOME, OTHER, Api, days_ago
from tests.api.steps import certified, ok
from tests.web.conftest import DESKTOP, PHONE, watched_page
from tests.web.console import browser_context
from tests.web.reading import text
from tests.web.signing_in import signed_in


@pytest.fixture(scope="module")
def officer(api: Api) -> str:
    """A NORTHPD officer, certified, then suspended: recorded today."""
    officer, number = certified(api, "AH-1")
    ok(api.client("state").post(f"/v1/certifications/{number}/suspensions",
                                json={"reason": "complaint under review"}))  # fmt: skip
    return officer


@pytest.fixture(scope="module")
def auditor(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return signed_in(api, tmp_path_factory.mktemp("auditor"), "auditor")


def test_every_event_with_its_dates_and_actor(api: Api, officer: str, auditor: Any) -> None:
    page = auditor.get(f"/staff/officers/{officer}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    shown = text(page)
    history = ok(api.client("auditor").get(f"/v1/officers/{officer}/history"))["items"]
    assert len(history) >= 5
    for entry in history:
        assert entry["event"] in shown
        assert long_date(date.fromisoformat(entry["effective_on"])) in shown
    assert "CertificateActionRecorded: suspended" in shown
    assert shown.count("(state)") >= len(history)  # every event was recorded by the state


def test_the_console_home_leads_to_an_officer_by_post_number(
    api: Api, officer: str, auditor: Any
) -> None:
    home = auditor.get("/staff")
    assert home.status_code == 200 and 'action="/staff/officers"' in home.text
    found = auditor.get("/staff/officers", params={"ref": " AH-1 "})
    assert found.status_code == 303 and found.headers["location"] == "/staff/officers/AH-1"
    assert officer in auditor.get(found.headers["location"]).text
    assert auditor.get("/staff/officers", params={"ref": ""}).status_code == 422
    nobody = api.client().get("/staff/officers", params={"ref": "AH-1"})
    assert nobody.status_code == 401


def test_a_day_before_the_officer_was_recorded(api: Api, officer: str, auditor: Any) -> None:
    day = days_ago(1).isoformat()
    page = auditor.get(f"/staff/officers/{officer}", params={"as_recorded_on": day})
    shown = text(page)
    assert page.status_code == 200
    # Recorded today: at the end of yesterday the registry held nothing of this officer.
    assert "held no record of this officer" in shown and "Enrolled" in shown
    assert 'data-differences="' in page.text
    for bad, words in (("tomorrow", "is not a date"), (days_ago(0).isoformat(), "before today")):
        again = auditor.get(f"/staff/officers/{officer}", params={"as_recorded_on": bad})
        assert again.status_code == 200 and words in text(again)
        assert 'role="alert"' in again.text


def test_who_may_see_an_officer_s_history(
    api: Api, officer: str, auditor: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("scope")
    own = signed_in(api, tmp, "agency", "--agency", HOME)
    other = signed_in(api, tmp, "agency", "--agency", OTHER)
    academy = signed_in(api, tmp, "academy", "--academy", "UPA")
    path = f"/staff/officers/{officer}"
    assert own.get(path).status_code == 200
    assert f'href="/staff/agencies/{HOME}"' in own.get("/staff").text
    assert "/staff/agencies/" not in academy.get("/staff").text
    assert other.get(path).status_code == 403
    assert academy.get(path).status_code == 403
    nobody = api.client().get(path, headers={"Accept": "text/html"})
    assert nobody.status_code == 401 and "Sign in" in nobody.text
    assert auditor.get("/staff/officers/NO-SUCH-OFFICER").status_code == 404
    assert api.client("auditor").get(path).status_code == 401  # an API key is no session


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_page_in_a_browser(
    browser: Any, api: Api, officer: str, auditor: Any, viewport: dict[str, int]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser_context(browser, api, auditor, viewport)
    watched = watched_page(context)
    try:
        watched.page.goto(f"{api.base_url}/staff/officers/{officer}")
        watched.page.get_by_label("The record as it stood at the end of this day").fill(
            days_ago(1).isoformat()
        )
        watched.page.keyboard.press("Enter")
        watched.page.wait_for_url("**as_recorded_on=*")
        assert "held no record of this officer" in watched.page.inner_text("main")
        violations = [v["id"] for v in Axe().run(watched.page).response["violations"]
                      if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert violations == []
        width = watched.page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]
        assert watched.unexpected() == []
    finally:
        context.close()

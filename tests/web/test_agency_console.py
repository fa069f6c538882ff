"""The agency pages of the staff console on a real server (SQLite and PostgreSQL): each
page says what the API's JSON says for the same question, who may read which agency,
names shown as text, the forecast's drop day, and each page in Chromium (axe, 375 px,
keyboard, no console errors)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest

from registry.web.pages import long_date
from tests.api.conftest import ACADEMY, HOME, OTHER, Api, days_ago
from tests.api.steps import certified, certify, enrolment, ok, train
from tests.web.conftest import DESKTOP, PHONE, watched_page
from tests.web.console import ACCOUNTS, browser_context, signed_in
from tests.web.reading import HOSTILE, text

PAGES = ["", "/roster", "/expiring", "/changes", "/coverage", "/forecast"]


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    """A signed-in client of each staff account (state, auditor, agency, other_agency,
    academy); "nobody" holds no session."""
    tmp = tmp_path_factory.mktemp("console")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def _long_serving(api: Api, post: str, agency: str, district: str, shift: str) -> str:
    """An officer of `agency` enrolled 1600 days ago, certified 600 days ago: the
    certificate expires within the next 365 days. Its number."""
    body = enrolment(
        post,
        agency,
        patrol_experience_began_on=days_ago(3000).isoformat(),
        effective_on=days_ago(1600).isoformat(),
        district=district,
        shift=shift,
    )
    client = api.client("state")
    officer = ok(client.post("/v1/officers", json=body))["id"]
    week = {
        "kind": "cit_academy",
        "hours": 40,
        "academy_code": ACADEMY,
        "began_on": days_ago(610).isoformat(),
        "completed_on": days_ago(606).isoformat(),
    }
    ok(client.post(f"/v1/officers/{officer}/trainings", json=week))
    for kind in ("written", "scenario"):
        exam = {"kind": kind, "passed": True, "taken_on": days_ago(606).isoformat()}
        ok(client.post(f"/v1/officers/{officer}/exams", json=exam))
    return certify(api, officer, days=600)


@pytest.fixture(scope="module")
def story(api: Api) -> dict[str, str]:
    """NORTHPD: a certified officer (North/Day), one with a hostile name and no certificate,
    one certified 600 days ago (North/Night). SOUTHPD: South/Night's only officer holds a
    certificate that expires within the year; South/Day's a new one."""
    state = api.client("state")
    certified(api, "AC-1")
    ok(state.post("/v1/officers", json=enrolment("AC-2", name=HOSTILE)))
    numbers = {
        "north_night": _long_serving(api, "AC-3", HOME, "North", "Night"),
        "south_night": _long_serving(api, "AC-4", OTHER, "South", "Night"),
    }
    body = enrolment("AC-5", OTHER, district="South", shift="Day")
    officer = ok(state.post("/v1/officers", json=body))["id"]
    train(api, officer)
    numbers["south_day"] = certify(api, officer)
    return numbers


def get(client: httpx.Client, path: str, status: int = 200, **params: Any) -> httpx.Response:
    page = client.get(path, params=params, headers={"Accept": "text/html"})
    assert page.status_code == status, page.text[:500]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    if status == 200:
        assert page.headers["cache-control"] == "no-store"
    return page


def attrs(page: httpx.Response, name: str) -> list[str]:
    return re.findall(rf'{name}="([^"]*)"', page.text)


# ------------------------------------------------------------------ who may read


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("agency", HOME, 200),
        ("agency", OTHER, 403),
        ("other_agency", OTHER, 200),
        ("state", OTHER, 200),
        ("auditor", HOME, 200),
        ("academy", HOME, 403),
        ("nobody", HOME, 401),
    ],
)
def test_who_may_read_an_agency_s_pages(
    staff: dict[str, httpx.Client], story: Any, path: str, who: str, code: str, status: int
) -> None:
    page = get(staff[who], f"/staff/agencies/{code}{path}", status)
    shown = text(page)
    if status == 403 and who == "agency":
        assert f"agency {HOME} only" in shown and f"/staff/agencies/{HOME}" in shown
    elif status == 401:
        assert "Sign in" in shown
    elif status == 200:
        assert f"{code} Police" in shown


def test_an_unknown_agency_is_not_found_and_a_key_is_no_session(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    for path in PAGES:
        page = get(staff["state"], f"/staff/agencies/NOSUCHPD{path}", 404)
        assert "NOSUCHPD" in text(page)
    # An agency clerk is refused another code before it is looked up, as the API's key is.
    get(staff["agency"], "/staff/agencies/NOSUCHPD", 403)
    assert api.client("state").get(f"/staff/agencies/{HOME}").status_code == 401


# ------------------------------------------------------------ the same answers


def test_the_roster_lists_exactly_the_api_s_officers(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    page = get(staff["agency"], f"/staff/agencies/{HOME}/roster")
    listed = ok(api.client("agency").get(f"/v1/agencies/{HOME}/roster", params={"limit": 500}))
    officers = listed["items"]
    assert len(officers) >= 3
    assert attrs(page, "data-officer") == [o["officer_id"] for o in officers]
    shown = text(page)
    for officer in officers:
        for cert in officer["certificates"]:
            assert cert["number"] in shown
            assert f"expires {long_date(date.fromisoformat(cert['expires_on']))}" in shown


def test_a_hostile_name_is_shown_as_text(staff: dict[str, httpx.Client], story: Any) -> None:
    page = get(staff["agency"], f"/staff/agencies/{HOME}/roster")
    assert HOSTILE in text(page)
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text


def test_the_expiring_report_is_the_api_s_with_the_hours_lacking(
    api: Api, staff: dict[str, httpx.Client], story: dict[str, str]
) -> None:
    for within in (30, 365):
        page = get(staff["state"], f"/staff/agencies/{HOME}/expiring", within=within)
        listed = ok(
            api.client("state").get(
                f"/v1/agencies/{HOME}/expiring", params={"within_days": within, "limit": 500}
            )
        )
        assert attrs(page, "data-number") == [e["number"] for e in listed["items"]]
    assert [e["number"] for e in listed["items"]] == [story["north_night"]]
    item = listed["items"][0]
    shown = text(page)
    assert f"in {item['days_left']} days" in shown
    assert f"Still lacking {item['ce_hours_lacking']:g} hours" in shown and item["ce_hours_lacking"]
    assert 'value="365"' in page.text
    get(staff["state"], f"/staff/agencies/{HOME}/expiring", 422, within=731)
    get(staff["state"], f"/staff/agencies/{HOME}/expiring", 422, within="soon")


def test_the_change_feed_is_the_api_s_read_by_its_cursor(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    feed = ok(api.client("agency").get(f"/v1/agencies/{HOME}/changes", params={"limit": 1000}))
    seqs = [str(c["seq"]) for c in feed["items"]]
    assert len(seqs) >= 2
    page = get(staff["agency"], f"/staff/agencies/{HOME}/changes")
    assert attrs(page, "data-seq") == seqs
    after = get(staff["agency"], f"/staff/agencies/{HOME}/changes", after=seqs[0])
    assert attrs(after, "data-seq") == seqs[1:]
    assert "From the first change" in text(after) and "No later changes." in text(after)
    get(staff["agency"], f"/staff/agencies/{HOME}/changes", 422, after=-1)


def test_the_heat_map_counts_are_the_api_s_coverage(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    for code, who in ((HOME, "agency"), (OTHER, "auditor")):
        page = get(staff[who], f"/staff/agencies/{code}/coverage")
        cover = ok(api.client(who).get(f"/v1/agencies/{code}/coverage"))
        shown = dict(
            zip(
                zip(attrs(page, "data-district"), attrs(page, "data-shift"), strict=True),
                attrs(page, "data-cit"),
                strict=True,
            )
        )
        assert shown == {
            (c["district"], c["shift"]): str(c["cit_officers"]) for c in cover["cells"]
        }
        roster = ok(api.client(who).get(f"/v1/agencies/{code}/roster", params={"limit": 500}))
        patrol = sum(int(n) for n in attrs(page, "data-patrol"))
        assert patrol == cover["patrol_officers"] == len(roster["items"])
        assert '<th scope="col">Day</th>' in page.text and '<th scope="row">North</th>' in page.text
    # SOUTHPD: South/Night and South/Day each have 1 of 1 (at target), North none at all.
    cells = re.findall(
        r'<td class="cell (\w+)" data-district="(\w+)" data-shift="(\w+)"', page.text
    )
    assert sorted(cells) == [
        ("empty", "North", "Day"),
        ("empty", "North", "Night"),
        ("met", "South", "Day"),
        ("met", "South", "Night"),
    ]
    shown = text(page)
    assert shown.count("At target") == 2 and shown.count("No patrol officers") == 2 + 1


def test_the_forecast_names_the_day_a_cell_drops_below_target(
    api: Api, staff: dict[str, httpx.Client], story: dict[str, str]
) -> None:
    cert = ok(api.client("state").get(f"/v1/certifications/{story['south_night']}"))
    expires = date.fromisoformat(cert["expires_on"])
    assert days_ago(0) < expires <= days_ago(-365)
    page = get(staff["state"], f"/staff/agencies/{OTHER}/forecast")
    rows = dict(
        zip(
            zip(attrs(page, "data-district"), attrs(page, "data-shift"), strict=True),
            attrs(page, "data-below"),
            strict=True,
        )
    )
    assert rows[("South", "Night")] == expires.isoformat()
    assert rows[("South", "Day")] == ""  # certified 50 days ago: in force all year
    assert rows[("North", "Day")] == days_ago(0).isoformat()  # no patrol officers
    shown = text(page)
    assert f"From {long_date(expires)}" in shown and "Stays at or above target" in shown
    # The chart: server-drawn SVG, said in words; the agency falls from 100% to 50%.
    assert '<svg viewBox="0 0 640 300"' in page.text and 'role="img"' in page.text
    assert "<script" not in page.text.split("<main", 1)[1]
    assert "is 100% today and 50% on" in shown
    assert "falls below the 25% target" not in shown  # 1 of 2 is still at or above 25%


# ---------------------------------------------------------------- in a browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client], story: Any, viewport: dict[str, int]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    phone = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
    context = browser_context(browser, api, staff["agency"], viewport, **phone)
    watched = watched_page(context)
    try:
        for path in PAGES:
            watched.page.goto(f"{api.base_url}/staff/agencies/{HOME}{path}")
            violations = [
                (v["id"], v["impact"])
                for v in Axe().run(watched.page).response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert violations == [], path
            width = watched.page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], path
        # By keyboard: from the forecast, Tab reaches the navigation and Enter follows it.
        watched.page.goto(f"{api.base_url}/staff/agencies/{HOME}/forecast")
        for _ in range(12):
            watched.page.keyboard.press("Tab")
            if watched.page.evaluate("document.activeElement.textContent") == "Coverage":
                break
        watched.page.keyboard.press("Enter")
        watched.page.wait_for_url("**/coverage")
        for _ in range(20):  # the heat map's own scrolling box takes the focus
            watched.page.keyboard.press("Tab")
            if watched.page.evaluate("document.activeElement.getAttribute('role')") == "region":
                break
        assert watched.page.evaluate("document.activeElement.getAttribute('role')") == "region"
        assert watched.unexpected() == []
    finally:
        context.close()

"""The state's pages of the staff console on a real server (SQLite and PostgreSQL), with a
registry made through the API: coverage by region says what the API's per-agency coverage
says, added up by region and for the state; the late separation reports list exactly the
separations recorded more than 30 days after they took effect, with the days; who may read
them; names shown as text; each page in Chromium (axe, 375 px, no console errors)."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any

import httpx
import pytest

from registry.web.pages import long_date
from tests.api.conftest import HOME, OTHER, Api, days_ago
from tests.api.steps import certified, enrolment, ok
from tests.web.conftest import DESKTOP, PHONE, watched_page
from tests.web.console import ACCOUNTS, browser_context, signed_in
from tests.web.reading import HOSTILE, text

COVERAGE, LATE = "/staff/coverage", "/staff/separations/late"
#: The agencies the story registers: (code, name, region).
AGENCIES = [
    ("EASTPD", "East Police", "Uintah Basin"),
    ("ODDPD", HOSTILE, "Uintah Basin"),
    ("BULKPD", "Bulk Police", "Bulk"),
]
#: Late separations of BULKPD: more than one page of them.
BULK = 52


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    """A signed-in client of each staff account; "nobody" holds no session."""
    tmp = tmp_path_factory.mktemp("state-console")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def _enrol(api: Api, post: str, agency: str, **extra: Any) -> str:
    body = enrolment(post, agency, effective_on=days_ago(400).isoformat(), **extra)
    return str(ok(api.client("state").post("/v1/officers", json=body))["id"])


def _separate(api: Api, officer: str, days: int, reason: str = "resigned") -> dict[str, Any]:
    body = {"reason": reason, "effective_on": days_ago(days).isoformat()}
    return ok(api.client("state").post(f"/v1/officers/{officer}/separations", json=body))


@pytest.fixture(scope="module")
def story(api: Api) -> dict[str, Any]:
    """NORTHPD: 1 of 4 patrol officers certified (25%: at target), a telecommunicator, an
    officer who left 45 days ago (reported late: 15 days past the limit) and one who left
    30 days ago (on time). SOUTHPD: 1 of 5 (20%: below), and one who left 31 days ago, with
    a hostile name (late by a day). EASTPD: nobody. ODDPD (a hostile name): 0 of 1. BULKPD:
    BULK officers who all left 40 days ago, one a day later than the next, and one whose
    late separation was voided."""
    state = api.client("state")
    for code, name, region in AGENCIES:
        body = {"code": code, "name": name, "region": region, "districts": ["North"],
                "shifts": ["Day"], "effective_on": "2015-01-01"}  # fmt: skip
        ok(state.post("/v1/agencies", json=body))
    certified(api, "SC-1")
    for post in ("SC-2", "SC-3", "SC-4"):
        _enrol(api, post, HOME)
    _enrol(api, "SC-T", HOME, role="telecommunicator")
    certified(api, "SC-5", OTHER)
    for post in ("SC-6", "SC-7", "SC-8", "SC-9"):
        _enrol(api, post, OTHER)
    _enrol(api, "SC-10", "ODDPD")
    late = _separate(api, _enrol(api, "SC-LATE", HOME), 45, "retired")
    on_time = _separate(api, _enrol(api, "SC-ONTIME", HOME), 30)
    by_a_day = _separate(api, _enrol(api, "SC-ODD", OTHER, name=HOSTILE), 31, "terminated")
    bulk = []
    for n in range(BULK):
        _separate(api, _enrol(api, f"SC-B{n:02d}", "BULKPD"), 40)
        bulk.append(f"SC-B{n:02d}")
    voided = _enrol(api, "SC-VOID", "BULKPD")
    wrong = _separate(api, voided, 90)
    correction = {"corrects_version": wrong["version"], "reason": "reported for the wrong officer"}
    ok(state.post(f"/v1/officers/{voided}/corrections", json=correction))
    return {"late": late, "on_time": on_time, "by_a_day": by_a_day, "bulk": bulk}


def get(client: httpx.Client, path: str, status: int = 200, **params: Any) -> httpx.Response:
    page = client.get(path, params=params, headers={"Accept": "text/html"})
    assert page.status_code == status, page.text[:500]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    if status == 200:
        assert page.headers["cache-control"] == "no-store"
    return page


def rows(page: httpx.Response, key: str, *names: str) -> dict[str, tuple[str, ...]]:
    """The table rows marked `data-KEY`, by that value: the values of `data-NAME...`."""
    found = {}
    for tag in re.findall(rf"<(?:tr|li) [^>]*data-{key}=[^>]*>", page.text):
        values = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}
        found[values[key]] = tuple(values[name] for name in names)
    return found


def said(fragment: str) -> str:
    """The visible text of a piece of a page."""
    return text(httpx.Response(200, text=fragment))


def late_rows(page: httpx.Response) -> list[tuple[str, str, str]]:
    """The late reports listed, in order: (POST number, days after, days late)."""
    return re.findall(
        r'<tr data-position="\d+" data-post="([^"]*)" data-days-after="(\d+)" '
        r'data-days-late="(\d+)"',
        page.text,
    )


# ------------------------------------------------------------------ who may read


@pytest.mark.parametrize("path", [COVERAGE, LATE])
@pytest.mark.parametrize(
    ("who", "status"),
    [("state", 200), ("auditor", 200), ("agency", 403), ("other_agency", 403),
     ("academy", 403), ("nobody", 401)],
)  # fmt: skip
def test_only_the_state_and_auditors_read_the_state_s_pages(
    staff: dict[str, httpx.Client], story: Any, path: str, who: str, status: int
) -> None:
    page = get(staff[who], path, status)
    shown = text(page)
    if status == 200:
        assert "The whole state" in shown
    elif status == 403:
        assert "may not use this page" in shown and "The whole state" not in shown
    else:
        assert "Sign in" in shown and "The whole state" not in shown


def test_an_api_key_is_no_session(api: Api, story: Any) -> None:
    for path in (COVERAGE, LATE):
        assert api.client("state").get(path).status_code == 401


# --------------------------------------------------------------------- coverage


def _api_coverage(api: Api, on: str | None = None) -> dict[str, dict[str, Any]]:
    """Each agency's coverage as the API answers it, with its region."""
    params = {"on": on} if on else {}
    agencies = ok(api.client("state").get("/v1/agencies", params={"limit": 500}))["items"]
    found = {}
    for agency in agencies:
        cover = ok(
            api.client("auditor").get(f"/v1/agencies/{agency['code']}/coverage", params=params)
        )
        found[agency["code"]] = {**cover, "region": agency["region"]}
    return found


def _sums(page: httpx.Response, expected: dict[str, dict[str, Any]]) -> None:
    """The page's agencies, regions and state total are the API's figures added up."""
    agencies = rows(page, "agency", "patrol", "cit")
    assert agencies == {
        code: (str(c["patrol_officers"]), str(c["certified_patrol_officers"]))
        for code, c in expected.items()
    }
    regions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cover in expected.values():
        regions[cover["region"]][0] += cover["patrol_officers"]
        regions[cover["region"]][1] += cover["certified_patrol_officers"]
    shown = rows(page, "region", "patrol", "cit")
    assert shown == {r: (str(p), str(c)) for r, (p, c) in regions.items()}
    total = re.search(r'id="state-total" data-patrol="(\d+)" data-cit="(\d+)"', page.text)
    assert total is not None
    assert (int(total[1]), int(total[2])) == (
        sum(p for p, _ in regions.values()),
        sum(c for _, c in regions.values()),
    )


def test_region_totals_add_up_the_api_s_coverage_of_each_agency(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    page = get(staff["state"], COVERAGE)
    expected = _api_coverage(api)
    _sums(page, expected)
    # The story's own figures, so that the sums are not of zeros.
    assert (expected[HOME]["patrol_officers"], expected[HOME]["certified_patrol_officers"]) == (
        4,
        1,
    )
    assert (expected[OTHER]["patrol_officers"], expected[OTHER]["certified_patrol_officers"]) == (
        5,
        1,
    )
    assert rows(page, "region", "patrol", "cit")["Wasatch"] == ("9", "2")
    assert "against the state's target of 25%" in text(page)
    assert f"on {long_date(days_ago(0))} (today)" in text(page)


def test_each_agency_says_where_it_stands_in_words_and_links_to_its_pages(
    staff: dict[str, httpx.Client], story: Any
) -> None:
    page = get(staff["auditor"], COVERAGE)
    found = re.findall(r'<tr class="(\w+)" data-agency="([^"]+)"(.*?)</tr>', page.text, re.S)
    lines = {code: said(row) for _, code, row in found}
    kinds = {code: kind for kind, code, _ in found}
    assert "25%" in lines[HOME] and "At or above target" in lines[HOME]  # 1 of 4: the target
    assert "20%" in lines[OTHER] and "Below target" in lines[OTHER]
    assert "No patrol officers" in lines["EASTPD"] and "%" not in lines["EASTPD"]
    assert "0%" in lines["ODDPD"] and "Below target" in lines["ODDPD"]
    # BULKPD keeps the officer whose separation was voided: 0 of 1.
    assert kinds == {HOME: "met", OTHER: "below", "EASTPD": "empty", "ODDPD": "below",
                     "BULKPD": "below"}  # fmt: skip
    for code in (HOME, OTHER, "EASTPD", "ODDPD", "BULKPD"):
        assert f'href="/staff/agencies/{code}"' in page.text
    # Wasatch: 2 of 9 (22%), below, with one of its two agencies below.
    wasatch = re.search(r'<tr data-region="Wasatch".*?</tr>', page.text, re.S)
    assert wasatch is not None
    line = said(wasatch[0])
    assert "22%" in line and "Below target" in line and "1 of 2 agencies below" in line


def test_a_hostile_name_is_shown_as_text(staff: dict[str, httpx.Client], story: Any) -> None:
    for path, params in ((COVERAGE, {}), (LATE, {"agency": OTHER})):
        page = get(staff["state"], path, **params)
        assert HOSTILE in text(page)
        assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text


def test_coverage_on_an_earlier_day_is_the_api_s_for_that_day(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    day = days_ago(41).isoformat()  # the day before the bulk officers left BULKPD
    page = get(staff["state"], COVERAGE, on=day)
    expected = _api_coverage(api, day)
    _sums(page, expected)
    assert expected["BULKPD"]["patrol_officers"] == BULK + 1
    assert f"on {long_date(days_ago(41))}" in text(page) and "(today)" not in text(page)
    assert f'value="{day}"' in page.text


@pytest.mark.parametrize("on", ["2026-13-01", "yesterday", "2025-02-30", "1899-12-31", "20250101"])
def test_a_day_that_is_not_a_date_is_refused_beside_the_field(
    staff: dict[str, httpx.Client], story: Any, on: str
) -> None:
    page = get(staff["state"], COVERAGE, 422, on=on)
    shown = text(page)
    assert "There is a problem" in shown and 'aria-invalid="true"' in page.text
    assert "Nothing is shown until the date can be read." in shown
    assert 'data-agency="' not in page.text
    get(staff["state"], COVERAGE, 422, on="x" * 41)  # longer than any date: the schema's 422


# ------------------------------------------------------------ late separations


def test_the_late_reports_are_exactly_those_recorded_after_30_days(
    staff: dict[str, httpx.Client], story: dict[str, Any]
) -> None:
    assert (
        "reported-late" in story["late"]["flags"] and "reported-late" in story["by_a_day"]["flags"]
    )
    assert "reported-late" not in story["on_time"]["flags"]
    for code, expected in ((HOME, [("SC-LATE", "45", "15")]), (OTHER, [("SC-ODD", "31", "1")])):
        page = get(staff["auditor"], LATE, agency=code)
        assert late_rows(page) == expected
    page = get(staff["auditor"], LATE, agency=HOME)
    shown = text(page)
    assert "45 days 15 days past the 30-day limit" in shown and "Retired" in shown
    assert long_date(days_ago(45)) in shown and long_date(days_ago(0)) in shown
    assert 'href="/staff/officers/SC-LATE"' in page.text
    assert "SC-ONTIME" not in page.text and "SC-VOID" not in page.text
    assert "1 day past the 30-day limit" in text(get(staff["auditor"], LATE, agency=OTHER))


def test_each_agency_s_late_reports_are_counted_at_the_top(
    staff: dict[str, httpx.Client], story: Any
) -> None:
    page = get(staff["state"], LATE)
    counts = rows(page, "agency", "count")
    # Most first; the voided separation is not counted.
    assert list(counts.items()) == [("BULKPD", (str(BULK),)), (HOME, ("1",)), (OTHER, ("1",))]
    assert re.search(r'id="total">(\d+)<', page.text)[1] == str(BULK + 2)  # type: ignore[index]
    assert 'href="?agency=BULKPD#list"' in page.text
    assert "SC-VOID" not in page.text


def test_the_list_is_newest_first_fifty_a_page(
    staff: dict[str, httpx.Client], story: dict[str, Any]
) -> None:
    first = get(staff["state"], LATE)
    listed = [post for post, _, _ in late_rows(first)]
    # SC-ODD was recorded before the bulk officers, SC-LATE before it.
    newest = list(reversed(story["bulk"]))
    assert listed == newest[:50]
    assert "page 1 of 2" in text(first) and 'href="?page=2#list"' in first.text
    second = get(staff["state"], LATE, page=2)
    assert [post for post, _, _ in late_rows(second)] == [*newest[50:], "SC-ODD", "SC-LATE"]
    assert 'href="?page=1#list"' in second.text and "page=3" not in second.text
    assert [d for _, d, _ in late_rows(second)] == ["40", "40", "31", "45"]
    bulk = get(staff["state"], LATE, agency="bulkpd", page=2)  # the code in any case
    assert [post for post, _, _ in late_rows(bulk)] == newest[50:]
    assert 'href="?agency=BULKPD&amp;page=1#list"' in bulk.text


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"page": 3}, 404, "There is no page 3: the list has 2 pages."),
        ({"agency": HOME, "page": 2}, 404, "the list has 1 page."),
        ({"agency": "NOSUCHPD"}, 404, "No agency is registered with the code NOSUCHPD."),
        ({"agency": "no such"}, 422, "letters, digits and hyphens"),
        ({"page": 0}, 422, ""),
        ({"page": "two"}, 422, ""),
        ({"agency": "x" * 41}, 422, ""),
    ],
)
def test_a_page_or_agency_that_is_not_there_is_refused(
    staff: dict[str, httpx.Client], story: Any, params: dict[str, Any], status: int, said: str
) -> None:
    page = get(staff["state"], LATE, status, **params)
    assert said in text(page)


# ------------------------------------------------------------ kept answers


def test_what_is_recorded_next_is_shown_at_once(
    api: Api, staff: dict[str, httpx.Client], story: Any
) -> None:
    """The pages keep their answers by the read models' position: a new record is one.
    (Last of the data tests: it adds an agency and a late report.)"""
    body = {"code": "NEWPD", "name": "New Police", "region": "Wasatch", "districts": ["North"],
            "shifts": ["Day"], "effective_on": "2015-01-01"}  # fmt: skip
    ok(api.client("state").post("/v1/agencies", json=body))
    for _ in range(2):  # the second time from what the first kept
        page = get(staff["state"], COVERAGE)
        assert rows(page, "agency", "patrol", "cit")["NEWPD"] == ("0", "0")
        assert get(staff["state"], LATE, agency="NEWPD").text.count("data-days-late=") == 0
    officer = _enrol(api, "SC-NEW", "NEWPD")
    assert rows(get(staff["state"], COVERAGE), "agency", "patrol", "cit")["NEWPD"] == ("1", "0")
    _separate(api, officer, 35)
    assert late_rows(get(staff["state"], LATE, agency="NEWPD")) == [("SC-NEW", "35", "5")]
    assert rows(get(staff["state"], COVERAGE), "agency", "patrol", "cit")["NEWPD"] == ("0", "0")


# ---------------------------------------------------------------- in a browser


def _in_browser(browser: Any, api: Api, client: httpx.Client, path: str, viewport: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    phone = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
    context = browser_context(browser, api, client, viewport, **phone)
    watched = watched_page(context)
    try:
        watched.page.goto(f"{api.base_url}{path}")
        violations = [
            (v["id"], v["impact"])
            for v in Axe().run(watched.page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert violations == []
        width = watched.page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]
        assert watched.unexpected() == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_coverage_page_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client], story: Any, viewport: Any
) -> None:
    _in_browser(browser, api, staff["state"], COVERAGE, viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_late_separations_page_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client], story: Any, viewport: Any
) -> None:
    _in_browser(browser, api, staff["auditor"], LATE, viewport)

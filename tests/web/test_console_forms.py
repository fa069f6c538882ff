"""The console's forms on a real server (SQLite and PostgreSQL): each records what the
API's command records, for the signed-in person (`user:<id>`); sent twice it is recorded
once; a refusal stands beside its field with the rule and keeps what was typed; a stale
form writes nothing and says what changed; a form without its token is refused; and the
roles and scopes are the API's, action by action."""

from __future__ import annotations

import re
from typing import Any, get_args

import httpx
import pytest
from fastapi.routing import APIRoute

from registry.api.app import ROUTERS
from registry.api.auth import roles_of
from registry.web.actions import ACTIONS
from registry.web.pages import SECURITY_HEADERS
from tests.api.conftest import ACADEMY, OTHER, Api, days_ago
from tests.api.steps import certified, enrol, enrolment, ok, train
from tests.web.conftest import DESKTOP, PHONE, watched_page
from tests.web.console import ACCOUNTS, browser_context, signed_in
from tests.web.forms import hidden, opened, recorded, send
from tests.web.reading import HOSTILE, text


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    tmp = tmp_path_factory.mktemp("forms")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def user_of(client: httpx.Client) -> str:
    """The signed-in person's actor id, as the console home page says it."""
    home = text(client.get("/staff"))
    return "user:" + home.split("user:", 1)[1].split()[0]


def history(api: Api, officer: str) -> list[dict[str, Any]]:
    return list(ok(api.client("state").get(f"/v1/officers/{officer}/history"))["items"])


# ------------------------------------------------------------------ recording


def test_an_enrolment_from_the_console_is_recorded_as_the_person(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    clerk = staff["agency"]
    values = {**enrolment("CF-1", name=HOSTILE), "role": "patrol_officer"}
    officer, version, receipt = recorded(send(clerk, "enrol", values))
    assert version == 1
    [entry] = history(api, officer)
    assert (entry["actor_id"], entry["actor_role"]) == (user_of(clerk), "agency")
    shown = clerk.get(receipt)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    said = text(shown)
    assert "Recorded." in said and "Enrolled" in said and user_of(clerk) in said
    assert "POST number CF-1" in said
    assert HOSTILE in said and HOSTILE not in shown.text  # escaped, shown as text
    # The log position shown is the enrolment's own, as the timeline has it.
    timeline = ok(api.client("auditor").get(f"/v1/officers/{officer}/timeline"))["items"]
    assert f"/v1/audit/inclusion?position={timeline[0]['position']}" in shown.text
    # Only the person who recorded it, the state and auditors read the receipt.
    assert staff["state"].get(receipt).status_code == 200
    assert staff["other_agency"].get(receipt).status_code == 404
    assert staff["nobody"].get(receipt).status_code == 401


def test_a_form_sent_twice_is_recorded_once(api: Api, staff: dict[str, httpx.Client]) -> None:
    state = staff["state"]
    form = opened(state, "enrol")
    values = enrolment("CF-2")
    first = recorded(send(state, "enrol", values, form))
    second = send(state, "enrol", values, form)  # the back button, and send again
    officer, version, receipt = recorded(second)
    assert (officer, version) == first[:2] and "replayed=1" in receipt
    assert len(history(api, officer)) == 1
    assert "already recorded" in text(state.get(receipt))
    # The same form with other values: refused, nothing recorded, and a new key to go on.
    changed = send(state, "enrol", {**values, "post_number": "CF-2B"}, form)
    assert changed.status_code == 409 and "already sent with other values" in text(changed)
    assert api.client("state").get("/v1/officers/CF-2B").status_code == 404
    assert hidden(changed)["key"] != hidden(form)["key"]


def test_a_refusal_stands_beside_its_field_and_keeps_what_was_typed(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    enrol(api, "CF-3")
    values = {**enrolment("CF-3"), "name": "Typed Name"}
    refused = send(state, "enrol", values)
    assert refused.status_code == 422
    field = refused.text.split('id="post_number-error"', 1)[1].split("</p>", 1)[0]
    assert "post-number-unique" in field
    assert 'value="Typed Name"' in refused.text and 'aria-invalid="true"' in refused.text
    # A district the agency does not have: beside the district.
    wrong = send(state, "enrol", {**enrolment("CF-3C"), "district": "Nowhere"})
    assert wrong.status_code == 422
    assert "district-and-shift-of-agency" in wrong.text.split('id="district-error"', 1)[1][:400]
    assert api.client("state").get("/v1/officers/CF-3C").status_code == 404


def test_unreadable_and_future_values_are_refused_before_anything_is_sent(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    tomorrow = days_ago(-1).isoformat()
    future = send(state, "enrol", {**enrolment("CF-4"), "effective_on": tomorrow})
    assert future.status_code == 422
    assert "A date after today" in future.text.split('id="effective_on-error"', 1)[1][:300]
    form = opened(state, "enrol")
    assert f'max="{days_ago(0).isoformat()}"' in form.text  # the picker refuses it first
    for name, value in [("effective_on", "03/04/2024"), ("effective_on", "1700000000")]:
        bad = send(state, "enrol", {**enrolment("CF-4"), name: value})
        assert bad.status_code == 422 and "YYYY-MM-DD" in text(bad)
    missing = send(state, "enrol", {**enrolment("CF-4"), "name": ""})
    assert missing.status_code == 422 and "Enter the name" in text(missing)
    assert api.client("state").get("/v1/officers/CF-4").status_code == 404


def test_a_stale_form_records_nothing_and_says_what_changed(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    officer = enrol(api, "CF-5")
    form = opened(state, "assign", officer="CF-5")
    # Meanwhile the agency moves them.
    moved = {"district": "South", "shift": "Night"}
    ok(api.client("agency").post(f"/v1/officers/{officer}/assignments", json=moved))
    stale = send(state, "assign", {"district": "North", "shift": "Day"}, form)
    assert stale.status_code == 409
    said = text(stale)
    assert "changed since you opened this form" in said and "Assigned" in said
    assert [e["details"].get("district") for e in history(api, officer)][-1] == "South"
    assert 'value="North"' in stale.text  # what was typed is kept
    # Sent again from the refreshed form: recorded.
    _, version, _ = recorded(send(state, "assign", {"district": "North", "shift": "Day"}, stale))
    assert version == 3


def test_a_form_without_its_token_changes_nothing(api: Api, staff: dict[str, httpx.Client]) -> None:
    state = staff["state"]
    data = {**hidden(opened(state, "enrol")), **enrolment("CF-6")}
    for token in (None, "forged"):
        sent = {k: v for k, v in data.items() if k != "form_token"}
        if token:
            sent["form_token"] = token
        refused = state.post("/staff/do/enrol", data=sent)
        assert refused.status_code == 403
    assert staff["nobody"].post("/staff/do/enrol", data=data).status_code == 401
    assert api.client("state").get("/v1/officers/CF-6").status_code == 404


# ------------------------------------------------------------------ scope


def test_an_agency_clerk_acts_on_their_own_agency_s_officers_only(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    theirs = enrol(api, "CF-7", OTHER)
    clerk = staff["agency"]
    separation = {"reason": "resigned", "effective_on": days_ago(1).isoformat()}
    refused = send(clerk, "separation", separation, officer="CF-7")
    assert refused.status_code == 403 and "Officer CF-7" not in text(refused)
    assert len(history(api, theirs)) == 1
    # Found by POST number: their POST number only, no name, no certificate, and only the
    # form that would bring them into the clerk's agency.
    found = clerk.get("/staff/do", params={"officer": "CF-7"})
    assert found.status_code == 200 and "Officer CF-7" not in text(found)
    assert "/staff/do/transfer?officer=CF-7" in found.text
    assert "/staff/do/separation?officer=CF-7" not in found.text
    wrong_agency = send(clerk, "enrol", enrolment("CF-7B", OTHER))
    assert wrong_agency.status_code == 403
    assert api.client("state").get("/v1/officers/CF-7B").status_code == 404
    # Their own: recorded, with the deadline said on the form.
    mine = enrol(api, "CF-7C")
    form = opened(clerk, "separation", officer="CF-7C")
    assert "within 30 days" in text(form) and days_ago(30).isoformat() in text(form)
    recorded(send(clerk, "separation", separation, form))
    assert history(api, mine)[-1]["event"] == "Separated"


def test_an_academy_issues_only_within_its_authority(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    """The academy's staff issue on a course their academy recorded; not on one the state
    recorded at it (rule issuer-authority), as its API key would be refused."""
    officer = enrol(api, "CF-8")
    train(api, officer)  # recorded by the state, at the academy
    academy = staff["academy"]
    issue = {"credential": "cit_officer", "effective_on": days_ago(1).isoformat()}
    refused = send(academy, "issue", issue, officer="CF-8")
    assert refused.status_code == 403
    assert "issuer-authority" in refused.text.split('id="credential-error"', 1)[1][:600]
    assert api.client("state").get(f"/v1/officers/{officer}").json()["certificates"] == []


def test_every_command_of_the_api_has_a_form_with_the_api_s_roles() -> None:
    """Each command the API takes (a body made by `body_of`, named after the command) has
    a form, and the form's roles are that route's."""
    routes = {}
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.body_field is not None:
                annotation = route.body_field.field_info.annotation
                body = next((a for a in get_args(annotation) if a is not type(None)), annotation)
                if body.__name__.endswith("Body"):
                    name = body.__name__.removesuffix("Body")
                    routes[name] = roles_of(route.dependant.dependencies)
    assert len(routes) == len(ACTIONS) == 18
    for action in ACTIONS:
        api_roles = routes.get(action.command.__name__)
        assert api_roles is not None, f"no API route takes {action.command.__name__}"
        assert set(action.roles) == set(api_roles), action.slug


@pytest.mark.parametrize("action", [a.slug for a in ACTIONS])
@pytest.mark.parametrize("who", ["state", "auditor", "agency", "academy", "nobody"])
def test_each_role_opens_the_forms_of_its_role_only(
    staff: dict[str, httpx.Client], action: str, who: str
) -> None:
    roles = {r.value for r in next(a for a in ACTIONS if a.slug == action).roles}
    page = staff[who].get(f"/staff/do/{action}")
    expected = 401 if who == "nobody" else 200 if ACCOUNTS[who][0] in roles else 403
    assert page.status_code == expected, page.text[:300]
    sent = staff[who].post(f"/staff/do/{action}", data=hidden(page))
    assert sent.status_code == (expected if expected != 200 else 422)


def test_the_officer_page_offers_the_forms_of_the_role(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    _, number = certified(api, "CF-9")
    clerk = text(staff["agency"].get("/staff/do", params={"officer": "CF-9"}))
    assert "Report a separation" in clerk and "Suspend a certificate" not in clerk
    state = staff["state"].get("/staff/do", params={"officer": number})
    assert "Suspend a certificate" in text(state) and f"number={number}" in state.text
    missing = staff["state"].get("/staff/do", params={"officer": "NO-SUCH"})
    assert missing.status_code == 404 and "NO-SUCH" in text(missing)
    assert ACADEMY  # the academy's own view is the career test's


# ------------------------------------------------------------------ in a browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_clerk_s_forms_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client], viewport: dict[str, int]
) -> None:
    """Every page a clerk uses to record things: no serious axe violation, nothing wider
    than a phone; a future date is refused by the page itself, before anything is sent;
    and the assignment form filled in and sent with the keyboard alone."""
    from axe_playwright_python.sync_playwright import Axe

    post = f"CF-B{viewport['width']}"
    officer = enrol(api, post)
    phone = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
    context = browser_context(browser, api, staff["agency"], viewport, **phone)
    watched = watched_page(context)
    page = watched.page
    try:
        paths = ["/staff/do", f"/staff/do?officer={post}", "/staff/do/enrol",
                 *(f"/staff/do/{a}?officer={post}"
                   for a in ("assign", "separation", "transfer", "post-status"))]  # fmt: skip
        for path in paths:
            page.goto(f"{api.base_url}{path}")
            serious = [(v["id"], v["impact"]) for v in Axe().run(page).response["violations"]
                       if v["impact"] in ("serious", "critical")]  # fmt: skip
            assert serious == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # A future date: the page refuses to send it.
        page.goto(f"{api.base_url}/staff/do/separation?officer={post}")
        page.select_option("#reason", "resigned")
        page.fill("#effective_on", days_ago(-3).isoformat())
        page.get_by_role("button", name="Report a separation").click()
        assert page.evaluate("document.querySelector('#effective_on').validity.rangeOverflow")
        assert "/staff/do/separation" in page.url
        assert len(history(api, officer)) == 1
        # The keyboard alone: Tab to each field, type, Enter sends the form.
        page.goto(f"{api.base_url}/staff/do/assign?officer={post}")
        page.focus("#district")
        page.keyboard.type("South")
        page.keyboard.press("Tab")
        page.keyboard.type("Night")
        page.keyboard.press("Enter")
        page.wait_for_url("**/staff/receipts/**")
        assert "Recorded." in page.inner_text("main")
        serious = [(v["id"], v["impact"]) for v in Axe().run(page).response["violations"]
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert serious == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert history(api, officer)[-1]["details"]["district"] == "South"
        # A refusal in the page: the summary and the field, both read by axe.
        page.goto(f"{api.base_url}/staff/do/enrol")
        page.fill("#post_number", post)
        page.fill("#name", "Someone Else")
        page.fill("#agency_code", "NORTHPD")
        page.fill("#patrol_experience_began_on", days_ago(900).isoformat())
        page.get_by_role("button", name="Enrol an officer").click()
        page.wait_for_load_state("networkidle")
        assert "post-number-unique" in page.inner_text("#post_number-error")
        assert page.input_value("#name") == "Someone Else"
        serious = [(v["id"], v["impact"]) for v in Axe().run(page).response["violations"]
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert serious == []
        watched.expect_console("422")
        assert watched.unexpected() == []
    finally:
        context.close()


def test_every_form_of_the_state_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _, number = certified(api, "CF-BS")
    context = browser_context(browser, api, staff["state"])
    watched = watched_page(context)
    try:
        for action in ACTIONS:
            about = {"officer": "?officer=CF-BS", "certificate": f"?number={number}",
                     "agency": "?code=NORTHPD", "academy": f"?code={ACADEMY}"}  # fmt: skip
            path = f"/staff/do/{action.slug}{about.get(action.about or '', '')}"
            response = watched.page.goto(f"{api.base_url}{path}")
            assert response is not None and response.status == 200, path
            serious = [(v["id"], v["impact"])
                       for v in Axe().run(watched.page).response["violations"]
                       if v["impact"] in ("serious", "critical")]  # fmt: skip
            assert serious == [], path
        assert watched.unexpected() == []
    finally:
        context.close()


@pytest.mark.parametrize("who", ["state", "auditor", "agency", "academy"])
def test_the_home_page_links_each_role_to_pages_it_may_open(
    staff: dict[str, httpx.Client], who: str
) -> None:
    home = staff[who].get("/staff")
    links = {link for link in re.findall(r'href="(/staff/[^"#]*)"', home.text) if "{" not in link}
    expected = {
        "state": {"/staff/do", "/staff/coverage", "/staff/imports", "/staff/users",
                  "/staff/keys", "/staff/signing-keys", "/staff/separations/late"},
        "auditor": {"/staff/coverage", "/staff/separations/late"},
        "agency": {"/staff/do", "/staff/agencies/NORTHPD"},
        "academy": {"/staff/do"},
    }[who]  # fmt: skip
    assert expected <= links, links
    if who != "state":
        assert not links & {"/staff/imports", "/staff/users", "/staff/signing-keys"}
    forms = {
        f"/staff/do/{a.slug}" for a in ACTIONS if ACCOUNTS[who][0] in {r.value for r in a.roles}
    }
    for link in sorted(links | forms):
        got = staff[who].get(link)
        assert got.status_code == 200, link
        # The public pages' policy holds here too: its headers, and no inline script or style.
        for name, value in SECURITY_HEADERS.items():
            assert got.headers[name] == value, (link, name)
        assert not re.search(r"<script(?![^>]*\bsrc=)", got.text), link
        assert not re.search(r"\sstyle=", got.text) and "<style" not in got.text, link


#: Forms about an officer, the API route each stands for, and values both take.
PARITY = {
    "assign": ("assignments", {"district": "North", "shift": "Day"}),
    "exam": ("exams", {"kind": "written", "passed": True, "taken_on": days_ago(5).isoformat()}),
    "post-status": ("post-status", {"status": "active", "effective_on": days_ago(1).isoformat()}),
    "training": ("trainings", {"kind": "continuing_education", "hours": 2,
                               "academy_code": ACADEMY, "completed_on": days_ago(3).isoformat()}),
}  # fmt: skip


@pytest.mark.parametrize("action", list(PARITY))
@pytest.mark.parametrize("who", ["agency", "other_agency", "academy"])
@pytest.mark.parametrize("trained", [True, False], ids=["trained-there", "not-trained-there"])
def test_a_form_refuses_exactly_what_the_same_person_s_key_is_refused(
    api: Api, staff: dict[str, httpx.Client], action: str, who: str, trained: bool
) -> None:
    """The scope matrix: for a NORTHPD officer (trained at the academy, or not), each form
    is refused for lack of authority (403) exactly when the API refuses the same role's key."""
    post = f"CFP-{action[:4]}-{who[:3]}-{int(trained)}".upper()
    officer = enrol(api, post)
    if trained:
        train(api, officer)
    path, values = PARITY[action]
    by_key = api.client(who).post(f"/v1/officers/{officer}/{path}", json=values)
    by_form = send(staff[who], action, values, officer=post) if _opens(staff[who], action) else None
    refused_by_form = by_form is None or by_form.status_code == 403
    assert (by_key.status_code == 403) == refused_by_form, (by_key.text, by_form)
    if by_form is not None and not refused_by_form:
        assert by_form.status_code == 303, by_form.text[:800]


def _opens(client: httpx.Client, action: str) -> bool:
    return client.get(f"/staff/do/{action}").status_code == 200

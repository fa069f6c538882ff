"""The console's watches page on a real server (SQLite and PostgreSQL): a clerk watches a
candidate of another agency by both numbers (the same form sent twice, or twice at once,
starts one watch), a wrong POST number refused in the words of a wrong certificate number,
the agency's own officer refused, ending a watch with a reason, who may use the page (as
the API's watch routes: the agency for itself, and the state), another agency's watch not
reached through one's own path, the form token required, and the page in Chromium at
375 px (axe)."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest

from registry.web.watches_console import UNKNOWN
from tests.api.conftest import HOME, OTHER, Api, today
from tests.api.steps import certified
from tests.web.conftest import PHONE, watched_page
from tests.web.console import ACCOUNTS, axe_fits, browser_context, signed_in
from tests.web.console import policed_get as get
from tests.web.reading import HOSTILE, text
from tests.web.signing_in import form_token

WATCHES = f"/staff/agencies/{HOME}/watches"
#: The policy's candidate_watch_days.
DAYS = 180


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    """A signed-in client of each staff account (state, auditor, agency, other_agency,
    academy); "nobody" holds no session."""
    tmp = tmp_path_factory.mktemp("watches")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def listed(api: Api, code: str = HOME) -> list[dict[str, Any]]:
    """The agency's watches, as the API lists them to the state."""
    answer = api.client("state").get(f"/v1/agencies/{code}/watches", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def post(client: httpx.Client, path: str, page: httpx.Response, **data: str) -> httpx.Response:
    """Send a form of `page` (with its token) to `path`."""
    return client.post(path, data={"form_token": form_token(page), **data})


def start(client: httpx.Client, number: str, post_number: str, code: str = HOME) -> httpx.Response:
    """Open the watches page, fill in its form, send it."""
    path = f"/staff/agencies/{code}/watches"
    return post(client, path, get(client, path), certificate_number=number,
                post_number=post_number)  # fmt: skip


def started(api: Api, client: httpx.Client, number: str, post_number: str,
            code: str = HOME) -> dict[str, Any]:  # fmt: skip
    """A watch started through the page, as the API lists it."""
    done = start(client, number, post_number, code)
    assert done.status_code == 303, text(done)[:800]
    assert done.headers["location"] == f"/staff/agencies/{code}/watches?done=started"
    [found] = [w for w in listed(api, code) if w["certificate_number"] == number and w["active"]]
    return found


def value_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<input id="{name}" name="{name}" type="text" value="([^"]*)"', page.text)
    assert found, page.text[:800]
    return html.unescape(found.group(1))


def error_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="error" id="{name}(?:-error)?">(.*?)</p>', page.text, re.S)
    assert found, f"no error beside {name}: {text(page)[:800]}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).removeprefix("Error: ")


def invalid(page: httpx.Response, name: str) -> bool:
    found = re.search(rf'<input id="{name}" [^>]*>', page.text, re.S)
    assert found, page.text[:800]
    return 'aria-invalid="true"' in found.group(0)


def card(page: httpx.Response, watch_id: str) -> tuple[str, str]:
    """A watch's card: its state (active or ended) and its HTML."""
    found = re.search(rf'<li class="card" data-watch="{watch_id}" data-state="(\w+)">(.*?)</li>',
                      page.text, re.S)  # fmt: skip
    assert found, page.text[:800]
    return found.group(1), found.group(2)


# ------------------------------------------------------------------ starting


def test_a_clerk_watches_a_candidate_and_the_form_sent_twice_starts_one_watch(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    candidate, number = certified(api, "WW-1", OTHER)
    clerk = staff["agency"]
    page = get(clerk, WATCHES)
    said = text(page)
    assert "both together stand for the candidate's consent" in said
    assert f"lasts at most {DAYS} days" in said
    assert "watches no candidate" in said
    sent = post(clerk, WATCHES, page, certificate_number=f" {number.lower()} ",
                post_number="WW-1")  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == f"{WATCHES}?done=started"
    [watch] = [w for w in listed(api) if w["officer_id"] == candidate]
    assert watch["active"] and watch["certificate_number"] == number
    assert watch["started_on"] == today().isoformat()
    assert watch["ends_on"] == (today() + timedelta(days=DAYS)).isoformat()
    record = api.client("state").get(f"/v1/officers/{candidate}").json()
    assert record["watched_by"] == [HOME]
    shown = get(clerk, sent.headers["location"])
    assert "The watch is started" in text(shown)
    state, row = card(shown, watch["id"])
    assert state == "active" and number in row and "Active" in row
    assert f"{DAYS} days left" in row
    assert f'action="{WATCHES}/{watch["id"]}/end"' in row
    # The same form sent again (a second click, or the page sent back): refused, plainly.
    again = post(clerk, WATCHES, page, certificate_number=number, post_number="WW-1")
    assert again.status_code == 422
    assert "watches this candidate already" in error_of(again, "certificate_number")
    assert "watch-once-per-candidate" in error_of(again, "certificate_number")
    assert value_of(again, "certificate_number") == number
    assert value_of(again, "post_number") == "WW-1"
    assert re.findall(r'<li><a href="#([\w-]+)">', again.text) == ["certificate_number"]
    assert [w["id"] for w in listed(api) if w["officer_id"] == candidate] == [watch["id"]]


def test_a_form_sent_twice_at_once_starts_one_watch(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    candidate, number = certified(api, "WW-2", OTHER)
    clerk = staff["agency"]
    page = get(clerk, WATCHES)
    answers: list[int] = []
    gate = threading.Barrier(3)

    def send() -> None:
        with httpx.Client(base_url=str(clerk.base_url), cookies=clerk.cookies,
                          timeout=30) as each:  # fmt: skip
            gate.wait()
            answers.append(post(each, WATCHES, page, certificate_number=number,
                                post_number="WW-2").status_code)  # fmt: skip

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 422, 422]
    assert len([w for w in listed(api) if w["officer_id"] == candidate]) == 1


def test_a_wrong_post_number_is_refused_as_a_wrong_certificate_number(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    _, number = certified(api, "WW-3", OTHER)
    _, another = certified(api, "WW-4", OTHER)
    clerk = staff["agency"]
    before = listed(api)
    said = []
    for typed_number, post_number in [
        (number, "WW-4"),  # another officer's POST number
        (number, "WW-NOSUCH"),  # no officer's
        (another, "WW-3"),  # another officer's certificate
        ("UT-CIT-NOSUCH00", "WW-3"),  # no certificate
    ]:
        page = start(clerk, typed_number, post_number)
        assert page.status_code == 422, page.text[:800]
        said.append(error_of(page, "certificate_number"))
        # Both fields are marked, as either could be wrong; what was typed is kept.
        assert invalid(page, "certificate_number") and invalid(page, "post_number")
        assert value_of(page, "certificate_number") == typed_number
        assert value_of(page, "post_number") == post_number
        assert "post_number-error" not in page.text
    assert said == [UNKNOWN] * 4
    assert listed(api) == before


def test_the_agency_s_own_officer_is_refused(api: Api, staff: dict[str, httpx.Client]) -> None:
    _, number = certified(api, "WW-5", HOME)
    before = listed(api)
    page = start(staff["agency"], number, "WW-5")
    assert page.status_code == 422
    said = error_of(page, "certificate_number")
    assert "employs this officer" in said and "watch-not-of-own-officer" in said
    assert value_of(page, "post_number") == "WW-5"
    assert listed(api) == before


def test_empty_and_overlong_numbers_are_refused_beside_their_fields(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    before = listed(api)
    page = start(staff["agency"], "  ", "")
    assert page.status_code == 422
    assert "Enter the candidate's certificate number" in error_of(page, "certificate_number")
    assert "Enter the candidate's POST number" in error_of(page, "post_number")
    assert re.findall(r'<li><a href="#([\w-]+)">', page.text) == [
        "certificate_number", "post_number"]  # fmt: skip
    long = start(staff["agency"], "A" * 65, HOSTILE)
    assert long.status_code == 422
    assert "at most 64 characters (this is 65)" in error_of(long, "certificate_number")
    assert value_of(long, "post_number") == HOSTILE.strip()
    assert "<script>alert" not in long.text
    assert listed(api) == before


# ------------------------------------------------------------------ ending


def test_ending_a_watch_needs_a_reason(api: Api, staff: dict[str, httpx.Client]) -> None:
    _, number = certified(api, "WW-6", OTHER)
    state = staff["state"]  # the state, for the agency
    watch = started(api, state, number, "WW-6")
    page = get(state, WATCHES)
    name = f"reason-{watch['id']}"
    action = f"{WATCHES}/{watch['id']}/end"
    refused = post(state, action, page, **{name: "   "})
    assert refused.status_code == 422
    assert "Say why the watch ends" in error_of(refused, name)
    assert invalid(refused, name)
    assert re.findall(r'<li><a href="#([\w-]+)">', refused.text) == [name]
    assert [w["active"] for w in listed(api) if w["id"] == watch["id"]] == [True]
    done = post(state, action, page, **{name: HOSTILE})
    assert done.status_code == 303 and done.headers["location"] == f"{WATCHES}?done=ended"
    [now] = [w for w in listed(api) if w["id"] == watch["id"]]
    assert now["active"] is False and now["ended_reason"] == HOSTILE.strip()
    assert now["ended_on"] == today().isoformat()
    shown = get(state, done.headers["location"])
    assert "The watch is ended" in text(shown)
    kind, row = card(shown, watch["id"])
    assert kind == "ended" and "Ended" in row and HOSTILE.strip() in html.unescape(row)
    assert "<script>alert" not in shown.text
    assert f'action="{action}"' not in shown.text  # no form that would be refused
    # Sent again from the page opened before: refused beside the watch, nothing changed.
    again = post(state, action, page, **{name: "once more"})
    assert again.status_code == 422
    assert "has ended already" in error_of(again, name)
    assert [w for w in listed(api) if w["id"] == watch["id"]] == [now]
    # Ended, the candidate may be watched again.
    assert started(api, state, number, "WW-6")["id"] != watch["id"]


# ------------------------------------------------------------------ who may


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("agency", HOME, 200),
        ("agency", OTHER, 403),
        ("other_agency", OTHER, 200),
        ("other_agency", HOME, 403),
        ("state", HOME, 200),
        ("state", OTHER, 200),
        ("auditor", HOME, 403),
        ("academy", HOME, 403),
        ("nobody", HOME, 401),
    ],
)
def test_who_may_list_start_and_end(
    api: Api, staff: dict[str, httpx.Client], who: str, code: str, status: int
) -> None:
    client = staff[who]
    path = f"/staff/agencies/{code}/watches"
    page = get(client, path, status)
    if status == 403 and who in ("agency", "other_agency"):
        assert f"agency {ACCOUNTS[who][2]} only" in text(page)
    elif status == 403:
        assert f"The {who} role may not use this page" in text(page)
    post_number = f"WR-{who.upper()}-{code}"
    _, number = certified(api, post_number, OTHER if code == HOME else HOME)
    before = listed(api, code)
    token = form_token(get(client, "/staff")) if who != "nobody" else "x" * 40
    sent = client.post(path, data={"form_token": token, "certificate_number": number,
                                   "post_number": post_number})  # fmt: skip
    assert sent.status_code == (303 if status == 200 else status), text(sent)[-900:]
    after = listed(api, code)
    assert len(after) == len(before) + (status == 200)
    # Ending: the state's watch of the agency, through the agency's path.
    watch = after[-1] if status == 200 else started(api, staff["state"], number, post_number,
                                                    code)  # fmt: skip
    ended = client.post(f"{path}/{watch['id']}/end",
                        data={"form_token": token, f"reason-{watch['id']}": "filled"})  # fmt: skip
    assert ended.status_code == (303 if status == 200 else status), ended.text[:800]
    [now] = [w for w in listed(api, code) if w["id"] == watch["id"]]
    assert now["active"] is (status != 200)


def test_another_agency_s_watch_is_not_reached_through_one_s_own_path(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    _, number = certified(api, "WW-7", HOME)
    theirs = started(api, staff["other_agency"], number, "WW-7", code=OTHER)
    clerk = staff["agency"]
    page = get(clerk, WATCHES)
    assert theirs["id"] not in page.text
    data = {f"reason-{theirs['id']}": "not ours"}
    # Through the clerk's own agency: no such watch of it (as the API answers).
    assert post(clerk, f"{WATCHES}/{theirs['id']}/end", page, **data).status_code == 404
    # Through the other agency's path: refused.
    assert post(clerk, f"/staff/agencies/{OTHER}/watches/{theirs['id']}/end", page,
                **data).status_code == 403  # fmt: skip
    assert [w for w in listed(api, OTHER) if w["id"] == theirs["id"]] == [theirs]
    # The state sees it; an unknown agency or watch is not found; a bad id refused.
    assert theirs["id"] in get(staff["state"], f"/staff/agencies/{OTHER}/watches").text
    get(staff["state"], "/staff/agencies/NOSUCHPD/watches", 404)
    state_page = get(staff["state"], WATCHES)
    missing = post(staff["state"], f"{WATCHES}/wt_0000000000000000/end", state_page,
                   **{"reason-wt_0000000000000000": "x"})  # fmt: skip
    assert missing.status_code == 404
    bad = post(staff["state"], f"{WATCHES}/%3Cscript%3E/end", state_page)
    assert bad.status_code == 422


def test_a_form_without_its_token_changes_nothing(api: Api, staff: dict[str, httpx.Client]) -> None:
    _, number = certified(api, "WW-8", OTHER)
    _, spare = certified(api, "WW-9", OTHER)
    clerk = staff["agency"]
    watch = started(api, clerk, number, "WW-8")
    before = listed(api)
    other_session = form_token(get(staff["state"], WATCHES))  # a token, but not this session's
    for action, data in [
        (WATCHES, {"certificate_number": spare, "post_number": "WW-9"}),
        (f"{WATCHES}/{watch['id']}/end", {f"reason-{watch['id']}": "no token"}),
    ]:
        for token in ({}, {"form_token": other_session}, {"form_token": ""}):
            sent = clerk.post(action, data={**data, **token})
            assert sent.status_code == 403, (action, sent.text[:500])
            assert "This form has expired" in text(sent)
    assert listed(api) == before


# ---------------------------------------------------------------- in a browser


def _checked(watched: Any, name: str) -> None:
    """axe finds no serious or critical violation, and the page fits 375 px."""
    axe_fits(watched, name, PHONE["width"])


def test_the_page_on_a_phone_passes_axe(
    browser: Any, api: Api, staff: dict[str, httpx.Client]
) -> None:
    _, number = certified(api, "WB-1", OTHER)
    context = browser_context(browser, api, staff["agency"], PHONE, is_mobile=True,
                              has_touch=True)  # fmt: skip
    watched = watched_page(context)
    page = watched.page
    try:
        page.goto(f"{api.base_url}{WATCHES}")
        assert page.locator("nav.console a[aria-current='page']").inner_text() == "Watches"
        _checked(watched, "the list")
        # Refused: beside the field, what was typed kept.
        page.fill("#certificate_number", number)
        page.fill("#post_number", "WB-2")
        page.click("button:has-text('Start the watch')")
        page.wait_for_selector("#certificate_number-error")
        watched.expect_console("422")  # the refusal, on purpose
        assert page.locator("#certificate_number-error").inner_text().endswith(UNKNOWN)
        assert page.locator("#certificate_number").input_value() == number
        assert page.locator("#post_number").input_value() == "WB-2"
        _checked(watched, "the list, refused")
        page.fill("#post_number", "WB-1")
        page.click("button:has-text('Start the watch')")
        page.wait_for_selector("text=The watch is started")
        [watch] = [w for w in listed(api) if w["certificate_number"] == number]
        assert page.locator(f"[data-watch='{watch['id']}']").is_visible()
        _checked(watched, "a watch started")
        name = f"reason-{watch['id']}"
        page.click(f"[data-watch='{watch['id']}'] button:has-text('End the watch')")
        page.wait_for_selector(f"#{name}-error")
        _checked(watched, "ending, refused")
        page.fill(f"#{name}", "The candidate was hired elsewhere.")
        page.click(f"[data-watch='{watch['id']}'] button:has-text('End the watch')")
        page.wait_for_selector("text=The watch is ended")
        assert page.locator(f"[data-watch='{watch['id']}'][data-state='ended']").is_visible()
        _checked(watched, "a watch ended")
        assert watched.unexpected() == []
    finally:
        context.close()

"""The console's webhook pages on a real server (SQLite and PostgreSQL; loopback URLs allowed,
as on every test server, where the tests' receivers listen): registering shows the secret
once (not in the list, not in the server's log), a refused URL beside its field with what
was typed kept, rotating, disabling with a reason, the deliveries with their attempts and a
replay, who may use the pages (as the API's webhook routes: the agency for itself, and the
state), the form token required, and the pages in Chromium at 375 px (axe)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import standardwebhooks

from registry.alerts.endpoints import fingerprint
from registry.domain.webhooks import SUBSCRIBABLE
from tests.alerts.receiver import Receiver, receiving
from tests.api.conftest import HOME, OTHER, Api
from tests.api.steps import certified
from tests.web.conftest import PHONE, watched_page
from tests.web.console import ACCOUNTS, axe_fits, browser_context, policed, signed_in
from tests.web.console import policed_get as get
from tests.web.reading import HOSTILE, text
from tests.web.signing_in import form_token

HOOKS = f"/staff/agencies/{HOME}/webhooks"
EVERY = sorted(SUBSCRIBABLE)
SECRET = re.compile(r'id="secret">(whsec_[^<]+)<')
CHECKED = re.compile(r'name="events" value="([^"]+)" checked')


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    """A signed-in client of each staff account (state, auditor, agency, other_agency,
    academy); "nobody" holds no session."""
    tmp = tmp_path_factory.mktemp("webhooks")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 for the endpoints these tests register."""
    with receiving() as found:
        yield found


def listed(api: Api, code: str = HOME) -> list[dict[str, Any]]:
    """The agency's endpoints, as the API lists them to the state."""
    answer = api.client("state").get(f"/v1/agencies/{code}/webhooks")
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def register(
    client: httpx.Client, url: str, events: list[str] | None = None, code: str = HOME
) -> httpx.Response:
    """Open the list page, fill in its form (every kind ticked unless `events`), send it."""
    path = f"/staff/agencies/{code}/webhooks"
    page = get(client, path)
    data = {"form_token": form_token(page), "key": key_of(page), "url": url,
            "events": EVERY if events is None else events}  # fmt: skip
    return client.post(path, data=data)


def registered(
    api: Api, client: httpx.Client, url: str, events: list[str] | None = None, code: str = HOME
) -> tuple[dict[str, Any], str]:
    """An endpoint registered through the console: as the API lists it, and its secret."""
    return shown(api, register(client, url, events, code), code)


def shown(api: Api, made: httpx.Response, code: str = HOME) -> tuple[dict[str, Any], str]:
    """The endpoint a registration's answer shows the secret of, and the secret."""
    assert made.status_code == 200, made.text[:800]
    assert policed(made).headers["cache-control"] == "no-store"
    found = SECRET.search(made.text)
    assert found, made.text[:800]
    secret = found.group(1)
    [endpoint] = [e for e in listed(api, code) if e["fingerprint"] == fingerprint(secret)]
    return endpoint, secret


def post(client: httpx.Client, path: str, page: httpx.Response, **data: str) -> httpx.Response:
    """Send a form of `page` (with its token) to `path`."""
    return client.post(path, data={"form_token": form_token(page), **data})


def key_of(page: httpx.Response) -> str:
    """The registration form's own key (sent twice, it registers once)."""
    found = re.search(r'<input type="hidden" name="key" value="([^"]+)"', page.text)
    assert found, page.text[:800]
    return found.group(1)


def value_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<input id="{name}" name="{name}" type="text" value="([^"]*)"', page.text)
    assert found, page.text[:800]
    return html.unescape(found.group(1))


def error_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page.text, re.S)
    assert found, f"no error beside {name}: {text(page)[:800]}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def card(page: httpx.Response, ep: str) -> str:
    """The list's card of an endpoint, as HTML."""
    found = re.search(rf'<li class="card" data-endpoint="{ep}">(.*?)</dl>', page.text, re.S)
    assert found, page.text[:800]
    return found.group(1)


def server_log(api: Api) -> str:
    return api.log.read_text() if api.log else ""


# ------------------------------------------------------------------ registering


def test_a_clerk_registers_an_endpoint_and_sees_its_secret_once(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    clerk = staff["agency"]
    form = get(clerk, HOOKS)
    assert CHECKED.findall(form.text) == EVERY  # every kind ticked at first
    wanted = ["certificate.suspended", "certificate.revoked"]
    made = register(clerk, receiver.url, wanted)
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    assert "The signing secret" in text(made) and "only time the secret is shown" in text(made)
    endpoint, secret = shown(api, made)
    assert secret.startswith("whsec_")
    assert endpoint["events"] == sorted(wanted) and endpoint["enabled"] is True
    # The list shows the endpoint, its fingerprint and kinds; never the secret, nor the
    # endpoint's page, nor the server's log.
    again = get(clerk, HOOKS)
    row = card(again, endpoint["id"])
    assert endpoint["fingerprint"] in row and receiver.url in row
    assert "certificate.suspended" in row and "Sending" in row
    assert secret not in again.text
    assert secret not in get(clerk, f"{HOOKS}/{endpoint['id']}").text
    assert secret not in server_log(api)
    # Every kind, the default: said as such.
    every, _ = registered(api, clerk, receiver.url)
    assert every["events"] == EVERY
    assert f"Every kind of change ({len(EVERY)})" in card(get(clerk, HOOKS), every["id"])


@pytest.mark.parametrize(
    ("url", "events", "refused"),
    [
        ("https://10.0.0.1/x", ["certificate.revoked"], {"url": "is a private address"}),
        ("https://169.254.169.254/latest", EVERY, {"url": "cloud metadata address"}),
        ("http://example.org/hooks", EVERY, {"url": "must use https"}),
        ("", EVERY, {"url": "Enter the URL"}),
        ("https://10.0.0.1/x", [], {"url": "private address", "events": "at least one"}),
        ("https://" + "a" * 2050 + ".org/", EVERY, {"url": "2048 characters"}),
    ],
)
def test_a_refused_url_is_said_beside_its_field_and_what_was_typed_is_kept(
    api: Api, staff: dict[str, httpx.Client], url: str, events: list[str],
    refused: dict[str, str],
) -> None:  # fmt: skip
    before = listed(api)
    page = register(staff["agency"], url, events)
    assert page.status_code == 422, page.text[:800]
    for field, said in refused.items():
        assert said in error_of(page, field)
    # The summary leads to each field, in the form's order.
    assert re.findall(r'<li><a href="#(\w+)">', page.text) == list(refused)
    assert value_of(page, "url") == url
    assert CHECKED.findall(page.text) == sorted(events)
    assert 'aria-invalid="true"' in page.text
    assert listed(api) == before


def test_an_unknown_kind_of_change_is_refused_beside_the_kinds(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    before = listed(api)
    page = register(staff["agency"], receiver.url, ["certificate.revoked", "no.such"])
    assert page.status_code == 422
    assert "Unknown event type no.such" in error_of(page, "events")
    assert CHECKED.findall(page.text) == ["certificate.revoked"]
    assert value_of(page, "url") == receiver.url
    assert listed(api) == before


# ------------------------------------------------------- rotating and disabling


def test_rotating_shows_the_new_secret_once(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    clerk = staff["agency"]
    endpoint, old = registered(api, clerk, receiver.url)
    path = f"{HOOKS}/{endpoint['id']}"
    page = get(clerk, path)
    assert endpoint["fingerprint"] in text(page)
    rotated = post(clerk, f"{path}/secret", page)
    assert rotated.status_code == 200 and policed(rotated).headers["cache-control"] == "no-store"
    found = SECRET.search(rotated.text)
    assert found and found.group(1) != old
    new = found.group(1)
    assert "still signs beside it for 24 hours" in text(rotated)
    [now] = [e for e in listed(api) if e["id"] == endpoint["id"]]
    assert now["fingerprint"] == fingerprint(new) != endpoint["fingerprint"]
    shown = get(clerk, path)
    assert now["fingerprint"] in text(shown) and new not in shown.text and old not in shown.text
    assert new not in get(clerk, HOOKS).text and new not in server_log(api)


def test_disabling_needs_a_reason_and_then_nothing_more_can_be_done(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    state = staff["state"]  # the state, for the agency
    endpoint, _ = registered(api, state, receiver.url)
    path = f"{HOOKS}/{endpoint['id']}"
    page = get(state, path)
    refused = post(state, f"{path}/disable", page, reason="   ")
    assert refused.status_code == 422
    assert "Say why the endpoint is disabled" in error_of(refused, "reason")
    assert [e["enabled"] for e in listed(api) if e["id"] == endpoint["id"]] == [True]
    done = post(state, f"{path}/disable", page, reason=HOSTILE)
    assert done.status_code == 303 and done.headers["location"] == f"{path}?done=disabled"
    [now] = [e for e in listed(api) if e["id"] == endpoint["id"]]
    assert now["enabled"] is False and now["disabled_reason"] == HOSTILE.strip()
    shown = get(state, done.headers["location"])
    assert "The endpoint is disabled" in text(shown) and HOSTILE.strip() in text(shown)
    assert "<script>alert" not in shown.text
    assert f'action="{path}/secret"' not in shown.text  # no form that would be refused
    assert f'action="{path}/disable"' not in shown.text
    assert "Disabled" in card(get(state, HOOKS), endpoint["id"])
    # Sent anyway (from a page opened before): refused beside the form, what was typed kept.
    again = post(state, f"{path}/disable", page, reason="once more")
    assert again.status_code == 422 and "webhook-already-disabled" in error_of(again, "reason")
    assert value_of(again, "reason") == "once more"
    rotated = post(state, f"{path}/secret", page)
    assert rotated.status_code == 422 and "webhook-already-disabled" in error_of(rotated, "rotate")
    assert SECRET.search(rotated.text) is None
    [after] = [e for e in listed(api) if e["id"] == endpoint["id"]]
    assert after == now


# ---------------------------------------------------------------- deliveries


def _delivered(api: Api, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` are delivered (the server's worker sends)."""
    path = f"/v1/agencies/{HOME}/webhooks/{endpoint_id}/deliveries"
    deadline = time.monotonic() + 15
    while True:
        found = list(ok_list(api.client("state").get(path)))
        if sum(d["state"] == "delivered" for d in found) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def ok_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())


def _suspend(api: Api, post_number: str) -> None:
    _, number = certified(api, post_number)
    done = api.client("state").post(
        f"/v1/certifications/{number}/suspensions", json={"reason": "complaint under review"}
    )
    assert done.status_code == 201, done.text


def test_deliveries_show_every_attempt_and_one_is_sent_again(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    clerk = staff["agency"]
    with receiving() as own:
        own.script.append((503, {}))  # the first attempt fails, the retry is answered
        endpoint, secret = registered(api, clerk, own.url, ["certificate.suspended"])
        _suspend(api, "WC-1")
        [delivery] = _delivered(api, endpoint["id"], 1)
        path = f"{HOOKS}/{endpoint['id']}"
        page = get(clerk, path)
        item = re.search(rf'data-delivery="{delivery["msg_id"]}" data-state="delivered">(.*?)</li>',
                         page.text, re.S)  # fmt: skip
        assert item, page.text[:2000]
        attempts = re.findall(r'<tr data-attempt="(\d+)" data-status="(\d*)">', item.group(1))
        assert attempts == [("1", "503"), ("2", "204")]
        assert "HTTP 503" in item.group(1) and "HTTP 204" in item.group(1)
        assert re.search(r"\d+ ms", item.group(1)) and "certificate.suspended" in item.group(1)
        # What arrived is signed with the secret the console showed.
        got = [g for g in own.got if g.headers["webhook-id"] == delivery["msg_id"]]
        assert len(got) == 2
        standardwebhooks.Webhook(secret).verify(got[-1].body, got[-1].headers)
        # Sent again: the same webhook-id, once more.
        action = f"{path}/deliveries/{delivery['msg_id']}/replay"
        assert f'action="{action}"' in page.text
        again = post(clerk, action, page)
        assert again.status_code == 303 and again.headers["location"] == f"{path}?done=replayed"
        assert "queued again" in text(get(clerk, again.headers["location"]))
        deadline = time.monotonic() + 15
        while len(own.got) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [g.headers["webhook-id"] for g in own.got] == [delivery["msg_id"]] * 3
        # Another endpoint's delivery, or none: not found, nothing sent.
        missing = post(clerk, f"{path}/deliveries/msg_nosuch/replay", page)
        assert missing.status_code == 404
        # A disabled endpoint is sent nothing again.
        assert post(clerk, f"{path}/disable", page, reason="moving").status_code == 303
        refused = post(clerk, action, page)
        assert refused.status_code == 422 and "is disabled" in error_of(refused, "deliveries")
        assert f'action="{action}"' not in refused.text
        time.sleep(0.5)
        assert len(own.got) == 3


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
def test_who_may_list_and_register(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver, who: str, code: str,
    status: int,
) -> None:  # fmt: skip
    client = staff[who]
    path = f"/staff/agencies/{code}/webhooks"
    page = get(client, path, status)
    if status == 403 and who in ("agency", "other_agency"):
        assert f"agency {ACCOUNTS[who][2]} only" in text(page)
    elif status == 403:
        assert f"The {who} role may not use this page" in text(page)
    before = listed(api, code)
    token = form_token(get(client, "/staff")) if who != "nobody" else "x" * 40
    sent = client.post(path, data={"form_token": token, "url": receiver.url, "events": EVERY})
    assert sent.status_code == status, sent.text[:800]
    after = listed(api, code)
    if status == 200:
        assert SECRET.search(sent.text) and len(after) == len(before) + 1
    else:
        assert SECRET.search(sent.text) is None and after == before


def test_another_agency_s_endpoint_is_not_reached_through_one_s_own_pages(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    theirs, _ = registered(api, staff["other_agency"], receiver.url, code=OTHER)
    clerk = staff["agency"]
    # Through the clerk's own agency: no such endpoint of it (as the API answers).
    get(clerk, f"{HOOKS}/{theirs['id']}", 404)
    page = get(clerk, HOOKS)
    for action, data in (("secret", {}), ("disable", {"reason": "not ours"})):
        assert post(clerk, f"{HOOKS}/{theirs['id']}/{action}", page, **data).status_code == 404
    # Through the other agency's pages: refused.
    get(clerk, f"/staff/agencies/{OTHER}/webhooks/{theirs['id']}", 403)
    sent = post(clerk, f"/staff/agencies/{OTHER}/webhooks/{theirs['id']}/secret", page)
    assert sent.status_code == 403
    assert [e for e in listed(api, OTHER) if e["id"] == theirs["id"]] == [theirs]
    # The state reaches it; an unknown agency or endpoint is not found; a bad id refused.
    assert theirs["id"] in get(staff["state"], f"/staff/agencies/{OTHER}/webhooks").text
    get(staff["state"], f"/staff/agencies/{OTHER}/webhooks/{theirs['id']}")
    get(staff["state"], "/staff/agencies/NOSUCHPD/webhooks", 404)
    get(staff["state"], f"{HOOKS}/ep_0000000000000000", 404)
    get(staff["state"], f"{HOOKS}/%3Cscript%3E", 422)


def test_a_form_without_its_token_changes_nothing(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    clerk = staff["agency"]
    endpoint, _ = registered(api, clerk, receiver.url)
    path = f"{HOOKS}/{endpoint['id']}"
    before = listed(api)
    other_session = form_token(get(staff["state"], HOOKS))  # a token, but not this session's
    for action, data in [
        (HOOKS, {"url": receiver.url, "events": EVERY}),
        (f"{path}/secret", {}),
        (f"{path}/disable", {"reason": "no token"}),
        (f"{path}/deliveries/msg_abcdef/replay", {}),
    ]:
        for token in ({}, {"form_token": other_session}, {"form_token": ""}):
            sent = clerk.post(action, data={"sent": "1", **data, **token})
            assert sent.status_code == 403, (action, sent.text[:500])
            assert "This form has expired" in text(sent) and SECRET.search(sent.text) is None
    assert listed(api) == before


# ---------------------------------------------------------------- in a browser


def _checked(watched: Any, name: str) -> None:
    """axe finds no serious or critical violation, and the page fits 375 px."""
    axe_fits(watched, name, PHONE["width"])


def test_the_pages_on_a_phone_pass_axe(
    browser: Any, api: Api, staff: dict[str, httpx.Client]
) -> None:
    context = browser_context(browser, api, staff["agency"], PHONE, is_mobile=True,
                              has_touch=True)  # fmt: skip
    watched = watched_page(context)
    page = watched.page
    try:
        with receiving() as own:
            page.goto(f"{api.base_url}{HOOKS}")
            _checked(watched, "the list")
            # Refused: beside the field, what was typed kept.
            page.fill("#url", "https://10.0.0.1/x")
            page.uncheck("input[value='record.corrected']")
            page.click("button:has-text('Register the endpoint')")
            page.wait_for_selector("#url-error")
            watched.expect_console("422")  # the refusal, on purpose
            assert "private address" in page.locator("#url-error").inner_text()
            assert page.locator("#url").input_value() == "https://10.0.0.1/x"
            assert not page.locator("input[value='record.corrected']").is_checked()
            assert page.locator("input[value='certificate.revoked']").is_checked()
            _checked(watched, "the list, refused")
            page.fill("#url", own.url)
            page.click("button:has-text('Register the endpoint')")
            page.wait_for_selector("#secret")
            secret = page.locator("#secret").inner_text()
            assert secret.startswith("whsec_")
            _checked(watched, "the secret")
            page.click("text=Go to endpoint")
            page.wait_for_selector("h1:has-text('Webhook endpoint')")
            endpoint_url = page.url
            _suspend(api, "WC-2")
            [endpoint] = [e for e in listed(api) if e["fingerprint"] == fingerprint(secret)]
            _delivered(api, endpoint["id"], 1)
            page.reload()
            page.wait_for_selector("[data-delivery]")
            _checked(watched, "the endpoint with a delivery")
            page.fill("#reason", "")
            page.click("button:has-text('Disable the endpoint')")
            page.wait_for_selector("#reason-error")
            _checked(watched, "the endpoint, refused")
            page.goto(f"{api.base_url}{HOOKS}")
            assert secret not in page.content()
            page.goto(endpoint_url)
            assert secret not in page.content()
        assert watched.unexpected() == []
    finally:
        context.close()


def test_the_form_sent_twice_registers_one_endpoint(
    api: Api, staff: dict[str, httpx.Client], receiver: Receiver
) -> None:
    clerk = staff["agency"]
    page = get(clerk, HOOKS)
    data = {"form_token": form_token(page), "key": key_of(page), "url": receiver.url,
            "events": EVERY}  # fmt: skip
    before = listed(api)
    first = clerk.post(HOOKS, data=data)
    again = clerk.post(HOOKS, data=data)  # back, and send again
    assert first.status_code == 200 and SECRET.search(first.text)
    made, _ = shown(api, first)
    assert again.status_code == 303 and SECRET.search(again.text) is None
    assert again.headers["location"].endswith(f"/webhooks/{made['id']}?done=registered")
    assert "registered then, once" in text(get(clerk, again.headers["location"]))
    assert len(listed(api)) == len(before) + 1

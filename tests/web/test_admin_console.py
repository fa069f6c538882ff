"""The state office's pages for staff accounts and API keys, on a real server (SQLite and
PostgreSQL): an account made here sets its password by its link and signs in; disabling it,
changing its role or resetting its second factor ends its sessions at once; a key made here
works against the API until it is revoked here; the link and the key are shown once and
are in neither the server's log nor the event log; only the state may use any page or
form; a form without its token changes nothing; refusals are shown beside their fields;
hostile text is shown as text; and each page in Chromium (axe, keyboard, 375 px)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from registry.application import Registry
from registry.config import Settings
from registry.domain.access import ApiKey
from registry.domain.staff import StaffUser
from tests.api.conftest import ACADEMY, HOME, Api
from tests.web import signing_in
from tests.web.conftest import PHONE, watched_page
from tests.web.console import ACCOUNTS, KEY, browser_context, signed_in
from tests.web.reading import HOSTILE, text

LINK = re.compile(r'id="link">([^<]+)<')
API_KEY = re.compile(r'id="key">(cit\.[0-9a-f]+\.[A-Za-z0-9_-]+)<')
USER = re.compile(r"user:([0-9a-f]+)")


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("admin")


@pytest.fixture(scope="module")
def staff(api: Api, tmp: Path) -> Iterator[dict[str, httpx.Client]]:
    """A signed-in client of each staff account (the state's with its second factor);
    "nobody" holds no session."""
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def target(api: Api, staff: dict[str, httpx.Client]) -> dict[str, str]:
    """An agency account and an agency key made by the state through these pages: what
    the refused requests aim at."""
    made = create_account(staff["state"], role="agency", agency_code=HOME)
    key = create_key(staff["state"], name="target key", role="agency", agency_code=HOME)
    return {"user": made["user"], "link": made["link"], "key": key["key_id"]}


# ------------------------------------------------------------------ helpers


def email() -> str:
    return f"person-{uuid.uuid4().hex[:8]}@example.org"


def get(client: httpx.Client, path: str, status: int = 200) -> httpx.Response:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == status, page.text[:500]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    if status == 200:
        assert page.headers["cache-control"] == "no-store"
    return page


def token_of(client: httpx.Client) -> str:
    """The form token of the client's session (from its landing page)."""
    return signing_in.form_token(client.get("/staff"))


def post(
    client: httpx.Client, path: str, data: dict[str, str], status: int, token: bool = True
) -> httpx.Response:
    """A form sent as a browser sends it, with the session's token unless `token` is False."""
    body = {"form_token": token_of(client), **data} if token else data
    headers = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
    answer = client.post(path, content=urlencode(body), headers=headers)
    assert answer.status_code == status, answer.text[:800]
    if status != 303:
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
    if status in (200, 422):  # the pages of these forms; a refusal's error page is generic
        assert answer.headers["cache-control"] == "no-store"
    return answer


def create_account(client: httpx.Client, address: str = "", **fields: str) -> dict[str, str]:
    """An account made through the form: its id, address, link and the page that showed it."""
    address = address or email()
    page = post(client, "/staff/users", {"email": address, **fields}, 200)
    link = LINK.search(page.text)
    user = re.search(r'href="/staff/users/([0-9a-f]+)"', page.text)
    assert link and user, page.text[:800]
    return {"user": user.group(1), "email": address, "link": link.group(1), "html": page.text}


def create_key(client: httpx.Client, **fields: str) -> dict[str, str]:
    page = post(client, "/staff/keys", fields, 200)
    found = API_KEY.search(page.text)
    assert found, page.text[:800]
    key = found.group(1)
    return {"key": key, "key_id": key.split(".")[1], "html": page.text}


def me(client: httpx.Client) -> dict[str, str]:
    """The signed-in person's account id and e-mail address, as their landing page says."""
    home = get(client, "/staff")
    user = USER.search(home.text)
    address = re.search(r'signed in as <strong class="wrap">([^<]+)<', home.text)
    assert user and address, home.text[:500]
    return {"user": user.group(1), "email": address.group(1)}


def set_password(api: Api, link: str) -> None:
    with httpx.Client(base_url=api.base_url, timeout=30) as fresh:
        path = urlsplit(link).path
        form = get(fresh, path)
        data = {"form_token": signing_in.form_token(form), "password": signing_in.PASSWORD,
                "confirm": signing_in.PASSWORD}  # fmt: skip
        done = fresh.post(path, data=data)
        assert done.status_code == 303, done.text[:500]


def sign_in(api: Api, address: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=api.base_url, timeout=30)
    form = get(client, "/staff/sign-in")
    data = {"form_token": signing_in.form_token(form), "email": address,
            "password": signing_in.PASSWORD}  # fmt: skip
    return client, client.post("/staff/sign-in", data=data)


def history(api: Api, user_id: str) -> list[tuple[str, str]]:
    """The account's events in the log, read apart from the server: (event, actor id)."""
    app = Registry(Settings(database=api.database))
    try:
        return [
            (type(e).__name__, e.actor.id)
            for e in app.events.get(StaffUser.create_id(user_id))
        ]  # fmt: skip
    finally:
        app.close()


def event_log(api: Api) -> bytes:
    """Every event of the log as stored (topic and state), read apart from the server."""
    app = Registry(Settings(database=api.database))
    try:
        found = app.recorder.select_notifications(start=1, limit=100_000)
        return b"".join(n.topic.encode() + n.state for n in found)
    finally:
        app.close()


def server_log(api: Api) -> str:
    assert api.log is not None
    return api.log.read_text()


def field_error(page: httpx.Response, name: str) -> str:
    """The error shown beside field `name` (empty if none), checked to be tied to it."""
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page.text, re.S)
    if not found:
        return ""
    control = re.search(rf'<(?:input|select|button)[^>]*id="{name}"[^>]*>', page.text, re.S)
    assert control and f"{name}-error" in control.group(0), f"{name} is not described by its error"
    assert f'href="#{name}"' in page.text  # the error summary leads to it
    return text(httpx.Response(200, text=found.group(1)))


def value_of(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<input id="{name}" name="{name}" type="\w+" value="([^"]*)"', page.text)
    assert found, f"no field {name}"
    return text(httpx.Response(200, text=f"<p>{found.group(1)}</p>"))


def snapshot(staff: dict[str, httpx.Client], target: dict[str, str]) -> tuple[Any, ...]:
    """What the refused requests must leave as it was: the accounts, the target account's
    history and state, the keys and the target key's state."""
    state = staff["state"]
    users = re.findall(r'data-user="([^"]+)"', get(state, "/staff/users").text)
    account = get(state, f"/staff/users/{target['user']}").text
    keys = re.findall(r'data-key="([^"]+)"', get(state, "/staff/keys").text)
    key = get(state, f"/staff/keys/{target['key']}").text
    events = re.findall(r'data-event="([^"]+)"', account)
    return users, events, "Disabled" in account, keys, "Revoked" in key


# ------------------------------------------------------------------ accounts


def test_an_account_made_here_sets_its_password_by_its_link_and_signs_in(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    made = create_account(state, role="agency", agency_code=HOME.lower())
    link, token = made["link"], made["link"].rsplit("/", 1)[1]
    assert link.startswith(f"{api.base_url}/staff/password/") and len(token) >= 40
    assert made["html"].count(token) == 1  # shown once on the answer
    shown = text(httpx.Response(200, text=made["html"]))
    assert made["email"] in shown and f"an agency account acting for agency {HOME}" in shown
    # Never again: not in the list, not on the account's page.
    listed = get(state, "/staff/users")
    account = get(state, f"/staff/users/{made['user']}")
    for page in (listed, account):
        assert token not in page.text
    row = re.search(rf'<tr data-user="{made["user"]}">(.*?)</tr>', listed.text, re.S)
    assert row and "Waiting for a password" in row.group(1) and made["email"] in row.group(1)
    assert f"user:{me(state)['user']}" in text(account)

    set_password(api, link)
    person, done = sign_in(api, made["email"])
    assert done.status_code == 303 and done.headers["location"] == "/staff", done.text[:300]
    assert get(person, f"/staff/agencies/{HOME}").status_code == 200
    row = re.search(rf'<tr data-user="{made["user"]}">(.*?)</tr>', get(state, "/staff/users").text,
                    re.S)  # fmt: skip
    assert row and ">Active<" in row.group(1)
    assert history(api, made["user"]) == [("Created", f"user:{me(state)['user']}")]
    log = event_log(api)
    assert made["email"].encode() in log and token.encode() not in log
    assert token not in server_log(api) and "/staff/password/[token]" in server_log(api)


def test_a_new_link_for_a_lost_password_is_shown_once_and_stops_the_old_one(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    made = create_account(state, role="auditor")
    page = post(state, f"/staff/users/{made['user']}/link", {}, 200)
    found = LINK.search(page.text)
    assert found and found.group(1) != made["link"]
    new, old = found.group(1), made["link"]
    assert page.text.count(new.rsplit("/", 1)[1]) == 1
    get(httpx.Client(base_url=api.base_url), urlsplit(old).path, 404)
    assert new.rsplit("/", 1)[1] not in get(state, f"/staff/users/{made['user']}").text
    set_password(api, new)
    assert sign_in(api, made["email"])[1].headers["location"] == "/staff"
    actor = f"user:{me(state)['user']}"
    assert history(api, made["user"]) == [("Created", actor), ("PasswordLinkMade", actor)]
    log, written = event_log(api), server_log(api)
    for link in (new, old):
        assert link.rsplit("/", 1)[1].encode() not in log
        assert link.rsplit("/", 1)[1] not in written


def test_disabling_an_account_ends_its_session_at_once(
    api: Api, tmp: Path, staff: dict[str, httpx.Client]
) -> None:
    person = signed_in(api, tmp, "agency")
    who = me(person)
    assert get(person, f"/staff/agencies/{HOME}").status_code == 200
    done = post(staff["state"], f"/staff/users/{who['user']}/disable",
                 {"disable_reason": "left the office"}, 303)  # fmt: skip
    assert done.headers["location"] == f"/staff/users/{who['user']}?done=disabled"
    get(person, f"/staff/agencies/{HOME}", 401)
    assert person.get("/staff").headers["location"] == "/staff/sign-in"
    page = get(staff["state"], done.headers["location"])
    shown = text(page)
    assert "The account is disabled" in shown and "left the office" in shown
    assert "Disable the account" not in shown  # no form for what cannot be done again
    actor = f"user:{me(staff['state'])['user']}"
    assert history(api, who["user"])[-1] == ("Disabled", actor)
    assert sign_in(api, who["email"])[1].status_code == 422
    again = post(staff["state"], f"/staff/users/{who['user']}/disable",
                 {"disable_reason": "twice"}, 422)  # fmt: skip
    assert "was disabled on" in field_error(again, "disable_reason")
    assert [e for e, _ in history(api, who["user"])] == ["Created", "Disabled"]


def test_changing_a_role_ends_the_sessions_and_the_new_role_applies_at_the_next_sign_in(
    api: Api, tmp: Path, staff: dict[str, httpx.Client]
) -> None:
    person = signed_in(api, tmp, "agency")
    who = me(person)
    data = {"role": "auditor", "agency_code": "", "academy_code": "", "role_reason": "moved"}
    done = post(staff["state"], f"/staff/users/{who['user']}/role", data, 303)
    assert done.headers["location"].endswith("?done=role")
    get(person, f"/staff/agencies/{HOME}", 401)
    again, answer = sign_in(api, who["email"])
    assert answer.headers["location"] == "/staff"
    assert "Auditor" in text(get(again, "/staff"))
    assert get(again, "/staff/agencies/SOUTHPD").status_code == 200  # an auditor reads any
    actor = f"user:{me(staff['state'])['user']}"
    assert history(api, who["user"])[-1] == ("RoleChanged", actor)
    shown = text(get(staff["state"], f"/staff/users/{who['user']}"))
    assert "Role or scope changed" in shown and "Why: moved" in shown


def test_resetting_a_state_person_s_second_factor_makes_them_enrol_again(
    api: Api, tmp: Path, staff: dict[str, httpx.Client]
) -> None:
    person = signed_in(api, tmp, "state")
    who = me(person)
    account = get(staff["state"], f"/staff/users/{who['user']}")
    assert "Set up: a code is asked for" in text(account)
    done = post(staff["state"], f"/staff/users/{who['user']}/second-factor",
                {"reset_reason": "lost phone"}, 303)  # fmt: skip
    assert done.headers["location"].endswith("?done=second-factor")
    get(person, "/staff/users", 401)
    shown = text(get(staff["state"], f"/staff/users/{who['user']}"))
    assert "Not set up: asked for at the next sign-in" in shown
    again, answer = sign_in(api, who["email"])
    assert answer.headers["location"] == "/staff/totp"
    enrol = get(again, "/staff/totp")
    assert "Set up your second factor" in text(enrol) and KEY.search(enrol.text)
    get(again, "/staff/users", 401)  # the password alone does not sign a state person in
    actor = f"user:{me(staff['state'])['user']}"
    assert history(api, who["user"])[-1] == ("SecondFactorReset", actor)
    # An account with no second factor has nothing to reset: said beside the reason.
    plain = create_account(staff["state"], role="auditor")
    refused = post(staff["state"], f"/staff/users/{plain['user']}/second-factor",
                   {"reset_reason": "lost phone"}, 422)  # fmt: skip
    assert "no second factor set up" in field_error(refused, "reset_reason")
    assert value_of(refused, "reset_reason") == "lost phone"
    assert [e for e, _ in history(api, plain["user"])] == ["Created"]


# ------------------------------------------------------------------ API keys


def test_an_api_key_made_here_works_until_it_is_revoked_here(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    made = create_key(state, name="records system", role="agency", agency_code=HOME)
    key, key_id = made["key"], made["key_id"]
    secret = key.split(".")[2]
    assert made["html"].count(secret) == 1
    caller = httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {key}"})
    assert caller.get(f"/v1/agencies/{HOME}/roster").status_code == 200
    assert caller.get("/v1/agencies/SOUTHPD/roster").status_code == 403  # its scope holds
    listed, page = get(state, "/staff/keys"), get(state, f"/staff/keys/{key_id}")
    for shown in (listed, page):
        assert secret not in shown.text and key_id in shown.text
    row = re.search(rf'<tr data-key="{key_id}">(.*?)</tr>', listed.text, re.S)
    assert row and "records system" in row.group(1) and "In use" in row.group(1)

    done = post(state, f"/staff/keys/{key_id}/revoke", {"reason": "replaced"}, 303)
    assert done.headers["location"] == f"/staff/keys/{key_id}?done=revoked"
    assert caller.get(f"/v1/agencies/{HOME}/roster").status_code == 401
    assert "Revoked" in text(get(state, done.headers["location"]))
    again = post(state, f"/staff/keys/{key_id}/revoke", {"reason": "twice"}, 422)
    assert "was revoked on" in field_error(again, "reason")
    log = event_log(api)
    assert key_id.encode() in log and secret.encode() not in log
    assert secret not in server_log(api)
    app = Registry(Settings(database=api.database))
    try:
        events = list(app.events.get(ApiKey.create_id(key_id)))
    finally:
        app.close()
    actor = f"user:{me(state)['user']}"
    assert [(type(e).__name__, e.actor.id) for e in events] == [
        ("Created", actor), ("Revoked", actor),
    ]  # fmt: skip


# ------------------------------------------------------------ who may use them

PAGES = ["/staff/users", "/staff/users/{user}", "/staff/keys", "/staff/keys/{key}"]
FORMS: dict[str, dict[str, str]] = {
    "/staff/users": {"email": "", "role": "auditor"},
    "/staff/users/{user}/role": {"role": "auditor", "role_reason": "promoted"},
    "/staff/users/{user}/disable": {"disable_reason": "gone"},
    "/staff/users/{user}/link": {},
    "/staff/users/{user}/second-factor": {"reset_reason": "lost"},
    "/staff/keys": {"name": "sneaky", "role": "state"},
    "/staff/keys/{key}/revoke": {"reason": "gone"},
}


@pytest.mark.parametrize("who", ["state", "auditor", "agency", "academy", "nobody"])
def test_only_the_state_reads_the_pages(
    staff: dict[str, httpx.Client], target: dict[str, str], who: str
) -> None:
    status = {"state": 200, "nobody": 401}.get(who, 403)
    for path in PAGES:
        page = get(staff[who], path.format(**target), status)
        if status == 403:
            assert f"The {who} role may not use this page" in text(page)
        elif status == 401:
            assert "Sign in" in text(page)


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("who", ["auditor", "agency", "academy", "nobody"])
def test_no_one_but_the_state_sends_a_form_and_a_refused_one_changes_nothing(
    staff: dict[str, httpx.Client], target: dict[str, str], who: str, form: str
) -> None:
    before = snapshot(staff, target)
    data = {**FORMS[form], "email": email()} if form == "/staff/users" else FORMS[form]
    signed = who != "nobody"
    post(staff[who], form.format(**target), data, 403 if signed else 401, token=signed)
    assert snapshot(staff, target) == before


@pytest.mark.parametrize("form", list(FORMS))
def test_a_form_without_its_token_is_refused_and_changes_nothing(
    staff: dict[str, httpx.Client], target: dict[str, str], form: str
) -> None:
    before = snapshot(staff, target)
    data = {**FORMS[form], "email": email()} if form == "/staff/users" else FORMS[form]
    path = form.format(**target)
    page = post(staff["state"], path, data, 403, token=False)
    assert "nothing was changed" in text(page)
    # Another session's token is no better.
    post(staff["state"], path, {**data, "form_token": token_of(staff["auditor"])}, 403, False)
    answer = staff["state"].post(path, json={"form_token": token_of(staff["state"]), **data})
    assert answer.status_code == 415
    assert snapshot(staff, target) == before


# ------------------------------------------------------------------ refusals

TAKEN = "Taken.Address@Example.org"


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"role": "agency", "agency_code": "NOSUCHPD"}, "agency_code",
         "No agency is registered with the code NOSUCHPD"),
        ({"role": "academy", "academy_code": "NOSUCH"}, "academy_code",
         "No academy is registered with the code NOSUCH"),
        ({"role": "agency"}, "agency_code", "Enter the code of the agency"),
        ({"role": "state", "agency_code": HOME}, "agency_code", "A state account names no agency"),
        ({"role": "agency", "agency_code": HOME, "academy_code": ACADEMY}, "academy_code",
         "An agency account names no academy"),
        ({"role": "public"}, "role", "Choose the role of the account"),
        ({"role": ""}, "role", "Choose the role of the account"),
        ({"role": "auditor", "email": "not an address"}, "email", "like name@agency"),
        ({"role": "auditor", "email": "  "}, "email", "Enter the e-mail address"),
        ({"role": "auditor", "email": TAKEN.lower()}, "email", "already an account"),
        ({"role": "agency", "agency_code": "<b>" * 20}, "agency_code", "letters, digits"),
    ],
)  # fmt: skip
def test_a_refused_account_is_said_beside_its_field_and_keeps_what_was_typed(
    staff: dict[str, httpx.Client], data: dict[str, str], field: str, says: str
) -> None:
    state = staff["state"]
    if TAKEN not in text(get(state, "/staff/users")):
        create_account(state, TAKEN, role="auditor")
    before = re.findall(r'data-user="([^"]+)"', get(state, "/staff/users").text)
    sent = {"email": email(), "agency_code": "", "academy_code": "", **data}
    page = post(state, "/staff/users", sent, 422)
    assert says in field_error(page, field)
    assert "There is a problem" in text(page)
    for name in ("email", "agency_code", "academy_code"):
        assert value_of(page, name) == sent[name].strip()
    offered = data["role"] in ("state", "auditor", "agency", "academy")
    selected = re.findall(r'<option value="(\w*)" selected>', page.text)
    assert selected == [data["role"] if offered else ""]
    assert re.findall(r'data-user="([^"]+)"', page.text) == before
    assert not LINK.search(page.text)


def test_no_one_disables_or_changes_their_own_account(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    own = me(state)["user"]
    page = post(state, f"/staff/users/{own}/disable", {"disable_reason": "testing"}, 422)
    assert "No one changes their own account" in field_error(page, "disable_reason")
    assert value_of(page, "disable_reason") == "testing"
    page = post(state, f"/staff/users/{own}/role", {"role": "auditor", "role_reason": "x"}, 422)
    assert "own account" in field_error(page, "role_reason")
    page = post(state, f"/staff/users/{own}/link", {}, 422)
    assert "own account" in field_error(page, "link") and not LINK.search(page.text)
    page = post(state, f"/staff/users/{own}/second-factor", {"reset_reason": "x"}, 422)
    assert "own account" in field_error(page, "reset_reason")
    assert [e for e, _ in history(api, own)] == ["Created"]
    assert get(state, "/staff/users").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("path", "data", "field", "says"),
    [
        ("/disable", {"disable_reason": " "}, "disable_reason", "Say why the account is disabled"),
        ("/disable", {"disable_reason": "x" * 501}, "disable_reason", "at most 500"),
        ("/role", {"role": "agency", "agency_code": HOME, "role_reason": "same"}, "role",
         "already has that role"),
        ("/role", {"role": "auditor"}, "role_reason", "Say why the role changes"),
        ("/role", {"role": "agency", "agency_code": "NOSUCHPD", "role_reason": "r"},
         "agency_code", "No agency is registered"),
        ("/second-factor", {}, "reset_reason", "Say why the second factor is reset"),
    ],
)  # fmt: skip
def test_a_refused_change_of_an_account_is_said_beside_its_field(
    api: Api, staff: dict[str, httpx.Client], target: dict[str, str], path: str,
    data: dict[str, str], field: str, says: str,
) -> None:  # fmt: skip
    events = history(api, target["user"])
    page = post(staff["state"], f"/staff/users/{target['user']}{path}", data, 422)
    assert says in field_error(page, field)
    for name, value in data.items():
        if name != "role":
            assert value_of(page, name) == value.strip()
    assert history(api, target["user"]) == events


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"role": "agency", "agency_code": HOME}, "name", "Enter who holds the key"),
        ({"name": "x" * 201, "role": "state"}, "name", "200 characters"),
        ({"name": "a", "role": "academy", "academy_code": "NOSUCH"}, "academy_code",
         "No academy is registered"),
        ({"name": "a", "role": "auditor", "academy_code": ACADEMY}, "academy_code",
         "An auditor key names no academy"),
        ({"name": "a", "role": "public"}, "role", "Choose the role of the key"),
    ],
)  # fmt: skip
def test_a_refused_key_is_said_beside_its_field_and_none_is_made(
    staff: dict[str, httpx.Client], data: dict[str, str], field: str, says: str
) -> None:
    state = staff["state"]
    before = re.findall(r'data-key="([^"]+)"', get(state, "/staff/keys").text)
    page = post(state, "/staff/keys", data, 422)
    assert says in field_error(page, field)
    assert value_of(page, "name") == data.get("name", "")
    assert re.findall(r'data-key="([^"]+)"', page.text) == before
    assert not API_KEY.search(page.text)
    page = post(state, f"/staff/keys/{before[0]}/revoke", {"reason": ""}, 422)
    assert "Say why the key is revoked" in field_error(page, "reason")


# ------------------------------------------------------------ text and bad input


def test_hostile_text_is_shown_as_text(
    staff: dict[str, httpx.Client], target: dict[str, str]
) -> None:
    state = staff["state"]
    made = create_key(state, name=HOSTILE, role="auditor")
    for page in (get(state, "/staff/keys"), get(state, f"/staff/keys/{made['key_id']}")):
        assert HOSTILE in text(page)
        assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<script>alert" not in made["html"] and HOSTILE in text(
        httpx.Response(200, text=made["html"])
    )
    person = create_account(state, role="auditor")
    post(state, f"/staff/users/{person['user']}/disable", {"disable_reason": HOSTILE}, 303)
    page = get(state, f"/staff/users/{person['user']}")
    assert HOSTILE in text(page) and "<script>alert" not in page.text
    refused = post(state, "/staff/users", {"email": HOSTILE, "role": "auditor"}, 422)
    assert value_of(refused, "email") == HOSTILE and "<script>alert" not in refused.text
    data = {"role": "auditor", "role_reason": HOSTILE, "agency_code": HOSTILE}
    page = post(state, f"/staff/users/{target['user']}/role", data, 422)
    assert value_of(page, "role_reason") == HOSTILE and "<script>alert" not in page.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/staff/users/nosuchaccount", None, 404),
        ("GET", "/staff/users/" + "a" * 65, None, 422),
        ("GET", "/staff/users/a.b", None, 422),
        ("GET", "/staff/keys/0000000000000000", None, 404),
        ("GET", "/staff/keys/%3Cscript%3E", None, 422),
        ("GET", "/staff/users/{user}?done=" + "x" * 30, None, 422),
        ("GET", "/staff/users/{user}?done=nonsense", None, 200),
        ("POST", "/staff/users/nosuchaccount/disable", "disable_reason=x", 404),
        ("POST", "/staff/users/nosuchaccount/link", "", 404),
        ("POST", "/staff/keys/nosuchkey/revoke", "reason=x", 404),
        ("POST", "/staff/users", "", 422),
        ("POST", "/staff/users", "email=%FF%FE&role=%00", 422),
        ("POST", "/staff/users", "role=auditor&email=" + "a" * 300 + "@example.org", 422),
        ("POST", "/staff/keys", "name=" + "%F0%9F%98%80" * 300 + "&role=state", 422),
        ("POST", "/staff/users/{user}/role", "role=agency&agency_code=" + "A" * 41, 422),
    ],
)
def test_bad_input_gets_a_refusal_never_a_500(
    api: Api, staff: dict[str, httpx.Client], target: dict[str, str], method: str, path: str,
    body: str | None, status: int,
) -> None:  # fmt: skip
    before = snapshot(staff, target)
    state = staff["state"]
    url = path.format(**target)
    if method == "GET":
        answer = state.get(url)
    else:
        content = f"form_token={token_of(state)}&{body}"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = state.post(url, content=content, headers=form)
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert snapshot(staff, target) == before
    assert "unexpected error" not in server_log(api) and "Traceback" not in server_log(api)


# ---------------------------------------------------------------- in a browser


def _checked(watched: Any, api: Api, name: str) -> None:
    """axe finds no serious or critical violation, and the page fits 375 px."""
    from axe_playwright_python.sync_playwright import Axe

    page = watched.page
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(viewport)
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert violations == [], name
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name}: {width} px wide"
    page.set_viewport_size({"width": 1280, "height": 900})


def _tab_to(page: Any, element_id: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


@pytest.fixture
def state_page(browser: Any, api: Api, staff: dict[str, httpx.Client]) -> Iterator[Any]:
    context = browser_context(browser, api, staff["state"])
    watched = watched_page(context)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        context.close()


def test_the_accounts_page_in_a_browser_makes_an_account_by_keyboard(
    state_page: Any, api: Api
) -> None:
    page = state_page.page
    page.goto(f"{api.base_url}/staff/users")
    _checked(state_page, api, "accounts")
    address = email()
    _tab_to(page, "email")
    page.keyboard.type(address)
    _tab_to(page, "role")
    page.keyboard.type("Agency")
    assert page.evaluate("document.activeElement.value") == "agency"
    _tab_to(page, "agency_code")
    page.keyboard.type("nosuchpd")
    _tab_to(page, "academy_code")
    page.keyboard.press("Enter")  # Enter in a field sends the form
    page.wait_for_load_state()
    state_page.expect_console("422")  # the refusal, on purpose
    assert "No agency is registered" in page.locator("#agency_code-error").inner_text()
    assert page.locator("#email").input_value() == address
    _checked(state_page, api, "accounts refused")
    _tab_to(page, "agency_code")
    page.keyboard.press("Control+A")
    page.keyboard.type(HOME)
    _tab_to(page, "academy_code")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Create the account"
    page.keyboard.press("Enter")
    page.wait_for_selector("#link")
    assert page.locator("h1").inner_text() == "Account created"
    assert "/staff/password/" in page.locator("#link").inner_text()
    _checked(state_page, api, "account created")


def test_an_account_s_page_in_a_browser(
    state_page: Any, api: Api, staff: dict[str, httpx.Client]
) -> None:
    person = create_account(staff["state"], role="agency", agency_code=HOME)
    page = state_page.page
    page.goto(f"{api.base_url}/staff/users/{person['user']}")
    assert page.locator("h1").inner_text() == person["email"]
    _checked(state_page, api, "account")
    _tab_to(page, "disable_reason")
    page.keyboard.type("moved away")
    page.keyboard.press("Enter")
    page.wait_for_url("**?done=disabled")
    assert "The account is disabled" in page.locator("[role=status]").inner_text()
    _checked(state_page, api, "account disabled")


def test_the_keys_page_in_a_browser_makes_a_key_by_keyboard(state_page: Any, api: Api) -> None:
    page = state_page.page
    page.goto(f"{api.base_url}/staff/keys")
    _checked(state_page, api, "keys")
    _tab_to(page, "name")
    page.keyboard.type("browser test")
    _tab_to(page, "role")
    page.keyboard.type("Auditor")
    assert page.evaluate("document.activeElement.value") == "auditor"
    _tab_to(page, "academy_code")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#key")
    key = page.locator("#key").inner_text()
    assert key.startswith("cit.")
    _checked(state_page, api, "key created")
    page.goto(f"{api.base_url}/staff/keys/{key.split('.')[1]}")
    assert "browser test" in page.locator("main").inner_text()
    _checked(state_page, api, "key")

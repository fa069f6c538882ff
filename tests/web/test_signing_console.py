"""The state's signing-keys page on a real server (SQLite and PostgreSQL): rotate and
retire as the API does, the key that signs refused, a reason required, the form token
required, the state's alone, and the page in Chromium (axe)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.steps import ok
from tests.web.conftest import watched_page
from tests.web.console import ACCOUNTS, browser_context, signed_in
from tests.web.forms import hidden
from tests.web.reading import text


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    tmp = tmp_path_factory.mktemp("keys")
    clients = {who: signed_in(api, tmp, who) for who in ("state", "auditor", "agency", "academy")}
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def published(api: Api) -> list[dict[str, Any]]:
    return list(ok(api.client().get("/v1/signing-keys/token"))["keys"])


@pytest.mark.parametrize("who", ["state", "auditor", "agency", "academy", "nobody"])
def test_only_the_state_opens_and_uses_the_page(
    api: Api, staff: dict[str, httpx.Client], who: str
) -> None:
    expected = {"state": 200, "nobody": 401}.get(who, 403)
    assert staff[who].get("/staff/signing-keys").status_code == expected
    if who != "state":
        before = published(api)
        token = hidden(staff["state"].get("/staff/signing-keys"))["form_token"]
        sent = staff[who].post("/staff/signing-keys/token/rotation", data={"form_token": token})
        assert sent.status_code == expected
        assert published(api) == before
    assert ACCOUNTS


def test_rotate_then_retire_the_old_key(api: Api, staff: dict[str, httpx.Client]) -> None:
    state = staff["state"]
    api.client().get("/.well-known/jwks.json")  # the first key exists once something signs
    before = {k["kid"] for k in published(api)}
    token = hidden(state.get("/staff/signing-keys"))["form_token"]
    assert state.post("/staff/signing-keys/token/rotation", data={"x": ""}).status_code == 403
    assert {k["kid"] for k in published(api)} == before
    done = state.post("/staff/signing-keys/token/rotation", data={"form_token": token})
    assert done.status_code == 303
    keys = published(api)
    [new] = [k for k in keys if k["kid"] not in before]
    assert new["signs"] and "A new key is made" in text(state.get(done.headers["location"]))
    old = next(k for k in keys if not k["signs"] and not k["retired_on"])
    # The key that signs now cannot be retired; a reason is needed.
    signs = state.post(f"/staff/signing-keys/token/{new['kid']}/retirement",
                       data={"form_token": token, "reason": "test"})  # fmt: skip
    assert signs.status_code == 422 and "signing-key-cannot-be-retired" in text(signs)
    bare = state.post(f"/staff/signing-keys/token/{old['kid']}/retirement",
                      data={"form_token": token, "reason": " "})  # fmt: skip
    assert bare.status_code == 422 and "Say why" in text(bare)
    assert all(not k["retired_on"] for k in published(api))
    retired = state.post(f"/staff/signing-keys/token/{old['kid']}/retirement",
                         data={"form_token": token, "reason": "<b>rotated</b> yearly"})  # fmt: skip
    assert retired.status_code == 303
    shown = state.get("/staff/signing-keys")
    assert "<b>rotated</b> yearly" in text(shown) and "<b>rotated" not in shown.text
    [gone] = [k for k in published(api) if k["kid"] == old["kid"]]
    assert gone["retired_on"] and gone["reason"] == "<b>rotated</b> yearly"
    unknown = state.post("/staff/signing-keys/nosuch/rotation", data={"form_token": token})
    assert unknown.status_code == 404


def test_the_page_in_a_browser(browser: Any, api: Api, staff: dict[str, httpx.Client]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser_context(browser, api, staff["state"])
    watched = watched_page(context)
    try:
        watched.page.goto(f"{api.base_url}/staff/signing-keys")
        serious = [(v["id"], v["impact"]) for v in Axe().run(watched.page).response["violations"]
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert serious == []
        assert watched.unexpected() == []
    finally:
        context.close()

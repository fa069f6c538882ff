"""Staff accounts for the console tests: made with `registry users create` against the
test server's database, their password set through the emailed link's page, and signed
in through the sign-in page, as a person would (no TOTP: not for the state role)."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.api.conftest import REGISTRY, Api, registry_env

PASSWORD = "correct horse battery staple"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    found = FORM_TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(api: Api, tmp: Path, role: str, *scope: str) -> tuple[httpx.Client, httpx.Response]:
    """A new `role` account (scope: --agency CODE etc.), its password set through the link
    `registry users create` printed, then the sign-in form sent: the client and its answer."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    made = subprocess.run(
        [REGISTRY, "users", "create", "--role", role, "--email", email, *scope],
        env=registry_env(api.database, tmp, api.base_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    link = urlsplit(made.stdout.strip().splitlines()[-1]).path
    client = httpx.Client(base_url=api.base_url, timeout=30)
    form = client.get(link)
    assert form.status_code == 200, form.text[:300]
    data = {"form_token": form_token(form), "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(link, data=data).status_code == 303
    form = client.get("/staff/sign-in")
    data = {"form_token": form_token(form), "email": email, "password": PASSWORD}
    return client, client.post("/staff/sign-in", data=data)


def signed_in(api: Api, tmp: Path, role: str, *scope: str) -> httpx.Client:
    """A client holding the session of a new `role` account that needs no second factor."""
    client, done = sign_in(api, tmp, role, *scope)
    assert done.status_code == 303 and done.headers["location"] == "/staff", done.text[:300]
    return client

"""Take the screenshots in docs/screens/: every public page, and the staff console's pages
as an agency's records clerk sees them, at desktop (1280 px) and phone (375 px) width,
from a real `registry serve` on a new SQLite file, in Debian's Chromium.

    .venv/bin/python docs/screens/take.py [PAGE ...]    (default: every page)

The registry is filled over its HTTP API as the README's tour fills it: an agency, an
academy, an officer with a certificate in force and one suspended. The PNGs are reduced
to 64 colours so that they stay small in git.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyotp
from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REGISTRY = str(Path(sys.executable).with_name("registry"))
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(api: str, key: str) -> dict[str, str]:
    """The tour's registry: two officers of SLCPD, one suspended. Their numbers and a token."""
    headers = {"Authorization": f"Bearer {key}"}
    today = date.today()
    ago = lambda days: (today - timedelta(days=days)).isoformat()  # noqa: E731

    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:

        def post(path: str, body: dict[str, object]) -> dict[str, str]:
            answer = client.post(path, json=body)
            answer.raise_for_status()
            return dict(answer.json())

        post("/v1/agencies", {"code": "SLCPD", "name": "Salt Lake City Police",
             "region": "Salt Lake", "districts": ["North", "South"],
             "shifts": ["day", "night"], "effective_on": "2015-01-01"})  # fmt: skip
        post("/v1/agencies", {"code": "OGDENPD", "name": "Ogden Police Department",
             "region": "Weber", "districts": ["Central"], "shifts": ["day"],
             "in_house_course": True, "effective_on": "2015-01-01"})  # fmt: skip
        post("/v1/academies", {"code": "SLC-CIT", "name": "Salt Lake CIT Academy",
             "state_certified": True, "effective_on": "2015-01-01"})  # fmt: skip
        numbers = {}
        for post_number, name in (("UT-1001", "Jordan Rivera"), ("UT-1002", "Sam Okafor")):
            post("/v1/officers", {"post_number": post_number, "name": name,
                 "agency_code": "SLCPD", "patrol_experience_began_on": ago(2000),
                 "district": "North", "shift": "night", "effective_on": ago(1500)})  # fmt: skip
            week = {"kind": "cit_academy", "hours": 40, "academy_code": "SLC-CIT"}
            week |= {"began_on": ago(84), "completed_on": ago(80)}
            post(f"/v1/officers/{post_number}/trainings", week)
            for kind in ("written", "scenario"):
                post(f"/v1/officers/{post_number}/exams",
                     {"kind": kind, "passed": True, "taken_on": ago(80)})  # fmt: skip
            issued = post(f"/v1/officers/{post_number}/certifications",
                          {"credential": "cit_officer", "effective_on": ago(77)})  # fmt: skip
            numbers[post_number] = issued["certificate_number"]
        post(f"/v1/certifications/{numbers['UT-1002']}/suspensions",
             {"reason": "complaint under review"})  # fmt: skip
        token = client.get(f"/v1/certifications/{numbers['UT-1001']}/token").json()["token"]
    return {"in_force": numbers["UT-1001"], "suspended": numbers["UT-1002"], "token": token}


PASSWORD = "screens are taken here"


TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
TOTP_KEY = re.compile(r'id="totp-key">([^<]+)<')


def session(api: str, env: dict[str, str], role: str, *scope: str) -> httpx.Client:
    """A client signed in to a new `role` account through the pages: the password set by
    its link, then (for the state) an authenticator code from the key the page shows."""
    email = f"{role}-{len(scope)}-{time.monotonic_ns() % 10**6}@screens.example.org"
    made = subprocess.run([REGISTRY, "users", "create", "--role", role, "--email", email, *scope],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    link = urlsplit(made.stdout.strip().splitlines()[-1]).path
    client = httpx.Client(base_url=api, timeout=30)
    client.post(link, data={"form_token": token(client, link), "password": PASSWORD,
                            "confirm": PASSWORD})  # fmt: skip
    done = client.post("/staff/sign-in", data={"form_token": token(client, "/staff/sign-in"),
                                               "email": email, "password": PASSWORD})  # fmt: skip
    if done.headers.get("location") == "/staff/totp":
        form = client.get("/staff/totp").text
        key, found = TOTP_KEY.search(form), TOKEN.search(form)
        assert key and found
        code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
        done = client.post("/staff/totp", data={"form_token": found.group(1), "code": code})
    assert done.headers.get("location") == "/staff", done.text[:300]
    return client


def token(client: httpx.Client, path: str) -> str:
    """The form token of the form at `path`."""
    found = TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def cookies(client: httpx.Client, api: str) -> list[dict[str, str]]:
    """A signed-in client's cookies, for a browser context."""
    return [{"name": c.name, "value": c.value, "url": api} for c in client.cookies.jar]


def sign_in(api: str, env: dict[str, str], role: str, *scope: str) -> list[dict[str, str]]:
    """The session cookies of a new `role` account, signed in through the pages."""
    with closing(session(api, env, role, *scope)) as client:
        return cookies(client, api)


def save(page: object, name: str) -> Path:
    """A full-page screenshot as docs/screens/NAME.png, reduced to 64 colours."""
    file = HERE / f"{name}.png"
    page.screenshot(path=str(file), full_page=True)  # type: ignore[attr-defined]
    with Image.open(file) as shot:
        shot.convert("RGB").quantize(64).save(file, optimize=True)
    return file


@dataclass(frozen=True)
class Served:
    api: str  # where the server listens
    env: dict[str, str]  # the environment of its command line
    key: str  # a state API key
    made: dict[str, str]  # what `fill` made


@contextmanager
def serving() -> Iterator[Served]:
    """A `registry serve` on a new SQLite file, filled as the README's tour fills it."""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="screens-") as tmp:
        env = {**os.environ, "REGISTRY_DATABASE": f"sqlite:///{tmp}/registry.db",
               "REGISTRY_KEY_DIR": f"{tmp}/keys", "REGISTRY_ISSUER": api}  # fmt: skip
        made_key = subprocess.run(
            [REGISTRY, "--json", "api-keys", "create", "--role", "state", "--name", "screens"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = httpx.Response(200, content=made_key.stdout).json()["key"]
        server = subprocess.Popen([REGISTRY, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{api}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield Served(api, env, key, fill(api, key))
        finally:
            server.terminate()
            server.wait(timeout=15)


def printed(files: list[Path]) -> None:
    for file in files:
        print(f"{file.relative_to(HERE.parents[1])}: {file.stat().st_size:,} bytes")


def shoot(
    api: str, key: str, made: dict[str, str], clerk: list[dict[str, str]], only: list[str]
) -> list[Path]:
    console = {
        "staff-home": "/staff",
        "console-roster": "/staff/agencies/SLCPD/roster",
        "console-coverage": "/staff/agencies/SLCPD/coverage",
        "console-forecast": "/staff/agencies/SLCPD/forecast",
        "console-history": "/staff/officers/UT-1002?before=6#said",
        "console-do": "/staff/do?officer=UT-1001",
        "console-form": "/staff/do/separation?officer=UT-1001",
        "console-refused": "/staff/do/enrol",
        "console-receipt": "/staff/do/assign?officer=UT-1001",
    }
    #: Pages reached by sending a form: what to type into it first.
    sent = {
        "console-refused": {"#post_number": "UT-1001", "#name": "Jordan Rivera",
                            "#agency_code": "SLCPD", "#patrol_experience_began_on": "2019-05-01",
                            "#district": "Nowhere"},
        "console-receipt": {"#district": "South", "#shift": "night"},
    }  # fmt: skip
    pages = {
        "staff-sign-in": "/staff/sign-in",
        "home": "/",
        "verify": f"/verify?q={made['in_force']}",
        "suspended": f"/verify?q={made['suspended']}",
        "not-found": "/verify?q=UT-CIT-NOSUCH1",
        "token": f"/v#{made['token']}",
        "card": f"/certifications/{made['in_force']}/card",
        "agencies": "/agencies",
        "agency": "/agencies/SLCPD",
        "transparency": "/transparency",
    }
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for size, viewport in SIZES.items():
            context = browser.new_context(
                viewport=viewport,
                is_mobile=size == "phone",
                extra_http_headers={"Authorization": f"Bearer {key}"},
            )
            context.add_cookies(clerk)
            page = context.new_page()
            for name, path in {**pages, **console}.items():
                if only and name not in only:
                    continue
                if name == "staff-sign-in":
                    context.clear_cookies()
                elif name == "staff-home":
                    context.add_cookies(clerk)
                page.goto(f"{api}{path}")
                page.wait_for_load_state("networkidle")
                if name in sent:
                    for field, value in sent[name].items():
                        page.fill(field, value)
                    page.click("form.console-form button[type=submit]")
                    page.wait_for_load_state("networkidle")
                if name == "token":
                    page.wait_for_selector("[data-result]:not([data-result=''])")
                taken.append(save(page, f"{name}-{size}"))
            context.close()
        browser.close()
    return taken


def main() -> int:
    with serving() as served:
        clerk = sign_in(served.api, served.env, "agency", "--agency", "SLCPD")
        printed(shoot(served.api, served.key, served.made, clerk, sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

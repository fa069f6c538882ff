"""Take the screenshots of the state office's pages for staff accounts and API keys in
docs/screens/: every account, one account's page, every key, and the page that shows a
new key once, as the state program office sees them at 1280 px (and every account at
375 px), from a real `registry serve` on a new SQLite file, in Debian's Chromium (the
registry filled as take.py fills it).

    .venv/bin/python docs/screens/take_admin.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take import PASSWORD, REGISTRY, fill, free_port  # noqa: E402

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
KEY = re.compile(r'id="totp-key">([^<]+)<')


def signed_in_state(api: str, env: dict[str, str]) -> httpx.Client:
    """A client holding the session of a new state account, its second factor enrolled."""
    email = "ana.office@screens.example.gov"
    made = subprocess.run([REGISTRY, "users", "create", "--role", "state", "--email", email],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    link = urlsplit(made.stdout.strip().splitlines()[-1]).path
    client = httpx.Client(base_url=api, timeout=30)
    client.post(link, data={"form_token": token(client, link), "password": PASSWORD,
                            "confirm": PASSWORD})  # fmt: skip
    client.post("/staff/sign-in", data={"form_token": token(client, "/staff/sign-in"),
                                        "email": email, "password": PASSWORD})  # fmt: skip
    form = client.get("/staff/totp").text
    key = KEY.search(form)
    assert key
    code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
    done = client.post("/staff/totp", data={"form_token": token(client, "/staff/totp"),
                                            "code": code})  # fmt: skip
    assert done.headers.get("location") == "/staff", done.text[:300]
    return client


def token(client: httpx.Client, path: str) -> str:
    found = TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def send(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    answer = client.post(path, data={"form_token": token(client, "/staff"), **data})
    assert answer.status_code in (200, 303), answer.text[:500]
    return answer


def accounts(client: httpx.Client) -> dict[str, str]:
    """Accounts made through the pages, as an office's would be: their ids by address."""
    made = {}
    for email, role, scope in [
        ("records@slcpd.example.gov", "agency", {"agency_code": "SLCPD"}),
        ("instructor@slc-cit.example.org", "academy", {"academy_code": "SLC-CIT"}),
        ("audit@auditor.example.gov", "auditor", {}),
        ("clerk@ogdenpd.example.gov", "agency", {"agency_code": "OGDENPD"}),
        ("former.clerk@slcpd.example.gov", "agency", {"agency_code": "SLCPD"}),
    ]:
        page = send(client, "/staff/users", email=email, role=role, **scope)
        found = re.search(r'href="/staff/users/([0-9a-f]+)"', page.text)
        assert found
        made[email] = found.group(1)
    ogden = made["clerk@ogdenpd.example.gov"]
    send(client, f"/staff/users/{ogden}/role", role="agency", agency_code="SLCPD",
         role_reason="moved to Salt Lake City PD records")  # fmt: skip
    send(client, f"/staff/users/{ogden}/link")
    send(client, f"/staff/users/{made['former.clerk@slcpd.example.gov']}/disable",
         disable_reason="left the department")  # fmt: skip
    return made


def keys(client: httpx.Client) -> Any:
    """Keys made through the pages; one revoked. The page that shows the last one."""
    send(client, "/staff/keys", name="SLCPD records system", role="agency", agency_code="SLCPD")
    old = send(client, "/staff/keys", name="Old SLC-CIT roster upload", role="academy",
               academy_code="SLC-CIT")  # fmt: skip
    found = re.search(r'id="key">cit\.([0-9a-f]+)\.', old.text)
    assert found
    send(client, f"/staff/keys/{found.group(1)}/revoke", reason="replaced by the new upload")
    return send(client, "/staff/keys", name="Audit export", role="auditor")


def shoot(api: str, cookies: list[dict[str, str]], made: dict[str, str], key_page: str) -> None:
    ogden = made["clerk@ogdenpd.example.gov"]
    shots = [
        ("console-users-desktop", "/staff/users", 1280),
        ("console-users-phone", "/staff/users", 375),
        ("console-account-desktop", f"/staff/users/{ogden}", 1280),
        ("console-keys-desktop", "/staff/keys", 1280),
        ("console-key-made-desktop", None, 1280),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for name, path, width in shots:
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          is_mobile=width < 500)  # fmt: skip
            context.add_cookies(cookies)
            page = context.new_page()
            if path is None:  # the answer to the form, shown once: set as it came
                page.goto(f"{api}/staff/keys")
                page.set_content(key_page)
            else:
                page.goto(f"{api}{path}")
            page.wait_for_load_state("networkidle")
            file = HERE / f"{name}.png"
            page.screenshot(path=str(file), full_page=True)
            with Image.open(file) as shot:
                shot.convert("RGB").quantize(64).save(file, optimize=True)
            print(f"{file.relative_to(HERE.parents[1])}: {file.stat().st_size:,} bytes")
            context.close()
        browser.close()


def main() -> int:
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
            fill(api, key)
            client = signed_in_state(api, env)
            made = accounts(client)
            key_page = keys(client).text
            cookies = [{"name": c.name, "value": c.value, "url": api} for c in client.cookies.jar]
            shoot(api, cookies, made, key_page)
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Take the screenshots of the staff console's CSV import in docs/screens/: the form, the
check of a file with refused rows, the write under way and the write finished, as the
state program office sees them at 1280 px, from a real `registry serve` on a new SQLite
file, in Debian's Chromium (the registry filled as take.py fills it).

    .venv/bin/python docs/screens/take_import.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
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
COLUMNS = "record,date,post_number,name,agency,role,patrol_since,district,shift,kind,passed,note"


def roster() -> bytes:
    """A file of 1,200 new officers and their written exams, with four rows refused."""
    today = date.today()
    ago = lambda days: (today - timedelta(days=days)).isoformat()  # noqa: E731
    rows = [COLUMNS]
    for n in range(600):
        post = f"UT-{3000 + n}"
        rows.append(f"officer,{ago(900)},{post},Officer {n},SLCPD,,{ago(1200)},North,day,,,")
        rows.append(f"exam,{ago(30)},{post},,,,,,,written,yes,")
    rows[5] = f"officer,{ago(900)},UT-3002,Dana Whitfield,SLCPD,,{ago(1200)},Downtown,day,,,"
    rows[12] = "exam,03/14/2025,UT-3005,,,,,,,written,yes,date as the old system wrote it"
    rows[40] = f"officer,{ago(900)},UT-3019,Lee Park,PROVOPD,,{ago(1200)},North,day,,,"
    rows[77] = f"officer,{ago(-3)},UT-3038,Sam Ortiz,SLCPD,,{ago(1200)},North,day,,,"
    return ("\n".join(rows) + "\n").encode()


def sign_in_state(api: str, env: dict[str, str]) -> list[dict[str, str]]:
    """The session cookies of a new state account, its second factor enrolled."""
    email = "state@screens.example.org"
    made = subprocess.run([REGISTRY, "users", "create", "--role", "state", "--email", email],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    link = urlsplit(made.stdout.strip().splitlines()[-1]).path
    with httpx.Client(base_url=api) as client:

        def token(path: str) -> str:
            found = TOKEN.search(client.get(path).text)
            assert found, path
            return found.group(1)

        client.post(link, data={"form_token": token(link), "password": PASSWORD,
                                "confirm": PASSWORD})  # fmt: skip
        client.post("/staff/sign-in", data={"form_token": token("/staff/sign-in"),
                                            "email": email, "password": PASSWORD})  # fmt: skip
        form = client.get("/staff/totp").text
        key = KEY.search(form)
        found = TOKEN.search(form)
        assert key and found
        code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
        done = client.post("/staff/totp", data={"form_token": found.group(1), "code": code})
        assert done.headers.get("location") == "/staff", done.text[:300]
        return [{"name": c.name, "value": c.value, "url": api} for c in client.cookies.jar]


def shot(page: object, name: str) -> Path:
    file = HERE / f"{name}.png"
    page.screenshot(path=str(file), full_page=True)  # type: ignore[attr-defined]
    with Image.open(file) as taken:
        taken.convert("RGB").quantize(64).save(file, optimize=True)
    return file


def shoot(api: str, cookies: list[dict[str, str]]) -> list[Path]:
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for size, viewport in {"desktop": (1280, 800), "phone": (375, 740)}.items():
            width, height = viewport
            context = browser.new_context(viewport={"width": width, "height": height},
                                          is_mobile=size == "phone")  # fmt: skip
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(f"{api}/staff/imports")
            taken.append(shot(page, f"import-form-{size}"))
            chosen = {"name": "slcpd-roster-2019.csv", "mimeType": "text/csv", "buffer": roster()}
            page.set_input_files("#file", files=[chosen])
            page.get_by_role("button", name="Check the rows").click()
            page.wait_for_url(re.compile(r"/staff/imports/[A-Za-z0-9_-]{22}$"))
            taken.append(shot(page, f"import-check-{size}"))
            if size == "desktop":
                page.get_by_role("button", name=re.compile("^Write the")).click()
                page.wait_for_url(re.compile(r"/write$"))
                bar = page.locator("#write-bar")
                while bar.evaluate("bar => bar.value") == 0:
                    time.sleep(0.05)
                taken.append(shot(page, f"import-writing-{size}"))
                page.get_by_role("heading", name="The rows are written").wait_for(timeout=120_000)
                taken.append(shot(page, f"import-written-{size}"))
            context.close()
        browser.close()
    return taken


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
            for file in shoot(api, sign_in_state(api, env)):
                print(f"{file.relative_to(HERE.parents[1])}: {file.stat().st_size:,} bytes")
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

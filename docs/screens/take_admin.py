"""Take the screenshots of the state office's pages for staff accounts and API keys in
docs/screens/: every account, one account's page, every key, and the page that shows a
new key once, as the state program office sees them at 1280 px (and every account at
375 px), from a real `registry serve` on a new SQLite file, in Debian's Chromium (the
registry filled as take.py fills it).

    .venv/bin/python docs/screens/take_admin.py
"""

from __future__ import annotations

import re
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take import cookies, save, serving, session, token  # noqa: E402


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
            file = save(page, name)
            print(f"{file.relative_to(HERE.parents[1])}: {file.stat().st_size:,} bytes")
            context.close()
        browser.close()


def main() -> int:
    with serving() as served, closing(session(served.api, served.env, "state")) as client:
        made = accounts(client)
        key_page = keys(client).text
        shoot(served.api, cookies(client, served.api), made, key_page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

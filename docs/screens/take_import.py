"""Take the screenshots of the staff console's CSV import in docs/screens/: the form, the
check of a file with refused rows, the write under way and the write finished, as the
state program office sees them at 1280 px, from a real `registry serve` on a new SQLite
file, in Debian's Chromium (the registry filled as take.py fills it).

    .venv/bin/python docs/screens/take_import.py
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take import printed, save, serving, sign_in  # noqa: E402

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
            taken.append(save(page, f"import-form-{size}"))
            chosen = {"name": "slcpd-roster-2019.csv", "mimeType": "text/csv", "buffer": roster()}
            page.set_input_files("#file", files=[chosen])
            page.get_by_role("button", name="Check the rows").click()
            page.wait_for_url(re.compile(r"/staff/imports/[A-Za-z0-9_-]{22}$"))
            taken.append(save(page, f"import-check-{size}"))
            if size == "desktop":
                page.get_by_role("button", name=re.compile("^Write the")).click()
                page.wait_for_url(re.compile(r"/write$"))
                bar = page.locator("#write-bar")
                while bar.evaluate("bar => bar.value") == 0:
                    time.sleep(0.05)
                taken.append(save(page, f"import-writing-{size}"))
                page.get_by_role("heading", name="The rows are written").wait_for(timeout=120_000)
                taken.append(save(page, f"import-written-{size}"))
            context.close()
        browser.close()
    return taken


def main() -> int:
    with serving() as served:
        printed(shoot(served.api, sign_in(served.api, served.env, "state")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

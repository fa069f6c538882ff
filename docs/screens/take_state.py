"""Take the screenshots of the state's pages of the staff console in docs/screens/: coverage
by region and the late separation reports, as an auditor sees them, at 1280 px and 375 px,
from a real `registry serve` on a new SQLite file, in Debian's Chromium (the registry
filled as take.py fills it, then a third agency, more officers and three separations:
two reported late, one on time).

    .venv/bin/python docs/screens/take_state.py
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take import SIZES, printed, save, serving, sign_in  # noqa: E402

PAGES = {
    "console-state-coverage": "/staff/coverage",
    "console-state-late": "/staff/separations/late",
}


def fill_state(api: str, key: str) -> None:
    """West Valley City (Salt Lake region): 1 of 5 patrol officers certified. Ogden: 1 of 2.
    Separations: one 47 days ago and a transfer 95 days ago, both reported today (late),
    and one 12 days ago (on time)."""
    today = date.today()
    ago = lambda days: (today - timedelta(days=days)).isoformat()  # noqa: E731
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:

        def post(path: str, body: dict[str, object]) -> None:
            c.post(path, json=body).raise_for_status()

        def enrol(post_number: str, name: str, agency: str, certify: bool = False) -> None:
            post("/v1/officers", {"post_number": post_number, "name": name,
                 "agency_code": agency, "patrol_experience_began_on": ago(2000),
                 "district": "North" if agency == "SLCPD" else "Central", "shift": "day",
                 "effective_on": ago(1500)})  # fmt: skip
            if not certify:
                return
            post(f"/v1/officers/{post_number}/trainings",
                 {"kind": "cit_academy", "hours": 40, "academy_code": "SLC-CIT",
                  "began_on": ago(84), "completed_on": ago(80)})  # fmt: skip
            for kind in ("written", "scenario"):
                post(f"/v1/officers/{post_number}/exams",
                     {"kind": kind, "passed": True, "taken_on": ago(80)})  # fmt: skip
            post(f"/v1/officers/{post_number}/certifications",
                 {"credential": "cit_officer", "effective_on": ago(77)})  # fmt: skip

        post("/v1/agencies", {"code": "WVCPD", "name": "West Valley City Police",
             "region": "Salt Lake", "districts": ["Central"], "shifts": ["day", "night"],
             "effective_on": "2015-01-01"})  # fmt: skip
        people = ["Morgan Ellis", "Priya Natarajan", "Luis Ortega", "Hana Sato", "Cole Brandt"]
        for n, name in enumerate(people):
            enrol(f"UT-20{n:02d}", name, "WVCPD", certify=n == 0)
        enrol("UT-2100", "Teresa Lund", "OGDENPD", certify=True)
        enrol("UT-2101", "Marcus Webb", "OGDENPD")
        enrol("UT-2200", "Riley Chen", "WVCPD")
        enrol("UT-2201", "Dana Whitfield", "SLCPD")
        enrol("UT-2202", "Sam Baptiste", "OGDENPD")
        post("/v1/officers/UT-2200/separations", {"reason": "resigned", "effective_on": ago(47)})
        post("/v1/officers/UT-2201/separations", {"reason": "transferred",
             "new_agency_code": "OGDENPD", "effective_on": ago(95)})  # fmt: skip
        post("/v1/officers/UT-2202/separations", {"reason": "retired", "effective_on": ago(12)})


def shoot(api: str, auditor: list[dict[str, str]]) -> list[Path]:
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
            context.add_cookies(auditor)
            page = context.new_page()
            for name, path in PAGES.items():
                page.goto(f"{api}{path}")
                page.wait_for_load_state("networkidle")
                taken.append(save(page, f"{name}-{size}"))
            context.close()
        browser.close()
    return taken


def main() -> int:
    with serving() as served:
        fill_state(served.api, served.key)
        printed(shoot(served.api, sign_in(served.api, served.env, "auditor")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A whole career through the staff console alone, in Chromium, on a real server (SQLite
and PostgreSQL): the state signs in (password and authenticator code), registers an
academy and two agencies and makes their people's accounts; the agency's clerk enrols an
officer; the academy's training staff record the week and both exams, issue, and print
the card, whose QR code verifies; the clerk sees the roster and reports a separation; the
other agency receives the transfer; the state suspends, and the public page says so; the
auditor's "what did the registry say" view shows the day before the suspension.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pyotp
from PIL import Image

from tests.api.conftest import REGISTRY, Api, days_ago, registry_env
from tests.web.conftest import Watched, open_context, watched_page
from tests.web.reading import qr_text, verified_claims
from tests.web.signing_in import PASSWORD

KEY = re.compile(r"[A-Z2-7 ]{20,}")


class Person:
    """One person's browser: their own context (cookies) and page."""

    def __init__(self, browser: Any, api: Api) -> None:
        self.api = api
        self.context = open_context(browser)
        self.watched: Watched = watched_page(self.context)
        self.page = self.watched.page

    def go(self, path: str) -> Any:
        response = self.page.goto(f"{self.api.base_url}{path}")
        self.page.wait_for_load_state("networkidle")
        return response

    def fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            field = self.page.locator(f"#{name}")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)

    def send(self, button: str) -> str:
        """Press the button named `button`; the text of the page it leads to."""
        self.page.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_load_state("networkidle")
        return str(self.page.inner_text("main"))

    def record(self, slug: str, about: str, values: dict[str, str], button: str) -> str:
        """Open a form of the console from the officer's page, fill it in and send it."""
        self.go(f"/staff/do{about}")
        self.page.get_by_role("link", name=button, exact=True).first.click()
        self.page.wait_for_load_state("networkidle")
        assert f"/staff/do/{slug}" in self.page.url, self.page.url
        self.fill(values)
        said = self.send(button)
        assert "Recorded." in said, said[:1500]
        return said

    def set_password_and_sign_in(self, link: str, email: str) -> str:
        self.page.goto(link)
        self.fill({"password": PASSWORD, "confirm": PASSWORD})
        self.send("Set password")
        self.fill({"email": email, "password": PASSWORD})
        return self.send("Sign in")

    def close(self) -> None:
        assert self.watched.unexpected() == []
        self.context.close()


def _state_account(api: Api, tmp: Path) -> tuple[str, str]:
    """As the README says: `registry users create --role state --email ...`, its link."""
    email = "director@career.example.gov"
    made = subprocess.run(
        [REGISTRY, "users", "create", "--role", "state", "--email", email],
        env=registry_env(api.database, tmp, api.base_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    return email, made.stdout.strip().splitlines()[-1]


def _account(state: Person, email: str, role: str, **scope: str) -> str:
    """The state makes an account in the console; the one-time link it shows."""
    state.go("/staff/users")
    state.fill({"email": email, "role": role, **scope})
    said = state.send("Create the account")
    assert "The link to set the password" in said, said[:800]
    return str(state.page.inner_text("#link")).strip()


def test_a_whole_career_through_the_console(browser: Any, api: Api, tmp_path: Path) -> None:
    people: list[Person] = []

    def person() -> Person:
        people.append(Person(browser, api))
        return people[-1]

    try:
        _career(api, tmp_path, person)
    finally:
        for p in people:
            p.close()


def _career(api: Api, tmp: Path, person: Any) -> None:
    # The state signs in: password, then its authenticator app.
    state = person()
    email, link = _state_account(api, tmp)
    said = state.set_password_and_sign_in(link, email)
    key = KEY.search(str(state.page.inner_text("#totp-key")))
    assert "second factor" in said.lower() and key, said[:600]
    state.fill({"code": pyotp.TOTP(key.group(0).replace(" ", "")).now()})
    assert "You are signed in as" in state.send("Confirm and sign in")

    # The state registers the academy and both agencies, from the console's forms.
    long_ago = days_ago(3000).isoformat()
    state.go("/staff/do/register-academy")
    state.fill({"code": "CAREER-CIT", "name": "Career CIT Academy", "state_certified": "yes",
                "effective_on": long_ago})  # fmt: skip
    assert "Recorded." in state.send("Register an academy")
    for code, name in [("FIRSTPD", "First Police"), ("SECONDPD", "Second Police")]:
        state.go("/staff/do/register-agency")
        state.fill({"code": code, "name": name, "region": "Career Valley",
                    "districts": "Central\nEast", "shifts": "Day\nNight",
                    "effective_on": long_ago})  # fmt: skip
        assert "Recorded." in state.send("Register an agency")

    # ... and makes the accounts of the academy's staff and both agencies' clerks.
    links = {
        "academy": _account(state, "trainer@career.example.gov", "academy",
                            academy_code="CAREER-CIT"),
        "first": _account(state, "records@first.example.gov", "agency", agency_code="FIRSTPD"),
        "second": _account(state, "records@second.example.gov", "agency",
                           agency_code="SECONDPD"),
    }  # fmt: skip

    # The first agency's clerk signs in and enrols the officer.
    first = person()
    said = first.set_password_and_sign_in(links["first"], "records@first.example.gov")
    assert "Agency FIRSTPD" in said
    first.go("/staff/do/enrol")
    first.fill({"post_number": "CAREER-1", "name": "Robin Career", "agency_code": "FIRSTPD",
                "role": "patrol_officer", "patrol_experience_began_on": days_ago(1500).isoformat(),
                "district": "Central", "shift": "Night",
                "effective_on": days_ago(400).isoformat()})  # fmt: skip
    assert "Recorded." in first.send("Enrol an officer")

    # The academy's training staff: the week, both exams, the certificate.
    academy = person()
    academy.set_password_and_sign_in(links["academy"], "trainer@career.example.gov")
    about = "?officer=CAREER-1"
    academy.record("training", about, {
        "kind": "cit_academy", "hours": "40", "academy_code": "CAREER-CIT",
        "began_on": days_ago(40).isoformat(), "completed_on": days_ago(36).isoformat(),
    }, "Record a training")  # fmt: skip
    for kind in ("written", "scenario"):
        academy.record("exam", about, {"kind": kind, "passed": "yes",
                                       "taken_on": days_ago(35).isoformat()},
                       "Record an exam")  # fmt: skip
    said = academy.record("issue", about, {"credential": "cit_officer",
                                           "effective_on": days_ago(30).isoformat()},
                          "Issue a certificate")  # fmt: skip
    number = re.search(r"Print the wallet card of (\S+)", said)
    assert number, said
    number = number.group(1)

    # The card, printed from the receipt: its QR code holds a token that verifies.
    academy.page.get_by_role("link", name=f"Print the wallet card of {number}").click()
    academy.page.wait_for_load_state("networkidle")
    shot = Image.open(io.BytesIO(academy.page.screenshot(full_page=True)))
    claims = verified_claims(api, qr_text(shot))
    assert claims["sub"] == number and claims["name"] == "Robin Career"

    # The clerk: the roster shows the certificate; then the separation, on time.
    first.go("/staff/agencies/FIRSTPD/roster")
    roster = str(first.page.inner_text("main"))
    assert "Robin Career" in roster and number in roster
    first.record("separation", about, {"reason": "transferred", "new_agency_code": "SECONDPD",
                                       "effective_on": days_ago(10).isoformat()},
                 "Report a separation")  # fmt: skip

    # The second agency's clerk receives the transfer: the certificate moves with them.
    second = person()
    second.set_password_and_sign_in(links["second"], "records@second.example.gov")
    second.record("transfer", about, {"agency_code": "SECONDPD", "district": "East",
                                      "shift": "Day", "effective_on": days_ago(9).isoformat()},
                  "Receive a transfer")  # fmt: skip
    second.go("/staff/agencies/SECONDPD/roster")
    assert number in str(second.page.inner_text("main"))
    first.go("/staff/agencies/FIRSTPD/roster")
    assert "Robin Career" not in str(first.page.inner_text("main"))

    # The state suspends; the public page says so.
    state.record("suspend", f"?officer={number}", {"reason": "Under review by the board"},
                 "Suspend a certificate")
    public = person()
    public.go(f"/verify?q={number}")
    assert "Suspended" in str(public.page.inner_text("main"))

    # The auditor: what the registry said just before the suspension, beside today.
    auditor_link = _account(state, "audit@career.example.gov", "auditor")
    auditor = person()
    auditor.set_password_and_sign_in(auditor_link, "audit@career.example.gov")
    auditor.go("/staff/officers/CAREER-1")
    last = auditor.page.get_by_role("link", name=re.compile("What the registry said")).last
    last.click()
    auditor.page.wait_for_load_state("networkidle")
    compared = str(auditor.page.inner_text("#compared"))
    assert "just before version" in compared and "CertificateActionRecorded" in compared
    row = auditor.page.locator("tr.changed", has_text=f"Certificate {number}")
    assert row.count() >= 1
    said = str(row.filter(has_text="status").inner_text())
    assert "In force" in said and "Suspended" in said, said

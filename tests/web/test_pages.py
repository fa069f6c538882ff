"""The public pages as the server renders them, read over HTTP with no browser: what a
clerk sees with JavaScript off. A real `registry serve` on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re

import httpx
import pytest

from registry.web.pages import long_date
from registry.web.words import TIERS
from tests.api.conftest import HOME, Api, days_ago
from tests.api.steps import certified, enrolment, ok, train
from tests.web.reading import HOSTILE, text


def page(api: Api, path: str, status: int = 200, **params: str) -> httpx.Response:
    """GET a page as a browser would; assert its status, HTML and the safety headers."""
    got = api.client().get(path, params=params, headers={"Accept": "text/html"})
    assert got.status_code == status, got.text[:500]
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    policy = got.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert got.headers["referrer-policy"] == "no-referrer"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="en">' in got.text
    assert re.search(r"<title>[^<]+</title>", got.text)
    return got


@pytest.fixture(scope="module")
def held(api: Api) -> str:
    """A NORTHPD officer's certificate, in force, issued 50 days ago."""
    return certified(api, "WEB-1")[1]


def test_the_home_page_asks_for_a_number_or_a_token(api: Api) -> None:
    home = page(api, "/")
    assert '<label for="q">Certificate number or token</label>' in home.text
    assert 'action="/verify"' in home.text and 'method="get"' in home.text
    assert "<script src=" in home.text and "<script>" not in home.text  # no inline script


def test_a_certificate_in_force_in_words(api: Api, held: str) -> None:
    shown = text(page(api, "/verify", q=held))
    assert "In force" in shown and "The certificate is in force." in shown
    assert "Officer WEB-1" in shown and HOME in shown
    assert "CIT Officer" in shown
    assert f"Issued {long_date(days_ago(50))}" in shown
    assert "As of" in shown
    # The number is found whatever its case and spaces, as the API finds it.
    assert "In force" in text(page(api, "/verify", q=f"  {held.lower()} "))


def test_the_status_on_another_day(api: Api, held: str) -> None:
    before = text(page(api, "/verify", q=held, on=days_ago(51).isoformat()))
    assert "Not yet issued" in before
    on = days_ago(51)
    assert f"On {long_date(on)}:" in before
    expires = api.client().get(f"/v1/certifications/{held}").json()["expires_on"]
    assert "Expired" in text(page(api, "/verify", q=held, on=expires))
    for bad in ("2024-02-30", "tomorrow", "1899-12-31", "2200-01-01"):
        refused = page(api, "/verify", 422, q=held, on=bad)
        assert 'role="alert"' in refused.text and "YYYY-MM-DD" in text(refused)


def test_suspended_and_revoked_show_the_state_and_its_reason(api: Api) -> None:
    _, number = certified(api, "WEB-2")
    state = api.client("state")
    base = f"/v1/certifications/{number}"
    ok(state.post(f"{base}/suspensions", json={"reason": "complaint under review"}))
    shown = text(page(api, "/verify", q=number))
    assert "Suspended" in shown and "Reason recorded: complaint under review" in shown
    assert "In force" not in shown
    ok(state.post(f"{base}/revocations", json={"reason": "misconduct"}))
    shown = text(page(api, "/verify", q=number))
    assert "Revoked" in shown and "Reason recorded: misconduct" in shown


def test_a_certificate_not_renewed_is_expired(api: Api) -> None:
    client = api.client("state")
    officer = ok(
        client.post(
            "/v1/officers",
            json=enrolment(
                "WEB-3",
                patrol_experience_began_on=days_ago(3000).isoformat(),
                effective_on=days_ago(1600).isoformat(),
            ),
        )
    )["id"]
    week = {"kind": "cit_academy", "hours": 40, "academy_code": "UPA"}
    week |= {"began_on": days_ago(1504).isoformat(), "completed_on": days_ago(1500).isoformat()}
    ok(client.post(f"/v1/officers/{officer}/trainings", json=week))
    for kind in ("written", "scenario"):
        exam = {"kind": kind, "passed": True, "taken_on": days_ago(1500).isoformat()}
        ok(client.post(f"/v1/officers/{officer}/exams", json=exam))
    issued = client.post(
        f"/v1/officers/{officer}/certifications",
        json={"credential": "cit_officer", "effective_on": days_ago(1490).isoformat()},
    )
    number = ok(issued)["certificate_number"]
    shown = text(page(api, "/verify", q=number))
    assert "Expired" in shown and "not renewed before its expiry date" in shown
    assert "In force" not in shown


def test_a_withheld_holder_is_not_named(api: Api) -> None:
    officer, number = certified(api, "WEB-4")
    withhold = {"withheld": True, "reason": "undercover assignment"}
    ok(api.client("state").post(f"/v1/officers/{officer}/withholding", json=withhold))
    got = page(api, "/verify", q=number)
    shown = text(got)
    assert "In force" in shown and "Withheld by the state" in shown
    assert "Officer WEB-4" not in got.text and f"/agencies/{HOME}" not in got.text


def test_a_deceased_holders_certificate_says_so(api: Api) -> None:
    officer, number = certified(api, "WEB-5")
    separation = {"reason": "deceased", "effective_on": days_ago(3).isoformat()}
    ok(api.client("state").post(f"/v1/officers/{officer}/separations", json=separation))
    shown = text(page(api, "/verify", q=number))
    status = api.client().get(f"/v1/certifications/{number}").json()["status"]
    assert status == "deceased"
    assert "In force" not in shown and "died" in shown.lower()


def test_an_unknown_number_is_a_404_page_that_says_not_found(api: Api) -> None:
    for asked in ("UT-CIT-NOSUCH1", "WEB-1", "ab", "semi;colon"):
        missing = page(api, "/verify", 404, q=asked)
        assert "Not found" in text(missing) and asked in text(missing)
    assert "Enter a certificate number" in text(page(api, "/verify", 422, q="  "))


def test_a_pasted_token_goes_to_the_token_page_in_the_fragment(api: Api, held: str) -> None:
    token = ok(api.client("state").get(f"/v1/certifications/{held}/token"))["token"]
    moved = api.client().get("/verify", params={"q": f" {token} "})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/v#{token}"


def test_the_access_log_never_holds_a_token(api: Api, held: str) -> None:
    token = ok(api.client("state").get(f"/v1/certifications/{held}/token"))["token"]
    for asked in (token, f"  {token}", token.replace(".", "%2E")):
        moved = api.client().get(f"/verify?q={asked}")
        assert moved.status_code == 303 and moved.headers["location"] == f"/v#{token}"
    assert api.client().get("/verify", params={"q": held}).status_code == 200
    assert api.log is not None
    logged = api.log.read_text()
    assert "GET /verify?q=[token] HTTP/1.1" in logged
    assert f"GET /verify?q={held} HTTP/1.1" in logged  # a number is public: kept as asked
    for part in token.split("."):
        assert part not in logged


def test_hostile_input_is_shown_as_text(api: Api) -> None:
    missing = page(api, "/verify", 404, q=HOSTILE)
    assert "<script>alert" not in missing.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; O&#34;Brien" in missing.text
    assert "\u202eedoc\u202c" in text(missing)  # the marks are kept, inside an element

    client = api.client("state")
    officer = ok(client.post("/v1/officers", json=enrolment("WEB-6") | {"name": HOSTILE}))["id"]
    train(api, officer)
    issued = client.post(
        f"/v1/officers/{officer}/certifications",
        json={"credential": "cit_officer", "effective_on": days_ago(50).isoformat()},
    )
    shown = page(api, "/verify", q=ok(issued)["certificate_number"])
    assert "<script>alert" not in shown.text
    assert HOSTILE in text(shown)

    agency = {"code": "EVILPD", "name": '<img src=x onerror="alert(1)"> Police', "region": "R"}
    agency |= {"districts": ["A"], "shifts": ["Day"], "effective_on": days_ago(10).isoformat()}
    ok(client.post("/v1/agencies", json=agency))
    for listed in (page(api, "/agencies", q="evil"), page(api, "/agencies/EVILPD")):
        assert "<img src=x" not in listed.text
        assert '<img src=x onerror="alert(1)"> Police' in text(listed)


def test_agencies_are_listed_and_searched(api: Api, held: str) -> None:
    listed = text(page(api, "/agencies"))
    assert f"{HOME} Police" in listed and "SOUTHPD Police" in listed
    found = page(api, "/agencies", q="south")
    assert "SOUTHPD Police" in text(found) and f"{HOME} Police" not in text(found)
    assert "No agency" in text(page(api, "/agencies", q="no such place"))


def test_an_agency_page_shows_its_tier_and_share(api: Api, held: str) -> None:
    public = api.client()
    tier = public.get(f"/v1/agencies/{HOME}").json()
    assert tier["officers_in_force"] >= 1
    got = page(api, f"/agencies/{HOME}")
    shown = text(got)
    assert f"{HOME} Police" in shown
    assert f"Officers with CIT in force {tier['officers_in_force']}" in shown
    assert re.search(r"\d+ of \d+ patrol officers \(\d+%\)", shown)
    assert TIERS[tier["tier"]].label in shown and TIERS[tier["tier"]].sentence in shown
    # Coverage by district and shift is not public.
    assert "North" not in got.text and "Night" not in got.text
    assert "No agency “NOSUCHPD”" in text(page(api, "/agencies/NOSUCHPD", 404))


def test_the_transparency_page_shows_the_latest_checkpoint_and_the_key(api: Api) -> None:
    client = api.client()
    ok(client.get("/healthz"))
    key = client.get("/v1/audit/log-key").text.strip()
    note = client.get("/v1/audit/checkpoint")
    shown = text(page(api, "/transparency"))
    assert key.splitlines()[0] in shown
    assert "registry audit verify" in shown and "--since checkpoint.txt" in shown
    if note.status_code == 200:  # signed within seconds of the first event
        size = int(note.text.splitlines()[1])
        assert "Tree size" in shown and "events" in shown and size > 0


def test_pages_files_and_errors(api: Api) -> None:
    client = api.client()
    style = client.get("/static/site.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    again = client.get("/static/site.css", headers={"If-None-Match": style.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/nosuch.js").status_code == 404
    assert client.get("/static/..%2fpages.py").status_code == 404
    missing = page(api, "/no/such/page", 404)
    assert "Not found" in text(missing) or "not found" in text(missing)
    refused = client.post("/verify", headers={"Accept": "text/html"})
    assert refused.status_code == 405 and refused.headers["content-type"].startswith("text/html")
    # The API keeps answering with problem documents.
    problem = client.get("/v1/certifications/UT-CIT-NOSUCH1")
    assert problem.headers["content-type"] == "application/problem+json"

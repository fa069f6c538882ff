"""Separations over HTTP on a real server (SQLite and PostgreSQL): a death ends the
certificate for everyone who looks, a transfer names another agency, a late report is
flagged."""

from __future__ import annotations

from tests.api.conftest import HOME, OTHER, Api, days_ago
from tests.api.steps import certified, ok, refused


def test_a_deceased_officer_is_shown_so_gets_no_token_and_is_received_by_no_one(api: Api):
    officer, number = certified(api, "SEP-1")
    agency, other = api.client("agency"), api.client("other_agency")
    died = days_ago(3).isoformat()
    reported = ok(
        agency.post(
            f"/v1/officers/{officer}/separations",
            json={"reason": "deceased", "effective_on": died},
        )
    )
    assert reported["flags"] == []

    shown = ok(api.client().get(f"/v1/certifications/{number}"))
    assert (shown["status"], shown["reason"]) == ("deceased", f"holder died on {died}")
    before = ok(api.client().get(f"/v1/certifications/{number}", params={"on": days_ago(4)}))
    assert before["status"] == "in_force"

    position = api.position()
    refused(
        api.client("state").get(f"/v1/certifications/{number}/token"),
        422,
        "token-needs-certificate-in-force",
    )
    refused(
        other.post(f"/v1/officers/{officer}/transfers", json={"agency_code": OTHER}),
        422,
        "officer-deceased",
    )
    assert api.position() == position

    # Undone only by a correction of the report.
    ok(
        api.client("state").post(
            f"/v1/officers/{officer}/corrections",
            json={"corrects_version": reported["version"], "reason": "reported in error"},
        )
    )
    assert ok(api.client().get(f"/v1/certifications/{number}"))["status"] == "in_force"


def test_a_transfer_to_the_officers_own_agency_is_refused(api: Api):
    officer, _ = certified(api, "SEP-2")
    agency = api.client("agency")
    position = api.position()
    refused(
        agency.post(
            f"/v1/officers/{officer}/separations",
            json={"reason": "transferred", "new_agency_code": HOME},
        ),
        422,
        "transfer-to-another-agency",
    )
    assert api.position() == position


def test_a_late_separation_is_flagged_in_the_receipt_and_the_change_feed(api: Api):
    officer, number = certified(api, "SEP-3")
    agency = api.client("agency")
    late = ok(
        agency.post(
            f"/v1/officers/{officer}/separations",
            json={"reason": "resigned", "effective_on": days_ago(45).isoformat()},
        )
    )
    assert late["flags"] == ["reported-late"]
    feed = ok(api.client("state").get(f"/v1/agencies/{HOME}/changes", params={"limit": 1000}))
    [change] = [
        ch
        for ch in feed["items"]
        if ch["kind"] == "separated" and ch["certificate_number"] == number
    ]
    assert change["detail"] == "resigned; reported late, 45 days after it took effect"

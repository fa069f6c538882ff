"""Officers over HTTP: enrolment, training, exams, issue, employment, corrections, history."""

from __future__ import annotations

import pytest

from tests.api.conftest import HOME, OTHER, Api, days_ago, today
from tests.api.steps import (
    certified,
    certify,
    enrol,
    enrolment,
    ok,
    refused,
    train,
    training,
)

SECOND_ACADEMY = "WEBER-CIT"


@pytest.fixture(scope="module")
def second_academy(api: Api) -> str:
    """Another state-certified academy (the academy key is UPA's)."""
    body = {"code": SECOND_ACADEMY, "name": "Weber CIT", "state_certified": True}
    body["effective_on"] = days_ago(3000).isoformat()
    ok(api.client("state").post("/v1/academies", json=body))
    return SECOND_ACADEMY


def test_an_agency_enrols_its_officer_and_reads_the_record_by_any_reference(api: Api) -> None:
    agency = api.client("agency")
    created = agency.post("/v1/officers", json=enrolment("OF-1"))
    assert created.status_code == 201, created.text
    officer = created.json()["id"]
    assert created.headers["location"] == f"/v1/officers/{officer}"
    assert created.headers["etag"] == '"1"'

    for ref in (officer, "OF-1", "of-1"):
        shown = agency.get(f"/v1/officers/{ref}")
        assert shown.status_code == 200, shown.text
        assert shown.headers["etag"] == '"1"'
        record = shown.json()
        assert record["id"] == officer
        assert record["post_number"] == "OF-1"
        assert [record[k] for k in ("agency_code", "district", "shift")] == [HOME, "North", "Day"]
        assert record["post_status"] == "active"
        assert record["on"] == today().isoformat()
        assert record["certificates"] == []
    for reader in ("state", "auditor"):
        assert api.client(reader).get(created.headers["location"]).status_code == 200


def test_an_agency_enrols_only_with_its_own_agency_and_a_refusal_writes_nothing(
    api: Api,
) -> None:
    before = api.position()
    refused(api.client("agency").post("/v1/officers", json=enrolment("OF-2", OTHER)), 403)
    refused(api.client("academy").post("/v1/officers", json=enrolment("OF-2")), 403)
    refused(api.client("auditor").post("/v1/officers", json=enrolment("OF-2")), 403)
    refused(api.client().post("/v1/officers", json=enrolment("OF-2")), 401)
    assert api.position() == before
    refused(api.client("state").get("/v1/officers/OF-2"), 404)


def test_a_duplicate_post_number_or_a_future_date_is_refused_by_its_rule(api: Api) -> None:
    state = api.client("state")
    enrol(api, "OF-3")
    before = api.position()
    refused(state.post("/v1/officers", json=enrolment("OF-3")), 422, "post-number-unique")
    tomorrow = enrolment("OF-4", effective_on=days_ago(-1).isoformat())
    refused(state.post("/v1/officers", json=tomorrow), 422, "no-future-effective-date")
    nowhere = enrolment("OF-4", district="Downtown")
    refused(state.post("/v1/officers", json=nowhere), 422, "district-and-shift-of-agency")
    refused(state.post("/v1/officers", json=enrolment("OF-4", agency_code="NOPD")), 404)
    problem = refused(state.post("/v1/officers", json=enrolment("OF-4", role="sheriff")), 422)
    assert ["body", "role"] in [e["loc"] for e in problem["errors"]]
    assert api.position() == before


def test_the_academy_trains_examines_and_certifies_an_officer(api: Api) -> None:
    academy = api.client("academy")
    officer = enrol(api, "OF-5")
    base = f"/v1/officers/{officer}"
    trained = academy.post(f"{base}/trainings", json=training())
    assert trained.status_code == 201, trained.text
    assert trained.headers["etag"] == '"2"'
    for kind in ("written", "scenario"):
        exam = {"kind": kind, "passed": True, "taken_on": days_ago(60).isoformat()}
        assert academy.post(f"{base}/exams", json=exam).status_code == 201
    issued = academy.post(
        f"{base}/certifications",
        json={"credential": "cit_officer", "effective_on": days_ago(50).isoformat()},
    )
    assert issued.status_code == 201, issued.text
    receipt = issued.json()
    assert receipt["id"] == officer
    assert receipt["version"] == 5
    assert issued.headers["location"] == f"/v1/certifications/{receipt['certificate_number']}"

    record = academy.get(base).json()
    (certificate,) = record["certificates"]
    assert certificate["number"] == receipt["certificate_number"]
    assert certificate["status"] == "in_force" and certificate["in_force"] is True
    assert certificate["issued_on"] == days_ago(50).isoformat()
    assert certificate["expires_on"] == receipt["expires_on"]
    # Before the issue date the certificate was not yet issued.
    earlier = academy.get(base, params={"on": days_ago(51).isoformat()}).json()
    assert earlier["certificates"][0]["status"] == "not_yet_issued"


def test_an_academy_acts_only_for_its_academy_and_the_officers_trained_there(
    api: Api, second_academy: str
) -> None:
    academy = api.client("academy")
    stranger = enrol(api, "OF-6")
    elsewhere = enrol(api, "OF-7")
    train(api, elsewhere, second_academy)
    exam = {"kind": "written", "passed": True, "taken_on": days_ago(10).isoformat()}
    before = api.position()
    refused(academy.post(f"/v1/officers/{stranger}/trainings", json=training(second_academy)), 403)
    for officer in (stranger, elsewhere):
        refused(academy.get(f"/v1/officers/{officer}"), 403)
        refused(academy.post(f"/v1/officers/{officer}/exams", json=exam), 403)
        issue = {"credential": "cit_officer"}
        refused(
            academy.post(f"/v1/officers/{officer}/certifications", json=issue),
            403,
            "issuer-authority",
        )
        refused(academy.get(f"/v1/officers/{officer}/history"), 403)
    assert api.position() == before
    # The state may do all of it, for any academy.
    assert certify(api, elsewhere)


def test_an_agency_reads_and_changes_only_the_officers_it_employs(api: Api) -> None:
    officer = enrol(api, "OF-8")
    base = f"/v1/officers/{officer}"
    other = api.client("other_agency")
    before = api.position()
    refused(other.get(base), 403)
    refused(other.get(f"{base}/history"), 403)
    refused(other.post(f"{base}/assignments", json={"district": "South", "shift": "Night"}), 403)
    refused(other.post(f"{base}/post-status", json={"status": "inactive"}), 403)
    refused(other.post(f"{base}/separations", json={"reason": "resigned"}), 403)
    refused(other.post(f"{base}/trainings", json=training()), 403)
    assert api.position() == before

    agency = api.client("agency")
    moved = agency.post(f"{base}/assignments", json={"district": "South", "shift": "Night"})
    assert moved.status_code == 201, moved.text
    changed = agency.post(f"{base}/post-status", json={"status": "suspended"})
    assert changed.status_code == 200, changed.text
    record = agency.get(base).json()
    assert (record["district"], record["shift"], record["post_status"]) == (
        "South",
        "Night",
        "suspended",
    )
    refused(
        agency.post(f"{base}/assignments", json={"district": "Downtown", "shift": "Day"}),
        422,
        "district-and-shift-of-agency",
    )


def test_a_transfer_is_reported_by_the_agency_that_receives_the_officer(api: Api) -> None:
    officer, number = certified(api, "OF-9")
    base = f"/v1/officers/{officer}"
    home, other = api.client("agency"), api.client("other_agency")
    move = {"agency_code": OTHER, "district": "South", "shift": "Day"}
    # Not before the old agency reports the separation.
    refused(other.post(f"{base}/transfers", json=move), 422, "officer-already-associated")
    separation = {
        "reason": "transferred",
        "new_agency_code": OTHER,
        "effective_on": days_ago(10).isoformat(),
    }
    ok(home.post(f"{base}/separations", json=separation))
    before = api.position()
    refused(home.post(f"{base}/transfers", json=move), 403)  # NORTHPD cannot receive for SOUTHPD
    refused(home.get(base), 403)  # nor read an officer it no longer employs
    assert api.position() == before

    ok(other.post(f"{base}/transfers", json={**move, "effective_on": days_ago(9).isoformat()}))
    record = other.get(base).json()
    assert record["agency_code"] == OTHER
    # The certificate moved with the officer: same number, same expiry.
    (certificate,) = record["certificates"]
    assert certificate["number"] == number and certificate["status"] == "in_force"
    assert other.get(f"/v1/officers/{number}").json()["id"] == officer


def test_if_match_refuses_a_stale_version_and_writes_nothing(api: Api) -> None:
    agency = api.client("agency")
    officer = enrol(api, "OF-10")
    base = f"/v1/officers/{officer}"
    seen = agency.get(base).headers["etag"]
    assignment = {"district": "South", "shift": "Day"}
    done = agency.post(f"{base}/assignments", json=assignment, headers={"If-Match": seen})
    assert done.status_code == 201, done.text
    assert done.headers["etag"] == '"2"'

    before = api.position()
    stale = agency.post(f"{base}/assignments", json=assignment, headers={"If-Match": seen})
    problem = refused(stale, 412)
    assert problem["type"].endswith(":stale-version")
    refused(agency.post(f"{base}/assignments", json=assignment, headers={"If-Match": "two"}), 400)
    assert api.position() == before
    assert agency.get(base).headers["etag"] == '"2"'


def test_a_retry_with_the_same_idempotency_key_returns_the_same_receipt(api: Api) -> None:
    academy = api.client("academy")
    officer = enrol(api, "OF-11")
    key = {"Idempotency-Key": "of-11-week"}
    first = academy.post(f"/v1/officers/{officer}/trainings", json=training(), headers=key)
    assert first.status_code == 201, first.text
    before = api.position()
    # The same command, even through the POST number instead of the registry id.
    again = academy.post("/v1/officers/OF-11/trainings", json=training(), headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    changed = training(hours=8, kind="continuing_education")
    conflict = academy.post(f"/v1/officers/{officer}/trainings", json=changed, headers=key)
    assert refused(conflict, 422)["type"].endswith(":idempotency-conflict")
    assert api.position() == before


def test_the_rules_of_the_program_refuse_a_certificate_by_name(api: Api) -> None:
    state = api.client("state")
    officer = enrol(api, "OF-12")
    base = f"/v1/officers/{officer}"
    ok(state.post(f"{base}/trainings", json=training()))
    before = api.position()
    issue = {"credential": "cit_officer"}
    refused(state.post(f"{base}/certifications", json=issue), 422, "written-exam-required")
    youth = {"credential": "cit_youth"}
    refused(state.post(f"{base}/certifications", json=youth), 422)
    refused(state.post(f"{base}/certifications", json={"credential": "cit_wizard"}), 422)
    assert api.position() == before


def test_history_is_paged_and_read_as_recorded_on_a_day(api: Api) -> None:
    officer, _ = certified(api, "OF-13")
    base = f"/v1/officers/{officer}/history"
    for reader in ("state", "auditor", "agency"):
        found = api.client(reader).get(base)
        assert found.status_code == 200, (reader, found.text)
    history = api.client("auditor").get(base).json()
    assert history["officer_id"] == officer
    assert history["as_recorded_at"] is None
    events = [e["event"] for e in history["items"]]
    assert events[0] == "Enrolled" and events[-1] == "CertificateIssued"
    assert [e["version"] for e in history["items"]] == list(range(1, len(events) + 1))
    first = history["items"][0]
    assert first["actor_role"] == "state" and first["actor_id"].startswith("api-key:")
    assert first["details"]["post_number"] == "OF-13"

    paged = api.client("auditor").get(base, params={"limit": 2, "offset": 1}).json()
    assert [e["version"] for e in paged["items"]] == [2, 3]
    assert paged["total"] == len(events) and paged["next_offset"] == 3

    yesterday = {"as_recorded_on": days_ago(1).isoformat()}
    refused(api.client("auditor").get(base, params=yesterday), 404)
    refused(api.client("auditor").get(f"/v1/officers/{officer}", params=yesterday), 404)
    as_of_today = api.client("auditor").get(base, params={"as_recorded_on": today().isoformat()})
    assert as_of_today.json()["total"] == len(events)
    refused(api.client("academy").get(base), 403)
    refused(api.client().get(base), 401)


def test_the_timeline_is_for_the_state_and_auditors(api: Api) -> None:
    officer, number = certified(api, "OF-14")
    base = f"/v1/officers/{officer}/timeline"
    timeline = api.client("auditor").get(base, params={"limit": 500})
    assert timeline.status_code == 200, timeline.text
    entries = timeline.json()["items"]
    assert entries[-1]["event"] == "CertificateIssued"
    assert entries[-1]["details"]["number"] == number
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions)
    assert api.client("state").get(f"/v1/officers/{number}/timeline").json()["items"] == entries
    for caller in ("agency", "academy"):
        refused(api.client(caller).get(base), 403)


def test_corrections_and_withholding_are_the_states_alone(api: Api) -> None:
    officer = enrol(api, "OF-15")
    base = f"/v1/officers/{officer}"
    correction = {"corrects_version": 1, "reason": "misspelt", "amendments": {"name": "Ana Ruiz"}}
    withholding = {"withheld": True, "reason": "undercover assignment"}
    before = api.position()
    for caller in ("agency", "academy", "auditor"):
        refused(api.client(caller).post(f"{base}/corrections", json=correction), 403)
        refused(api.client(caller).post(f"{base}/withholding", json=withholding), 403)
    assert api.position() == before

    state = api.client("state")
    corrected = state.post(f"{base}/corrections", json=correction)
    assert corrected.status_code == 201, corrected.text
    withheld = state.post(f"{base}/withholding", json=withholding)
    assert withheld.status_code == 200, withheld.text
    record = state.get(base).json()
    assert (record["name"], record["withheld"], record["version"]) == ("Ana Ruiz", True, 3)
    # The record as it was before the correction is still there to read.
    history = state.get(f"{base}/history").json()["items"]
    assert history[0]["details"]["name"] == "Officer OF-15"
    bad = {"corrects_version": 1, "reason": "x", "amendments": {"hours": 3}}
    refused(state.post(f"{base}/corrections", json=bad), 422)
    refused(state.post(f"{base}/corrections", json={**correction, "corrects_version": 0}), 422)


def test_an_officer_reference_that_is_garbage_is_404_or_422_never_a_server_error(
    api: Api,
) -> None:
    state = api.client("state")
    agency_id = ok(state.post("/v1/agencies", json=agency_body("OFPD")))["id"]
    before = api.position()
    assignment = {"district": "North", "shift": "Day"}
    # Another record's registry id (an agency's) is no officer.
    for ref in ("nobody", "00000000-0000-0000-0000-000000000000", agency_id):
        refused(state.get(f"/v1/officers/{ref}"), 404)
        refused(state.get(f"/v1/officers/{ref}/history"), 404)
        refused(state.get(f"/v1/officers/{ref}/timeline"), 404)
        refused(state.post(f"/v1/officers/{ref}/assignments", json=assignment), 404)
        refused(state.post(f"/v1/officers/{ref}/withholding", json={"reason": "x"}), 404)
    # Neither an id, a POST number nor a certificate number can be spelled so: refused unread.
    for ref in ("a" * 65, "semi;colon", "%00", "caf%C3%A9"):
        refused(state.get(f"/v1/officers/{ref}"), 422)
    assert api.position() == before

    officer = enrol(api, "OF-16")
    for params in ({"on": "yesterday"}, {"on": "0"}, {"as_recorded_on": "2024-13-01"}):
        refused(state.get(f"/v1/officers/{officer}", params=params), 422)
    for name in ("on", "as_recorded_on"):
        for day in ("0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"):
            refused(state.get(f"/v1/officers/{officer}", params={name: day}), 422)
    # The first and last dates the API takes. On 1900-01-01 the officer was in no agency yet;
    # nothing about them had been recorded by then.
    first = state.get(f"/v1/officers/{officer}", params={"on": "1900-01-01"})
    assert (first.status_code, first.json()["agency_code"]) == (200, None), first.text
    refused(state.get(f"/v1/officers/{officer}", params={"as_recorded_on": "1900-01-01"}), 404)
    for name in ("on", "as_recorded_on"):
        last = state.get(f"/v1/officers/{officer}", params={name: "2199-12-31"})
        assert (last.status_code, last.json()["agency_code"]) == (200, HOME), (name, last.text)
    refused(state.get(f"/v1/officers/{officer}/history", params={"limit": 0}), 422)


def agency_body(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"{code} Police",
        "region": "Wasatch",
        "districts": ["North"],
        "shifts": ["Day"],
    }


def test_commands_about_an_unknown_officer_are_404_and_write_nothing(api: Api) -> None:
    state = api.client("state")
    before = api.position()
    base = "/v1/officers/NO-SUCH-1"
    refused(state.post(f"{base}/trainings", json=training()), 404)
    exam = {"kind": "written", "passed": True, "taken_on": days_ago(1).isoformat()}
    refused(state.post(f"{base}/exams", json=exam), 404)
    refused(state.post(f"{base}/certifications", json={"credential": "cit_officer"}), 404)
    refused(state.post(f"{base}/separations", json={"reason": "resigned"}), 404)
    refused(state.post(f"{base}/transfers", json={"agency_code": HOME}), 404)
    refused(state.post(f"{base}/post-status", json={"status": "active"}), 404)
    assert api.position() == before
    # An unknown academy in the body is a 404 too.
    officer = enrol(api, "OF-17")
    before = api.position()
    refused(state.post(f"/v1/officers/{officer}/trainings", json=training("NOACAD")), 404)
    assert api.position() == before

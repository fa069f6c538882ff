"""The event log on SQLite and PostgreSQL: idempotency, conflicts, concurrency, versioning, time."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from eventsourcing.persistence import StoredEvent

from registry.domain import commands as c
from registry.domain.errors import IdempotencyConflict, NotFound, RuleViolation, StaleVersion
from registry.domain.officer import Officer
from registry.domain.values import OfficerRole
from tests.factories import (
    ACADEMY,
    AGENCY,
    STATE,
    certified_officer,
    enrol,
    register_agencies_and_academies,
)


def exam(officer: str = "UT-1001", passed: bool = True) -> c.RecordExam:
    return c.RecordExam(officer=officer, kind="written", passed=passed, taken_on=date(2024, 5, 1))


def test_events_survive_closing_and_reopening_the_registry(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    receipt = certified_officer(app)
    app.close()

    reopened = make_registry()
    status = reopened.status(receipt.certificate_number)
    assert status.certificates[0].number == receipt.certificate_number
    assert status.certificates[0].in_force
    assert reopened.position() == receipt.position


def test_a_command_returns_the_log_position_of_its_events(registry):
    register_agencies_and_academies(registry)
    first = enrol(registry, "UT-1")
    second = enrol(registry, "UT-2")
    assert second.position > first.position
    assert registry.position() == second.position


def test_repeating_a_command_id_returns_the_first_result_and_writes_nothing(registry):
    register_agencies_and_academies(registry)
    enrol(registry)
    first = registry.record_exam(exam(), ACADEMY, command_id="exam-42")
    position = registry.position()

    again = registry.record_exam(exam(), ACADEMY, command_id="exam-42")

    assert again.replayed and not first.replayed
    assert (again.id, again.version) == (first.id, first.version)
    assert registry.position() == position
    assert registry.officer("UT-1001").version == first.version


def test_a_command_id_reused_with_different_content_is_refused(registry):
    register_agencies_and_academies(registry)
    enrol(registry)
    registry.record_exam(exam(passed=True), ACADEMY, command_id="exam-42")
    position = registry.position()

    with pytest.raises(IdempotencyConflict, match="exam-42"):
        registry.record_exam(exam(passed=False), ACADEMY, command_id="exam-42")
    assert registry.position() == position


def test_a_stale_expected_version_is_refused_as_a_conflict(registry):
    register_agencies_and_academies(registry)
    enrolled = enrol(registry)
    registry.record_exam(exam(), ACADEMY, expected_version=enrolled.version)
    position = registry.position()

    with pytest.raises(StaleVersion, match="version 2"):
        registry.record_exam(exam(), ACADEMY, expected_version=enrolled.version)
    assert registry.position() == position


def test_the_current_expected_version_is_accepted(registry):
    register_agencies_and_academies(registry)
    enrolled = enrol(registry)
    receipt = registry.record_exam(exam(), ACADEMY, expected_version=enrolled.version)
    assert receipt.version == enrolled.version + 1


def test_concurrent_writers_never_lose_an_update(make_registry):
    setup = make_registry()
    register_agencies_and_academies(setup)
    enrol(setup)
    writers, per_writer = 4, 5
    apps = [make_registry() for _ in range(writers)]
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(app) -> None:
        start.wait()
        try:
            for _ in range(per_writer):
                app.record_exam(exam(), ACADEMY)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    officer = setup.officer("UT-1001")
    assert officer.version == 1 + writers * per_writer
    assert len(officer.exams) == writers * per_writer


def test_the_same_command_sent_twice_at_once_is_carried_out_once(make_registry):
    setup = make_registry()
    register_agencies_and_academies(setup)
    enrol(setup)
    apps = [make_registry() for _ in range(4)]
    receipts = []
    start = threading.Barrier(len(apps))

    def send(app) -> None:
        start.wait()
        receipts.append(app.record_exam(exam(), ACADEMY, command_id="retry-storm"))

    threads = [threading.Thread(target=send, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(receipts) == 4
    assert len({(r.id, r.version) for r in receipts}) == 1
    assert sum(not r.replayed for r in receipts) == 1
    assert len(setup.officer("UT-1001").exams) == 1


def test_an_invalid_command_writes_no_event(registry):
    register_agencies_and_academies(registry)
    enrol(registry)
    position = registry.position()
    with pytest.raises(RuleViolation):
        registry.issue_certificate(
            c.IssueCertificate(officer="UT-1001", credential="cit_officer"), ACADEMY
        )
    assert registry.position() == position


def test_an_officer_is_found_by_registry_id_post_number_and_certificate_number(registry):
    register_agencies_and_academies(registry)
    receipt = certified_officer(registry)
    ids = {
        registry.officer_id(receipt.id),
        registry.officer_id("UT-1001"),
        registry.officer_id("ut-1001"),
        registry.officer_id(receipt.certificate_number),
    }
    assert ids == {registry.officer(receipt.id).id}
    with pytest.raises(NotFound):
        registry.officer_id("UT-9999")


def test_an_old_version_1_enrolment_is_upcast_when_read(registry):
    register_agencies_and_academies(registry)
    current = Officer(
        post_number="UT-OLD",
        name="Pat Legacy",
        agency_code="SLCPD",
        role=OfficerRole.TELECOMMUNICATOR,
        patrol_experience_began_on=date(2010, 1, 1),
        district=None,
        shift=None,
        effective_on=date(2012, 1, 1),
        actor=STATE,
    )
    stored = registry.mapper.to_stored_event(current.collect_events()[0])
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["role"]
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    registry.recorder.insert_events([old])

    officer = registry.repository.get(current.id)
    assert officer.role is OfficerRole.PATROL_OFFICER
    assert officer.name == "Pat Legacy"


def test_history_gives_effective_date_recorded_time_and_actor(registry):
    register_agencies_and_academies(registry)
    before = registry.now()  # the registry's recording clock
    enrol(registry)
    registry.record_exam(exam(), ACADEMY)
    history = registry.history("UT-1001")

    assert [h.event for h in history] == ["Enrolled", "ExamRecorded"]
    assert [h.version for h in history] == [1, 2]
    assert history[0].effective_on == date(2019, 1, 2)
    assert history[1].effective_on == date(2024, 5, 1)
    assert history[0].actor == AGENCY and history[1].actor == ACADEMY
    assert all(h.recorded_at >= before for h in history)
    assert history[0].recorded_at <= history[1].recorded_at


def test_as_recorded_shows_what_the_registry_said_at_that_moment(registry):
    register_agencies_and_academies(registry)
    receipt = certified_officer(registry)
    number = receipt.certificate_number
    recorded_before_suspension = registry.now()
    registry.suspend_certificate(
        c.SuspendCertificate(number=number, reason="under review", effective_on=date(2025, 10, 1)),
        STATE,
    )

    then = registry.status(number, on=date(2026, 1, 1), as_recorded_at=recorded_before_suspension)
    now = registry.status(number, on=date(2026, 1, 1))
    assert then.certificates[0].status == "in_force"
    assert now.certificates[0].status == "suspended"
    assert [h.event for h in registry.history(number, as_recorded_at=recorded_before_suspension)][
        -1
    ] == "CertificateIssued"
    with pytest.raises(NotFound, match="not yet recorded"):
        registry.history(number, as_recorded_at=recorded_before_suspension - timedelta(days=1))


def test_a_backdated_suspension_changes_the_effective_answer_but_not_the_recorded_one(registry):
    """Was the officer certified on 1 Oct 2025? Recorded now, the answer is no; before, yes."""
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    before = registry.now()  # the registry's recording clock
    registry.suspend_certificate(
        c.SuspendCertificate(number=number, reason="late report", effective_on=date(2025, 10, 1)),
        STATE,
    )
    assert registry.status(number, on=date(2025, 9, 30)).certificates[0].in_force
    assert not registry.status(number, on=date(2025, 10, 1)).certificates[0].in_force
    recorded_then = registry.status(number, on=date(2025, 10, 1), as_recorded_at=before)
    assert recorded_then.certificates[0].in_force


def test_end_of_day_is_the_last_moment_of_that_day_in_the_registry_time_zone(registry):
    cutoff = registry.end_of_day(date(2025, 3, 1))
    assert cutoff.date() == date(2025, 3, 1)
    assert (cutoff + timedelta(microseconds=1)).date() == date(2025, 3, 2)
    assert cutoff.utcoffset() == timedelta(hours=-7)  # Mountain Standard Time

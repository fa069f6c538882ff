"""Batches: many commands decided in order and saved in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from registry.application import BatchItem, Receipt, Registry
from registry.config import Settings
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import IdempotencyConflict, NotFound, RuleViolation
from registry.domain.officer import Officer
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    AGENCY_CODE,
    TODAY,
    register_agencies_and_academies,
)


def enrolment(post_number: str) -> BatchItem:
    return BatchItem(
        c.EnrolOfficer(
            post_number=post_number,
            name="Jordan Rivera",
            agency_code=AGENCY_CODE,
            patrol_experience_began_on=date(2018, 6, 1),
            district="North",
            shift="night",
            effective_on=date(2019, 1, 2),
        ),
        AGENCY,
    )


def exam(officer: str, kind: str = "written", command_id: str | None = None) -> BatchItem:
    cmd = c.RecordExam(officer=officer, kind=kind, passed=True, taken_on=date(2025, 9, 12))
    return BatchItem(cmd, ACADEMY, command_id)


def certification(post_number: str) -> list[BatchItem]:
    """Enrol, academy week, both exams and the certificate: one officer's whole story."""
    academy = c.RecordTraining(
        officer=post_number,
        kind="cit_academy",
        hours=40,
        academy_code=ACADEMY_CODE,
        began_on=date(2025, 9, 8),
        completed_on=date(2025, 9, 12),
    )
    issue = c.IssueCertificate(
        officer=post_number, credential="cit_officer", effective_on=date(2025, 9, 15)
    )
    return [
        enrolment(post_number),
        BatchItem(academy, ACADEMY),
        exam(post_number, "written"),
        exam(post_number, "scenario"),
        BatchItem(issue, ACADEMY),
    ]


def count_saves(app: Registry, before: Callable[[], Any] | None = None) -> list[int]:
    """Spy on `app.save`: the number of events of each call; `before` runs before the first."""
    calls: list[int] = []
    original = app.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        if before is not None and not calls:
            before()
        calls.append(len(objs))
        return original(*objs, **kwargs)

    app.save = save  # type: ignore[method-assign]
    return calls


@pytest.fixture
def app(memory_registry) -> Registry:
    registry = memory_registry()
    register_agencies_and_academies(registry)
    return registry


def test_a_batch_is_saved_in_one_transaction(app):
    saves = count_saves(app)
    results = app.execute_batch([enrolment("UT-1"), enrolment("UT-2"), enrolment("UT-3")])
    assert all(isinstance(r, Receipt) for r in results)
    assert len(saves) == 1
    assert saves[0] == 6  # each enrolment: the officer and the POST number's index


def test_a_later_command_sees_what_an_earlier_one_in_the_batch_did(app):
    results = app.execute_batch(certification("UT-1001"))

    issued = results[-1]
    assert isinstance(issued, Receipt), issued
    assert issued.version == 5
    assert issued.expires_on == date(2027, 9, 15)
    status = app.status("UT-1001", on=date(2026, 1, 1))
    assert [v.number for v in status.certificates if v.in_force] == [issued.certificate_number]


def test_receipts_carry_the_log_position_of_their_own_events(app):
    start = app.position()
    results = app.execute_batch([enrolment("UT-1"), exam("UT-1"), enrolment("UT-2")])
    positions = [r.position for r in results if isinstance(r, Receipt)]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert positions[-1] == app.position() == start + 5
    assert all(start < p for p in positions)


def test_a_refused_command_is_reported_in_its_slot_and_adds_nothing(app):
    start = app.position()
    results = app.execute_batch([enrolment("UT-1"), exam("UT-404"), enrolment("UT-2")])

    first, refused, last = results
    assert isinstance(first, Receipt) and isinstance(last, Receipt)
    assert isinstance(refused, NotFound)
    assert app.position() == start + 4
    assert [e.event for e in app.history("UT-1")] == ["Enrolled"]


def test_a_rule_refused_in_a_batch_names_its_rule(app):
    enrol_twice = [enrolment("UT-1"), exam("UT-1"), enrolment("UT-1")]
    results = app.execute_batch(enrol_twice)
    assert isinstance(results[2], RuleViolation)
    assert results[2].rule == rules.POST_NUMBER_UNIQUE
    assert app.officer("UT-1").version == 2


def test_a_command_id_repeated_in_a_batch_is_replayed(app):
    results = app.execute_batch(
        [enrolment("UT-1"), exam("UT-1", command_id="exam-1"), exam("UT-1", command_id="exam-1")]
    )
    _, first, again = results
    assert isinstance(first, Receipt) and isinstance(again, Receipt)
    assert not first.replayed and again.replayed
    assert (again.id, again.version) == (first.id, first.version)
    assert len(app.officer("UT-1").exams) == 1
    assert again.position == app.position()


def test_a_command_id_reused_for_other_content_in_a_batch_is_refused(app):
    results = app.execute_batch(
        [
            enrolment("UT-1"),
            exam("UT-1", "written", command_id="exam-1"),
            exam("UT-1", "scenario", command_id="exam-1"),
        ]
    )
    assert isinstance(results[2], IdempotencyConflict)
    assert [e.kind for e in app.officer("UT-1").exams] == ["written"]


def test_a_command_id_carried_out_before_the_batch_is_replayed(app):
    app.execute_batch([enrolment("UT-1")])
    first = app.execute(exam("UT-1").command, ACADEMY, command_id="exam-1")
    saves = count_saves(app)
    position = app.position()

    (again,) = app.execute_batch([exam("UT-1", command_id="exam-1")])

    assert isinstance(again, Receipt) and again.replayed
    assert (again.id, again.version, again.position) == (first.id, first.version, position)
    assert saves == []


def test_a_refused_command_may_use_its_command_id_again_later_in_the_batch(app):
    results = app.execute_batch(
        [exam("UT-1", command_id="exam-1"), enrolment("UT-1"), exam("UT-1", command_id="exam-1")]
    )
    assert isinstance(results[0], NotFound)
    assert isinstance(results[2], Receipt) and not results[2].replayed


def test_an_empty_batch_writes_nothing(app):
    saves = count_saves(app)
    assert app.execute_batch([]) == []
    assert saves == []


def test_a_refused_command_that_left_events_behind_sends_the_batch_one_by_one(app, monkeypatch):
    """Domain methods check first; if one ever did not, its event must not be saved."""
    original = Officer.record_exam

    def sloppy(self: Officer, **kwargs: Any) -> None:
        original(self, **kwargs)
        raise RuleViolation("sloppy", "refused after the event was triggered")

    monkeypatch.setattr(Officer, "record_exam", sloppy)
    saves = count_saves(app)
    results = app.execute_batch([enrolment("UT-1"), exam("UT-1"), enrolment("UT-2")])

    assert [type(r) for r in results] == [Receipt, RuleViolation, Receipt]
    assert len(saves) == 2  # one by one: each enrolment in its own transaction
    assert app.officer("UT-1").exams == []


def test_what_is_not_a_command_is_a_programming_error(app):
    with pytest.raises(TypeError, match="not a command the registry carries out"):
        app.execute(c.ExamAmendment(passed=True), ACADEMY)


def test_a_concurrent_writer_sends_the_batch_one_by_one(tmp_path):
    url = f"sqlite:///{tmp_path}/registry.db"
    first, second = (Registry(Settings(database=url), clock=lambda: TODAY) for _ in range(2))
    try:
        register_agencies_and_academies(first)
        first.execute_batch([enrolment("UT-1")])

        def concurrent_exam() -> None:
            second.execute(exam("UT-1", "scenario").command, ACADEMY)

        saves = count_saves(first, before=concurrent_exam)
        results = first.execute_batch([exam("UT-1", "written"), enrolment("UT-2")])

        assert all(isinstance(r, Receipt) for r in results), results
        assert len(saves) == 3  # the batch, refused by the store, then each command
        kinds = sorted(e.kind for e in first.officer("UT-1").exams)
        assert kinds == ["scenario", "written"]
        assert first.officer("UT-2").version == 1
    finally:
        first.close()
        second.close()


def test_a_post_number_claimed_by_a_concurrent_writer_is_refused_after_the_fallback(tmp_path):
    url = f"sqlite:///{tmp_path}/registry.db"
    first, second = (Registry(Settings(database=url), clock=lambda: TODAY) for _ in range(2))
    try:
        register_agencies_and_academies(first)

        def concurrent_enrolment() -> None:
            second.execute(enrolment("UT-2").command, AGENCY)

        saves = count_saves(first, before=concurrent_enrolment)
        results = first.execute_batch([enrolment("UT-1"), enrolment("UT-2")])

        assert isinstance(results[0], Receipt)
        assert isinstance(results[1], RuleViolation)
        assert results[1].rule == rules.POST_NUMBER_UNIQUE
        assert len(saves) == 2  # the batch, refused by the store, then UT-1 on its own
    finally:
        first.close()
        second.close()

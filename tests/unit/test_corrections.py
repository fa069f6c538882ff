"""Corrections: void or amend a record by its version, with a reason; nothing is deleted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.application import parse
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.values import CertificateStatus
from tests.factories import (
    AGENCY,
    STATE,
    TODAY,
    certified_officer,
    complete_academy,
    continuing_education,
    enrol,
    issue,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import (
    ACADEMY_BEGAN,
    ACADEMY_COMPLETED,
    ISSUED_ON,
    OFFICER,
    change_post_status,
    correct,
    record_exam,
    record_training,
    refused,
    renew,
    status_of,
    suspend,
)

RENEWED_ON = date(2026, 11, 2)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def number(app):
    return certified_officer(app).certificate_number


def academy(app, hours: float = 40, kind: str = "cit_academy"):
    return record_training(app, kind, hours=hours, began=ACADEMY_BEGAN, completed=ACADEMY_COMPLETED)


def exams(app, *, written: bool = True, scenario: bool = True):
    record_exam(app, "written", passed=written, taken=ACADEMY_COMPLETED)
    return record_exam(app, "scenario", passed=scenario, taken=ACADEMY_COMPLETED)


# --------------------------------------------------------------------- voiding


@pytest.mark.parametrize("voided", [False, True])
def test_a_voided_ce_record_no_longer_counts_for_renewal(app, number, voided):
    ce = continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    if voided:
        correct(app, ce.version, reason="class was never held")
        with refused(app, rules.RENEWAL_CE, OFFICER):
            renew(app, number, RENEWED_ON)
    else:
        assert renew(app, number, RENEWED_ON).expires_on == date(2029, 9, 15)


def test_a_voided_academy_no_longer_qualifies(app):
    enrol(app)
    week = academy(app)
    exams(app)

    correct(app, week.version, reason="recorded for the wrong officer")

    with refused(app, rules.ACADEMY_COMPLETION, OFFICER):
        issue(app, actor=STATE)
    # ... and the academy that recorded it has no standing to issue for the officer now.
    with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
        issue(app)


def test_a_correction_affects_only_the_record_at_its_version(app):
    enrol(app)
    academy(app)
    written = record_exam(app, "written", taken=ACADEMY_COMPLETED)
    scenario = record_exam(app, "scenario", taken=ACADEMY_COMPLETED)

    correct(app, scenario.version, reason="exam sheet belongs to someone else")

    with refused(app, rules.SCENARIO_EXAM, OFFICER):
        issue(app)
    officer = app.officer(OFFICER)
    assert [(e.version, e.void) for e in officer.exams] == [
        (written.version, False),
        (scenario.version, True),
    ]


def test_a_voided_issue_leaves_a_voided_certificate(app, number):
    issued = app.history(number)[-1]
    assert issued.event == "CertificateIssued"

    correct(app, issued.version, reason="issued in error")

    assert status_of(app, number, ISSUED_ON) is CertificateStatus.VOIDED


def test_a_voided_suspension_puts_the_certificate_back_in_force(app, number):
    receipt = suspend(app, number, date(2026, 3, 1))
    assert status_of(app, number, date(2026, 3, 1)) is CertificateStatus.SUSPENDED

    correct(app, receipt.version, reason="suspension entered on the wrong certificate")

    assert status_of(app, number, date(2026, 3, 1)) is CertificateStatus.IN_FORCE


def test_a_voided_separation_puts_the_officer_back_with_the_agency(app, number):
    receipt = app.separate_officer(
        c.SeparateOfficer(officer=OFFICER, reason="resigned", effective_on=date(2026, 4, 30)),
        AGENCY,
    )

    correct(app, receipt.version, reason="resignation withdrawn")

    assert app.status(OFFICER, on=date(2026, 5, 1)).agency_code == "SLCPD"


# ---------------------------------------------------------------------- amending


def test_amending_the_hours_of_an_academy_makes_it_qualify(app):
    enrol(app)
    week = academy(app, hours=24)
    exams(app)
    with refused(app, rules.ACADEMY_COMPLETION, OFFICER):
        issue(app)

    correct(app, week.version, reason="typed 24 for 40", hours=40)

    assert issue(app).certificate_number


def test_amending_the_hours_of_ce_down_stops_a_renewal(app, number):
    ce = continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    correct(app, ce.version, reason="class was two hours", hours=2)

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, RENEWED_ON)
    (amended,) = [t for t in app.officer(OFFICER).trainings if not t.void and t.hours == 2]
    assert amended.completed_on == date(2026, 5, 4)


def test_amending_a_ce_date_to_before_the_cycle_stops_a_renewal(app, number):
    ce = continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    correct(
        app,
        ce.version,
        reason="class was in 2024",
        began_on=date(2024, 5, 4),
        completed_on=date(2024, 5, 4),
    )

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, RENEWED_ON)


def test_amending_a_failed_exam_to_passed_allows_issue(app):
    enrol(app)
    academy(app)
    scenario = exams(app, scenario=False)
    with refused(app, rules.SCENARIO_EXAM, OFFICER):
        issue(app)

    correct(app, scenario.version, reason="grading error", passed=True)

    assert issue(app).certificate_number


def test_amending_the_kind_of_a_training_makes_it_an_academy(app):
    enrol(app)
    week = academy(app, kind="awareness")
    exams(app)
    with refused(app, rules.ACADEMY_COMPLETION, OFFICER):
        issue(app, actor=STATE)

    correct(app, week.version, reason="entered as awareness by mistake", kind="cit_academy")

    # Still the academy's own completion, amended: its staff issue on it.
    assert issue(app).certificate_number


def test_amending_a_post_status_entered_in_error_puts_the_certificate_back_in_force(app, number):
    receipt = change_post_status(app, "suspended", date(2026, 3, 1))
    assert status_of(app, number, date(2026, 3, 1)) is CertificateStatus.POST_NOT_ACTIVE

    correct(app, receipt.version, reason="wrong officer", status="active")

    assert status_of(app, number, date(2026, 3, 1)) is CertificateStatus.IN_FORCE
    assert app.status(OFFICER, on=date(2026, 3, 1)).post_status == "active"


def test_amending_the_patrol_start_of_the_enrolment_changes_eligibility(app):
    enrol(app, patrol_began=date(2025, 6, 1), enrolled_on=date(2025, 6, 1))
    complete_academy(app)
    with refused(app, rules.PATROL_EXPERIENCE, OFFICER):
        issue(app)

    correct(app, 1, reason="date of hire typed wrongly", patrol_experience_began_on="2018-06-01")

    assert issue(app).certificate_number


def test_amending_the_name_of_the_enrolment(app):
    enrol(app)

    correct(app, 1, reason="married name", name="Jordan Rivera-Lopez")

    assert app.status(OFFICER).name == "Jordan Rivera-Lopez"


def test_an_amended_record_can_be_amended_again(app):
    enrol(app)
    week = academy(app, hours=20)
    exams(app)
    first = correct(app, week.version, reason="typed 20", hours=24)

    correct(app, first.version, reason="still wrong: it was 40", hours=40)

    assert issue(app).certificate_number
    assert [t.hours for t in app.officer(OFFICER).trainings if not t.void] == [40]


# ------------------------------------------------------------- what is refused


def test_an_enrolment_cannot_be_voided(app):
    enrol(app)

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, 1, reason="never existed")


@pytest.mark.parametrize("version", [99, 5])
def test_correcting_an_unknown_version_is_refused(app, version):
    enrol(app)
    academy(app)

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, version)


def test_correcting_a_version_below_one_is_malformed():
    with pytest.raises(InvalidInput):
        parse(c.CorrectRecord, {"officer": OFFICER, "corrects_version": 0, "reason": "x"})


def test_correcting_an_already_voided_record_is_refused(app):
    enrol(app)
    week = academy(app)
    correct(app, week.version)

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, week.version)


def test_a_correction_that_only_voided_cannot_itself_be_corrected(app):
    enrol(app)
    week = academy(app)
    voiding = correct(app, week.version)

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, voiding.version, hours=40)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_command_without_a_reason_is_malformed(reason):
    with pytest.raises(InvalidInput, match="reason"):
        parse(c.CorrectRecord, {"officer": OFFICER, "corrects_version": 2, "reason": reason})


def test_a_correction_without_a_reason_is_refused_by_the_officer_record(app):
    enrol(app)
    week = academy(app)
    officer = app.officer(OFFICER)

    with pytest.raises(RuleViolation) as refusal:
        officer.correct(corrects_version=week.version, reason=" ", amendments={}, actor=STATE)

    assert refusal.value.rule == rules.REASON
    assert officer.collect_events() == []


def test_a_field_that_is_not_amendable_is_refused_by_the_officer_record(app):
    enrol(app)
    week = academy(app)
    officer = app.officer(OFFICER)

    with pytest.raises(RuleViolation) as refusal:
        officer.correct(
            corrects_version=week.version,
            reason="wrong academy",
            amendments={"academy_code": "INHOUSE"},
            actor=STATE,
        )

    assert refusal.value.rule == rules.CORRECTION_TARGET
    assert officer.collect_events() == []


@pytest.mark.parametrize(
    "amendments",
    [
        {"academy_code": "INHOUSE"},
        {"academy_state_certified": False},
        {"effective_on": "2025-09-01"},
    ],
)
def test_a_field_of_a_training_that_is_not_amendable_is_refused_by_the_service(app, amendments):
    enrol(app)
    week = academy(app)
    position = app.position()

    with pytest.raises(InvalidInput, match="not permitted"):
        correct(app, week.version, **amendments)

    assert app.position() == position


def test_a_certificate_action_can_be_voided_but_not_amended(app, number):
    issued = app.history(number)[-1]

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, issued.version, expires_on="2030-01-01")


def test_a_separation_can_be_voided_but_not_amended(app, number):
    receipt = app.separate_officer(
        c.SeparateOfficer(officer=OFFICER, reason="resigned", effective_on=date(2026, 4, 30)),
        AGENCY,
    )

    with refused(app, rules.CORRECTION_TARGET, OFFICER):
        correct(app, receipt.version, reason_code="retired")


def test_an_amendment_to_a_future_date_is_refused(app):
    enrol(app)
    ce = continuing_education(app, OFFICER, on=date(2026, 5, 4))

    with refused(app, rules.FUTURE_DATE, OFFICER):
        correct(app, ce.version, completed_on=(TODAY + timedelta(days=1)).isoformat())


def test_an_amendment_that_puts_the_end_of_a_training_before_its_start_is_refused(app):
    enrol(app)
    week = academy(app)

    with refused(app, rules.DATE_ORDER, OFFICER):
        correct(app, week.version, completed_on="2025-09-01")


def test_moving_a_one_day_course_to_another_day_moves_its_start_too(app):
    enrol(app)
    ce = continuing_education(app, OFFICER, on=date(2026, 5, 4))

    corrected = correct(app, ce.version, completed_on="2026-05-01")

    (training,) = [t for t in app.officer(OFFICER).trainings if not t.void]
    assert training.version == corrected.version
    assert (training.began_on, training.completed_on) == (date(2026, 5, 1), date(2026, 5, 1))


# -------------------------------------------------------------------- history


def test_a_correction_deletes_nothing_and_says_what_it_corrects(app):
    enrol(app)
    week = academy(app, hours=24)
    before = app.history(OFFICER)

    receipt = correct(app, week.version, reason="typed 24 for 40", hours=40)

    after = app.history(OFFICER)
    assert after[: len(before)] == before
    original = after[week.version - 1]
    assert (original.version, original.event) == (week.version, "TrainingRecorded")
    assert original.details["hours"] == 24
    correction = after[-1]
    assert (correction.version, correction.event) == (receipt.version, "Corrected")
    assert correction.details["corrects_version"] == week.version
    assert correction.details["reason"] == "typed 24 for 40"
    assert correction.details["amendments"] == {"hours": 40}
    assert correction.effective_on == ACADEMY_COMPLETED


def test_a_voided_record_is_kept_marked_void(app):
    enrol(app)
    week = academy(app)

    correct(app, week.version)

    (kept,) = app.officer(OFFICER).trainings
    assert (kept.version, kept.void, kept.hours) == (week.version, True, 40)


def test_the_version_in_a_receipt_is_the_version_a_correction_names(app):
    enrol(app)
    receipts = [
        continuing_education(app, OFFICER, on=date(2026, 1, 5 + i), hours=1 + i) for i in range(3)
    ]

    correct(app, receipts[1].version)

    live = [(t.version, t.hours) for t in app.officer(OFFICER).trainings if not t.void]
    assert live == [(receipts[0].version, 1), (receipts[2].version, 3)]
    assert app.officer(OFFICER).kind_of_record(1) == "enrolment"

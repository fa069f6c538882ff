"""Issuing a credential: academy, exams, patrol experience, POST status, role, youth add-on."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import commands as c
from registry.domain import rules
from registry.domain.policy import Policy
from registry.domain.values import CertificateStatus
from tests.factories import (
    ACADEMY,
    IN_HOUSE_ACADEMY_CODE,
    STATE,
    certified_officer,
    complete_academy,
    enrol,
    issue,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import (
    ACADEMY_BEGAN,
    ACADEMY_COMPLETED,
    EXPIRES_ON,
    ISSUED_ON,
    OFFICER,
    change_post_status,
    record_exam,
    record_training,
    refused,
    status_of,
    suspend,
    view,
)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def enrolled(app):
    enrol(app)
    return app


def academy_week(app, *, hours: float = 40, academy: str = "SLC-CIT") -> None:
    """The academy week of `complete_academy`, without its exams."""
    record_training(
        app,
        "cit_academy",
        hours=hours,
        began=ACADEMY_BEGAN,
        completed=ACADEMY_COMPLETED,
        academy=academy,
    )


# ------------------------------------------------------------------ the full set


def test_an_experienced_officer_with_academy_and_both_exams_is_certified(enrolled):
    complete_academy(enrolled)

    receipt = issue(enrolled)

    assert receipt.certificate_number.startswith("UT-CIT-")
    assert receipt.expires_on == EXPIRES_ON
    assert status_of(enrolled, receipt.certificate_number, ISSUED_ON) is CertificateStatus.IN_FORCE


def test_an_officer_with_nothing_recorded_cannot_be_certified(enrolled):
    with refused(enrolled, rules.ACADEMY_COMPLETION, OFFICER):
        issue(enrolled, actor=STATE)
    # Training staff who recorded no academy week for the officer have no standing at all.
    with refused(enrolled, rules.ISSUER_AUTHORITY, OFFICER):
        issue(enrolled)


# --------------------------------------------------------------------- academy


@pytest.mark.parametrize(
    ("hours", "allowed"),
    [(40, True), (48, True), (39.5, False), (24, False), (8, False)],
)
def test_the_academy_must_last_at_least_forty_hours(enrolled, hours, allowed):
    complete_academy(enrolled, hours=hours)

    if allowed:
        assert issue(enrolled).expires_on == EXPIRES_ON
    else:
        with refused(enrolled, rules.ACADEMY_COMPLETION, OFFICER):
            issue(enrolled)


def test_a_policy_with_a_shorter_academy_accepts_a_shorter_course(memory_registry):
    app = memory_registry(policy=Policy(academy_hours=24))
    register_agencies_and_academies(app)
    enrol(app)
    complete_academy(app, hours=24)

    assert issue(app).certificate_number


def test_an_in_house_course_does_not_lead_to_state_certification(enrolled):
    receipt = record_training(
        enrolled,
        "cit_academy",
        hours=40,
        began=ACADEMY_BEGAN,
        completed=ACADEMY_COMPLETED,
        academy=IN_HOUSE_ACADEMY_CODE,
    )
    record_exam(enrolled, "written", taken=ACADEMY_COMPLETED)
    record_exam(enrolled, "scenario", taken=ACADEMY_COMPLETED)

    assert "academy-not-state-certified" in receipt.flags
    with refused(enrolled, rules.ACADEMY_COMPLETION, OFFICER):
        issue(enrolled, actor=STATE)


def test_a_course_at_a_state_certified_academy_is_not_flagged(enrolled):
    receipt = record_training(
        enrolled, "cit_academy", hours=40, began=ACADEMY_BEGAN, completed=ACADEMY_COMPLETED
    )

    assert receipt.flags == []


def withdraw_academy_certification(app, on: date, *, certified: bool = False) -> None:
    app.change_academy_certification(
        c.ChangeAcademyCertification(
            code="SLC-CIT", state_certified=certified, reason="site review failed", effective_on=on
        ),
        STATE,
    )


def test_an_academy_whose_certification_was_withdrawn_before_completion_does_not_count(
    enrolled,
):
    withdraw_academy_certification(enrolled, date(2025, 9, 1))
    complete_academy(enrolled)

    with refused(enrolled, rules.ACADEMY_COMPLETION, OFFICER):
        issue(enrolled, actor=STATE)
    # ... and the academy itself, no longer state-certified, issues nothing.
    with refused(enrolled, rules.ISSUER_AUTHORITY, OFFICER):
        issue(enrolled)


def test_an_academy_whose_certification_was_withdrawn_after_completion_still_counts(enrolled):
    withdraw_academy_certification(enrolled, date(2025, 10, 1))
    complete_academy(enrolled)

    assert issue(enrolled).expires_on == EXPIRES_ON


def test_an_academy_certified_again_before_completion_counts(enrolled):
    withdraw_academy_certification(enrolled, date(2025, 1, 1))
    withdraw_academy_certification(enrolled, date(2025, 9, 10), certified=True)
    complete_academy(enrolled)

    assert issue(enrolled).expires_on == EXPIRES_ON


def test_an_academy_completed_after_the_issue_date_does_not_count(enrolled):
    complete_academy(enrolled, began=date(2025, 9, 15), completed=date(2025, 9, 19))

    with refused(enrolled, rules.ACADEMY_COMPLETION, OFFICER):
        issue(enrolled, on=date(2025, 9, 16))
    assert issue(enrolled, on=date(2025, 9, 19)).certificate_number


# ----------------------------------------------------------------------- exams


@pytest.mark.parametrize(
    ("exams", "rule"),
    [
        pytest.param(
            [("written", True, ACADEMY_COMPLETED), ("scenario", True, ACADEMY_COMPLETED)],
            None,
            id="both passed",
        ),
        pytest.param(
            [("written", True, ACADEMY_BEGAN), ("scenario", True, ISSUED_ON)],
            None,
            id="passed on the first day of the academy and on the issue date",
        ),
        pytest.param([("scenario", True, ACADEMY_COMPLETED)], rules.WRITTEN_EXAM, id="no written"),
        pytest.param([("written", True, ACADEMY_COMPLETED)], rules.SCENARIO_EXAM, id="no scenario"),
        pytest.param(
            [("written", False, ACADEMY_COMPLETED), ("scenario", True, ACADEMY_COMPLETED)],
            rules.WRITTEN_EXAM,
            id="written failed",
        ),
        pytest.param(
            [("written", True, ACADEMY_COMPLETED), ("scenario", False, ACADEMY_COMPLETED)],
            rules.SCENARIO_EXAM,
            id="scenario failed",
        ),
        pytest.param(
            [("written", True, date(2025, 9, 7)), ("scenario", True, ACADEMY_COMPLETED)],
            rules.WRITTEN_EXAM,
            id="written passed the day before the academy began",
        ),
        pytest.param(
            [("written", True, ACADEMY_COMPLETED), ("scenario", True, date(2024, 9, 12))],
            rules.SCENARIO_EXAM,
            id="scenario passed a year before the academy",
        ),
        pytest.param(
            [
                ("written", False, ACADEMY_COMPLETED),
                ("written", True, date(2025, 9, 13)),
                ("scenario", True, ACADEMY_COMPLETED),
            ],
            None,
            id="written failed then passed on a retake",
        ),
    ],
)
def test_a_passed_written_and_scenario_exam_taken_since_the_academy_began_are_needed(
    enrolled, exams, rule
):
    academy_week(enrolled)
    for kind, passed, taken in exams:
        record_exam(enrolled, kind, passed=passed, taken=taken)

    if rule is None:
        assert issue(enrolled).expires_on == EXPIRES_ON
    else:
        with refused(enrolled, rule, OFFICER):
            issue(enrolled)


def test_an_exam_taken_after_the_issue_date_does_not_count_for_that_date(enrolled):
    academy_week(enrolled)
    record_exam(enrolled, "written", taken=ACADEMY_COMPLETED)
    record_exam(enrolled, "scenario", taken=date(2025, 9, 20))

    with refused(enrolled, rules.SCENARIO_EXAM, OFFICER):
        issue(enrolled, on=ISSUED_ON)
    assert issue(enrolled, on=date(2025, 9, 20)).certificate_number


# ------------------------------------------------------------- patrol experience


@pytest.mark.parametrize(
    ("patrol_began", "allowed"),
    [
        pytest.param(date(2018, 6, 1), True, id="seven years"),
        pytest.param(date(2024, 9, 8), True, id="exactly 12 months when the academy began"),
        pytest.param(date(2024, 9, 9), False, id="one day short of 12 months"),
        pytest.param(date(2025, 6, 1), False, id="new recruit"),
        pytest.param(date(2025, 9, 8), False, id="first patrol on the academy's first day"),
    ],
)
def test_cit_needs_twelve_months_of_patrol_when_the_academy_begins(app, patrol_began, allowed):
    enrol(app, patrol_began=patrol_began, enrolled_on=date(2025, 9, 1) if allowed else ISSUED_ON)
    complete_academy(app)

    if allowed:
        assert issue(app).expires_on == EXPIRES_ON
    else:
        with refused(app, rules.PATROL_EXPERIENCE, OFFICER):
            issue(app)


def test_a_new_recruit_cannot_be_certified(app):
    enrol(app, patrol_began=date(2025, 7, 1), enrolled_on=date(2025, 7, 1))
    complete_academy(app)

    with refused(app, rules.PATROL_EXPERIENCE, OFFICER):
        issue(app)


def test_experience_is_counted_when_the_academy_began_not_when_the_certificate_is_issued(app):
    # 11 months 29 days when the academy began; over 12 months on the issue date.
    enrol(app, patrol_began=date(2024, 9, 10), enrolled_on=date(2024, 9, 10))
    complete_academy(app)

    with refused(app, rules.PATROL_EXPERIENCE, OFFICER):
        issue(app, on=ISSUED_ON)


@pytest.mark.parametrize(
    ("months", "patrol_began", "allowed"),
    [
        (12, date(2024, 6, 1), True),
        (24, date(2024, 6, 1), False),
        (24, date(2023, 9, 8), True),
        (24, date(2023, 9, 9), False),
        (0, date(2025, 9, 8), True),
    ],
)
def test_the_policy_sets_the_months_of_patrol_experience(
    memory_registry, months, patrol_began, allowed
):
    app = memory_registry(policy=Policy(min_patrol_months=months))
    register_agencies_and_academies(app)
    enrol(app, patrol_began=patrol_began, enrolled_on=date(2025, 9, 8))
    complete_academy(app)

    if allowed:
        assert issue(app).certificate_number
    else:
        with refused(app, rules.PATROL_EXPERIENCE, OFFICER):
            issue(app)


# ------------------------------------------------------------------ POST status


@pytest.mark.parametrize("status", ["suspended", "inactive"])
def test_the_post_certification_must_be_active_on_the_issue_date(enrolled, status):
    complete_academy(enrolled)
    change_post_status(enrolled, status, date(2025, 9, 14))

    with refused(enrolled, rules.POST_ACTIVE, OFFICER):
        issue(enrolled)


def test_a_post_certification_active_again_by_the_issue_date_allows_issue(enrolled):
    complete_academy(enrolled)
    change_post_status(enrolled, "suspended", date(2025, 8, 1))
    change_post_status(enrolled, "active", date(2025, 9, 14))

    assert issue(enrolled).expires_on == EXPIRES_ON


def test_a_post_suspension_after_the_issue_date_does_not_stop_an_issue_dated_before_it(enrolled):
    complete_academy(enrolled)
    change_post_status(enrolled, "suspended", date(2025, 9, 16))

    assert issue(enrolled, on=ISSUED_ON).certificate_number


# ------------------------------------------------------------- already certified


def test_an_officer_holding_the_credential_in_force_cannot_get_it_again(enrolled):
    complete_academy(enrolled)
    issue(enrolled)

    with refused(enrolled, rules.ALREADY_CERTIFIED, OFFICER):
        issue(enrolled, on=date(2026, 3, 1))


def test_an_officer_whose_certificate_expired_can_be_certified_again(memory_registry):
    app = memory_registry(today=date(2028, 1, 1))
    register_agencies_and_academies(app)
    enrol(app)
    complete_academy(app)
    first = issue(app)

    second = issue(app, on=date(2027, 10, 1))

    assert second.certificate_number != first.certificate_number
    assert second.expires_on == date(2029, 10, 1)
    assert status_of(app, first.certificate_number, date(2027, 10, 1)) is CertificateStatus.EXPIRED
    assert (
        status_of(app, second.certificate_number, date(2027, 10, 1)) is CertificateStatus.IN_FORCE
    )


def test_a_second_certificate_on_the_day_the_first_expires_is_allowed(memory_registry):
    app = memory_registry(today=date(2028, 1, 1))
    register_agencies_and_academies(app)
    enrol(app)
    complete_academy(app)
    issue(app)

    with refused(app, rules.ALREADY_CERTIFIED, OFFICER):
        issue(app, on=date(2027, 9, 14))
    assert issue(app, on=EXPIRES_ON).expires_on == date(2029, 9, 15)


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_suspended_or_revoked_holder_cannot_get_a_fresh_certificate(memory_registry, action):
    app = memory_registry()
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    command = c.SuspendCertificate if action == "suspend" else c.RevokeCertificate
    getattr(app, f"{action}_certificate")(
        command(number=number, reason="misconduct review", effective_on=date(2026, 1, 5)), STATE
    )
    complete_academy(app, began=date(2026, 2, 2), completed=date(2026, 2, 6))

    with refused(app, rules.HOLDER_SUSPENDED_OR_REVOKED, OFFICER):
        issue(app, on=date(2026, 3, 1))


def test_a_holder_whose_suspension_ended_is_refused_only_while_the_first_is_in_force(
    memory_registry,
):
    app = memory_registry()
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    app.suspend_certificate(
        c.SuspendCertificate(number=number, reason="review", effective_on=date(2026, 1, 5)), STATE
    )
    app.reinstate_certificate(
        c.ReinstateCertificate(number=number, reason="cleared", effective_on=date(2026, 2, 1)),
        STATE,
    )

    with refused(app, rules.ALREADY_CERTIFIED, OFFICER):
        issue(app, on=date(2026, 3, 1))


# ------------------------------------------------------------------------- role


def enrol_telecommunicator(app, post_number: str = "UT-T1") -> None:
    enrol(app, post_number, role="telecommunicator")


def dispatcher_course(app, officer: str = "UT-T1", *, hours: float = 16) -> None:
    record_training(
        app,
        "dispatcher_course",
        hours=hours,
        began=date(2025, 9, 8),
        completed=date(2025, 9, 9),
        officer=officer,
    )


@pytest.mark.parametrize("credential", ["cit_officer", "cit_youth"])
def test_the_officer_and_youth_credentials_are_for_patrol_officers_only(app, credential):
    enrol_telecommunicator(app)
    complete_academy(app, "UT-T1")

    with refused(app, rules.PATROL_ROLE, "UT-T1"):
        issue(app, "UT-T1", credential=credential)


def test_the_telecommunicator_credential_is_for_telecommunicators_only(enrolled):
    dispatcher_course(enrolled, OFFICER)
    record_exam(enrolled, "written", taken=date(2025, 9, 9))

    with refused(enrolled, rules.TELECOMMUNICATOR_ROLE, OFFICER):
        issue(enrolled, credential="cit_telecommunicator")


def test_a_telecommunicator_with_the_dispatcher_course_and_written_exam_is_certified(app):
    enrol_telecommunicator(app)
    dispatcher_course(app)
    record_exam(app, "written", taken=date(2025, 9, 9), officer="UT-T1")

    receipt = issue(app, "UT-T1", credential="cit_telecommunicator")

    assert receipt.certificate_number.startswith("UT-CITT-")
    assert view(app, receipt.certificate_number, ISSUED_ON).credential == "cit_telecommunicator"


@pytest.mark.parametrize(
    ("hours", "exam", "rule"),
    [
        (16, None, rules.WRITTEN_EXAM),
        (16, False, rules.WRITTEN_EXAM),
        (8, True, rules.DISPATCHER_COURSE),
        (15.5, True, rules.DISPATCHER_COURSE),
    ],
)
def test_the_telecommunicator_credential_needs_the_course_and_a_passed_written_exam(
    app, hours, exam, rule
):
    enrol_telecommunicator(app)
    dispatcher_course(app, hours=hours)
    if exam is not None:
        record_exam(app, "written", passed=exam, taken=date(2025, 9, 9), officer="UT-T1")

    with refused(app, rule, "UT-T1"):
        issue(app, "UT-T1", credential="cit_telecommunicator")


def test_a_cit_academy_is_not_the_dispatcher_course(app):
    enrol_telecommunicator(app)
    complete_academy(app, "UT-T1")

    with refused(app, rules.DISPATCHER_COURSE, "UT-T1"):
        issue(app, "UT-T1", credential="cit_telecommunicator", actor=STATE)


def test_the_policy_sets_the_hours_of_the_dispatcher_course(memory_registry):
    app = memory_registry(policy=Policy(telecommunicator_course_hours=8))
    register_agencies_and_academies(app)
    enrol_telecommunicator(app)
    dispatcher_course(app, hours=8)
    record_exam(app, "written", taken=date(2025, 9, 9), officer="UT-T1")

    assert issue(app, "UT-T1", credential="cit_telecommunicator").certificate_number


# -------------------------------------------------------------------- youth


def youth_course(app, *, hours: float = 8, completed: date = date(2026, 1, 9)) -> None:
    record_training(app, "youth_course", hours=hours, began=completed, completed=completed)


def test_an_officer_with_cit_in_force_and_the_youth_course_gets_cit_youth(enrolled):
    complete_academy(enrolled)
    issue(enrolled)
    youth_course(enrolled)

    receipt = issue(enrolled, on=date(2026, 1, 10), credential="cit_youth")

    assert receipt.certificate_number.startswith("UT-CITY-")
    assert receipt.expires_on == date(2028, 1, 10)


def test_cit_youth_needs_a_cit_officer_certificate(enrolled):
    complete_academy(enrolled)
    youth_course(enrolled)

    with refused(enrolled, rules.YOUTH_BASE, OFFICER):
        issue(enrolled, on=date(2026, 1, 10), credential="cit_youth")


def test_cit_youth_needs_the_cit_officer_certificate_in_force_on_the_issue_date(enrolled):
    complete_academy(enrolled)
    number = issue(enrolled).certificate_number
    youth_course(enrolled)
    suspend(enrolled, number, date(2026, 1, 2))

    with refused(enrolled, rules.YOUTH_BASE, OFFICER):
        issue(enrolled, on=date(2026, 1, 10), credential="cit_youth")


@pytest.mark.parametrize("hours", [None, 4])
def test_cit_youth_needs_the_youth_course(enrolled, hours):
    complete_academy(enrolled)
    issue(enrolled)
    if hours is not None:
        youth_course(enrolled, hours=hours)

    with refused(enrolled, rules.YOUTH_COURSE, OFFICER):
        issue(enrolled, on=date(2026, 1, 10), credential="cit_youth", actor=STATE)


def test_cit_youth_lapses_to_base_not_in_force_when_the_officer_certificate_expires(enrolled):
    complete_academy(enrolled)
    officer_cert = issue(enrolled).certificate_number
    youth_course(enrolled)
    youth_cert = issue(enrolled, on=date(2026, 1, 10), credential="cit_youth").certificate_number

    assert status_of(enrolled, youth_cert, date(2027, 9, 14)) is CertificateStatus.IN_FORCE
    assert status_of(enrolled, officer_cert, EXPIRES_ON) is CertificateStatus.EXPIRED
    assert status_of(enrolled, youth_cert, EXPIRES_ON) is CertificateStatus.BASE_NOT_IN_FORCE


def test_cit_youth_is_not_in_force_while_the_officer_certificate_is_suspended(enrolled):
    complete_academy(enrolled)
    officer_cert = issue(enrolled).certificate_number
    youth_course(enrolled)
    youth_cert = issue(enrolled, on=date(2026, 1, 10), credential="cit_youth").certificate_number
    suspend(enrolled, officer_cert, date(2026, 3, 1))

    assert status_of(enrolled, youth_cert, date(2026, 2, 28)) is CertificateStatus.IN_FORCE
    assert status_of(enrolled, youth_cert, date(2026, 3, 1)) is CertificateStatus.BASE_NOT_IN_FORCE


# --------------------------------------------------------------------- mandated


def test_a_mandated_enrolment_is_allowed_and_flagged_by_default(enrolled):
    complete_academy(enrolled, volunteered=False)

    receipt = issue(enrolled)

    assert "mandated" in receipt.flags
    assert view(enrolled, receipt.certificate_number, ISSUED_ON).mandated is True


def test_the_academy_record_of_a_mandated_officer_is_flagged(enrolled):
    receipt = record_training(
        enrolled,
        "cit_academy",
        hours=40,
        began=ACADEMY_BEGAN,
        completed=ACADEMY_COMPLETED,
        volunteered=False,
    )

    assert receipt.flags == ["mandated"]


def test_a_volunteer_is_not_flagged(enrolled):
    complete_academy(enrolled, volunteered=True)

    receipt = issue(enrolled)

    assert "mandated" not in receipt.flags
    assert view(enrolled, receipt.certificate_number, ISSUED_ON).mandated is False


@pytest.fixture
def strict(memory_registry):
    app = memory_registry(policy=Policy(refuse_mandated=True))
    register_agencies_and_academies(app)
    enrol(app)
    return app


@pytest.mark.parametrize("kind", ["cit_academy", "continuing_education", "youth_course"])
def test_a_strict_policy_refuses_mandated_cit_training(strict, kind):
    with refused(strict, rules.VOLUNTEER, OFFICER):
        record_training(
            strict,
            kind,
            hours=40,
            began=ACADEMY_BEGAN,
            completed=ACADEMY_COMPLETED,
            volunteered=False,
        )


def test_a_strict_policy_accepts_volunteers(strict):
    complete_academy(strict, volunteered=True)

    assert issue(strict).flags == []


def test_a_strict_policy_still_records_mandated_awareness_training(strict):
    receipt = record_training(
        strict, "awareness", hours=4, completed=ACADEMY_COMPLETED, volunteered=False
    )

    assert receipt.flags == ["mandated"]


# -------------------------------------------------------------- certificate number


def issue_numbered(app, officer: str, number: str):
    return app.issue_certificate(
        c.IssueCertificate(
            officer=officer, credential="cit_officer", effective_on=ISSUED_ON, number=number
        ),
        ACADEMY,
    )


def test_a_legacy_certificate_keeps_its_number(enrolled):
    complete_academy(enrolled)

    receipt = issue_numbered(enrolled, OFFICER, "ut-legacy-0042")

    assert receipt.certificate_number == "UT-LEGACY-0042"
    assert enrolled.officer("UT-LEGACY-0042").post_number == OFFICER

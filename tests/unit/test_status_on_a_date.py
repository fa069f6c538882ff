"""Where a certificate stands on a date: validity, expiry by the calendar, POST, backdating."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import rules
from registry.domain.values import CertificateStatus
from tests.factories import (
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
    EXPIRES_ON,
    ISSUED_ON,
    OFFICER,
    change_post_status,
    record_exam,
    record_training,
    refused,
    renew,
    status_of,
    view,
)

S = CertificateStatus


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def number(app):
    return certified_officer(app).certificate_number


# --------------------------------------------------------------------- validity


def test_a_certificate_is_valid_for_two_years_from_issue(app, number):
    certificate = view(app, number, ISSUED_ON)

    assert certificate.issued_on == ISSUED_ON
    assert certificate.expires_on == EXPIRES_ON == date(2027, 9, 15)


@pytest.mark.parametrize(
    ("on", "status"),
    [
        pytest.param(date(2025, 9, 14), S.NOT_YET_ISSUED, id="the day before issue"),
        pytest.param(ISSUED_ON, S.IN_FORCE, id="the issue date"),
        pytest.param(date(2026, 11, 26), S.IN_FORCE, id="today"),
        pytest.param(date(2027, 9, 14), S.IN_FORCE, id="the day before expiry"),
        pytest.param(EXPIRES_ON, S.EXPIRED, id="the expiry date"),
        pytest.param(date(2027, 9, 16), S.EXPIRED, id="the day after expiry"),
        pytest.param(date(2040, 1, 1), S.EXPIRED, id="long after"),
    ],
)
def test_status_on_a_date_follows_the_calendar(app, number, on, status):
    assert status_of(app, number, on) is status
    assert view(app, number, on).in_force is (status is S.IN_FORCE)


def test_expiry_needs_no_event(app, number):
    position = app.position()
    version = app.officer(number).version

    assert status_of(app, number, date(2035, 6, 1)) is S.EXPIRED
    assert status_of(app, number, date(2026, 6, 1)) is S.IN_FORCE
    assert app.position() == position
    assert app.officer(number).version == version
    assert [e.event for e in app.history(number)][-1] == "CertificateIssued"


def test_a_certificate_issued_on_29_february_expires_on_28_february(app):
    enrol(app)
    complete_academy(app, began=date(2024, 2, 19), completed=date(2024, 2, 23))

    receipt = issue(app, on=date(2024, 2, 29))

    assert receipt.expires_on == date(2026, 2, 28)
    assert status_of(app, receipt.certificate_number, date(2026, 2, 27)) is S.IN_FORCE
    assert status_of(app, receipt.certificate_number, date(2026, 2, 28)) is S.EXPIRED


def test_the_status_is_reported_for_today_by_default(app, number):
    status = app.status(OFFICER)

    assert status.on == date(2026, 11, 26)
    assert [c.status for c in status.certificates] == [S.IN_FORCE]


def test_an_officer_is_found_by_post_number_or_certificate_number(app, number):
    assert app.status(OFFICER).id == app.status(number).id == str(app.officer_id(number))


# -------------------------------------------------------------- POST dependency


@pytest.mark.parametrize("post_status", ["suspended", "inactive"])
def test_the_certificate_is_not_in_force_while_post_is_not_active(app, number, post_status):
    change_post_status(app, post_status, date(2026, 8, 1))

    assert status_of(app, number, date(2026, 7, 31)) is S.IN_FORCE
    assert status_of(app, number, date(2026, 8, 1)) is S.POST_NOT_ACTIVE
    assert app.status(number, on=date(2026, 8, 1)).post_status == post_status


def test_the_certificate_is_in_force_again_when_post_is_active_again(app, number):
    change_post_status(app, "suspended", date(2026, 8, 1))
    change_post_status(app, "active", date(2026, 9, 10))

    assert status_of(app, number, date(2026, 9, 9)) is S.POST_NOT_ACTIVE
    assert status_of(app, number, date(2026, 9, 10)) is S.IN_FORCE


def test_post_active_again_does_not_revive_an_expired_certificate(memory_registry):
    app = memory_registry(today=date(2028, 1, 1))
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    change_post_status(app, "suspended", date(2027, 8, 1))
    change_post_status(app, "active", date(2027, 10, 1))

    assert status_of(app, number, date(2027, 10, 1)) is S.EXPIRED


# ------------------------------------------------------------------ backdating


def test_a_training_recorded_late_counts_from_its_real_completion_date(app):
    enrol(app)
    record_exam(app, "written", taken=ACADEMY_COMPLETED)
    record_exam(app, "scenario", taken=ACADEMY_COMPLETED)
    # Recorded after the exams and long after the week it describes.
    record_training(app, "cit_academy", hours=40, began=ACADEMY_BEGAN, completed=ACADEMY_COMPLETED)

    receipt = issue(app, on=ISSUED_ON)

    assert receipt.expires_on == EXPIRES_ON
    assert status_of(app, receipt.certificate_number, ISSUED_ON) is S.IN_FORCE


def test_a_late_record_does_not_count_before_its_real_date(app):
    enrol(app)
    complete_academy(app, began=date(2025, 9, 15), completed=date(2025, 9, 19))

    with refused(app, rules.ACADEMY_COMPLETION, OFFICER):
        issue(app, on=date(2025, 9, 18))


def test_a_ce_record_entered_late_counts_for_renewal_from_its_real_date(memory_registry):
    app = memory_registry(today=date(2027, 9, 1))
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    # Entered in August 2027 for a class taken in March 2026.
    continuing_education(app, OFFICER, on=date(2026, 3, 2), hours=4)

    assert renew(app, number, date(2026, 4, 1)).expires_on == date(2029, 9, 15)


def test_a_backdated_post_suspension_changes_the_status_from_its_effective_date(app, number):
    assert status_of(app, number, date(2026, 3, 1)) is S.IN_FORCE

    change_post_status(app, "suspended", date(2026, 2, 1))

    assert status_of(app, number, date(2026, 1, 31)) is S.IN_FORCE
    assert status_of(app, number, date(2026, 3, 1)) is S.POST_NOT_ACTIVE

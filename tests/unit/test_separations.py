"""Separations: a death ends the certificates for good (until a correction says the report
was wrong), a transfer names another agency, and a late report is flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.domain import commands as c
from registry.domain import rules
from registry.domain.policy import Policy
from registry.domain.values import CertificateStatus
from tests.factories import (
    AGENCY,
    AGENCY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    TODAY,
    certified_officer,
    continuing_education,
    issue,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import OFFICER, refused, renew, status_of, view

DIED_ON = date(2026, 11, 1)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def number(app):
    return certified_officer(app).certificate_number


def separate(app, on=DIED_ON, *, reason="deceased", new_agency=None):
    return app.separate_officer(
        c.SeparateOfficer(
            officer=OFFICER, reason=reason, new_agency_code=new_agency, effective_on=on
        ),
        AGENCY,
    )


def transfer(app, agency=OTHER_AGENCY_CODE, on=TODAY):
    return app.transfer_officer(
        c.TransferOfficer(officer=OFFICER, agency_code=agency, effective_on=on), AGENCY
    )


# ------------------------------------------------------------------ deceased


def test_from_the_day_of_death_the_certificate_is_no_longer_in_force(app, number):
    separate(app)

    assert status_of(app, number, DIED_ON - timedelta(days=1)) is CertificateStatus.IN_FORCE
    died = view(app, number, DIED_ON)
    assert (died.status, died.reason) == (CertificateStatus.DECEASED, "holder died on 2026-11-01")
    assert not died.in_force
    # Final: not even a date past the old expiry reads otherwise.
    assert status_of(app, number, date(2030, 1, 1)) is CertificateStatus.DECEASED


def test_no_agency_may_receive_a_deceased_officer(app, number):
    separate(app)

    with refused(app, rules.OFFICER_DECEASED, OFFICER):
        transfer(app)


def test_a_deceased_officers_certificate_is_neither_renewed_nor_reissued(app, number):
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    separate(app)

    with refused(app, rules.OFFICER_DECEASED, OFFICER):
        renew(app, number, DIED_ON)
    with refused(app, rules.OFFICER_DECEASED, OFFICER):
        issue(app, on=TODAY, actor=STATE)
    # A renewal dated before the death was still possible.
    assert renew(app, number, DIED_ON - timedelta(days=1)).expires_on == date(2029, 9, 15)


def test_a_mistaken_death_report_is_undone_by_a_correction_and_only_so(app, number):
    reported = separate(app)

    app.correct_record(
        c.CorrectRecord(
            officer=OFFICER,
            corrects_version=reported.version,
            reason="reported for the wrong officer",
        ),
        STATE,
    )

    assert status_of(app, number, TODAY) is CertificateStatus.IN_FORCE
    assert app.status(OFFICER, on=TODAY).agency_code == AGENCY_CODE
    # The report and its correction both stay in the history.
    events = [e.event for e in app.history(OFFICER)]
    assert events[-2:] == ["Separated", "Corrected"]


# ------------------------------------------------------------------ transfers


def test_a_transfer_to_the_officers_own_agency_is_refused(app, number):
    with refused(app, rules.TRANSFER_ELSEWHERE, OFFICER):
        separate(app, TODAY, reason="transferred", new_agency=AGENCY_CODE)

    separate(app, TODAY, reason="transferred", new_agency=OTHER_AGENCY_CODE)
    assert transfer(app).certificate_number is None
    assert app.status(OFFICER, on=TODAY).agency_code == OTHER_AGENCY_CODE


# ------------------------------------------------------------------ the deadline


@pytest.mark.parametrize(
    ("days_ago", "late"),
    [
        pytest.param(0, False, id="the same day"),
        pytest.param(30, False, id="on the 30th day"),
        pytest.param(31, True, id="the 31st day"),
        pytest.param(430, True, id="14 months late"),
    ],
)
def test_a_separation_reported_after_the_deadline_is_flagged(app, number, days_ago, late):
    receipt = separate(app, TODAY - timedelta(days=days_ago), reason="resigned")

    assert ("reported-late" in receipt.flags) is late
    recorded = app.history(OFFICER)[-1]
    assert (recorded.event, recorded.details["reported_late"]) == ("Separated", late)


def test_the_policy_sets_the_reporting_deadline(memory_registry):
    app = memory_registry(policy=Policy(separation_report_days=7))
    register_agencies_and_academies(app)
    certified_officer(app)

    assert "reported-late" in separate(app, TODAY - timedelta(days=8), reason="retired").flags

"""The story of one officer's whole CIT career, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import RuleViolation
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    OTHER_AGENCY_CODE,
    STATE,
    register_agencies_and_academies,
)


def test_a_career_from_enrolment_through_transfer_and_renewal_to_a_lapse(make_registry):
    app = make_registry(today=date(2030, 1, 1))
    register_agencies_and_academies(app)

    # 1. Salt Lake City enrols a patrol officer with two years on patrol.
    officer = app.enrol_officer(
        c.EnrolOfficer(
            post_number="UT-2041",
            name="Sam Okafor",
            agency_code="SLCPD",
            patrol_experience_began_on=date(2019, 8, 1),
            district="South",
            shift="swing",
            effective_on=date(2019, 8, 1),
        ),
        AGENCY,
    ).id

    # 2. Two years into patrol: the academy week, both exams, and the certificate.
    app.record_training(
        c.RecordTraining(
            officer=officer,
            kind="cit_academy",
            hours=40,
            academy_code=ACADEMY_CODE,
            began_on=date(2021, 10, 4),
            completed_on=date(2021, 10, 8),
        ),
        ACADEMY,
    )
    for kind in ("written", "scenario"):
        app.record_exam(
            c.RecordExam(officer=officer, kind=kind, passed=True, taken_on=date(2021, 10, 8)),
            ACADEMY,
        )
    issued = app.issue_certificate(
        c.IssueCertificate(
            officer=officer, credential="cit_officer", effective_on=date(2021, 10, 12)
        ),
        ACADEMY,
    )
    number = issued.certificate_number
    assert issued.expires_on == date(2023, 10, 12)
    status = app.status(number, on=date(2022, 1, 1))
    assert (status.agency_code, status.district, status.shift) == ("SLCPD", "South", "swing")
    assert status.certificates[0].in_force

    # 3. The officer resigns from Salt Lake City to join Ogden.
    app.separate_officer(
        c.SeparateOfficer(
            officer=officer,
            reason="transferred",
            new_agency_code=OTHER_AGENCY_CODE,
            effective_on=date(2022, 6, 30),
        ),
        AGENCY,
    )
    between = app.status(number, on=date(2022, 7, 1))
    assert between.agency_code is None
    assert between.certificates[0].in_force  # still certified while unassociated

    app.transfer_officer(
        c.TransferOfficer(
            officer=officer,
            agency_code=OTHER_AGENCY_CODE,
            district="North",
            shift="day",
            effective_on=date(2022, 7, 5),
        ),
        AGENCY,
    )
    after = app.status(number, on=date(2022, 8, 1))
    assert (after.agency_code, after.district, after.shift) == ("OGDENPD", "North", "day")
    assert after.certificates[0].number == number
    assert after.certificates[0].expires_on == date(2023, 10, 12)

    # 4. Continuing education inside the cycle, then renewal from the previous expiry.
    for on in (date(2022, 11, 3), date(2023, 5, 17)):
        app.record_training(
            c.RecordTraining(
                officer=officer,
                kind="continuing_education",
                hours=2,
                academy_code=ACADEMY_CODE,
                completed_on=on,
            ),
            ACADEMY,
        )
    renewed = app.renew_certificate(
        c.RenewCertificate(number=number, effective_on=date(2023, 9, 1)), ACADEMY
    )
    assert renewed.expires_on == date(2025, 10, 12)
    assert app.status(number, on=date(2024, 6, 1)).certificates[0].in_force

    # 5. No continuing education in the second cycle: the renewal is refused and it lapses.
    with pytest.raises(RuleViolation) as refused:
        app.renew_certificate(
            c.RenewCertificate(number=number, effective_on=date(2025, 10, 1)), STATE
        )
    assert refused.value.rule == rules.RENEWAL_CE

    last_day = app.status(number, on=date(2025, 10, 11)).certificates[0]
    lapsed = app.status(number, on=date(2025, 10, 12)).certificates[0]
    assert last_day.status == "in_force"
    assert lapsed.status == "expired"
    assert app.status(number, on=date(2029, 1, 1)).certificates[0].status == "expired"

    # The whole story is in the log, in order, each with who recorded it.
    events = [h.event for h in app.history(officer)]
    assert events == [
        "Enrolled",
        "TrainingRecorded",
        "ExamRecorded",
        "ExamRecorded",
        "CertificateIssued",
        "Separated",
        "Joined",
        "TrainingRecorded",
        "TrainingRecorded",
        "CertificateRenewed",
    ]
    assert {h.actor.role for h in app.history(officer)} == {"agency", "academy"}

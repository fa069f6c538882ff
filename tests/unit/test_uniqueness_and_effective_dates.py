"""Unique codes and numbers, no future effective dates, and dates in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from registry.application import Registry
from registry.domain import commands as c
from registry.domain import rules
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    AGENCY_CODE,
    STATE,
    TODAY,
    certified_officer,
    enrol,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import OFFICER, refused

TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


# ----------------------------------------------------------------------- unique


def register_agency(app: Registry, code: str, on: date = date(2015, 1, 1)):
    return app.register_agency(
        c.RegisterAgency(
            code=code,
            name="Provo Police",
            region="Utah County",
            districts=["Central"],
            shifts=["day", "night"],
            effective_on=on,
        ),
        STATE,
    )


@pytest.mark.parametrize("code", [AGENCY_CODE, "slcpd", " SLCPD "])
def test_a_second_agency_with_the_same_code_is_refused(app, code):
    with refused(app, rules.AGENCY_UNIQUE):
        register_agency(app, code)


def test_an_agency_with_a_new_code_is_registered(app):
    register_agency(app, "PROVOPD")

    assert app.agency("provopd").name == "Provo Police"


def register_academy(app: Registry, code: str, on: date = date(2015, 1, 1)):
    return app.register_academy(
        c.RegisterAcademy(code=code, name="Another academy", state_certified=True, effective_on=on),
        STATE,
    )


def test_a_second_academy_with_the_same_code_is_refused(app):
    with refused(app, rules.ACADEMY_UNIQUE):
        register_academy(app, ACADEMY_CODE.lower())


def test_an_academy_with_a_new_code_is_registered(app):
    register_academy(app, "OGDEN-CIT")

    assert app.academy("OGDEN-CIT").is_state_certified_on(date(2016, 1, 1)) is True


def test_a_second_officer_with_the_same_post_number_is_refused(app):
    enrol(app, "UT-1001")

    with refused(app, rules.POST_NUMBER_UNIQUE):
        enrol(app, "ut-1001")


def test_officers_with_different_post_numbers_are_both_enrolled(app):
    first = enrol(app, "UT-1001")
    second = enrol(app, "UT-1002")

    assert first.id != second.id
    assert app.officer("UT-1002").post_number == "UT-1002"


def test_a_certificate_number_already_taken_by_another_officer_is_refused(app):
    taken = certified_officer(app, "UT-1001").certificate_number
    enrol(app, "UT-1002")
    app.record_training(
        c.RecordTraining(
            officer="UT-1002",
            kind="cit_academy",
            hours=40,
            academy_code=ACADEMY_CODE,
            began_on=date(2025, 9, 8),
            completed_on=date(2025, 9, 12),
        ),
        ACADEMY,
    )
    for kind in ("written", "scenario"):
        app.record_exam(
            c.RecordExam(officer="UT-1002", kind=kind, passed=True, taken_on=date(2025, 9, 12)),
            ACADEMY,
        )

    def issue(number: str | None):
        return app.issue_certificate(
            c.IssueCertificate(
                officer="UT-1002",
                credential="cit_officer",
                effective_on=date(2025, 9, 15),
                number=number,
            ),
            ACADEMY,
        )

    with refused(app, rules.CERTIFICATE_NUMBER_UNIQUE, "UT-1002"):
        issue(taken)
    assert issue("UT-LEGACY-7").certificate_number == "UT-LEGACY-7"
    assert app.officer(taken).post_number == "UT-1001"


# ---------------------------------------------------------- no future dates


def cmd_register_agency(app, on):
    register_agency(app, "PROVOPD", on)


def cmd_register_academy(app, on):
    register_academy(app, "OGDEN-CIT", on)


def cmd_change_academy(app, on):
    app.change_academy_certification(
        c.ChangeAcademyCertification(
            code=ACADEMY_CODE, state_certified=False, reason="review", effective_on=on
        ),
        STATE,
    )


def cmd_update_agency(app, on):
    app.update_agency(c.UpdateAgency(code=AGENCY_CODE, name="SLC PD", effective_on=on), STATE)


def cmd_enrol(app, on):
    enrol(app, "UT-9009", enrolled_on=on)


def cmd_training(app, on):
    app.record_training(
        c.RecordTraining(
            officer=OFFICER,
            kind="continuing_education",
            hours=4,
            academy_code=ACADEMY_CODE,
            completed_on=on,
        ),
        ACADEMY,
    )


def cmd_exam(app, on):
    app.record_exam(
        c.RecordExam(officer=OFFICER, kind="written", passed=True, taken_on=on), ACADEMY
    )


def cmd_post_status(app, on):
    app.change_post_status(
        c.ChangePostStatus(officer=OFFICER, status="suspended", effective_on=on), STATE
    )


def cmd_assign(app, on):
    app.assign_officer(
        c.AssignOfficer(officer=OFFICER, district="South", shift="day", effective_on=on), AGENCY
    )


def cmd_separate(app, on):
    app.separate_officer(
        c.SeparateOfficer(officer=OFFICER, reason="resigned", effective_on=on), AGENCY
    )


def cmd_suspend(app, on):
    number = app.status(OFFICER).certificates[0].number
    app.suspend_certificate(
        c.SuspendCertificate(number=number, reason="review", effective_on=on), STATE
    )


def cmd_revoke(app, on):
    number = app.status(OFFICER).certificates[0].number
    app.revoke_certificate(
        c.RevokeCertificate(number=number, reason="review", effective_on=on), STATE
    )


def cmd_withhold(app, on):
    app.withhold_record(
        c.WithholdRecord(officer=OFFICER, reason="undercover", effective_on=on), STATE
    )


COMMANDS: dict[str, Callable[[Registry, date], object]] = {
    "register agency": cmd_register_agency,
    "update agency": cmd_update_agency,
    "register academy": cmd_register_academy,
    "change academy certification": cmd_change_academy,
    "enrol": cmd_enrol,
    "record training": cmd_training,
    "record exam": cmd_exam,
    "change POST status": cmd_post_status,
    "assign": cmd_assign,
    "separate": cmd_separate,
    "suspend": cmd_suspend,
    "revoke": cmd_revoke,
    "withhold": cmd_withhold,
}


@pytest.fixture
def certified(app):
    certified_officer(app)
    return app


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_future_effective_date_is_refused(certified, command):
    with refused(certified, rules.FUTURE_DATE):
        COMMANDS[command](certified, TOMORROW)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_effective_date_of_today_is_accepted(certified, command):
    position = certified.position()

    COMMANDS[command](certified, TODAY)

    assert certified.position() > position


def test_a_future_issue_date_is_refused(app):
    certified_officer(app, "UT-1002")
    enrol(app)

    with refused(app, rules.FUTURE_DATE, OFFICER):
        app.issue_certificate(
            c.IssueCertificate(officer=OFFICER, credential="cit_officer", effective_on=TOMORROW),
            ACADEMY,
        )


def test_a_future_renewal_date_is_refused(certified):
    number = certified.status(OFFICER).certificates[0].number

    with refused(certified, rules.FUTURE_DATE, OFFICER):
        certified.renew_certificate(c.RenewCertificate(number=number, effective_on=TOMORROW), STATE)


def test_a_future_transfer_date_is_refused(certified):
    cmd_separate(certified, date(2026, 6, 1))

    with refused(certified, rules.FUTURE_DATE, OFFICER):
        certified.transfer_officer(
            c.TransferOfficer(officer=OFFICER, agency_code="OGDENPD", effective_on=TOMORROW),
            AGENCY,
        )
    certified.transfer_officer(
        c.TransferOfficer(officer=OFFICER, agency_code="OGDENPD", effective_on=TODAY), AGENCY
    )
    assert certified.status(OFFICER).agency_code == "OGDENPD"


def test_a_command_without_a_date_takes_effect_today(certified):
    certified.change_post_status(c.ChangePostStatus(officer=OFFICER, status="suspended"), STATE)

    assert certified.history(OFFICER)[-1].effective_on == TODAY
    assert certified.status(OFFICER, on=TODAY).post_status == "suspended"


def test_the_clock_decides_what_is_in_the_future(memory_registry):
    app = memory_registry(today=TOMORROW)
    register_agencies_and_academies(app)
    enrol(app)

    cmd_training(app, TOMORROW)

    assert app.officer(OFFICER).version == 2


# ----------------------------------------------------------------- dates in order


def test_a_training_cannot_end_before_it_began(certified):
    with refused(certified, rules.DATE_ORDER, OFFICER):
        certified.record_training(
            c.RecordTraining(
                officer=OFFICER,
                kind="cit_academy",
                hours=40,
                academy_code=ACADEMY_CODE,
                began_on=date(2026, 3, 6),
                completed_on=date(2026, 3, 2),
            ),
            ACADEMY,
        )


def test_a_one_day_training_may_begin_and_end_on_the_same_day(certified):
    receipt = certified.record_training(
        c.RecordTraining(
            officer=OFFICER,
            kind="cit_academy",
            hours=8,
            academy_code=ACADEMY_CODE,
            began_on=date(2026, 3, 2),
            completed_on=date(2026, 3, 2),
        ),
        ACADEMY,
    )

    assert receipt.version == certified.officer(OFFICER).version


def test_patrol_experience_cannot_begin_after_the_enrolment(app):
    with refused(app, rules.DATE_ORDER):
        enrol(app, patrol_began=date(2020, 1, 2), enrolled_on=date(2020, 1, 1))
    assert enrol(app, patrol_began=date(2020, 1, 1), enrolled_on=date(2020, 1, 1)).version == 1

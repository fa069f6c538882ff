"""Employment: separation, transfer, the unassociated officer, district and shift assignment."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import InvalidInput, NotFound
from registry.domain.values import CertificateStatus
from tests.factories import (
    AGENCY,
    AGENCY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    TODAY,
    certified_officer,
    enrol,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import EXPIRES_ON, OFFICER, refused, view

SEPARATED_ON = date(2026, 4, 30)
JOINED_ON = date(2026, 6, 1)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def number(app):
    return certified_officer(app).certificate_number


def separate(app, on=SEPARATED_ON, *, reason="transferred", new_agency=None, investigation=False):
    return app.separate_officer(
        c.SeparateOfficer(
            officer=OFFICER,
            reason=reason,
            investigation_open=investigation,
            new_agency_code=new_agency,
            effective_on=on,
        ),
        AGENCY,
    )


def transfer(app, agency=OTHER_AGENCY_CODE, on=JOINED_ON, district=None, shift=None):
    return app.transfer_officer(
        c.TransferOfficer(
            officer=OFFICER, agency_code=agency, district=district, shift=shift, effective_on=on
        ),
        AGENCY,
    )


def assign(app, district, shift, on=date(2026, 2, 1)):
    return app.assign_officer(
        c.AssignOfficer(officer=OFFICER, district=district, shift=shift, effective_on=on), AGENCY
    )


# ------------------------------------------------------------------- separation


@pytest.mark.parametrize("reason", ["resigned", "retired", "terminated", "transferred"])
def test_an_officer_with_an_agency_can_be_separated(app, number, reason):
    separate(app, reason=reason)

    status = app.status(OFFICER, on=SEPARATED_ON)
    assert status.agency_code is None
    assert app.status(OFFICER, on=date(2026, 4, 29)).agency_code == AGENCY_CODE


def test_a_separation_requires_being_with_an_agency(app, number):
    separate(app)

    with refused(app, rules.UNASSOCIATED, OFFICER):
        separate(app, on=date(2026, 5, 15))


def test_a_separation_cannot_precede_joining_the_agency(app):
    enrol(app, enrolled_on=date(2019, 1, 2))

    with refused(app, rules.UNASSOCIATED, OFFICER):
        separate(app, on=date(2018, 12, 1))


def test_a_separation_dated_before_joining_the_current_agency_is_refused(app, number):
    separate(app)
    transfer(app)

    # On 15 April the officer was still with the old agency, which already reported.
    with refused(app, rules.DATE_ORDER, OFFICER):
        separate(app, on=date(2026, 4, 15))
    separate(app, on=JOINED_ON)
    assert app.status(OFFICER, on=JOINED_ON).agency_code is None


def test_a_separation_with_an_open_investigation_is_flagged(app, number):
    receipt = separate(app, TODAY, investigation=True)

    assert receipt.flags == ["investigation-open"]


def test_a_separation_without_an_open_investigation_is_not_flagged(app, number):
    assert separate(app, TODAY).flags == []


def test_a_separation_naming_an_unknown_new_employer_is_refused(app, number):
    position = app.position()

    with pytest.raises(NotFound):
        separate(app, new_agency="NOSUCHPD")

    assert app.position() == position


# -------------------------------------------------------------- unassociated


def test_between_agencies_the_officer_is_unassociated_but_still_certified(app, number):
    separate(app)

    status = app.status(OFFICER, on=date(2026, 5, 15))

    assert status.agency_code is None
    assert (status.district, status.shift) == (None, None)
    assert [v.status for v in status.certificates] == [CertificateStatus.IN_FORCE]


def test_an_unassociated_officer_cannot_be_assigned(app, number):
    separate(app)

    with refused(app, rules.UNASSOCIATED, OFFICER):
        assign(app, "North", "day", on=date(2026, 5, 15))


# -------------------------------------------------------------------- transfer


def test_a_transfer_requires_the_old_agency_to_report_a_separation_first(app, number):
    with refused(app, rules.ALREADY_ASSOCIATED, OFFICER):
        transfer(app)


def test_after_separation_the_receiving_agency_takes_the_officer_on(app, number):
    separate(app, new_agency=OTHER_AGENCY_CODE)

    transfer(app, district="South", shift="swing")

    status = app.status(OFFICER, on=JOINED_ON)
    assert (status.agency_code, status.district, status.shift) == (
        OTHER_AGENCY_CODE,
        "South",
        "swing",
    )


def test_the_certificate_keeps_its_number_and_expiry_after_a_transfer(app, number):
    before = view(app, number, date(2026, 4, 1))
    separate(app)

    transfer(app)

    after = view(app, number, JOINED_ON)
    assert after.number == before.number == number
    assert after.expires_on == before.expires_on == EXPIRES_ON
    assert after.issued_on == before.issued_on
    assert after.status is CertificateStatus.IN_FORCE
    assert app.status(number, on=JOINED_ON).agency_code == OTHER_AGENCY_CODE


def test_joining_cannot_precede_the_last_separation(app, number):
    separate(app)

    with refused(app, rules.DATE_ORDER, OFFICER):
        transfer(app, on=date(2026, 4, 1))


def test_a_transfer_into_a_district_the_agency_lacks_is_refused(app, number):
    separate(app)

    with refused(app, rules.DISTRICT_SHIFT, OFFICER):
        transfer(app, district="Downtown", shift="day")


def test_a_transfer_to_an_unknown_agency_is_refused(app, number):
    separate(app)
    position = app.position()

    with pytest.raises(NotFound):
        transfer(app, agency="NOSUCHPD")

    assert app.position() == position


def test_the_old_assignment_does_not_follow_the_officer_to_the_new_agency(app, number):
    separate(app)

    transfer(app)

    status = app.status(OFFICER, on=JOINED_ON)
    assert (status.district, status.shift) == (None, None)


# ------------------------------------------------------------------ assignment


@pytest.mark.parametrize(
    ("district", "shift", "allowed"),
    [
        ("South", "day", True),
        ("North", "swing", True),
        ("Downtown", "day", False),
        ("North", "graveyard", False),
        ("north", "day", False),
    ],
)
def test_an_assignment_must_name_a_district_and_shift_of_the_agency(
    app, number, district, shift, allowed
):
    if allowed:
        assign(app, district, shift)
        status = app.status(OFFICER, on=date(2026, 2, 1))
        assert (status.district, status.shift) == (district, shift)
    else:
        with refused(app, rules.DISTRICT_SHIFT, OFFICER):
            assign(app, district, shift)


def test_an_assignment_counts_from_its_effective_date(app, number):
    assign(app, "South", "day", on=date(2026, 2, 1))

    assert app.status(OFFICER, on=date(2026, 1, 31)).district == "North"
    assert app.status(OFFICER, on=date(2026, 2, 1)).district == "South"


def test_a_new_district_added_to_the_agency_can_be_assigned(app, number):
    with refused(app, rules.DISTRICT_SHIFT, OFFICER):
        assign(app, "Downtown", "day")

    app.update_agency(
        c.UpdateAgency(code=AGENCY_CODE, districts=["North", "South", "Downtown"]), STATE
    )

    assign(app, "Downtown", "day")
    assert app.status(OFFICER, on=date(2026, 2, 1)).district == "Downtown"


def test_an_enrolment_in_a_district_the_agency_lacks_is_refused(app):
    with refused(app, rules.DISTRICT_SHIFT):
        app.enrol_officer(
            c.EnrolOfficer(
                post_number="UT-3003",
                name="Sam Lee",
                agency_code=AGENCY_CODE,
                patrol_experience_began_on=date(2020, 1, 1),
                district="Downtown",
                shift="day",
                effective_on=date(2021, 1, 1),
            ),
            AGENCY,
        )


def test_a_district_without_a_shift_is_malformed(app, number):
    position = app.position()

    with pytest.raises(InvalidInput):
        app.transfer_officer(
            c.TransferOfficer(officer=OFFICER, agency_code=OTHER_AGENCY_CODE, district="North"),
            AGENCY,
        )

    assert app.position() == position

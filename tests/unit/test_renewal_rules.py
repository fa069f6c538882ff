"""Renewal: continuing education inside the current cycle, extension from the previous expiry."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import rules
from registry.domain.policy import Policy
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
    EXPIRES_ON,
    ISSUED_ON,
    OFFICER,
    record_training,
    refused,
    reinstate,
    renew,
    revoke,
    status_of,
    suspend,
)

#: Late enough that every renewal in these tests has a past effective date.
LATER = date(2032, 1, 1)
SECOND_EXPIRY = date(2029, 9, 15)
THIRD_EXPIRY = date(2031, 9, 15)


def certified(memory_registry, policy: Policy | None = None):
    app = memory_registry(today=LATER, policy=policy)
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    return app, number


@pytest.fixture
def cert(memory_registry):
    """(registry, certificate number) for a CIT officer certified 2025-09-15."""
    return certified(memory_registry)


# ------------------------------------------------------------------ the CE hours


def test_four_hours_of_ce_in_the_cycle_renew_the_certificate(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    receipt = renew(app, number, date(2027, 6, 1))

    assert receipt.certificate_number == number
    assert receipt.expires_on == SECOND_EXPIRY


@pytest.mark.parametrize(
    ("hours", "allowed"),
    [
        ([4], True),
        ([2, 2], True),
        ([1.5, 1.5, 1], True),
        ([8], True),
        ([3.5], False),
        ([1, 2], False),
        ([], False),
    ],
)
def test_renewal_needs_four_hours_of_ce(cert, hours, allowed):
    app, number = cert
    for i, h in enumerate(hours):
        continuing_education(app, OFFICER, on=date(2026, 3, 1 + i), hours=h)

    if allowed:
        assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY
    else:
        with refused(app, rules.RENEWAL_CE, OFFICER):
            renew(app, number, date(2027, 6, 1))


@pytest.mark.parametrize(
    ("completed", "allowed"),
    [
        pytest.param(ISSUED_ON, True, id="on the issue date"),
        pytest.param(date(2027, 6, 1), True, id="on the renewal date"),
        pytest.param(date(2025, 9, 14), False, id="the day before the issue date"),
        pytest.param(date(2024, 3, 1), False, id="a year before the cycle"),
    ],
)
def test_only_ce_completed_inside_the_current_cycle_counts(cert, completed, allowed):
    app, number = cert
    continuing_education(app, OFFICER, on=completed, hours=4)

    if allowed:
        assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY
    else:
        with refused(app, rules.RENEWAL_CE, OFFICER):
            renew(app, number, date(2027, 6, 1))


# ------------------------------------------------- the course that qualified the officer


def certified_on_the_last_academy_day(memory_registry, policy: Policy | None = None):
    """(registry, number) of a certificate issued on the day the 40-hour academy ended."""
    app = memory_registry(today=LATER, policy=policy)
    register_agencies_and_academies(app)
    enrol(app, OFFICER)
    complete_academy(app, OFFICER, began=date(2025, 9, 8), completed=ISSUED_ON)
    return app, issue(app, OFFICER, on=ISSUED_ON).certificate_number


@pytest.mark.parametrize("renewed_on", [date(2025, 9, 16), date(2027, 9, 14)])
def test_the_academy_that_qualified_the_officer_is_not_continuing_education(
    memory_registry, renewed_on
):
    """Certified on the academy's last day, an officer cannot renew the next day (or ever)
    on that academy's 40 hours: the course that earned a certificate never renews it."""
    app, number = certified_on_the_last_academy_day(memory_registry)

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, renewed_on)


@pytest.mark.parametrize(
    ("kind", "completed", "renewed_on", "rule"),
    [
        pytest.param("continuing_education", ISSUED_ON, date(2025, 9, 16), None,
                     id="a CE class on the issue date counts"),
        pytest.param("cit_academy", date(2025, 9, 16), date(2025, 9, 16), None,
                     id="an academy repeated the day after counts"),
        pytest.param("continuing_education", date(2027, 9, 14), date(2027, 9, 14), None,
                     id="CE on the last day of the cycle counts"),
        pytest.param("continuing_education", EXPIRES_ON, EXPIRES_ON, rules.RENEWAL_LAPSED,
                     id="CE on the expiry date is too late"),
        pytest.param("continuing_education", date(2027, 10, 1), date(2027, 10, 1),
                     rules.RENEWAL_LAPSED, id="CE after expiry is too late"),
    ],
)  # fmt: skip
def test_the_boundaries_of_the_first_cycle(memory_registry, kind, completed, renewed_on, rule):
    app, number = certified_on_the_last_academy_day(memory_registry)
    record_training(app, kind, hours=40 if kind == "cit_academy" else 4, completed=completed)

    if rule is None:
        assert renew(app, number, renewed_on).expires_on == SECOND_EXPIRY
    else:
        with refused(app, rule, OFFICER):
            renew(app, number, renewed_on)


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("continuing_education", True),
        ("cit_academy", True),
        ("awareness", False),
    ],
)
def test_ce_and_a_repeated_academy_count_toward_renewal(cert, kind, allowed):
    app, number = cert
    record_training(app, kind, hours=8, completed=date(2026, 5, 4))

    if allowed:
        assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY
    else:
        with refused(app, rules.RENEWAL_CE, OFFICER):
            renew(app, number, date(2027, 6, 1))


def test_a_backdated_renewal_does_not_count_ce_completed_after_its_date(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2027, 6, 1), hours=4)

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, date(2027, 1, 4))
    assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY


def test_the_policy_sets_the_renewal_hours(memory_registry):
    app, number = certified(memory_registry, Policy(renewal_ce_hours=8))
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, date(2027, 6, 1))
    continuing_education(app, OFFICER, on=date(2026, 6, 4), hours=4)
    assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY


def test_a_policy_with_zero_renewal_hours_renews_without_ce(memory_registry):
    app, number = certified(memory_registry, Policy(renewal_ce_hours=0))

    assert renew(app, number, date(2027, 6, 1)).expires_on == SECOND_EXPIRY


# ---------------------------------------------------------------- the new expiry


@pytest.mark.parametrize("renewed_on", [date(2025, 10, 1), date(2027, 6, 1), date(2027, 9, 14)])
def test_renewal_extends_from_the_previous_expiry_not_from_the_renewal_date(cert, renewed_on):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2025, 9, 30), hours=4)

    receipt = renew(app, number, renewed_on)

    assert receipt.expires_on == SECOND_EXPIRY
    assert status_of(app, number, date(2029, 9, 14)) is CertificateStatus.IN_FORCE
    assert status_of(app, number, SECOND_EXPIRY) is CertificateStatus.EXPIRED


def test_the_policy_sets_the_years_a_renewal_adds(memory_registry):
    app, number = certified(memory_registry, Policy(validity_years=3))
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    assert renew(app, number, date(2028, 6, 1)).expires_on == date(2031, 9, 15)


def test_a_renewed_certificate_reads_as_in_force_past_its_first_expiry(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    renew(app, number, date(2027, 6, 1))

    assert status_of(app, number, EXPIRES_ON) is CertificateStatus.IN_FORCE
    assert app.status(number, on=EXPIRES_ON).certificates[0].expires_on == SECOND_EXPIRY


def test_before_the_renewal_date_the_old_expiry_still_shows(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    renew(app, number, date(2027, 6, 1))

    assert app.status(number, on=date(2027, 5, 31)).certificates[0].expires_on == EXPIRES_ON


# ------------------------------------------------------------ the second cycle


def test_a_second_renewal_counts_only_hours_of_the_second_cycle(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=12)
    renew(app, number, date(2027, 6, 1))

    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, date(2029, 6, 1))


def test_a_second_renewal_with_ce_in_the_second_cycle_extends_again(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    renew(app, number, date(2027, 6, 1))
    continuing_education(app, OFFICER, on=date(2028, 5, 4), hours=4)

    assert renew(app, number, date(2029, 6, 1)).expires_on == THIRD_EXPIRY


def test_ce_completed_after_an_early_renewal_counts_toward_the_next_one(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2027, 6, 1), hours=4)
    renew(app, number, date(2027, 6, 1))

    # The hours of the renewal day were spent on the first renewal.
    with refused(app, rules.RENEWAL_CE, OFFICER):
        renew(app, number, date(2029, 6, 1))
    # Hours after the early renewal, though before the old expiry, count toward the next.
    continuing_education(app, OFFICER, on=date(2027, 6, 2), hours=4)
    assert renew(app, number, date(2029, 6, 1)).expires_on == THIRD_EXPIRY


# ------------------------------------------------------------ lapsed, revoked


@pytest.mark.parametrize(
    ("renewed_on", "rule"),
    [
        pytest.param(date(2027, 9, 14), None, id="the day before expiry"),
        pytest.param(EXPIRES_ON, rules.RENEWAL_LAPSED, id="on the expiry date"),
        pytest.param(date(2027, 10, 1), rules.RENEWAL_LAPSED, id="after expiry"),
        pytest.param(date(2030, 1, 1), rules.RENEWAL_LAPSED, id="years after expiry"),
    ],
)
def test_a_lapsed_certificate_cannot_be_renewed(cert, renewed_on, rule):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)

    if rule is None:
        assert renew(app, number, renewed_on).expires_on == SECOND_EXPIRY
    else:
        with refused(app, rule, OFFICER):
            renew(app, number, renewed_on)


def test_a_revoked_certificate_cannot_be_renewed(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    revoke(app, number, date(2026, 8, 1))

    with refused(app, rules.RENEWAL_REVOKED, OFFICER):
        renew(app, number, date(2027, 6, 1))


def test_a_certificate_revoked_after_the_renewal_date_could_be_renewed_before_it(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    renew(app, number, date(2026, 6, 1))
    revoke(app, number, date(2026, 8, 1))

    assert status_of(app, number, date(2026, 7, 1)) is CertificateStatus.IN_FORCE
    assert status_of(app, number, date(2026, 8, 1)) is CertificateStatus.REVOKED


def test_a_certificate_cannot_be_renewed_before_it_was_issued(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2025, 9, 1), hours=4)

    with refused(app, rules.NOT_ISSUED, OFFICER):
        renew(app, number, date(2025, 9, 14))


def test_a_suspended_certificate_cannot_be_renewed_until_the_state_reinstates_it(cert):
    """A renewal extends validity: while the state holds a certificate suspended its expiry
    does not move, whoever asks. Once reinstated, it renews as any other."""
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    suspend(app, number, date(2026, 6, 1))

    with refused(app, rules.RENEWAL_SUSPENDED, OFFICER):
        renew(app, number, date(2027, 6, 1))
    assert status_of(app, number, date(2027, 6, 2)) is CertificateStatus.SUSPENDED
    assert app.status(number, on=date(2027, 6, 2)).certificates[0].expires_on == EXPIRES_ON

    reinstate(app, number, date(2027, 7, 1))
    assert renew(app, number, date(2027, 7, 1)).expires_on == SECOND_EXPIRY
    assert status_of(app, number, date(2028, 1, 1)) is CertificateStatus.IN_FORCE


def test_a_certificate_suspended_past_its_expiry_lapses(cert):
    app, number = cert
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=4)
    suspend(app, number, date(2027, 6, 1))
    reinstate(app, number, date(2027, 10, 1))

    assert status_of(app, number, date(2027, 10, 1)) is CertificateStatus.EXPIRED
    with refused(app, rules.RENEWAL_LAPSED, OFFICER):
        renew(app, number, date(2027, 10, 1))

"""Suspension, reinstatement and revocation: state actions with a reason and an effective date."""

from __future__ import annotations

from datetime import date

import pytest

from registry.application import parse
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import InvalidInput, NotFound, RuleViolation
from registry.domain.values import CertificateStatus
from tests.factories import (
    STATE,
    certified_officer,
    continuing_education,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import (
    ISSUED_ON,
    OFFICER,
    refused,
    reinstate,
    renew,
    revoke,
    status_of,
    suspend,
    view,
)

S = CertificateStatus
SUSPENDED_ON = date(2026, 3, 1)
REINSTATED_ON = date(2026, 5, 1)


@pytest.fixture
def app(memory_registry):
    app = memory_registry()
    register_agencies_and_academies(app)
    return app


@pytest.fixture
def number(app):
    return certified_officer(app).certificate_number


# ----------------------------------------------------------------------- reason

ACTIONS = {"suspend": suspend, "reinstate": reinstate, "revoke": revoke}


COMMANDS = {
    "suspend": c.SuspendCertificate,
    "reinstate": c.ReinstateCertificate,
    "revoke": c.RevokeCertificate,
}


@pytest.mark.parametrize("action", ["suspend", "reinstate", "revoke"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_state_action_command_without_a_reason_is_malformed(action, reason):
    data = {"number": "UT-CIT-1", "reason": reason, "effective_on": "2026-03-01"}

    with pytest.raises(InvalidInput, match="reason"):
        parse(COMMANDS[action], data)


@pytest.mark.parametrize("action", ["suspend", "reinstate", "revoke"])
def test_a_state_action_command_with_a_reason_is_well_formed(action):
    data = {"number": "ut-cit-1", "reason": " review ", "effective_on": "2026-03-01"}

    command = parse(COMMANDS[action], data)

    assert (command.number, command.reason) == ("UT-CIT-1", "review")


@pytest.mark.parametrize("action", ["suspend", "reinstate", "revoke"])
def test_a_state_action_without_a_reason_is_refused_by_the_officer_record(app, number, action):
    officer = app.officer(number)
    version = officer.version

    with pytest.raises(RuleViolation) as refusal:
        getattr(officer, action)(number=number, reason="  ", effective_on=SUSPENDED_ON, actor=STATE)

    assert refusal.value.rule == rules.REASON
    assert officer.version == version
    assert officer.collect_events() == []


def test_the_reason_is_kept_and_shown_with_the_status(app, number):
    suspend(app, number, SUSPENDED_ON, reason="excessive force complaint")

    assert view(app, number, SUSPENDED_ON).reason == "excessive force complaint"
    assert app.history(number)[-1].details["reason"] == "excessive force complaint"


# ------------------------------------------------------------------- suspension


def test_a_suspended_certificate_is_not_in_force_while_suspended(app, number):
    suspend(app, number, SUSPENDED_ON)

    assert status_of(app, number, SUSPENDED_ON) is S.SUSPENDED
    assert view(app, number, date(2026, 11, 26)).in_force is False


def test_a_suspended_certificate_is_still_in_force_on_dates_before_the_suspension(app, number):
    suspend(app, number, SUSPENDED_ON)

    assert status_of(app, number, date(2026, 2, 28)) is S.IN_FORCE
    assert status_of(app, number, ISSUED_ON) is S.IN_FORCE


def test_a_reinstated_certificate_is_in_force_again(app, number):
    suspend(app, number, SUSPENDED_ON)

    reinstate(app, number, REINSTATED_ON)

    assert status_of(app, number, date(2026, 4, 30)) is S.SUSPENDED
    assert status_of(app, number, REINSTATED_ON) is S.IN_FORCE


def test_a_suspension_does_not_stop_the_clock(app, number):
    suspend(app, number, SUSPENDED_ON)
    reinstate(app, number, REINSTATED_ON)

    assert view(app, number, REINSTATED_ON).expires_on == date(2027, 9, 15)


def test_a_certificate_cannot_be_suspended_twice(app, number):
    suspend(app, number, SUSPENDED_ON)

    with refused(app, rules.ALREADY_SUSPENDED, OFFICER):
        suspend(app, number, date(2026, 4, 1))


def test_a_certificate_can_be_suspended_again_after_reinstatement(app, number):
    suspend(app, number, SUSPENDED_ON)
    reinstate(app, number, REINSTATED_ON)

    suspend(app, number, date(2026, 6, 1))

    assert status_of(app, number, date(2026, 5, 31)) is S.IN_FORCE
    assert status_of(app, number, date(2026, 6, 1)) is S.SUSPENDED


def test_a_certificate_that_is_not_suspended_cannot_be_reinstated(app, number):
    with refused(app, rules.NOT_SUSPENDED, OFFICER):
        reinstate(app, number, REINSTATED_ON)


def test_a_reinstatement_dated_before_the_suspension_is_refused(app, number):
    suspend(app, number, SUSPENDED_ON)

    with refused(app, rules.NOT_SUSPENDED, OFFICER):
        reinstate(app, number, date(2026, 2, 1))


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_state_action_before_the_issue_date_is_refused(app, number, action):
    with refused(app, rules.NOT_ISSUED, OFFICER):
        ACTIONS[action](app, number, date(2025, 9, 14))


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_state_action_on_the_issue_date_is_allowed(app, number, action):
    ACTIONS[action](app, number, ISSUED_ON)

    assert status_of(app, number, ISSUED_ON) in (S.SUSPENDED, S.REVOKED)


# ------------------------------------------------------------------- revocation


def test_a_revoked_certificate_is_revoked_from_its_effective_date(app, number):
    revoke(app, number, SUSPENDED_ON, reason="decertified")

    assert status_of(app, number, date(2026, 2, 28)) is S.IN_FORCE
    revoked = view(app, number, SUSPENDED_ON)
    assert revoked.status is S.REVOKED
    assert revoked.reason == "decertified"


def test_a_suspended_certificate_can_be_revoked(app, number):
    suspend(app, number, SUSPENDED_ON)

    revoke(app, number, REINSTATED_ON)

    assert status_of(app, number, REINSTATED_ON) is S.REVOKED


@pytest.mark.parametrize(
    ("action", "rule"),
    [
        ("suspend", rules.ALREADY_REVOKED),
        ("reinstate", rules.ALREADY_REVOKED),
        ("revoke", rules.ALREADY_REVOKED),
        ("renew", rules.RENEWAL_REVOKED),
    ],
)
def test_nothing_can_be_done_to_a_revoked_certificate(app, number, action, rule):
    continuing_education(app, OFFICER, on=date(2026, 1, 5), hours=4)
    suspend(app, number, date(2026, 2, 1))
    revoke(app, number, SUSPENDED_ON)

    with refused(app, rule, OFFICER):
        if action == "renew":
            renew(app, number, date(2026, 6, 1))
        else:
            ACTIONS[action](app, number, date(2026, 6, 1))


def test_a_revocation_also_refuses_actions_dated_before_it(app, number):
    revoke(app, number, date(2026, 6, 1))

    with refused(app, rules.ALREADY_REVOKED, OFFICER):
        suspend(app, number, SUSPENDED_ON)


def test_a_state_action_on_an_unknown_certificate_is_not_found(app, number):
    with pytest.raises(NotFound):
        app.suspend_certificate(
            c.SuspendCertificate(number="UT-CIT-NOPE", reason="x", effective_on=SUSPENDED_ON),
            STATE,
        )


def test_a_suspended_certificate_past_its_expiry_is_expired_not_suspended(app, number):
    suspend(app, number, SUSPENDED_ON)
    assert status_of(app, number, date(2027, 9, 14)) is S.SUSPENDED
    assert status_of(app, number, date(2027, 9, 15)) is S.EXPIRED

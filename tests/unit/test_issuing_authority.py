"""Who may issue and renew (registry/domain/authority.py): the state, or training staff of
an academy state-certified on the date, on a completion they recorded themselves at their
own academy. Every refusal writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import commands as c
from registry.domain import rules
from registry.domain.values import Actor, ActorRole
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    IN_HOUSE_ACADEMY_CODE,
    STATE,
    complete_academy,
    continuing_education,
    enrol,
    issue,
    register_agencies_and_academies,
)
from tests.unit.rule_helpers import EXPIRES_ON, OFFICER, refused

OTHER_CODE = "OGDEN-CIT"
#: Training staff of another state-certified academy, of the in-house (not certified) one.
OTHER = Actor("instructor-9", ActorRole.ACADEMY, OTHER_CODE)
IN_HOUSE = Actor("trainer-2", ActorRole.ACADEMY, IN_HOUSE_ACADEMY_CODE)
AUDITOR = Actor("auditor-1", ActorRole.AUDITOR)
SYSTEM = Actor("registry", ActorRole.SYSTEM)
UNSCOPED = Actor("instructor-7", ActorRole.ACADEMY)
LATER = date(2030, 1, 1)


@pytest.fixture
def app(memory_registry):
    """SLC-CIT trained UT-1001 (its staff recorded the week and both exams)."""
    app = memory_registry(today=LATER)
    register_agencies_and_academies(app)
    app.register_academy(
        c.RegisterAcademy(
            code=OTHER_CODE,
            name="Ogden CIT Academy",
            state_certified=True,
            effective_on=date(2015, 1, 1),
        ),
        STATE,
    )
    enrol(app)
    complete_academy(app)
    return app


def record(app, actor: Actor, academy: str, kind: str, hours: float, on: date) -> None:
    app.record_training(
        c.RecordTraining(
            officer=OFFICER, kind=kind, hours=hours, academy_code=academy, completed_on=on
        ),
        actor,
    )


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        pytest.param(STATE, True, id="the state"),
        pytest.param(ACADEMY, True, id="the certified academy that trained"),
        pytest.param(OTHER, False, id="a certified academy that did not train"),
        pytest.param(IN_HOUSE, False, id="an academy not state-certified"),
        pytest.param(UNSCOPED, False, id="training staff acting for no academy"),
        pytest.param(AGENCY, False, id="an agency"),
        pytest.param(AUDITOR, False, id="an auditor"),
        pytest.param(SYSTEM, False, id="the system"),
    ],
)
def test_who_may_issue(app, actor, allowed):
    if allowed:
        assert issue(app, actor=actor).expires_on == EXPIRES_ON
    else:
        with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
            issue(app, actor=actor)


@pytest.mark.parametrize(
    ("actor", "academy", "kind", "hours"),
    [
        pytest.param(OTHER, OTHER_CODE, "continuing_education", 1, id="a CE class"),
        pytest.param(IN_HOUSE, IN_HOUSE_ACADEMY_CODE, "awareness", 2, id="an awareness class"),
    ],
)
def test_recording_a_class_gives_no_authority_to_issue(app, actor, academy, kind, hours):
    record(app, actor, academy, kind, hours, date(2025, 9, 13))

    with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
        issue(app, actor=actor)
    assert issue(app, actor=ACADEMY).expires_on == EXPIRES_ON


def test_an_academy_issues_only_on_a_course_it_recorded_itself(memory_registry):
    """The state entered the week taught at SLC-CIT: the state issues on it, SLC-CIT's
    staff do not (they recorded nothing)."""
    app = memory_registry(today=LATER)
    register_agencies_and_academies(app)
    enrol(app)
    complete_academy(app, actor=STATE)

    with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
        issue(app, actor=ACADEMY)
    assert issue(app, actor=STATE).expires_on == EXPIRES_ON


def test_an_academy_whose_certification_lapsed_by_the_issue_date_issues_nothing(app):
    app.change_academy_certification(
        c.ChangeAcademyCertification(
            code=ACADEMY_CODE,
            state_certified=False,
            reason="certification not renewed",
            effective_on=date(2025, 9, 14),
        ),
        STATE,
    )
    with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
        issue(app, actor=ACADEMY)
    # The week was completed while it was certified: the state may still issue.
    assert issue(app, actor=STATE).expires_on == EXPIRES_ON


# ------------------------------------------------------------------ renewal


@pytest.fixture
def certified(app):
    """UT-1001 certified by SLC-CIT on 2025-09-15 (expires 2027-09-15)."""
    return app, issue(app).certificate_number


@pytest.mark.parametrize(
    ("recorded_by", "at", "renewed_by", "allowed"),
    [
        pytest.param(ACADEMY, ACADEMY_CODE, STATE, True, id="the state"),
        pytest.param(ACADEMY, ACADEMY_CODE, ACADEMY, True, id="the academy that taught the CE"),
        pytest.param(OTHER, OTHER_CODE, OTHER, True, id="another academy that taught the CE"),
        pytest.param(ACADEMY, ACADEMY_CODE, OTHER, False, id="an academy that taught none"),
        pytest.param(OTHER, OTHER_CODE, ACADEMY, False, id="the issuer, CE taught elsewhere"),
        pytest.param(IN_HOUSE, IN_HOUSE_ACADEMY_CODE, IN_HOUSE, False, id="not certified"),
        pytest.param(ACADEMY, ACADEMY_CODE, UNSCOPED, False, id="staff acting for none"),
        pytest.param(ACADEMY, ACADEMY_CODE, AGENCY, False, id="an agency"),
        pytest.param(ACADEMY, ACADEMY_CODE, AUDITOR, False, id="an auditor"),
    ],
)
def test_who_may_renew(certified, recorded_by, at, renewed_by, allowed):
    app, number = certified
    record(app, recorded_by, at, "continuing_education", 4, date(2026, 5, 4))
    renewal = c.RenewCertificate(number=number, effective_on=date(2027, 6, 1))

    if allowed:
        assert app.renew_certificate(renewal, renewed_by).expires_on == date(2029, 9, 15)
    else:
        with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
            app.renew_certificate(renewal, renewed_by)


def test_an_academy_renews_only_when_its_own_hours_make_up_the_renewal(certified):
    app, number = certified
    record(app, ACADEMY, ACADEMY_CODE, "continuing_education", 2, date(2026, 5, 4))
    record(app, OTHER, OTHER_CODE, "continuing_education", 2, date(2026, 6, 4))

    renewal = c.RenewCertificate(number=number, effective_on=date(2027, 6, 1))

    for academy in (ACADEMY, OTHER):
        with refused(app, rules.ISSUER_AUTHORITY, OFFICER):
            app.renew_certificate(renewal, academy)
    # Four hours in the cycle in all: the state renews.
    assert app.renew_certificate(renewal, STATE).expires_on == date(2029, 9, 15)


def test_too_few_hours_are_refused_by_the_renewal_rule_before_authority(certified):
    app, number = certified
    continuing_education(app, OFFICER, on=date(2026, 5, 4), hours=2)

    for actor in (STATE, ACADEMY):
        with refused(app, rules.RENEWAL_CE, OFFICER):
            app.renew_certificate(
                c.RenewCertificate(number=number, effective_on=date(2027, 6, 1)), actor
            )

"""Builders for the stories the tests tell: an agency, an academy, an eligible officer."""

from __future__ import annotations

from datetime import date

from registry.application import Receipt, Registry
from registry.domain import commands as c
from registry.domain.values import Actor, ActorRole

TODAY = date(2026, 11, 26)
STATE = Actor("state-clerk-1", ActorRole.STATE)
ACADEMY = Actor("instructor-7", ActorRole.ACADEMY, "SLC-CIT")
AGENCY = Actor("records-3", ActorRole.AGENCY)

AGENCY_CODE = "SLCPD"
OTHER_AGENCY_CODE = "OGDENPD"
ACADEMY_CODE = "SLC-CIT"
IN_HOUSE_ACADEMY_CODE = "INHOUSE"


def register_agencies_and_academies(app: Registry) -> None:
    """Two agencies, a state-certified academy and one that is not."""
    for code, name in ((AGENCY_CODE, "Salt Lake City Police"), (OTHER_AGENCY_CODE, "Ogden Police")):
        app.register_agency(
            c.RegisterAgency(
                code=code,
                name=name,
                region="Salt Lake",
                districts=["North", "South"],
                shifts=["day", "swing", "night"],
                effective_on=date(2015, 1, 1),
            ),
            STATE,
        )
    app.register_academy(
        c.RegisterAcademy(
            code=ACADEMY_CODE,
            name="Salt Lake CIT Academy",
            state_certified=True,
            effective_on=date(2015, 1, 1),
        ),
        STATE,
    )
    app.register_academy(
        c.RegisterAcademy(
            code=IN_HOUSE_ACADEMY_CODE,
            name="Department in-house course",
            state_certified=False,
            effective_on=date(2015, 1, 1),
        ),
        STATE,
    )


def enrol(
    app: Registry,
    post_number: str = "UT-1001",
    *,
    role: str = "patrol_officer",
    patrol_began: date = date(2018, 6, 1),
    enrolled_on: date = date(2019, 1, 2),
    agency: str = AGENCY_CODE,
) -> Receipt:
    return app.enrol_officer(
        c.EnrolOfficer(
            post_number=post_number,
            name="Jordan Rivera",
            agency_code=agency,
            role=role,
            patrol_experience_began_on=patrol_began,
            district="North",
            shift="night",
            effective_on=enrolled_on,
        ),
        AGENCY,
    )


def complete_academy(
    app: Registry,
    officer: str = "UT-1001",
    *,
    began: date = date(2025, 9, 8),
    completed: date = date(2025, 9, 12),
    hours: float = 40,
    academy: str = ACADEMY_CODE,
    volunteered: bool = True,
    exams: bool = True,
    actor: Actor = ACADEMY,
) -> None:
    """A 40-hour academy week followed by passed written and scenario exams, recorded by
    `actor` (the academy's training staff unless told)."""
    app.record_training(
        c.RecordTraining(
            officer=officer,
            kind="cit_academy",
            hours=hours,
            academy_code=academy,
            began_on=began,
            completed_on=completed,
            volunteered=volunteered,
        ),
        actor,
    )
    if exams:
        for kind in ("written", "scenario"):
            app.record_exam(
                c.RecordExam(officer=officer, kind=kind, passed=True, taken_on=completed), actor
            )


def issue(
    app: Registry,
    officer: str = "UT-1001",
    *,
    on: date = date(2025, 9, 15),
    credential: str = "cit_officer",
    actor: Actor = ACADEMY,
) -> Receipt:
    """Issue a credential, as training staff of the academy that trained the officer."""
    return app.issue_certificate(
        c.IssueCertificate(officer=officer, credential=credential, effective_on=on), actor
    )


def certified_officer(app: Registry, post_number: str = "UT-1001") -> Receipt:
    """An officer holding a CIT officer certificate issued 2025-09-15, expiring 2027-09-15."""
    enrol(app, post_number)
    complete_academy(app, post_number)
    return issue(app, post_number)


def continuing_education(
    app: Registry, officer: str, *, on: date, hours: float = 4, academy: str = ACADEMY_CODE
) -> Receipt:
    return app.record_training(
        c.RecordTraining(
            officer=officer,
            kind="continuing_education",
            hours=hours,
            academy_code=academy,
            completed_on=on,
        ),
        ACADEMY,
    )

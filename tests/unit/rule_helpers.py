"""Helpers shared by the rule tests: refusals that write nothing, and certificate views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from registry.application import Registry
from registry.domain import commands as c
from registry.domain.errors import RuleViolation
from registry.domain.officer import CertificateView
from registry.domain.values import CertificateStatus
from tests.factories import ACADEMY, ACADEMY_CODE, STATE

OFFICER = "UT-1001"
#: The certificate built by `certified_officer`: issued on ISSUED_ON, expiring on EXPIRES_ON.
ISSUED_ON = date(2025, 9, 15)
EXPIRES_ON = date(2027, 9, 15)
#: The academy week of `complete_academy`.
ACADEMY_BEGAN = date(2025, 9, 8)
ACADEMY_COMPLETED = date(2025, 9, 12)


@contextmanager
def refused(app: Registry, rule: str, officer: str | None = None) -> Iterator[None]:
    """Expect a RuleViolation naming `rule`, and that nothing at all was written.

    The log position must not move, and the officer (if given) keeps its version.
    """
    position = app.position()
    version = app.officer(officer).version if officer else None
    with pytest.raises(RuleViolation) as info:
        yield
    assert info.value.rule == rule, f"refused by {info.value.rule}, expected {rule}: {info.value}"
    assert app.position() == position, "a refused command wrote to the log"
    if officer is not None:
        assert app.officer(officer).version == version, "a refused command changed the officer"


def view(app: Registry, number: str, on: date) -> CertificateView:
    """Certificate `number` as the registry reports it on `on`."""
    status = app.status(number, on=on)
    (found,) = [v for v in status.certificates if v.number == number]
    return found


def status_of(app: Registry, number: str, on: date) -> CertificateStatus:
    return view(app, number, on).status


def record_training(
    app: Registry,
    kind: str,
    *,
    hours: float,
    completed: date,
    began: date | None = None,
    officer: str = OFFICER,
    academy: str = ACADEMY_CODE,
    volunteered: bool = True,
):
    return app.record_training(
        c.RecordTraining(
            officer=officer,
            kind=kind,
            hours=hours,
            academy_code=academy,
            began_on=began,
            completed_on=completed,
            volunteered=volunteered,
        ),
        ACADEMY,
    )


def record_exam(
    app: Registry, kind: str, *, passed: bool = True, taken: date, officer: str = OFFICER
):
    return app.record_exam(
        c.RecordExam(officer=officer, kind=kind, passed=passed, taken_on=taken), ACADEMY
    )


def change_post_status(app: Registry, status: str, on: date, officer: str = OFFICER):
    return app.change_post_status(
        c.ChangePostStatus(officer=officer, status=status, effective_on=on), STATE
    )


def suspend(app: Registry, number: str, on: date, reason: str = "under investigation"):
    return app.suspend_certificate(
        c.SuspendCertificate(number=number, reason=reason, effective_on=on), STATE
    )


def reinstate(app: Registry, number: str, on: date, reason: str = "investigation closed"):
    return app.reinstate_certificate(
        c.ReinstateCertificate(number=number, reason=reason, effective_on=on), STATE
    )


def revoke(app: Registry, number: str, on: date, reason: str = "decertified by POST"):
    return app.revoke_certificate(
        c.RevokeCertificate(number=number, reason=reason, effective_on=on), STATE
    )


def renew(app: Registry, number: str, on: date):
    return app.renew_certificate(c.RenewCertificate(number=number, effective_on=on), STATE)


def correct(
    app: Registry, version: int, reason: str = "data-entry error", officer=OFFICER, **amend
):
    return app.correct_record(
        c.CorrectRecord(officer=officer, corrects_version=version, reason=reason, amendments=amend),
        STATE,
    )

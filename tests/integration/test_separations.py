"""A death and a late report as the read models, the status list and tokens show them, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from registry.domain import commands as c
from registry.domain.errors import RuleViolation
from registry.projections import queries as q
from registry.signing.keys import KeyStore
from registry.signing.service import NOT_IN_FORCE, Signing
from tests.factories import (
    AGENCY,
    AGENCY_CODE,
    STATE,
    TODAY,
    certified_officer,
    register_agencies_and_academies,
)

DIED_ON = date(2026, 11, 1)
NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


@pytest.fixture
def signing(registry, tmp_path):
    register_agencies_and_academies(registry)
    return Signing(registry, keys=KeyStore(tmp_path / "keys"))


def separate(signing: Signing, officer: str, reason: str, on: date) -> int:
    return signing.app.separate_officer(
        c.SeparateOfficer(officer=officer, reason=reason, effective_on=on), AGENCY
    ).version


def caught_up(signing: Signing):
    signing.runner.catch_up()
    return signing.runner.views


def test_a_deceased_holders_certificate_is_ended_everywhere_until_a_correction(signing):
    number = certified_officer(signing.app).certificate_number
    idx = q.certificate_status(caught_up(signing), number, TODAY).status_idx
    reported = separate(signing, "UT-1001", "deceased", DIED_ON)
    views = caught_up(signing)

    assert q.certificate_status(views, number, DIED_ON - timedelta(days=1)).status == "in_force"
    died = q.certificate_status(views, number, TODAY)
    assert (died.status, died.reason) == ("deceased", "holder died on 2026-11-01")
    assert q.status_value(views, number, idx, TODAY) == q.LIST_INVALID
    with pytest.raises(RuleViolation) as refused:
        signing.issue_token(number, now=NOW)
    assert refused.value.rule == NOT_IN_FORCE
    [change] = [ch for ch in q.changes(views, AGENCY_CODE) if ch.kind == "separated"]
    assert (change.detail, change.effective_on) == ("deceased", DIED_ON)

    signing.app.correct_record(
        c.CorrectRecord(officer="UT-1001", corrects_version=reported, reason="wrong officer"),
        STATE,
    )
    views = caught_up(signing)
    assert q.certificate_status(views, number, TODAY).status == "in_force"
    assert q.status_value(views, number, idx, TODAY) == q.LIST_VALID
    assert signing.issue_token(number, now=NOW)


def test_a_late_separation_report_says_so_in_the_agencys_change_feed(signing):
    certified_officer(signing.app, "UT-1001")
    certified_officer(signing.app, "UT-1002")
    separate(signing, "UT-1001", "resigned", TODAY - timedelta(days=30))
    separate(signing, "UT-1002", "retired", TODAY - timedelta(days=430))

    details = {
        ch.officer_id: ch.detail
        for ch in q.changes(caught_up(signing), AGENCY_CODE)
        if ch.kind == "separated"
    }
    assert sorted(details.values()) == [
        "resigned",
        "retired; reported late, 430 days after it took effect",
    ]

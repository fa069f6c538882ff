"""Candidates' watches, on SQLite and PostgreSQL: consent by both numbers, refusals that
write nothing, alerts to the watcher while the watch holds, only what the token shows of a
withheld candidate, and the watch ending by itself with a `watch.ending` alert."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from registry.domain import commands as c
from registry.domain.errors import NotFound, RuleViolation
from tests.alerts.conftest import Alerting
from tests.alerts.receiver import receiving
from tests.factories import AGENCY_CODE, OTHER_AGENCY_CODE, STATE, certified_officer

HIRING = OTHER_AGENCY_CODE


def _change(alerting: Alerting, cmd: c.Command) -> None:
    alerting.app.execute(cmd, STATE)
    alerting.settle()


def test_a_watch_needs_both_numbers_and_refusals_write_nothing(alerting: Alerting) -> None:
    receipt = certified_officer(alerting.app)
    number, post = receipt.certificate_number, "UT-1001"
    before = alerting.app.position()
    messages = set()
    for wrong in [(number, "UT-9999"), ("CIT-000000", post), (number, number)]:
        with pytest.raises(NotFound) as refused:
            alerting.watches.start(HIRING, *wrong, STATE)
        messages.add(refused.value.message)
    assert len(messages) == 1  # which of the two was wrong is not told
    with pytest.raises(RuleViolation, match="employs"):
        alerting.watches.start(AGENCY_CODE, number, post, STATE)
    assert alerting.app.position() == before
    watch = alerting.watches.start(HIRING, number, post, STATE)
    assert watch.active and watch.ends_on == alerting.day.today + timedelta(days=180)
    with pytest.raises(RuleViolation, match="already"):
        alerting.watches.start(HIRING, number, post, STATE)
    assert [w.agency_code for w in alerting.watches.watching(receipt.id)] == [HIRING]


def test_the_watcher_is_told_while_the_watch_holds(alerting: Alerting) -> None:
    receipt = certified_officer(alerting.app)
    number = receipt.certificate_number
    with receiving() as employer, receiving() as hiring:
        alerting.endpoints.register(AGENCY_CODE, employer.url, None, STATE)
        alerting.endpoints.register(HIRING, hiring.url, None, STATE)
        alerting.watches.start(HIRING, number, "UT-1001", STATE)
        worker = alerting.worker()
        _change(alerting, c.SuspendCertificate(number=number, reason="review",
                                               effective_on=alerting.day.today))  # fmt: skip
        worker.run_once()
        # The candidate's record is withheld from the public: the watcher is told only
        # what its token shows.
        _change(alerting, c.WithholdRecord(officer=receipt.id, withheld=True, reason="order"))
        _change(alerting, c.ReinstateCertificate(number=number, reason="cleared",
                                                 effective_on=alerting.day.today))  # fmt: skip
        worker.run_once()
        # 181 days on, the watch has ended by itself: a watch.ending alert, then nothing.
        alerting.day.today += timedelta(days=181)
        worker.run_once()
        _change(alerting, c.SuspendCertificate(number=number, reason="again",
                                               effective_on=alerting.day.today))  # fmt: skip
        worker.run_once()
        worker.run_once()
    told = [json.loads(r.body) for r in hiring.got]
    assert [t["type"] for t in told] == [
        "certificate.suspended", "certificate.reinstated", "watch.ending"
    ]  # fmt: skip
    first, second, ending = (t["data"] for t in told)
    assert first["watched_as"] == "candidate" and first["officer_id"] == receipt.id
    assert first["changes_url"] is None  # the employer's feed is not the watcher's to read
    assert second["officer_id"] is None and second["agency_code"] is None
    assert second["certificate_number"] == number
    assert ending["certificate_number"] == number and "longest" in ending["reason"]
    employer_told = [json.loads(r.body)["type"] for r in employer.got]
    assert employer_told.count("certificate.suspended") == 2  # the employer still is
    assert alerting.watches.watching(receipt.id) == []


def test_an_agency_ends_its_watch(alerting: Alerting) -> None:
    receipt = certified_officer(alerting.app)
    with receiving() as hiring:
        alerting.endpoints.register(HIRING, hiring.url, ["watch.ending"], STATE)
        watch = alerting.watches.start(HIRING, receipt.certificate_number, "UT-1001", STATE)
        worker = alerting.worker()
        worker.run_once()
        assert hiring.got == []
        ended = alerting.watches.end(watch.id, "hired someone else", STATE)
        assert not ended.active and ended.ended_on == alerting.day.today
        with pytest.raises(RuleViolation):
            alerting.watches.end(watch.id, "again", STATE)
        worker.run_once()
        worker.run_once()
    [got] = hiring.got
    assert json.loads(got.body)["data"]["reason"] == "hired someone else"
    assert date.fromisoformat(json.loads(got.body)["data"]["ends_on"]) == alerting.day.today


def test_two_starts_at_once_make_one_watch(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number

    def start(_: int) -> str:
        try:
            return alerting.watches.start(HIRING, number, "ut-1001", STATE).id
        except RuleViolation as e:
            return e.rule

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(start, range(4)))
    made = [o for o in outcomes if o.startswith("wt_")]
    assert len(made) == 1 and set(outcomes) - set(made) <= {"watch-once-per-candidate"}
    assert [w.id for w in alerting.watches.of(HIRING)] == made

"""The synthetic state for benchmarks (bench/synthetic.py): valid, plausible and reproducible."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from bench import synthetic_log
from bench.synthetic import DatabaseNotEmpty, generate
from bench.synthetic_check import check
from bench.synthetic_world import post_number
from registry.application import Registry
from registry.config import Settings
from registry.domain.policy import Policy
from tests.factories import TODAY

SCALE = 0.01  # 100 officers, 3 agencies


def test_a_tiny_synthetic_state_keeps_every_rule(sqlite_url):
    summary = generate(sqlite_url, scale=SCALE, seed=11, progress=False)

    assert (summary.officers, summary.agencies, summary.academies) == (100, 3, 6)
    assert 15 * summary.officers <= summary.events <= 50 * summary.officers
    assert summary.certificates == summary.events_by_type["Officer.CertificateIssued"]
    assert summary.events_by_type["Officer.Enrolled"] == summary.officers
    assert summary.database_bytes and summary.database_bytes > 0

    # Every officer read back through the registry; the rules re-checked from the history.
    report = check(
        sqlite_url, officers=summary.officers, sample=summary.officers, seed=11, today=TODAY
    )
    assert report.problems == []
    assert report.officers_checked == summary.officers
    assert report.certificates_checked == summary.certificates > 0
    assert report.renewals_checked > 0
    assert all(1 <= n <= 150 for n in report.events_per_officer)

    app = Registry(Settings(database=sqlite_url), clock=lambda: TODAY)
    try:
        assert app.position() == summary.events
        certified = 0
        for n in range(summary.officers):
            history = app.history(post_number(Policy(), n))
            for i, entry in enumerate(history):
                if (
                    entry.event != "CertificateIssued"
                    or entry.details["credential"] != "cit_officer"
                ):
                    continue
                before = history[:i]
                assert any(
                    e.event == "TrainingRecorded" and e.details["kind"] == "cit_academy"
                    for e in before
                )
                passed = {
                    e.details["kind"]
                    for e in before
                    if e.event == "ExamRecorded" and e.details["passed"]
                }
                assert passed == {"written", "scenario"}
                certified += 1
        assert certified > 0
    finally:
        app.close()


def test_the_same_seed_gives_the_same_state(sqlite_url, tmp_path):
    first = generate(sqlite_url, scale=SCALE, seed=5, progress=False)
    again_url = f"sqlite:///{tmp_path}/again.db"
    again = generate(again_url, scale=SCALE, seed=5, progress=False)
    other = generate(f"sqlite:///{tmp_path}/other.db", scale=SCALE, seed=6, progress=False)

    assert again.events == first.events
    assert again.events_by_type == first.events_by_type
    assert again.facts == first.facts
    assert other.events_by_type != first.events_by_type

    def story(url: str, n: int) -> list[tuple]:
        app = Registry(Settings(database=url), clock=lambda: TODAY)
        try:
            ref = post_number(Policy(), n)
            return [app.status(ref)] + [
                (e.version, e.event, e.effective_on, e.recorded_at, e.actor, e.details)
                for e in app.history(ref)
            ]
        finally:
            app.close()

    for n in (0, 17, 42, 99):
        assert story(again_url, n) == story(sqlite_url, n)


def test_the_generator_refuses_a_database_that_is_not_empty(sqlite_url):
    generate(sqlite_url, scale=0.001, progress=False)
    with pytest.raises(DatabaseNotEmpty):
        generate(sqlite_url, scale=0.001, progress=False)


def test_the_log_holds_ten_years_recorded_day_by_day_in_recording_order(database_url):
    """Each event is recorded on or after the day it takes effect, and the log's
    positions follow the moments of recording across officers (the staging table is
    sorted on SQLite and on PostgreSQL alike)."""
    summary = generate(database_url, scale=SCALE, seed=3, progress=False)
    app = Registry(Settings(database=database_url), clock=lambda: TODAY)
    try:
        zone = app.settings.zone()
        notifications = app.recorder.select_notifications(start=1, limit=summary.events + 1)
        assert len(notifications) == summary.events
        moments, officers_by_day = [], defaultdict(set)
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            local = event.timestamp.astimezone(zone)
            moments.append(event.timestamp)
            if hasattr(event, "effective_on"):
                assert local.date() >= event.effective_on, notification.id
            officers_by_day[local.date()].add(event.originator_id)
        assert moments == sorted(moments)
        days = sorted(officers_by_day)
        assert (days[-1] - days[0]).days > 9 * 365 and days[-1] <= TODAY
        assert len(days) > 1000, "recorded on many days, not at once"
        # Officers' events interleave: many days see several officers' records.
        assert sum(len(o) > 2 for o in officers_by_day.values()) > 100
        # Nothing of the staging table is left behind.
        if "SQLITE_DBNAME" in app.env:
            assert not Path(app.env["SQLITE_DBNAME"] + "-staging").exists()
        else:
            with app.recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute("SELECT to_regclass(%s) AS t", (synthetic_log.TABLE,))
                assert cursor.fetchone()["t"] is None
    finally:
        app.close()

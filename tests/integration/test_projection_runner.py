"""The runner keeps the read models exactly in step with the log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from registry.domain import commands as c
from registry.projections import store
from registry.projections.rebuild import rebuild
from registry.projections.runner import Runner
from registry.projections.store import TABLES
from tests.factories import ACADEMY, STATE, certified_officer, register_agencies_and_academies
from tests.integration.history import enrol_officers, random_history, random_steps
from tests.integration.racing import race

ROOT = Path(__file__).resolve().parents[2]
ORDER = {
    "rm_agencies": "code",
    "rm_officers": "officer_id",
    "rm_certificates": "number",
    "rm_timeline": "position",
    "rm_meta": "key",
    "rm_placements": "officer_id, from_on",
    "rm_status_index": "idx",
}


def dump(runner: Runner) -> dict[str, list[Any]]:
    """Every read-model row. The change feed's cursor numbers are left out: they count
    arrivals, so a rebuild numbers the same changes differently."""
    tables: dict[str, list[Any]] = {}
    for table, key in ORDER.items():
        tables[table] = store.query(runner.views, f"SELECT * FROM {table} ORDER BY {key}")
    changes = store.query(runner.views, "SELECT * FROM rm_changes")
    for row in changes:
        del row["seq"]
    tables["rm_changes"] = sorted(changes, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return tables


def test_every_read_model_table_is_compared(database_url):
    assert set(ORDER) | {"rm_changes"} == set(TABLES)


def a_day_apart(first: date = date(2016, 6, 1)) -> Callable[[], datetime]:
    """Moments a day apart from `first` on: each event recorded a day after the last."""
    start = datetime(first.year, first.month, first.day, 17, tzinfo=UTC)
    moments = (start + timedelta(days=n) for n in count())
    return lambda: next(moments)


@pytest.mark.parametrize("runners", ["one", "new each round", "two in turn"])
def test_a_rebuild_gives_exactly_the_rows_kept_up_incrementally(make_registry, runners):
    """With one runner throughout; a new one each round (which knows only the rows: what
    it keeps in memory is loaded from them); or two in turn, each finding the other has
    moved the rows on since its last batch."""
    app = make_registry(today=date(2026, 11, 26), now=a_day_apart())
    register_agencies_and_academies(app)
    posts = enrol_officers(app, 20, seed=4)
    pair = [Runner(app, batch_size=37), Runner(make_registry(), batch_size=37)]
    runner = pair[0]
    carried_out = 0
    for round_ in range(8):
        carried_out += random_steps(app, posts, steps=150, seed=round_)
        if runners == "new each round":
            runner = Runner(app, batch_size=37)
        elif runners == "two in turn":
            runner = pair[round_ % 2]
        runner.catch_up()
    assert carried_out > 300, "the random history should do a lot"
    incremental = dump(runner)
    assert len(incremental["rm_certificates"]) > 5
    assert len(incremental["rm_timeline"]) > 300
    assert {row["kind"] for row in incremental["rm_changes"]} >= {
        "issued",
        "suspended",
        "separated",
        "expired",
    }

    assert rebuild(app) == app.position()
    assert dump(runner) == incremental


@pytest.mark.parametrize("runner_today", [date(2017, 1, 1), date(2026, 11, 26), date(2040, 1, 1)])
def test_the_read_models_are_the_same_whatever_day_the_runner_thinks_it_is(
    make_registry, runner_today
):
    """The read models are a function of the log alone: a runner on a clock a decade before
    the log's last recording, or long after it, builds exactly the rows of a runner on the
    day the log was written, lapses noted on the days recorded included."""
    app = make_registry(today=date(2026, 11, 26), now=a_day_apart(date(2021, 1, 1)))
    register_agencies_and_academies(app)
    posts = enrol_officers(app, 12, seed=5)
    random_steps(app, posts, steps=500, seed=1)
    written = Runner(app, batch_size=50)
    written.catch_up()
    rows = dump(written)
    assert any(row["kind"] == "expired" for row in rows["rm_changes"])

    elsewhere = make_registry(today=runner_today)
    rebuild(elsewhere)
    assert dump(Runner(elsewhere)) == rows


def test_running_a_batch_twice_applies_it_once(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    certified_officer(app)
    first, second = Runner(app, batch_size=3), Runner(app, batch_size=3)
    first.catch_up()
    rows = dump(first)
    assert second.catch_up() == 0
    assert dump(second) == rows
    assert first.position() == app.position()


def test_racing_runners_apply_every_event_exactly_once(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    for n in range(12):
        certified_officer(app, f"UT-{n:04d}")
    runners = [Runner(make_registry(), batch_size=4) for _ in range(3)]
    assert race(runners, Runner.catch_up) == []
    raced = dump(runners[0])
    assert len(raced["rm_timeline"]) == len({r["position"] for r in raced["rm_timeline"]})
    rebuild(app)
    assert dump(runners[0]) == raced


CATCH_UP = """
import sys
from registry.application import Registry
from registry.config import Settings
from registry.projections.runner import Runner
Runner(Registry(Settings(database=sys.argv[1])), batch_size=int(sys.argv[2])).catch_up()
"""


def test_a_runner_killed_mid_batch_resumes_with_nothing_twice_and_nothing_skipped(make_registry):
    app = make_registry()
    random_history(app, officers=60, steps=1500, seed=3)
    head = app.position()
    runner = Runner(app)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([os.environ.get("PYTHONPATH", ""), str(ROOT)]),
    }
    positions = []
    rng = random.Random(11)
    for _ in range(20):
        before = runner.position()
        process = subprocess.Popen(
            [sys.executable, "-c", CATCH_UP, app.settings.database, "25"], env=env, cwd=ROOT
        )
        # Once it is applying batches, kill it at a random moment: usually inside one.
        while runner.position() == before and process.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait()
        positions.append(runner.position())
        if positions[-1] >= head:
            break
    assert sum(0 < p < head for p in positions) >= 2, f"not killed part-way: {positions}"

    runner.catch_up()
    assert runner.position() == head
    resumed = dump(runner)
    rebuild(app)
    assert dump(runner) == resumed


def test_a_command_waits_for_its_own_write_to_be_readable(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    runner = Runner(make_registry())
    thread = runner.start(poll=0.05)
    try:
        receipt = certified_officer(app)
        assert runner.wait_for(receipt.position, timeout=10)
        row = store.query(
            runner.views,
            "SELECT number FROM rm_certificates WHERE number = ?",
            (receipt.certificate_number,),
        )
        assert row == [{"number": receipt.certificate_number}]
        suspended = app.suspend_certificate(
            c.SuspendCertificate(number=receipt.certificate_number, reason="review"), STATE
        )
        assert runner.wait_for(suspended.position, timeout=10)
        assert runner.position() >= suspended.position
    finally:
        runner.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_waiting_gives_up_after_its_timeout_when_nothing_projects(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    runner = Runner(app)
    started = time.monotonic()
    assert runner.wait_for(app.position(), timeout=0.2) is False
    assert 0.2 <= time.monotonic() - started < 2
    runner.catch_up()
    assert runner.wait_for(app.position(), timeout=0.2) is True


def test_lag_counts_the_events_not_yet_applied(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    runner = Runner(app)
    assert runner.lag() == {"read_models": app.position(), "merkle_tree": app.position()}
    runner.catch_up()
    app.record_exam(
        c.RecordExam(
            officer=certified_officer(app).id,
            kind="written",
            passed=True,
            taken_on=date(2026, 1, 1),
        ),
        ACADEMY,
    )
    assert runner.lag()["read_models"] > 0
    runner.catch_up()
    assert runner.lag() == {"read_models": 0, "merkle_tree": 0}


def test_read_models_of_an_older_shape_are_dropped_and_rebuilt_from_the_log(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    runner = Runner(app)
    runner.catch_up()
    with runner.views.transaction() as cursor:
        cursor.execute("DROP TABLE rm_certificates")
        cursor.execute("CREATE TABLE rm_certificates (number TEXT PRIMARY KEY, agency_code TEXT)")
        cursor.execute("UPDATE rm_meta SET value = 'old' WHERE key = 'schema'")

    reopened = Runner(make_registry())
    assert reopened.position() == 0
    reopened.catch_up()
    assert store.query(reopened.views, "SELECT number, status_idx FROM rm_certificates") == [
        {"number": number, "status_idx": 0}
    ]


def query_indexes(runner: Runner) -> set[str]:
    if runner.views.dialect == "sqlite":
        lookup = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        lookup = "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
    return {r["name"] for r in store.query(runner.views, lookup)} & set(store.QUERY_INDEXES)


def test_a_rebuild_builds_the_query_indexes_again_and_a_stopped_one_leaves_them_to_the_next_open(
    make_registry,
):
    app = make_registry()
    register_agencies_and_academies(app)
    certified_officer(app)
    runner = Runner(app)
    runner.catch_up()
    assert query_indexes(runner) == set(store.QUERY_INDEXES)
    rebuild(app)
    assert query_indexes(runner) == set(store.QUERY_INDEXES)

    # A rebuild killed before its end: the indexes are gone until the views are opened.
    store.drop_query_indexes(runner.views)
    assert query_indexes(runner) == set()
    reopened = Runner(make_registry())
    assert query_indexes(reopened) == set(store.QUERY_INDEXES)


def test_a_runner_that_cannot_apply_an_event_stops_there_and_says_why(make_registry):
    """An event the read models cannot take is never skipped (they would be wrong for good):
    the runner keeps its position, keeps running, says why it is stuck, and goes on once
    the event can be applied."""
    app = make_registry()
    register_agencies_and_academies(app)
    runner = Runner(make_registry())
    failing = {"on": True}
    apply = runner.read_models.apply

    def refuse_while_failing(cursor: Any, events: Any) -> None:
        if failing["on"]:
            raise ValueError("cannot apply this event")
        apply(cursor, events)

    runner.read_models.apply = refuse_while_failing  # type: ignore[method-assign]
    thread = runner.start(poll=0.05)
    try:
        deadline = time.monotonic() + 10
        while runner.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert runner.last_error == "ValueError: cannot apply this event"
        assert runner.position() == 0, "nothing skipped"
        assert thread.is_alive()

        failing["on"] = False
        assert runner.wait_for(app.position(), timeout=10)
        deadline = time.monotonic() + 10
        while runner.last_error is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert runner.last_error is None
    finally:
        runner.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()

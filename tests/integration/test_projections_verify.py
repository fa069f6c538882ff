"""`registry projections verify`: the live read models, row by row, against a rebuild from
the log into a scratch database, on SQLite and PostgreSQL.

A registry is built with a history recorded day by day (so lapses are swept and noted in
the change feed) and one suspended certificate; its read models are kept up in small
batches, as a server's runner keeps them. Then rows are edited directly in the database,
as someone with write access to it could: verify must exit 1 and name each edited row.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from typer.testing import CliRunner

import registry.cli.core
from registry.cli import app as cli
from registry.domain import commands as c
from registry.domain.values import CertificateStatus
from registry.projections import queries, store
from registry.projections.runner import Runner
from registry.projections.verify import KEYS, Difference, verify_read_models
from tests.factories import STATE, TODAY, certified_officer, register_agencies_and_academies
from tests.integration.history import enrol_officers, random_steps
from tests.integration.test_audit_tampering import tamper_sql

SUSPENDED_ON = date(2026, 1, 10)


def a_day_apart(first: date) -> Callable[[], datetime]:
    """Moments a day apart from `first` on: each event recorded a day after the last."""
    start = datetime(first.year, first.month, first.day, 17, tzinfo=UTC)
    moments = (start + timedelta(days=n) for n in count())
    return lambda: next(moments)


@dataclass(frozen=True)
class Built:
    url: str
    runner: Runner
    #: The suspended certificate's number.
    number: str
    #: Where the scratch databases are made (emptied again after each verify).
    scratch: Path


@pytest.fixture
def built(database_url, make_registry, tmp_path, monkeypatch) -> Built:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setitem(registry.cli.core.TIME, "clock", lambda: TODAY)
    app = make_registry(now=a_day_apart(date(2021, 1, 1)))
    register_agencies_and_academies(app)
    posts = enrol_officers(app, 8, seed=5)
    runner = Runner(app, batch_size=37)
    for round_ in range(3):
        random_steps(app, posts, steps=100, seed=round_)
        runner.catch_up()
    number = certified_officer(app, "UT-9001").certificate_number
    assert number is not None
    app.suspend_certificate(
        c.SuspendCertificate(number=number, reason="under review", effective_on=SUSPENDED_ON),
        STATE,
    )
    runner.catch_up()
    status = queries.certificate_status(runner.views, number, TODAY)
    assert status.status == CertificateStatus.SUSPENDED
    kinds = {row["kind"] for row in store.query(runner.views, "SELECT kind FROM rm_changes")}
    assert {"issued", "suspended", "expired"} <= kinds, kinds
    return Built(database_url, runner, number, scratch)


def invoke(url: str, *args: str):
    env = {"REGISTRY_DATABASE": None, "COLUMNS": "200"}
    return CliRunner().invoke(cli, ["--database", url, *args], env=env)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def only(differences: list[Difference], table: str) -> list[Difference]:
    return [d for d in differences if d.table == table]


def test_every_read_model_table_has_a_key():
    assert set(KEYS) == set(store.TABLES)


# ------------------------------------------------------------------ an honest registry


def test_an_honest_registry_is_its_rebuild(built):
    app = built.runner.app
    verdict = verify_read_models(app)
    assert verdict.ok, verdict.differences[:5]
    assert (verdict.found, verdict.rows_differing, verdict.differences) == (0, 0, [])
    assert verdict.position == app.position()
    tables = {t: store.query(built.runner.views, f"SELECT COUNT(*) AS n FROM {t}") for t in KEYS}
    assert verdict.rows == sum(rows[0]["n"] for rows in tables.values()) > 400
    assert list(built.scratch.iterdir()) == []  # the scratch database is gone


def test_the_live_read_models_are_caught_up_first_and_compared_at_that_position(
    built, make_registry
):
    app = make_registry()
    certified_officer(app, "UT-9002")  # 7 events the read models have not applied
    assert built.runner.position() < app.position()
    verdict = verify_read_models(app)
    assert verdict.ok, verdict.differences[:5]
    assert verdict.position == app.position() == built.runner.position()


def test_read_models_moved_on_while_the_rebuild_runs_are_compared_where_they_stand(
    built, make_registry
):
    """Another runner (a server's) applies new events while the scratch read models are
    being built: the comparison is made at the live read models' new position."""
    app = built.runner.app
    other = make_registry()
    moved: list[int] = []

    def meanwhile(read: int, position: int) -> None:
        if not moved:  # once, during the first build
            certified_officer(other, "UT-9003")
            Runner(other).catch_up()
            moved.append(position)

    verdict = verify_read_models(app, progress=meanwhile)
    assert moved and moved[0] < app.position()
    assert verdict.ok, verdict.differences[:5]
    assert verdict.position == app.position() == built.runner.position()


def test_read_models_ahead_of_a_truncated_log_are_named(built):
    app = built.runner.app
    head = app.position()
    tamper_sql(built.url, "DELETE FROM {events} WHERE {position} > ?", (head - 2,))
    verdict = verify_read_models(app)
    assert not verdict.ok
    assert verdict.position == head
    first = verdict.differences[0]
    assert (first.table, first.column, first.live, first.rebuilt) == (
        "tracking",
        "notification_id",
        head,
        head - 2,
    )


def test_the_change_feed_cursor_is_not_compared(built):
    """A rebuild numbers the same changes in another order: `seq` differs legitimately."""
    tamper_sql(built.url, "UPDATE rm_changes SET seq = seq + 100000")
    assert verify_read_models(built.runner.app).ok


def test_the_command_line_says_verified_and_exits_0(built):
    result = invoke(built.url, "projections", "verify")
    assert result.exit_code == 0, result.output
    position = built.runner.app.position()
    assert f"verified: the read models at log position {position} are the rebuild's (" in (
        result.stdout
    )
    assert "rows in 8 tables)" in result.stdout
    assert error_lines(result) == []
    assert list(built.scratch.iterdir()) == []


# ------------------------------------------------------------------ edited rows


def test_a_suspended_certificate_shown_in_force_is_named(built):
    tamper_sql(
        built.url,
        "UPDATE rm_certificates SET timeline = REPLACE(timeline, '\"suspended\"', '\"in_force\"') "
        "WHERE number = ?",
        (built.number,),
    )
    # The harm: the public sees the certificate in force.
    status = queries.certificate_status(built.runner.views, built.number, TODAY)
    assert status.status == CertificateStatus.IN_FORCE

    verdict = verify_read_models(built.runner.app)
    assert not verdict.ok
    [difference] = verdict.differences
    assert (difference.table, difference.key, difference.column) == (
        "rm_certificates",
        {"number": built.number},
        "timeline",
    )
    assert '"in_force"' in difference.live and '"suspended"' not in difference.live
    assert '"suspended"' in difference.rebuilt
    assert (verdict.found, verdict.rows_differing) == (1, 1)
    assert list(built.scratch.iterdir()) == []

    result = invoke(built.url, "projections", "verify")
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.stdout.splitlines() if line.startswith("rm_certificates")]
    assert line.startswith(f"rm_certificates number={built.number}: timeline: live '[[")
    assert "rebuilt '[[" in line
    position = built.runner.app.position()
    assert error_lines(result) == [
        f"error: read models not verified: 1 row differs from a rebuild at log position {position}"
    ]


def test_a_deleted_timeline_row_is_named_as_missing(built):
    [row] = store.query(
        built.runner.views,
        "SELECT t.position, t.event FROM rm_timeline t JOIN rm_changes c "
        "ON c.position = t.position WHERE c.certificate_number = ? AND c.kind = 'suspended'",
        (built.number,),
    )
    tamper_sql(built.url, "DELETE FROM rm_timeline WHERE position = ?", (row["position"],))
    verdict = verify_read_models(built.runner.app)
    [difference] = verdict.differences
    assert difference.table == "rm_timeline"
    assert difference.key == {"position": row["position"]}
    assert (difference.column, difference.live) == (None, None)
    assert difference.rebuilt["event"] == row["event"]
    assert difference.text().startswith(
        f"rm_timeline position={row['position']}: missing; the rebuild has {{"
    )


def test_a_bogus_change_row_is_named_as_extra(built):
    [issued] = store.query(
        built.runner.views,
        "SELECT * FROM rm_changes WHERE certificate_number = ? AND kind = 'issued'",
        (built.number,),
    )
    tamper_sql(
        built.url,
        "INSERT INTO rm_changes (position, agency_code, certificate_number, officer_id, kind, "
        "effective_on, recorded_at, detail) VALUES (?, ?, ?, ?, 'reinstated', ?, ?, ?)",
        (
            issued["position"],
            issued["agency_code"],
            built.number,
            issued["officer_id"],
            "2026-02-01",
            issued["recorded_at"],
            issued["detail"],
        ),
    )
    verdict = verify_read_models(built.runner.app)
    [difference] = verdict.differences
    assert difference.table == "rm_changes"
    assert difference.key == {
        "position": issued["position"],
        "certificate_number": built.number,
        "kind": "reinstated",
        "agency_code": issued["agency_code"],
    }
    assert (difference.column, difference.rebuilt) == (None, None)
    assert difference.live["effective_on"] == "2026-02-01"
    assert "seq" not in difference.live
    assert "a row the rebuild does not have" in difference.text()


def test_a_change_row_written_twice_is_named(built):
    """A lapse is noted with no log position: the change feed's unique index lets a second
    copy of it in (NULL is never equal), and that copy is reported."""
    expired = store.query(
        built.runner.views,
        "SELECT * FROM rm_changes WHERE kind = 'expired' AND position IS NULL ORDER BY seq",
    )
    assert expired, "the history should have lapses noted"
    columns = [k for k in expired[0] if k != "seq"]
    tamper_sql(
        built.url,
        f"INSERT INTO rm_changes ({', '.join(columns)}) SELECT {', '.join(columns)} "
        "FROM rm_changes WHERE seq = ?",
        (expired[0]["seq"],),
    )
    verdict = verify_read_models(built.runner.app)
    [difference] = verdict.differences
    assert difference.table == "rm_changes"
    assert difference.key == {k: expired[0][k] for k in KEYS["rm_changes"]}
    assert difference.key["position"] is None
    assert (difference.column, difference.rebuilt) == (None, None)
    assert difference.live == {k: expired[0][k] for k in columns}
    assert (verdict.found, verdict.rows_differing) == (1, 1)


def test_every_edited_row_is_reported_and_the_limit_cuts_the_list_only(built):
    views = built.runner.views
    [first, second] = store.query(
        views, "SELECT officer_id FROM rm_officers ORDER BY officer_id LIMIT 2"
    )
    tamper_sql(
        built.url,
        "UPDATE rm_officers SET name = 'Someone Else', district = 'East' WHERE officer_id = ?",
        (first["officer_id"],),
    )
    tamper_sql(built.url, "DELETE FROM rm_officers WHERE officer_id = ?", (second["officer_id"],))
    tamper_sql(built.url, "UPDATE rm_agencies SET in_house_course = 1 - in_house_course")

    verdict = verify_read_models(built.runner.app)
    officers = only(verdict.differences, "rm_officers")
    assert sorted((d.key["officer_id"], d.column) for d in officers) == sorted(
        [
            (first["officer_id"], "district"),
            (first["officer_id"], "name"),
            (second["officer_id"], None),
        ]
    )
    agencies = only(verdict.differences, "rm_agencies")
    assert {d.column for d in agencies} == {"in_house_course"} and len(agencies) == 2
    assert (verdict.found, verdict.rows_differing) == (5, 4)

    cut = verify_read_models(built.runner.app, limit=2)
    assert (cut.found, len(cut.differences)) == (5, 2)
    assert cut.differences == verdict.differences[:2]

    result = invoke(built.url, "projections", "verify", "--limit", "1")
    assert result.exit_code == 1, result.output
    assert "... and 4 more differences (--limit)" in result.stdout
    position = built.runner.app.position()
    assert error_lines(result) == [
        f"error: read models not verified: 4 rows differ from a rebuild at log position {position}"
    ]


def test_the_json_report_holds_every_difference_in_full(built):
    tamper_sql(
        built.url,
        "UPDATE rm_certificates SET ce_hours = ce_hours + 4 WHERE number = ?",
        (built.number,),
    )
    result = invoke(built.url, "--json", "projections", "verify")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["position"] == built.runner.app.position()
    assert (report["differences"], report["rows_differing"]) == (1, 1)
    [shown] = report["shown"]
    assert shown["table"] == "rm_certificates"
    assert shown["key"] == {"number": built.number}
    assert shown["column"] == "ce_hours"
    assert shown["live"] == shown["rebuilt"] + 4


def test_a_registry_in_memory_is_refused():
    result = CliRunner().invoke(cli, ["--database", "memory://", "projections", "verify"])
    assert result.exit_code == 2, result.output
    assert error_lines(result) == [
        "error: invalid input: read models need a SQLite or PostgreSQL database, not memory://"
    ]

"""Importing a legacy roster CSV on SQLite and PostgreSQL, through Python and the CLI."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from registry.application import Registry
from registry.cli import app as cli_app
from registry.domain.errors import NotFound, RegistryError
from registry.domain.records import key_id
from registry.importer import command_id, import_csv, read_rows, to_command
from registry.projections.runner import Runner
from registry.storage import existing_ids
from tests.factories import STATE, TODAY

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "legacy-roster.csv"

SETUP = [
    {"record": "agency", "date": "2015-01-01", "code": "SLCPD", "name": "Salt Lake City Police",
     "region": "Salt Lake", "districts": "North;South", "shifts": "day;night"},
    {"record": "academy", "date": "2015-01-01", "code": "SLC-CIT",
     "name": "Salt Lake CIT Academy", "state_certified": "yes"},
]  # fmt: skip


def officer(post: str, **extra: str) -> dict[str, str]:
    row = {
        "record": "officer", "date": "2019-01-02", "post_number": post, "name": "Jordan Rivera",
        "agency": "SLCPD", "patrol_since": "2018-06-01", "district": "North", "shift": "night",
    }  # fmt: skip
    return {**row, **extra}


def certification(post: str) -> list[dict[str, str]]:
    """An officer's whole story: enrolment, academy week, both exams, the certificate."""
    return [
        officer(post),
        {"record": "training", "date": "2025-09-12", "post_number": post, "kind": "cit_academy",
         "hours": "40", "academy": "SLC-CIT", "began_on": "2025-09-08"},
        {"record": "exam", "date": "2025-09-12", "post_number": post, "kind": "written",
         "passed": "yes"},
        {"record": "exam", "date": "2025-09-12", "post_number": post, "kind": "scenario",
         "passed": "true"},
        {"record": "certificate", "date": "2025-09-15", "post_number": post,
         "credential": "cit_officer"},
    ]  # fmt: skip


def write_roster(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows as a roster CSV with the union of their columns; line n+1 holds row n."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as f:
        return list(csv.DictReader(f))


def sample_line(text: str) -> int:
    """The line number of the sample's one line containing `text`."""
    lines = [n for n, line in enumerate(SAMPLE.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, lines
    return lines[0]


def officer_states(app: Registry, posts: list[str]) -> dict[str, Any]:
    """Each officer's status today, without the registry id (random per registry)."""
    states = {}
    for post in posts:
        status = asdict(app.status(post, on=TODAY))
        del status["id"]
        states[post] = status
    return states


def count_saves(app: Registry) -> list[int]:
    calls: list[int] = []
    original = app.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        return original(*objs, **kwargs)

    app.save = save  # type: ignore[method-assign]
    return calls


# ------------------------------------------------------------------ the sample


def test_the_sample_roster_imports_but_for_the_two_rows_it_breaks_on_purpose(registry):
    rows = sample_rows()
    report = import_csv(registry, SAMPLE, STATE)

    malformed, broken = sample_line("03/14/2025"), sample_line("CIT is not for recruits")
    assert [(r.line, r.record) for r in report.refused] == [
        (malformed, "exam"),
        (broken, "certificate"),
    ]
    assert "YYYY-MM-DD" in report.refused[0].reason
    assert "patrol-experience-required" in report.refused[1].reason
    assert report.rows == len(rows)
    assert report.imported == len(rows) - 2 and report.already_imported == 0
    for row in rows:
        if row["record"] == "certificate" and row["number"] != "CIT-2025-0320":
            assert registry.status(row["number"]).post_number == row["post_number"]
        if row["record"] == "transfer":
            assert registry.status(row["post_number"], on=TODAY).agency_code == row["agency"]


def test_a_rerun_of_the_same_file_imports_nothing(registry):
    first = import_csv(registry, SAMPLE, STATE)
    position = registry.position()

    again = import_csv(registry, SAMPLE, STATE, batch_size=7)

    assert registry.position() == position
    assert (again.imported, again.already_imported) == (0, first.imported)
    assert again.refused == first.refused


def test_batches_and_single_commands_give_the_same_officers(make_registry, memory_registry):
    batched = make_registry()
    import_csv(batched, SAMPLE, STATE, batch_size=50)
    single = memory_registry()
    for row in read_rows(SAMPLE):
        try:
            cmd = to_command(row)
            single.execute(cmd, STATE, command_id=command_id(cmd))
        except RegistryError as e:  # refused: the same rows as in the import
            assert row.line in {sample_line("03/14/2025"), sample_line("not for recruits")}, e

    posts = sorted({r["post_number"] for r in sample_rows() if r["record"] == "officer"})
    assert officer_states(batched, posts) == officer_states(single, posts)
    assert batched.position() == single.position()


# ---------------------------------------------------------------- bad rows


def test_bad_rows_are_reported_by_line_and_write_nothing(make_registry, memory_registry, tmp_path):
    good = [*SETUP, officer("UT-1"), officer("UT-2")]
    bad = [
        {"record": "exam", "date": "2025-09-12", "post_number": "UT-1", "kind": "oral",
         "passed": "yes"},
        officer("UT-3", agency="NOPD"),
        {"record": "exam", "date": "2025-09-12", "post_number": "UT-9", "kind": "written",
         "passed": "yes"},
        officer("UT-1", name="Someone Else"),
        {"record": "training", "date": "2025-09-12", "post_number": "UT-2", "kind": "cit_academy",
         "hours": "40", "academy": "SLC-CIT", "passed": "yes"},
    ]  # fmt: skip
    mixed = [good[0], good[1], good[2], bad[0], bad[1], good[3], bad[2], bad[3], bad[4]]
    app = make_registry()

    report = import_csv(app, write_roster(tmp_path / "mixed.csv", mixed), STATE)

    lines = [r.line for r in report.refused]
    assert lines == [mixed.index(row) + 2 for row in bad]  # the header is line 1
    reasons = [r.reason for r in report.refused]
    assert reasons[0].startswith("invalid input: kind")
    assert reasons[1].startswith("not found: agency NOPD")
    assert reasons[2].startswith("not found: no officer")
    assert "post-number-unique" in reasons[3]
    assert "has no passed" in reasons[4]
    assert report.imported == len(good)
    assert [e.event for e in app.history("UT-1")] == ["Enrolled"]
    with pytest.raises(NotFound):
        app.officer("UT-3")
    reference = memory_registry()
    import_csv(reference, write_roster(tmp_path / "good.csv", good), STATE)
    assert app.position() == reference.position()


def test_a_rule_broken_by_one_row_leaves_the_rows_around_it_imported(registry, tmp_path):
    rows = [*SETUP, *certification("UT-1")]
    rows.insert(3, {**rows[2], "date": "2030-01-01", "post_number": "UT-2"})  # a future date
    report = import_csv(registry, write_roster(tmp_path / "roster.csv", rows), STATE)

    assert [r.line for r in report.refused] == [5]
    assert "no-future-effective-date" in report.refused[0].reason
    assert report.imported == len(rows) - 1
    assert registry.status("UT-1", on=TODAY).certificates[0].in_force


# --------------------------------------------------------------- batching


def test_an_officer_enrolled_trained_examined_and_certified_in_one_batch(registry, tmp_path):
    rows = [*SETUP, *certification("UT-1"), *certification("UT-2")]
    saves = count_saves(registry)

    report = import_csv(registry, write_roster(tmp_path / "roster.csv", rows), STATE)

    assert report.imported == len(rows) and not report.refused
    assert len(saves) == 1
    for post in ("UT-1", "UT-2"):
        (certificate,) = registry.status(post, on=TODAY).certificates
        assert certificate.in_force


def test_rows_are_saved_in_batches_of_the_size_asked(registry, tmp_path):
    rows = [*SETUP, *certification("UT-1"), *certification("UT-2")]
    saves = count_saves(registry)
    import_csv(registry, write_roster(tmp_path / "roster.csv", rows), STATE, batch_size=4)
    assert len(saves) == -(-len(rows) // 4)


def test_a_certificate_keeps_its_legacy_number(registry, tmp_path):
    rows = [*SETUP, *certification("UT-1")]
    rows[-1] = {**rows[-1], "number": "cit-2019-0042"}
    import_csv(registry, write_roster(tmp_path / "roster.csv", rows), STATE)
    assert registry.status("CIT-2019-0042").post_number == "UT-1"


def test_a_registry_numbered_certificate_is_not_issued_again_on_a_rerun(registry, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [*SETUP, *certification("UT-1")])
    import_csv(registry, path, STATE)
    again = import_csv(registry, path, STATE)
    assert again.imported == 0
    assert len(registry.officer("UT-1").certificates) == 1


def test_a_batch_learns_which_keys_exist_in_bulk(registry, memory_registry, tmp_path):
    import_csv(registry, write_roster(tmp_path / "roster.csv", [*SETUP, officer("UT-1")]), STATE)
    officer_id = registry.officer_id("UT-1")
    taken = {officer_id, key_id("post-number", "UT-1"), key_id("agency", "SLCPD")}
    free = {uuid4(), key_id("post-number", "UT-2")}

    assert existing_ids(registry.recorder, [*taken, *free]) == taken
    assert existing_ids(memory_registry().recorder, list(taken)) is None


# -------------------------------------------------------------------- CLI

runner = CliRunner()


def cli(url: str, *args: str) -> Any:
    options = ["--database", url, "--actor", "migration-1"]
    env = {"REGISTRY_DATABASE": None, "REGISTRY_ACTOR": None, "COLUMNS": "200"}
    return runner.invoke(cli_app, [*options, *args], env=env)


def test_the_cli_imports_the_sample_and_lists_the_refused_rows(database_url):
    result = cli(database_url, "import", str(SAMPLE))

    assert result.exit_code == 1, result.output
    assert "refused 2" in result.stdout
    for text in ("03/14/2025", "CIT is not for recruits"):
        assert f" {sample_line(text)} " in result.stdout

    again = cli(database_url, "--json", "import", str(SAMPLE), "--batch-size", "10")
    assert again.exit_code == 1, again.output
    report = json.loads(again.stdout)
    assert report["imported"] == 0
    assert report["already_imported"] == report["rows"] - 2
    assert [r["line"] for r in report["refused"]] == [
        sample_line("03/14/2025"),
        sample_line("CIT is not for recruits"),
    ]


def test_the_cli_exits_0_when_every_row_is_in_the_registry(database_url, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [*SETUP, *certification("UT-1")])
    first = cli(database_url, "--json", "import", str(path))
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["imported"] == len(SETUP) + 5

    again = cli(database_url, "import", str(path))
    assert again.exit_code == 0, again.output
    assert f"already imported {len(SETUP) + 5}" in again.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,date\nSLCPD,2015-01-01\n", "no 'record' column"),
        ("record,dates\nagency,2015-01-01\n", "unknown columns: dates"),
        (b"record\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_the_cli_exits_2_for_a_file_that_is_not_a_roster(database_url, tmp_path, content, message):
    path = tmp_path / "roster.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = cli(database_url, "import", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_the_cli_exits_2_for_a_missing_file_and_opens_no_database(tmp_path):
    url = f"sqlite:///{tmp_path}/registry.db"
    result = cli(url, "import", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert not (tmp_path / "registry.db").exists()


def test_a_row_holding_a_nul_character_is_refused_and_the_rest_are_shown(registry, tmp_path):
    """PostgreSQL keeps no NUL in a text column: a row holding one would be recorded but
    could never be shown by the read models, so it is refused like any other bad row."""
    rows = [*SETUP, officer("UT-1"), officer("UT-2", name="Nul\x00l")]
    report = import_csv(registry, write_roster(tmp_path / "roster.csv", rows), STATE)

    assert [r.line for r in report.refused] == [len(rows) + 1]
    assert "NUL" in report.refused[0].reason
    with pytest.raises(NotFound):
        registry.officer("UT-2")
    runner = Runner(registry)
    runner.catch_up()
    assert runner.position() == registry.position(), "the read models show every row written"

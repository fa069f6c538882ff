"""The read models on the command line, on SQLite and on PostgreSQL.

The stories are recorded through the application service (tests/factories.py); the
questions are asked with `registry ...` in-process (CliRunner), each on the test's own
database, on the tests' day (TODAY), as the stories are recorded.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from registry.application import Registry
from registry.audit import checkpoints
from registry.config import Settings
from registry.domain import commands as c
from registry.projections.runner import Runner
from tests.factories import (
    AGENCY,
    AGENCY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    certified_officer,
    continuing_education,
    enrol,
    register_agencies_and_academies,
)
from tests.integration.test_cli import Cli, _console_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(database_url: str) -> Cli:
    return Cli(database_url)


def certified(app: Registry) -> str:
    """SLCPD with one CIT officer (UT-1001, North/night, 2025-09-15 to 2027-09-15) and an
    uncertified one (UT-1002); the certificate number."""
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    enrol(app, "UT-1002")
    return number


def suspend(app: Registry, number: str) -> None:
    app.suspend_certificate(
        c.SuspendCertificate(
            number=number, reason="complaint under review", effective_on=date(2026, 2, 1)
        ),
        STATE,
    )


def details(shown: str) -> dict[str, str]:
    """The label-value lines under the heading of `certificate show`."""
    return {line[:12].strip(): line[12:].strip() for line in shown.splitlines()[1:]}


# ------------------------------------------------------------ certificate show


def test_certificate_show_gives_the_public_status_on_each_date(cli, registry):
    number = certified(registry)
    suspend(registry, number)

    before = cli.json("certificate", "show", number, "--on", "2026-01-15")
    during = cli.json("certificate", "show", number.lower(), "--on", "2026-03-01")
    shown = cli.ok("certificate", "show", number, "--on", "2026-03-01").stdout

    assert before == {
        "number": number,
        "credential": "cit_officer",
        "holder": "Jordan Rivera",
        "agency_code": AGENCY_CODE,
        "withheld": False,
        "on": "2026-01-15",
        "status": "in_force",
        "in_force": True,
        "issued_on": "2025-09-15",
        "expires_on": "2027-09-15",
        "reason": "",
    }
    assert (during["status"], during["reason"]) == ("suspended", "complaint under review")
    assert f"Certificate {number}" in shown
    lines = details(shown)
    assert lines["holder"] == "Jordan Rivera"
    assert lines["agency"] == AGENCY_CODE
    assert lines["status"] == "suspended (not in force)"
    assert lines["reason"] == "complaint under review"
    assert lines["expires"] == "2027-09-15"


def test_certificate_show_says_unassociated_and_hides_a_withheld_holder(cli, registry):
    number = certified(registry)
    registry.separate_officer(
        c.SeparateOfficer(officer="UT-1001", reason="resigned", effective_on=date(2026, 9, 1)),
        AGENCY,
    )
    assert details(cli.ok("certificate", "show", number).stdout)["agency"] == "unassociated"
    assert cli.json("certificate", "show", number)["agency_code"] is None

    registry.withhold_record(
        c.WithholdRecord(officer="UT-1001", reason="undercover", effective_on=date(2026, 10, 1)),
        STATE,
    )
    hidden = cli.json("certificate", "show", number, "--on", "2026-01-15")
    assert (hidden["holder"], hidden["withheld"], hidden["status"]) == (None, True, "in_force")
    shown = cli.ok("certificate", "show", number).stdout
    assert (details(shown)["holder"], details(shown)["agency"]) == ("withheld", "withheld")
    assert "Jordan" not in shown


def test_certificate_show_of_an_unknown_number_is_not_found(cli, registry):
    certified(registry)
    line = cli.refused(1, "certificate", "show", "UT-CIT-NOPE0000")
    assert line == "error: not found: no certificate 'UT-CIT-NOPE0000'"


# ----------------------------------------------------------- roster, coverage


def test_roster_lists_the_agencys_officers_and_their_certificates(cli, registry):
    number = certified(registry)

    roster = cli.json("roster", "slcpd", "--on", "2026-01-15")
    shown = cli.ok("roster", AGENCY_CODE, "--on", "2027-09-15").stdout

    assert (roster["agency_code"], roster["on"]) == (AGENCY_CODE, "2026-01-15")
    officers = {o["post_number"]: o for o in roster["officers"]}
    assert set(officers) == {"UT-1001", "UT-1002"}
    [cert] = officers["UT-1001"]["certificates"]
    assert (cert["number"], cert["status"]) == (number, "in_force")
    assert officers["UT-1002"]["certificates"] == []
    assert (officers["UT-1001"]["district"], officers["UT-1001"]["shift"]) == ("North", "night")
    row = next(line for line in shown.splitlines() if "UT-1001" in line)
    assert f"{number} cit_officer expired (expires 2027-09-15)" in row
    assert cli.json("roster", OTHER_AGENCY_CODE)["officers"] == []
    assert "No officers with OGDENPD." in cli.ok("roster", OTHER_AGENCY_CODE).stdout


def test_roster_of_an_unknown_agency_is_not_found(cli, registry):
    certified(registry)
    assert cli.refused(1, "roster", "NOPD") == "error: not found: agency NOPD is not registered"


def test_coverage_shows_the_grid_its_gaps_forecast_and_share_of_the_target(cli, registry):
    certified(registry)

    grid = cli.json("coverage", AGENCY_CODE, "--on", "2026-11-26")
    shown = cli.ok("coverage", AGENCY_CODE, "--on", "2026-11-26").stdout

    counts = {(c["district"], c["shift"]): c["cit_officers"] for c in grid["cells"]}
    assert counts[("North", "night")] == 1
    assert sum(counts.values()) == 1 and len(counts) == 6
    night = next(c for c in grid["cells"] if (c["district"], c["shift"]) == ("North", "night"))
    assert night["gap_opens_on"] == "2027-09-15"
    assert len(grid["gaps"]) == 5
    assert (grid["patrol_officers"], grid["certified_patrol_officers"]) == (2, 1)
    assert (grid["share"], grid["target"], grid["meets_target"]) == (0.5, 0.25, True)
    north = next(line for line in shown.splitlines() if line.strip().startswith("North"))
    assert north.split() == ["North", "0", "gap", "0", "gap", "1", "gap", "from", "2027-09-15"]
    assert "1 of 2 (50.0%); meets the state target of 25%" in shown
    assert "gaps: 5 of 6" in shown

    far = cli.json("coverage", AGENCY_CODE, "--on", "2025-09-01")
    assert far["certified_patrol_officers"] == 0
    assert far["meets_target"] is False


def test_coverage_refuses_a_date_that_is_not_one(cli, registry):
    certified(registry)
    line = cli.refused(2, "coverage", AGENCY_CODE, "--on", "2026-02-30")
    assert "'--on'" in line and "is not a valid date" in line


# ---------------------------------------------------------- expiring, tiers


def test_expiring_lists_what_lapses_within_the_window_with_ce_lacking(cli, registry):
    number = certified(registry)
    continuing_education(registry, "UT-1001", on=date(2026, 5, 1), hours=1.5)

    soon = cli.json("expiring", AGENCY_CODE, "--on", "2027-07-01")
    shown = cli.ok("expiring", AGENCY_CODE, "--on", "2027-07-01").stdout
    narrow = cli.ok("expiring", AGENCY_CODE, "--on", "2027-07-01", "--within-days", "30")

    assert (soon["within_days"], soon["on"]) == (90, "2027-07-01")
    [entry] = soon["certificates"]
    assert (entry["number"], entry["expires_on"], entry["days_left"]) == (
        number,
        "2027-09-15",
        76,
    )
    assert (entry["ce_hours"], entry["ce_hours_lacking"]) == (1.5, 2.5)
    row = next(line for line in shown.splitlines() if number in line)
    assert row.split()[-4:] == ["2027-09-15", "76", "1.5", "2.5"]
    assert "No certificate of SLCPD in force on 2027-07-01 expires within 30 days." in narrow.stdout
    later = cli.json("expiring", AGENCY_CODE, "--on", "2027-09-15", "--within-days", "3660")
    assert later["certificates"] == []


@pytest.mark.parametrize("days", ["-1", "3661", "soon"])
def test_expiring_refuses_a_window_out_of_range(cli, registry, days):
    certified(registry)
    line = cli.refused(2, "expiring", AGENCY_CODE, "--within-days", days)
    assert "'--within-days'" in line


def test_tiers_show_each_agencys_tier(cli, registry):
    certified(registry)
    registry.register_agency(
        c.RegisterAgency(
            code="PROVOPD",
            name="Provo Police",
            region="Utah County",
            districts=["Central"],
            shifts=["day"],
            in_house_course=True,
            effective_on=date(2015, 1, 1),
        ),
        STATE,
    )

    now = cli.json("tiers", "--on", "2026-11-26")
    shown = cli.ok("tiers", "--on", "2026-11-26").stdout
    later = cli.json("tiers", "--on", "2028-01-01")

    assert now["on"] == "2026-11-26"
    assert {t["code"]: (t["tier"], t["officers_in_force"]) for t in now["agencies"]} == {
        OTHER_AGENCY_CODE: ("none", 0),
        "PROVOPD": ("in_house_only", 0),
        AGENCY_CODE: ("state_certified", 1),
    }
    row = next(line for line in shown.splitlines() if line.strip().startswith("SLCPD"))
    assert row.split()[-3:] == ["state_certified", "1", "no"]
    assert {t["code"]: t["tier"] for t in later["agencies"]}[AGENCY_CODE] == "none"


def test_tiers_refuse_a_date_that_is_not_one(cli, registry):
    certified(registry)
    assert "'--on'" in cli.refused(2, "tiers", "--on", "yesterday")


# ------------------------------------------------------------ timeline, changes


def test_timeline_finds_the_officer_by_any_reference_and_shows_corrections(cli, registry):
    number = certified(registry)
    officer_id = str(registry.officer_id("UT-1001"))
    registry.correct_record(
        c.CorrectRecord(
            officer="UT-1001",
            corrects_version=1,
            reason="name misspelt at enrolment",
            amendments={"name": "Jordan A. Rivera"},
        ),
        STATE,
    )

    by_post = cli.json("timeline", "UT-1001")
    shown = cli.ok("timeline", number).stdout

    assert cli.json("timeline", number) == by_post == cli.json("timeline", officer_id)
    assert by_post["officer_id"] == officer_id
    events = by_post["events"]
    assert [e["event"] for e in events] == [
        "Enrolled",
        "TrainingRecorded",
        "ExamRecorded",
        "ExamRecorded",
        "CertificateIssued",
        "Corrected",
    ]
    corrected = events[-1]
    assert (corrected["version"], corrected["effective_on"]) == (6, "2019-01-02")
    assert (corrected["actor_id"], corrected["actor_role"]) == (STATE.id, "state")
    assert datetime.fromisoformat(corrected["recorded_at"]).tzinfo is not None
    assert corrected["details"]["amendments"] == {"name": "Jordan A. Rivera"}
    row = next(line for line in shown.splitlines() if "Corrected" in line)
    assert row.split()[:4] == [str(corrected["position"]), "6", "Corrected", "2019-01-02"]
    assert "state:state-clerk-1" in row


def test_timeline_of_an_unknown_officer_is_not_found(cli, registry):
    certified(registry)
    line = cli.refused(1, "timeline", "UT-9999")
    assert line.startswith("error: not found: ") and "'UT-9999'" in line


def test_changes_are_read_after_a_cursor_with_the_next_one_given(cli, registry):
    number = certified(registry)
    suspend(registry, number)
    registry.reinstate_certificate(
        c.ReinstateCertificate(number=number, reason="cleared", effective_on=date(2026, 3, 1)),
        STATE,
    )

    everything = cli.json("changes", AGENCY_CODE)
    first = cli.json("changes", AGENCY_CODE, "--limit", "1")
    rest = cli.json("changes", AGENCY_CODE, "--after", str(first["next_after"]))
    shown = cli.ok("changes", AGENCY_CODE, "--limit", "2").stdout

    assert [(ch["kind"], ch["effective_on"]) for ch in everything["changes"]] == [
        ("issued", "2025-09-15"),
        ("suspended", "2026-02-01"),
        ("reinstated", "2026-03-01"),
    ]
    assert first["changes"] + rest["changes"] == everything["changes"]
    assert first["next_after"] == everything["changes"][0]["seq"]
    assert rest["next_after"] == everything["changes"][-1]["seq"]
    assert f"next: registry changes SLCPD --after {everything['changes'][1]['seq']}" in shown
    assert "complaint under review" in shown
    last = str(everything["next_after"])
    assert cli.json("changes", AGENCY_CODE, "--after", last)["changes"] == []
    assert "No changes for SLCPD after" in cli.ok("changes", AGENCY_CODE, "--after", last).stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--limit", "0"], 2, "'--limit'"),
        (["--limit", "1001"], 2, "'--limit'"),
        (["--after", "-1"], 2, "'--after'"),
    ],
)
def test_changes_refuse_a_bad_cursor_or_limit(cli, registry, args, code, says):
    certified(registry)
    assert says in cli.refused(code, "changes", AGENCY_CODE, *args)
    assert cli.refused(1, "changes", "NOPD") == "error: not found: agency NOPD is not registered"


# ----------------------------------------------------------------- projections


def test_projections_status_shows_the_lag_until_the_read_models_catch_up(cli, registry):
    certified(registry)
    head = registry.position()

    behind = cli.json("projections", "status")
    shown = cli.ok("projections", "status").stdout
    cli.ok("tiers")  # any question catches the read models up first
    level = cli.json("projections", "status")

    assert behind == {
        "head": head,
        "projections": [
            {"name": "read_models", "position": 0, "behind": head},
            {"name": "merkle_tree", "position": 0, "behind": head},
        ],
    }
    row = next(line for line in shown.splitlines() if "read_models" in line)
    assert row.split() == ["read_models", "0", str(head)]
    assert level["projections"] == [
        {"name": "read_models", "position": head, "behind": 0},
        {"name": "merkle_tree", "position": head, "behind": 0},
    ]


def test_rebuild_shows_its_progress_and_a_summary_and_answers_the_same(cli, registry):
    number = certified(registry)
    suspend(registry, number)
    head = registry.position()
    before = cli.json("certificate", "show", number, "--on", "2026-03-01")

    rebuilt = cli.ok("projections", "rebuild")
    summary = cli.json("projections", "rebuild")

    assert f"rebuilt the read models from {head} events in " in rebuilt.stdout
    assert "events/s)" in rebuilt.stdout
    assert f"read models at log position {head}" in rebuilt.stdout
    assert "rebuilding" in rebuilt.stderr
    assert f"{head}/{head} events" in rebuilt.stderr
    assert "events/s" in rebuilt.stderr
    assert (summary["events"], summary["position"]) == (head, head)
    # A measured time: the rate is the events over the seconds before their rounding to the
    # millisecond, itself rounded to a tenth.
    seconds, rate = summary["seconds"], summary["events_per_second"]
    assert seconds > 0
    assert head / (seconds + 0.0005) - 0.05 <= rate <= head / (seconds - 0.0005) + 0.05
    assert cli.json("certificate", "show", number, "--on", "2026-03-01") == before
    assert cli.json("projections", "status")["projections"][0]["behind"] == 0


def test_help_and_bad_options_of_the_new_commands_never_open_the_database(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path}/never.db")
    assert "show" in cli.ok("certificate", "--help").stdout
    assert "rebuild" in cli.ok("projections", "--help").stdout
    assert "--within-days" in cli.ok("expiring", "--help").stdout
    cli.refused(2, "projections", "run", "--poll", "0")
    cli.refused(2, "replay", "--as-recorded-on", "2026-13-01")
    cli.refused(2, "replay")
    cli.refused(2, "replay", "--as-recorded-on", "2026-01-01", "--into", "memory://")
    cli.refused(2, "replay", "--as-recorded-on", "2026-01-01", "--into", "mysql://db/x")
    cli.refused(2, "changes", AGENCY_CODE, "--limit", "0")
    assert not (tmp_path / "never.db").exists()


RUN = [sys.executable, "-m", "registry.cli", "projections", "run", "--poll", "0.1"]


def test_projections_run_follows_the_log_until_ctrl_c_stops_it_cleanly(
    database_url, registry, tmp_path
):
    number = certified(registry)
    env = {
        **os.environ,
        "REGISTRY_DATABASE": database_url,
        # Kept first on the path: the test run may move the clock (tests/timeshift).
        "PYTHONPATH": os.pathsep.join([os.environ.get("PYTHONPATH", ""), str(ROOT)]),
        "REGISTRY_KEY_DIR": str(tmp_path / "keys"),
    }
    process = subprocess.Popen(
        RUN, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        runner = Runner(registry)
        assert runner.wait_for(registry.position(), timeout=30), "it never caught up"
        suspend(registry, number)  # recorded while it runs: it follows
        assert runner.wait_for(registry.position(), timeout=30), "it stopped following"
        # ... and signs a checkpoint of the Merkle tree of the whole log.
        deadline = time.monotonic() + 30
        while (kept := checkpoints.latest_kept(runner.views)) is None or (
            kept.size < registry.position()
        ):
            assert time.monotonic() < deadline, "no checkpoint of the whole log"
            time.sleep(0.1)
        process.send_signal(2)  # SIGINT, as Ctrl-C sends
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"stopped; read models at log position {registry.position()}" in out
    assert "Ctrl-C to stop" in err
    assert "Traceback" not in err and "error" not in err


def test_the_installed_script_answers_a_question(database_url, registry):
    number = certified(registry)
    env = {**os.environ, "REGISTRY_DATABASE": database_url}
    shown = subprocess.run(
        [_console_script(), "--json", "certificate", "show", number, "--on", "2026-01-15"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "in_force"


# ---------------------------------------------------------------------- replay


def on_2025_09_16() -> Callable[[], datetime]:
    """Moments on 2025-09-16, a second apart: a registry that records on that day."""
    moments = (
        datetime(2025, 9, 16, 18, 0, tzinfo=UTC) + timedelta(seconds=i) for i in itertools.count()
    )
    return lambda: next(moments)


def test_replay_builds_a_scratch_database_that_answers_as_the_registry_stood(
    cli, registry, make_registry, monkeypatch, tmp_path
):
    number = certified(make_registry(now=on_2025_09_16()))
    suspend(registry, number)  # recorded today, after the cutoff
    monkeypatch.chdir(tmp_path)

    replayed = cli.ok("replay", "--as-recorded-on", "2025-09-20")

    scratch = Cli("sqlite:///replay-2025-09-20.db")
    assert (tmp_path / "replay-2025-09-20.db").exists()
    assert "replayed " in replayed.stdout
    assert "1 events recorded later were left out" in replayed.stdout
    assert "registry --database sqlite:///replay-2025-09-20.db certificate show" in replayed.stdout
    assert "replaying" in replayed.stderr
    then = scratch.json("certificate", "show", number, "--on", "2026-03-01")
    now = cli.json("certificate", "show", number, "--on", "2026-03-01")
    assert (then["status"], now["status"]) == ("in_force", "suspended")
    assert [c["kind"] for c in scratch.json("changes", AGENCY_CODE)["changes"]] == ["issued"]
    assert scratch.json("info")["position"] == registry.position() - 1

    line = cli.refused(1, "replay", "--as-recorded-on", "2025-09-20")
    assert line == (
        "error: conflict: the scratch database sqlite:///replay-2025-09-20.db is not empty; "
        "give a new one"
    )


def test_replay_into_a_named_database_reports_what_it_copied(cli, registry, tmp_path):
    certified(registry)
    into = f"sqlite:///{tmp_path}/scratch/before.db"

    nothing = cli.json("replay", "--as-recorded-on", "2020-01-01", "--into", into)

    assert nothing == {
        "database": into,
        "as_recorded_on": "2020-01-01",
        "cutoff": "2020-01-01T23:59:59.999999-07:00",
        "events": 0,
        "skipped": registry.position(),
    }
    assert Cli(into).json("tiers", "--on", "2026-01-01")["agencies"] == []


@pytest.mark.postgres
def test_a_refused_replay_never_prints_the_scratch_databases_password(postgres_url):
    app = Registry(Settings(database=postgres_url))
    try:
        register_agencies_and_academies(app)
    finally:
        app.close()
    cli = Cli(postgres_url)
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)  # trust auth

    not_empty = cli.refused(1, "replay", "--as-recorded-on", "2026-01-01", "--into", with_password)
    unsupported = cli.refused(
        2, "replay", "--as-recorded-on", "2026-01-01", "--into", "mysql://clerk:s3cret@db/x"
    )

    assert not_empty.startswith("error: conflict: the scratch database postgresql://postgres:***@")
    assert "unsupported database 'mysql://clerk:***@db/x'" in unsupported
    assert "s3cret" not in not_empty + unsupported

"""The `registry` command line against real databases.

Most tests drive the typer app in-process with CliRunner on a SQLite file; one runs the
installed console script as a real process, and one runs on SQLite and PostgreSQL.
The command line runs in-process on the tests' day (TODAY, through `registry.cli.core.TIME`);
the console script, run as a real process, on the real clock, so what it is asked names
its dates.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import registry.cli.core
from registry.application import Registry
from registry.cli import app
from registry.config import Settings
from tests.factories import TODAY

runner = CliRunner()

AGENCY = [
    "agency", "register", "SLCPD", "--name", "Salt Lake City Police", "--region", "Salt Lake",
    "--district", "North,South", "--shift", "day", "--shift", "swing,night", "--on", "2015-01-01",
]  # fmt: skip
ACADEMY = [
    "academy", "register", "SLC-CIT", "--name", "Salt Lake CIT Academy", "--state-certified",
    "--on", "2015-01-01",
]  # fmt: skip
ENROL = [
    "officer", "enrol", "UT-1001", "--name", "Jordan Rivera", "--agency", "SLCPD",
    "--patrol-since", "2018-06-01", "--district", "North", "--shift", "night", "--on", "2019-01-02",
]  # fmt: skip
TRAINING = [
    "training", "record", "UT-1001", "--kind", "cit_academy", "--hours", "40",
    "--academy", "SLC-CIT", "--began-on", "2025-09-08", "--completed-on", "2025-09-12",
]  # fmt: skip
ISSUE = ["certificate", "issue", "UT-1001", "--credential", "cit_officer", "--on", "2025-09-15"]
RECEIPT_KEYS = {
    "id", "version", "position", "certificate_number", "expires_on", "flags", "replayed",
}  # fmt: skip


class Cli:
    """Runs `registry --database URL --actor ID --role ROLE [--json] ...` in-process."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(
        self,
        *args: str,
        actor: str = "state-clerk-1",
        role: str = "state",
        scope: str | None = None,
        as_json: bool = False,
    ) -> Result:
        options = ["--database", self.url, "--actor", actor, "--role", role]
        if scope is not None:
            options += ["--scope", scope]
        if as_json:
            options.append("--json")
        env = {"REGISTRY_DATABASE": None, "REGISTRY_ACTOR": None, "COLUMNS": "200"}
        return runner.invoke(app, [*options, *args], env=env)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}: {result.output}"
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads(self.ok(*args, as_json=True, **kwargs).stdout)

    def refused(self, code: int, *args: str, **kwargs: Any) -> str:
        """Run a command that must fail with `code`; return its one stderr line."""
        result = self(*args, **kwargs)
        assert result.exit_code == code, f"{args}: exit {result.exit_code}: {result.output}"
        assert isinstance(result.exception, SystemExit), result.exception  # no crash
        assert "Traceback" not in result.output
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        return lines[0]

    def position(self) -> int:
        """The newest position of the event log, read directly."""
        opened = Registry(Settings(database=self.url))
        try:
            return opened.position()
        finally:
            opened.close()


@pytest.fixture
def cli(sqlite_url: str) -> Cli:
    return Cli(sqlite_url)


def qualify(cli: Cli) -> None:
    """Agency, academy, enrolment, and the academy week and both exams, as SLC-CIT's staff
    record them."""
    cli.ok(*AGENCY)
    cli.ok(*ACADEMY)
    cli.ok(*ENROL, actor="records-3", role="agency")
    cli.ok(*TRAINING, actor="instructor-7", role="academy", scope="SLC-CIT")
    for kind in ("written", "scenario"):
        cli.ok(
            "exam", "record", "UT-1001", "--kind", kind, "--passed", "--taken-on", "2025-09-12",
            actor="instructor-7", role="academy", scope="SLC-CIT",
        )  # fmt: skip


def certify(cli: Cli) -> str:
    """An officer qualified (`qualify`) and certified by SLC-CIT's staff; the number."""
    qualify(cli)
    receipt = cli.json(*ISSUE, actor="instructor-7", role="academy", scope="SLC-CIT")
    return receipt["certificate_number"]


def test_training_staff_issue_only_for_the_academy_they_act_for(cli: Cli) -> None:
    qualify(cli)
    position = cli.position()

    line = cli.refused(1, *ISSUE, actor="instructor-7", role="academy")
    assert line.startswith("error: forbidden: training staff issue and renew for their own")
    assert "[rule: issuer-authority]" in line
    line = cli.refused(1, *ISSUE, actor="records-3", role="agency", scope="SLCPD")
    assert "the agency role does not issue or renew certificates" in line
    line = cli.refused(1, *ISSUE, actor="instructor-7", role="academy", scope="NO-SUCH")
    assert line == "error: not found: academy NO-SUCH is not registered"
    line = cli.refused(2, *ISSUE, actor="clerk-1", role="state", scope="SLC-CIT")
    assert "--scope names the academy or agency" in line
    assert cli.position() == position

    issued = cli.json(*ISSUE, actor="instructor-7", role="academy", scope="slc-cit")
    assert issued["certificate_number"].startswith("UT-CIT-")
    [event] = [e for e in history(cli) if e["event"] == "CertificateIssued"]
    assert event["actor"] == {"id": "instructor-7", "role": "academy", "scope": "SLC-CIT"}


def history(cli: Cli, *args: str) -> list[dict[str, Any]]:
    return cli.json("history", "UT-1001", *args)["events"]


# ------------------------------------------------------------------ happy path


def test_a_certification_from_registration_to_status_and_history(cli: Cli) -> None:
    assert "registered agency SLCPD" in cli.ok(*AGENCY).stdout
    cli.ok(*ACADEMY)
    enrolled = cli.ok(*ENROL, actor="records-3", role="agency").stdout
    assert "enrolled officer UT-1001 with SLCPD" in enrolled
    assert "version 1" in enrolled
    cli.ok(*TRAINING, actor="instructor-7", role="academy", scope="SLC-CIT")
    for kind in ("written", "scenario"):
        cli.ok(
            "exam", "record", "UT-1001", "--kind", kind, "--passed", "--taken-on", "2025-09-12",
            actor="instructor-7", role="academy", scope="SLC-CIT",
        )  # fmt: skip
    issued = cli.ok(*ISSUE, actor="instructor-7", role="academy", scope="SLC-CIT").stdout
    assert "issued cit_officer to UT-1001: certificate UT-CIT-" in issued
    assert "expires 2027-09-15" in issued

    status = cli.ok("status", "UT-1001", "--on", "2026-01-15").stdout
    assert "Officer UT-1001" in status
    assert "Jordan Rivera" in status
    assert "SLCPD, district North, shift night" in status
    assert "POST status  active" in status
    row = next(line for line in status.splitlines() if "UT-CIT-" in line)
    assert row.split()[1:] == ["cit_officer", "in_force", "2025-09-15", "2027-09-15", "yes"]

    shown = cli.ok("history", "UT-1001").stdout
    events = ["Enrolled", "TrainingRecorded", "ExamRecorded", "ExamRecorded", "CertificateIssued"]
    rows = [line.split() for line in shown.splitlines() if line.split()[:1] in (["1"], ["5"])]
    assert rows[0][:3] == ["1", "Enrolled", "2019-01-02"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0][3])  # recorded (date, time, zone)
    assert "agency:records-3" in rows[0]
    assert rows[1][:3] == ["5", "CertificateIssued", "2025-09-15"]
    assert "academy:instructor-7@SLC-CIT" in rows[1]
    assert [e["event"] for e in history(cli)] == events


def test_a_certificate_number_finds_its_officer(cli: Cli) -> None:
    number = certify(cli)
    by_number = cli.json("status", number, "--on", "2026-01-15")
    by_post = cli.json("status", "UT-1001", "--on", "2026-01-15")
    by_id = cli.json("status", by_post["id"], "--on", "2026-01-15")
    assert by_number == by_post == by_id
    assert by_post["post_number"] == "UT-1001"


def test_json_output_is_one_document_with_iso_dates(cli: Cli) -> None:
    cli.ok(*AGENCY)
    receipt = cli.json(*ACADEMY)
    assert set(receipt) == RECEIPT_KEYS
    assert receipt["replayed"] is False
    assert receipt["version"] == 1
    assert receipt["position"] >= 2
    cli.ok(*ENROL)
    cli.ok(*TRAINING, "--mandated")
    for kind in ("written", "scenario"):
        cli.ok("exam", "record", "UT-1001", "--kind", kind, "--passed", "--taken-on", "2025-09-12")
    issued = cli.json(*ISSUE)
    assert issued["certificate_number"].startswith("UT-CIT-")
    assert issued["expires_on"] == "2027-09-15"
    assert issued["flags"] == ["mandated"]
    assert issued["version"] == 5

    status = cli.json("status", "UT-1001", "--on", "2026-01-15")
    assert status["on"] == "2026-01-15"
    assert status["agency_code"] == "SLCPD"
    assert (status["district"], status["shift"], status["post_status"]) == (
        "North",
        "night",
        "active",
    )
    assert status["as_recorded_at"] is None
    [certificate] = status["certificates"]
    assert certificate == {
        "number": issued["certificate_number"],
        "credential": "cit_officer",
        "status": "in_force",
        "in_force": True,
        "issued_on": "2025-09-15",
        "expires_on": "2027-09-15",
        "mandated": True,
        "reason": "",
    }
    expired = cli.json("status", "UT-1001", "--on", "2027-09-15")
    assert expired["certificates"][0]["status"] == "expired"
    assert expired["certificates"][0]["in_force"] is False

    events = history(cli)
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["actor"] == {"id": "state-clerk-1", "role": "state"}
    assert events[1]["details"]["volunteered"] is False
    assert events[1]["effective_on"] == "2025-09-12"
    assert datetime.fromisoformat(events[0]["recorded_at"]).tzinfo is not None


# --------------------------------------------------------------------- errors


def test_a_rule_violation_is_one_line_naming_the_rule_and_records_nothing(cli: Cli) -> None:
    cli.ok(*AGENCY)
    cli.ok(*ACADEMY)
    cli.ok(*ENROL)
    before = cli.position()

    line = cli.refused(1, *ISSUE)

    assert "[rule: academy-completion-required]" in line
    assert line.startswith("error: rule violation: ")
    assert cli.position() == before
    assert [e["event"] for e in history(cli)] == ["Enrolled"]


def test_a_future_effective_date_is_refused_by_its_rule(cli: Cli) -> None:
    line = cli.refused(1, *AGENCY[:-1], (TODAY + timedelta(days=1)).isoformat())
    assert "[rule: no-future-effective-date]" in line
    assert "(today is 2026-11-26)" in line
    assert cli.ok(*AGENCY[:-1], TODAY.isoformat())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2018-02-30", "is not a valid date"),
        ("20180201", "use YYYY-MM-DD"),
        ("last spring", "use YYYY-MM-DD"),
        ("0001-01-01", "out of range: a date is from 1900-01-01 to 2199-12-31"),
    ],
)
def test_an_invalid_date_exits_2_naming_the_option(cli: Cli, value: str, why: str) -> None:
    cli.ok(*AGENCY)
    before = cli.position()
    args = [*ENROL]
    args[args.index("--patrol-since") + 1] = value

    line = cli.refused(2, *args)

    assert "'--patrol-since'" in line
    assert repr(value) in line
    assert why in line
    assert cli.position() == before


@pytest.mark.parametrize("question", [["coverage", "SLCPD"], ["expiring", "SLCPD"], ["tiers"]])
def test_a_question_on_a_date_out_of_range_exits_2(cli: Cli, question: list[str]) -> None:
    cli.ok(*AGENCY)
    line = cli.refused(2, *question, "--on", "9999-12-31")
    assert "'--on'" in line and "out of range" in line
    assert cli.json(*question, "--on", "2199-12-31")["on"] == "2199-12-31"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["agency", "register", "bad code!", *AGENCY[3:]], "invalid input: code:"),
        ([*TRAINING[:6], "900", *TRAINING[7:]], "invalid input: hours:"),
        (["officer", "enrol", "UT-1002", "--name", "X", "--agency", "SLCPD"], "--patrol-since"),
        (["officer", "post-status", "UT-1001", "--status", "retired"], "'retired'"),
        (["correct", "UT-1001", "--version", "2", "--reason", "typo", "--set", "hours"], "--set"),
        (["--role", "sheriff", "status", "UT-1001"], "'sheriff'"),
        (["--actor", " ", "officer", "post-status", "UT-1001", "--status", "active"], "--actor"),
    ],
)
def test_malformed_input_exits_2_with_one_clear_line(cli: Cli, args: list[str], says: str) -> None:
    cli.ok(*AGENCY)
    line = cli.refused(2, *args)
    assert says in line


def test_an_unknown_officer_is_not_found(cli: Cli) -> None:
    cli.ok(*AGENCY)
    for command in (["status", "UT-9999"], ["history", "UT-9999"]):
        line = cli.refused(1, *command)
        assert line.startswith("error: not found: ")
        assert "'UT-9999'" in line
    line = cli.refused(1, *ENROL[:6], "NOPD", *ENROL[7:])
    assert line == "error: not found: agency NOPD is not registered"


def test_a_stale_expected_version_is_a_conflict_and_records_nothing(cli: Cli) -> None:
    certify(cli)
    before = cli.position()
    line = cli.refused(
        1, "officer", "post-status", "UT-1001", "--status", "inactive", "--expected-version", "3"
    )
    assert line.startswith("error: stale version: record is at version 5")
    assert cli.position() == before
    cli.ok("officer", "post-status", "UT-1001", "--status", "inactive", "--expected-version", "5")


def test_a_repeated_command_id_returns_the_same_receipt_replayed(cli: Cli) -> None:
    certify(cli)
    ce = [
        "training", "record", "UT-1001", "--kind", "continuing_education", "--hours", "4",
        "--academy", "SLC-CIT", "--completed-on", "2026-03-01", "--command-id", "ce-2026-0001",
    ]  # fmt: skip
    first = cli.json(*ce)
    position = cli.position()

    again = cli.json(*ce)

    assert first["replayed"] is False
    assert again["replayed"] is True
    assert {**again, "replayed": False} == first
    assert cli.position() == position
    assert [e["event"] for e in history(cli)].count("TrainingRecorded") == 2
    shown = cli.ok(*ce).stdout
    assert "replayed" in shown
    assert f"version {first['version']}" in shown

    different = [*ce]
    different[different.index("4")] = "6"
    line = cli.refused(1, *different)
    assert line.startswith("error: idempotency conflict: command id 'ce-2026-0001'")
    assert cli.position() == position


def test_as_recorded_on_shows_the_record_as_it_stood_that_day(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Record the certification on 2025-09-16 (the command line's recording clock, moved
    # back); the suspension is recorded today.
    moments = (
        datetime(2025, 9, 16, 18, 0, tzinfo=UTC) + timedelta(seconds=i) for i in itertools.count()
    )
    monkeypatch.setitem(registry.cli.core.TIME, "now", lambda: next(moments))
    number = certify(cli)
    monkeypatch.delitem(registry.cli.core.TIME, "now")  # back to recording on TODAY
    cli.ok("certificate", "suspend", number, "--reason", "under review", "--on", "2026-01-10")

    now = cli.json("status", "UT-1001", "--on", "2026-01-15")
    then = cli.json("status", "UT-1001", "--on", "2026-01-15", "--as-recorded-on", "2025-09-20")
    that_day = cli.json("status", "UT-1001", "--as-recorded-on", "2025-09-20")

    assert now["certificates"][0]["status"] == "suspended"
    assert now["certificates"][0]["reason"] == "under review"
    assert then["certificates"][0]["status"] == "in_force"
    assert then["version"] == 5
    assert then["as_recorded_at"].startswith("2025-09-20T23:59:59")
    assert that_day["on"] == "2025-09-20"
    assert that_day["certificates"][0]["in_force"] is True
    shown = cli.ok("status", "UT-1001", "--on", "2026-01-15", "--as-recorded-on", "2025-09-20")
    assert "as recorded by 2025-09-20 23:59" in shown.stdout
    assert "in_force" in shown.stdout
    assert "suspended" not in shown.stdout

    assert len(history(cli)) == 6
    assert len(history(cli, "--as-recorded-on", "2025-09-20")) == 5
    line = cli.refused(1, "status", "UT-1001", "--as-recorded-on", "2025-09-15")
    assert line.startswith("error: not found: officer UT-1001 was not yet recorded")


# ----------------------------------------------------------- every command


def test_every_command_of_the_application_runs(cli: Cli) -> None:
    number = certify(cli)
    cli.ok(
        "agency", "register", "OGDENPD", "--name", "Ogden Police", "--region", "Weber",
        "--district", "Central", "--shift", "day,swing", "--on", "2015-01-01",
    )  # fmt: skip
    updated = cli.json(
        "agency", "update", "OGDENPD", "--shift", "day,swing,night", "--expected-version", "1"
    )
    assert updated["version"] == 2
    cli.ok(
        "academy", "certification", "SLC-CIT", "--not-state-certified", "--reason", "audit",
        "--on", "2026-10-01",
    )  # fmt: skip
    cli.ok(
        "officer",
        "assign",
        "UT-1001",
        "--district",
        "South",
        "--shift",
        "day",
        "--on",
        "2025-10-01",
    )
    cli.ok(
        "training", "record", "UT-1001", "--kind", "continuing_education", "--hours", "2",
        "--academy", "SLC-CIT", "--completed-on", "2026-03-01",
    )  # fmt: skip
    corrected = cli.ok(
        "correct", "UT-1001", "--version", "7", "--reason", "four hours, not two",
        "--set", "hours=4",
    ).stdout  # fmt: skip
    assert "amended version 7 of UT-1001" in corrected
    renewed = cli.json("certificate", "renew", number, "--on", "2026-06-01")
    assert renewed["expires_on"] == "2029-09-15"
    cli.ok("certificate", "suspend", number, "--reason", "complaint", "--on", "2026-07-01")
    cli.ok("certificate", "reinstate", number, "--reason", "cleared", "--on", "2026-08-01")
    cli.ok("officer", "post-status", "UT-1001", "--status", "active", "--on", "2026-08-02")
    cli.ok("correct", "UT-1001", "--version", "12", "--reason", "entered twice")
    cli.ok("officer", "withhold", "UT-1001", "--reason", "undercover", "--on", "2026-08-03")
    cli.ok("officer", "withhold", "UT-1001", "--reason", "done", "--release", "--on", "2026-08-04")
    separated = cli.json(
        "officer", "separate", "UT-1001", "--reason", "transferred", "--new-agency", "OGDENPD",
        "--investigation-open", "--on", "2026-09-01",
    )  # fmt: skip
    assert separated["flags"] == ["investigation-open", "reported-late"]  # 86 days on
    assert cli.json("status", "UT-1001", "--on", "2026-09-02")["agency_code"] is None
    assert "unassociated" in cli.ok("status", "UT-1001", "--on", "2026-09-02").stdout
    cli.ok(
        "officer", "transfer", "UT-1001", "--agency", "OGDENPD", "--district", "Central",
        "--shift", "night", "--on", "2026-09-15",
    )  # fmt: skip
    cli.ok("certificate", "revoke", number, "--reason", "misconduct", "--on", "2026-10-15")

    events = history(cli)
    assert [e["event"] for e in events][5:] == [
        "Assigned",
        "TrainingRecorded",
        "Corrected",
        "CertificateRenewed",
        "CertificateActionRecorded",
        "CertificateActionRecorded",
        "PostStatusChanged",
        "Corrected",
        "WithheldChanged",
        "WithheldChanged",
        "Separated",
        "Joined",
        "CertificateActionRecorded",
    ]
    assert events[7]["details"]["amendments"] == {"hours": 4.0}
    final = cli.json("status", "UT-1001", "--on", "2026-11-01")
    assert (final["agency_code"], final["district"], final["shift"]) == (
        "OGDENPD",
        "Central",
        "night",
    )
    assert final["withheld"] is False
    assert final["certificates"][0]["status"] == "revoked"
    assert final["certificates"][0]["expires_on"] == "2029-09-15"


# -------------------------------------------------------- opening the database


def test_help_and_bad_input_never_open_the_database(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path}/never.db")
    assert "--patrol-since" in cli.ok("officer", "enrol", "--help").stdout
    cli.refused(2, "agency", "register", "bad code!", *AGENCY[3:])
    assert not (tmp_path / "never.db").exists()


def test_the_registry_is_opened_only_when_needed_and_always_closed(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Watched(Registry):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            events.append("open")
            super().__init__(*args, **kwargs)

        def close(self) -> None:
            events.append("close")
            super().close()

        def __del__(self) -> None:  # eventsourcing closes on garbage collection; count ours
            pass

    monkeypatch.setattr(registry.cli.core, "Registry", Watched)
    cli.ok("officer", "enrol", "--help")
    cli.refused(2, *ENROL[:-1], "2019-13-01")
    assert events == []
    cli.ok(*AGENCY)
    cli.refused(1, *AGENCY)
    cli.refused(1, "status", "UT-9999")
    assert events == ["open", "close"] * 3


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("mysql://clerk:s3cret@db.example/registry", 2, "unsupported database 'mysql://clerk:***@"),
        ("postgresql://clerk:s3cret@db.example:port/registry", 2, "invalid database URL"),
        ("postgresql://clerk:s3cret@127.0.0.1:1/registry", 3, "Connection refused"),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_without_its_password(
    url: str, code: int, says: str
) -> None:
    line = Cli(url).refused(code, "status", "UT-1001")
    assert says in line
    assert "s3cret" not in line


def test_a_sqlite_path_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database\n")
    line = Cli(f"sqlite:///{tmp_path}/notes.db").refused(3, "status", "UT-1001")
    assert line.startswith(f"error: cannot open database sqlite:///{tmp_path}/notes.db")


# ------------------------------------------------------- both back ends, real process


def test_the_command_line_works_on_each_back_end(database_url: str) -> None:
    cli = Cli(database_url)
    number = certify(cli)
    status = cli.json("status", number, "--on", "2026-01-15")
    assert status["certificates"][0]["status"] == "in_force"
    assert [e["event"] for e in history(cli)][-1] == "CertificateIssued"
    before = cli.position()
    assert "[rule: already-certified]" in cli.refused(1, *ISSUE)
    assert cli.position() == before


def _console_script() -> str:
    beside = Path(sys.executable).with_name("registry")
    script = str(beside) if beside.exists() else shutil.which("registry")
    assert script, "the `registry` console script is not installed (pip install -e .)"
    return script


def test_the_installed_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REGISTRY_DATABASE": f"sqlite:///{tmp_path}/process.db",
        "REGISTRY_ACTOR": "clerk-9",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_console_script(), *args], capture_output=True, text=True, env=env, timeout=120
        )

    registered = run("--json", *AGENCY)
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["version"] == 1

    again = run(*AGENCY)
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.strip().splitlines() == [
        "error: rule violation: agency SLCPD is already registered [rule: agency-code-unique]"
    ]

    bad_date = run(*ENROL[:-1], "2019-13-01")
    assert bad_date.returncode == 2
    assert len(bad_date.stderr.strip().splitlines()) == 1
    assert "'--on'" in bad_date.stderr
    assert "Traceback" not in bad_date.stderr

    assert run(*ENROL).returncode == 0
    shown = run("--json", "history", "UT-1001")
    assert shown.returncode == 0, shown.stderr
    [enrolled] = json.loads(shown.stdout)["events"]
    assert enrolled["actor"] == {"id": "clerk-9", "role": "state"}


def test_info_shows_the_database_the_log_length_and_the_policy(cli: Cli) -> None:
    empty = cli.json("info")
    assert empty["position"] == 0
    assert empty["database"] == cli.url
    assert empty["policy"]["min_patrol_months"] == 12
    certify(cli)
    assert cli.json("info")["position"] == cli.position() > 0


def test_info_applies_a_state_policy_file(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    policy = tmp_path / "texas.toml"
    policy.write_text('[policy]\nstate = "TX"\nmin_patrol_months = 24\n')
    monkeypatch.setenv("REGISTRY_POLICY", str(policy))
    shown = cli.json("info")["policy"]
    assert (shown["state"], shown["min_patrol_months"], shown["renewal_ce_hours"]) == ("TX", 24, 4)

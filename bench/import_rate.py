"""Import rate of a legacy roster against the bare save of the same events, one per command.

    python bench/import_rate.py [--database URL] [--officers 2000] [--batch-size 500]
                                [--unbatched] [--seed 7]

Generates a legacy roster CSV (docs/import.md) in a temporary folder: 12 agencies, two
academies and N officers with their academy week, exams, certificates, and for some
continuing education, a renewal, or a separation and transfer. Then, each on a fresh
database (new SQLite files next to the one named, or new PostgreSQL databases created
on the server named and dropped afterwards):

- **import**: `registry.importer.import_csv` with batches of `--batch-size` rows: read,
  parse, load, decide and save everything, one transaction per batch;
- **bare save**: the same commands decided in memory by the same decide functions, and
  each command's aggregates (with its index and command record: the same events) given
  to `Application.save`, one call and one transaction per command. Only the saves are
  timed: this is the store's own cost without batching;
- with `--unbatched`, also the import with batches of one row.

Rates are events per second. The default database is a SQLite file in the temp folder.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.application import Registry
from registry.config import Settings
from registry.decisions import Context, decider
from registry.domain.records import CommandRecord
from registry.domain.values import Actor, ActorRole
from registry.importer import command_id, import_csv, read_rows, to_command
from registry.unit_of_work import UnitOfWork

TODAY = date(2026, 11, 26)
ACTOR = Actor("bench-import", ActorRole.STATE)
COLUMNS = [
    "record", "date", "code", "name", "region", "districts", "shifts", "state_certified",
    "post_number", "agency", "patrol_since", "district", "shift", "kind", "hours", "academy",
    "began_on", "passed", "credential", "number", "reason", "new_agency",
]  # fmt: skip
DISTRICTS = ["North", "South", "East", "West", "Central"]
SHIFTS = ["day", "swing", "night"]


# ------------------------------------------------------------------ the roster


def roster(path: Path, officers: int, seed: int) -> int:
    """Write a legacy roster of `officers` officers; return its number of rows."""
    rng = random.Random(seed)
    agencies = [f"AG{n:02d}" for n in range(12)]
    rows: list[dict[str, Any]] = [
        {"record": "agency", "date": "2010-01-01", "code": code, "name": f"Agency {code}",
         "region": "Salt Lake", "districts": ";".join(DISTRICTS), "shifts": ";".join(SHIFTS)}
        for code in agencies
    ]  # fmt: skip
    for code in ("POST-CIT", "REGION-CIT"):
        rows.append(
            {"record": "academy", "date": "2010-01-01", "code": code, "name": f"Academy {code}",
             "state_certified": "yes"}
        )  # fmt: skip
    for n in range(officers):
        rows += career(rng, f"UT-{n + 100000}", agencies)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def career(rng: random.Random, post: str, agencies: list[str]) -> list[dict[str, Any]]:
    """One officer's rows: enrolment, and for most the CIT academy and a certificate."""
    agency = rng.choice(agencies)
    hired = date(2010, 1, 1) + timedelta(days=rng.randrange(3650))
    rows = [
        {"record": "officer", "date": hired, "post_number": post, "name": f"Officer {post}",
         "agency": agency, "patrol_since": hired, "district": rng.choice(DISTRICTS),
         "shift": rng.choice(SHIFTS)}
    ]  # fmt: skip
    if rng.random() < 0.1:
        return rows
    began = max(hired + timedelta(days=400), date(2018, 1, 1)) + timedelta(rng.randrange(900))
    done = began + timedelta(days=4)
    academy = rng.choice(["POST-CIT", "REGION-CIT"])
    rows.append(
        {"record": "training", "date": done, "post_number": post, "kind": "cit_academy",
         "hours": 40, "academy": academy, "began_on": began}
    )  # fmt: skip
    for kind in ("written", "scenario"):
        rows.append(
            {"record": "exam", "date": done, "post_number": post, "kind": kind, "passed": "yes"}
        )
    issued = done + timedelta(days=3)
    number = f"CIT-{issued.year}-{post[3:]}"
    rows.append(
        {"record": "certificate", "date": issued, "post_number": post,
         "credential": "cit_officer", "number": number}
    )  # fmt: skip
    if rng.random() < 0.3:
        rows.append(
            {"record": "training", "date": issued + timedelta(days=365), "post_number": post,
             "kind": "continuing_education", "hours": 4, "academy": academy}
        )  # fmt: skip
        rows.append({"record": "renewal", "date": issued + timedelta(days=700), "number": number})
    if rng.random() < 0.05:
        left = issued + timedelta(days=100)
        other = rng.choice([a for a in agencies if a != agency])
        rows.append(
            {"record": "separation", "date": left, "post_number": post, "reason": "transferred",
             "new_agency": other}
        )  # fmt: skip
        rows.append(
            {"record": "transfer", "date": left + timedelta(days=1), "post_number": post,
             "agency": other, "district": rng.choice(DISTRICTS), "shift": rng.choice(SHIFTS)}
        )  # fmt: skip
    return rows


# ------------------------------------------------------------------ databases


@contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """A new, empty database beside `url`: a SQLite file, or a PostgreSQL database."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        named = Path(parts.path[1:])  # sqlite:///relative.db, sqlite:////absolute.db
        path = named.with_name(f"{named.stem}-{name}.db")
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        return
    dbname = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{dbname}", query=""))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def open_registry(url: str) -> Registry:
    return Registry(Settings(database=url), clock=lambda: TODAY)


# ------------------------------------------------------------------ measures


@dataclass
class Measure:
    method: str
    rows: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def measure_import(url: str, path: Path, batch_size: int) -> Measure:
    """Import the roster through registry.importer on a fresh database."""
    with fresh_database(url, f"import{batch_size}") as fresh:
        app = open_registry(fresh)
        try:
            start = time.perf_counter()
            report = import_csv(app, path, ACTOR, batch_size=batch_size)
            seconds = time.perf_counter() - start
            if report.refused:
                raise SystemExit(f"the generated roster was refused: {report.refused[:3]}")
            method = f"import, batches of {batch_size}"
            return Measure(method, report.rows, app.position(), seconds)
        finally:
            app.close()


def measure_bare_save(url: str, path: Path) -> Measure:
    """Decide the same commands in memory, and save each command's aggregates on its own."""
    rows = read_rows(path)
    memory = open_registry("memory://")
    uow = UnitOfWork(memory.repository, memory.recorder)  # holds every aggregate made
    context = Context(memory.policy, memory.clock)
    with fresh_database(url, "baseline") as fresh:
        app = open_registry(fresh)
        try:
            seconds, events = 0.0, 0
            for row in rows:
                cmd = to_command(row)
                decision = decider(context, cmd, ACTOR)(uow)
                record = command_record(cmd, decision)
                aggregates = [*decision.aggregates, record]
                uow.add(aggregates)
                events += sum(len(a.pending_events) for a in aggregates)
                start = time.perf_counter()
                app.save(*aggregates)
                seconds += time.perf_counter() - start
            if app.position() != events:
                raise SystemExit(f"saved {events} events but the log holds {app.position()}")
            return Measure("bare Application.save, one per command", len(rows), events, seconds)
        finally:
            app.close()
            memory.close()


def command_record(cmd: Any, decision: Any) -> CommandRecord:
    """The command record the import saves with a command: the same content and size."""
    key = command_id(cmd)
    result = {
        "id": str(decision.subject.id),
        "version": decision.subject.version,
        "certificate_number": decision.certificate_number,
        "expires_on": decision.expires_on,
        "flags": decision.flags,
    }
    return CommandRecord.record(key, type(cmd).__name__, key.removeprefix("import:"), result, ACTOR)


def table(measures: list[Measure]) -> str:
    lines = [f"{'method':<40} {'rows':>8} {'events':>8} {'seconds':>8} {'events/s':>9}"]
    for m in measures:
        lines.append(f"{m.method:<40} {m.rows:>8} {m.events:>8} {m.seconds:>8.2f} {m.rate:>9,.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="sqlite:///path.db or postgresql://user@host/db")
    parser.add_argument("--officers", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--unbatched", action="store_true", help="also import one row a batch")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-rate-") as folder:
        url = args.database or f"sqlite:///{folder}/bench.db"
        path = Path(folder) / "legacy-roster.csv"
        rows = roster(path, args.officers, args.seed)
        print(f"{rows} rows for {args.officers} officers in {path.name}; database {url}")
        measures = [measure_import(url, path, args.batch_size)]
        if args.unbatched:
            measures.append(measure_import(url, path, 1))
        measures.append(measure_bare_save(url, path))
        if measures[0].events != measures[-1].events:
            print("warning: the import and the bare save wrote different numbers of events")
        print(table(measures))
        speedup = measures[0].rate / measures[-1].rate
        print(f"import with batches: {speedup:.1f}x the events/s of the bare one-per-command save")


if __name__ == "__main__":
    main()

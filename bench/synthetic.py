"""A realistic synthetic state for benchmarks: ten years of a state's CIT registry.

    python bench/synthetic.py --database URL [--scale 1.0] [--seed 7] [--today 2026-11-26]
                              [--batch 200] [--check] [--quiet]

At scale 1.0: 150 agencies (a few large urban ones, many small rural ones) in Utah's
11 regions, 6 academies (one never state-certified, one certified only from its third
year), 10,000 officers enrolled over ten years, and about 300,000 events. Officers,
agencies and events grow with the scale: `--scale 100` gives 1,000,000 officers.

Every event comes from the domain model's own methods (see `synthetic_career.py`),
so every rule of the program holds. Each event is stamped with when it was recorded:
office hours on the day it was taken down, never before it took effect. Officers are
generated one batch at a time, staged in batches of many officers per transaction and
then forgotten, so memory stays flat at any scale; at the end every event goes into
the log in the order it was recorded (`synthetic_log.py`), interleaved across officers
day by day as a registry in use for ten years would hold them. The same seed gives
the same state: ids, numbers, dates and moments of recording.

`generate()` is for other benchmarks; `--check` (or `synthetic_check.check()`) reads a
sample of officers back through `Registry.status()` and `history()` and re-checks the
rules from the history alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `registry` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventsourcing.domain import Aggregate

from bench.synthetic_career import Career
from bench.synthetic_check import check
from bench.synthetic_log import Staging
from bench.synthetic_world import REGIONS, build_world, stamp_by_effective_date
from registry.application import Registry
from registry.config import Settings
from registry.domain.errors import InvalidInput
from registry.storage import describe, persistence_env

TODAY = date(2026, 11, 26)
OFFICERS_AT_SCALE_1 = 10_000
#: Officers per `save()` (one transaction), at most.
DEFAULT_BATCH = 200
#: Events per `save()`, at most. On PostgreSQL, eventsourcing 9.5.6 sends a save as one
#: array parameter in psycopg's pipeline mode; with psycopg 3.3.9 saves of 15,000 of these
#: events (about 6 MB) hung for good in every trial, the client waiting to read and the
#: server waiting for the rest of the query, while 9,000 went through. 4,000 stays clear.
MAX_EVENTS_PER_SAVE = 4_000


class DatabaseNotEmpty(RuntimeError):
    """The generator writes a whole state; it refuses to mix it into an existing log."""


@dataclass(frozen=True)
class Summary:
    """What `generate()` wrote and how long it took."""

    database: str
    scale: float
    seed: int
    today: date
    regions: int
    agencies: int
    academies: int
    officers: int
    certificates: int
    events: int
    seconds: float
    database_bytes: int | None = None
    #: Events by aggregate and event class, e.g. "Officer.TrainingRecorded".
    events_by_type: dict[str, int] = field(default_factory=dict)
    #: What happened in the careers: separations by reason, renewals, lapses, ...
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        size = f"{self.database_bytes / 1e6:,.1f} MB" if self.database_bytes else "size unknown"
        per_officer = self.events / max(1, self.officers)
        return [
            f"database      {self.database}  ({size})",
            f"state         scale {self.scale:g}, seed {self.seed}, today {self.today}",
            f"regions       {self.regions}",
            f"agencies      {self.agencies:,}",
            f"academies     {self.academies}",
            f"officers      {self.officers:,}",
            f"certificates  {self.certificates:,}",
            f"events        {self.events:,}  ({per_officer:.1f} per officer)",
            f"seconds       {self.seconds:,.1f}",
            f"events/s      {self.events_per_second:,.0f}",
        ]


def generate(
    database_url: str,
    *,
    scale: float = 1.0,
    seed: int = 7,
    today: date = TODAY,
    progress: bool = True,
    batch: int = DEFAULT_BATCH,
) -> Summary:
    """Write a synthetic state into an empty registry at `database_url`."""
    if scale <= 0:
        raise ValueError(f"scale must be more than 0, got {scale}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    officers = max(1, round(OFFICERS_AT_SCALE_1 * scale))
    app = Registry(Settings(database=database_url), clock=lambda: today)
    try:
        if app.position():
            raise DatabaseNotEmpty(
                f"{describe(database_url)} already holds {app.position():,} events; "
                "the generator needs an empty database"
            )
        started = time.perf_counter()
        world = build_world(seed=seed, scale=scale, today=today, policy=app.policy)
        zone = app.settings.zone()
        by_type: Counter[str] = Counter()
        facts: Counter[str] = Counter()
        staging = Staging(app)
        try:
            organisations = world.aggregates()
            stamp_by_effective_date(organisations, seed, zone)
            while organisations:
                staging.save(organisations[:1000], by_type)
                del organisations[:1000]
            with _progress(progress, officers) as advance:
                pending: list[Aggregate] = []
                pending_events = 0
                for n in range(officers):
                    career = Career(world, n, zone)
                    # The officer and the index records it claimed, saved together as the
                    # registry saves them.
                    aggregates = career.live()
                    pending += aggregates
                    pending_events += sum(len(a.pending_events) for a in aggregates)
                    facts.update(career.stats)
                    last = n + 1 == officers
                    if last or (n + 1) % batch == 0 or pending_events >= MAX_EVENTS_PER_SAVE:
                        staging.save(pending, by_type)
                        pending, pending_events = [], 0
                        advance(n + 1, by_type.total())
            staging.release()
        finally:
            staging.drop()
        seconds = time.perf_counter() - started
    finally:
        app.close()
    return Summary(
        database=describe(database_url),
        scale=scale,
        seed=seed,
        today=today,
        regions=len(REGIONS),
        agencies=len(world.agencies),
        academies=len(world.academies),
        officers=officers,
        certificates=facts["certificates"],
        events=by_type.total(),
        seconds=seconds,
        database_bytes=database_bytes(database_url),
        events_by_type=dict(sorted(by_type.items())),
        facts=dict(sorted(facts.items())),
    )


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, or nothing."""
    if not show:
        yield lambda done, events: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("officers"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("officers", total=total, events=0)
        yield lambda done, events: bar.update(task, completed=done, events=events)


def database_bytes(database_url: str) -> int | None:
    """The size of the database: the SQLite file (and its WAL), or PostgreSQL's database."""
    env = persistence_env(database_url)
    module = env.get("PERSISTENCE_MODULE")
    if module == "eventsourcing.sqlite":
        path = Path(env["SQLITE_DBNAME"])
        files = [path, path.with_name(path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists())
    if module == "eventsourcing.postgres":
        import psycopg

        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=5,
        ) as conn:
            row = conn.execute("select pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/synthetic.py",
        description="Write a realistic synthetic CIT registry (ten years of a state) "
        "into an empty database, for benchmarks.",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("REGISTRY_DATABASE"),
        required="REGISTRY_DATABASE" not in os.environ,
        help="sqlite:///path/registry.db or postgresql://user@host:5432/db "
        "(default $REGISTRY_DATABASE)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10,000 officers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY, metavar="YYYY-MM-DD")
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"officers per save, at most (a save also stops at {MAX_EVENTS_PER_SAVE:,} events)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="afterwards, read a sample of officers back and re-check every rule",
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only check a state generated before with this --scale, --seed and --today",
    )
    parser.add_argument("--sample", type=int, default=200, help="officers read back by --check")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    officers = max(1, round(OFFICERS_AT_SCALE_1 * args.scale))
    if not args.check_only:
        try:
            summary = generate(
                args.database,
                scale=args.scale,
                seed=args.seed,
                today=args.today,
                progress=not args.quiet,
                batch=args.batch,
            )
        except (DatabaseNotEmpty, InvalidInput) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print("\n".join(summary.lines()))
        officers = summary.officers
    if args.check or args.check_only:
        started = time.perf_counter()
        report = check(
            args.database, officers=officers, sample=args.sample, seed=args.seed, today=args.today
        )
        print("\n".join(report.lines()))
        print(f"check took {time.perf_counter() - started:,.1f} s")
        return 0 if report.ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

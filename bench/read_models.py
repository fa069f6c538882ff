"""Read-model benchmarks: rebuild rate against the bare read-and-decode, and status latency.

    python bench/read_models.py [--scale 1.0] [--backend sqlite|postgres|both]

For each back end: a fresh database with the synthetic state (bench/synthetic.py: ten
years recorded day by day), then in the same run, on the same log:
- **bare read-and-decode**: `select_notifications` in pages of 1,000 plus
  `mapper.to_domain_event` for every notification, nothing written;
- **rebuild**: drop every read model and rebuild it from the first event;
- **status query**: `certificate_status` for random certificate numbers, p50 and p99.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_database
from bench.synthetic import generate
from registry.application import Registry
from registry.config import Settings
from registry.projections import queries, store
from registry.projections.rebuild import rebuild
from registry.projections.runner import Runner

PAGE = 1000
TODAY = date(2026, 11, 26)


def bare_read_and_decode(app: Registry) -> tuple[int, float]:
    """Every notification read and decoded by the library's default path; nothing written."""
    started = time.perf_counter()
    count, start = 0, 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=PAGE)
        if not page:
            break
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id + 1
    return count, time.perf_counter() - started


def timed_rebuild(app: Registry) -> tuple[int, float]:
    started = time.perf_counter()
    count = rebuild(app)
    return count, time.perf_counter() - started


def status_latency(app: Registry, queries_run: int, seed: int = 3) -> tuple[float, float]:
    """p50 and p99 milliseconds of certificate_status for random certificates."""
    views = Runner(app).views
    numbers = [r["number"] for r in store.query(views, "SELECT number FROM rm_certificates")]
    rng = random.Random(seed)
    timings = []
    for _ in range(queries_run):
        number = rng.choice(numbers)
        on = date(2016 + rng.randrange(11), rng.randrange(1, 13), 1)
        started = time.perf_counter()
        queries.certificate_status(views, number, on)
        timings.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(timings, n=100)
    return cuts[49], cuts[98]


def run(backend: str, scale: float, status_queries: int) -> dict[str, float]:
    with fresh_database(backend) as url:
        summary = generate(url, scale=scale, today=TODAY, progress=False)
        app = Registry(Settings(database=url), clock=lambda: TODAY)
        try:
            bare_n, bare_s = bare_read_and_decode(app)
            rebuild_n, rebuild_s = timed_rebuild(app)
            bare2_n, bare2_s = bare_read_and_decode(app)
            p50, p99 = status_latency(app, status_queries)
        finally:
            app.close()
    bare_rate = max(bare_n / bare_s, bare2_n / bare2_s)
    return {
        "events": summary.events,
        "bare_rate": bare_rate,
        "rebuild_rate": rebuild_n / rebuild_s,
        "rebuild_seconds": rebuild_s,
        "ratio": (rebuild_n / rebuild_s) / bare_rate,
        "p50_ms": p50,
        "p99_ms": p99,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--status-queries", type=int, default=5000)
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"{'back end':10} {'events':>9} {'bare read+decode/s':>19} {'rebuild/s':>10} "
        f"{'ratio':>6} {'rebuild s':>10} {'status p50 ms':>14} {'p99 ms':>7}"
    )
    for backend in backends:
        r = run(backend, args.scale, args.status_queries)
        print(
            f"{backend:10} {r['events']:>9,} {r['bare_rate']:>19,.0f} {r['rebuild_rate']:>10,.0f} "
            f"{r['ratio']:>6.2f} {r['rebuild_seconds']:>10.1f} {r['p50_ms']:>14.3f} "
            f"{r['p99_ms']:>7.3f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

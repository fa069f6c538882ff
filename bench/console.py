"""Staff console benchmarks: how long each console page takes to answer on the synthetic
state at scale 1.0 (10,000 officers).

    python bench/console.py [--backend sqlite|postgres|both] [--scale 1.0] [--times 100]
                            [--warmup 5] [--posts 30] [--no-analyze] [--keep DIR]

For each back end: a fresh database with the synthetic state (bench/synthetic.py, as
bench/api.py prepares it, as of today: the server runs on the real clock) and one
`registry serve` (1 uvicorn worker). A state account is made with `registry users create`,
its password set through the link's page, and signed in through /staff/sign-in with its
second factor (the code computed from the key /staff/totp shows), as a person would.

From the read models: the largest agency (the most officers placed with it today) and
the officer with the longest history (the most events). Then, over one kept-alive
connection (httpx), one request at a time, the pages in turn, `--times` rounds after
`--warmup` untimed:

- /staff; the largest agency's overview, roster, expiring, changes, coverage and forecast;
- the longest history (/staff/officers/{post}), as recorded at the end of the day its
  middle event was recorded (?as_recorded_on=), and just before its middle version
  (?before=);
- /staff/do, with ?officer=, and the forms of a training, an issue and an enrolment;
- the state's pages (/staff/coverage, /staff/separations/late), /staff/users, /staff/keys
  and /staff/imports;

then `--posts` round trips of a form: /staff/do/assign opened (timed apart) and sent for an
officer of the largest agency, moved between two of its districts in turn (each is written
to the log, so their number is modest).

Prints each page's first answer (its caches cold) and the median, p95 and max of the
timed ones, in milliseconds. The goal: every page's p95 under 100 ms. Exits 1 if the
server does not start or any answer is not 200 (303 for a form sent) or lacks what the
page must show.

On PostgreSQL the database is given `VACUUM ANALYZE` before the pages are timed (unless
`--no-analyze`), as autovacuum would after a load this size: this machine's server runs
with autovacuum off, and with no statistics the planner picks plans many times slower.

`--keep DIR` keeps the prepared state (a SQLite file in DIR, or the PostgreSQL database
bench_console_kept, with the signing keys in DIR) and uses it again on the next run with
the same DIR: for profiling, not for the recorded figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pyotp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import REGISTRY, ROOT, BenchFailure, free_port, prepare, server
from bench.common import POSTGRES, fresh_database, source
from registry.application import Registry
from registry.config import Settings
from registry.projections import store

GOAL_MS = 100.0
PASSWORD = "correct horse battery staple"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
TOTP_KEY = re.compile(r'id="totp-key">([^<]+)<')
KEPT_POSTGRES = "bench_console_kept"


# ---------------------------------------------------------------------- the state


@dataclass(frozen=True)
class Subjects:
    """What the pages are asked about, found in the read models."""

    agency: str
    agency_officers: int
    districts: list[str]
    shifts: list[str]
    mover: str  # the POST number of an officer of the agency the form moves
    officer: str  # the POST number of the officer with the longest history
    officer_name: str
    versions: int
    past_day: str  # the day its middle event was recorded, in the registry's zone


def subjects(url: str, key_dir: Path) -> Subjects:
    """The largest agency and the longest history, as the read models hold them."""
    settings = Settings(database=url, key_dir=str(key_dir))
    app = Registry(settings)
    try:
        views = store.open_views(app)
        q = lambda sql, *p: store.query(views, sql, p)  # noqa: E731
        [largest] = q(
            "SELECT agency_code, COUNT(*) AS n FROM rm_officers WHERE agency_code IS NOT NULL "
            "GROUP BY agency_code ORDER BY n DESC, agency_code LIMIT 1"
        )
        [agency] = q("SELECT districts, shifts FROM rm_agencies WHERE code = ?",
                     largest["agency_code"])  # fmt: skip
        [longest] = q(
            "SELECT officer_id, COUNT(*) AS n FROM rm_timeline GROUP BY officer_id "
            "ORDER BY n DESC, officer_id LIMIT 1"
        )
        [officer] = q("SELECT post_number, name FROM rm_officers WHERE officer_id = ?",
                      longest["officer_id"])  # fmt: skip
        moments = [r["recorded_at"] for r in q(
            "SELECT recorded_at FROM rm_timeline WHERE officer_id = ? ORDER BY version",
            longest["officer_id"])]  # fmt: skip
        middle = datetime.fromisoformat(moments[len(moments) // 2])
        districts = json.loads(agency["districts"])
        [mover] = q(
            "SELECT post_number FROM rm_officers WHERE agency_code = ? AND district = ? "
            "AND role = 'patrol_officer' AND officer_id <> ? ORDER BY post_number LIMIT 1",
            largest["agency_code"], districts[0], longest["officer_id"],
        )  # fmt: skip
    finally:
        app.close()
    return Subjects(
        agency=largest["agency_code"],
        agency_officers=int(largest["n"]),
        districts=districts,
        shifts=json.loads(agency["shifts"]),
        mover=mover["post_number"],
        officer=officer["post_number"],
        officer_name=officer["name"],
        versions=int(longest["n"]),
        past_day=middle.astimezone(settings.zone()).date().isoformat(),
    )


@contextmanager
def kept_database(backend: str, folder: Path) -> Iterator[str]:
    """A database kept between runs (`--keep`): made if it is not there yet."""
    folder.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        yield f"sqlite:///{folder.resolve()}/console.db"
        return
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (KEPT_POSTGRES,)
        ).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{KEPT_POSTGRES}"')
    yield f"{POSTGRES.rsplit('/', 1)[0]}/{KEPT_POSTGRES}"


def vacuum_analyze(url: str) -> None:
    """What PostgreSQL's autovacuum does after a load this size: dead rows cleared and
    statistics gathered for the planner. This machine's server runs with autovacuum off,
    so without it the read models' queries are planned with no statistics at all."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------------- signing in


def form_token(page: httpx.Response) -> str:
    found = FORM_TOKEN.search(page.text)
    if found is None:
        raise BenchFailure(f"no form token on {page.url}: {page.text[:300]}")
    return found.group(1)


def expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        raise BenchFailure(f"{what}: {response.status_code} {response.text[:500]}")
    return response


def signed_in_state(base: str, env: dict[str, str]) -> httpx.Client:
    """A new state account, signed in with its second factor: a client with its session."""
    email = f"bench-state-{uuid.uuid4().hex[:8]}@example.org"
    made = subprocess.run(
        [REGISTRY, "users", "create", "--role", "state", "--email", email],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise BenchFailure(f"registry users create: {made.stderr[-1000:]}")
    link = urlsplit(made.stdout.strip().splitlines()[-1]).path
    client = httpx.Client(base_url=base, timeout=60)
    form = expect(client.get(link), 200, "the set-password page")
    data = {"form_token": form_token(form), "password": PASSWORD, "confirm": PASSWORD}
    expect(client.post(link, data=data), 303, "setting the password")
    form = expect(client.get("/staff/sign-in"), 200, "the sign-in page")
    data = {"form_token": form_token(form), "email": email, "password": PASSWORD}
    done = expect(client.post("/staff/sign-in", data=data), 303, "signing in")
    if done.headers["location"] != "/staff/totp":
        raise BenchFailure(f"signing in led to {done.headers['location']}, not /staff/totp")
    form = expect(client.get("/staff/totp"), 200, "the second factor's page")
    key = TOTP_KEY.search(form.text)
    if key is None:
        raise BenchFailure(f"no key on /staff/totp: {form.text[:500]}")
    code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
    done = client.post("/staff/totp", data={"form_token": form_token(form), "code": code})
    if done.status_code != 303 or done.headers["location"] != "/staff":
        raise BenchFailure(f"the second factor: {done.status_code} {done.text[:300]}")
    return client


# ---------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    shows: str = ""  # text the answer must hold


def pages(s: Subjects) -> list[Page]:
    agency = f"/staff/agencies/{s.agency}"
    officer = f"/staff/officers/{s.officer}"
    return [
        Page("/staff", "/staff", "Staff console"),
        Page("agency overview", agency),
        Page("agency roster", f"{agency}/roster", s.mover),
        Page("agency expiring", f"{agency}/expiring"),
        Page("agency changes", f"{agency}/changes"),
        Page("agency coverage (heat map)", f"{agency}/coverage", s.districts[0]),
        Page("agency forecast", f"{agency}/forecast"),
        Page("officer history", officer, s.officer_name),
        Page("  ?as_recorded_on=", f"{officer}?as_recorded_on={s.past_day}", s.officer_name),
        Page("  ?before=", f"{officer}?before={s.versions // 2 + 1}", s.officer_name),
        Page("/staff/do", "/staff/do"),
        Page("/staff/do?officer=", f"/staff/do?officer={s.officer}", s.officer),
        Page("form: training", f"/staff/do/training?officer={s.officer}", s.officer),
        Page("form: issue", f"/staff/do/issue?officer={s.officer}", s.officer),
        Page("form: enrol", "/staff/do/enrol"),
        Page("/staff/coverage (state)", "/staff/coverage"),
        Page("/staff/separations/late", "/staff/separations/late"),
        Page("/staff/users", "/staff/users"),
        Page("/staff/keys", "/staff/keys"),
        Page("/staff/imports", "/staff/imports"),
    ]


@dataclass
class Timings:
    label: str
    ms: list[float] = field(default_factory=list)
    first: float | None = None  # the page's first answer (its caches and template cold)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=20, method="inclusive")[18]

    @property
    def max(self) -> float:
        return max(self.ms)


def timed_get(client: httpx.Client, page: Page) -> float:
    started = time.perf_counter()
    answer = client.get(page.path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise BenchFailure(f"{page.path}: {answer.status_code} {answer.text[:500]}")
    return elapsed


def time_pages(client: httpx.Client, shown: list[Page], times: int, warmup: int) -> list[Timings]:
    """Each page `times` times, the pages in turn (so the machine's other work falls on all
    alike), after `warmup` untimed rounds; each page's first answer is timed apart and
    checked for what it shows."""
    found = [Timings(page.label) for page in shown]
    for page, timings in zip(shown, found, strict=True):
        started = time.perf_counter()
        answer = client.get(page.path)
        timings.first = (time.perf_counter() - started) * 1000
        if answer.status_code != 200 or (page.shows and page.shows not in answer.text):
            raise BenchFailure(f"{page.path}: {answer.status_code}, without {page.shows!r}: "
                               f"{answer.text[:500]}")  # fmt: skip
    for _ in range(warmup):
        for page in shown:
            timed_get(client, page)
    for _ in range(times):
        for page, timings in zip(shown, found, strict=True):
            timings.ms.append(timed_get(client, page))
    return found


def time_posts(client: httpx.Client, s: Subjects, posts: int) -> list[Timings]:
    """`posts` assignments through the form: opening it, then sending it (303)."""
    opening, sending = Timings("form: assign, opened"), Timings("POST /staff/do/assign (303)")
    path = f"/staff/do/assign?officer={s.mover}"
    for n in range(posts):
        started = time.perf_counter()
        form = expect(client.get(path), 200, path)
        opening.ms.append((time.perf_counter() - started) * 1000)
        data = {**dict(HIDDEN.findall(form.text)), "district": s.districts[(n + 1) % 2],
                "shift": s.shifts[0], "effective_on": ""}  # fmt: skip
        started = time.perf_counter()
        sent = client.post("/staff/do/assign", data=data)
        sending.ms.append((time.perf_counter() - started) * 1000)
        if sent.status_code != 303 or not sent.headers["location"].startswith("/staff/receipts/"):
            raise BenchFailure(f"POST /staff/do/assign: {sent.status_code} {sent.text[:800]}")
    return [opening, sending]


# ---------------------------------------------------------------------- a run


@dataclass
class Result:
    subjects: Subjects
    timings: list[Timings]


def run(backend: str, args: argparse.Namespace) -> Result:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-console-")))
        if args.keep:
            folder = Path(args.keep) / backend
            url = stack.enter_context(kept_database(backend, folder))
            key_dir, ready = folder / "keys", folder / "prepared"
        else:
            url = stack.enter_context(fresh_database(backend))
            key_dir, ready = tmp / "keys", None
        started = time.perf_counter()
        if ready is None or not ready.exists():
            prepare(url, key_dir, args.scale, 0)
            if ready is not None:
                ready.touch()
        if backend == "postgres" and args.analyze:
            vacuum_analyze(url)
        found = subjects(url, key_dir)
        print(f"{backend}: set up in {time.perf_counter() - started:.1f} s; largest agency "
              f"{found.agency} ({found.agency_officers} officers, {len(found.districts)} "
              f"districts x {len(found.shifts)} shifts); longest history {found.officer} "
              f"({found.versions} events)", flush=True)  # fmt: skip
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),  # this tree's code, also when run from a worktree
            "REGISTRY_DATABASE": url,
            "REGISTRY_KEY_DIR": str(key_dir),
            "REGISTRY_ISSUER": f"http://127.0.0.1:{port}",
        }
        argv = [REGISTRY, "serve", "--port", str(port), "--workers", "1"]
        base = stack.enter_context(server("registry serve", argv, env, tmp / "serve.log", port))
        client = signed_in_state(base, env)
        stack.callback(client.close)
        timings = time_pages(client, pages(found), args.times, args.warmup)
        timings += time_posts(client, found, args.posts)
        return Result(found, timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="of the synthetic state")
    parser.add_argument("--times", type=int, default=100, help="timed requests of each page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first")
    parser.add_argument("--posts", type=int, default=30, help="forms sent (each writes)")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="PostgreSQL: leave the tables without statistics",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the state in DIR and reuse it")
    args = parser.parse_args(argv)
    if args.times < 2 or args.posts < 2:
        parser.error("--times and --posts need at least 2 (for a p95)")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"scale {args.scale:g}, {args.times} timed requests per page after {args.warmup} "
          f"untimed, {args.posts} forms sent, 1 uvicorn worker, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    print(f"source: {source()}", flush=True)
    if "postgres" in backends:
        print("PostgreSQL: " + ("VACUUM ANALYZE before timing" if args.analyze else
                                "no VACUUM ANALYZE (--no-analyze)"), flush=True)  # fmt: skip
    results: dict[str, Result] = {}
    try:
        for backend in backends:
            results[backend] = run(backend, args)
    except BenchFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    slow = []
    for backend, result in results.items():
        print(f"\n{backend}: {'page':34} {'first':>7} {'n':>4} {'median':>8} {'p95':>8} "
              f"{'max':>8}")  # fmt: skip
        for t in result.timings:
            mark = "" if t.p95 < GOAL_MS else "  p95 over the goal"
            first = "" if t.first is None else f"{t.first:.1f}"
            print(f"{'':{len(backend) + 2}}{t.label:34} {first:>7} {len(t.ms):>4} {t.median:>8.1f} "
                  f"{t.p95:>8.1f} {t.max:>8.1f}{mark}")  # fmt: skip
            if t.p95 >= GOAL_MS:
                slow.append(f"{backend} {t.label}")
    verdict = "met" if not slow else "NOT met: " + "; ".join(slow)
    print(f"\nevery page's p95 under {GOAL_MS:g} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

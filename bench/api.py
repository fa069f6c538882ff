"""HTTP API benchmarks: the registry's server against a bare FastAPI app, in the same run.

    python bench/api.py [--backend sqlite|postgres|both] [--scale 0.2] [--workers 1]
                        [--threads 2] [--connections 32] [--duration 10] [--warmup 3]
                        [--rounds 1] [--issues 200]

For each back end: a fresh database with the synthetic state (bench/synthetic.py) as of
today (the server runs on the real clock), plus an agency, an academy and `--issues`
officers who qualify for a certificate (enrolled, trained, both exams passed) and an API
key for the state. Then two servers side by side, with the same uvicorn settings (host,
workers, log level info with access logs, no proxy headers; each logs to a file):

- `registry serve` on that database;
- the ceiling: `bench/bare_app.py`, FastAPI answering the same routes with fixed pydantic
  models and nothing behind them.

Measured with wrk (a separate process; `-s bench/api.lua`), bare then registry, after a
warm-up of each:

- `GET /v1/certifications/{number}` (public) over every certificate number, in turn;
- `POST /v1/verifications` with a valid token (the registry's own, from
  `GET /v1/certifications/{number}/token`);
- `GET /v1/certifications/{number}` again with the state's key (the full view, which
  goes through FastAPI's routing and the route; the bare app ignores the header);

and, from this process, one request at a time (httpx, keep-alive), the latency of issuing
a certificate: `POST /v1/officers/{id}/certifications` for each prepared officer (against
the bare app's route of the same shape).

Prints throughput and p50/p99 and the ratio to the bare app. Exits 1 if a server does
not start, an answer is not what it should be, or wrk counts any error response (status
400 or over) or socket error. The goal: the public GET at least 0.7 x the bare app's
throughput.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_database, source
from bench.synthetic import generate
from registry.access import ApiKeys
from registry.application import BatchItem, Registry
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.values import Actor, ActorRole
from registry.projections import queries, store
from registry.projections.runner import Runner
from registry.signing.service import Signing

ROOT = Path(__file__).resolve().parents[1]
STATE = Actor("bench", ActorRole.STATE)
AGENCY, ACADEMY = "BENCHPD", "BENCHUPA"
LUA = ROOT / "bench" / "api.lua"
REGISTRY = str(Path(sys.executable).with_name("registry"))
GOAL = 0.7


class BenchFailure(RuntimeError):
    """The run cannot be trusted: a server did not start or answered wrongly."""


def today_in(settings: Settings) -> date:
    """The server's today: the real clock in the registry's zone."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


# ---------------------------------------------------------------------- setup


@dataclass
class Prepared:
    numbers: list[str]
    in_force: str
    officers: list[str]
    state_key: str


def prepare(url: str, key_dir: Path, scale: float, officers: int) -> Prepared:
    """The synthetic state, qualified officers, a state key and the signing key."""
    settings = Settings(database=url, key_dir=str(key_dir))
    today = today_in(settings)
    generate(url, scale=scale, today=today, progress=False)
    app = Registry(settings)
    try:
        days = [
            c.RegisterAgency(
                code=AGENCY,
                name="Bench Police",
                region="Wasatch",
                districts=["North", "South"],
                shifts=["Day", "Night"],
                effective_on=today - timedelta(days=3000),
            ),
            c.RegisterAcademy(
                code=ACADEMY,
                name="Bench Peace Academy",
                state_certified=True,
                effective_on=today - timedelta(days=3000),
            ),
        ]
        app.execute_batch([BatchItem(cmd, STATE) for cmd in days])
        ago = lambda n: today - timedelta(days=n)  # noqa: E731
        ids: list[str] = []
        for start in range(0, officers, 100):
            batch: list[c.Command] = []
            for n in range(start, min(officers, start + 100)):
                post = f"BENCH-{n:05d}"
                batch += [
                    c.EnrolOfficer(
                        post_number=post,
                        name=f"Bench Officer {n}",
                        agency_code=AGENCY,
                        patrol_experience_began_on=ago(800),
                        district="North",
                        shift="Day",
                        effective_on=ago(700),
                    ),
                    c.RecordTraining(
                        officer=post,
                        kind="cit_academy",
                        hours=40,
                        academy_code=ACADEMY,
                        began_on=ago(64),
                        completed_on=ago(60),
                    ),
                    c.RecordExam(officer=post, kind="written", passed=True, taken_on=ago(60)),
                    c.RecordExam(officer=post, kind="scenario", passed=True, taken_on=ago(60)),
                ]
            done = app.execute_batch([BatchItem(cmd, STATE) for cmd in batch])
            for outcome in done:
                if isinstance(outcome, Exception):
                    raise BenchFailure(f"seeding refused: {outcome}")
            ids += [r.id for r, cmd in zip(done, batch, strict=True) if type(cmd) is c.EnrolOfficer]
        key, _ = ApiKeys(app).create(ApiRole.STATE, STATE, name="bench")
        runner = Runner(app)
        Signing(app, runner).signer()  # the token key, made now rather than by a worker
        runner.catch_up()
        rows = store.query(runner.views, "SELECT number FROM rm_certificates")
        numbers = [r["number"] for r in rows]
        in_force = next(
            n for n in numbers if queries.certificate_status(runner.views, n, today).in_force
        )
    finally:
        app.close()
    return Prepared(sorted(numbers), in_force, ids, key)


# -------------------------------------------------------------------- servers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(name: str, argv: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """A server process, up once /healthz answers 200; stopped on the way out."""
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchFailure(f"{name} exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise BenchFailure(f"{name} did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------------ wrk


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


RESULT = re.compile(r"^RESULT (.*)$", re.MULTILINE)


def wrk(base: str, args: list[str], threads: int, connections: int, seconds: float) -> Load:
    """One wrk run; its own summary line (bench/api.lua's `done`) read back."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
        "-s", str(LUA), base, "--", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = RESULT.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise BenchFailure(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    fields = dict(pair.split("=") for pair in found.group(1).split())
    errors = sum(int(fields[k]) for k in ("non2xx", "connect", "read", "write", "timeout"))
    requests = int(fields["requests"])
    return Load(
        rate=requests / float(fields["seconds"]),
        p50_ms=int(fields["p50_us"]) / 1000,
        p99_ms=int(fields["p99_us"]) / 1000,
        requests=requests,
        errors=errors,
    )


# -------------------------------------------------------------------- checks


def expect(response: httpx.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise BenchFailure(f"{what}: {response.status_code} {response.text[:500]}")
    return response.json()  # type: ignore[no-any-return]


def sequential_issue(base: str, key: str, officers: list[str], warmup: int) -> list[float]:
    """Milliseconds of each certificate issued, one request at a time (after `warmup`)."""
    timings = []
    headers = {"Authorization": f"Bearer {key}"}
    body = {"credential": "cit_officer"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for n, officer in enumerate(officers):
            started = time.perf_counter()
            response = client.post(f"/v1/officers/{officer}/certifications", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            found = expect(response, 201, f"issuing to {officer}")
            if not found.get("certificate_number"):
                raise BenchFailure(f"issuing to {officer}: no certificate number in {found}")
            if n >= warmup:
                timings.append(elapsed)
    return timings


def percentiles(timings: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return cuts[49], cuts[98]


# ---------------------------------------------------------------------- a run


@dataclass
class Row:
    what: str
    bare: Load
    registry: Load

    @property
    def ratio(self) -> float:
        return self.registry.rate / self.bare.rate


def run(backend: str, args: argparse.Namespace) -> list[Row]:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-")))
        url = stack.enter_context(fresh_database(backend))
        started = time.perf_counter()
        prepared = prepare(url, tmp / "keys", args.scale, args.issues + args.issue_warmup)
        print(
            f"{backend}: {len(prepared.numbers):,} certificates, "
            f"{len(prepared.officers)} officers to certify; set up in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        numbers = tmp / "numbers.txt"
        numbers.write_text("\n".join(prepared.numbers) + "\n")

        registry_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REGISTRY_DATABASE": url,
            "REGISTRY_KEY_DIR": str(tmp / "keys"),
            "REGISTRY_ISSUER": f"http://127.0.0.1:{registry_port}",
        }
        workers = ["--workers", str(args.workers)]
        registry = stack.enter_context(
            server(
                "registry serve",
                [REGISTRY, "serve", "--port", str(registry_port), *workers],
                env,
                tmp / "registry.log",
                registry_port,
            )
        )
        bare = stack.enter_context(
            server(
                "bare app",
                [sys.executable, "-m", "bench.bare_app", "--port", str(bare_port), *workers],
                env,
                tmp / "bare.log",
                bare_port,
            )
        )

        # What each side answers, checked once before it is measured.
        state = {"Authorization": f"Bearer {prepared.state_key}"}
        status = expect(
            httpx.get(f"{registry}/v1/certifications/{prepared.in_force}"), 200, "status"
        )
        if status.get("status") != "in_force":
            raise BenchFailure(f"{prepared.in_force} is not in force: {status}")
        full = expect(
            httpx.get(f"{registry}/v1/certifications/{prepared.in_force}", headers=state),
            200,
            "status with a key",
        )
        if "officer_id" not in full:
            raise BenchFailure(f"the state's look-up is not the full view: {full}")
        token = expect(
            httpx.get(f"{registry}/v1/certifications/{prepared.in_force}/token", headers=state),
            200,
            "token",
        )["token"]
        body = tmp / "verification.json"
        body.write_text(f'{{"token": "{token}"}}')
        for base in (registry, bare):
            checked = expect(
                httpx.post(f"{base}/v1/verifications", json={"token": token}), 200, "verify"
            )
            if checked.get("valid") is not True:
                raise BenchFailure(f"the token does not verify at {base}: {checked}")

        get = ["get", "/v1/certifications/", str(numbers)]
        loads = {
            "GET /v1/certifications/{number}": get,
            "POST /v1/verifications": ["post", "/v1/verifications", str(body)],
            # The same look-up with a key: the full view, through FastAPI's routing and
            # the route (the public's is answered before routing).
            "GET /v1/certifications/{number} (state key)": [*get, state["Authorization"]],
        }
        measure = (args.threads, args.connections)
        best: dict[tuple[str, str], Load] = {}
        for lua_args in loads.values():
            for base in (bare, registry):
                wrk(base, lua_args, *measure, args.warmup)
        for _ in range(args.rounds):
            for what, lua_args in loads.items():
                for side, base in (("bare", bare), ("registry", registry)):
                    load = wrk(base, lua_args, *measure, args.duration)
                    if load.errors:
                        raise BenchFailure(
                            f"{what} on {side}: {load.errors} error responses or socket errors "
                            f"in {load.requests} requests"
                        )
                    kept = best.get((what, side))
                    if kept is None or load.rate > kept.rate:
                        best[what, side] = load
        rows = [Row(what, best[what, "bare"], best[what, "registry"]) for what in loads]

        # Issuing, one at a time: the bare app's route, then the registry's.
        officers = prepared.officers
        timed = {}
        for side, base in (("bare", bare), ("registry", registry)):
            timings = sequential_issue(base, prepared.state_key, officers, args.issue_warmup)
            p50, p99 = percentiles(timings)
            timed[side] = Load(
                rate=len(timings) / (sum(timings) / 1000),
                p50_ms=p50,
                p99_ms=p99,
                requests=len(timings),
                errors=0,
            )
        rows.append(Row("POST /v1/officers/{id}/certifications (1 at a time)", **timed))
        return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=0.2, help="of the synthetic state")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, both servers")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of each warm-up")
    parser.add_argument("--rounds", type=int, default=1, help="measured rounds; best kept")
    parser.add_argument("--issues", type=int, default=200, help="certificates issued, timed")
    parser.add_argument("--issue-warmup", type=int, default=10, help="... and untimed first")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s (warm-up "
        f"{args.warmup:g}s), {args.rounds} round(s), uvicorn workers {args.workers}, "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    print(f"source: {source()}", flush=True)
    results: dict[str, list[Row]] = {}
    try:
        for backend in backends:
            results[backend] = run(backend, args)
    except BenchFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print()
    print(
        f"{'back end':9} {'request':52} {'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'registry req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}"
    )
    for backend, rows in results.items():
        for row in rows:
            b, r = row.bare, row.registry
            print(
                f"{backend:9} {row.what:52} {b.rate:>10,.0f} {b.p50_ms:>7.2f} {b.p99_ms:>7.2f} "
                f"{r.rate:>14,.0f} {r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {row.ratio:>6.2f}"
            )
    for backend, rows in results.items():
        ratio = rows[0].ratio
        verdict = "met" if ratio >= GOAL else "NOT met"
        print(f"{backend}: public GET at {ratio:.3f} x the bare app (goal {GOAL}): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

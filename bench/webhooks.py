"""Webhook benchmarks: how soon an alert reaches an agency's receiver after the command
that caused it, and how fast the server's own worker sends a backlog, against a bare loop.

    python bench/webhooks.py [--backend sqlite|postgres|both] [--scale 0.2] [--changes 100]
                             [--certificates 10] [--pause 0.05] [--burst 500] [--timeout 30]

For each back end: a fresh database prepared as bench/api.py prepares it (the synthetic
state as of today, the bench agency with `--certificates` + `--burst` officers who qualify,
a state API key), and one `registry serve` (1 uvicorn worker, whose webhook worker polls
the outbox every 0.2 s) run with REGISTRY_WEBHOOKS_ALLOW_LOOPBACK=1. Through the API with
the state's key, a certificate is issued to each of those officers, then an endpoint is
registered for the agency (certificate.suspended and certificate.reinstated) at a receiver
in this process: a threaded HTTP/1.1 server on 127.0.0.1 that notes when it has read each
request (time.perf_counter) and answers 204.

1. Latency under light load: `--changes` commands, one at a time with `--pause` between,
   over `--certificates` certificates in turn (each suspended, then reinstated on its next
   turn): from the command's 201 answer arriving to its alert arriving, matched by the log
   position both name (the answer's Registry-Position, the alert's data.log_position).
   p50, p99 and max. The goal: p99 under 1 s.
2. Throughput to one receiver: `--burst` suspensions of as many other certificates, of as
   many officers (the worker sends one officer's alerts one after the other), sent one at a
   time as fast as the server answers. Sent as they come, the alerts only keep pace with
   the commands (a fraction of a second behind), which would measure the API, not the
   worker; so the receiver holds the answer to the burst's first alert (at most HOLD s,
   below the worker's 15 s for an attempt) until the last command is answered, and the
   worker, which sends one at a time, then has the rest as a backlog. The alerts' rate is
   that backlog over the time from the held answer to the last alert ("start": to the
   first of them; "steady": the backlog's own first to last, (n - 1) / time). Then the bare
   loop: a process of its own posts the bodies the receiver got, with the headers they
   came with, one at a time over one kept-alive httpx client, to the same receiver (at
   another path), its rate (n - 1) / the time from the first arrival to the last. The
   goal: the worker at least 0.5 x the bare loop.

Exits 1 if the server does not start, a command is not answered 201, an alert has not
arrived `--timeout` seconds after the last command, or one change arrives under two
different webhook-ids (the same id again, a retry, is counted and allowed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import api
from bench.api import AGENCY, REGISTRY, ROOT, BenchFailure, expect, prepare, server
from bench.common import fresh_database, source

LATENCY_GOAL_MS = 1000.0
RATE_GOAL = 0.5
EVENTS = ["certificate.suspended", "certificate.reinstated"]
SENT_HEADERS = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature")
#: The longest the receiver holds an alert: below the worker's 15 s for one attempt.
HOLD = 12.0


# ------------------------------------------------------------------- receiver


@dataclass(frozen=True)
class Arrival:
    path: str
    at: float  # time.perf_counter() once the body is read
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    got: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: While cleared, an alert is answered only once it is set again (or after HOLD s).
    gate: threading.Event = field(default_factory=threading.Event)
    released: list[float] = field(default_factory=list)  # when each held alert was answered

    def arrived(self, path: str) -> list[Arrival]:
        with self.lock:
            return [a for a in self.got if a.path == path]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 answering every POST 204, kept-alive (HTTP/1.1)."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            at = time.perf_counter()
            heard = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.got.append(Arrival(self.path, at, heard, body))
            if self.path == "/hooks" and not receiver.gate.is_set():
                receiver.gate.wait(HOLD)
                receiver.released.append(time.perf_counter())
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    receiver = Receiver(f"http://127.0.0.1:{http.server_port}")
    receiver.gate.set()
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        http.shutdown()
        http.server_close()


def alerts(receiver: Receiver, positions: set[int], timeout: float) -> dict[int, Arrival]:
    """The first alert about each log position in `positions`, waiting up to `timeout` s;
    BenchFailure if one is missing or a change came under two webhook-ids.

    Each arrival is parsed once, as it is first seen: this runs in the receiver's process
    while the worker sends, and re-reading every alert at each look would slow the receiver.
    """
    deadline = time.monotonic() + timeout
    ids: dict[int, set[str]] = defaultdict(set)
    first: dict[int, Arrival] = {}
    seen = 0
    while True:
        got = receiver.arrived("/hooks")
        for arrival in got[seen:]:
            position = json.loads(arrival.body)["data"]["log_position"]
            ids[position].add(arrival.headers["webhook-id"])
            first.setdefault(position, arrival)
        seen = len(got)
        twice = {p: sorted(i) for p, i in ids.items() if len(i) > 1}
        if twice:
            raise BenchFailure(f"changes alerted under several webhook-ids: {twice}")
        missing = positions - first.keys()
        if not missing:
            return {p: first[p] for p in positions}
        if time.monotonic() > deadline:
            raise BenchFailure(
                f"{len(missing)} of {len(positions)} alerts missing after {timeout:g} s "
                f"(log positions {sorted(missing)[:5]}...)"
            )
        time.sleep(0.05)


def bare_loop(url: str, sent: list[Arrival]) -> None:
    """Post the bodies with their headers to `url`, one at a time over one kept-alive httpx
    client, from a process of its own (as the worker is in the server's): sharing the
    receiver's interpreter would slow the loop by the receiver's work."""
    script = (
        "import json, sys, httpx\n"
        "url, sent = json.load(sys.stdin)\n"
        "with httpx.Client(timeout=30) as bare:\n"
        "    for headers, body in sent:\n"
        "        done = bare.post(url, content=body.encode(), headers=headers)\n"
        "        if done.status_code != 204:\n"
        "            sys.exit(f'the receiver answered the bare loop {done.status_code}')\n"
    )
    posts = [({k: a.headers[k] for k in SENT_HEADERS}, a.body.decode()) for a in sent]
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps([url, posts]),
                          text=True, capture_output=True)  # fmt: skip
    if done.returncode != 0:
        raise BenchFailure(f"the bare loop failed: {done.stderr.strip()[-500:]}")


# -------------------------------------------------------------------- commands


def issue(client: httpx.Client, officers: list[str]) -> list[str]:
    """A certificate for each officer, through the API; their numbers."""
    numbers = []
    for officer in officers:
        done = client.post(f"/v1/officers/{officer}/certifications",
                           json={"credential": "cit_officer"})  # fmt: skip
        numbers.append(expect(done, 201, f"issuing to {officer}")["certificate_number"])
    return numbers


def change(client: httpx.Client, number: str, suspend: bool) -> tuple[int, float]:
    """Suspend or reinstate `number`; the log position and when the 201 arrived."""
    kind = "suspensions" if suspend else "reinstatements"
    done = client.post(f"/v1/certifications/{number}/{kind}", json={"reason": "bench"})
    answered = time.perf_counter()
    expect(done, 201, f"{kind} of {number}")
    return int(done.headers["registry-position"]), answered


def rate(arrivals: list[float]) -> float:
    """Arrivals a second, from the first to the last."""
    return (len(arrivals) - 1) / (max(arrivals) - min(arrivals))


# ------------------------------------------------------------------------ a run


@dataclass
class Result:
    latencies_ms: list[float]
    commands_rate: float
    backlog: int  # alerts of the burst still to send when the held one was answered
    alerts_rate: float  # the backlog over the time from that answer to the last alert
    start_ms: float  # from that answer to the next alert (the poll, the fill)
    steady_rate: float  # from the first alert after it to the last
    bare_rate: float
    repeats: int  # alerts that came again under the same webhook-id


def run(backend: str, args: argparse.Namespace) -> Result:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-webhooks-")))
        url = stack.enter_context(fresh_database(backend))
        started = time.perf_counter()
        prepared = prepare(url, tmp / "keys", args.scale, args.certificates + args.burst)
        receiver = stack.enter_context(receiving())
        port = api.free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REGISTRY_DATABASE": url,
            "REGISTRY_KEY_DIR": str(tmp / "keys"),
            "REGISTRY_ISSUER": f"http://127.0.0.1:{port}",
            "REGISTRY_WEBHOOKS_ALLOW_LOOPBACK": "1",
        }
        argv = [REGISTRY, "serve", "--port", str(port), "--workers", "1"]
        base = stack.enter_context(server("registry serve", argv, env, tmp / "serve.log", port))
        state = {"Authorization": f"Bearer {prepared.state_key}"}
        client = stack.enter_context(httpx.Client(base_url=base, headers=state, timeout=30))
        numbers = issue(client, prepared.officers)
        hook = expect(
            client.post(f"/v1/agencies/{AGENCY}/webhooks",
                        json={"url": f"{receiver.url}/hooks", "events": EVENTS}),
            201, "registering the endpoint",
        )  # fmt: skip
        if not hook.get("secret", "").startswith("whsec_"):
            raise BenchFailure(f"no secret in the registration's answer: {hook}")
        print(
            f"{backend}: {len(numbers)} certificates issued, endpoint {hook['id']}; set up in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

        # 1. Latency: one command at a time, a pause between.
        few, many = numbers[: args.certificates], numbers[args.certificates :]
        answered: dict[int, float] = {}
        for n in range(args.changes):
            suspend = (n // len(few)) % 2 == 0
            position, at = change(client, few[n % len(few)], suspend)
            answered[position] = at
            time.sleep(args.pause)
        got = alerts(receiver, set(answered), args.timeout)
        latencies = [(got[p].at - answered[p]) * 1000 for p in answered]

        # 2. Throughput: the receiver holds the burst's first alert until every command of
        # the burst is answered, so that the worker then has a backlog to send.
        receiver.gate.clear()
        burst: dict[int, float] = {}
        first_sent = time.perf_counter()
        for number in many:
            position, at = change(client, number, suspend=True)
            burst[position] = at
        commands_rate = len(many) / (max(burst.values()) - first_sent)
        receiver.gate.set()
        got = alerts(receiver, set(burst), args.timeout)
        released = receiver.released[0] if receiver.released else min(a.at for a in got.values())
        drained = [a.at for a in got.values() if a.at > released]
        if released < max(burst.values()):
            print(f"{backend}: the hold ran out before the burst was answered", flush=True)
        bare_loop(f"{receiver.url}/bare", list(got.values()))
        hooks = receiver.arrived("/hooks")
        return Result(
            latencies_ms=latencies,
            commands_rate=commands_rate,
            backlog=len(drained),
            alerts_rate=len(drained) / (max(drained) - released),
            start_ms=(min(drained) - released) * 1000,
            steady_rate=rate(drained),
            bare_rate=rate([a.at for a in receiver.arrived("/bare")]),
            repeats=len(hooks) - len({a.headers["webhook-id"] for a in hooks}),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=0.2, help="of the synthetic state")
    parser.add_argument("--changes", type=int, default=100, help="commands timed, 1 at a time")
    parser.add_argument("--certificates", type=int, default=10, help="... over this many")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between commands")
    parser.add_argument("--burst", type=int, default=500, help="suspensions, for the rate")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for alerts")
    args = parser.parse_args(argv)
    if args.changes < 2 or args.certificates < 1 or args.burst < 2:
        parser.error("--changes and --burst at least 2, --certificates at least 1")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"{args.changes} changes over {args.certificates} certificates, {args.pause:g} s "
        f"apart; a burst of {args.burst}; {os.cpu_count()} cores",
        flush=True,
    )
    print(f"source: {source()}", flush=True)
    results: dict[str, Result] = {}
    try:
        for backend in backends:
            results[backend] = run(backend, args)
    except BenchFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print()
    print(
        f"{'back end':9} {'alert p50 ms':>12} {'p99 ms':>7} {'max ms':>7} "
        f"{'commands/s':>10} {'backlog':>7} {'start ms':>8} {'steady/s':>8} {'alerts/s':>8} "
        f"{'bare/s':>7} {'ratio':>6} "
        f"{'repeats':>7}"
    )
    for backend, r in results.items():
        p50, p99 = api.percentiles(r.latencies_ms)
        print(
            f"{backend:9} {p50:>12.1f} {p99:>7.1f} {max(r.latencies_ms):>7.1f} "
            f"{r.commands_rate:>10,.0f} {r.backlog:>7} {r.start_ms:>8.0f} {r.steady_rate:>8,.0f} "
            f"{r.alerts_rate:>8,.0f} "
            f"{r.bare_rate:>7,.0f} {r.alerts_rate / r.bare_rate:>6.3f} {r.repeats:>7}"
        )
    for backend, r in results.items():
        p99 = api.percentiles(r.latencies_ms)[1]
        ratio = r.alerts_rate / r.bare_rate
        print(
            f"{backend}: alert p99 {p99:.0f} ms (goal under {LATENCY_GOAL_MS:.0f}): "
            f"{'met' if p99 < LATENCY_GOAL_MS else 'NOT met'}; "
            f"alerts at {ratio:.3f} x the bare loop (goal {RATE_GOAL}): "
            f"{'met' if ratio >= RATE_GOAL else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

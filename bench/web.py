"""Public web benchmarks: the server-rendered answer page against the JSON look-up, the
pages' weight, and the token page's verification time in Chromium.

    python bench/web.py [--backend sqlite|postgres|both] [--scale 0.2] [--threads 2]
                        [--connections 32] [--duration 10] [--warmup 3] [--rounds 1]
                        [--verifications 50]

For each back end: a fresh database with the synthetic state (bench/synthetic.py, as
bench/api.py prepares it) and one `registry serve`. Then, in the same run, with wrk
(`-s bench/api.lua`), over every certificate number in turn:

- `GET /v1/certifications/{number}`: the JSON look-up (the baseline);
- `GET /verify?q={number}`: the same answer rendered as the HTML page.

Goal: the page at least 0.5 x the JSON look-up's throughput.

The weight of each page as a browser first loads it: the HTML and every style sheet and
script it links to, uncompressed (goal for the verification page: at most 60 KB).

The token page in Chromium (Debian's, /usr/bin/chromium): after the page has verified a
token once (so the JWK Set, the retired keys and the status list are cached), the time of
`--verifications` further verifications by the page's own function (`window.citVerify`),
median and p95 (goal: under 50 ms).

Exits 1 if the server does not start, an answer is wrong, or wrk counts an error.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import REGISTRY, BenchFailure, Load, expect, free_port, prepare, server, wrk
from bench.common import fresh_database, source

GOAL_RATIO = 0.5
GOAL_WEIGHT = 60 * 1024
GOAL_VERIFY_MS = 50.0
CHROMIUM = "/usr/bin/chromium"
LINKED = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/[^"]+)"')


@dataclass
class Weight:
    page: str
    html: int
    files: dict[str, int]

    @property
    def total(self) -> int:
        return self.html + sum(self.files.values())


def weigh(base: str, path: str) -> Weight:
    """The bytes a first visit to `path` loads: its HTML and the files it links."""
    page = httpx.get(f"{base}{path}")
    if page.status_code != 200:
        raise BenchFailure(f"{path}: {page.status_code}")
    files = {}
    for linked in dict.fromkeys(LINKED.findall(page.text)):
        got = httpx.get(f"{base}{linked}")
        if got.status_code != 200:
            raise BenchFailure(f"{linked} (linked from {path}): {got.status_code}")
        files[linked] = len(got.content)
    return Weight(path, len(page.content), files)


def in_page_verification(base: str, token: str, times: int) -> list[float]:
    """Milliseconds of each verification by the token page's script, keys and list cached."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            page.goto(f"{base}/v#{token}")
            page.wait_for_selector("[data-result]:not([data-result=''])")
            shown = page.get_attribute("[data-result]", "data-result")
            if shown != "valid":
                raise BenchFailure(f"the token page says {shown!r} of a valid token")
            timings = page.evaluate(
                """async ([token, times]) => {
                    const spent = [];
                    for (let i = 0; i < times; i++) {
                        const started = performance.now();
                        const result = await window.citVerify(token);
                        spent.push(performance.now() - started);
                        if (result.result !== "valid") throw new Error(JSON.stringify(result));
                    }
                    return spent;
                }""",
                [token, times],
            )
        finally:
            browser.close()
    return [float(t) for t in timings]


@dataclass
class Result:
    json: Load
    page: Load
    weights: list[Weight]
    verify_ms: list[float]

    @property
    def ratio(self) -> float:
        return self.page.rate / self.json.rate


def run(backend: str, args: argparse.Namespace) -> Result:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-")))
        url = stack.enter_context(fresh_database(backend))
        started = time.perf_counter()
        prepared = prepare(url, tmp / "keys", args.scale, 0)
        print(f"{backend}: {len(prepared.numbers):,} certificates; set up in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        numbers = tmp / "numbers.txt"
        numbers.write_text("\n".join(prepared.numbers) + "\n")
        port = free_port()
        env = {
            **os.environ,
            "REGISTRY_DATABASE": url,
            "REGISTRY_KEY_DIR": str(tmp / "keys"),
            "REGISTRY_ISSUER": f"http://127.0.0.1:{port}",
        }
        argv = [REGISTRY, "serve", "--port", str(port), "--workers", "1"]
        base = stack.enter_context(server("registry serve", argv, env, tmp / "serve.log", port))

        # Both answers checked once before they are measured.
        number = prepared.in_force
        if expect(httpx.get(f"{base}/v1/certifications/{number}"), 200, "JSON")["status"] != (
            "in_force"
        ):
            raise BenchFailure(f"{number} is not in force")
        shown = httpx.get(f"{base}/verify", params={"q": number})
        if shown.status_code != 200 or "In force" not in shown.text:
            raise BenchFailure(f"/verify?q={number}: {shown.status_code} {shown.text[:300]}")

        loads = {
            "json": ["get", "/v1/certifications/", str(numbers)],
            "page": ["get", "/verify?q=", str(numbers)],
        }
        measure = (args.threads, args.connections)
        for lua_args in loads.values():
            wrk(base, lua_args, *measure, args.warmup)
        best: dict[str, Load] = {}
        for _ in range(args.rounds):
            for what, lua_args in loads.items():
                load = wrk(base, lua_args, *measure, args.duration)
                if load.errors:
                    raise BenchFailure(f"{what}: {load.errors} errors in {load.requests}")
                if what not in best or load.rate > best[what].rate:
                    best[what] = load

        weights = [weigh(base, path) for path in ("/", f"/verify?q={number}", "/v")]
        state = {"Authorization": f"Bearer {prepared.state_key}"}
        token = expect(
            httpx.get(f"{base}/v1/certifications/{number}/token", headers=state), 200, "token"
        )["token"]
        verify_ms = in_page_verification(base, token, args.verifications)
        return Result(best["json"], best["page"], weights, verify_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=0.2, help="of the synthetic state")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of each warm-up")
    parser.add_argument("--rounds", type=int, default=1, help="measured rounds; best kept")
    parser.add_argument("--verifications", type=int, default=50, help="timed in the page")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s (warm-up "
          f"{args.warmup:g}s), {args.rounds} round(s), 1 uvicorn worker, {os.cpu_count()} cores",
          flush=True)  # fmt: skip
    print(f"source: {source()}", flush=True)
    results: dict[str, Result] = {}
    try:
        for backend in backends:
            results[backend] = run(backend, args)
    except BenchFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print()
    print(f"{'back end':9} {'request':26} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for backend, result in results.items():
        for what, load in (("GET /v1/certifications/N", result.json),
                           ("GET /verify?q=N", result.page)):  # fmt: skip
            print(f"{backend:9} {what:26} {load.rate:>8,.0f} {load.p50_ms:>7.2f} "
                  f"{load.p99_ms:>7.2f}")  # fmt: skip
        verdict = "met" if result.ratio >= GOAL_RATIO else "NOT met"
        print(f"{backend}: the page at {result.ratio:.2f} x the JSON look-up "
              f"(goal {GOAL_RATIO}): {verdict}")  # fmt: skip
    print()
    first = next(iter(results.values()))
    for weight in first.weights:
        parts = ", ".join(f"{name} {size:,}" for name, size in weight.files.items())
        print(f"{weight.page}: {weight.total:,} bytes (HTML {weight.html:,}; {parts})")
    home = first.weights[0].total
    print(f"the verification page weighs {home / 1024:.1f} KB (goal at most "
          f"{GOAL_WEIGHT // 1024} KB): {'met' if home <= GOAL_WEIGHT else 'NOT met'}")  # fmt: skip
    for backend, result in results.items():
        median = statistics.median(result.verify_ms)
        p95 = statistics.quantiles(result.verify_ms, n=20, method="inclusive")[18]
        print(f"{backend}: in-page token verification, {len(result.verify_ms)} runs: median "
              f"{median:.2f} ms, p95 {p95:.2f} ms (goal under {GOAL_VERIFY_MS:g} ms): "
              f"{'met' if median < GOAL_VERIFY_MS else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tamper-evident history benchmarks: the Merkle tree's append rate, its proofs, `audit verify`.

    python bench/audit.py [--backend sqlite|postgres|both] [--quick] [--events 1000000]
                          [--big 10000000] [--proofs 1000] [--scale 1.0] [--batch-size 5000]
                          [--rounds 2] [--fine-batch 100] [--profile] [--folder DIR]

For each back end, in the same run:

1. **Leaf append rate.** A fresh database with a log of `--events` stored events: the
   events of the synthetic state (bench/synthetic.py, `--scale`) copied again and again
   through `app.recorder.insert_events` (the states byte for byte, each copy under other
   aggregate ids: the id XOR the copy's number), so every leaf encodes a real event.
   Timed: the tree projection catching up over the whole log from an empty tree
   (`Runner(app, batch_size=...).catch_up(only=runner.tree)`, no checkpoints), against
   the bare SHA-256 (hashlib, 0x00 prefix) of the same leaves' bytes: "bare hash" times
   only the hashing of precomputed leaf bytes, "bare encode+hash" adds `leaf_bytes`.
   Reading the rows is timed apart and counted in neither. Bare pass and projection
   alternate (`--rounds` projections between `--rounds` + 1 bare passes); the best of
   each is kept.
2. **Proofs.** `tree.inclusion_proof` and `tree.consistency_proof` from the stored tree,
   `--proofs` random (index, size) and (first, second) pairs each, p50 and p99: on the
   tree the projection built (`--events` leaves), and on a tree of `--big` leaves written
   straight into audit_leaves and audit_nodes by the projection's own path for nodes
   (`merkle.Frontier.append`, then `store.insert_many`, 250,000 leaves per transaction)
   from synthetic leaf hashes (SHA-256 of 0x00 and the leaf index). Every proof is
   checked, timed apart, with `merkle.verify_inclusion` / `verify_consistency` against
   roots computed apart in memory (from the recomputed leaf hashes), so a wrong proof
   fails the run. The size of the tree tables on disk is given for both.
3. **`registry audit verify`.** On the synthetic state (`--scale`), with a checkpoint key
   published first: the read models rebuilt (`rebuild(app)`, the bare baseline), the
   tree projected with a signed checkpoint after each batch (`Signing(app, runner)`, as
   the server wires it), then `verify_log` over the whole log with the log's published
   keys, as `registry audit verify` calls it. Rebuild and verify alternate `--rounds`
   times; the best of each is kept. Before that, once: the tree projected in batches of
   `--fine-batch` events (a live server signs after each small batch, so its log
   carries many more checkpoints) and verified, which gives the cost of each more
   checkpoint, to make and to verify.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_database, source
from bench.synthetic import generate
from registry.application import Registry
from registry.audit import checkpoints, merkle, tree
from registry.audit.check import verify_log
from registry.audit.leaf import leaf_bytes
from registry.audit.note import parse_verifier_key
from registry.config import Settings
from registry.projections import store
from registry.projections.library import read_window
from registry.projections.rebuild import rebuild
from registry.projections.runner import BATCH_SIZE, Runner, no_gc_pauses
from registry.signing.keys import KeyStore
from registry.signing.service import Signing
from registry.storage import persistence_env

TODAY = date(2026, 11, 26)
#: Stored events per `insert_events` call (PostgreSQL saves hang above ~9,000 of them).
INSERT_BATCH = {"sqlite": 10_000, "postgres": 2_000}
#: Leaves per transaction when the big tree is written straight into the tables.
FILL_CHUNK = 250_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def registry(url: str, keys: Path) -> Registry:
    return Registry(Settings(database=url, key_dir=str(keys)), clock=lambda: TODAY)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[98]


# ------------------------------------------------------------------ sizes on disk


def tree_bytes(url: str) -> int:
    """Bytes on disk of audit_leaves and audit_nodes, their indexes included."""
    env = persistence_env(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as conn:
            rows = conn.execute(
                "SELECT SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name "
                "WHERE m.tbl_name IN ('audit_leaves', 'audit_nodes')"
            ).fetchone()
        return int(rows[0] or 0)
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
    ) as conn:
        row = conn.execute(
            "SELECT pg_total_relation_size('audit_leaves') + pg_total_relation_size('audit_nodes')"
        ).fetchone()
    return int(row[0]) if row else 0


# ------------------------------------------------------------------ 3. audit verify


def reset_tree(views: store.Views) -> None:
    """Forget the tree, its checkpoints and its tracked position (a scratch database)."""
    tracking = "tracking" if views.dialect == "sqlite" else views.tracking_table_name
    with views.transaction() as cursor:
        for table in ("audit_leaves", "audit_nodes", "audit_checkpoints"):
            # TRUNCATE on PostgreSQL: no dead rows left in the way of the next projection.
            cursor.execute(f"{'DELETE FROM' if views.dialect == 'sqlite' else 'TRUNCATE'} {table}")
        store.execute(
            views, cursor, f"DELETE FROM {tracking} WHERE application_name = ?", (tree.NAME,)
        )


def verify_against_rebuild(url: str, keys: Path, rounds: int, fine_batch: int) -> dict[str, Any]:
    app = registry(url, keys)
    try:
        runner = Runner(app)
        signing = Signing(app, runner, keys=KeyStore(keys))
        signing.signer("checkpoint")  # published first: every step below sees the same log
        head = app.position()
        verifiers = [parse_verifier_key(text) for text in signing.log_keys()]
        origin = app.settings.origin()

        def project(batch_size: int) -> tuple[float, int]:
            """The tree from the first event, a signed checkpoint after each batch."""
            reset_tree(runner.views)
            runner.batch_size = batch_size
            started = time.perf_counter()
            runner.catch_up(only=runner.tree)
            seconds = time.perf_counter() - started
            kept = checkpoints.kept(runner.views)
            assert kept[-1].size == head == tree.size(runner.views), (kept[-1].size, head)
            return seconds, len(kept)

        def verify(kept: int) -> float:
            started = time.perf_counter()
            report = verify_log(app.recorder, runner.views, verifiers, origin, head=head)
            seconds = time.perf_counter() - started
            if not report.ok or report.leaves != head or report.checkpoints != kept:
                raise AssertionError(f"verify_log did not pass: {report}")
            return seconds

        fine_s, fine_kept = project(fine_batch)
        fine_verify_s = verify(fine_kept)
        log(
            f"  batches of {fine_batch}: tree + {fine_kept:,} checkpoints {fine_s:.2f} s, "
            f"verify {fine_verify_s:.2f} s"
        )
        tree_s, kept = project(BATCH_SIZE)
        rebuilds: list[float] = []
        verifies: list[float] = []
        for n in range(rounds):
            started = time.perf_counter()
            count = rebuild(app)
            rebuilds.append(time.perf_counter() - started)
            assert count == head, (count, head)
            verifies.append(verify(kept))
            log(f"  round {n + 1}: rebuild {rebuilds[-1]:.2f} s, verify {verifies[-1]:.2f} s")
    finally:
        app.close()
    return {
        "state_events": head,
        "checkpoints": kept,
        "tree_signed_s": tree_s,
        "rebuild_s": min(rebuilds),
        "verify_s": min(verifies),
        "rebuilds": rebuilds,
        "verifies": verifies,
        "fine_batch": fine_batch,
        "fine_checkpoints": fine_kept,
        "fine_tree_s": fine_s,
        "fine_verify_s": fine_verify_s,
    }


# ------------------------------------------------------------------ 1. the log of N events


def source_rows(url: str, keys: Path) -> list[tuple[int, int, str, bytes]]:
    """(aggregate id as an int, version, topic, state) of every event of a log."""
    app = registry(url, keys)
    try:
        rows = read_window(app.recorder, 0, app.position())
    finally:
        app.close()
    return [
        ((i if isinstance(i, UUID) else UUID(hex=i)).int, v, t, bytes(s)) for _, i, v, t, s in rows
    ]


def fill_log(
    app: Registry, source: list[tuple[int, int, str, bytes]], events: int, batch: int
) -> float:
    """Insert `events` stored events: `source` again and again, copy k under ids XOR k."""
    started = time.perf_counter()
    written = copy = 0
    while written < events:
        for start in range(0, len(source), batch):
            chunk = source[start : start + batch][: events - written]
            app.recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=UUID(int=ident ^ copy),
                        originator_version=version,
                        topic=topic,
                        state=state,
                    )
                    for ident, version, topic, state in chunk
                ]
            )
            written += len(chunk)
            if written >= events:
                break
        copy += 1
    assert app.position() == events, (app.position(), events)
    return time.perf_counter() - started


def bare_pass(app: Registry, window: int) -> tuple[float, float, float, list[bytes]]:
    """Read (untimed for the bare figures), encode and hash every event of the log.

    Returns seconds reading, encoding, hashing, and the leaf hashes.
    """
    head = app.position()
    read_s = encode_s = hash_s = 0.0
    hashes: list[bytes] = []
    sha256 = hashlib.sha256
    with no_gc_pauses():  # as the runner's windows do
        for start in range(0, head, window):
            t0 = time.perf_counter()
            rows = read_window(app.recorder, start, min(start + window, head))
            t1 = time.perf_counter()
            data = [leaf_bytes(*row) for row in rows]
            t2 = time.perf_counter()
            hashed = [sha256(b"\x00" + d).digest() for d in data]
            t3 = time.perf_counter()
            read_s += t1 - t0
            encode_s += t2 - t1
            hash_s += t3 - t2
            hashes += hashed
            del rows, data
    return read_s, encode_s, hash_s, hashes


def append_rate(app: Registry, batch_size: int, rounds: int, profile: bool) -> dict[str, Any]:
    """Bare pass, tree projection from the first event, `rounds` times; a last bare pass.
    The best of each is kept."""
    head = app.position()
    runner = Runner(app, batch_size=batch_size)
    assert runner.tree is not None
    passes = []
    trees: list[float] = []
    for n in range(rounds + 1):
        passes.append(bare_pass(app, batch_size))
        read_s, encode_s, hash_s, hashes = passes[-1]
        log(f"  bare pass {n + 1}: read {read_s:.2f} s, encode {encode_s:.2f} s, hash {hash_s:.2f}")
        if hashes != passes[0][3]:
            raise AssertionError("two passes over the same log gave other leaf hashes")
        passes[-1] = (read_s, encode_s, hash_s, passes[0][3])  # one list of hashes kept
        if n == rounds:
            break
        reset_tree(runner.views)
        profiler = cProfile.Profile() if profile and n == 0 else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        count = runner.catch_up(only=runner.tree)
        if profiler is not None:
            profiler.disable()
        trees.append(time.perf_counter() - started)
        assert count == head == tree.size(runner.views), (count, head)
        log(f"  tree projection {n + 1}: {trees[-1]:.2f} s")
        if profiler is not None:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
            print(text.getvalue(), file=sys.stderr)
    return {
        "log_events": head,
        "tree_s": min(trees),
        "trees": trees,
        "read_s": min(p[0] for p in passes),
        "encode_s": min(p[1] for p in passes),
        "hash_s": min(p[2] for p in passes),
        "encode_hash_s": min(p[1] + p[2] for p in passes),
        "views": runner.views,
        "hashes": passes[0][3],
    }


# ------------------------------------------------------------------ 2. proofs


def random_pairs(size: int, count: int, seed: int) -> tuple[list[tuple[int, int]], ...]:
    rng = random.Random(seed)
    inclusion = []
    for _ in range(count):
        n = rng.randint(1, size)
        inclusion.append((rng.randrange(n), n))
    consistency = []
    for _ in range(count):
        second = rng.randint(1, size)
        consistency.append((rng.randint(1, second), second))
    return inclusion, consistency


def wanted_sizes(inclusion: list[tuple[int, int]], consistency: list[tuple[int, int]]) -> set[int]:
    return {n for _, n in inclusion} | {n for pair in consistency for n in pair}


def roots_of(leaves: Callable[[int], bytes], size: int, wanted: set[int]) -> dict[int, bytes]:
    """The roots at `wanted` sizes, computed in memory from the leaf hashes alone."""
    frontier = merkle.Frontier()
    roots: dict[int, bytes] = {}
    for i in range(size):
        frontier.append(leaves(i))
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    return roots


def time_proofs(
    views: store.Views,
    leaf: Callable[[int], bytes],
    roots: dict[int, bytes],
    inclusion: list[tuple[int, int]],
    consistency: list[tuple[int, int]],
) -> dict[str, float]:
    """p50 and p99 ms of each kind of proof; each proof verified (timed apart)."""
    made: list[float] = []
    checked: list[float] = []
    lengths: list[int] = []
    for index, size in inclusion:
        t0 = time.perf_counter()
        proof = tree.inclusion_proof(views, index, size)
        t1 = time.perf_counter()
        merkle.verify_inclusion(index, size, leaf(index), proof, roots[size])
        t2 = time.perf_counter()
        made.append((t1 - t0) * 1000)
        checked.append((t2 - t1) * 1000)
        lengths.append(len(proof))
    c_made: list[float] = []
    c_checked: list[float] = []
    for first, second in consistency:
        t0 = time.perf_counter()
        proof = tree.consistency_proof(views, first, second)
        t1 = time.perf_counter()
        merkle.verify_consistency(first, second, roots[first], roots[second], proof)
        t2 = time.perf_counter()
        c_made.append((t1 - t0) * 1000)
        c_checked.append((t2 - t1) * 1000)
    i50, i99 = quantiles(made)
    c50, c99 = quantiles(c_made)
    return {
        "incl_p50": i50,
        "incl_p99": i99,
        "incl_verify_p50": statistics.median(checked),
        "incl_hashes": statistics.mean(lengths),
        "cons_p50": c50,
        "cons_p99": c99,
        "cons_verify_p50": statistics.median(c_checked),
    }


def synthetic_leaf(index: int) -> bytes:
    return merkle.leaf_hash(index.to_bytes(8, "big"))


def fill_tree(views: store.Views, size: int, wanted: set[int]) -> tuple[float, dict[int, bytes]]:
    """Write a tree of `size` synthetic leaves by the projection's path for nodes; return the
    seconds it took and the roots at the `wanted` sizes (from the in-memory frontier)."""
    tree.create_tables(views)
    frontier = merkle.Frontier()
    roots: dict[int, bytes] = {}
    started = time.perf_counter()
    for start in range(0, size, FILL_CHUNK):
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        append = frontier.append
        with no_gc_pauses():  # as the runner's windows do
            for i in range(start, min(start + FILL_CHUNK, size)):
                made = append(synthetic_leaf(i))
                leaves.append((i, i + 1, made[0][2]))
                nodes.extend(made[1:])
                if frontier.size in wanted:
                    roots[frontier.size] = frontier.root()
            with views.transaction() as cursor:
                store.insert_many(
                    views, cursor, "audit_leaves", ("idx", "position", "hash"), leaves
                )
                store.insert_many(views, cursor, "audit_nodes", ("level", "idx", "hash"), nodes)
        del leaves, nodes
        if (start // FILL_CHUNK) % 8 == 7:
            log(f"  {start + FILL_CHUNK:,} leaves written")
    return time.perf_counter() - started, roots


# ------------------------------------------------------------------ one back end


def run(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    keys = folder / f"keys-{backend}"
    out: dict[str, Any] = {}

    log(f"{backend}: synthetic state, scale {args.scale}; load average {load()}")
    with fresh_database(backend, folder) as url:
        summary = generate(url, scale=args.scale, today=TODAY, progress=False)
        log(f"  {summary.events:,} events in {summary.seconds:.1f} s; audit verify against rebuild")
        out.update(verify_against_rebuild(url, keys, args.rounds, args.fine_batch))
        source = source_rows(url, keys)

    with fresh_database(backend, folder) as url:
        app = registry(url, keys)
        try:
            log(f"{backend}: a log of {args.events:,} events from {len(source):,} real ones")
            out["insert_s"] = fill_log(app, source, args.events, INSERT_BATCH[backend])
            del source
            log(f"  inserted in {out['insert_s']:.1f} s; tree projection and bare hashing")
            result = append_rate(app, args.batch_size, args.rounds, args.profile)
            views = result.pop("views")
            hashes = result.pop("hashes")
            out.update(result)
            n = result["log_events"]
            inclusion, consistency = random_pairs(n, args.proofs, seed=11)
            roots = roots_of(hashes.__getitem__, n, wanted_sizes(inclusion, consistency) | {n})
            if roots[n] != tree.root(views, n):
                raise AssertionError("the projected tree's root is not the root of the log")
            log(f"  proofs at {n:,} leaves")
            out["proofs_n"] = time_proofs(views, hashes.__getitem__, roots, inclusion, consistency)
            out["tree_bytes_n"] = tree_bytes(url)
            del hashes
        finally:
            app.close()

    with fresh_database(backend, folder) as url:
        app = registry(url, keys)
        try:
            views = store.open_views(app)
            big = args.big
            inclusion, consistency = random_pairs(big, args.proofs, seed=13)
            log(f"{backend}: a tree of {big:,} synthetic leaves written straight into the tables")
            out["fill_s"], roots = fill_tree(views, big, wanted_sizes(inclusion, consistency))
            log(f"  written in {out['fill_s']:.1f} s; proofs at {big:,} leaves")
            assert tree.size(views) == big
            out["proofs_big"] = time_proofs(views, synthetic_leaf, roots, inclusion, consistency)
            out["tree_bytes_big"] = tree_bytes(url)
        finally:
            app.close()
    log(f"{backend}: done; load average {load()}")
    return out


# ------------------------------------------------------------------ the table


def rows_of(r: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, str]]:
    n, big = r["log_events"], args.big
    tree_rate = n / r["tree_s"]
    hash_rate = n / r["hash_s"]
    encode_hash_rate = n / r["encode_hash_s"]
    pn, pb = r["proofs_n"], r["proofs_big"]
    more = r["fine_checkpoints"] - r["checkpoints"]
    per_make = (r["fine_tree_s"] - r["tree_signed_s"]) / more * 1000
    per_verify = (r["fine_verify_s"] - r["verify_s"]) / more * 1000
    return [
        (f"log: {n:,} events inserted (insert_events)", f"{r['insert_s']:.1f} s"),
        ("tree projection, events/s", f"{tree_rate:,.0f} ({r['tree_s']:.1f} s)"),
        ("bare SHA-256 of leaf bytes, events/s", f"{hash_rate:,.0f} ({r['hash_s']:.2f} s)"),
        (
            "bare leaf_bytes + SHA-256, events/s",
            f"{encode_hash_rate:,.0f} ({r['encode_hash_s']:.2f} s)",
        ),
        ("  of which leaf_bytes alone", f"{r['encode_s']:.2f} s"),
        (
            "reading the rows (read_window), apart",
            f"{n / r['read_s']:,.0f}/s ({r['read_s']:.2f} s)",
        ),
        ("ratio tree / bare hash", f"{tree_rate / hash_rate:.3f}"),
        ("ratio tree / bare encode+hash", f"{tree_rate / encode_hash_rate:.3f}"),
        (f"inclusion proof at {n:,}, p50 / p99 ms", f"{pn['incl_p50']:.3f} / {pn['incl_p99']:.3f}"),
        (
            f"consistency proof at {n:,}, p50 / p99 ms",
            f"{pn['cons_p50']:.3f} / {pn['cons_p99']:.3f}",
        ),
        (f"tree tables at {n:,} leaves", f"{r['tree_bytes_n'] / 1e6:,.0f} MB"),
        (
            f"tree of {big:,} written directly, leaves/s",
            f"{big / r['fill_s']:,.0f} ({r['fill_s']:.1f} s)",
        ),
        (
            f"inclusion proof at {big:,}, p50 / p99 ms",
            f"{pb['incl_p50']:.3f} / {pb['incl_p99']:.3f}",
        ),
        (
            f"consistency proof at {big:,}, p50 / p99 ms",
            f"{pb['cons_p50']:.3f} / {pb['cons_p99']:.3f}",
        ),
        (
            "verify one proof (in memory), p50 ms incl / cons",
            f"{pb['incl_verify_p50']:.3f} / {pb['cons_verify_p50']:.3f}",
        ),
        (f"tree tables at {big:,} leaves", f"{r['tree_bytes_big'] / 1e6:,.0f} MB"),
        (
            f"state: {r['state_events']:,} events, tree + {r['checkpoints']} signed checkpoints",
            f"{r['tree_signed_s']:.2f} s",
        ),
        ("rebuild of the read models (bare)", f"{r['rebuild_s']:.2f} s"),
        ("registry audit verify (verify_log)", f"{r['verify_s']:.2f} s"),
        ("ratio verify / rebuild time", f"{r['verify_s'] / r['rebuild_s']:.2f}"),
        (
            f"tree + {r['fine_checkpoints']:,} checkpoints (batches of {r['fine_batch']})",
            f"{r['fine_tree_s']:.2f} s",
        ),
        (f"audit verify with {r['fine_checkpoints']:,} checkpoints", f"{r['fine_verify_s']:.2f} s"),
        ("  each more batch+checkpoint: make / verify, ms", f"{per_make:.2f} / {per_verify:.3f}"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--events", type=int, help="events in the log (default 1,000,000)")
    parser.add_argument("--big", type=int, help="leaves of the big tree (default 10,000,000)")
    parser.add_argument("--proofs", type=int, help="proofs of each kind (default 1,000)")
    parser.add_argument("--scale", type=float, help="of the synthetic state (default 1.0)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="runner window")
    parser.add_argument(
        "--rounds", type=int, default=2, help="of the tree projection, and of rebuild and verify"
    )
    parser.add_argument(
        "--fine-batch",
        type=int,
        default=100,
        help="events per checkpoint, the many-checkpoint case",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the tree projection")
    parser.add_argument(
        "--folder", type=Path, help="for SQLite files and keys (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    defaults = (
        {"events": 50_000, "big": 300_000, "proofs": 200, "scale": 0.05}
        if args.quick
        else {"events": 1_000_000, "big": 10_000_000, "proofs": 1000, "scale": 1.0}
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"code: {source()}; python {sys.version.split()[0]}; {os.cpu_count()} cores")

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_audit_", dir=args.folder) as tmp:
        for backend in backends:
            results[backend] = run(backend, args, Path(tmp))
    tables = {b: rows_of(r, args) for b, r in results.items()}
    labels = [label for label, _ in next(iter(tables.values()))]
    width = max(len(label) for label in labels)
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    print(f"{'':{width}}  " + "  ".join(f"{names[b]:>26}" for b in tables))
    for i, label in enumerate(labels):
        print(f"{label:{width}}  " + "  ".join(f"{tables[b][i][1]:>26}" for b in tables))
    for backend, r in results.items():
        rounds = ", ".join(
            f"{a:.2f}/{b:.2f}" for a, b in zip(r["rebuilds"], r["verifies"], strict=True)
        )
        print(f"{names[backend]}: rebuild/verify seconds by round: {rounds}")
        trees = ", ".join(f"{t:.2f}" for t in r["trees"])
        print(f"{names[backend]}: tree projection seconds by round: {trees}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the benchmarks share: a fresh database on either back end, and where the code
measured comes from."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get(
    "REGISTRY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database(backend: str, folder: Path | None = None) -> Iterator[str]:
    """An empty database, removed afterwards: a SQLite file (in `folder`, else in a
    temporary folder), or a new PostgreSQL database."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            yield f"sqlite:///{scratch}/{name}.db"
        return
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def source() -> str:
    """Where the code measured comes from: this tree, its commit and whether `registry/`
    has changes not committed (figures should be of committed code)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"{ROOT} (not a git checkout)"
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "registry"], capture_output=True, text=True
    ).stdout.strip()
    return f"{ROOT} at {head.stdout.strip()}" + (
        ", with changes not committed in registry/" if dirty else ""
    )

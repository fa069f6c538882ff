"""The database's schema made by one process at a time.

eventsourcing makes its tables and functions whenever an application opens its
database (`CREATE TABLE IF NOT EXISTS`, `CREATE OR REPLACE FUNCTION`), and the read
models and the Merkle tree make theirs beside them. On PostgreSQL, two processes
replacing one function at the same moment fail with `tuple concurrently updated`:
found when the workers of `registry serve --workers 4` started together on a fresh
database. Whoever makes the schema holds `schema_lock` while it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from registry.storage import persistence_env

#: The PostgreSQL advisory lock (a session lock, on its own connection) held while the
#: schema is made.
LOCK = "registry:schema"
#: Seconds to wait for the lock's connection.
CONNECT_TIMEOUT = 5


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Hold the schema lock of the database at `url` for the block: one process at a time
    makes the schema there. On SQLite (whose writers are serialised by the file's own
    lock) and in memory, nothing to hold."""
    env = persistence_env(url)
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        yield
        return
    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=CONNECT_TIMEOUT,
        autocommit=True,
    ) as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK,))
        try:
            yield
        finally:
            if not connection.closed:
                connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK,))

"""Where the read models live: tables beside the log, written with the tracked position.

The store is one of eventsourcing's tracking recorders (SQLite or PostgreSQL),
extended with the read-model tables. A batch of rows and the position it
brings the projection to are written in one transaction, and the position is
advanced only from the value the batch was read at (compare-and-set), so a
batch is applied exactly once even when two runners race.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import retry

from registry.application import Registry
from registry.schema import schema_lock

#: The tracking name of the projection that fills these tables.
NAME = "read_models"
#: Change it whenever a table below changes shape, or what its rows say for the same log
#: (5: deceased holders, CE hours without the qualifying course): the read models are then
#: rebuilt.
SCHEMA_VERSION = "5"

#: The read-model tables. `{serial}` and `{float}` are filled in per dialect.
TABLES = {
    "rm_agencies": """
        CREATE TABLE IF NOT EXISTS rm_agencies (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            districts TEXT NOT NULL,
            shifts TEXT NOT NULL,
            in_house_course INTEGER NOT NULL,
            registered_on TEXT NOT NULL
        )""",
    "rm_officers": """
        CREATE TABLE IF NOT EXISTS rm_officers (
            officer_id TEXT PRIMARY KEY,
            post_number TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            agency_code TEXT,
            district TEXT,
            shift TEXT,
            post_status TEXT,
            withheld INTEGER NOT NULL,
            version INTEGER NOT NULL
        )""",
    "rm_certificates": """
        CREATE TABLE IF NOT EXISTS rm_certificates (
            number TEXT PRIMARY KEY,
            officer_id TEXT NOT NULL,
            credential TEXT NOT NULL,
            issued_on TEXT,
            expires_on TEXT,
            cycle_start TEXT,
            ce_hours {float} NOT NULL,
            mandated INTEGER NOT NULL,
            timeline TEXT NOT NULL,
            expiry_noted TEXT,
            status_idx INTEGER NOT NULL
        )""",
    "rm_placements": """
        CREATE TABLE IF NOT EXISTS rm_placements (
            officer_id TEXT NOT NULL,
            from_on TEXT NOT NULL,
            until_on TEXT,
            agency_code TEXT NOT NULL,
            district TEXT,
            shift TEXT,
            PRIMARY KEY (officer_id, from_on)
        )""",
    "rm_status_index": """
        CREATE TABLE IF NOT EXISTS rm_status_index (
            number TEXT PRIMARY KEY,
            idx INTEGER NOT NULL UNIQUE
        )""",
    "rm_timeline": """
        CREATE TABLE IF NOT EXISTS rm_timeline (
            position BIGINT PRIMARY KEY,
            officer_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            event TEXT NOT NULL,
            effective_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            actor_role TEXT NOT NULL,
            details TEXT NOT NULL
        )""",
    "rm_meta": """
        CREATE TABLE IF NOT EXISTS rm_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    "rm_changes": """
        CREATE TABLE IF NOT EXISTS rm_changes (
            seq {serial},
            position BIGINT,
            agency_code TEXT,
            certificate_number TEXT NOT NULL,
            officer_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            effective_on TEXT NOT NULL,
            recorded_at TEXT,
            detail TEXT NOT NULL
        )""",
}
#: The timeline's separations and corrections (which may void one), as a partial index has
#: them and a query must ask for them to be read from it.
SEPARATIONS = "event IN ('Separated', 'Corrected')"
#: Indexes only the queries use: a rebuild drops them and builds them once at the end.
QUERY_INDEXES = {
    "rm_officers_agency": "CREATE INDEX IF NOT EXISTS rm_officers_agency "
    "ON rm_officers (agency_code)",
    "rm_certificates_officer": "CREATE INDEX IF NOT EXISTS rm_certificates_officer "
    "ON rm_certificates (officer_id)",
    # By end before start: a placement in force on a recent day is found among those not
    # ended by then, not among every placement the agency ever had.
    "rm_placements_agency": "CREATE INDEX IF NOT EXISTS rm_placements_agency "
    "ON rm_placements (agency_code, until_on, from_on)",
    # The statewide coverage reads every placement in force on a day: those not yet ended.
    "rm_placements_current": "CREATE INDEX IF NOT EXISTS rm_placements_current "
    "ON rm_placements (until_on, from_on)",
    "rm_timeline_officer": "CREATE INDEX IF NOT EXISTS rm_timeline_officer "
    "ON rm_timeline (officer_id, position)",
    # The late separations page reads every separation and correction from this alone.
    "rm_timeline_separations": "CREATE INDEX IF NOT EXISTS rm_timeline_separations "
    "ON rm_timeline (event, officer_id, version, effective_on, recorded_at, position) "
    f"WHERE {SEPARATIONS}",
    "rm_changes_agency": "CREATE INDEX IF NOT EXISTS rm_changes_agency "
    "ON rm_changes (agency_code, seq)",
    "rm_changes_certificate": "CREATE INDEX IF NOT EXISTS rm_changes_certificate "
    "ON rm_changes (certificate_number, kind)",
}
INDEXES = [
    *QUERY_INDEXES.values(),
    "CREATE UNIQUE INDEX IF NOT EXISTS rm_changes_once ON rm_changes "
    "(position, certificate_number, kind, agency_code)",
]


class StalePosition(Exception):
    """Another runner moved the projection on since this batch was read."""


class SQLiteViews(SQLiteTrackingRecorder):
    dialect = "sqlite"
    types = {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL"}

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Any]:
        """A transaction, committed on the way out. Not `durable`: its commit is not synced
        to disk (`synchronous = NORMAL` while it runs), so it stands if any process of the
        registry is killed but may be lost if the machine fails first (see `Views`)."""
        if durable:
            with self.datastore.transaction(commit=True) as cursor:
                yield cursor
            return
        with self.datastore.get_connection(commit=True) as connection:
            setting = connection.cursor()
            setting.execute("PRAGMA synchronous")
            was = int(setting.fetchone()[0])
            setting.execute("PRAGMA synchronous = NORMAL")
            try:
                with connection.transaction(commit=True) as cursor:
                    yield cursor
            finally:
                setting.execute(f"PRAGMA synchronous = {was}")

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for one statement on its own (the connection is in autocommit)."""
        with (
            self.datastore.get_connection(commit=False) as connection,
            connection.cursor() as cursor,
        ):
            yield cursor

    def lock(self, cursor: Any, name: str) -> None:
        """Take SQLite's write lock before reading the position, waiting for other writers.

        The transaction began deferred; writing first (a no-op update) makes it a
        writer now, so the position read next is the latest committed one.
        """
        cursor.execute(
            "UPDATE tracking SET notification_id = notification_id WHERE application_name = ?",
            (name,),
        )

    @staticmethod
    def sql(statement: str) -> str:
        return statement


class PostgresViews(PostgresTrackingRecorder):
    dialect = "postgres"
    types = {"serial": "BIGSERIAL PRIMARY KEY", "float": "DOUBLE PRECISION"}

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Any]:
        """A transaction, committed on the way out. Not `durable`: committed without waiting
        for the server to flush it (`synchronous_commit = off`) and sent in one pipeline,
        so it stands if any client process is killed but may be lost if the database
        server fails first (see `Views`)."""
        if durable:
            with self.datastore.transaction(commit=True) as cursor:
                yield cursor
            return
        with (
            self.datastore.get_connection() as connection,
            connection.pipeline(),
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL synchronous_commit = off")
            yield cursor

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for one statement on its own (the pool's connections are in autocommit)."""
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            yield cursor

    def lock(self, cursor: Any, name: str) -> None:
        """Serialise the writers of one projection for the rest of the transaction."""
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"registry:{name}",))

    @staticmethod
    def sql(statement: str) -> str:
        return statement.replace("?", "%s")


#: The read models' store on either back end. `transaction(durable=False)` is for
#: bookkeeping whose loss costs only a repeat (a webhook delivery's lease and outcome: a
#: delivery whose outcome is lost is sent again under the same webhook-id), never for what
#: the registry must keep: it survives the kill of any process but not a crash of the
#: database's machine in the moment after its commit.
Views = SQLiteViews | PostgresViews


def open_views(app: Registry) -> Views:
    """The read-model store in the same database as the application's log.

    Read models can always be rebuilt from the log, so tables of an older shape are
    dropped (with the positions of the projections that filled them) and made anew.
    """
    module = app.env.get("PERSISTENCE_MODULE", "")
    if module == "eventsourcing.postgres":
        views: Views = app.factory.tracking_recorder(PostgresViews)
    elif module == "eventsourcing.sqlite":
        views = app.factory.tracking_recorder(SQLiteViews)
    else:
        raise TypeError(f"read models need SQLite or PostgreSQL, not {module or 'memory'}")
    with views.transaction() as cursor:
        cursor.execute(TABLES["rm_meta"])
        cursor.execute("SELECT value FROM rm_meta WHERE key = 'schema'")
        row = cursor.fetchone()
    if row is None or dict(row)["value"] != SCHEMA_VERSION:
        _recreate(views)
    else:
        create_query_indexes(views)  # in case a rebuild stopped before it built them again
    return views


def _recreate(views: Views) -> None:
    """Drop the read-model tables, create them in their current shape, forget the position."""
    tracking = "tracking" if views.dialect == "sqlite" else views.tracking_table_name
    with views.transaction() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in TABLES.values():
            cursor.execute(statement.format(**views.types))
        for statement in INDEXES:
            cursor.execute(statement)
        cursor.execute(views.sql(f"DELETE FROM {tracking} WHERE application_name = ?"), (NAME,))
        cursor.execute(views.sql("INSERT INTO rm_meta VALUES ('schema', ?)"), (SCHEMA_VERSION,))


def drop_query_indexes(views: Views) -> None:
    """Drop the indexes only queries use (a rebuild fills the tables faster without them)."""
    with views.transaction() as cursor:
        for name in QUERY_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def create_query_indexes(views: Views) -> None:
    """Build the indexes only queries use that are missing (nothing, usually).

    Which exist is read first: CREATE INDEX IF NOT EXISTS would lock each table
    even when the index is there, in the way of a runner writing.
    """
    if views.dialect == "sqlite":
        lookup = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        lookup = "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
    existing = {row["name"] for row in query(views, lookup)}
    missing = [statement for name, statement in QUERY_INDEXES.items() if name not in existing]
    if missing:
        with views.transaction() as cursor:
            for statement in missing:
                cursor.execute(statement)


def analyze(views: Views) -> None:
    """Give PostgreSQL's planner statistics of the read models after a large fill.

    A server with autovacuum on would gather them in its own time; until then (or never,
    where it is off) the planner guesses, and guessed plans for the coverage and roster
    queries ran several times slower. SQLite's plans are kept as they are (it has no
    statistics unless asked, and its queries are written for that).
    """
    if views.dialect == "postgres":
        with views.transaction() as cursor:
            cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def execute(views: Views, cursor: Any, statement: str, params: Sequence[Any] = ()) -> None:
    cursor.execute(views.sql(statement), tuple(params))


def execute_many(views: Views, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        cursor.executemany(views.sql(statement), [tuple(r) for r in rows])


def marks(values: Sequence[Any]) -> str:
    """One `?` per value, comma-separated: the placeholders of an `IN (...)` or `VALUES (...)`."""
    return ", ".join("?" * len(values))


def insert_many(
    views: Views, cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert plain rows (no conflict clause): one COPY on PostgreSQL, one executemany on SQLite.

    psycopg's executemany costs a pipelined statement per row; COPY streams them.
    """
    if not rows:
        return
    names = ", ".join(columns)
    if views.dialect == "postgres":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks(columns)})", rows)


def fetch(
    views: Views, cursor: Any, statement: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Rows as dicts, read inside the caller's transaction (so its own writes are seen)."""
    cursor.execute(views.sql(statement), tuple(params))
    return [dict(row) for row in cursor.fetchall()]


@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.1)
def query(views: Views, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts, read by one statement on its own: in autocommit a statement sees one
    committed state, so no BEGIN and ROLLBACK around it (on PostgreSQL, a third of the
    round trips; a certificate look-up is 3 to 4 times cheaper).

    Retried as eventsourcing retries its own reads: a pooled connection the server dropped
    (a restart, a failover) fails once and is discarded, and the next attempt gets another.
    """
    with views.reading() as cursor:
        cursor.execute(views.sql(statement), tuple(params))
        rows = cursor.fetchall()
    return [dict(row) for row in rows]


def position(views: Views, name: str) -> int:
    """The log position a projection has applied (0 before the first batch)."""
    return views.max_tracking_id(name) or 0


def claim(views: Views, cursor: Any, name: str, read_at: int) -> None:
    """Start writing a batch read at `read_at`: refuse it if the projection moved on since.

    The writers of one projection queue here for the rest of their transaction
    (an advisory lock on PostgreSQL, the write lock on SQLite).
    """
    views.lock(cursor, name)
    current = views._max_tracking_id(name, cursor) or 0
    if current != read_at:
        raise StalePosition(f"{name} is at {current}, the batch was read at {read_at}")


def record(views: Views, cursor: Any, name: str, to: int) -> None:
    """Record, in the batch's transaction, that `name` has applied the log up to `to`."""
    views._insert_tracking(cursor, Tracking(name, to))


def drop(views: Views, name: str) -> None:
    """Empty every read model and forget the projection's position."""
    with views.transaction() as cursor:
        for table in TABLES:
            cursor.execute(
                f"DELETE FROM {table}" + (" WHERE key <> 'schema'" if table == "rm_meta" else "")
            )
        tracking = "tracking" if views.dialect == "sqlite" else views.tracking_table_name
        cursor.execute(views.sql(f"DELETE FROM {tracking} WHERE application_name = ?"), (name,))


def open_side_tables(
    app: Registry, views: Views | None, tables: dict[str, str], indexes: Sequence[str], *, what: str
) -> Views:
    """A store of tables kept beside the log that are not read models (the staff accounts'
    credentials, the webhooks' outbox): in `app`'s database, through `views` if the caller
    has the read models' store open, with `tables` and `indexes` made if any is missing
    (under the schema lock; looked up first, as CREATE TABLE IF NOT EXISTS takes locks)."""
    if views is None:
        module = app.env.get("PERSISTENCE_MODULE", "")
        if module == "eventsourcing.postgres":
            views = app.factory.tracking_recorder(PostgresViews)
        elif module == "eventsourcing.sqlite":
            views = app.factory.tracking_recorder(SQLiteViews)
        else:
            raise TypeError(f"{what} need SQLite or PostgreSQL, not {module or 'memory'}")
    if views.dialect == "sqlite":
        lookup = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        lookup = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    if set(tables) - {row["name"] for row in query(views, lookup)}:
        with schema_lock(app.settings.database), views.transaction() as cursor:
            for statement in tables.values():
                cursor.execute(statement.format(**views.types))
            for statement in indexes:
                cursor.execute(statement)
    return views

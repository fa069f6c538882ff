"""Writing the synthetic log in the order its events were recorded.

Careers are generated one officer at a time, but a registry in use receives the events
of all its officers day by day, interleaved. The generator saves each batch of officers
into a staging table (the library's own recorder and table layout), and at the end
copies every event into the log ordered by the moment it was recorded, so the log's
positions follow the recording times as they would in a registry used for ten years.
The database sorts, not memory, so this holds at any scale. On SQLite the staging table
is in a file of its own beside the database (so the database is not left twice its size);
on PostgreSQL it is a table in the same schema. Should the generator stop half-way, the
staging table is dropped and the log is left empty.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteDatastore,
)
from psycopg.sql import SQL, Identifier

from registry.application import Registry

TABLE = "synthetic_staging"


class Staging:
    """A table beside the log where the generated events wait to be put in order."""

    def __init__(self, app: Registry) -> None:
        self.app = app
        log = app.recorder
        self.recorder: Any
        self.file: Path | None = None
        if isinstance(log, SQLiteApplicationRecorder):
            self.file = Path(app.env["SQLITE_DBNAME"] + "-staging")
            self.drop()
            self.datastore = SQLiteDatastore(str(self.file))
            self.recorder = SQLiteAggregateRecorder(self.datastore, TABLE)
        elif isinstance(log, PostgresApplicationRecorder):
            self.drop()
            self.recorder = PostgresAggregateRecorder(log.datastore, events_table_name=TABLE)
        else:
            raise TypeError("the synthetic state is written to SQLite or PostgreSQL")
        self.recorder.create_table()

    def save(self, aggregates: list[Aggregate], by_type: Counter[str]) -> None:
        """Stage the new events of `aggregates` (one transaction) and count them."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        self.recorder.insert_events([self.app.mapper.to_stored_event(e) for e in events])
        by_type.update(type(event).__qualname__ for event in events)

    def release(self) -> None:
        """Copy every staged event into the log in the order it was recorded (one
        transaction), then drop the staging table."""
        log = self.app.recorder
        columns = "originator_id, originator_version, topic, state"
        if self.file is not None:
            self.datastore.close()
            # ATTACH is refused inside a transaction: a connection of its own.
            conn = sqlite3.connect(self.app.env["SQLITE_DBNAME"], isolation_level=None)
            try:
                conn.execute("ATTACH DATABASE ? AS staging", (str(self.file),))
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f"INSERT INTO main.{log.events_table_name} ({columns}) SELECT {columns} "
                    f"FROM staging.{TABLE} ORDER BY "
                    "json_extract(CAST(state AS TEXT), '$.timestamp._data_'), "
                    "originator_id, originator_version"
                )
                conn.execute("COMMIT")
            finally:
                conn.close()
        else:
            statement = SQL(
                "INSERT INTO {schema}.{log} (" + columns + ") SELECT " + columns + " "
                "FROM {schema}.{staging} ORDER BY "
                "convert_from(state, 'UTF8')::jsonb #>> '{{timestamp,_data_}}', "
                "originator_id, originator_version"
            ).format(
                schema=Identifier(log.datastore.schema),
                log=Identifier(log.events_table_name),
                staging=Identifier(TABLE),
            )
            with log.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement)
        self.drop()

    def drop(self) -> None:
        """Remove the staging table (or its file)."""
        if self.file is not None:
            if hasattr(self, "datastore"):
                self.datastore.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            return
        log = self.app.recorder
        statement = SQL("DROP TABLE IF EXISTS {schema}.{staging}").format(
            schema=Identifier(log.datastore.schema), staging=Identifier(TABLE)
        )
        with log.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement)

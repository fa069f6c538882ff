"""From one database URL to eventsourcing's persistence settings, and the transcodings.

`sqlite:///path/registry.db` (the embedded default),
`postgresql://user[:password]@host[:port]/dbname[?schema=name]`, or
`memory://` (nothing kept; for unit tests and trials).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    JSONTranscoder,
    PersistenceError,
    Transcoding,
)
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from registry.domain.errors import InvalidInput
from registry.domain.values import Actor, ActorRole

#: What the event store or its drivers raise when the database fails.
DATABASE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)


def persistence_env(url: str) -> dict[str, str]:
    """The eventsourcing environment (PERSISTENCE_MODULE and friends) for a database URL."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as e:
        raise InvalidInput(f"invalid database URL: {e}") from None
    if url == "memory://":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc or not path:
            raise InvalidInput(f"expected sqlite:///path/to/registry.db, got {url!r}")
        try:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InvalidInput(f"cannot create the folder for {path}: {e.strerror}") from None
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(Path(path).expanduser()),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if parts.scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise InvalidInput(f"expected postgresql://user@host:5432/dbname, got {url!r}")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "10",
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise InvalidInput(
        f"unsupported database {url!r}: use sqlite:///path/registry.db or postgresql://..."
    )


def describe(url: str) -> str:
    """The URL with any password masked, safe to print or log."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(unparseable database URL)"
    if password:
        netloc = parts.netloc.replace(f":{password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


#: Ids asked about in one query.
CHUNK = 500


class CreatedIds:
    """The ids of every aggregate made by one kind of event, oldest first, found in the log
    by that event's topic. What was found and the position read up to are kept, so each call
    reads only the events recorded since the last one: a creation is never removed from the
    log, so the ids already found stay true."""

    def __init__(self, recorder: ApplicationRecorder, topic: str) -> None:
        self.recorder = recorder
        self.topic = topic
        self._ids: list[UUID] = []
        self._read_to = 0
        self._lock = threading.Lock()

    def __call__(self) -> list[UUID]:
        with self._lock:
            newest = self.recorder.max_notification_id() or 0
            while self._read_to < newest:
                page = self.recorder.select_notifications(
                    start=self._read_to + 1, limit=1000, stop=newest, topics=[self.topic]
                )
                self._ids.extend(_uuid(n.originator_id) for n in page)
                self._read_to = page[-1].id if len(page) == 1000 else newest
            return list(self._ids)


def _uuid(value: UUID | str) -> UUID:
    """An id as a notification carries it (eventsourcing types it either way) as a UUID."""
    return value if isinstance(value, UUID) else UUID(value)


def existing_ids(recorder: AggregateRecorder, ids: Collection[UUID]) -> set[UUID] | None:
    """Which of `ids` have events in the store, in one query per few hundred ids.

    None when the store is one this does not know how to ask (the in-memory one):
    then ask about each id on its own.
    """
    wanted = list(ids)
    found: set[UUID] = set()
    if isinstance(recorder, SQLiteAggregateRecorder):
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            statement = (
                f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({marks})"
            )
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(statement, [i.hex for i in chunk])
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found
    if isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT DISTINCT originator_id FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, [wanted])
            found.update(row["originator_id"] for row in curs.fetchall())
        return found
    return None


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, Any]:
        data = {"id": obj.id, "role": obj.role.value}
        if obj.scope is not None:
            data["scope"] = obj.scope
        return data

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor(id=data["id"], role=ActorRole(data["role"]), scope=data.get("scope"))


def register_transcodings(transcoder: JSONTranscoder) -> None:
    """Register every value type the registry's events carry.

    The vocabularies are `StrEnum`s, which JSON stores as their plain string
    values without asking the transcoder; the aggregates turn them back into
    enum members when they apply an event. Dates and actors need transcodings.
    """
    transcoder.register(DateAsISO())
    transcoder.register(ActorAsDict())

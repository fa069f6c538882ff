"""Decode stored events into the same domain event objects the mapper makes, faster.

The library's mapper parses JSON with a Python object hook called for every
object. Here orjson parses the state in C, and only the values that carry a
transcoded type (`{"_type_": ..., "_data_": ...}`) are revived, with the same
transcodings the application registered. Topics a projection does not read are
not decoded at all. Upcasting follows the library's rule (`upcast_vN_vN+1`).
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, find_id_convertor
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import resolve_topic
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

#: A stored notification as read: (position, originator id, version, topic, state).
Row = tuple[int, Any, int, str, bytes]


def read_window(
    recorder: Any, start: int, stop: int, topics: Sequence[str] | None = None
) -> list[Row]:
    """The notifications at positions (start, stop] with one of `topics` (None: any), in
    log order.

    The same rows as the recorder's `select_notifications`, as plain tuples: no
    Notification object nor dict row is made for each of them.
    """
    if isinstance(recorder, SQLiteApplicationRecorder):
        marks = ",".join("?" * len(topics or ()))
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {recorder.events_table_name} WHERE rowid > ? AND rowid <= ? "
            + ("" if topics is None else f"AND topic IN ({marks}) ")
            + "ORDER BY rowid"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.row_factory = None
            cursor.execute(statement, (start, stop, *(topics or ())))
            return cursor.fetchall()
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s "
            + ("" if topics is None else "AND topic = ANY(%s) ")
            + "ORDER BY notification_id"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        # Binary results: the state comes as it is stored, not hex-encoded and decoded again.
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as cursor,
        ):
            params = (start, stop) if topics is None else (start, stop, list(topics))
            cursor.execute(statement, params, prepare=True)
            return cursor.fetchall()
    notifications = recorder.select_notifications(
        start=start + 1, limit=stop - start, stop=stop, topics=topics or ()
    )
    return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]


def lowest_position(recorder: Any) -> int | None:
    """The lowest log position stored (1 in a log only the application wrote; a row put
    below it by hand is found here, though no window from 0 reads it)."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT MIN(rowid) FROM {recorder.events_table_name}")
            row = cursor.fetchone()
        return None if row[0] is None else int(row[0])
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = SQL("SELECT MIN(notification_id) FROM {schema}.{table}").format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement)
            row = cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])
    raise TypeError("the lowest position is read from SQLite or PostgreSQL")


class FastDecoder:
    """Notification -> domain event, equal to `mapper.to_domain_event` for our events."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        transcoder = mapper.transcoder
        if not isinstance(transcoder, JSONTranscoder) or mapper.cipher or mapper.compressor:
            raise TypeError("the fast decoder reads plain JSON transcoded events only")
        self._names = transcoder.names
        #: name -> decode function; dates and datetimes skip the transcoding method call.
        self._decoders: dict[str, Any] = {n: t.decode for n, t in transcoder.names.items()}
        self._decoders.update(date_iso=date.fromisoformat, datetime_iso=datetime.fromisoformat)
        #: topic -> (class, id convertor, class version, that convertor's converted ids)
        self._classes: dict[str, tuple[type, Any, int, dict[str, Any]]] = {}
        #: convertor -> {id as text: converted id}, for ids read as text.
        self._ids: dict[Any, dict[str, UUID | str]] = {}
        #: name -> {data: value} for immutable values (frozen dataclasses, e.g. an actor):
        #: the thousands of events one actor recorded share one decoded value.
        self._shared: dict[str, dict[tuple[Any, ...], Any]] = {
            n: {} for n, t in transcoder.names.items() if _frozen(getattr(t, "type", None))
        }

    def decode(self, notification: Notification) -> Any:
        """The domain event of a notification."""
        return self._decode(
            notification.topic,
            notification.originator_id,
            notification.originator_version,
            notification.state,
        )

    def decode_many(
        self, notifications: list[Notification], topics: Container[str] | None = None
    ) -> list[tuple[int, Any]]:
        """(position, event) for each notification whose topic is in `topics` (all if None)."""
        return [
            (n.id, self.decode(n)) for n in notifications if topics is None or n.topic in topics
        ]

    def decode_rows(self, rows: list[Row]) -> list[tuple[int, Any]]:
        """(position, event) for each row read by `read_window`."""
        decode = self._decode
        return [
            (position, decode(topic, originator_id, version, state))
            for position, originator_id, version, topic, state in rows
        ]

    def iter_rows(self, rows: list[Row]) -> Iterator[tuple[int, Any]]:
        """(position, event) for each row, each decoded only when it is asked for (so a
        window's events need not all be in memory at once)."""
        decode = self._decode
        for position, originator_id, version, topic, state in rows:
            yield position, decode(topic, originator_id, version, state)

    def _decode(self, topic: str, originator_id: Any, version: int, state_json: bytes) -> Any:
        try:
            cls, convert_id, class_version, ids = self._classes[topic]
        except KeyError:
            cls = resolve_topic(topic)
            convert_id = find_id_convertor(cls, type(originator_id))
            class_version = getattr(cls, "class_version", 1)
            ids = self._ids.setdefault(convert_id, {})
            self._classes[topic] = cls, convert_id, class_version, ids
        state: dict[str, Any] = orjson.loads(state_json)
        revive = self._decoders
        for key, value in state.items():
            kind = value.__class__
            if kind is dict:
                name = value.get("_type_")
                if name is not None and len(value) == 2:
                    data = value["_data_"]
                    if data.__class__ is str:  # a date or datetime: the common case
                        state[key] = revive[name](data)
                    else:
                        state[key] = self._revive_typed(name, data)
                else:
                    state[key] = self._revive(value)
            elif kind is list:
                state[key] = self._revive(value)
        if originator_id.__class__ is str:
            # An id read as text (SQLite): the events of one aggregate share one converted id.
            try:
                state["originator_id"] = ids[originator_id]
            except KeyError:
                if len(ids) >= SHARED_LIMIT:
                    ids.clear()
                state["originator_id"] = ids[originator_id] = convert_id(originator_id)
        else:
            state["originator_id"] = convert_id(originator_id)
        state["originator_version"] = version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def _revive_typed(self, name: str, data: Any) -> Any:
        """A transcoded value; an immutable one made of strings is decoded once and shared."""
        shared = self._shared.get(name)
        if shared is None or data.__class__ is not dict:
            return self._decoders[name](self._revive_data(data))
        key = tuple(data.items())
        try:
            return shared[key]
        except KeyError:
            pass
        value = self._decoders[name](self._revive_data(data))
        if all(v.__class__ is str for v in data.values()):
            if len(shared) >= SHARED_LIMIT:
                shared.clear()
            shared[key] = value
        return value

    def _revive(self, value: Any) -> Any:
        if type(value) is list:
            return [self._revive(v) if type(v) in (dict, list) else v for v in value]
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return self._decoders[value["_type_"]](self._revive_data(value["_data_"]))
        return {k: self._revive(v) if type(v) in (dict, list) else v for k, v in value.items()}

    def _revive_data(self, data: Any) -> Any:
        kind = data.__class__
        if kind is dict:
            # Most transcoded values (an actor, say) hold only plain values: leave them be.
            for value in data.values():
                if value.__class__ is dict or value.__class__ is list:
                    return self._revive(data)
            return data
        return self._revive(data) if kind is list else data


#: Shared decoded values kept per transcoded type (the cache is emptied when full).
SHARED_LIMIT = 10_000


def _frozen(cls: Any) -> bool:
    """Whether instances of `cls` cannot change (a frozen dataclass)."""
    params = getattr(cls, "__dataclass_params__", None)
    return bool(params is not None and params.frozen)

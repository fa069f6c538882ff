"""What the projections' fast path takes from eventsourcing beyond its public API.

Everywhere else the registry uses the library as documented: the application's
`mapper.to_domain_event`, `recorder.select_notifications`, an event's `mutate`, an
aggregate's `version` and `modified_on`. Replaying millions of events, the projections
instead read rows straight from the library's tables and fold events into aggregates
without the per-event look-ups of `mutate`. Each thing that relies on how eventsourcing
works inside, rather than on what it documents, is named here and nowhere else:

- `decorated_funcs` (eventsourcing.domain): the method an event class's `@event`
  decorated, so the method can be called with the event's attributes directly. This is
  what `DecoratedFuncCaller.apply` looks up for every event.
- `DecoratedFuncCaller.apply` and `CanMutateAggregate.mutate` / `.apply`: compared by
  identity, so only events whose classes change nothing in that sequence are folded
  directly; any other goes through `mutate`.
- `find_id_convertor` (eventsourcing.persistence): the function the mapper uses to turn
  a stored originator id into the event's id type.
- `JSONTranscoder.names`: the transcodings the application registered, by name, to
  revive transcoded values (`{"_type_": name, "_data_": ...}`) the way the transcoder does.
- An event made as the mapper makes it: `object.__new__(cls)` with its state as the
  instance's `__dict__` (events are frozen dataclasses; `__init__` is not called).
- The recorders' tables: `events_table_name`, `datastore`, and their columns
  (`rowid` on SQLite, `notification_id` on PostgreSQL, `originator_id`,
  `originator_version`, `topic`, `state`), read without making a `Notification` each.

tests/integration/test_library.py decodes and folds every event of a synthetic log both
ways, by the public API and by this module, on SQLite and PostgreSQL, and compares them;
pyproject.toml admits only the eventsourcing versions that test has passed on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.domain import CanMutateAggregate, DecoratedFuncCaller, decorated_funcs
from eventsourcing.persistence import JSONTranscoder, Mapper, Transcoding, find_id_convertor
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

#: A stored notification as read: (position, originator id, version, topic, state).
Row = tuple[int, Any, int, str, bytes]

#: event class -> (decorated method, its parameter names), or None: through `mutate`.
_DIRECT: dict[type, tuple[Callable[..., Any], tuple[str, ...]] | None] = {}


def mutate(event: Any, aggregate: Any) -> Any:
    """`event.mutate(aggregate)`, calling the `@event` method directly where it may.

    The same result as the library's `mutate` for an event that follows `aggregate`
    (its caller checks the version; the library's checks of id and version are skipped).
    """
    if aggregate is None:
        return event.mutate(None)
    cls = event.__class__
    try:
        direct = _DIRECT[cls]
    except KeyError:
        direct = _DIRECT[cls] = _direct(cls)
    if direct is None:
        return event.mutate(aggregate)
    method, params = direct
    state = event.__dict__
    try:
        args = [state[name] for name in params]
    except KeyError:  # an attribute missing: the method's default applies
        return event.mutate(aggregate)
    method(aggregate, *args)
    aggregate.version = state["originator_version"]
    aggregate.modified_on = state["timestamp"]
    return aggregate


def folds_directly(cls: type) -> bool:
    """Whether `mutate` calls the `@event` method of `cls` directly (else: `cls.mutate`)."""
    if cls not in _DIRECT:
        _DIRECT[cls] = _direct(cls)
    return _DIRECT[cls] is not None


def _direct(cls: type) -> tuple[Callable[..., Any], tuple[str, ...]] | None:
    """The method `cls` applies and its parameters, if `mutate` would do no more than
    call it with the event's attributes it names (None otherwise)."""
    method = decorated_funcs.get(cls)
    if (
        method is None
        or cls.mutate is not CanMutateAggregate.mutate  # type: ignore[attr-defined]
        or cls.apply is not DecoratedFuncCaller.apply  # type: ignore[attr-defined]
        or any(
            vars(base).get("apply", CanMutateAggregate.apply) is not CanMutateAggregate.apply
            for base in cls.__mro__[cls.__mro__.index(DecoratedFuncCaller) + 1 :]
        )
    ):
        return None
    parameters = list(inspect.signature(method).parameters.values())[1:]
    if any(p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters):
        return None
    return method, tuple(p.name for p in parameters)


def transcodings(mapper: Mapper[Any]) -> dict[str, Transcoding]:
    """The mapper's transcodings by name (plain JSON only: no cipher, no compressor)."""
    transcoder = mapper.transcoder
    if not isinstance(transcoder, JSONTranscoder) or mapper.cipher or mapper.compressor:
        raise TypeError("the fast decoder reads plain JSON transcoded events only")
    return dict(transcoder.names)


def id_convertor(cls: type, stored_id_type: type) -> Callable[[Any], Any]:
    """What turns a stored originator id of `stored_id_type` into the id of a `cls` event."""
    return find_id_convertor(cls, stored_id_type)


def new_event(cls: type, state: dict[str, Any]) -> Any:
    """An event of `cls` whose attributes are `state`, made as the mapper makes one."""
    event: Any = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event


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
            cursor.execute(statement, (start, stop, *(topics or ())))
            return cursor.fetchall()
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
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
            cursor.execute(query, params, prepare=True)
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

"""What every event says beyond its identity: its details, for histories and timelines;
and when it was recorded, by the clock the application passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from registry.domain.values import Actor

#: The clock that stamps events with when they were recorded, while the application
#: decides a command (`recorded_by`); None: the library's own (the real time).
_RECORDING_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar(
    "recording_clock", default=None
)


@contextmanager
def recorded_by(clock: Callable[[], datetime]) -> Iterator[None]:
    """Stamp the events triggered inside the block with `clock()` as their recording time.

    The domain reads no clock of its own: the application passes one in here, so that a
    registry run on a fixed clock (a test, a benchmark) records its events on that clock.
    """
    token = _RECORDING_CLOCK.set(clock)
    try:
        yield
    finally:
        _RECORDING_CLOCK.reset(token)


def recording_time() -> datetime:
    """When an event triggered now is recorded: the clock of `recorded_by`, else the
    library's default (the real time, time-zone aware)."""
    clock = _RECORDING_CLOCK.get()
    return Aggregate.Event.create_timestamp() if clock is None else clock()


class RegistryAggregate(Aggregate):
    """The base of the registry's aggregates: their events' `timestamp` (when recorded)
    comes from `recording_time`, through eventsourcing's `create_timestamp` hook."""

    class Event(Aggregate.Event):
        create_timestamp = staticmethod(recording_time)

    class Created(Event, Aggregate.Created):
        pass

#: Attributes every stored event has; the rest are an event's details.
BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "effective_on",
        "actor",
    }
)


def event_details(event: Any) -> dict[str, Any]:
    """The event's own fields: what happened, without who, when or to which record."""
    return {k: v for k, v in event.__dict__.items() if k not in BASE_FIELDS}


def json_value(value: Any) -> Any:
    """A registry value as plain JSON (a JSON encoder's `default`): dates as ISO text,
    enums as their values, ids as text, actors as {id, role}, sets and tuples as lists."""
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Actor):
        data = {"id": value.id, "role": value.role.value}
        return data if value.scope is None else {**data, "scope": value.scope}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")

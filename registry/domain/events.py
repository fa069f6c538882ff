"""What every event says beyond its identity: its details, for histories and timelines."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from registry.domain.values import Actor

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
        return {"id": value.id, "role": value.role.value}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")

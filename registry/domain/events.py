"""What every event says beyond its identity: its details, for histories and timelines."""

from __future__ import annotations

from typing import Any

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

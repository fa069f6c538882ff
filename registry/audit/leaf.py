"""The leaf bytes of a stored event: a canonical encoding an auditor can recompute.

Every stored event is one leaf of the log's Merkle tree, in log order. Its bytes
(all integers big-endian, every text UTF-8):

    position       8 bytes, unsigned: the event's position in the log
    id length      2 bytes, unsigned
    aggregate id   the id as lowercase hyphenated UUID text (36 bytes)
    version        8 bytes, unsigned: the aggregate's version after the event
    topic length   2 bytes, unsigned
    topic          the stored topic
    state length   4 bytes, unsigned
    state          the stored state, byte for byte as the database holds it
    recorded at    8 bytes, signed: microseconds since 1970-01-01T00:00:00Z of the
                   event's `timestamp` (the time it was recorded), read from the state

The leaf hash is SHA-256(0x00 || leaf bytes) (RFC 9162). docs/audit.md says the same.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from registry.domain.errors import RegistryError

_HEX32 = re.compile(r"[0-9a-f]{32}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A number (position or version) and the length of the text after it.
_NUMBER_AND_LENGTH = struct.Struct(">QH")
_STATE = struct.Struct(">I")
_TIME = struct.Struct(">q")
#: How every stored state begins: its recorded time comes first.
_STAMP = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'


class LeafError(RegistryError, ValueError):
    """A stored event that cannot be encoded as a leaf (it names the position)."""


def leaf_bytes(position: int, aggregate_id: Any, version: int, topic: str, state: bytes) -> bytes:
    """The canonical leaf bytes of one stored event (see the module's docstring)."""
    try:
        ident = _uuid_text(aggregate_id).encode("ascii")
        name = topic.encode("utf-8")
        if isinstance(state, str):
            raise ValueError("its state is stored as text, not as bytes")
        state = bytes(state)
        return b"".join(
            (
                _NUMBER_AND_LENGTH.pack(position, len(ident)),
                ident,
                _NUMBER_AND_LENGTH.pack(version, len(name)),
                name,
                _STATE.pack(len(state)),
                state,
                _TIME.pack(recorded_micros(state)),
            )
        )
    except (ValueError, TypeError, struct.error, KeyError, orjson.JSONDecodeError) as e:
        raise LeafError(f"the event at position {position} cannot be encoded: {e}") from None


def recorded_at(state: bytes) -> datetime:
    """When an event was recorded: the `timestamp` its stored state begins with."""
    if state.startswith(_STAMP):
        end = state.index(b'"', len(_STAMP))
        text = state[len(_STAMP) : end].decode("ascii")
    else:
        stamp = orjson.loads(state)["timestamp"]
        if not isinstance(stamp, dict) or stamp.get("_type_") != "datetime_iso":
            raise ValueError("the state holds no recorded time")
        text = stamp["_data_"]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("the recorded time has no time zone")
    return moment


def recorded_micros(state: bytes) -> int:
    """`recorded_at` as whole microseconds since the Unix epoch (UTC)."""
    delta = recorded_at(state) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _uuid_text(value: Any) -> str:
    """An aggregate id as hyphenated UUID text, from a UUID (PostgreSQL) or from the 32
    lowercase hex digits SQLite stores; any other text is refused, so one id has one
    encoding."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ValueError(f"the aggregate id {value!r} is not 32 lowercase hex digits")
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

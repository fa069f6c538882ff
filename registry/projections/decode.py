"""Decode stored events into the same domain event objects the mapper makes, faster.

The library's mapper parses JSON with a Python object hook called for every
object. Here orjson parses the state in C, and only the values that carry a
transcoded type (`{"_type_": ..., "_data_": ...}`) are revived, with the same
transcodings the application registered. Topics a projection does not read are
not decoded at all. Upcasting follows the library's rule (`upcast_vN_vN+1`). What this
takes from the library beyond its public API comes through `registry.projections.library`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper
from eventsourcing.utils import resolve_topic

from registry.projections.library import Row, id_convertor, new_event, transcodings


class FastDecoder:
    """Stored row -> domain event, equal to `mapper.to_domain_event` for our events."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        names = transcodings(mapper)
        #: name -> decode function; dates and datetimes skip the transcoding method call.
        self._decoders: dict[str, Any] = {n: t.decode for n, t in names.items()}
        self._decoders.update(date_iso=date.fromisoformat, datetime_iso=datetime.fromisoformat)
        #: topic -> (class, id convertor, class version, that convertor's converted ids)
        self._classes: dict[str, tuple[type, Any, int, dict[str, Any]]] = {}
        #: convertor -> {id as text: converted id}, for ids read as text.
        self._ids: dict[Any, dict[str, UUID | str]] = {}
        #: name -> {data: value} for immutable values (frozen dataclasses, e.g. an actor):
        #: the thousands of events one actor recorded share one decoded value.
        self._shared: dict[str, dict[tuple[Any, ...], Any]] = {
            n: {} for n, t in names.items() if _frozen(getattr(t, "type", None))
        }

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
            convert_id = id_convertor(cls, type(originator_id))
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
        return new_event(cls, state)

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

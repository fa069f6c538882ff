"""Shapes the routes share: request bodies made from commands, pages of lists, query limits.

What the HTTP API accepts is strict, and decided here: a request body takes JSON booleans
for booleans, JSON numbers (never a boolean, never a string) for numbers, and dates as
`YYYY-MM-DD` strings from `EARLIEST` to `LATEST`; a date in a query is read the same way.
The commands themselves stay lenient about how a value is written (the CSV import and the
command line hand them text), but every command date is in the same range.
"""

from __future__ import annotations

import re
import types
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
    create_model,
)
from typing_extensions import TypedDict

from registry.application import parse
from registry.domain.commands import AMENDMENTS, EARLIEST, LATEST, Command

T = TypeVar("T")
C = TypeVar("C", bound=Command)

#: Items per page: every list is paged.
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1 to 500).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]
DEFAULT_LIMIT = 100
#: A certificate number as the registry writes them (`UT-CIT-34A3XJM9`), for a look-up.
CERTIFICATE_NUMBER = re.compile(r"[A-Za-z0-9-]{3,40}")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The dates accepted, as the OpenAPI document says it (with `format: date`, which rules out
#: 31 April and the like): every year from EARLIEST to LATEST begins with 19, 20 or 21
#: (tests/unit/test_command_input.py checks that the two agree).
DATE_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATE_RANGE = f"from {EARLIEST.isoformat()} to {LATEST.isoformat()}"


def in_range(day: date) -> bool:
    """Whether `day` is a date the API takes: from EARLIEST to LATEST."""
    return EARLIEST <= day <= LATEST


def _iso_date(value: object) -> object:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _in_the_range(day: date) -> date:
    if not in_range(day):
        raise ValueError(f"a date is {DATE_RANGE}")
    return day


def _json_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number is written as a JSON number (not a string or a boolean)")
    return value


#: A date in a query or a body: an ISO `YYYY-MM-DD` string only, from EARLIEST to LATEST.
#: (Pydantic alone would also read a number as a Unix timestamp, so `?on=1704067200` would
#: quietly mean 2024-01-01.)
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_in_the_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": f"A date, YYYY-MM-DD, {DATE_RANGE}.",
        }
    ),
]
#: A boolean of a body: JSON `true` or `false` only (not 0, 1 or "yes").
JsonBool = Annotated[bool, Strict()]


class Page(BaseModel, Generic[T]):
    """One page of a list, and where the next one starts (null on the last page)."""

    items: list[T]
    offset: int
    limit: int
    total: int
    next_offset: int | None


def page(items: Sequence[T], offset: int, limit: int) -> dict[str, Any]:
    """The page of `items` from `offset`, as the fields of a `Page`."""
    chunk = list(items[offset : offset + limit])
    following = offset + limit
    return {
        "items": chunk,
        "offset": offset,
        "limit": limit,
        "total": len(items),
        "next_offset": following if following < len(items) else None,
    }


def body_of(command: type[Command], *from_path: str) -> type[BaseModel]:
    """The request body of a command whose fields `from_path` come from the URL instead.

    Its values are typed strictly (see `strict`), and a correction's amendments are
    described field by field (`Amendments`), so the OpenAPI document says exactly what is
    accepted. The command itself then checks the rest (and refuses text holding a NUL).
    """
    fields: dict[str, Any] = {
        name: (Amendments, Field(default_factory=dict))
        if name == "amendments"
        else (strict(info.annotation), info)
        for name, info in command.model_fields.items()
        if name not in from_path
    }
    return create_model(
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        **fields,
    )


def strict(annotation: Any) -> Any:
    """`annotation` as a request body reads it: booleans and numbers strictly, dates as
    `IsoDate`; optional values, lists and constraints are kept."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        base, kept = args[0], annotation.__metadata__
        if _STRICT.get(base):
            # The value is checked as JSON first, then against the constraints kept.
            return Annotated[(base, *kept, *_STRICT[base])]
        return Annotated[(strict(base), *kept)]
    if _STRICT.get(annotation):
        return Annotated[(annotation, *_STRICT[annotation])]
    if origin is Union or origin is types.UnionType:
        return Union[tuple(strict(a) for a in args)]  # noqa: UP007 (built from a tuple)
    if origin is list:
        return list[strict(args[0])]  # type: ignore[misc]
    if origin is dict:
        raise TypeError(f"a body field of type {annotation} needs a shape of its own")
    return annotation


#: What a body adds to each type of value a command takes, to read it strictly.
_STRICT: dict[Any, tuple[Any, ...]] = {
    bool: get_args(JsonBool)[1:],
    int: (BeforeValidator(_json_number),),
    float: (BeforeValidator(_json_number),),
    date: get_args(IsoDate)[1:],
}


def _amendments() -> Any:
    """The amendments a correction may make, by field name, as a body takes them: each
    field of every kind of record that can be amended (`AMENDMENTS`), none of them null.
    Which fields fit the record corrected is checked when the command is decided."""
    kinds: dict[str, list[Any]] = {}
    for model in AMENDMENTS.values():
        for name, info in model.model_fields.items():
            given = [a for a in get_args(info.annotation) if a is not type(None)]
            kinds.setdefault(name, [])
            for annotation in given or [info.annotation]:
                if annotation not in kinds[name]:
                    kinds[name].append(annotation)
    shape: Any = TypedDict(  # type: ignore[misc]
        "Amendments",
        {name: strict(Union[tuple(found)]) for name, found in kinds.items()},  # noqa: UP007
        total=False,
    )
    shape.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    shape.__doc__ = (
        "The fields of the corrected record to amend: a training's kind, hours, began_on, "
        "completed_on or volunteered; an exam's kind, passed or taken_on; a POST status "
        "change's status or effective_on; an enrolment's name or patrol_experience_began_on. "
        "None given: the record is voided."
    )
    return shape


#: A correction's amendments in a request body.
Amendments = _amendments()


def command_from(command: type[C], body: BaseModel | None, **from_path: Any) -> C:
    """The command of a request: its body's fields and those from the URL, validated whole."""
    data = body.model_dump(exclude_unset=True) if body is not None else {}
    return parse(command, {**data, **from_path})

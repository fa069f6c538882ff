"""Shapes the routes share: request bodies made from commands, pages of lists, query limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Generic, TypeVar, get_args

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, create_model, field_validator

from registry.application import parse
from registry.domain.commands import Command

T = TypeVar("T")
C = TypeVar("C", bound=Command)

#: Items per page: every list is paged.
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1 to 500).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]
DEFAULT_LIMIT = 100

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


#: A date in a query: ISO `YYYY-MM-DD` only. (Pydantic alone would also read a number as a
#: Unix timestamp, so `?on=1704067200` would quietly mean 2024-01-01.)
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


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

    Its dates are ISO `YYYY-MM-DD` strings only, as the schema says: a number is refused
    rather than read as a Unix timestamp. (The command itself refuses text holding a NUL.)
    """
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in from_path
    }
    dates = [name for name, (annotation, _) in fields.items() if _mentions_date(annotation)]
    validators: dict[str, Any] = {}
    if dates:
        validators["iso_dates"] = field_validator(*dates, mode="before")(_iso_date)
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        __validators__=validators,
        **fields,
    )


def _mentions_date(annotation: Any) -> bool:
    return annotation is date or any(_mentions_date(a) for a in get_args(annotation))


def command_from(command: type[C], body: BaseModel | None, **from_path: Any) -> C:
    """The command of a request: its body's fields and those from the URL, validated whole."""
    data = body.model_dump(exclude_unset=True) if body is not None else {}
    return parse(command, {**data, **from_path})  # type: ignore[no-any-return]

"""Shapes the routes share: request bodies made from commands, pages of lists, query limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, create_model

from registry.application import parse
from registry.domain.commands import Command

T = TypeVar("T")
C = TypeVar("C", bound=Command)

#: Items per page: every list is paged.
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1 to 500).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]
DEFAULT_LIMIT = 100


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
    """The request body of a command whose fields `from_path` come from the URL instead."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in from_path
    }
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        **fields,
    )


def command_from(command: type[C], body: BaseModel | None, **from_path: Any) -> C:
    """The command of a request: its body's fields and those from the URL, validated whole."""
    data = body.model_dump(exclude_unset=True) if body is not None else {}
    return parse(command, {**data, **from_path})  # type: ignore[no-any-return]

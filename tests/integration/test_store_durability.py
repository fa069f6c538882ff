"""`Views.transaction(durable=False)`: committed like any transaction, its commit not waited
on to reach disk, and the setting confined to that one transaction."""

from __future__ import annotations

from typing import Any

import pytest

from registry.application import Registry
from registry.projections import store
from registry.projections.store import Views, open_views


def _sync_setting(views: Views, cursor: Any) -> str:
    """How the commit of the transaction `cursor` is in will reach disk."""
    if views.dialect == "postgres":
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()["synchronous_commit"])
    cursor.execute("PRAGMA synchronous")
    return {0: "off", 1: "normal", 2: "full", 3: "extra"}[cursor.fetchone()[0]]


@pytest.fixture
def views(registry: Registry) -> Views:
    views = open_views(registry)
    with views.transaction() as cursor:
        store.execute(views, cursor, "CREATE TABLE kept_test (k INTEGER PRIMARY KEY, v TEXT)")
    return views


def test_a_transaction_that_is_not_durable_commits_and_leaves_the_setting_behind(
    views: Views,
) -> None:
    with views.transaction() as cursor:
        durable = _sync_setting(views, cursor)
    assert durable == ("on" if views.dialect == "postgres" else "full")

    with views.transaction(durable=False) as cursor:
        assert _sync_setting(views, cursor) == ("off" if views.dialect == "postgres" else "normal")
        store.execute(views, cursor, "INSERT INTO kept_test VALUES (?, ?)", (1, "kept"))

    assert store.query(views, "SELECT k, v FROM kept_test") == [{"k": 1, "v": "kept"}]
    for _ in range(3):  # whichever connection comes next, it commits durably again
        with views.transaction() as cursor:
            assert _sync_setting(views, cursor) == durable


def test_a_transaction_that_is_not_durable_and_fails_writes_nothing(views: Views) -> None:
    with pytest.raises(RuntimeError, match="stop"), views.transaction(durable=False) as cursor:
        store.execute(views, cursor, "INSERT INTO kept_test VALUES (?, ?)", (1, "lost"))
        raise RuntimeError("stop")

    assert store.query(views, "SELECT k, v FROM kept_test") == []
    with views.transaction() as cursor:
        assert _sync_setting(views, cursor) == ("on" if views.dialect == "postgres" else "full")

"""`registry projections verify`: the live read models, row by row, against a rebuild.

The read models are a function of the log alone (docs/architecture.md), so the rows kept
up batch by batch must be exactly the rows a rebuild from the first event gives at the
same log position. `verify_read_models` checks that:

1. the live read models are caught up with the log (this writes only what any query
   would: the rows of events not yet applied);
2. the read models are built again from the live log, read where it stands (the same
   log positions), into a scratch SQLite file in a temporary folder, whichever back end
   the registry is on: nothing is made on the database server, and nothing is left
   behind (the folder is removed at the end, whatever happens);
3. every read-model table (`store.TABLES`) is read from both, ordered by its key, in one
   snapshot of the live database (a REPEATABLE READ transaction on PostgreSQL, a read
   transaction on SQLite) taken at the read models' own position: a runner applying
   batches meanwhile changes nothing that is compared. If the live read models moved on
   since step 2, the scratch ones are brought to the same position first;
4. each row is matched to its rebuilt twin by key and compared column by column. Only
   the change feed's cursor `seq` is left out: it counts arrivals, so a rebuild numbers
   the same changes differently.

Keys of either side are ordered as bytes (SQLite's BINARY, PostgreSQL's "C" collation,
Python's str order: all the order of UTF-8), NULL first. Were the two orders ever to
disagree, rows would show as missing on one side and extra on the other: a false alarm,
never a false pass.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby, zip_longest
from pathlib import Path
from typing import Any

from registry.application import Registry
from registry.domain.errors import Conflict
from registry.projections import store
from registry.projections.rebuild import REBUILD_BATCH
from registry.projections.runner import Progress, Runner
from registry.projections.store import Views

#: Each read-model table's key: its primary key, or for the change feed (keyed by its
#: cursor, which differs in a rebuild) the columns of its unique index.
KEYS: dict[str, tuple[str, ...]] = {
    "rm_agencies": ("code",),
    "rm_officers": ("officer_id",),
    "rm_certificates": ("number",),
    "rm_placements": ("officer_id", "from_on"),
    "rm_status_index": ("number",),
    "rm_timeline": ("position",),
    "rm_meta": ("key",),
    "rm_changes": ("position", "certificate_number", "kind", "agency_code"),
}
#: Columns that legitimately differ between a rebuild and the rows kept up incrementally.
IGNORED: dict[str, frozenset[str]] = {"rm_changes": frozenset({"seq"})}
#: Key columns that hold integers (every other key column is text).
INTEGER_KEYS = frozenset({"position"})
#: Differences kept for the report by default (all are counted).
LIMIT = 1000
#: Rows fetched at a time from PostgreSQL's server-side cursor.
FETCH = 2000

Row = dict[str, Any]
Read = Callable[[str], Iterator[Row]]


@dataclass(frozen=True)
class Difference:
    """One difference: a column of a row (`column`), or a row only one side has (`column`
    None, and the whole row as `live` or as `rebuilt`, the other None)."""

    table: str
    key: dict[str, Any]
    column: str | None
    live: Any
    rebuilt: Any

    def text(self, width: int | None = 200) -> str:
        """One line saying what differs; values longer than `width` are cut short."""
        key = " ".join(f"{name}={value}" for name, value in self.key.items())
        where = f"{self.table} {key}"
        if self.column is None and self.rebuilt is None:
            return f"{where}: a row the rebuild does not have: {_cut(self.live, width)}"
        if self.column is None:
            return f"{where}: missing; the rebuild has {_cut(self.rebuilt, width)}"
        return (
            f"{where}: {self.column}: live {_cut(self.live, width)}, "
            f"rebuilt {_cut(self.rebuilt, width)}"
        )


def _cut(value: Any, width: int | None) -> str:
    text = repr(value)
    if width is not None and len(text) > width:
        return text[: width - 3] + "..."
    return text


@dataclass
class Verdict:
    """What `verify_read_models` found. `ok` only if no row differs."""

    #: The log position both sides were compared at.
    position: int
    #: Rows compared (live rows read).
    rows: int = 0
    #: Rows that differ, on either side (a row with several differing columns counts once).
    rows_differing: int = 0
    #: Every difference found, counted.
    found: int = 0
    #: The first `limit` differences, in table and key order.
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found == 0


def verify_read_models(
    app: Registry, *, limit: int = LIMIT, progress: Progress | None = None
) -> Verdict:
    """Catch the read models of `app` up with its log, build them again into a scratch
    database, and compare every row at one log position (see the module's docstring).

    At most `limit` differences are kept in the verdict; all are counted. `progress` is
    called as the scratch read models are built (events read, position reached).
    """
    live = Runner(app, audit=False)
    live.catch_up()
    with tempfile.TemporaryDirectory(prefix="registry-verify-") as folder:
        url = f"sqlite:///{Path(folder) / 'rebuilt.db'}"
        scratch = Registry(dataclasses.replace(app.settings, database=url))
        try:
            views = store.open_views(scratch)
            store.drop_query_indexes(views)  # nothing queries them: built faster without
            # Read from the live log (the same positions), written to the scratch file.
            builder = Runner(app, views=views, batch_size=REBUILD_BATCH, audit=False)
            builder.catch_up(until=live.position(), progress=progress)
            return _compare(live.views, builder, limit, progress)
        finally:
            scratch.close()


def _compare(live: Views, builder: Runner, limit: int, progress: Progress | None) -> Verdict:
    with _snapshot(live) as read_live:
        position = _position(read_live, live)
        rebuilt_at = store.position(builder.views, store.NAME)
        if position < rebuilt_at:
            raise Conflict(
                f"the read models went back from log position {rebuilt_at} to {position} "
                "while they were verified (a rebuild?): verify again"
            )
        if position > rebuilt_at:  # a runner moved them on meanwhile
            builder.catch_up(until=position, progress=progress)
        verdict = Verdict(position)
        rebuilt_at = store.position(builder.views, store.NAME)
        if rebuilt_at != position:  # the log ends before the read models' position
            key = {"application_name": store.NAME}
            difference = Difference("tracking", key, "notification_id", position, rebuilt_at)
            _found(verdict, limit, difference)
        with _snapshot(builder.views) as read_rebuilt:
            for table in store.TABLES:
                _compare_table(table, read_live, read_rebuilt, live, builder.views, verdict, limit)
    return verdict


def _compare_table(
    table: str,
    read_live: Read,
    read_rebuilt: Read,
    live: Views,
    rebuilt: Views,
    verdict: Verdict,
    limit: int,
) -> None:
    """Merge the two sides' rows, both in key order, and note every difference."""
    names = KEYS[table]
    ignored = IGNORED.get(table, frozenset())
    left = _groups(read_live(_select(table, live)), names, ignored)
    right = _groups(read_rebuilt(_select(table, rebuilt)), names, ignored)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            for row in a[2]:
                verdict.rows += 1
                verdict.rows_differing += 1
                _found(verdict, limit, Difference(table, a[1], None, row, None))
            a = next(left, None)
        elif a is None or b[0] < a[0]:
            for row in b[2]:
                verdict.rows_differing += 1
                _found(verdict, limit, Difference(table, b[1], None, None, row))
            b = next(right, None)
        else:
            for mine, theirs in zip_longest(a[2], b[2]):
                if mine is not None:
                    verdict.rows += 1
                differences = _row_differences(table, a[1], mine, theirs)
                if differences:
                    verdict.rows_differing += 1
                for difference in differences:
                    _found(verdict, limit, difference)
            a, b = next(left, None), next(right, None)


def _row_differences(
    table: str, key: dict[str, Any], live: Row | None, rebuilt: Row | None
) -> list[Difference]:
    if live is None or rebuilt is None:
        return [Difference(table, key, None, live, rebuilt)]
    columns = sorted(set(live) | set(rebuilt))
    return [
        Difference(table, key, column, live.get(column), rebuilt.get(column))
        for column in columns
        if live.get(column) != rebuilt.get(column)
    ]


def _found(verdict: Verdict, limit: int, difference: Difference) -> None:
    verdict.found += 1
    if len(verdict.differences) < limit:
        verdict.differences.append(difference)


# ------------------------------------------------------------------ reading


def _select(table: str, views: Views) -> str:
    """Every row of `table` in key order: bytewise for text, NULL first, on both back ends."""
    order = []
    for name in KEYS[table]:
        collate = ' COLLATE "C"' if views.dialect == "postgres" and name not in INTEGER_KEYS else ""
        order.append(f"{name}{collate} NULLS FIRST")
    return f"SELECT * FROM {table} ORDER BY {', '.join(order)}"


def _order(value: Any) -> tuple[int, Any]:
    """Where a key value sorts: NULL, then numbers, then text, then bytes (SQLite's order
    of its storage classes; PostgreSQL's columns hold one type each)."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, bytes(value))


def _groups(
    rows: Iterator[Row], names: Sequence[str], ignored: frozenset[str]
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], list[Row]]]:
    """(sort key, key, rows) of the rows sharing each key, in key order; within a key
    (only the change feed's key can repeat) the rows are put in a fixed order."""

    def key_of(row: Row) -> tuple[Any, ...]:
        return tuple(_order(row[name]) for name in names)

    for sort_key, same in groupby(rows, key=key_of):
        kept = [{k: v for k, v in row.items() if k not in ignored} for row in same]
        if len(kept) > 1:
            kept.sort(key=lambda row: sorted((k, repr(v)) for k, v in row.items()))
        yield sort_key, {name: kept[0][name] for name in names}, kept


def _position(read: Read, views: Views) -> int:
    """The read models' log position, as the snapshot sees it."""
    tracking = views.tracking_table_name if isinstance(views, store.PostgresViews) else "tracking"
    name = store.NAME.replace("'", "''")
    statement = (
        f"SELECT MAX(notification_id) AS at FROM {tracking} WHERE application_name = '{name}'"
    )
    rows = list(read(statement))
    return int(rows[0]["at"] or 0) if rows else 0


@contextmanager
def _snapshot(views: Views) -> Iterator[Read]:
    """A function reading rows, all from one snapshot of the database; nothing is written.

    PostgreSQL: one REPEATABLE READ, READ ONLY transaction, rows streamed by a server-side
    cursor. SQLite: one read transaction (in WAL mode, writers carry on meanwhile).
    """
    if isinstance(views, store.PostgresViews):
        with (
            views.datastore.get_connection() as connection,
            connection.transaction(force_rollback=True),
        ):
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            count = 0

            def read_postgres(statement: str) -> Iterator[Row]:
                nonlocal count
                count += 1
                with connection.cursor(name=f"registry_verify_{count}") as cursor:
                    cursor.itersize = FETCH
                    cursor.execute(statement)
                    for row in cursor:
                        yield dict(row)

            yield read_postgres
        return
    with views.datastore.transaction(commit=False) as cursor:

        def read_sqlite(statement: str) -> Iterator[Row]:
            cursor.execute(statement)
            for row in iter(cursor.fetchone, None):
                yield dict(row)

        yield read_sqlite

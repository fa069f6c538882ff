"""The Merkle tree over the event log: a projection with tracking, and its proofs.

Every stored event is a leaf, in log order (`registry.audit.leaf`). The projection
keeps every complete node of the tree: leaves in `audit_leaves` (with the log
position each one encodes) and the nodes above them in `audit_nodes`. A complete
node never changes, so any proof for any past tree size is O(log n) rows read by
their primary keys, however long the log. The tree's right edge is read back from
those rows at the start of each batch; nothing is kept in memory between batches.

Leaves and nodes are written in the same transaction as the tracked position, like
the read models: exactly once, resumable after a crash at any point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from registry.audit import merkle
from registry.audit.leaf import leaf_bytes
from registry.domain.errors import NotFound
from registry.projections import store
from registry.projections.store import Views

T = TypeVar("T")
#: The tracking name of the tree projection.
NAME = "merkle_tree"
#: Most leaf hashes `leaves` answers at once.
MAX_LEAVES = 1000

#: Per dialect: the hash type, the leaf index as key (SQLite's rowid itself), and the
#: nodes' table kept as its primary key's B-tree alone on SQLite.
_TYPES = {
    "sqlite": {"bytes": "BLOB", "index_key": "INTEGER PRIMARY KEY", "nodes_table": "WITHOUT ROWID"},
    "postgres": {"bytes": "BYTEA", "index_key": "BIGINT PRIMARY KEY", "nodes_table": ""},
}
TABLES = (
    """CREATE TABLE IF NOT EXISTS audit_leaves (
        idx {index_key},
        position BIGINT NOT NULL UNIQUE,
        hash {bytes} NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS audit_nodes (
        level SMALLINT NOT NULL,
        idx BIGINT NOT NULL,
        hash {bytes} NOT NULL,
        PRIMARY KEY (level, idx)
    ) {nodes_table}""",
    """CREATE TABLE IF NOT EXISTS audit_checkpoints (
        size BIGINT PRIMARY KEY,
        root {bytes} NOT NULL,
        note TEXT NOT NULL,
        made_at TEXT NOT NULL
    )""",
)


class TreeError(NotFound, LookupError):
    """A leaf, a size or a proof the tree cannot give (it says why)."""


def create_tables(views: Views) -> None:
    with views.transaction() as cursor:
        for statement in TABLES:
            cursor.execute(statement.format(**_TYPES[views.dialect]))


class MerkleTree:
    """The projection that appends every stored event to the tree, in log order."""

    name = NAME
    #: Every topic: the tree covers the whole log.
    topics = None
    #: The runner hands this projection the stored rows as read, not decoded events.
    raw = True

    def __init__(self, views: Views) -> None:
        self.views = views
        create_tables(views)
        #: Called after each batch is committed (signing a checkpoint), if set.
        self.after_batch: Any = None

    def apply(self, cursor: Any, rows: Iterable[tuple[int, Any, int, str, bytes]]) -> None:
        frontier = merkle.Frontier.resume(
            size(self.views, cursor), lambda nodes: _fetch(self.views, cursor, nodes)
        )
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        append = frontier.append
        encode = leaf_bytes
        hash_leaf = merkle.leaf_hash
        for position, aggregate_id, version, topic, state in rows:
            made = append(hash_leaf(encode(position, aggregate_id, version, topic, state)))
            leaves.append((made[0][1], position, made[0][2]))
            nodes.extend(made[1:])
        store.insert_many(self.views, cursor, "audit_leaves", ("idx", "position", "hash"), leaves)
        store.insert_many(self.views, cursor, "audit_nodes", ("level", "idx", "hash"), nodes)

    def committed(self) -> None:
        if self.after_batch is not None:
            self.after_batch()

    def forget(self) -> None:
        """Nothing is cached between batches."""


# ------------------------------------------------------------------ reading


def size(views: Views, cursor: Any | None = None) -> int:
    """How many leaves the tree has (as `cursor`'s transaction sees it, if given)."""
    last = _read(views, cursor, "SELECT MAX(idx) AS last FROM audit_leaves")[0]["last"]
    return 0 if last is None else int(last) + 1


def _read(
    views: Views, cursor: Any | None, statement: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Rows read in `cursor`'s transaction if given, else by a statement on its own."""
    if cursor is not None:
        return store.fetch(views, cursor, statement, params)
    return store.query(views, statement, params)


def _fetch(
    views: Views, cursor: Any | None, nodes: Sequence[merkle.Node]
) -> dict[merkle.Node, bytes]:
    """The hashes of complete nodes, read by primary key in one statement (in `cursor`'s
    transaction if given)."""
    if not nodes:
        return {}
    leaves = [idx for level, idx in nodes if level == 0]
    inner = [(level, idx) for level, idx in nodes if level > 0]
    parts: list[str] = []
    params: list[Any] = []
    if leaves:
        parts.append(
            f"SELECT 0 AS level, idx, hash FROM audit_leaves WHERE idx IN ({store.marks(leaves)})"
        )
        params.extend(leaves)
    if inner:
        where = " OR ".join("(level = ? AND idx = ?)" for _ in inner)
        parts.append(f"SELECT level, idx, hash FROM audit_nodes WHERE {where}")
        params.extend(value for node in inner for value in node)
    statement = " UNION ALL ".join(parts)
    rows = _read(views, cursor, statement, params)
    found = {(int(row["level"]), int(row["idx"])): bytes(row["hash"]) for row in rows}
    missing = [node for node in nodes if node not in found]
    if missing:
        raise TreeError(f"the tree has no node {missing[0]}: it is missing rows")
    return found


def fetch(views: Views, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The hashes of complete nodes (a `merkle.Fetch` over the stored tree)."""
    return _fetch(views, None, nodes)


def _from_tree(views: Views, tree_size: int, make: Callable[[merkle.Fetch], T]) -> T:
    """What `make` computes from the stored nodes of a tree of `tree_size` leaves; a size
    the tree has not reached is refused (found by a missing node: no query is spent on
    the tree's size when it has them)."""
    if tree_size < 0:
        raise TreeError("a tree size is not negative")
    try:
        return make(lambda nodes: fetch(views, nodes))
    except TreeError:
        have = size(views)
        if tree_size > have:
            raise TreeError(f"the tree has {have} leaves, not {tree_size}") from None
        raise


def root(views: Views, tree_size: int) -> bytes:
    return _from_tree(views, tree_size, lambda get: merkle.root(tree_size, get))


def inclusion_proof(views: Views, index: int, tree_size: int) -> list[bytes]:
    if not 0 <= index < tree_size:
        raise TreeError(f"leaf {index} is not in a tree of {tree_size} leaves")
    return _from_tree(views, tree_size, lambda get: merkle.inclusion_proof(index, tree_size, get))


def consistency_proof(views: Views, first: int, second: int) -> list[bytes]:
    if not 0 < first <= second:
        raise TreeError(f"no consistency proof from a tree of {first} to one of {second}")
    return _from_tree(views, second, lambda get: merkle.consistency_proof(first, second, get))


def leaf_hashes(views: Views, start: int, end: int) -> list[bytes]:
    """The leaf hashes [start, end), at most MAX_LEAVES of them."""
    if not 0 <= start < end:
        raise TreeError("a range of leaves needs 0 <= start < end")
    if end - start > MAX_LEAVES:
        raise TreeError(f"at most {MAX_LEAVES} leaves at once")
    rows = store.query(
        views, "SELECT hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx", (start, end)
    )
    if len(rows) < end - start:
        raise TreeError(f"the tree has {size(views)} leaves, not {end}")
    return [bytes(row["hash"]) for row in rows]


def leaf_index(views: Views, position: int) -> int:
    """The index of the leaf of the event at log `position`."""
    rows = store.query(views, "SELECT idx FROM audit_leaves WHERE position = ?", (position,))
    if not rows:
        raise TreeError(f"no leaf for log position {position} (yet)")
    return int(rows[0]["idx"])


def stored_leaves(views: Views, start: int, end: int) -> list[tuple[int, int, bytes]]:
    """(index, position, hash) of the stored leaves [start, end), for `audit verify`."""
    rows = store.query(
        views,
        "SELECT idx, position, hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
        (start, end),
    )
    return [(int(r["idx"]), int(r["position"]), bytes(r["hash"])) for r in rows]

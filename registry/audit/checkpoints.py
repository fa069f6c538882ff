"""Signed checkpoints of the log's Merkle tree, kept so that any two can be compared.

A checkpoint is a C2SP tlog-checkpoint (origin, tree size, root) in a signed note,
signed by the registry's checkpoint key (a key of its own, managed beside the token
keys). One is made after each batch the tree projection applies and on demand
(`registry audit checkpoint`); each is kept in `audit_checkpoints`, one per size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.audit import tree
from registry.audit.note import (
    Checkpoint,
    sign_checkpoint,
    verifier_key,
)
from registry.projections import store
from registry.projections.store import Views
from registry.signing._b64 import b64url_decode
from registry.signing.keys import PublicKey, Signer


@dataclass(frozen=True)
class Kept:
    """A checkpoint as kept: its size, its root, the signed note, and when it was made."""

    size: int
    root: bytes
    note: str
    made_at: str


def raw_key(key: PublicKey) -> bytes:
    """The 32 bytes of an Ed25519 public key."""
    return b64url_decode(key.x)


def log_key(origin: str, key: PublicKey) -> str:
    """The signed-note verifier key of a checkpoint key: `origin+keyid+key`."""
    return verifier_key(origin, raw_key(key))


def make(views: Views, signer: Signer, origin: str, *, now: datetime | None = None) -> Kept:
    """Sign and keep a checkpoint of the tree as it stands now, unless one of that size is
    kept already; return the checkpoint kept for that size."""
    size = tree.size(views)
    latest = latest_kept(views)
    if latest is not None and latest.size == size:
        return latest
    root = tree.root(views, size)
    note = sign_checkpoint(
        Checkpoint(origin=origin, size=size, root=root), signer.sign, raw_key(signer.public_key)
    )
    made_at = (now or datetime.now(UTC)).isoformat()
    with views.transaction() as cursor:
        store.execute(
            views,
            cursor,
            "INSERT INTO audit_checkpoints (size, root, note, made_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (size) DO NOTHING",
            (size, root, note, made_at),
        )
    kept = at_size(views, size)
    assert kept is not None
    return kept


def _kept(rows: list[dict[str, Any]]) -> list[Kept]:
    return [Kept(int(r["size"]), bytes(r["root"]), str(r["note"]), str(r["made_at"])) for r in rows]


def latest_kept(views: Views) -> Kept | None:
    rows = store.query(views, "SELECT * FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
    return _kept(rows)[0] if rows else None


def at_size(views: Views, size: int) -> Kept | None:
    rows = store.query(views, "SELECT * FROM audit_checkpoints WHERE size = ?", (size,))
    return _kept(rows)[0] if rows else None


def kept(views: Views) -> list[Kept]:
    """Every kept checkpoint, smallest tree first."""
    return list(each_kept(views))


def each_kept(views: Views, upto: int | None = None, page: int = 1000) -> Iterator[Kept]:
    """Every kept checkpoint (of `upto` leaves at most), smallest tree first, read a page
    at a time (a long-lived registry keeps one per batch its runner applied: many)."""
    after = -1
    last = 2**62 if upto is None else upto
    while True:
        rows = store.query(
            views,
            "SELECT * FROM audit_checkpoints WHERE size > ? AND size <= ? ORDER BY size LIMIT ?",
            (after, last, page),
        )
        yield from _kept(rows)
        if len(rows) < page:
            return
        after = int(rows[-1]["size"])

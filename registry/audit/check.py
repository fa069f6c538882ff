"""`registry audit verify`: the log, its Merkle tree and every kept checkpoint, checked.

1. Every kept checkpoint's signature, by a key the auditor names (or, failing that,
   the checkpoint keys the log publishes), and that it is the checkpoint of its row.
2. Every stored event, in log order, is encoded and hashed again (`leaf.leaf_bytes`):
   each leaf must be the leaf the tree stored when the event was first projected,
   and the root of the first `size` leaves must be each checkpoint's root.
3. The tree holds no leaf the log no longer has, and no checkpoint counts more events
   than the log holds; every event is in a signed checkpoint.
4. Each checkpoint is consistent with the next one (a consistency proof from the
   stored tree, checked as a third party would check it).

The first thing that fails is named: a leaf index (with its log position) or a
checkpoint (by its tree size). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from registry.audit import checkpoints, merkle, tree
from registry.audit.leaf import LeafError, leaf_bytes
from registry.audit.note import NoteError, Verifier, open_checkpoint
from registry.projections.decode import lowest_position, read_window
from registry.projections.runner import no_gc_pauses
from registry.projections.store import Views

#: Log positions read at once.
WINDOW = 20_000

Progress = Callable[[int, int], None]


class Failed(Exception):
    """What failed first, and where."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass
class Report:
    """What `verify_log` checked. `failure` is None only if everything held."""

    leaves: int = 0
    checkpoints: int = 0
    failure: Failed | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def verify_log(
    recorder: object,
    views: Views,
    verifiers: Sequence[Verifier],
    origin: str,
    *,
    head: int,
    progress: Progress | None = None,
    signed_only: bool = False,
) -> Report:
    """Check the log of `recorder` up to position `head` against its tree and checkpoints.

    With `signed_only`, events after the latest checkpoint are counted but not required
    to be in one (a live registry signs its next checkpoint within a batch).
    """
    report = Report()
    try:
        # The collector would scan and rescan for nothing: every row and leaf is freed by
        # reference counting as soon as it is hashed.
        with no_gc_pauses():
            _verify(recorder, views, verifiers, origin, head, progress, signed_only, report)
    except Failed as failure:
        report.failure = failure
    return report


def _verify(
    recorder: object,
    views: Views,
    verifiers: Sequence[Verifier],
    origin: str,
    head: int,
    progress: Progress | None,
    signed_only: bool,
    report: Report,
) -> None:
    # The checkpoints are read a page at a time, once for each pass over them.
    latest: checkpoints.Kept | None = None
    for latest in checkpoints.each_kept(views):
        _check_signature(latest, verifiers, origin)
        report.checkpoints += 1
    if latest is None:
        raise Failed("the log", "no checkpoint is kept: nothing vouches for it")

    # The later passes stop at the latest checked: a live registry may sign more meanwhile.
    due = checkpoints.each_kept(views, latest.size)  # each checked when the leaves reach it
    pending = next(due, None)
    frontier = merkle.Frontier()
    # From the lowest position stored, not from 1: a row put below the first by hand
    # would otherwise never be read.
    lowest = lowest_position(recorder)
    start = 0 if lowest is None else min(0, lowest - 1)
    while start < head:
        stop = min(start + WINDOW, head)
        rows = read_window(recorder, start, stop)
        if rows:
            first = frontier.size
            stored = {i: (p, h) for i, p, h in tree.stored_leaves(views, first, first + len(rows))}
            for position, aggregate_id, version, topic, state in rows:
                index = frontier.size
                where = f"leaf {index} (log position {position})"
                try:
                    leaf = merkle.leaf_hash(
                        leaf_bytes(position, aggregate_id, version, topic, state)
                    )
                except LeafError as e:
                    raise Failed(where, str(e)) from None
                if index in stored:
                    stored_position, stored_hash = stored[index]
                    if stored_position != position:
                        raise Failed(
                            where,
                            f"the tree has this leaf as the event at position {stored_position}: "
                            "an event was deleted, inserted or moved",
                        )
                    if stored_hash != leaf:
                        raise Failed(where, "the stored event is not the event the tree recorded")
                frontier.append(leaf)
                while pending is not None and pending.size == frontier.size:
                    if frontier.root() != pending.root:
                        raise Failed(
                            f"checkpoint {pending.size}",
                            f"its root is not the root of the log's first {pending.size} events"
                            f" (a leaf before {pending.size} was changed)",
                        )
                    pending = next(due, None)
            report.leaves = frontier.size
        if progress is not None:
            progress(stop - start, stop)
        start = stop

    size = frontier.size
    if pending is not None and pending.size == 0 == size:
        pending = next(due, None)
    if pending is not None:
        raise Failed(
            f"checkpoint {pending.size}", f"the log holds only {size} events; it was truncated"
        )
    extra = tree.stored_leaves(views, size, size + 1)
    if extra:
        raise Failed(
            f"leaf {size} (log position {extra[0][1]})",
            "the tree holds this leaf but the log no longer has its event",
        )
    if size > latest.size:
        tail = f"leaf {latest.size}"
        count = size - latest.size
        events = f"{count} events after the latest checkpoint are"
        if count == 1:
            events = "1 event after the latest checkpoint is"
        message = f"{events} in no signed checkpoint"
        if not signed_only:
            raise Failed(tail, message)
        report.notes.append(f"{tail}: {message}")
    for older, newer in pairwise(checkpoints.each_kept(views, latest.size)):
        if older.size == 0:
            continue
        try:
            proof = tree.consistency_proof(views, older.size, newer.size)
            merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof)
        except (merkle.ProofError, tree.TreeError) as e:
            raise Failed(
                f"checkpoint {newer.size}", f"not consistent with {older.size}: {e}"
            ) from None


def _check_signature(kept: checkpoints.Kept, verifiers: Sequence[Verifier], origin: str) -> None:
    where = f"checkpoint {kept.size}"
    try:
        signed = open_checkpoint(kept.note, verifiers, origin=origin)
    except NoteError as e:
        raise Failed(where, f"its signature does not verify: {e}") from None
    if signed.size != kept.size or signed.root != kept.root:
        raise Failed(where, "the signed note says another size or root than its row")

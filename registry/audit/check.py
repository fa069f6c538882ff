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
5. Each checkpoint the auditor saved earlier (`Saved`, `registry audit verify --since`)
   is signed by a key given, is of this log, and the latest kept checkpoint extends it:
   a log rolled back (with its tree and later checkpoints) or forked since fails here.

The first thing that fails is named: a leaf index (with its log position), a kept
checkpoint (by its tree size) or a saved one (by its name and size). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from registry.audit import checkpoints, merkle, tree
from registry.audit.leaf import LeafError, leaf_bytes
from registry.audit.note import Checkpoint, NoteError, Verifier, open_checkpoint
from registry.domain.errors import InvalidInput
from registry.projections.library import lowest_position, read_window
from registry.projections.runner import no_gc_pauses
from registry.projections.store import Views

#: Log positions read at once.
WINDOW = 20_000

Progress = Callable[[int, int], None]


class Failed(InvalidInput):
    """What failed first, and where."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Saved:
    """A checkpoint the auditor kept apart: the signed note as served, and where it was
    kept (a file name, to name it in a failure). Made by `saved_checkpoint`."""

    name: str
    note: str
    #: What the note says, before its signature is checked.
    claimed: Checkpoint


def saved_checkpoint(name: str, data: bytes) -> Saved:
    """The saved checkpoint in `data` (the signed note as `registry audit checkpoint` prints
    it and `GET /v1/audit/checkpoint` serves it); `name` says where it came from.

    Raises NoteError if `data` is not such a note: not UTF-8 text, no blank line before
    its signatures, or no origin, tree size and root above it. Its signature is checked
    later, by `verify_log`, with the auditor's keys.
    """
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("it is not UTF-8 text") from None
    if not note.strip():
        raise NoteError("it is empty")
    split = note.rfind("\n\n")  # the text ends at the last blank line; signatures follow
    if split < 0:
        raise NoteError("it is not a signed note: no blank line before its signatures")
    return Saved(name, note, Checkpoint.parse(note[: split + 1]))


@dataclass
class Report:
    """What `verify_log` checked. `failure` is None only if everything held."""

    leaves: int = 0
    checkpoints: int = 0
    #: Saved checkpoints found consistent with the latest kept one.
    saved: int = 0
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
    since: Sequence[Saved] = (),
) -> Report:
    """Check the log of `recorder` up to position `head` against its tree and checkpoints.

    With `signed_only`, events after the latest checkpoint are counted but not required
    to be in one (a live registry signs its next checkpoint within a batch). Each of
    `since`, checkpoints the auditor saved earlier, must then be signed (by `verifiers`),
    of `origin`, and extended by the latest kept checkpoint.
    """
    report = Report()
    try:
        # The collector would scan and rescan for nothing: every row and leaf is freed by
        # reference counting as soon as it is hashed.
        with no_gc_pauses():
            latest = _verify(
                recorder, views, verifiers, origin, head, progress, signed_only, report
            )
        for saved in since:
            _check_saved(views, saved, latest, verifiers, origin)
            report.saved += 1
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
) -> checkpoints.Kept:
    """Every check but the saved checkpoints'; return the latest kept checkpoint, whose
    root is then known to be the root of the log's first `size` events."""
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
    return latest


def _check_signature(kept: checkpoints.Kept, verifiers: Sequence[Verifier], origin: str) -> None:
    where = f"checkpoint {kept.size}"
    try:
        signed = open_checkpoint(kept.note, verifiers, origin=origin)
    except NoteError as e:
        raise Failed(where, f"its signature does not verify: {e}") from None
    if signed.size != kept.size or signed.root != kept.root:
        raise Failed(where, "the signed note says another size or root than its row")


def _check_saved(
    views: Views,
    saved: Saved,
    latest: checkpoints.Kept,
    verifiers: Sequence[Verifier],
    origin: str,
) -> None:
    """A saved checkpoint must be signed, of this log, and a prefix of the latest kept one.

    The consistency proof is read from the stored tree but checked against the two
    roots alone (the saved one, and the latest kept one, which the leaves recomputed
    from the log have vouched for): altered tree rows can only make it fail.
    """
    where = f"saved checkpoint {saved.name} (size {saved.claimed.size})"
    if saved.claimed.origin != origin:
        raise Failed(
            where, f"it is a checkpoint of another log ({saved.claimed.origin!r}, not {origin!r})"
        )
    try:
        signed = open_checkpoint(saved.note, verifiers, origin=origin)
    except NoteError as e:
        raise Failed(where, f"its signature does not verify: {e}") from None
    if signed.size > latest.size:
        raise Failed(
            where,
            f"the log's latest signed checkpoint counts {latest.size} events, fewer than this "
            "one: the log was rolled back",
        )
    if signed.size == 0:
        if signed.root != merkle.EMPTY_ROOT:
            raise Failed(where, "its root is not the root of an empty tree")
        return
    try:
        proof = tree.consistency_proof(views, signed.size, latest.size)
        merkle.verify_consistency(signed.size, latest.size, signed.root, latest.root, proof)
    except (merkle.ProofError, tree.TreeError) as e:
        raise Failed(
            where,
            f"the log's latest signed checkpoint ({latest.size} events) does not extend it: "
            f"the log was forked or rewritten since ({e})",
        ) from None

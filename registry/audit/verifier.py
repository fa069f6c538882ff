"""Checking the registry's proofs with nothing but its checkpoint verifier key.

A third party (a receiving department, an auditor, another state) needs no database:
given a signed checkpoint, the log's verifier key (`GET /v1/audit/log-key`) and a
proof from `GET /v1/audit/inclusion` or `GET /v1/audit/consistency`, these functions
say whether the proof holds. Each raises `AuditError` (a ValueError) saying what
failed, and returns the checkpoints it verified.

    from registry.audit.verifier import check_inclusion
    checkpoint = check_inclusion(note, key, leaf_hash=h, index=i, proof=p)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from registry.audit import merkle
from registry.audit.note import (
    Checkpoint,
    NoteError,
    Verifier,
    open_checkpoint,
    parse_verifier_key,
)
from registry.domain.errors import InvalidInput


class AuditError(InvalidInput, ValueError):
    """A checkpoint or a proof that does not verify."""


def _verifiers(keys: str | Iterable[str]) -> list[Verifier]:
    texts = [keys] if isinstance(keys, str) else list(keys)
    try:
        return [parse_verifier_key(text.strip()) for text in texts]
    except NoteError as e:
        raise AuditError(f"the verifier key is not valid: {e}") from None


def open_signed(note: str, keys: str | Iterable[str], origin: str | None = None) -> Checkpoint:
    """The checkpoint in `note` once a signature by one of `keys` is verified."""
    verifiers = _verifiers(keys)
    try:
        return open_checkpoint(note, verifiers, origin=origin or verifiers[0].name)
    except NoteError as e:
        raise AuditError(f"the checkpoint does not verify: {e}") from None


def check_inclusion(
    note: str,
    keys: str | Iterable[str],
    *,
    leaf_hash: bytes,
    index: int,
    proof: Sequence[bytes],
) -> Checkpoint:
    """Check that leaf `index` of the checkpoint's tree is `leaf_hash`."""
    checkpoint = open_signed(note, keys)
    try:
        merkle.verify_inclusion(index, checkpoint.size, leaf_hash, proof, checkpoint.root)
    except merkle.ProofError as e:
        raise AuditError(f"leaf {index}: {e}") from None
    return checkpoint


def check_consistency(
    older: str, newer: str, keys: str | Iterable[str], *, proof: Sequence[bytes]
) -> tuple[Checkpoint, Checkpoint]:
    """Check that the tree of checkpoint `newer` only appended to that of `older`."""
    first, second = open_signed(older, keys), open_signed(newer, keys)
    if first.origin != second.origin:
        raise AuditError(f"the checkpoints are of two logs: {first.origin}, {second.origin}")
    try:
        merkle.verify_consistency(first.size, second.size, first.root, second.root, proof)
    except merkle.ProofError as e:
        raise AuditError(f"from {first.size} to {second.size}: {e}") from None
    return first, second

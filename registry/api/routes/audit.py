"""Routes: the tamper-evident history. Public, and hashes only: never an event's contents.

Anyone can fetch the latest signed checkpoint and the log's verifier key, and ask for
the proof that a leaf is in the tree (inclusion) or that a later tree only appended
to an earlier one (consistency); `registry.audit.verifier` checks them offline.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from registry.api.auth import EVERYONE, allow
from registry.api.services import Services, services_of
from registry.audit import checkpoints, tree
from registry.domain.errors import InvalidInput, NotFound

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Svc = Annotated[Services, Depends(services_of)]
#: Larger than any log, small enough for every database's integers.
LIMIT = 2**62
Size = Annotated[int | None, Query(ge=0, le=LIMIT, description="A tree size.")]


class LeafHashes(BaseModel):
    """Leaf hashes [start, end) of the log's Merkle tree, standard base64."""

    start: int
    end: int
    leaf_hashes: list[str]


class InclusionProof(BaseModel):
    """The RFC 9162 inclusion proof of one leaf in the tree of `tree_size` leaves."""

    index: int
    position: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProof(BaseModel):
    """The RFC 9162 proof that the tree of `second` leaves extends the tree of `first`."""

    first: int
    second: int
    proof: list[str]


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode() for v in values]


def _latest_size(services: Services) -> int:
    latest = checkpoints.latest_kept(services.views)
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    return latest.size


@router.get(
    "/checkpoint",
    dependencies=[allow(*EVERYONE)],
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def checkpoint(
    services: Svc,
    size: Annotated[
        int | None,
        Query(ge=0, le=LIMIT, description="The tree size of a kept checkpoint (default: latest)."),
    ] = None,
) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), as text; or,
    with `size`, the one kept for that tree size (every checkpoint signed is kept, so an
    auditor can check any two for consistency)."""
    if size is None:
        kept = checkpoints.latest_kept(services.views)
        if kept is None:
            raise NotFound("no checkpoint has been signed yet")
        return PlainTextResponse(kept.note, headers={"Cache-Control": "no-cache"})
    kept = checkpoints.at_size(services.views, size)
    if kept is None:
        raise NotFound(f"no checkpoint is kept for a tree of {size} leaves")
    return PlainTextResponse(kept.note, headers={"Cache-Control": "max-age=86400, immutable"})


@router.get("/log-key", dependencies=[allow(*EVERYONE)], response_class=PlainTextResponse)
def log_key(services: Svc) -> PlainTextResponse:
    """The checkpoint verifier keys in signed-note form (`origin+keyid+key`), one a line,
    the one that signs now first."""
    keys = services.signing.log_keys()
    if not keys:
        raise NotFound("no checkpoint key has been published yet")
    return PlainTextResponse("".join(f"{key}\n" for key in keys))


@router.get("/leaves", dependencies=[allow(*EVERYONE)], response_model=LeafHashes)
def leaves(
    services: Svc,
    start: Annotated[int, Query(ge=0, le=LIMIT, description="The first leaf index.")],
    end: Annotated[
        int, Query(ge=1, le=LIMIT, description=f"After the last (at most {tree.MAX_LEAVES}).")
    ],
) -> LeafHashes:
    """The leaf hashes of a range of the tree, at most 1000 at once."""
    if not start < end <= start + tree.MAX_LEAVES:
        raise InvalidInput(f"ask for 1 to {tree.MAX_LEAVES} leaves: start < end <= start + 1000")
    have = tree.size(services.views)
    if end > have:
        raise NotFound(f"the tree has {have} leaves")
    hashes = tree.leaf_hashes(services.views, start, end)
    return LeafHashes(start=start, end=end, leaf_hashes=_b64(hashes))


@router.get("/inclusion", dependencies=[allow(*EVERYONE)], response_model=InclusionProof)
def inclusion(
    services: Svc,
    index: Annotated[int | None, Query(ge=0, le=LIMIT, description="The leaf index.")] = None,
    position: Annotated[
        int | None,
        Query(ge=1, le=LIMIT, description="Or the log position of the event (a token's)."),
    ] = None,
    tree_size: Size = None,
) -> InclusionProof:
    """The inclusion proof of a leaf, by index or by the log position of its event, in
    the tree of `tree_size` leaves (default: the latest checkpoint's)."""
    views = services.views
    if (index is None) == (position is None):
        raise InvalidInput("give the leaf's index or its event's log position (one of them)")
    size = _latest_size(services) if tree_size is None else tree_size
    try:
        if index is None:
            assert position is not None
            index = tree.leaf_index(views, position)
        if index >= size:
            raise NotFound(f"leaf {index} is not in a tree of {size} leaves")
        proof = tree.inclusion_proof(views, index, size)
        [(_, at, leaf)] = tree.stored_leaves(views, index, index + 1)
    except tree.TreeError as e:
        raise NotFound(str(e)) from None
    return InclusionProof(
        index=index,
        position=at,
        tree_size=size,
        leaf_hash=_b64([leaf])[0],
        proof=_b64(proof),
    )


@router.get("/consistency", dependencies=[allow(*EVERYONE)], response_model=ConsistencyProof)
def consistency(
    services: Svc,
    first: Annotated[int, Query(ge=1, le=LIMIT, description="The earlier tree size.")],
    second: Size = None,
) -> ConsistencyProof:
    """The consistency proof from the tree of `first` leaves to that of `second` (default:
    the latest checkpoint's)."""
    size = _latest_size(services) if second is None else second
    if first > size:
        raise InvalidInput(f"first ({first}) is larger than second ({size})")
    try:
        proof = tree.consistency_proof(services.views, first, size)
    except tree.TreeError as e:
        raise NotFound(str(e)) from None
    return ConsistencyProof(first=first, second=size, proof=_b64(proof))

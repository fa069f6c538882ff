"""RFC 9162 Merkle trees: hashes, roots, proofs and their verification. Pure functions.

A tree of `size` leaves is addressed by its complete subtrees: the node (level, index)
covers the leaves [index * 2**level, (index + 1) * 2**level). Once complete, a node
never changes, so a store of complete nodes answers proofs for every past tree size.
A range at the tree's right edge that is not complete (a "ragged" range) is hashed
from the complete nodes it is made of (`range_nodes`, then `fold`).

Proofs are made from node addresses only (`inclusion_ranges`, `consistency_ranges`)
and a function that fetches the hashes of many nodes at once, so a store can answer
a proof in one query of O(log n) rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from registry.domain.errors import InvalidInput

#: The hash of an empty tree.
EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32

Node = tuple[int, int]
"""(level, index): the complete subtree over leaves [index << level, (index + 1) << level)."""
Range = tuple[int, int]
"""[start, end): consecutive leaves."""
Fetch = Callable[[Sequence[Node]], dict[Node, bytes]]
"""Hashes of the complete nodes asked for (each must be known)."""


class ProofError(InvalidInput, ValueError):
    """A proof, a root or a size that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete nodes a range of the tree is made of, left to right.

    `start` must be aligned as the tree splits (a multiple of the largest power of
    two not above end - start), as every range in a proof is.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from the hashes of its complete nodes, left to right."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make the inclusion proof of leaf `index` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes prove a tree of `first` leaves is a prefix of one of `second`
    (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    ranges: list[Range] = []
    start, end, complete = 0, second, True
    m = first
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def hash_ranges(ranges: Sequence[Range], fetch: Fetch) -> list[bytes]:
    """The hashes of `ranges`, from the complete nodes fetched in one call."""
    parts = [range_nodes(start, end) for start, end in ranges]
    known = fetch(sorted({node for nodes in parts for node in nodes}))
    return [fold([known[node] for node in nodes]) for nodes in parts]


def root(size: int, fetch: Fetch) -> bytes:
    """The root of the tree of `size` leaves."""
    return EMPTY_ROOT if size == 0 else hash_ranges([(0, size)], fetch)[0]


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    return hash_ranges(inclusion_ranges(index, size), fetch)


def consistency_proof(first: int, second: int, fetch: Fetch) -> list[bytes]:
    return hash_ranges(consistency_ranges(first, second), fetch)


# ------------------------------------------------------------------ verification


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2); ProofError if it is malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    _check_hash(leaf, "the leaf hash")
    fn, sn, r = index, size - 1, leaf
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` of a tree of `size` is `leaf`."""
    _check_hash(root_hash, "the root")
    if root_from_inclusion(index, size, leaf, proof) != root_hash:
        raise ProofError(f"the inclusion proof of leaf {index} does not lead to the root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree of `first` leaves with `first_root` is
    a prefix of the tree of `second` leaves with `second_root` (RFC 9162 2.1.4.2)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first == second:
        if proof:
            raise ProofError("trees of the same size need an empty proof")
        if first_root != second_root:
            raise ProofError("trees of the same size have different roots")
        return
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    if not proof:
        raise ProofError("the consistency proof is empty")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")


# ------------------------------------------------------------------ building


class Frontier:
    """The right edge of a growing tree: the roots of its complete subtrees, largest first.

    `append` adds a leaf hash and returns every node it completes, so a store can keep
    them; `root` is the tree's root at its current size. O(log n) memory.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        nodes = range_nodes(0, size)
        if len(nodes) != len(edge):
            raise ValueError(f"a tree of {size} leaves has {len(nodes)} edge nodes")
        self.size = size
        self._edge: list[tuple[int, bytes]] = [(n[0], h) for n, h in zip(nodes, edge, strict=True)]

    @classmethod
    def resume(cls, size: int, fetch: Fetch) -> Frontier:
        """The frontier of a stored tree of `size` leaves."""
        nodes = range_nodes(0, size)
        known = fetch(nodes) if nodes else {}
        return cls(size, [known[n] for n in nodes])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the (level, index, hash) of each node completed,
        the leaf first."""
        index = self.size
        made = [(0, index, leaf)]
        level, h = 0, leaf
        edge = self._edge
        while edge and edge[-1][0] == level:
            _, left = edge.pop()
            h = node_hash(left, h)
            level += 1
            index >>= 1
            made.append((level, index, h))
        edge.append((level, h))
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        return fold([h for _, h in self._edge])


class MemoryTree:
    """Every complete node of a tree, in memory: a reference for tests and small trees."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[Node, bytes] = {}
        self.frontier = Frontier()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, leaf: bytes) -> None:
        for level, index, h in self.frontier.append(leaf):
            self.nodes[(level, index)] = h

    def fetch(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        return {n: self.nodes[n] for n in nodes}

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.fetch)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self.size if second is None else second, self.fetch)

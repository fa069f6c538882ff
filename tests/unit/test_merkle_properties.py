"""Properties of the RFC 9162 Merkle trees of registry.audit.merkle, checked with hypothesis.

Roots and proofs are compared with a direct transcription of RFC 9162 section 2.1 (MTH,
PATH, PROOF) written here on hashlib alone, proofs MemoryTree makes must verify, and every
small change to a good proof, root, leaf, index or size must make verification fail.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    ProofError,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 200

# ------------------------------------------------------------------ RFC 9162 reference


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(data: Sequence[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 2.1.1."""
    n = len(data)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + data[0])
    k = _k(n)
    return _sha256(b"\x01" + mth(data[:k]) + mth(data[k:]))


def rfc_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 2.1.3.1."""
    n = len(data)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*rfc_path(m, data[:k]), mth(data[k:])]
    return [*rfc_path(m - k, data[k:]), mth(data[:k])]


def rfc_subproof(m: int, data: Sequence[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 2.1.4.1."""
    n = len(data)
    if m == n:
        return [] if complete else [mth(data)]
    k = _k(n)
    if m <= k:
        return [*rfc_subproof(m, data[:k], complete), mth(data[k:])]
    return [*rfc_subproof(m - k, data[k:], False), mth(data[:k])]


def rfc_proof(m: int, data: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]), RFC 9162 2.1.4.1."""
    return rfc_subproof(m, data, True)


def test_reference_is_rfc_9162() -> None:
    # Sanity of the reference itself, against hashes written out by hand.
    a, b, c = b"a", b"b", b"c"
    la, lb, lc = (_sha256(b"\x00" + x) for x in (a, b, c))
    assert mth([]) == hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert mth([a]) == la
    assert mth([a, b, c]) == _sha256(b"\x01" + _sha256(b"\x01" + la + lb) + lc)
    assert rfc_path(2, [a, b, c]) == [_sha256(b"\x01" + la + lb)]
    assert rfc_proof(2, [a, b, c]) == [lc]


# ------------------------------------------------------------------ strategies

# Leaf data: arbitrary short byte strings (duplicates likely, which matters for the
# wrong-index checks), or many distinct leaves so that large trees are tried too.
leaf_lists = st.one_of(
    st.lists(st.binary(max_size=4), min_size=1, max_size=MAX_LEAVES),
    st.integers(1, MAX_LEAVES).map(lambda n: [i.to_bytes(2, "big") for i in range(n)]),
)


def _tree(data: Sequence[bytes]) -> MemoryTree:
    return MemoryTree(leaf_hash(d) for d in data)


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[list[bytes], MemoryTree, int, int]:
    data = draw(leaf_lists)
    size = draw(st.integers(1, len(data)))
    index = draw(st.integers(0, size - 1))
    return data, _tree(data), index, size


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[list[bytes], MemoryTree, int, int]:
    data = draw(leaf_lists)
    second = draw(st.integers(1, len(data)))
    first = draw(st.integers(1, second))
    return data, _tree(data), first, second


def _flips(value: bytes) -> list[bytes]:
    """`value` with one bit flipped, for every bit."""
    out = []
    for i, bit in itertools.product(range(len(value)), range(8)):
        changed = bytearray(value)
        changed[i] ^= 1 << bit
        out.append(bytes(changed))
    return out


EXTRA_HASH = _sha256(b"an extra hash")

# ------------------------------------------------------------------ roots and building


@settings(max_examples=150, deadline=None)
@given(leaf_lists, st.data())
def test_root_is_rfc_mth(data: list[bytes], draw: st.DataObject) -> None:
    tree = _tree(data)
    assert tree.size == len(data)
    assert tree.root() == mth(data)
    assert tree.root(0) == EMPTY_ROOT
    sizes = draw.draw(st.lists(st.integers(1, len(data)), min_size=1, max_size=5))
    for size in sizes:
        assert tree.root(size) == mth(data[:size])
        assert _tree(data[:size]).root() == tree.root(size)


@settings(max_examples=150, deadline=None)
@given(leaf_lists, st.data())
def test_resumed_frontier_continues_like_the_original(
    data: list[bytes], draw: st.DataObject
) -> None:
    tree = _tree(data)
    size = draw.draw(st.integers(0, len(data)))
    frontier = Frontier.resume(size, tree.fetch)
    assert frontier.size == size
    assert frontier.root() == tree.root(size) == mth(data[:size])
    for n, d in enumerate(data[size:], start=size + 1):
        made = frontier.append(leaf_hash(d))
        # The nodes the leaf completes are the tree's own, the leaf first.
        assert made[0] == (0, n - 1, leaf_hash(d))
        for level, index, h in made:
            assert tree.nodes[(level, index)] == h
        assert frontier.size == n
        assert frontier.root() == tree.root(n)
    # And a frontier resumed from a wrong-sized edge is refused.
    with pytest.raises(ValueError):
        Frontier(size + 1, [])


def test_frontier_and_memory_tree_of_nothing() -> None:
    assert Frontier().root() == EMPTY_ROOT
    assert Frontier.resume(0, MemoryTree().fetch).root() == EMPTY_ROOT
    assert MemoryTree().root() == EMPTY_ROOT


# ------------------------------------------------------------------ inclusion


@settings(max_examples=200, deadline=None)
@given(inclusion_cases())
def test_inclusion_proof_is_rfc_path_and_verifies(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    data, tree, index, size = case
    proof = tree.inclusion_proof(index, size)
    assert proof == rfc_path(index, data[:size])
    assert len(proof) == len(inclusion_ranges(index, size))
    leaf = leaf_hash(data[index])
    root = mth(data[:size])
    assert root_from_inclusion(index, size, leaf, proof) == root
    verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=100, deadline=None)
@given(inclusion_cases())
def test_inclusion_fails_on_any_bit_flip(case: tuple[list[bytes], MemoryTree, int, int]) -> None:
    _, tree, index, size = case
    proof = tree.inclusion_proof(index, size)
    leaf, root = tree.nodes[(0, index)], tree.root(size)
    for i, h in enumerate(proof):
        for bad in _flips(h):
            with pytest.raises(ProofError):
                verify_inclusion(index, size, leaf, [*proof[:i], bad, *proof[i + 1 :]], root)
    for bad in _flips(root):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, proof, bad)
    for bad in _flips(leaf):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, bad, proof, root)


@settings(max_examples=200, deadline=None)
@given(inclusion_cases())
def test_inclusion_fails_with_a_hash_missing_or_extra(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    _, tree, index, size = case
    proof = tree.inclusion_proof(index, size)
    leaf, root = tree.nodes[(0, index)], tree.root(size)
    for i in range(len(proof)):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, proof[:i] + proof[i + 1 :], root)
    for extra in (EXTRA_HASH, leaf, root, *proof):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, [*proof, extra], root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, [extra, *proof], root)


@settings(max_examples=200, deadline=None)
@given(inclusion_cases())
def test_inclusion_fails_at_a_wrong_index(case: tuple[list[bytes], MemoryTree, int, int]) -> None:
    _, tree, index, size = case
    proof = tree.inclusion_proof(index, size)
    leaf, root = tree.nodes[(0, index)], tree.root(size)
    for other in range(size):
        if other == index:
            continue
        if tree.inclusion_proof(other, size) == proof and tree.nodes[(0, other)] == leaf:
            # Equal data, equal siblings: genuinely the same proof for leaf `other` too.
            verify_inclusion(other, size, leaf, proof, root)
            continue
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaf, proof, root)
    for other in (-1, size, size + 1):
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaf, proof, root)


@settings(max_examples=200, deadline=None)
@given(inclusion_cases())
def test_inclusion_fails_at_a_wrong_size(case: tuple[list[bytes], MemoryTree, int, int]) -> None:
    # The proof of leaf `index` in the tree of `size` leaves, checked as a proof for the
    # tree of `other` leaves (against that tree's own root).
    _, tree, index, size = case
    proof = tree.inclusion_proof(index, size)
    leaf = tree.nodes[(0, index)]
    for other in range(0, tree.size + 2):
        if other == size:
            continue
        other_root = tree.root(other) if other <= tree.size else EXTRA_HASH
        if index < other <= tree.size and tree.inclusion_proof(index, other) == proof:
            verify_inclusion(index, other, leaf, proof, other_root)
            continue
        with pytest.raises(ProofError):
            verify_inclusion(index, other, leaf, proof, other_root)


def test_inclusion_rejects_malformed_input() -> None:
    tree = _tree([b"a", b"b", b"c"])
    proof, leaf, root = tree.inclusion_proof(1, 3), tree.nodes[(0, 1)], tree.root()
    verify_inclusion(1, 3, leaf, proof, root)
    for bad in (b"", leaf[:31], leaf + b"\x00"):
        with pytest.raises(ProofError):
            verify_inclusion(1, 3, bad, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(1, 3, leaf, proof, bad)
        with pytest.raises(ProofError):
            verify_inclusion(1, 3, leaf, [bad, *proof[1:]], root)
    with pytest.raises(ProofError):
        inclusion_ranges(3, 3)
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 0)


# ------------------------------------------------------------------ consistency


@settings(max_examples=200, deadline=None)
@given(consistency_cases())
def test_consistency_proof_is_rfc_proof_and_verifies(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    data, tree, first, second = case
    proof = tree.consistency_proof(first, second)
    assert proof == rfc_proof(first, data[:second])
    assert len(proof) == len(consistency_ranges(first, second))
    verify_consistency(first, second, mth(data[:first]), mth(data[:second]), proof)


@settings(max_examples=100, deadline=None)
@given(consistency_cases())
def test_consistency_fails_on_any_bit_flip(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    _, tree, first, second = case
    proof = tree.consistency_proof(first, second)
    root1, root2 = tree.root(first), tree.root(second)
    for i, h in enumerate(proof):
        for bad in _flips(h):
            with pytest.raises(ProofError):
                verify_consistency(first, second, root1, root2, [*proof[:i], bad, *proof[i + 1 :]])
    for bad in _flips(root1):
        with pytest.raises(ProofError):
            verify_consistency(first, second, bad, root2, proof)
    for bad in _flips(root2):
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, bad, proof)


@settings(max_examples=200, deadline=None)
@given(consistency_cases())
def test_consistency_fails_with_a_hash_missing_or_extra(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    _, tree, first, second = case
    proof = tree.consistency_proof(first, second)
    root1, root2 = tree.root(first), tree.root(second)
    for i in range(len(proof)):
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, root2, proof[:i] + proof[i + 1 :])
    for extra in (EXTRA_HASH, root1, root2, *proof):
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, root2, [*proof, extra])
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, root2, [extra, *proof])


@settings(max_examples=200, deadline=None)
@given(consistency_cases())
def test_consistency_fails_at_wrong_sizes(
    case: tuple[list[bytes], MemoryTree, int, int],
) -> None:
    # The proof from `first` to `second`, checked as a proof between other sizes (against
    # those trees' own roots).
    _, tree, first, second = case
    proof = tree.consistency_proof(first, second)

    def check(size1: int, size2: int) -> None:
        if (size1, size2) == (first, second):
            return
        known = 0 < size1 <= size2 <= tree.size
        root1 = tree.root(size1) if 0 <= size1 <= tree.size else EXTRA_HASH
        root2 = tree.root(size2) if 0 <= size2 <= tree.size else EXTRA_HASH
        if known and tree.consistency_proof(size1, size2) == proof:
            verify_consistency(size1, size2, root1, root2, proof)
            return
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, proof)

    for other in range(0, tree.size + 2):
        check(other, second)
        check(first, other)
    check(second, first)


def test_consistency_rejects_malformed_input() -> None:
    tree = _tree([b"a", b"b", b"c", b"d", b"e"])
    proof, root1, root2 = tree.consistency_proof(3, 5), tree.root(3), tree.root(5)
    verify_consistency(3, 5, root1, root2, proof)
    verify_consistency(5, 5, root2, root2, [])
    for bad in (b"", root1[:31], root1 + b"\x00"):
        with pytest.raises(ProofError):
            verify_consistency(3, 5, bad, root2, proof)
        with pytest.raises(ProofError):
            verify_consistency(3, 5, root1, bad, proof)
        with pytest.raises(ProofError):
            verify_consistency(3, 5, root1, root2, [bad, *proof[1:]])
    with pytest.raises(ProofError):
        verify_consistency(3, 5, root1, root2, [])
    with pytest.raises(ProofError):
        verify_consistency(0, 5, EMPTY_ROOT, root2, proof)
    with pytest.raises(ProofError):
        verify_consistency(5, 5, root2, root2, [root2])
    with pytest.raises(ProofError):
        consistency_ranges(0, 5)
    with pytest.raises(ProofError):
        tree.consistency_proof(5, 3)

"""RFC 9162 Merkle proofs against the transparency-dev/merkle conformance vectors.

The vectors (tests/vectors/merkle, see its README) are the proofs of an 8-leaf reference
tree and mangled variants of them: verification must accept exactly the cases marked
`wantErr: false` and reject every other one with ProofError. The reference tree, built
with MemoryTree, must also reproduce the vectors' roots and happy-path proofs exactly.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from registry.audit.merkle import (
    MemoryTree,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "merkle"
FILES = sorted(VECTORS.glob("*/**/*.json"))

#: The leaf data of the reference tree, as listed in the vectors' README.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]


def _id(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def _kind(path: Path) -> str:
    return path.relative_to(VECTORS).parts[0]


def test_the_vectors_are_there() -> None:
    assert len(FILES) > 100, f"only {len(FILES)} vector files under {VECTORS}"
    assert {_kind(f) for f in FILES} == {"inclusion", "consistency"}
    assert (VECTORS / "LICENSE").is_file()
    # Both outcomes are represented, so neither half of the check is vacuous.
    outcomes = {(_kind(f), _load(f)["wantErr"]) for f in FILES}
    assert outcomes == {
        ("inclusion", False),
        ("inclusion", True),
        ("consistency", False),
        ("consistency", True),
    }


def _verify(path: Path) -> None:
    case = _load(path)
    if _kind(path) == "inclusion":
        verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            _b64(case["leafHash"]),
            _proof(case),
            _b64(case["root"]),
        )
    else:
        verify_consistency(
            case["size1"],
            case["size2"],
            _b64(case["root1"]),
            _b64(case["root2"]),
            _proof(case),
        )


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_vector(path: Path) -> None:
    if _load(path)["wantErr"]:
        with pytest.raises(ProofError):
            _verify(path)
    else:
        _verify(path)  # raises ProofError if a good proof is rejected


def _reference_cases(kind: str) -> list[dict[str, Any]]:
    """The happy-path cases about the reference tree: those of the numbered folders.

    The happy cases of additional/ and single-entry/ are about other trees (a lone leaf
    that is its own root; equal sizes with any equal roots).
    """
    return [
        _load(f)
        for f in FILES
        if _kind(f) == kind
        and f.parent.name.isdigit()
        and f.parent.parent.name == kind
        and not _load(f)["wantErr"]
    ]


def _reference_tree() -> MemoryTree:
    return MemoryTree(leaf_hash(data) for data in REFERENCE_LEAVES)


def test_reference_cases_are_found() -> None:
    assert len(_reference_cases("inclusion")) == 5
    assert len(_reference_cases("consistency")) == 5


def test_reference_tree_roots() -> None:
    tree = _reference_tree()
    assert tree.size == 8
    roots: dict[int, set[bytes]] = {}
    for case in _reference_cases("inclusion"):
        roots.setdefault(case["treeSize"], set()).add(_b64(case["root"]))
    for case in _reference_cases("consistency"):
        roots.setdefault(case["size1"], set()).add(_b64(case["root1"]))
        roots.setdefault(case["size2"], set()).add(_b64(case["root2"]))
    # Every size but 4 has a root in the vectors; each is the reference tree's.
    assert set(roots) == {1, 2, 3, 5, 6, 7, 8}
    for size in range(1, 9):
        for vector_root in roots.get(size, set()):
            assert tree.root(size) == vector_root, f"root of the tree of {size} leaves"


def test_reference_tree_leaves() -> None:
    tree = _reference_tree()
    for case in _reference_cases("inclusion"):
        assert tree.nodes[(0, case["leafIdx"])] == _b64(case["leafHash"])


def test_reference_tree_inclusion_proofs() -> None:
    tree = _reference_tree()
    for case in _reference_cases("inclusion"):
        proof = tree.inclusion_proof(case["leafIdx"], case["treeSize"])
        assert proof == _proof(case), (case["leafIdx"], case["treeSize"])


def test_reference_tree_consistency_proofs() -> None:
    tree = _reference_tree()
    for case in _reference_cases("consistency"):
        proof = tree.consistency_proof(case["size1"], case["size2"])
        assert proof == _proof(case), (case["size1"], case["size2"])

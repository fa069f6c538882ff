"""The tamper-evident history over HTTP: public, hashes only, and checkable offline.

A third party fetches the latest signed checkpoint and the log's verifier key, then
proofs, and checks them with `registry.audit.verifier` and no database.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from registry.audit import merkle
from registry.audit.note import Checkpoint
from registry.audit.verifier import AuditError, check_consistency, check_inclusion, open_signed
from tests.api.conftest import Api
from tests.api.steps import certified, ok, refused
from tests.api.test_verification import claims_of

PUBLIC = "public"


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def log_key(api: Api) -> str:
    response = api.client().get("/v1/audit/log-key")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    keys = response.text.splitlines()
    assert keys and all(key.count("+") >= 2 for key in keys)
    return keys[0]


def checkpoint_covering(api: Api, size: int, timeout: float = 15.0) -> tuple[str, Checkpoint]:
    """The latest signed checkpoint once it covers `size` leaves (the server signs one
    after each batch its runner applies)."""
    key = log_key(api)
    deadline = time.monotonic() + timeout
    while True:
        response = api.client().get("/v1/audit/checkpoint")
        if response.status_code == 200:
            assert response.headers["content-type"].startswith("text/plain")
            signed = open_signed(response.text, key)
            if signed.size >= size:
                return response.text, signed
        assert time.monotonic() < deadline, f"no checkpoint of {size} leaves: {response.text}"
        time.sleep(0.1)


def get(api: Api, path: str, **params: Any) -> dict[str, Any]:
    return ok(api.client(PUBLIC).get(path, params=params))


def test_the_checkpoint_is_signed_by_the_log_key_and_covers_the_log(api: Api) -> None:
    head = api.position()
    note, checkpoint = checkpoint_covering(api, head)
    assert checkpoint.origin == log_key(api).split("+")[0]
    assert note.split("\n")[:2] == [checkpoint.origin, str(checkpoint.size)]
    with pytest.raises(AuditError, match="does not verify"):
        open_signed(note.replace(str(checkpoint.size), str(checkpoint.size + 1), 1), log_key(api))


def test_a_token_s_event_is_proved_in_the_signed_tree(api: Api) -> None:
    _, number = certified(api, "AU-1")
    token = ok(api.client("state").get(f"/v1/certifications/{number}/token"))["token"]
    position = claims_of(token)["log_position"]
    assert isinstance(position, int) and position > 0
    note, checkpoint = checkpoint_covering(api, api.position())

    proof = get(api, "/v1/audit/inclusion", position=position, tree_size=checkpoint.size)
    assert set(proof) == {"index", "position", "tree_size", "leaf_hash", "proof"}
    assert proof["position"] == position and proof["tree_size"] == checkpoint.size
    by_index = get(api, "/v1/audit/inclusion", index=proof["index"], tree_size=checkpoint.size)
    assert by_index == proof
    leaf, path = b64(proof["leaf_hash"]), [b64(p) for p in proof["proof"]]
    key = log_key(api)
    assert check_inclusion(note, key, leaf_hash=leaf, index=proof["index"], proof=path) == (
        checkpoint
    )
    # The leaf the tree shows is the same in the list of leaves.
    listed = get(api, "/v1/audit/leaves", start=proof["index"], end=proof["index"] + 1)
    assert listed == {
        "start": proof["index"],
        "end": proof["index"] + 1,
        "leaf_hashes": [proof["leaf_hash"]],
    }
    # Any other leaf, or a changed proof, fails.
    with pytest.raises(AuditError):
        check_inclusion(note, key, leaf_hash=bytes(32), index=proof["index"], proof=path)
    if path:
        bent = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
        with pytest.raises(AuditError):
            check_inclusion(note, key, leaf_hash=leaf, index=proof["index"], proof=bent)


def test_the_leaves_give_the_checkpoint_s_root(api: Api) -> None:
    _, checkpoint = checkpoint_covering(api, api.position())
    hashes: list[bytes] = []
    while len(hashes) < checkpoint.size:
        end = min(len(hashes) + 1000, checkpoint.size)
        listed = get(api, "/v1/audit/leaves", start=len(hashes), end=end)
        hashes.extend(b64(h) for h in listed["leaf_hashes"])
    assert merkle.MemoryTree(hashes).root() == checkpoint.root


def test_a_later_checkpoint_is_proved_consistent_with_an_earlier_one(api: Api) -> None:
    older_note, older = checkpoint_covering(api, api.position())
    certified(api, "AU-2")
    newer_note, newer = checkpoint_covering(api, api.position())
    assert newer.size > older.size
    proof = get(api, "/v1/audit/consistency", first=older.size, second=newer.size)
    assert proof["first"] == older.size and proof["second"] == newer.size
    path = [b64(p) for p in proof["proof"]]
    key = log_key(api)
    assert check_consistency(older_note, newer_note, key, proof=path) == (older, newer)
    with pytest.raises(AuditError):
        check_consistency(older_note, newer_note, key, proof=path[:-1])
    # Every checkpoint is kept: the older one is still there, word for word.
    kept = api.client().get("/v1/audit/checkpoint", params={"size": older.size})
    assert kept.status_code == 200 and kept.text == older_note
    assert "immutable" in kept.headers["cache-control"]
    # Without `second`, the proof is to the latest checkpoint.
    latest = get(api, "/v1/audit/consistency", first=older.size)
    assert latest["second"] >= newer.size


def test_the_proofs_show_hashes_and_never_what_happened(api: Api) -> None:
    _, number = certified(api, "AU-3")
    token = ok(api.client("state").get(f"/v1/certifications/{number}/token"))["token"]
    position = claims_of(token)["log_position"]
    _, checkpoint = checkpoint_covering(api, api.position())
    texts = [
        api.client().get("/v1/audit/inclusion", params={"position": position}).text,
        api.client().get("/v1/audit/leaves", params={"start": 0, "end": checkpoint.size}).text,
        api.client().get("/v1/audit/consistency", params={"first": 1}).text,
    ]
    for text in texts:
        assert "AU-3" not in text and number not in text and "Officer" not in text


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/audit/leaves", {"start": 0, "end": 1001}, 422),
        ("/v1/audit/leaves", {"start": 5, "end": 5}, 422),
        ("/v1/audit/leaves", {"start": -1, "end": 2}, 422),
        ("/v1/audit/leaves", {"start": 0, "end": 10**9}, 422),
        ("/v1/audit/leaves", {"start": 10**8, "end": 10**8 + 1}, 404),
        ("/v1/audit/leaves", {"start": "x", "end": 2}, 422),
        ("/v1/audit/inclusion", {}, 422),
        ("/v1/audit/inclusion", {"index": 0, "position": 1}, 422),
        ("/v1/audit/inclusion", {"index": 10**8}, 404),
        ("/v1/audit/inclusion", {"position": 10**8}, 404),
        ("/v1/audit/inclusion", {"index": 0, "tree_size": 10**8}, 404),
        ("/v1/audit/inclusion", {"index": 3, "tree_size": 3}, 404),
        ("/v1/audit/inclusion", {"index": 0, "tree_size": 2**70}, 422),
        ("/v1/audit/consistency", {"first": 0}, 422),
        ("/v1/audit/consistency", {"first": 5, "second": 4}, 422),
        ("/v1/audit/consistency", {"first": 1, "second": 10**8}, 404),
        ("/v1/audit/consistency", {}, 422),
        ("/v1/audit/checkpoint", {"size": 10**8}, 404),
        ("/v1/audit/checkpoint", {"size": -1}, 422),
    ],
)
def test_what_the_tree_cannot_prove_is_a_problem_not_an_error(
    api: Api, path: str, params: dict[str, Any], status: int
) -> None:
    checkpoint_covering(api, 3)
    problem = refused(api.client().get(path, params=params), status)
    assert problem["detail"]

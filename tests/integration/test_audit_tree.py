"""The Merkle tree over the log, kept by a projection: exactly the tree of the stored
events, on SQLite and PostgreSQL; signed checkpoints after each batch; a token's event
proved in the tree by a third party with nothing but the log's verifier key."""

from __future__ import annotations

import base64
import random
import uuid
from itertools import pairwise

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.audit import checkpoints, merkle, tree
from registry.audit.leaf import leaf_bytes
from registry.audit.note import Checkpoint, verifier_key
from registry.audit.verifier import AuditError, check_consistency, check_inclusion
from registry.projections.library import read_window
from registry.projections.runner import Runner
from registry.signing.jws import claims_of, parse
from registry.signing.keys import KeyStore
from registry.signing.service import Signing
from tests.factories import certified_officer, register_agencies_and_academies
from tests.integration.history import enrol_officers, random_steps
from tests.integration.racing import race


def reference(app) -> merkle.MemoryTree:
    """The tree of the stored events, computed here from the rows alone."""
    rows = read_window(app.recorder, 0, app.position())
    return merkle.MemoryTree(merkle.leaf_hash(leaf_bytes(*row)) for row in rows)


def stored_nodes(runner: Runner) -> dict[tuple[int, int], bytes]:
    views = runner.views
    rows = tree.stored_leaves(views, 0, tree.size(views))
    nodes = {(0, i): h for i, _, h in rows}
    for row in tree.store.query(views, "SELECT level, idx, hash FROM audit_nodes"):
        nodes[(int(row["level"]), int(row["idx"]))] = bytes(row["hash"])
    return nodes


def test_the_projected_tree_is_the_tree_of_the_stored_events(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    posts = enrol_officers(app, 8, seed=3)
    runner = Runner(app, batch_size=29)
    for round_ in range(3):
        random_steps(app, posts, steps=40, seed=round_)
        runner.catch_up()  # the tree grows batch by batch, across many windows
    expected = reference(app)
    assert expected.size == app.position() > 100
    assert runner.lag()["merkle_tree"] == 0
    assert stored_nodes(runner) == expected.nodes  # every complete node, nothing else

    rng = random.Random(7)
    views = runner.views
    for _ in range(40):
        size = rng.randint(1, expected.size)
        index = rng.randrange(size)
        root = tree.root(views, size)
        assert root == expected.root(size)
        proof = tree.inclusion_proof(views, index, size)
        merkle.verify_inclusion(index, size, expected.nodes[(0, index)], proof, root)
        first = rng.randint(1, size)
        proof = tree.consistency_proof(views, first, size)
        merkle.verify_consistency(first, size, expected.root(first), root, proof)


def test_racing_runners_append_every_leaf_exactly_once(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    for n in range(6):
        certified_officer(app, f"UT-{n:04d}")
    runners = [Runner(make_registry(), batch_size=4) for _ in range(3)]
    assert race(runners, lambda runner: runner.catch_up(only=runner.tree)) == []
    assert stored_nodes(runners[0]) == reference(app).nodes


def test_the_tree_refuses_what_it_does_not_have(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    runner = Runner(app)
    runner.catch_up()
    views, size = runner.views, tree.size(runner.views)
    with pytest.raises(tree.TreeError, match="has"):
        tree.root(views, size + 1)
    with pytest.raises(tree.TreeError, match="not in a tree"):
        tree.inclusion_proof(views, size, size)
    with pytest.raises(tree.TreeError, match="no consistency proof"):
        tree.consistency_proof(views, 0, size)
    with pytest.raises(tree.TreeError, match="at most"):
        tree.leaf_hashes(views, 0, tree.MAX_LEAVES + 1)
    with pytest.raises(tree.TreeError, match="no leaf"):
        tree.leaf_index(views, app.position() + 1)


@pytest.fixture
def signing(make_registry, tmp_path) -> Signing:
    app = make_registry()
    return Signing(app, Runner(app, batch_size=5), keys=KeyStore(tmp_path / "keys"))


def test_a_checkpoint_is_signed_after_each_batch_and_each_is_kept(signing):
    app, runner = signing.app, signing.runner
    register_agencies_and_academies(app)
    for n in range(4):
        certified_officer(app, f"UT-{n:04d}")
    runner.catch_up()
    runner.catch_up()  # the checkpoint key's own publication is the log's last event
    kept = checkpoints.kept(runner.views)
    batches = -(-app.position() // runner.batch_size)
    assert len(kept) >= batches > 3
    assert kept[-1].size == app.position() == tree.size(runner.views)
    assert list(checkpoints.each_kept(runner.views, page=2)) == kept  # read page by page
    assert list(checkpoints.each_kept(runner.views, kept[2].size, page=2)) == kept[:3]
    [key] = signing.log_keys()
    assert key.startswith(f"{signing.origin}+")
    expected = reference(app)
    for older, newer in pairwise(kept):
        first, second = check_consistency(
            older.note,
            newer.note,
            key,
            proof=tree.consistency_proof(runner.views, older.size, newer.size),
        )
        assert (first.size, second.size) == (older.size, newer.size)
        assert second.root == expected.root(newer.size)
    # Asking again for the same tree keeps no second checkpoint of it.
    assert signing.checkpoint() == kept[-1]
    assert len(checkpoints.kept(runner.views)) == len(kept)


def test_a_token_names_its_event_and_a_third_party_proves_it_in_the_log(signing):
    app, runner = signing.app, signing.runner
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    token = signing.issue_token(number)
    position = claims_of(parse(token))["log_position"]
    issued = read_window(app.recorder, position - 1, position)
    assert issued[0][3].endswith("CertificateIssued"), issued[0][3]

    runner.catch_up()
    latest = checkpoints.latest_kept(runner.views)
    assert latest is not None and latest.size == tree.size(runner.views)
    index = tree.leaf_index(runner.views, position)
    proof = tree.inclusion_proof(runner.views, index, latest.size)
    leaf = merkle.leaf_hash(leaf_bytes(*issued[0]))  # what an auditor recomputes
    [key] = signing.log_keys()
    checkpoint = check_inclusion(latest.note, key, leaf_hash=leaf, index=index, proof=proof)
    assert checkpoint == Checkpoint(signing.origin, latest.size, latest.root)

    other = merkle.leaf_hash(leaf_bytes(*read_window(app.recorder, 0, 1)[0]))
    with pytest.raises(AuditError, match=f"leaf {index}"):
        check_inclusion(latest.note, key, leaf_hash=other, index=index, proof=proof)
    forged = latest.note.replace(
        base64.b64encode(latest.root).decode(), base64.b64encode(bytes(32)).decode()
    )
    with pytest.raises(AuditError, match="does not verify"):
        check_inclusion(forged, key, leaf_hash=leaf, index=index, proof=proof)
    stranger = verifier_key(
        signing.origin, Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    )
    with pytest.raises(AuditError, match="does not verify"):
        check_inclusion(latest.note, stranger, leaf_hash=leaf, index=index, proof=proof)


# --------------------------------------------------------------- property tests


def synthetic_log(app, leaves: int, seed: int) -> None:
    """`leaves` stored events of random sizes, written straight through the recorder."""
    rng = random.Random(seed)
    events = []
    for n in range(leaves):
        body = rng.randbytes(rng.randint(0, 40)).hex()
        state = (
            b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:%02d.%06d+00:00"},'
            % (n % 60, rng.randrange(10**6))
            + b'"body":"%s"}' % body.encode()
        )
        events.append(StoredEvent(uuid.UUID(int=rng.getrandbits(128)), 1, "bench:Event", state))
    for start in range(0, leaves, 97):
        app.recorder.insert_events(events[start : start + 97])


def test_every_proof_the_stored_tree_gives_verifies_and_no_bit_can_change(make_registry):
    app = make_registry()
    synthetic_log(app, 300, seed=11)
    runner = Runner(app, batch_size=37)
    runner.catch_up(only=runner.tree)
    views = runner.views

    @settings(max_examples=80, deadline=None)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        size = data.draw(st.integers(1, 300), label="tree size")
        index = data.draw(st.integers(0, size - 1), label="leaf")
        first = data.draw(st.integers(1, size), label="earlier size")
        root, earlier = tree.root(views, size), tree.root(views, first)
        leaf = tree.leaf_hashes(views, index, index + 1)[0]
        inclusion = tree.inclusion_proof(views, index, size)
        consistency = tree.consistency_proof(views, first, size)
        merkle.verify_inclusion(index, size, leaf, inclusion, root)
        merkle.verify_consistency(first, size, earlier, root, consistency)

        bit = data.draw(st.integers(0, 255), label="bit")

        def flipped(value: bytes) -> bytes:
            at = bit // 8
            return value[:at] + bytes([value[at] ^ (1 << bit % 8)]) + value[at + 1 :]

        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, flipped(leaf), inclusion, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaf, inclusion, flipped(root))
        if inclusion:
            k = data.draw(st.integers(0, len(inclusion) - 1), label="proof hash")
            bent = [*inclusion[:k], flipped(inclusion[k]), *inclusion[k + 1 :]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, leaf, bent, root)
        if consistency:
            k = data.draw(st.integers(0, len(consistency) - 1), label="proof hash")
            bent = [*consistency[:k], flipped(consistency[k]), *consistency[k + 1 :]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(first, size, earlier, root, bent)
        if first < size:
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(first, size, flipped(earlier), root, consistency)

    check()
    assert stored_nodes(runner) == reference(app).nodes

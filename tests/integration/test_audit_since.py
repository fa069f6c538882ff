"""`registry audit verify --since FILE`: a checkpoint the auditor kept apart catches a log
rolled back together with its tree and its later checkpoints, which `audit verify` alone
cannot see (what is left is a whole, signed, consistent log).

Each test builds a registry through the application, saves a checkpoint to a file as the
auditor would (`registry audit checkpoint > saved.txt`), then rolls the log back directly
in the SQLite file or the PostgreSQL database, as someone with write access to the
database (and a registry that still signs) could.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import registry.cli.core
from registry.audit.note import Checkpoint, sign_checkpoint
from registry.audit.tree import NAME as TREE
from tests.factories import TODAY, certified_officer, register_agencies_and_academies
from tests.integration.test_audit_tampering import (
    Verdict,
    checkpoint,
    run,
    stored_events,
    tamper_sql,
    verify,
)

#: Officers certified after the first checkpoint, and the events each one takes.
OFFICERS = 7
EVENTS = 7


@dataclass(frozen=True)
class Saved:
    url: str
    keys: Path
    #: The registry's checkpoint verifier key, as `registry audit log-key` printed it.
    key: str
    #: The checkpoint the auditor saved, at the tree's size then.
    file: Path
    #: Its size.
    size: int
    #: The size of the first checkpoint: the log is rolled back to it.
    first: int


def save_checkpoint(url: str, keys: Path, file: Path) -> int:
    """`registry audit checkpoint > file`; the size it signed."""
    result = run(url, keys, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    file.write_text(result.stdout, encoding="utf-8", newline="")
    return int(result.stdout.splitlines()[1])


@pytest.fixture
def saved(database_url, make_registry, tmp_path, monkeypatch) -> Saved:
    """A first checkpoint after the agencies and academies (the checkpoint key is published
    there), seven certified officers, then a checkpoint the auditor saves to a file."""
    monkeypatch.setitem(registry.cli.core.TIME, "clock", lambda: TODAY)  # the CLI's day too
    url, keys = database_url, tmp_path / "keys"
    app = make_registry()
    register_agencies_and_academies(app)
    first = checkpoint(url, keys)
    for n in range(OFFICERS):
        certified_officer(app, f"UT-{n:04d}")
    file = tmp_path / "saved.txt"
    size = save_checkpoint(url, keys, file)
    assert first > 0 and size == first + OFFICERS * EVENTS == len(stored_events(url))
    log_key = run(url, keys, "audit", "log-key")
    assert log_key.exit_code == 0, log_key.output
    [key] = log_key.stdout.split()
    return Saved(url, keys, key, file, size, first)


def passes(verdict: Verdict) -> str:
    assert verdict.code == 0 and verdict.errors == [], verdict
    return verdict.out


def fails_at_saved(verdict: Verdict, file: Path, size: int) -> str:
    """Assert verify failed naming the saved checkpoint on one stderr line; the message."""
    assert verdict.code == 1, verdict
    [line] = verdict.errors
    prefix = f"error: audit failed at saved checkpoint {file} (size {size}): "
    assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}"
    return line.removeprefix(prefix)


def roll_back(url: str, size: int) -> None:
    """Keep the log's first `size` events and the tree and checkpoints of them; delete the
    rest, and set the tree's projection back, as if nothing had come after them."""
    positions = [row[0] for row in stored_events(url)]
    cut = positions[size - 1]
    tamper_sql(url, "DELETE FROM {events} WHERE {position} > ?", (cut,))
    tamper_sql(url, "DELETE FROM audit_leaves WHERE idx >= ?", (size,))
    # The node (level, idx) covers leaves up to (idx + 1) * 2**level: keep it if within size.
    for level in range(1, 64):
        tamper_sql(
            url, "DELETE FROM audit_nodes WHERE level = ? AND idx >= ?", (level, size >> level)
        )
    tamper_sql(url, "DELETE FROM audit_checkpoints WHERE size > ?", (size,))
    tamper_sql(
        url, "UPDATE {tracking} SET notification_id = ? WHERE application_name = ?", (cut, TREE)
    )
    assert len(stored_events(url)) == size


def certify(make_registry, officers: int, first: int = 500) -> None:
    app = make_registry()
    for n in range(first, first + officers):
        certified_officer(app, f"UT-{n:04d}")


# ------------------------------------------------------------------ an honest log


def test_an_honest_log_grown_since_extends_the_saved_checkpoint(saved, make_registry, tmp_path):
    certify(make_registry, 2)
    later = tmp_path / "later.txt"
    assert save_checkpoint(saved.url, saved.keys, later) == saved.size + 2 * EVENTS
    certify(make_registry, 1, first=600)
    grown = checkpoint(saved.url, saved.keys)
    assert grown == saved.size + 3 * EVENTS

    out = passes(
        verify(
            saved.url,
            saved.keys,
            "--key",
            saved.key,
            "--since",
            str(saved.file),
            "--since",
            str(later),
        )
    )
    assert f"verified: {grown} events, 4 signed checkpoints (keys given)" in out
    assert f"the log extends 2 saved checkpoints ({saved.file}, {later})" in out
    # Without a key, with the keys the log publishes: the same answer, and its warning.
    out = passes(verify(saved.url, saved.keys, "--since", str(saved.file)))
    assert f"the log extends 1 saved checkpoint ({saved.file})" in out
    assert "hold apart" in out


def test_a_checkpoint_of_the_current_tree_itself_passes(saved):
    out = passes(verify(saved.url, saved.keys, "--key", saved.key, "--since", str(saved.file)))
    assert f"verified: {saved.size} events, 2 signed checkpoints" in out
    assert f"the log extends 1 saved checkpoint ({saved.file})" in out


def test_the_json_report_counts_the_saved_checkpoints(saved):
    result = run(saved.url, saved.keys, "--json", "audit", "verify", "--since", str(saved.file))
    assert result.exit_code == 0, result.output
    assert '"saved": 1' in result.stdout
    assert '"ok": true' in result.stdout


# ------------------------------------------------------------------ a rolled-back log


def test_a_log_rolled_back_with_its_tree_and_checkpoints_fails_only_against_the_saved_one(
    saved,
):
    roll_back(saved.url, saved.first)
    # What is left is whole: the first events, their tree, their signed checkpoint.
    out = passes(verify(saved.url, saved.keys, "--key", saved.key))
    assert f"verified: {saved.first} events, 1 signed checkpoint (keys given)" in out

    message = fails_at_saved(
        verify(saved.url, saved.keys, "--key", saved.key, "--since", str(saved.file)),
        saved.file,
        saved.size,
    )
    assert message == (
        f"the log's latest signed checkpoint counts {saved.first} events, fewer than this one: "
        "the log was rolled back"
    )


def test_a_fork_shorter_than_the_saved_checkpoint_is_a_rollback(saved, make_registry):
    roll_back(saved.url, saved.first)
    certify(make_registry, 1)  # 7 other events, signed by the registry as usual
    forked = checkpoint(saved.url, saved.keys)
    assert forked == saved.first + EVENTS < saved.size
    passes(verify(saved.url, saved.keys, "--key", saved.key))

    message = fails_at_saved(
        verify(saved.url, saved.keys, "--key", saved.key, "--since", str(saved.file)),
        saved.file,
        saved.size,
    )
    assert f"counts {forked} events, fewer than this one: the log was rolled back" in message


def test_a_fork_longer_than_the_saved_checkpoint_is_not_consistent_with_it(
    saved, make_registry, tmp_path
):
    roll_back(saved.url, saved.first)
    certify(make_registry, OFFICERS + 1)  # 56 other events: past the saved size
    forked = checkpoint(saved.url, saved.keys)
    assert forked == saved.first + (OFFICERS + 1) * EVENTS > saved.size
    out = passes(verify(saved.url, saved.keys, "--key", saved.key))
    assert f"verified: {forked} events, 2 signed checkpoints (keys given)" in out

    # A checkpoint saved from the forked log holds; the one saved before the rollback
    # fails, and is named even when it is given second.
    early = tmp_path / "early.txt"
    early.write_text(
        run(saved.url, saved.keys, "audit", "checkpoint").stdout, encoding="utf-8", newline=""
    )
    assert early.read_text().splitlines()[1] == str(forked)
    message = fails_at_saved(
        verify(
            saved.url,
            saved.keys,
            "--key",
            saved.key,
            "--since",
            str(early),
            "--since",
            str(saved.file),
        ),
        saved.file,
        saved.size,
    )
    assert message.startswith(
        f"the log's latest signed checkpoint ({forked} events) does not extend it: "
        "the log was forked or rewritten since ("
    ), message


# ------------------------------------------------------------------ refusals


def test_a_saved_checkpoint_signed_by_another_key_fails(saved, tmp_path):
    theirs = Ed25519PrivateKey.generate()
    lines = saved.file.read_text().splitlines()
    claimed = Checkpoint.parse("\n".join(lines[:3]) + "\n")
    forged = tmp_path / "forged.txt"
    forged.write_text(
        sign_checkpoint(claimed, theirs.sign, theirs.public_key().public_bytes_raw()),
        encoding="utf-8",
        newline="",
    )
    message = fails_at_saved(
        verify(saved.url, saved.keys, "--key", saved.key, "--since", str(forged)),
        forged,
        saved.size,
    )
    assert message == "its signature does not verify: the note has no signature by a known key"


def test_a_saved_checkpoint_whose_root_was_changed_fails_its_signature(saved, tmp_path):
    text = saved.file.read_text()
    root = text.splitlines()[2]
    other = ("B" if root[0] != "B" else "C") + root[1:]  # still 32 bytes of canonical base64
    changed = tmp_path / "changed.txt"
    changed.write_text(text.replace(root, other), encoding="utf-8", newline="")
    message = fails_at_saved(
        verify(saved.url, saved.keys, "--since", str(changed)), changed, saved.size
    )
    assert message.startswith("its signature does not verify: the signature by"), message


def test_a_checkpoint_of_another_log_fails(saved, tmp_path):
    theirs = Ed25519PrivateKey.generate()
    note = sign_checkpoint(
        Checkpoint("elsewhere.example", 3, bytes(32)),
        theirs.sign,
        theirs.public_key().public_bytes_raw(),
    )
    other = tmp_path / "other.txt"
    other.write_text(note, encoding="utf-8", newline="")
    message = fails_at_saved(verify(saved.url, saved.keys, "--since", str(other)), other, 3)
    assert message.startswith("it is a checkpoint of another log ('elsewhere.example', not ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a saved checkpoint: it is empty"),
        (b"\xff\xfe not text", "not a saved checkpoint: it is not UTF-8 text"),
        (b"localhost\n55\n", "not a saved checkpoint: it is not a signed note"),
        (b"localhost\nfifty\nAAAA\n\n\xe2\x80\x94 x AAAA\n", "tree size 'fifty'"),
        (b'{"size": 55, "note": "..."}\n\n', "not a saved checkpoint: a checkpoint has at least"),
    ],
)
def test_a_file_that_is_no_checkpoint_is_invalid_input(saved, tmp_path, content, reason):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    verdict = verify(saved.url, saved.keys, "--since", str(saved.file), "--since", str(bad))
    assert verdict.code == 2, verdict
    [line] = verdict.errors
    assert line.startswith(f"error: invalid input: --since {bad}: "), line
    assert reason in line, line
    assert "verified" not in verdict.out


def test_a_missing_or_unreadable_file_is_invalid_input(saved, tmp_path):
    for path in (tmp_path / "missing.txt", tmp_path):
        verdict = verify(saved.url, saved.keys, "--since", str(path))
        assert verdict.code == 2, verdict
        [line] = verdict.errors
        assert line.startswith(f"error: invalid input: --since {path}: cannot read it ("), line

"""`registry audit verify` against an attacker who writes to the database directly.

Each test builds a small registry through the application, signs checkpoints with
`registry audit checkpoint` (the CLI, keys in a temporary folder), checks that it
verifies, then tampers with raw SQL on the SQLite file or the PostgreSQL database, as
someone with write access to the database but not to the key folder could. Verify must
then exit 1 and name, on one stderr line, exactly the leaf (index and log position) or
the checkpoint (tree size) that was tampered with.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from registry.audit import tree
from registry.audit.note import Checkpoint, sign_checkpoint, verifier_key
from registry.audit.tree import NAME as TREE
from registry.cli import app as cli
from registry.projections.runner import Runner
from tests.factories import certified_officer, register_agencies_and_academies

#: The tables an attacker writes to, on each back end: the stored events, the column
#: that is the log position, and the projections' tracking table. `build` checks them
#: against the names the application itself uses.
NAMES = {
    "sqlite": {"events": "stored_events", "position": "rowid", "tracking": "tracking"},
    "postgres": {
        "events": "registry_events",
        "position": "notification_id",
        "tracking": "registry_tracking",
    },
}
#: Officers certified before the second checkpoint (7 events each).
OFFICERS = 7
#: Every column of a stored event but its position, in `stored_event` order.
CONTENT = "originator_id, originator_version, topic, state"


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite:") else "postgres"


def tamper_sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on the test's database directly, committed on its own; return its
    rows. `{events}`, `{position}` and `{tracking}` name the back end's tables and column;
    parameters are `?`."""
    names = NAMES[dialect(url)]
    statement = statement.format(**names)
    if dialect(url) == "sqlite":
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection, connection:
            return connection.execute(statement, params).fetchall()
    with psycopg.connect(url) as connection:
        cursor = connection.execute(statement.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def stored_events(url: str) -> list[tuple[Any, ...]]:
    """(position, originator id, version, topic, state) of every stored event, in log order."""
    return tamper_sql(url, f"SELECT {{position}}, {CONTENT} FROM {{events}} ORDER BY {{position}}")


def stored_event(url: str, position: int) -> tuple[Any, ...]:
    """(originator id, version, topic, state) of the event at `position`."""
    [row] = tamper_sql(url, f"SELECT {CONTENT} FROM {{events}} WHERE {{position}} = ?", (position,))
    return row


def rewrite(url: str, position: int, content: tuple[Any, ...]) -> None:
    """Put `content` (originator id, version, topic, state) at log `position`."""
    tamper_sql(
        url,
        "UPDATE {events} SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
        "WHERE {position} = ?",
        (*content, position),
    )


def one_byte_changed(state: bytes) -> bytes:
    """`state` with the case of one letter changed, in its second half (past the recorded
    time the leaf reads from its beginning): still bytes, still the same length."""
    assert isinstance(state, bytes)
    i = next(i for i in range(len(state) // 2, len(state)) if chr(state[i]).isalpha())
    assert i > state.index(b"}")  # after {"timestamp":{...}
    return state[:i] + bytes([state[i] ^ 0x20]) + state[i + 1 :]


def change_one_byte(url: str, position: int) -> None:
    before = stored_event(url, position)
    tamper_sql(
        url,
        "UPDATE {events} SET state = ? WHERE {position} = ?",
        (one_byte_changed(before[3]), position),
    )
    assert stored_event(url, position)[3] != before[3]


# ------------------------------------------------------------------ the command line


def run(url: str, keys: Path, *args: str):
    env = {"REGISTRY_KEY_DIR": str(keys), "REGISTRY_DATABASE": None, "COLUMNS": "200"}
    return CliRunner().invoke(cli, ["--database", url, *args], env=env)


def checkpoint(url: str, keys: Path) -> int:
    """`registry audit checkpoint`: the size of the tree it signed."""
    result = run(url, keys, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    return int(result.stdout.splitlines()[1])


@dataclass(frozen=True)
class Verdict:
    code: int
    out: str
    #: The error lines on stderr (the progress bar is there too).
    errors: list[str]


def verify(url: str, keys: Path, *options: str) -> Verdict:
    """`registry audit verify`: its exit code, stdout and the error lines of its stderr."""
    result = run(url, keys, "audit", "verify", *options)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return Verdict(result.exit_code, result.stdout, errors)


def fails_at(verdict: Verdict, where: str) -> str:
    """Assert verify failed naming exactly `where` on one stderr line; return the message."""
    assert verdict.code == 1, verdict
    [line] = verdict.errors
    prefix = f"error: audit failed at {where}: "
    assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}"
    return line.removeprefix(prefix)


# ------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Built:
    url: str
    keys: Path
    #: The log positions of the stored events, in log order (leaf i is positions[i]).
    positions: list[int]
    #: The sizes of the kept checkpoints, smallest first.
    sizes: list[int]
    #: The registry's checkpoint verifier key, as `registry audit log-key` printed it.
    key: str

    @property
    def leaves(self) -> int:
        return len(self.positions)


@pytest.fixture
def built(database_url, make_registry, tmp_path) -> Built:
    """Agencies and academies, a checkpoint (the registry's first keys, the checkpoint key
    among them, are published early in the log), seven certified officers, a second
    checkpoint: 56 events, verified."""
    url, keys = database_url, tmp_path / "keys"
    app = make_registry()
    names = NAMES[dialect(url)]
    assert app.recorder.events_table_name == names["events"]
    if dialect(url) == "postgres":
        assert Runner(app).views.tracking_table_name == names["tracking"]
    register_agencies_and_academies(app)
    first = checkpoint(url, keys)
    for n in range(OFFICERS):
        certified_officer(app, f"UT-{n:04d}")
    second = checkpoint(url, keys)
    positions = [row[0] for row in stored_events(url)]
    assert (first, second, len(positions)) == (7, 56, 56)
    assert positions == list(range(1, 57))  # no gap: leaf i is at log position i + 1

    log_key = run(url, keys, "audit", "log-key")
    assert log_key.exit_code == 0, log_key.output
    [key] = log_key.stdout.split()
    clean = verify(url, keys)
    assert clean.code == 0 and clean.errors == [], clean
    assert "verified: 56 events, 2 signed checkpoints" in clean.out
    assert "pass --key with a key you hold apart" in clean.out  # no key was given
    return Built(url, keys, positions, [first, second], key)


# ------------------------------------------------------------------ the tests


def test_a_registry_with_several_checkpoints_verifies_with_the_key_the_auditor_holds(
    built, make_registry
):
    app = make_registry()
    for n in range(OFFICERS, OFFICERS + 3):
        certified_officer(app, f"UT-{n:04d}")
        checkpoint(built.url, built.keys)
    verdict = verify(built.url, built.keys, "--key", built.key)
    assert verdict.code == 0 and verdict.errors == [], verdict
    assert "verified: 77 events, 5 signed checkpoints (keys given)" in verdict.out
    assert "hold apart" not in verdict.out  # the auditor's own key: no warning


def test_a_malformed_key_is_invalid_input(built):
    for bad in ("not-a-key", built.key[:-4], built.key.replace("+", "+00", 1)):
        verdict = verify(built.url, built.keys, "--key", bad)
        assert verdict.code == 2, verdict
        [line] = verdict.errors
        assert line.startswith("error: invalid input: --key: "), line


def test_one_changed_byte_names_its_leaf(built):
    index = built.leaves // 2
    position = built.positions[index]
    change_one_byte(built.url, position)
    message = fails_at(verify(built.url, built.keys), f"leaf {index} (log position {position})")
    assert message == "the stored event is not the event the tree recorded"


def test_a_deleted_event_names_the_leaf_where_it_was(built):
    index = built.leaves // 2
    deleted, next_one = built.positions[index], built.positions[index + 1]
    tamper_sql(built.url, "DELETE FROM {events} WHERE {position} = ?", (deleted,))
    message = fails_at(verify(built.url, built.keys), f"leaf {index} (log position {next_one})")
    assert f"the tree has this leaf as the event at position {deleted}" in message


def test_two_swapped_events_name_the_first(built):
    i, j = built.leaves // 3, 2 * built.leaves // 3
    first, second = built.positions[i], built.positions[j]
    a, b = stored_event(built.url, first), stored_event(built.url, second)
    # Through a version no event has: (originator id, version) is unique at every step.
    tamper_sql(
        built.url, "UPDATE {events} SET originator_version = ? WHERE {position} = ?", (-1, first)
    )
    rewrite(built.url, second, a)
    rewrite(built.url, first, b)
    assert (stored_event(built.url, first), stored_event(built.url, second)) == (b, a)
    message = fails_at(verify(built.url, built.keys), f"leaf {i} (log position {first})")
    assert message == "the stored event is not the event the tree recorded"


def forge(url: str, *, at: int | None = None) -> UUID:
    """Copy the event in the middle of the log as a version its aggregate does not have,
    appended at the end of the log (`at` None) or at log position `at`; return the id of
    its aggregate."""
    events = stored_events(url)
    _, *content = events[len(events) // 2]
    content[1] = 1000
    if at is None:
        tamper_sql(url, f"INSERT INTO {{events}} ({CONTENT}) VALUES (?, ?, ?, ?)", tuple(content))
    else:
        tamper_sql(
            url,
            f"INSERT INTO {{events}} ({{position}}, {CONTENT}) VALUES (?, ?, ?, ?, ?)",
            (at, *content),
        )
    return UUID(str(content[0]))


def test_an_event_appended_after_the_checkpoint_is_in_no_signed_checkpoint(built):
    forge(built.url)
    appended = stored_events(built.url)[-1][0]
    assert appended > built.positions[-1]
    message = fails_at(verify(built.url, built.keys), f"leaf {built.leaves}")
    assert message == "1 event after the latest checkpoint is in no signed checkpoint"

    signed_only = verify(built.url, built.keys, "--signed-only")
    assert signed_only.code == 0 and signed_only.errors == [], signed_only
    assert f"note: leaf {built.leaves}: 1 event after the latest checkpoint" in signed_only.out
    assert f"verified: {built.leaves + 1} events, 2 signed checkpoints" in signed_only.out


def test_an_event_inserted_before_the_first_names_leaf_0(built, make_registry):
    aggregate = forge(built.url, at=0)
    assert stored_events(built.url)[0][0] == 0
    # The application reads it as part of its aggregate's history: it must be in the tree.
    history = make_registry().recorder.select_events(aggregate)
    assert 1000 in [event.originator_version for event in history]
    message = fails_at(verify(built.url, built.keys), "leaf 0 (log position 0)")
    assert "the tree has this leaf as the event at position 1" in message


def test_a_truncated_log_grown_again_names_the_first_truncated_leaf(built, make_registry):
    k = 3
    first_cut = built.leaves - k
    tamper_sql(
        built.url, "DELETE FROM {events} WHERE {position} > ?", (built.positions[first_cut - 1],)
    )
    assert len(stored_events(built.url)) == first_cut
    certified_officer(make_registry(), "UT-0100")  # 7 new events
    grown = checkpoint(built.url, built.keys)  # the tree projection carries on
    assert grown > built.leaves
    # The first event after the cut: at the truncated positions again on SQLite (a rowid
    # is reused), after them on PostgreSQL (a sequence is not). Either way it is leaf
    # `first_cut`, and no checkpoint is checked before the leaves it covers.
    # (The checkpoint key was published early, right after the registrations: had the cut
    # removed its publication, every checkpoint's signature would fail first, at the first.)
    [(position,)] = tamper_sql(
        built.url,
        "SELECT MIN({position}) FROM {events} WHERE {position} > ?",
        (built.positions[first_cut - 1],),
    )
    fails_at(verify(built.url, built.keys), f"leaf {first_cut} (log position {position})")


def rebuild_tree(url: str, make_registry) -> Runner:
    """Forget the whole tree and project it again from the log, as it now is. No checkpoint
    is signed: the attacker has no key."""
    for statement in ("DELETE FROM audit_leaves", "DELETE FROM audit_nodes"):
        tamper_sql(url, statement)
    tamper_sql(url, "DELETE FROM {tracking} WHERE application_name = ?", (TREE,))
    runner = Runner(make_registry())
    runner.catch_up(only=runner.tree)
    return runner


@pytest.mark.parametrize("leaf", ["in the first checkpoint", "in the middle"])
def test_a_rebuilt_tree_no_longer_matches_the_kept_checkpoints(built, make_registry, leaf):
    index = 2 if leaf == "in the first checkpoint" else built.leaves // 2
    change_one_byte(built.url, built.positions[index])
    runner = rebuild_tree(built.url, make_registry)
    assert tree.size(runner.views) == built.leaves
    size = min(s for s in built.sizes if s > index)  # the first checkpoint covering the leaf
    message = fails_at(verify(built.url, built.keys), f"checkpoint {size}")
    assert message.startswith(f"its root is not the root of the log's first {size} events")


def test_checkpoints_signed_again_by_another_key_fail_with_the_registry_key(built, make_registry):
    change_one_byte(built.url, built.positions[built.leaves // 2])
    runner = rebuild_tree(built.url, make_registry)
    origin = runner.app.settings.origin()
    theirs = Ed25519PrivateKey.generate()
    public = theirs.public_key().public_bytes_raw()
    tamper_sql(built.url, "DELETE FROM audit_checkpoints")
    for size in built.sizes:
        root = tree.root(runner.views, size)
        note = sign_checkpoint(Checkpoint(origin, size, root), theirs.sign, public)
        tamper_sql(
            built.url,
            "INSERT INTO audit_checkpoints (size, root, note, made_at) VALUES (?, ?, ?, ?)",
            (size, root, note, datetime.now(UTC).isoformat()),
        )
    # The forgery is whole: with the attacker's own key, everything holds.
    forged = verify(built.url, built.keys, "--key", verifier_key(origin, public))
    assert forged.code == 0 and forged.errors == [], forged

    first = built.sizes[0]
    message = fails_at(verify(built.url, built.keys, "--key", built.key), f"checkpoint {first}")
    assert message.startswith("its signature does not verify"), message
    # The key the log publishes is still the registry's: the same failure without --key.
    fails_at(verify(built.url, built.keys), f"checkpoint {first}")

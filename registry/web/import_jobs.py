"""The roster files the console's import has checked, kept for the session that sent them,
and the writes of their rows in the background.

A kept file is a row of the table `import_uploads`, beside the log in its database (as
the staff tables are), so that every worker of `registry serve --workers N`, and every
server of one database, finds it and its progress: the check page, the button and the
progress bar need not reach the process that read the file. It is found by its random
id and the digest of the session that sent it, so nobody else sees it, and forgotten an
hour after it was last looked at (`TTL`). A database keeps a few: `PER_SESSION` for one
session and `KEPT_BYTES` of text in all, the oldest forgotten first, never one being
written. The write runs in a thread of the process that was asked for it, and writes its
progress into the row after every batch; a write whose row has not moved for `STALE`
seconds (its process ended) counts as stopped, and may be started again: the rows it
wrote are not written twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from registry.api.routes.admin import MAX_IMPORT
from registry.api.services import Services
from registry.domain.values import Actor
from registry.importer import ImportReport, RefusedRow, Row, import_rows, parse_rows
from registry.projections.store import Views, execute, fetch, query
from registry.schema import schema_lock
from registry.storage import DATABASE_ERRORS

log = logging.getLogger(__name__)

#: Seconds a kept file lives after it was last looked at.
TTL = 3600.0
#: Seconds a write may go without moving before it counts as stopped.
STALE = 300.0
#: Files kept for one session at most.
PER_SESSION = 3
#: Bytes of files kept in all at most.
KEPT_BYTES = 4 * MAX_IMPORT
#: Rows saved per transaction by a console write (small, so that its progress moves).
BATCH_SIZE = 100
#: Seconds between two records of a kept file's last use (not one write per look).
TOUCH = 60.0

TABLE = """
    CREATE TABLE IF NOT EXISTS import_uploads (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        size BIGINT NOT NULL,
        roster TEXT NOT NULL,
        checked TEXT NOT NULL,
        used_at {float} NOT NULL,
        write_state TEXT,
        write TEXT,
        write_at {float}
    )"""
#: The columns read to show a kept file (all but its text).
SHOWN = "id, owner, name, size, checked, used_at, write_state, write, write_at"


@dataclass
class Write:
    """A write of a kept file's good rows: how far it got, then what it did. `state` is
    "writing", "done" or "failed"."""

    total: int
    done: int = 0
    state: str = "writing"
    first_position: int = 0
    last_position: int = 0
    report: ImportReport | None = None
    failure: str = ""


@dataclass(frozen=True)
class Upload:
    """A checked file (without its text): what the check found, and its write if begun."""

    id: str
    owner: str
    name: str
    size: int
    check: ImportReport
    write: Write | None = None


def owner_of(session_id: str) -> str:
    """Whose a kept file is: a digest of the session that sent it."""
    return hashlib.sha256(f"import:{session_id}".encode()).hexdigest()


class Full(Exception):
    """No room to keep another file: the files kept are all being written."""


class Uploads:
    """The kept files of one database."""

    def __init__(self, views: Views, database: str, clock: Callable[[], float] = time.time) -> None:
        self.views = views
        self.clock = clock
        if views.dialect == "sqlite":
            lookup = "SELECT name FROM sqlite_master WHERE name = 'import_uploads'"
        else:
            lookup = (
                "SELECT tablename FROM pg_tables WHERE tablename = 'import_uploads' "
                "AND schemaname = current_schema()"
            )
        if not query(views, lookup):  # read first: CREATE TABLE IF NOT EXISTS takes locks
            with schema_lock(database), views.transaction() as cursor:
                cursor.execute(TABLE.format(**views.types))

    def keep(self, owner: str, name: str, text: str, size: int, check: ImportReport) -> Upload:
        """Keep a checked file for `owner`; the oldest files go to make room (Full if none
        can)."""
        upload = Upload(secrets.token_urlsafe(16), owner, name, size, check)
        now = self.clock()
        idle = "(write_state IS NULL OR write_state <> 'writing' OR write_at < ?)"
        with self.views.transaction() as cursor:
            execute(self.views, cursor, f"DELETE FROM import_uploads WHERE used_at < ? AND {idle}",
                    (now - TTL, now - STALE))  # fmt: skip
            kept = fetch(self.views, cursor, "SELECT id, owner, size, used_at, "
                         f"{idle} AS idle FROM import_uploads ORDER BY used_at",
                         (now - STALE,))  # fmt: skip
            mine = [k for k in kept if k["owner"] == owner and k["idle"]]
            gone = {k["id"] for k in mine[: max(0, len(mine) - PER_SESSION + 1)]}
            room = KEPT_BYTES - size - sum(k["size"] for k in kept if k["id"] not in gone)
            for k in kept:
                if room >= 0:
                    break
                if k["idle"] and k["id"] not in gone:
                    gone.add(k["id"])
                    room += k["size"]
            if room < 0:
                raise Full("the files kept are all being written")
            for old in gone:
                execute(self.views, cursor, "DELETE FROM import_uploads WHERE id = ?", (old,))
            execute(self.views, cursor, "INSERT INTO import_uploads (id, owner, name, size, "
                    "roster, checked, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (upload.id, owner, name, size, text, _dump(asdict(check)), now))  # fmt: skip
        return upload

    def find(self, upload_id: str, owner: str) -> Upload | None:
        """The file kept under `upload_id` for `owner`, or None (another's, expired, never
        kept: alike)."""
        now = self.clock()
        found = query(self.views, f"SELECT {SHOWN} FROM import_uploads WHERE id = ?",
                      (upload_id,))  # fmt: skip
        if not found or not secrets.compare_digest(found[0]["owner"], owner):
            return None
        row = found[0]
        writing = row["write_state"] == "writing" and row["write_at"] >= now - STALE
        if row["used_at"] < now - TTL and not writing:
            return None
        if row["used_at"] < now - TOUCH:
            with self.views.transaction() as cursor:
                execute(self.views, cursor, "UPDATE import_uploads SET used_at = ? WHERE id = ?",
                        (now, upload_id))  # fmt: skip
        write = _write(row["write"]) if row["write"] else None
        if write is not None and write.state == "writing" and not writing:
            write.state, write.failure = "failed", "the server process writing it stopped"
        return Upload(row["id"], row["owner"], row["name"], row["size"],
                      _report(json.loads(row["checked"])), write)  # fmt: skip

    def begin(self, upload: Upload, total: int) -> Write | None:
        """Mark the file's write begun, unless one is under way or done (then None)."""
        now, write = self.clock(), Write(total=total)
        with self.views.transaction() as cursor:
            begun = fetch(self.views, cursor, (
                "UPDATE import_uploads SET write_state = 'writing', write = ?, write_at = ? "
                "WHERE id = ? AND (write_state IS NULL OR write_state = 'failed' "
                "OR (write_state = 'writing' AND write_at < ?)) RETURNING id"
            ), (_dump(asdict(write)), now, upload.id, now - STALE))  # fmt: skip
        return write if begun else None

    def record(self, upload_id: str, write: Write) -> None:
        """Record how far a write is."""
        with self.views.transaction() as cursor:
            execute(self.views, cursor, "UPDATE import_uploads SET write_state = ?, write = ?, "
                    "write_at = ? WHERE id = ?",
                    (write.state, _dump(asdict(write)), self.clock(), upload_id))  # fmt: skip

    def rows(self, upload_id: str) -> list[Row]:
        """The rows of the kept file's text."""
        found = query(self.views, "SELECT roster FROM import_uploads WHERE id = ?", (upload_id,))
        return parse_rows(found[0]["roster"]) if found else []


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _report(data: dict[str, Any]) -> ImportReport:
    refused = [RefusedRow(**r) for r in data.pop("refused")]
    return ImportReport(**data, refused=refused)


def _write(text: str) -> Write:
    data = json.loads(text)
    report = data.pop("report")
    return Write(**data, report=None if report is None else _report(report))


def start_write(uploads: Uploads, upload: Upload, services: Services, actor: Actor) -> None:
    """Write the rows of the file its check did not refuse, in a thread of their own,
    unless a write of it is under way or done."""
    refused = {r.line for r in upload.check.refused}
    rows = [row for row in uploads.rows(upload.id) if row.line not in refused]
    write = uploads.begin(upload, len(rows))
    if write is None:
        return
    thread = threading.Thread(target=_run, args=(uploads, upload.id, write, rows, services, actor),
                              name="import-write", daemon=True)  # fmt: skip
    thread.start()


def _run(
    uploads: Uploads, upload_id: str, write: Write, rows: list[Row], services: Services,
    actor: Actor,
) -> None:  # fmt: skip
    registry = services.registry

    def advance(taken: int) -> None:
        write.done += taken
        uploads.record(upload_id, write)

    try:
        write.first_position = registry.position() + 1
        report = import_rows(registry, rows, actor, batch_size=BATCH_SIZE, progress=advance)
        write.last_position = registry.position()
        services.settled(write.last_position)
        write.report, write.state = report, "done"
    except DATABASE_ERRORS as error:
        log.error("an import from the console stopped: database error %s", type(error).__name__)
        write.state, write.failure = "failed", "the registry's database stopped answering"
    except Exception:
        log.exception("an import from the console stopped")
        write.state, write.failure = "failed", "an unexpected error stopped it; it has been logged"
    try:
        uploads.record(upload_id, write)
    except DATABASE_ERRORS:
        log.error("the end of an import from the console could not be recorded")

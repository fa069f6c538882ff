"""The roster files the console's import has checked, kept in memory for the session that
sent them, and the writes of their rows in the background.

A kept file is found by its random id and the digest of the session that sent it, so
nobody else sees it, and it is forgotten an hour after it was last looked at (`TTL`),
so that the person who checked a file writes it without sending it again. The server
keeps a few: `PER_SESSION` for one session and `KEPT_BYTES` of text in all, the oldest
forgotten first, never one being written. A restart forgets them: a check wrote nothing,
and a write cut short is finished by importing the file again, which writes nothing
twice.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.api.routes.admin import MAX_IMPORT
from registry.api.services import Services
from registry.domain.values import Actor
from registry.importer import ImportReport, Row, import_rows, parse_rows
from registry.storage import DATABASE_ERRORS

log = logging.getLogger(__name__)

#: Seconds a kept file lives after it was last looked at.
TTL = 3600.0
#: Files kept for one session at most.
PER_SESSION = 3
#: Bytes of files kept in all at most.
KEPT_BYTES = 4 * MAX_IMPORT
#: Rows saved per transaction by a console write (small, so that its progress moves).
BATCH_SIZE = 100


@dataclass
class Write:
    """A write of a kept file's good rows in the background: how far it got, then what it
    did. `state` is "writing", "done" or "failed"."""

    total: int
    done: int = 0
    first_position: int = 0
    last_position: int = 0
    report: ImportReport | None = None
    failure: str = ""

    @property
    def state(self) -> str:
        if self.report is not None:
            return "done"
        return "failed" if self.failure else "writing"


@dataclass
class Upload:
    """A checked file: its text, what the check found, and its write once started."""

    id: str
    owner: str
    name: str
    text: str
    size: int
    check: ImportReport
    used: float
    write: Write | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def writing(self) -> bool:
        return self.write is not None and self.write.state == "writing"

    def good_rows(self) -> list[Row]:
        """The rows the check did not refuse (those written, or found already written)."""
        refused = {r.line for r in self.check.refused}
        return [row for row in parse_rows(self.text) if row.line not in refused]


def owner_of(session_id: str) -> str:
    """Whose a kept file is: the digest of the session that sent it."""
    return hashlib.sha256(f"import:{session_id}".encode()).hexdigest()


class Full(Exception):
    """No room to keep another file: the files kept are all being written."""


class Uploads:
    """The kept files of one server."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, Upload] = {}

    def keep(self, owner: str, name: str, text: str, size: int, check: ImportReport) -> Upload:
        """Keep a checked file for `owner`; the oldest files go to make room (Full if none
        can)."""
        upload = Upload(secrets.token_urlsafe(16), owner, name, text, size, check, self._clock())
        with self._lock:
            self._forget_expired()
            mine = [u for u in self._kept.values() if u.owner == owner and not u.writing]
            for old in sorted(mine, key=lambda u: u.used)[: max(0, len(mine) - PER_SESSION + 1)]:
                del self._kept[old.id]
            for old in sorted(self._kept.values(), key=lambda u: u.used):
                if sum(u.size for u in self._kept.values()) + size <= KEPT_BYTES:
                    break
                if not old.writing:
                    del self._kept[old.id]
            if sum(u.size for u in self._kept.values()) + size > KEPT_BYTES:
                raise Full("the files kept are all being written")
            self._kept[upload.id] = upload
        return upload

    def find(self, upload_id: str, owner: str) -> Upload | None:
        """The file kept under `upload_id` for `owner`, or None (another's, expired, never
        kept: alike)."""
        with self._lock:
            self._forget_expired()
            upload = self._kept.get(upload_id)
            if upload is None or not secrets.compare_digest(upload.owner, owner):
                return None
            upload.used = self._clock()
            return upload

    def _forget_expired(self) -> None:
        now = self._clock()
        for upload in list(self._kept.values()):
            if now - upload.used > TTL and not upload.writing:
                del self._kept[upload.id]


def start_write(upload: Upload, services: Services, actor: Actor) -> Write:
    """Write the file's good rows in a thread of their own, unless a write of it is on its
    way or done already; the write under way or done."""
    with upload.lock:
        if upload.write is not None and upload.write.state != "failed":
            return upload.write
        rows = upload.good_rows()
        write = upload.write = Write(total=len(rows))
    thread = threading.Thread(
        target=_write, args=(write, rows, services, actor), name="import-write", daemon=True
    )
    thread.start()
    return write


def _write(write: Write, rows: list[Row], services: Services, actor: Actor) -> None:
    registry = services.registry

    def advance(taken: int) -> None:
        write.done += taken

    try:
        write.first_position = registry.position() + 1
        report = import_rows(registry, rows, actor, batch_size=BATCH_SIZE, progress=advance)
        write.last_position = registry.position()
        services.settled(write.last_position)
        write.report = report
    except DATABASE_ERRORS as error:
        log.error("an import from the console stopped: database error %s", type(error).__name__)
        write.failure = "the registry's database stopped answering"
    except Exception:
        log.exception("an import from the console stopped")
        write.failure = "an unexpected error stopped it; it has been logged"

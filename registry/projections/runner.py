"""The projection runner: catches up from the notification log, in batches, exactly once.

eventsourcing's own ProjectionRunner cannot subscribe on SQLite, so this one
reads the notification log directly on both back ends. Each batch is decoded,
applied and recorded with its position in one transaction; a crash at any point
leaves either the whole batch or none of it. On PostgreSQL the runner also
listens for the log's notifications to wake up as soon as something is written.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

import psycopg

from registry.application import Registry
from registry.audit.tree import MerkleTree
from registry.projections import store
from registry.projections.decode import FastDecoder
from registry.projections.library import read_window
from registry.projections.read_models import ReadModels
from registry.projections.store import Views

log = logging.getLogger(__name__)

#: Log positions read and applied per transaction.
BATCH_SIZE = 5000
#: After a catch-up of this many positions, PostgreSQL is given statistics of the tables.
ANALYZE_AFTER = 50_000


class Projection(Protocol):
    """What the runner drives. `topics` None: every topic. A projection with `raw = True`
    is given the stored rows as read (`decode.Row`), not decoded events; one with a
    `committed()` method has it called after each of its batches is committed."""

    name: str
    topics: frozenset[str] | None

    def apply(self, cursor: Any, events: Iterable[Any]) -> None: ...

    def forget(self) -> None: ...


Progress = Callable[[int, int], None]


class Runner:
    """Keeps a registry's projections in step with its log."""

    def __init__(
        self,
        app: Registry,
        *,
        views: Views | None = None,
        projections: list[Projection] | None = None,
        batch_size: int = BATCH_SIZE,
        audit: bool = True,
    ) -> None:
        self.app = app
        self.views = views or store.open_views(app)
        self.read_models = ReadModels(app, self.views)
        #: The Merkle tree over the log (None when `audit` is off: a scratch replay).
        self.tree = MerkleTree(self.views) if audit else None
        default: list[Projection] = [self.read_models]
        if self.tree is not None:
            default.append(self.tree)
        self.projections: list[Projection] = projections or default
        self.batch_size = batch_size
        self.decoder = FastDecoder(app.mapper)
        self._stop = threading.Event()
        #: Where each projection stood after this runner's last window: if it stands
        #: elsewhere now, another runner moved it, and what the projection keeps in
        #: memory (officers, rows last written, expiry dates) is forgotten.
        self._left_at: dict[str, int] = {}
        #: Why the last catch-up in `run_forever` failed; None once one succeeds.
        self.last_error: str | None = None

    # ----------------------------------------------------------------- catch up

    def position(self, name: str | None = None) -> int:
        """Where a projection (default: the read models) stands in the log."""
        return store.position(self.views, name or self.read_models.name)

    def lag(self) -> dict[str, int]:
        """How many log positions each projection is behind."""
        head = self.app.position()
        return {p.name: head - store.position(self.views, p.name) for p in self.projections}

    def catch_up(
        self,
        *,
        until: int | None = None,
        progress: Progress | None = None,
        only: Projection | None = None,
    ) -> int:
        """Apply every event not yet applied (up to `until`) to each projection (or `only`
        one); return how many were read.

        With several projections, passes are repeated until one reads nothing: what a
        later projection's `committed` hook records (the checkpoint key, made on first use)
        is then applied by the earlier ones too. One projection catches up in one pass (it
        looks at the head after each window), so a command waiting for the read models
        pays for no second look.
        """
        projections = self.projections if only is None else [only]
        total = 0
        while True:
            read = 0
            for projection in projections:
                read += self._catch_up(projection, until, progress)
            total += read
            if not read or len(projections) == 1:
                if total >= ANALYZE_AFTER:
                    store.analyze(self.views)
                return total

    def _catch_up(
        self, projection: Projection, until: int | None, progress: Progress | None
    ) -> int:
        """Apply windows of `batch_size` log positions, reading only the topics projected."""
        read = 0
        topics = None if projection.topics is None else sorted(projection.topics)
        while True:
            start = store.position(self.views, projection.name)
            if self._left_at.get(projection.name, start) != start:
                projection.forget()
            self._left_at[projection.name] = start
            head = self.app.position() if until is None else min(until, self.app.position())
            if start >= head:
                return read
            stop = min(start + self.batch_size, head)
            with no_gc_pauses():
                # The window's notifications and events are freed (by reference counting)
                # when this call returns, before the collector is switched back on.
                if not self._apply_window(projection, start, stop, topics):
                    continue  # another runner applied this window first
            self._left_at[projection.name] = stop
            read += stop - start
            committed = getattr(projection, "committed", None)
            if committed is not None:
                committed()
            if progress is not None:
                progress(stop - start, stop)

    def _apply_window(
        self, projection: Projection, start: int, stop: int, topics: list[str] | None
    ) -> bool:
        """Read, decode and apply positions (start, stop] in one transaction.

        Returns False if another runner applied the window first.
        """
        # Each event is decoded as the projection comes to it, and dropped once applied:
        # a window's decoded events are never all in memory at once, which costs more
        # (fresh memory for each window) than the decoding itself.
        rows = read_window(self.app.recorder, start, stop, topics)
        events = rows if getattr(projection, "raw", False) else self.decoder.iter_rows(rows)
        try:
            with self.views.transaction() as cursor:
                store.claim(self.views, cursor, projection.name, start)
                projection.apply(cursor, events)
                store.record(self.views, cursor, projection.name, stop)
        except BaseException:
            # Rows were rolled back; cached aggregates may be ahead of them.
            projection.forget()
            if store.position(self.views, projection.name) != start:
                return False
            raise
        return True

    # ------------------------------------------------------------ read your writes

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until the read models have applied `position` (or `timeout` seconds pass)."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return True

    # ----------------------------------------------------------------- forever

    def run_forever(self, *, poll: float = 1.0) -> None:
        """Catch up, then wait for new events until `stop()`; PostgreSQL wakes it at once.

        A database that stops answering (or drops the connection this runner listens
        on) does not stop it: it logs, waits `poll` seconds, connects again and carries
        on from the position its tracking records say. An event that cannot be applied
        is not skipped (that would leave the read models wrong for good): the runner
        keeps trying, and `last_error` says why it is stuck, for /healthz to report.
        """
        listener: psycopg.Connection[Any] | None = None
        try:
            while not self._stop.is_set():
                try:
                    if listener is None:
                        listener = self._listen()
                    self.catch_up()
                    self.last_error = None
                    self._wait(listener, poll)
                except Exception as e:
                    log.exception("projections could not catch up; retrying in %.1fs", poll)
                    self.last_error = f"{type(e).__name__}: {e}"
                    listener = _closed(listener)
                    self._stop.wait(poll)
        finally:
            _closed(listener)

    def start(self, *, poll: float = 1.0) -> threading.Thread:
        """Run in a background thread (e.g. beside the HTTP server)."""
        thread = threading.Thread(
            target=self.run_forever, kwargs={"poll": poll}, name="projections", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _listen(self) -> psycopg.Connection[Any] | None:
        """A connection listening for the log's notifications (PostgreSQL), else None."""
        if self.views.dialect != "postgres":
            return None
        env = self.app.env
        conn = psycopg.connect(
            host=env.get("POSTGRES_HOST"),
            port=env.get("POSTGRES_PORT"),
            dbname=env.get("POSTGRES_DBNAME"),
            user=env.get("POSTGRES_USER"),
            password=env.get("POSTGRES_PASSWORD") or None,
            autocommit=True,
        )
        conn.execute(f'LISTEN "{self.app.recorder.channel_name}"')  # type: ignore[attr-defined]
        return conn

    def _wait(self, listener: psycopg.Connection[Any] | None, poll: float) -> None:
        if listener is None:
            self._stop.wait(poll)
            return
        for _ in listener.notifies(timeout=poll, stop_after=1):
            pass


def _closed(listener: psycopg.Connection[Any] | None) -> None:
    """Close a listening connection, whatever state it is in; None to forget it."""
    if listener is not None:
        with suppress(Exception):  # it is being dropped; nothing to do with an error
            listener.close()
    return None


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Hold off the cyclic garbage collector while one window is decoded and applied
    (or while `registry audit verify` hashes the log).

    A window allocates tens of thousands of short-lived objects beside a large cache
    of long-lived aggregates, so the collector would run again and again, scanning the
    cache each time, for almost nothing: reference counting frees the events and rows.
    A window is bounded (`batch_size`), and the collector is switched back on after it
    (only if it was on: this never leaves it off for anyone else).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

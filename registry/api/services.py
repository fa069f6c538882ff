"""What the HTTP API works with: one registry, its read models, signing and API keys.

A server process opens these once. The read models are kept up to date by a
background runner (or by `registry projections run` in another process: tracking
makes both safe at once), and a command's response waits until they show it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import date
from typing import Any

from fastapi import Request

from registry.access import ApiKeys
from registry.alerts.deliveries import Deliveries
from registry.alerts.endpoints import Endpoints
from registry.alerts.watches import Watches
from registry.alerts.worker import Worker
from registry.application import Registry
from registry.config import Settings
from registry.projections.runner import Projection, Runner
from registry.projections.store import Views
from registry.schema import schema_lock
from registry.signing.service import Signing
from registry.storage import DATABASE_ERRORS

log = logging.getLogger(__name__)
#: Seconds a command's answer waits for the read models to show it once it is recorded.
PATIENCE = 10.0
#: Set (to "1") by `registry serve` once `prepare` has made the schema: its workers then
#: make no tables nor functions of their own.
PREPARED = "REGISTRY_SCHEMA_PREPARED"


class LockedRunner(Runner):
    """A runner several threads of one process may drive: one catch-up at a time."""

    def __init__(self, app: Registry, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._lock = threading.Lock()

    def catch_up(
        self, *, until: int | None = None, progress: Any = None, only: Projection | None = None
    ) -> int:
        with self._lock:
            return super().catch_up(until=until, progress=progress, only=only)


class Services:
    """The registry and everything beside it that one server process shares."""

    def __init__(self, settings: Settings, *, background: bool = True) -> None:
        self.settings = settings
        # eventsourcing's tables and functions are made by `prepare` before the workers
        # start; the read models and the tree check theirs (made then too) under the lock.
        made = {"CREATE_TABLE": "no"} if os.environ.get(PREPARED) == "1" else None
        with schema_lock(settings.database):
            self.registry = Registry(settings, env=made)
            try:
                self.runner = LockedRunner(self.registry)
            except BaseException:
                self.registry.close()
                raise
        self.signing = Signing(self.registry, self.runner)
        self.keys = ApiKeys(self.registry)
        self.endpoints = Endpoints(self.registry, self.runner.views)
        self.deliveries = Deliveries(self.runner.views)
        self.watches = Watches(self.registry)
        self.background = background
        self._thread: threading.Thread | None = None
        self._worker: Worker | None = None

    @property
    def views(self) -> Views:
        return self.runner.views

    def today(self) -> date:
        return self.registry.clock()

    def start(self) -> None:
        self.runner.catch_up()
        if self.background:
            self._thread = self.runner.start(poll=1.0)
            self._worker = Worker(
                self.endpoints, lambda: self.signing.signer("webhook"), self.settings.issuer,
                catch_up=self.runner.catch_up, watches=self.watches,
            )  # fmt: skip
            self._worker.start()

    def close(self) -> None:
        self.runner.stop()
        if self._worker is not None:
            self._worker.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.registry.close()

    def caught_up(self, position: int) -> None:
        """Return once the read models show everything up to `position`.

        Applying the missing events here, rather than waiting for the background
        runner to wake, answers a command at once; tracking makes it exactly once
        whoever gets there first (this thread, the background runner, another process).
        """
        if self.runner.position() < position:
            self.runner.catch_up(until=position, only=self.runner.read_models)  # type: ignore[arg-type]  # runner.Projection's `topics` wants a read-only property

    def settled(self, position: int, patience: float | None = None) -> bool:
        """`caught_up` for a command already recorded: the database failing now (busy, say)
        must not turn into an answer that says nothing was written, so keep trying for
        `patience` seconds (PATIENCE); False if the read models still do not show it."""
        patience = PATIENCE if patience is None else patience
        deadline = time.monotonic() + patience
        delay = 0.05
        while True:
            try:
                self.caught_up(position)
                return True
            except DATABASE_ERRORS as e:
                if time.monotonic() + delay > deadline:
                    log.warning("read models not at %d after %.0fs: %s", position, patience, e)
                    return False
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


async def services_of(request: Request) -> Services:
    """The services of the app serving `request` (a route dependency; a coroutine, so that
    FastAPI calls it on the event loop rather than in its thread pool)."""
    return request.app.state.services


def prepare(settings: Settings) -> list[str]:
    """Make what every server process of one database shares, once, before they start:
    the log's tables and functions, the read models' and the Merkle tree's tables, and a
    first token key and checkpoint key on a fresh registry (so that verifiers can fetch
    them before anything is signed). Returns the kids of the keys published now."""
    with schema_lock(settings.database):
        registry = Registry(settings)
        try:
            return Signing(registry, Runner(registry)).publish_first_keys()
        finally:
            registry.close()

"""A registry with webhooks on SQLite and PostgreSQL, its runner, endpoints and signing,
and a worker on a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from registry.alerts.endpoints import Endpoints
from registry.alerts.watches import Watches
from registry.alerts.worker import Worker
from registry.application import Registry
from registry.config import Settings
from registry.projections.runner import Runner
from registry.signing.service import Signing
from tests.factories import TODAY, register_agencies_and_academies


class Clock:
    """Seconds, moved by the test (the worker's and the secrets' time)."""

    def __init__(self, at: float = 1_790_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


class Day:
    """The registry's today, moved by the test."""

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


@dataclass
class Alerting:
    app: Registry
    runner: Runner
    endpoints: Endpoints
    signing: Signing
    clock: Clock
    day: Day
    watches: Watches

    def worker(self, **kwargs: object) -> Worker:
        return Worker(
            self.endpoints, lambda: self.signing.signer("webhook"), self.app.settings.issuer,
            now=self.clock,
            jitter=lambda: 0.0, watches=self.watches, **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    def settle(self) -> None:
        """The read models (and so the change feed) show everything recorded."""
        self.runner.catch_up()


@pytest.fixture
def alerting(database_url: str, tmp_path: Path) -> Iterator[Alerting]:
    settings = Settings(
        database=database_url, key_dir=str(tmp_path / "keys"), webhooks_allow_loopback=True
    )
    day = Day(TODAY)
    app = Registry(settings, clock=day)
    try:
        register_agencies_and_academies(app)
        runner = Runner(app)
        clock = Clock()
        yield Alerting(app, runner, Endpoints(app, runner.views, now=clock), Signing(app, runner),
                       clock, day, Watches(app))  # fmt: skip
    finally:
        app.close()

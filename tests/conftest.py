"""Fixtures shared by every test: databases on SQLite and PostgreSQL, and registry factories.

PostgreSQL tests skip with a reason when no server answers, unless
REGISTRY_TEST_POSTGRES=required, when they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime

import psycopg
import pytest

from registry.application import Registry
from registry.cli import core as command_line
from registry.config import Settings
from registry.domain.policy import Policy
from tests.factories import TODAY

POSTGRES_ADMIN_URL = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _postgres_or_skip() -> None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return
    except psycopg.OperationalError as e:
        reason = f"no PostgreSQL server at {POSTGRES_ADMIN_URL}: {e}".strip()
        if os.environ.get("REGISTRY_TEST_POSTGRES") == "required":
            pytest.fail(f"REGISTRY_TEST_POSTGRES=required but {reason}")
        pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of its own, dropped afterwards."""
    _postgres_or_skip()
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/registry.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Each storage test runs once on a SQLite file and once on a PostgreSQL database."""
    return request.getfixturevalue(f"{request.param}_url")


RegistryFactory = Callable[..., Registry]


@pytest.fixture
def make_registry(database_url: str) -> Iterator[RegistryFactory]:
    """Open registries on this test's database; all are closed at the end."""
    opened: list[Registry] = []

    def make(
        *,
        today: date = TODAY,
        policy: Policy | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> Registry:
        """A registry whose today is `today`; it records its events on that day, or at the
        moments `now` gives."""
        settings = Settings(database=database_url, policy=policy or Policy())
        app = Registry(settings, clock=lambda: today, now=now)
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.close()


@pytest.fixture
def registry(make_registry: RegistryFactory) -> Registry:
    """A registry on SQLite and on PostgreSQL."""
    return make_registry()


@pytest.fixture
def memory_registry() -> Callable[..., Registry]:
    """An in-memory registry for rule tests: nothing is kept."""

    def make(*, today: date = TODAY, policy: Policy | None = None) -> Registry:
        return Registry(
            Settings(database="memory://", policy=policy or Policy()), clock=lambda: today
        )

    return make


@pytest.fixture(autouse=True)
def command_line_on_the_tests_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line, run in-process, answers on TODAY as the tests' registries do (and
    records on that day): no test depends on the real date."""
    monkeypatch.setitem(command_line.TIME, "clock", lambda: TODAY)

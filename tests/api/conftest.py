"""A real API server for the API tests: `registry serve` in its own process, on SQLite and on
PostgreSQL, with an API key for every role, and real HTTP clients (httpx).

One server per test module and back end; tests of a module share its registry, so each
uses its own officers. The server's clock is the real one: tests give dates relative to
today in the registry's time zone (`days_ago`).

`deployment` gives a seeded database without a server, for tests that start their own
(several at once, `--no-projections`) and run the `registry` command beside them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from registry.access import ApiKeys
from registry.application import Registry
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.values import Actor, ActorRole
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_or_skip

STATE = Actor("test-setup", ActorRole.STATE)
T = TypeVar("T")

#: The agencies and academy every test server has (agency keys are scoped to the first two).
HOME, OTHER, ACADEMY = "NORTHPD", "SOUTHPD", "UPA"
#: The callers every test server has a key for: role name -> (role, agency, academy).
CALLERS = {
    "state": (ApiRole.STATE, None, None),
    "auditor": (ApiRole.AUDITOR, None, None),
    "agency": (ApiRole.AGENCY, HOME, None),
    "other_agency": (ApiRole.AGENCY, OTHER, None),
    "academy": (ApiRole.ACADEMY, None, ACADEMY),
}


def today() -> date:
    """Today where the registry is (its default zone): the server's "today"."""
    return datetime.now(ZoneInfo(Settings().timezone)).date()


def days_ago(days: int) -> date:
    return today() - timedelta(days=days)


@dataclass
class Api:
    """A running server: its address, a key for each caller, and clients to call it with."""

    base_url: str
    database: str
    keys: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path | None = None  # where the server writes its log (stderr)
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, caller: str = "public") -> httpx.Client:
        """An HTTP client that sends `caller`'s key (none for the public)."""
        if caller not in self._clients:
            headers = {} if caller == "public" else {"Authorization": f"Bearer {self.keys[caller]}"}
            self._clients[caller] = httpx.Client(
                base_url=self.base_url, headers=headers, timeout=30
            )
        return self._clients[caller]

    def position(self) -> int:
        """The head of the log, as /healthz reports it."""
        return int(self.client().get("/healthz").json()["log_position"])

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end in a thread of its own: with its own event loop, whether
    or not this thread runs one (the browser tests' Playwright does)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(database: str) -> dict[str, str]:
    """Register the agencies and the academy, and make a key for every caller."""
    app = Registry(Settings(database=database))
    try:
        for code in (HOME, OTHER):
            app.execute(
                c.RegisterAgency(
                    code=code,
                    name=f"{code} Police",
                    region="Wasatch",
                    districts=["North", "South"],
                    shifts=["Day", "Night"],
                    effective_on=date(2015, 1, 1),
                ),
                STATE,
            )
        app.execute(
            c.RegisterAcademy(
                code=ACADEMY,
                name="Utah Peace Academy",
                state_certified=True,
                effective_on=date(2015, 1, 1),
            ),
            STATE,
        )
        keys = ApiKeys(app)
        return {
            name: keys.create(role, STATE, name=name, agency_code=agency, academy_code=academy)[0]
            for name, (role, agency, academy) in CALLERS.items()
        }
    finally:
        app.close()


#: The `registry` command of this environment.
REGISTRY = str(Path(sys.executable).with_name("registry"))


def registry_env(database: str, tmp: Path, issuer: str = "http://127.0.0.1") -> dict[str, str]:
    """The environment a `registry` process runs with on `database` (keys kept in `tmp`);
    webhook URLs may name 127.0.0.1, where the tests' receivers listen."""
    return {
        **os.environ,
        "REGISTRY_WEBHOOKS_ALLOW_LOOPBACK": "1",
        "REGISTRY_DATABASE": database,
        "REGISTRY_KEY_DIR": str(tmp / "keys"),
        "REGISTRY_ISSUER": issuer,
    }


def start_server(
    database: str, tmp: Path, *extra: str, port: int | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `registry serve` on `database` and wait until /healthz answers. Its output
    (the access log included) goes to `tmp/server.log` (the first server) or
    `tmp/server-PORT.log`."""
    port = port or free_port()
    log = tmp / "server.log"
    if log.exists():
        log = tmp / f"server-{port}.log"
    env = registry_env(database, tmp, f"http://127.0.0.1:{port}")
    process = subprocess.Popen(
        [REGISTRY, "serve", "--port", str(port), *extra],
        env=env,
        stdout=(out := open(log, "wb")),  # noqa: SIM115 (closed with the process)
        stderr=out,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not answer /healthz within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def fresh_database(kind: str, tmp: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file in `tmp`, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/registry.db"
        return
    _postgres_or_skip()
    name = f"registry_api_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACK_ENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACK_ENDS)
def api(request, tmp_path_factory) -> Iterator[Api]:
    """A real server on a fresh database of this module, on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("api")
    with fresh_database(request.param, tmp) as database:
        keys = seed(database)
        base, process = start_server(database, tmp)
        server = Api(base, database, keys, process, log=tmp / "server.log")
        try:
            yield server
        finally:
            server.close()
            stop_server(process)


@dataclass
class Deployment:
    """A seeded database (agencies, academy, a key per caller) and what runs on it: servers
    started with `serve`, `registry` commands run with `cli` or started with `spawn`."""

    kind: str
    database: str
    keys: dict[str, str]
    tmp: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    servers: list[Api] = field(default_factory=list)

    def serve(self, *extra: str) -> Api:
        """Start another `registry serve` (with `extra` options) on this database."""
        base, process = start_server(self.database, self.tmp, *extra)
        server = Api(base, self.database, self.keys, process)
        self.servers.append(server)
        return server

    def stop(self, server: Api) -> None:
        server.close()
        stop_server(server.process)
        self.servers.remove(server)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `registry ARGS...` on this database and wait for it."""
        done = subprocess.run(
            [REGISTRY, *args],
            env=registry_env(self.database, self.tmp),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            command = " ".join(args)
            raise AssertionError(f"registry {command}: exit {done.returncode}\n{done.stderr}")
        return done

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        """Start `registry ARGS...` on this database in the background (stopped at the end)."""
        log = open(self.tmp / f"spawned-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [REGISTRY, *args],
            env=registry_env(self.database, self.tmp),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def close(self) -> None:
        for server in list(self.servers):
            self.stop(server)
        for process in self.processes:
            stop_server(process)


@pytest.fixture(scope="module", params=BACK_ENDS)
def deployment(request, tmp_path_factory) -> Iterator[Deployment]:
    """A seeded database of this module, on SQLite and on PostgreSQL, with no server yet."""
    tmp = tmp_path_factory.mktemp("deployment")
    with fresh_database(request.param, tmp) as database:
        found = Deployment(request.param, database, seed(database), tmp)
        try:
            yield found
        finally:
            found.close()

"""A real API server for the API tests: `registry serve` in its own process, on SQLite and on
PostgreSQL, with an API key for every role, and real HTTP clients (httpx).

One server per test module and back end; tests of a module share its registry, so each
uses its own officers. The server's clock is the real one: tests give dates relative to
today (`days_ago`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

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


def days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


@dataclass
class Api:
    """A running server: its address, a key for each caller, and clients to call it with."""

    base_url: str
    database: str
    keys: dict[str, str]
    process: subprocess.Popen[bytes]
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, caller: str = "public") -> httpx.Client:
        """An HTTP client that sends `caller`'s key (none for the public)."""
        if caller not in self._clients:
            headers = {} if caller == "public" else {"Authorization": f"Bearer {self.keys[caller]}"}
            self._clients[caller] = httpx.Client(
                base_url=self.base_url, headers=headers, timeout=30
            )
        return self._clients[caller]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


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


def start_server(database: str, tmp: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE": database,
        "REGISTRY_KEY_DIR": str(tmp / "keys"),
        "REGISTRY_ISSUER": f"http://127.0.0.1:{port}",
    }
    registry = Path(sys.executable).with_name("registry")
    process = subprocess.Popen(
        [str(registry), "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "server.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(tmp / 'server.log').read_text()[-2000:]}")
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


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(request, tmp_path_factory) -> Iterator[Api]:
    """A real server on a fresh database of this module, on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("api")
    name = None
    if request.param == "sqlite":
        database = f"sqlite:///{tmp}/registry.db"
    else:
        _postgres_or_skip()
        name = f"registry_api_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        database = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        keys = seed(database)
        base, process = start_server(database, tmp)
        server = Api(base, database, keys, process)
        try:
            yield server
        finally:
            server.close()
            stop_server(process)
    finally:
        if name is not None:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

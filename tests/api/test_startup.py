"""`registry serve` as it starts: the schema made once before the workers, the first keys
published before anything is signed, and the issuer taken from where it listens.

Found under load: `registry serve --workers 4` on a fresh PostgreSQL database died after
it had started, in 1 start of 8: two workers replaced eventsourcing's insert function at
once (`tuple concurrently updated`) and uvicorn stopped the whole server. And a fresh
registry published no key until it signed its first token, so a receiving department
could not pin its keys ahead of time.

Every test starts real `registry serve` processes (and `registry` commands) on databases
of its own, and stops them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from registry.cli.server import served_names
from registry.config import listening_issuer
from tests.api.conftest import (
    BACK_ENDS,
    REGISTRY,
    Api,
    free_port,
    fresh_database,
    seed,
    stop_server,
)
from tests.api.steps import certified, ok

#: Starts in a row of `registry serve --workers 4` on a fresh PostgreSQL database.
STARTS = 20
WORKERS = 4
#: Seconds a started server must stay up (a worker that failed took it down within this).
STAYS_UP = 0.5


@dataclass
class Started:
    """A `registry serve` process: where it answers, and what it printed and logged."""

    base_url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def printed(self) -> str:
        return self.stdout.read_text(errors="replace")

    def logged(self) -> str:
        return self.stderr.read_text(errors="replace")


def environment(database: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a `registry` process on `database`, keys kept in `tmp`, with no
    REGISTRY_ISSUER nor REGISTRY_LOG_ORIGIN unless given in `extra`."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("REGISTRY_ISSUER", "REGISTRY_LOG_ORIGIN")
    }
    env.update(REGISTRY_DATABASE=database, REGISTRY_KEY_DIR=str(tmp / "keys"), **extra)
    return env


def launch(database: str, tmp: Path, *options: str, workers: int = 1, **extra: str) -> Started:
    """Start `registry serve` and wait until every worker has started and /healthz answers."""
    port = free_port()
    name = f"serve-{port}"
    stdout, stderr = tmp / f"{name}.out", tmp / f"{name}.log"
    process = subprocess.Popen(
        [REGISTRY, "serve", "--port", str(port), "--workers", str(workers), *options],
        env=environment(database, tmp, **extra),
        stdout=open(stdout, "wb"),  # noqa: SIM115 (closed with the process)
        stderr=open(stderr, "wb"),  # noqa: SIM115
    )
    started = Started(f"http://127.0.0.1:{port}", process, stdout, stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {started.logged()[-3000:]}")
        if started.logged().count("Application startup complete.") >= workers:
            try:
                if httpx.get(f"{started.base_url}/healthz", timeout=2).status_code == 200:
                    return started
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    stop_server(process)
    raise AssertionError(f"server did not start within 60 s: {started.logged()[-3000:]}")


@contextmanager
def serving(database: str, tmp: Path, *options: str, **kwargs: str | int) -> Iterator[Started]:
    started = launch(database, tmp, *options, **kwargs)  # type: ignore[arg-type]
    try:
        yield started
    finally:
        stop_server(started.process)


def cli(database: str, tmp: Path, *args: str) -> str:
    """Run `registry ARGS...` on `database` and return what it printed."""
    done = subprocess.run(
        [REGISTRY, *args],
        env=environment(database, tmp),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def private_halves(tmp: Path) -> list[str]:
    """The base64 body of every private key file kept in `tmp/keys`."""
    pems = sorted((tmp / "keys").glob("*/*.pem"))
    return ["".join(p.read_text().splitlines()[1:-1]) for p in pems]


# ------------------------------------------------------------ the schema, made once


@pytest.mark.postgres
def test_twenty_starts_with_four_workers_on_a_fresh_postgresql_database(tmp_path: Path) -> None:
    """Each start on a new database answers /healthz from all its workers and stays up;
    no worker makes the schema again, so none fails making it."""
    started_in: list[float] = []
    for n in range(STARTS):
        tmp = tmp_path / f"start-{n}"
        tmp.mkdir()
        with fresh_database("postgres", tmp) as database:
            began = time.monotonic()
            with serving(database, tmp, workers=WORKERS) as server:
                started_in.append(time.monotonic() - began)
                time.sleep(STAYS_UP)
                assert server.process.poll() is None, f"start {n} died: {server.logged()[-3000:]}"
                health = httpx.get(f"{server.base_url}/healthz", timeout=5)
                assert health.status_code == 200, health.text
                assert (
                    len(httpx.get(f"{server.base_url}/.well-known/jwks.json").json()["keys"]) == 1
                )
                log = server.logged()
                assert log.count("Application startup complete.") == WORKERS
                assert "Traceback" not in log, f"start {n}: {log[-3000:]}"
                assert "concurrently updated" not in log
    assert len(started_in) == STARTS


# ----------------------------------------------------- the first keys, at the start


@pytest.mark.parametrize("kind", BACK_ENDS)
def test_a_fresh_registry_publishes_its_keys_when_the_server_starts(
    kind: str, tmp_path: Path
) -> None:
    """Before any token is signed, the JWK Set lists the token key and /v1/audit/log-key
    the checkpoint key; two workers publish them once, and a restart publishes none."""
    with fresh_database(kind, tmp_path) as database:
        with serving(database, tmp_path, workers=2) as server:
            jwks = httpx.get(f"{server.base_url}/.well-known/jwks.json").json()
            log_keys = httpx.get(f"{server.base_url}/v1/audit/log-key").text.splitlines()
            assert server.printed().count("published a first signing key") == 2
        assert len(jwks["keys"]) == 1
        (token_key,) = jwks["keys"]
        assert token_key["kty"] == "OKP" and token_key["crv"] == "Ed25519"
        assert "d" not in token_key, "never the private half"
        assert len(log_keys) == 1
        assert log_keys[0].startswith("localhost:8000+"), log_keys

        listed = {
            purpose: json.loads(
                cli(database, tmp_path, "--json", "keys", "list", "--purpose", purpose)
            )
            for purpose in ("token", "checkpoint")
        }
        assert [k["kid"] for k in listed["token"]["keys"]] == [token_key["kid"]]
        assert len(listed["checkpoint"]["keys"]) == 1, "one checkpoint key, not one per worker"
        assert all(k["signs"] for p in listed.values() for k in p["keys"])
        kids = sorted(p.stem for p in (tmp_path / "keys").glob("*/*.pem"))
        assert kids == sorted([token_key["kid"], listed["checkpoint"]["keys"][0]["kid"]])

        with serving(database, tmp_path) as again:
            assert httpx.get(f"{again.base_url}/.well-known/jwks.json").json() == jwks
            assert "published a first signing key" not in again.printed()
            everything = again.printed() + again.logged() + server.printed() + server.logged()
        for secret in private_halves(tmp_path):
            assert secret not in everything


@pytest.mark.parametrize("kind", BACK_ENDS)
def test_registry_keys_jwks_on_a_fresh_database_publishes_the_first_keys(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as database:
        tokens = json.loads(cli(database, tmp_path, "keys", "jwks"))
        checkpoints = json.loads(cli(database, tmp_path, "keys", "jwks", "--purpose", "checkpoint"))
        assert len(tokens["keys"]) == 1 and len(checkpoints["keys"]) == 1
        assert tokens["keys"][0]["kid"] != checkpoints["keys"][0]["kid"]
        assert json.loads(cli(database, tmp_path, "keys", "jwks")) == tokens, "published once"
        printed = json.dumps([tokens, checkpoints])
        for secret in private_halves(tmp_path):
            assert secret not in printed
        assert all("d" not in key for key in tokens["keys"] + checkpoints["keys"])


# ------------------------------------------------------------- the issuer


@pytest.mark.parametrize("kind", BACK_ENDS)
def test_a_server_on_another_port_signs_tokens_issued_by_that_address(
    kind: str, tmp_path: Path
) -> None:
    """With no REGISTRY_ISSUER, the tokens' `iss` and status list are where the server
    listens, and it says so at start-up; the log's origin stays the command line's."""
    with fresh_database(kind, tmp_path) as database:
        keys = seed(database)
        with serving(database, tmp_path) as server:
            address = server.base_url
            assert f"issuer {address} (from --host and --port)" in server.printed()
            api = Api(address, database, keys, server.process)
            try:
                _, number = certified(api, "ISSUER-1")
                token = ok(api.client("state").get(f"/v1/certifications/{number}/token"))["token"]
                status_list = api.client().get("/v1/status-lists/1")
                verified = ok(api.client().post("/v1/verifications", json={"token": token}))
                checkpoint = api.client().get("/v1/audit/checkpoint")
            finally:
                api.close()
        signed = claims(str(token))
        assert signed["iss"] == address
        reference = signed["status"]["status_list"]  # type: ignore[index]
        assert reference["uri"] == f"{address}/v1/status-lists/1"
        assert status_list.status_code == 200
        assert claims(status_list.text)["iss"] == address
        assert claims(status_list.text)["sub"] == f"{address}/v1/status-lists/1"
        assert verified["valid"] is True, verified
        assert checkpoint.status_code == 200, checkpoint.text
        assert checkpoint.text.splitlines()[0] == "localhost:8000", "the log keeps its name"


def test_registry_issuer_wins_over_the_address(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as database:
        issuer = "https://registry.example.gov"
        with serving(database, tmp_path, REGISTRY_ISSUER=issuer) as server:
            assert f"issuer {issuer} (from REGISTRY_ISSUER)" in server.printed()
            assert "log origin registry.example.gov" in server.printed()


@pytest.mark.parametrize(
    ("host", "port", "issuer"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8080, "http://localhost:8080"),
        ("::", 8080, "http://localhost:8080"),
        ("::1", 9000, "http://[::1]:9000"),
        ("registry.internal", 8000, "http://registry.internal:8000"),
    ],
)
def test_the_issuer_of_a_listening_address(host: str, port: int, issuer: str) -> None:
    assert listening_issuer(host, port) == issuer


def test_the_log_origin_never_follows_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_ISSUER", raising=False)
    monkeypatch.delenv("REGISTRY_LOG_ORIGIN", raising=False)
    assert served_names("0.0.0.0", 9000) == ("http://localhost:9000", "localhost:8000")
    monkeypatch.setenv("REGISTRY_ISSUER", "https://cit.example.gov/")
    assert served_names("0.0.0.0", 9000) == ("https://cit.example.gov", "cit.example.gov")
    monkeypatch.setenv("REGISTRY_LOG_ORIGIN", "cit.example.gov/log")
    assert served_names("0.0.0.0", 9000)[1] == "cit.example.gov/log"

"""The server as it is deployed: /healthz, projections in the server or in their own process,
several servers on one database, concurrent writes, If-Match, and API keys from the CLI.

Every test starts its own `registry serve` processes on the module's seeded database
(`deployment`), on SQLite and on PostgreSQL, and stops them when it ends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from eventsourcing.persistence import ConnectionUnavailableError, OperationalError

import registry.api.routes.health as health_module
import registry.api.services as services_module
from registry.api.app import create_app
from registry.api.services import Services
from registry.config import Settings
from tests.api.conftest import (
    HOME,
    Api,
    Deployment,
    days_ago,
    fresh_database,
    run_apart,
    seed,
    start_server,
    stop_server,
)
from tests.conftest import POSTGRES_ADMIN_URL


def officer(post_number: str, agency: str = HOME) -> dict[str, object]:
    return {
        "post_number": post_number,
        "name": f"Officer {post_number}",
        "agency_code": agency,
        "patrol_experience_began_on": days_ago(900).isoformat(),
        "district": "North",
        "shift": "Day",
    }


def enrol(server: Api, post_number: str) -> httpx.Response:
    response = server.client("agency").post("/v1/officers", json=officer(post_number))
    assert response.status_code == 201, response.text
    return response


def wait_until(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def lag(server: Api) -> dict[str, int]:
    health = server.client().get("/healthz")
    assert health.status_code == 200, health.text
    return dict(health.json()["projections"])


def roster(server: Api, prefix: str) -> list[str]:
    """POST numbers starting with `prefix` on the home agency's roster, as listed (repeats kept)."""
    response = server.client("agency").get(f"/v1/agencies/{HOME}/roster", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [
        o["post_number"] for o in response.json()["items"] if o["post_number"].startswith(prefix)
    ]


def tiers(server: Api) -> list[str]:
    return [
        a["code"]
        for a in server.client().get("/v1/agencies", params={"limit": 500}).json()["items"]
    ]


def no_tracebacks(deployment: Deployment) -> None:
    for log in Path(deployment.tmp).glob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.name


def test_healthz_reports_the_database_and_the_lag_of_each_projection(
    deployment: Deployment,
) -> None:
    """A server without projections applies only its own commands: a write made by another
    process shows as lag on /healthz until `registry projections run` applies it."""
    server = deployment.serve("--no-projections")
    health = server.client().get("/healthz").json()
    assert health["status"] == "ok"
    assert health["database"] == "reachable"
    assert health["projections"], "names every projection"
    assert set(health["projections"].values()) == {0}, "caught up when it started"

    before = health["log_position"]
    deployment.cli(
        "agency", "register", "LAGPD", "--name", "Lag Police", "--region", "Wasatch",
        "--district", "North", "--shift", "Day",
    )  # fmt: skip
    health = server.client().get("/healthz").json()
    assert health["log_position"] > before
    assert all(behind >= 1 for behind in health["projections"].values()), health
    assert "LAGPD" not in tiers(server), "nobody has applied the other process's write yet"

    runner = deployment.spawn("projections", "run", "--poll", "0.1")
    wait_until(lambda: set(lag(server).values()) == {0}, "the runner catches the read models up")
    assert "LAGPD" in tiers(server)
    assert runner.poll() is None

    # With the runner at work, the server still answers each command once the read models
    # show it (it applies what it needs itself: tracking makes that exactly once).
    for i in range(5):
        enrol(server, f"SEP-{i}")
        assert roster(server, f"SEP-{i}") == [f"SEP-{i}"]
    deployment.stop(server)
    no_tracebacks(deployment)


def test_two_servers_and_a_runner_on_one_database_apply_each_event_once(
    deployment: Deployment,
) -> None:
    first = deployment.serve()
    second = deployment.serve("--no-projections")
    deployment.spawn("projections", "run", "--poll", "0.05")
    numbers = [f"TWO-{i:02}" for i in range(16)]

    def enrol_on(i: int) -> int:
        server = (first, second)[i % 2]
        response = server.client("agency").post("/v1/officers", json=officer(numbers[i]))
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(enrol_on, range(len(numbers)))) == [201] * len(numbers)

    for server in (first, second):
        # every officer is on the roster once, whichever server (or runner) applied it
        assert sorted(roster(server, "TWO-")) == numbers
        wait_until(lambda s=server: set(lag(s).values()) == {0}, "no lag")
    assert all(p.poll() is None for p in deployment.processes), "the runner is still running"
    for server in (first, second):
        deployment.stop(server)
    no_tracebacks(deployment)


def test_concurrent_writes_to_one_officer_lose_no_update(deployment: Deployment) -> None:
    """24 assignments of one officer from 8 threads through two servers: every success is a
    new version, and the record's version is the first one plus the successes."""
    servers = (deployment.serve(), deployment.serve())
    enrolled = enrol(servers[0], "RACE-1")
    officer_id = enrolled.json()["id"]
    initial = enrolled.json()["version"]
    places = [("North", "Day"), ("South", "Night"), ("North", "Night"), ("South", "Day")]

    def assign(i: int) -> httpx.Response:
        district, shift = places[i % len(places)]
        return (
            servers[i % 2]
            .client("agency")
            .post(
                f"/v1/officers/{officer_id}/assignments",
                json={"district": district, "shift": shift},
            )
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(assign, range(24)))
    done = [r for r in responses if r.status_code == 201]
    # A lost race is retried by the registry; it may give up (409), or find no connection
    # free in time while another process holds the SQLite write lock (503, busy): both
    # write nothing, as the version below shows. Never a 5xx other than that.
    others = [(r.status_code, r.text) for r in responses if r not in done]
    assert all(status in (409, 503) for status, _ in others), others
    assert len(done) >= 12, f"only {len(done)} of 24 got through: {others}"
    versions = sorted(r.json()["version"] for r in done)
    assert versions == list(range(initial + 1, initial + 1 + len(done))), "one version each"

    for server in servers:
        shown = server.client("state").get(f"/v1/officers/{officer_id}")
        assert shown.status_code == 200, shown.text
        assert shown.headers["etag"] == f'"{initial + len(done)}"'
        history = server.client("auditor").get(f"/v1/officers/{officer_id}/history")
        assert history.status_code == 200, history.text
    for server in servers:
        deployment.stop(server)
    no_tracebacks(deployment)


def test_a_stale_if_match_gets_412_and_writes_nothing(deployment: Deployment) -> None:
    server = deployment.serve()
    agency = server.client("agency")
    enrolled = enrol(server, "MATCH-1")
    officer_id = enrolled.json()["id"]
    seen = enrolled.headers["etag"]
    path = f"/v1/officers/{officer_id}/assignments"

    moved = agency.post(
        path, json={"district": "South", "shift": "Night"}, headers={"If-Match": seen}
    )
    assert moved.status_code == 201, moved.text
    assert moved.headers["etag"] != seen

    before = server.position()
    stale = agency.post(
        path, json={"district": "North", "shift": "Day"}, headers={"If-Match": seen}
    )
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["status"] == 412
    malformed = agency.post(
        path, json={"district": "North", "shift": "Day"}, headers={"If-Match": "7"}
    )
    assert malformed.status_code == 400, malformed.text
    assert server.position() == before, "nothing written"

    shown = server.client("state").get(f"/v1/officers/{officer_id}")
    assert shown.headers["etag"] == moved.headers["etag"]
    deployment.stop(server)


def test_a_busy_database_is_503_with_retry_after() -> None:
    """When no database connection comes free in time (eventsourcing's pool gives up while
    another process holds the SQLite write lock), the answer is 503 busy, retry soon: a
    problem document on the API, an HTML page on a page's path, both with Retry-After."""
    app = create_app()

    @app.get("/v1/busy")
    @app.get("/busy")
    def busy() -> None:
        raise ConnectionUnavailableError("Timed out waiting for return of writer")

    async def get(path: str) -> httpx.Response:
        # In process, without the lifespan: no database is opened.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    response = run_apart(get("/v1/busy"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert "busy" in response.json()["detail"]

    page = run_apart(get("/busy"))
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "1"
    assert "busy" in page.text


def test_api_keys_from_the_command_line(deployment: Deployment) -> None:
    """`registry api-keys create` prints the key once; `list` never shows a secret; a revoked
    key is refused by the running server at once."""
    server = deployment.serve()
    made = deployment.cli(
        "--json", "api-keys", "create", "--role", "auditor", "--name", "Ann Audit"
    )
    created = json.loads(made.stdout)
    key, key_id = created["key"], created["key_id"]
    secret = key.rsplit(".", 1)[1]
    assert key.startswith(f"cit.{key_id}.")
    assert created["role"] == "auditor"

    text = deployment.cli("api-keys", "create", "--role", "agency", "--agency", HOME.lower())
    printed = [line for line in text.stdout.splitlines() if line.startswith("cit.")]
    assert len(printed) == 1, "the key is printed once"
    agency_key = printed[0]

    listed = deployment.cli("api-keys", "list").stdout
    listed_json = deployment.cli("--json", "api-keys", "list").stdout
    rows = json.loads(listed_json)
    assert {"key_id": key_id, "role": "auditor", "name": "Ann Audit"}.items() <= next(
        r for r in rows if r["key_id"] == key_id
    ).items()
    assert (
        next(r for r in rows if agency_key.startswith(f"cit.{r['key_id']}."))["agency_code"] == HOME
    )
    for secret_part in (secret, agency_key.rsplit(".", 1)[1]):
        assert secret_part not in listed
        assert secret_part not in listed_json
    assert all("digest" not in r and "key" not in r for r in rows)
    if deployment.kind == "sqlite":  # only a digest is stored: the secret is nowhere in the file
        stored = b"".join(p.read_bytes() for p in Path(deployment.tmp).glob("registry.db*"))
        assert secret.encode() not in stored

    auditor = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"})
    with auditor:
        assert auditor.get(f"/v1/agencies/{HOME}/roster").status_code == 200
        revoked = deployment.cli("api-keys", "revoke", key_id, "--reason", "left the office")
        assert "revoked" in revoked.stdout
        refused = auditor.get(f"/v1/agencies/{HOME}/roster")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    rows = json.loads(deployment.cli("--json", "api-keys", "list").stdout)
    assert next(r for r in rows if r["key_id"] == key_id)["revoked_on"] is not None

    again = deployment.cli("api-keys", "revoke", key_id, "--reason", "twice", check=False)
    assert again.returncode == 1
    wrong = deployment.cli("api-keys", "create", "--role", "agency", check=False)
    assert wrong.returncode == 2, "an agency key names its agency"
    deployment.stop(server)


def test_a_recorded_command_is_answered_with_its_receipt_even_if_the_read_models_lag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found under load: the database failing while the read models caught up answered 503
    ("try again") for a command already recorded, and a retry recorded it twice. Now the
    command is answered with its receipt, marked `Registry-Read-Models: behind`."""
    database = f"sqlite:///{tmp_path}/registry.db"
    keys = seed(database)
    settings = Settings(database=database, key_dir=str(tmp_path / "keys"))
    services = Services(settings, background=False)
    services.start()
    app = create_app(settings, background=False)
    app.state.services = services  # in process, without the lifespan
    failures = iter([OperationalError("database is locked")] * 2)

    def flaky(position: int) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        Services.caught_up(services, position)

    async def enrol_as_agency(post_number: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {keys['agency']}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            return await client.post("/v1/officers", json=officer(post_number))

    try:
        monkeypatch.setattr(services, "caught_up", flaky)
        briefly = run_apart(enrol_as_agency("LAG-1"))  # two failures, then caught up
        assert briefly.status_code == 201, briefly.text
        assert "registry-read-models" not in briefly.headers

        monkeypatch.setattr(services_module, "PATIENCE", 0.3)
        failures = iter([OperationalError("database is locked")] * 1000)
        before = services.registry.position()
        lagging = run_apart(enrol_as_agency("LAG-2"))
        assert lagging.status_code == 201, lagging.text
        assert lagging.headers["registry-read-models"] == "behind"
        assert services.registry.position() > before, "recorded"
        assert services.registry.officer("LAG-2").version == lagging.json()["version"]
    finally:
        services.close()


@pytest.mark.postgres
def test_projections_in_the_server_outlive_lost_connections(tmp_path: Path) -> None:
    """The server's background runner listens on a connection of its own: when PostgreSQL
    drops every connection (a restart, a failover), it connects again and goes on applying
    what other processes write. (It died before: only the server's own commands showed.)"""
    with fresh_database("postgres", tmp_path) as database:
        deployment = Deployment("postgres", database, seed(database), tmp_path)
        try:
            server = deployment.serve()
            name = database.rsplit("/", 1)[1]
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                dropped = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                ).fetchone()
            assert dropped is not None and dropped[0] >= 1
            deployment.cli(
                "agency", "register", "BACKPD", "--name", "Back Police", "--region", "Wasatch",
                "--district", "North", "--shift", "Day",
            )  # fmt: skip
            wait_until(lambda: "BACKPD" in tiers(server), "the server's runner applies it")
            # The tree follows the read models in the same pass, a moment later.
            wait_until(lambda: set(lag(server).values()) == {0}, "every projection is caught up")
            assert len(lag(server)) == 2
            # A read's own catch-up may bring the lag to 0 while the background runner still
            # waits out its pause after the dropped connection; it says ok once it is back.
            healthy = lambda: server.client().get("/healthz").json()["status"] == "ok"  # noqa: E731
            wait_until(healthy, "the server's runner reports itself well again", seconds=10)
        finally:
            deployment.close()


@pytest.mark.postgres
def test_healthz_answers_503_promptly_when_the_database_is_gone(tmp_path: Path) -> None:
    """A probe must hear "not answering" in seconds, not after the storage layer has spent
    its half a minute of retries."""
    with fresh_database("postgres", tmp_path) as database:
        base, process = start_server(database, tmp_path)
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{database.rsplit("/", 1)[1]}" WITH (FORCE)')
            started = time.monotonic()
            health = httpx.get(f"{base}/healthz", timeout=30)
            took = time.monotonic() - started
            assert health.status_code == 503, health.text
            assert health.headers["content-type"] == "application/problem+json"
            assert "not answering" in health.json()["detail"]
            assert took < health_module.DEADLINE + 2, f"took {took:.1f} s"
        finally:
            stop_server(process)

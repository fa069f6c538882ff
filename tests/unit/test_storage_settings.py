"""One database URL chooses the event store."""

from __future__ import annotations

import pytest

from registry.domain.errors import InvalidInput
from registry.storage import describe, persistence_env


def test_a_sqlite_url_selects_the_embedded_store(tmp_path):
    env = persistence_env(f"sqlite:///{tmp_path}/sub/registry.db")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == f"{tmp_path}/sub/registry.db"
    assert (tmp_path / "sub").is_dir()


def test_a_relative_sqlite_path_stays_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert persistence_env("sqlite:///registry.db")["SQLITE_DBNAME"] == "registry.db"


def test_a_postgresql_url_selects_postgres_with_every_part():
    env = persistence_env("postgresql://clerk:s%40cret@db.local:6543/registry?schema=cit")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.local", "6543")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("clerk", "s@cret")
    assert (env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("registry", "cit")


def test_postgres_defaults_to_port_5432_and_no_password():
    env = persistence_env("postgresql://postgres@127.0.0.1/test")
    assert env["POSTGRES_PORT"] == "5432"
    assert env["POSTGRES_PASSWORD"] == ""


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/db", "sqlite://", "postgresql://host-only", "registry.db", ""],
)
def test_an_unusable_url_is_refused_with_a_clear_error(url):
    with pytest.raises(InvalidInput, match=r"sqlite:///|postgresql://"):
        persistence_env(url)


def test_a_password_is_masked_when_described():
    assert (
        describe("postgresql://clerk:hunter2@db/registry") == "postgresql://clerk:***@db/registry"
    )
    assert "hunter2" not in describe("postgresql://clerk:hunter2@db/registry")


def test_a_bad_port_is_invalid_input_not_a_crash():
    with pytest.raises(InvalidInput, match="invalid database URL"):
        persistence_env("postgresql://clerk@db:port/registry")


def test_an_unparseable_url_is_described_without_revealing_anything():
    assert describe("postgresql://clerk:pw@[::1/registry") == "(unparseable database URL)"

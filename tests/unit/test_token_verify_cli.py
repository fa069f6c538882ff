"""`registry token verify --retired KID`: offline, the command line refuses what a retired key
signed, as the token page does with the retired keys it reads from /v1/signing-keys/token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import registry.cli.core
from registry.cli import app as cli
from registry.signing import verify_token
from tests.unit.test_signing_verify import NOW, Registry

#: No database at all: an offline check must not open one.
NOWHERE = "postgresql://nobody@127.0.0.1:1/none"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Registry, list[str]]:
    """A registry's JWK Set and a status list signed by its second key, in files, and the
    command line's clock at the moment they were made for."""
    monkeypatch.setitem(registry.cli.core.TIME, "now", lambda: NOW)
    reg = Registry()
    jwks, listed = tmp_path / "jwks.json", tmp_path / "status.jwt"
    jwks.write_text(json.dumps(reg.jwks()))
    listed.write_text(reg.status_list(reg.second))
    return reg, ["--jwks", str(jwks), "--status-list", str(listed)]


def verify(*args: str) -> tuple[int, list[str]]:
    done = CliRunner().invoke(cli, ["--database", NOWHERE, "--json", "token", "verify", *args])
    return done.exit_code, [r["code"] for r in json.loads(done.stdout)["reasons"]]


def test_a_token_signed_by_a_key_given_as_retired_is_refused_offline(files) -> None:
    reg, offline = files
    token = reg.token()
    assert verify(token, *offline) == (0, [])
    assert verify(token, *offline, "--retired", reg.signer.kid) == (1, ["retired_key"])


def test_retired_is_repeatable_and_answers_as_verify_token_does(files) -> None:
    reg, offline = files
    token = reg.token()
    retired = {reg.signer.kid, reg.second.kid}
    expected = verify_token(
        token, jwks=reg.jwks(), status_list=reg.status_list(reg.second), now=NOW, retired=retired
    )
    given = [arg for kid in sorted(retired) for arg in ("--retired", kid)]
    assert verify(token, *offline, *given) == (1, [c.value for c in expected.codes])
    assert expected.codes == ["retired_key", "status_list_invalid"]


def test_retired_without_the_key_set_is_refused() -> None:
    done = CliRunner().invoke(
        cli, ["--database", NOWHERE, "token", "verify", "a.b.c", "--retired", "kid"]
    )
    assert done.exit_code != 0
    assert "--jwks" in done.output

"""Verification tokens against a real registry, on SQLite and PostgreSQL, with real keys."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from registry.cli import app as cli
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.errors import RuleViolation
from registry.signing.errors import KeyStoreError, ReasonCode
from registry.signing.keys import KeyStore
from registry.signing.service import NOT_IN_FORCE, SYSTEM, Signing
from registry.signing.verify import verify_token
from tests.factories import STATE, TODAY, certified_officer, register_agencies_and_academies

NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signing(make_registry, tmp_path):
    """A registry with agencies and academies, and its signing service (keys in tmp_path)."""
    app = make_registry()
    register_agencies_and_academies(app)
    return Signing(app, keys=KeyStore(tmp_path / "keys"))


def certify(signing: Signing, post: str = "UT-1001") -> str:
    return certified_officer(signing.app, post).certificate_number or ""


def check(signing: Signing, token: str, *, now: datetime = NOW, status_list: str | None = None):
    return verify_token(
        token,
        jwks=signing.jwks(),
        status_list=status_list or signing.status_list(now=now),
        now=now,
        retired=signing.retired(),
    )


def test_a_token_verifies_offline_with_the_published_keys_and_status_list(signing):
    number = certify(signing)
    token = signing.issue_token(number, now=NOW)
    result = check(signing, token)
    assert result.valid, result.reasons
    assert result.claims["sub"] == number
    assert result.claims["name"] == "Jordan Rivera"
    assert result.claims["agency"] == "SLCPD"
    assert result.status_as_of == NOW.replace(microsecond=0)


def test_a_token_lives_at_most_the_policy_days_and_never_beyond_the_certificate(signing):
    number = certify(signing)
    claims = check(signing, signing.issue_token(number, now=NOW)).claims
    assert claims["exp"] - claims["iat"] == 30 * 86_400
    near_expiry = datetime(2027, 9, 1, 12, tzinfo=UTC)
    late = jwt.decode(
        signing.issue_token(number, now=near_expiry), options={"verify_signature": False}
    )
    lapses = datetime(2027, 9, 15, tzinfo=signing.app.settings.zone())
    assert late["exp"] == int(lapses.timestamp())


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_certificate_not_in_force_gets_no_token(signing, action):
    number = certify(signing)
    command = c.SuspendCertificate if action == "suspend" else c.RevokeCertificate
    getattr(signing.app, f"{action}_certificate")(command(number=number, reason="review"), STATE)
    with pytest.raises(RuleViolation) as refused:
        signing.issue_token(number, now=NOW)
    assert refused.value.rule == NOT_IN_FORCE


def test_a_suspension_shows_in_the_next_status_list_and_the_token_fails(signing):
    number = certify(signing)
    token = signing.issue_token(number, now=NOW)
    before = signing.status_list(now=NOW)
    signing.app.suspend_certificate(c.SuspendCertificate(number=number, reason="review"), STATE)
    after = signing.status_list(now=NOW)

    assert check(signing, token, status_list=before).valid
    result = check(signing, token, status_list=after)
    assert not result.valid
    assert result.codes == [ReasonCode.SUSPENDED]


def test_a_withheld_officer_s_token_carries_only_the_certificate_and_dates(signing):
    number = certify(signing)
    signing.app.withhold_record(
        c.WithholdRecord(officer=number, reason="undercover assignment"), STATE
    )
    token = signing.issue_token(number, now=NOW)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "name" not in claims and "agency" not in claims
    assert {claims["sub"], claims["credential"], claims["issued_on"], claims["expires_on"]} == {
        number,
        "cit_officer",
        "2025-09-15",
        "2027-09-15",
    }
    assert "Jordan" not in token and "SLCPD" not in json.dumps(claims)
    result = check(signing, token)
    assert result.valid, result.reasons


def test_a_token_signed_before_a_rotation_verifies_until_its_key_is_retired(signing):
    number = certify(signing)
    old_token = signing.issue_token(number, now=NOW)
    old_kid = signing.app.signing_keys("token").active
    new_kid = signing.rotate(STATE)
    new_token = signing.issue_token(number, now=NOW)

    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert check(signing, old_token).valid
    assert {k["kid"] for k in signing.jwks()["keys"]} == {old_kid, new_kid}

    signing.retire(old_kid, "rotated out", STATE)
    assert {k["kid"] for k in signing.jwks()["keys"]} == {new_kid}
    result = check(signing, old_token)
    assert not result.valid
    assert ReasonCode.RETIRED_KEY in result.codes
    assert check(signing, new_token).valid
    # Offline, with only the published JWK Set, the retired key is simply not there.
    offline = verify_token(
        old_token, jwks=signing.jwks(), status_list=signing.status_list(now=NOW), now=NOW
    )
    assert not offline.valid and ReasonCode.UNKNOWN_KEY in offline.codes


def test_private_keys_stay_in_a_private_folder_and_out_of_the_log(signing):
    signing.issue_token(certify(signing), now=NOW)
    folder = signing.keys.directory
    (pem,) = list((folder / "token").glob("*.pem"))
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    secret = pem.read_text().splitlines()[1]
    log = b"".join(n.state for n in signing.app.recorder.select_notifications(start=1, limit=10**6))
    assert secret.encode() not in log
    assert b"PRIVATE" not in log


def test_the_keys_folder_is_ignored_by_git():
    for path in ("keys/token/x.pem", "data/keys/checkpoint/x.pem"):
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
        )
        assert result.returncode == 0, f"{path} would be committed"


def test_the_first_token_makes_and_publishes_a_key_as_a_system_event(signing):
    assert signing.jwks() == {"keys": []}
    signing.issue_token(certify(signing), now=NOW)
    keys = signing.app.signing_keys("token")
    assert keys is not None and keys.active is not None
    assert [k["kid"] for k in signing.jwks()["keys"]] == [keys.active]
    (published,) = list(signing.app.events.get(keys.id))[1:]
    assert published.actor == SYSTEM


# ------------------------------------------------------------------- command line


def run(database: str, key_dir: Path, *args: str, stdin: str | None = None):
    env = {"REGISTRY_KEY_DIR": str(key_dir), "REGISTRY_DATABASE": None, "COLUMNS": "200"}
    return CliRunner().invoke(cli, ["--database", database, *args], env=env, input=stdin)


def test_the_command_line_issues_a_token_that_verifies_from_files_alone(database_url, tmp_path):
    from registry.application import Registry

    app = Registry(Settings(database=database_url), clock=lambda: TODAY)
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number or ""
    app.close()
    keys = tmp_path / "keys"

    issued = run(database_url, keys, "token", "issue", number)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token

    jwks_file, list_file = tmp_path / "jwks.json", tmp_path / "status.jwt"
    jwks_file.write_text(run(database_url, keys, "keys", "jwks").stdout)
    assert run(database_url, keys, "status-list", "export", str(list_file)).exit_code == 0

    offline = ["token", "verify", token, "--jwks", str(jwks_file), "--status-list", str(list_file)]
    # No database at all: a URL that cannot be opened must not matter offline.
    ok = run("postgresql://nobody@127.0.0.1:1/none", keys, *offline)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("valid")

    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    bad = run("postgresql://nobody@127.0.0.1:1/none", keys, "--json", "token", "verify",
              tampered, "--jwks", str(jwks_file), "--status-list", str(list_file))  # fmt: skip
    assert bad.exit_code == 1
    assert [r["code"] for r in json.loads(bad.stdout)["reasons"]] == ["bad_signature"]

    live = run(database_url, keys, "token", "verify", "-", stdin=token)
    assert live.exit_code == 0, live.output
    suspended = run(database_url, keys, "certificate", "suspend", number, "--reason", "review")
    assert suspended.exit_code == 0, suspended.output
    after = run(database_url, keys, "--json", "token", "verify", token)
    assert after.exit_code == 1
    assert [r["code"] for r in json.loads(after.stdout)["reasons"]] == ["suspended"]


def test_keys_rotate_and_retire_on_the_command_line(sqlite_url, tmp_path):
    keys = tmp_path / "keys"
    first = json.loads(run(sqlite_url, keys, "--json", "keys", "rotate").stdout)["kid"]
    second = json.loads(run(sqlite_url, keys, "--json", "keys", "rotate").stdout)["kid"]
    # A kid may begin with "-": it goes after "--" so it is not read as an option.
    refused = run(sqlite_url, keys, "keys", "retire", "--reason", "too soon", "--", second)
    assert refused.exit_code == 1
    assert "signing-key-cannot-be-retired" in refused.stderr
    assert (
        run(sqlite_url, keys, "keys", "retire", "--reason", "rotated", "--", first).exit_code == 0
    )
    listed = json.loads(run(sqlite_url, keys, "--json", "keys", "list").stdout)["keys"]
    assert {(k["kid"], k["signs"], k["retired_on"] is not None) for k in listed} == {
        (first, False, True),
        (second, True, False),
    }
    published = json.loads(run(sqlite_url, keys, "keys", "jwks").stdout)["keys"]
    assert [k["kid"] for k in published] == [second]


def test_a_token_verified_a_day_after_the_status_list_went_stale_is_invalid(signing):
    number = certify(signing)
    token = signing.issue_token(number, now=NOW)
    listed = signing.status_list(now=NOW)
    later = NOW + timedelta(days=1, minutes=2)
    result = verify_token(token, jwks=signing.jwks(), status_list=listed, now=later)
    assert not result.valid
    assert ReasonCode.STATUS_LIST_STALE in result.codes
    assert datetime.fromtimestamp(result.claims["exp"], UTC) > later


def test_no_token_is_signed_when_the_signing_key_is_missing_from_the_key_folder(
    signing, tmp_path
):
    number = certify(signing)
    signing.issue_token(number, now=NOW)
    kid = signing.app.signing_keys("token").active
    elsewhere = Signing(signing.app, keys=KeyStore(tmp_path / "other-keys"))
    with pytest.raises(KeyStoreError, match=f"{kid}.*not in the key folder"):
        elsewhere.issue_token(number, now=NOW)
    assert signing.app.signing_keys("token").active == kid

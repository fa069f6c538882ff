"""Signing on the command line: `registry keys`, `registry token`, `registry status-list`.

`registry token verify` works from files alone (a JWK Set and a status list), with no
database and no network; given neither file, it checks the live status in the database.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from registry.cli.core import EXIT_REFUSED, moment, session
from registry.cli.output import console, emit_json
from registry.domain.errors import InvalidInput
from registry.projections import queries
from registry.signing.result import StatusReference, VerificationResult
from registry.signing.service import Signing
from registry.signing.verify import verify_token

keys_app = typer.Typer(help="The registry's signing keys: rotate, retire, list, JWK Set.")
token_app = typer.Typer(help="Verification tokens: issue one, verify one.")
status_list_app = typer.Typer(help="The signed status list of every certificate.")

Purpose = Annotated[
    str,
    typer.Option(
        "--purpose",
        help="token (verification tokens), checkpoint (audit log) or webhook (alerts, v1a).",
    ),
]


def _signing(ctx: typer.Context) -> Signing:
    return Signing(session(ctx).registry)


@keys_app.command("rotate")
def rotate(ctx: typer.Context, purpose: Purpose = "token") -> None:
    """Make a new key and sign with it from now on; older keys still verify until retired."""
    current = session(ctx)
    kid = _signing(ctx).rotate(current.actor, purpose)
    if current.json:
        emit_json({"kid": kid, "purpose": purpose})
    else:
        console().print(f"rotated: {purpose} key {kid} signs from now on")


@keys_app.command("retire")
def retire(
    ctx: typer.Context,
    kid: Annotated[
        str,
        typer.Argument(help="The key id (its RFC 7638 thumbprint); after -- if it begins with -."),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it is retired.")],
    purpose: Purpose = "token",
) -> None:
    """Retire a published key: tokens it signed no longer verify."""
    current = session(ctx)
    _signing(ctx).retire(kid, reason, current.actor, purpose)
    if current.json:
        emit_json({"retired": kid, "purpose": purpose})
    else:
        console().print(f"retired: {purpose} key {kid}")


@keys_app.command("jwks")
def jwks(ctx: typer.Context, purpose: Purpose = "token") -> None:
    """Print the public JWK Set (RFC 7517) of every published key, as JSON.

    On a fresh registry the first token and checkpoint keys are made and published
    first (as `registry serve` does when it starts), so the keys can be pinned before
    anything is signed.
    """
    signing = _signing(ctx)
    signing.publish_first_keys()
    typer.echo(json.dumps(signing.jwks(purpose), indent=2))


@keys_app.command("list")
def list_keys(ctx: typer.Context, purpose: Purpose = "token") -> None:
    """List the keys of a purpose: which signs now, which verify, which are retired."""
    current = session(ctx)
    keys = current.registry.signing_keys(purpose)
    rows = [] if keys is None else [
        {
            "kid": k.kid,
            "signs": k.kid == keys.active,
            "published_on": k.published_on.isoformat(),
            "retired_on": k.retired_on.isoformat() if k.retired_on else None,
            "reason": k.reason,
        }
        for k in keys.keys.values()
    ]  # fmt: skip
    if current.json:
        emit_json({"purpose": purpose, "keys": rows})
        return
    for row in rows:
        state = "signs" if row["signs"] else ("retired" if row["retired_on"] else "verifies")
        console().print(f"{row['kid']}  {state:8}  published {row['published_on']}")


@token_app.command("issue")
def issue(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The certificate number.")],
) -> None:
    """Print a signed token for a certificate in force, and nothing else."""
    typer.echo(_signing(ctx).issue_token(number))


@token_app.command("verify")
def verify(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(help="The token, or - to read it from stdin.")],
    jwks_file: Annotated[
        Path | None, typer.Option("--jwks", help="The registry's JWK Set (offline check).")
    ] = None,
    status_list_file: Annotated[
        Path | None, typer.Option("--status-list", help="A signed status list (offline check).")
    ] = None,
    retired: Annotated[
        list[str] | None,
        typer.Option(
            "--retired",
            metavar="KID",
            help="A retired key's id, as GET /v1/signing-keys/token lists it (offline check; "
            "repeat for each): what it signed is refused.",
        ),
    ] = None,
) -> None:
    """Verify a token: exit 0 if valid, 1 if not, with every reason.

    With --jwks (and --status-list, --retired) it needs no database and no network, and
    answers as the token page does given the same keys, list and retired keys. With
    none, it checks the live status in the registry's database.
    """
    current = session(ctx)
    text = (sys.stdin.read() if token == "-" else token).strip()
    if jwks_file or status_list_file or retired:
        now = moment()
        if jwks_file is None:
            raise InvalidInput("an offline check needs --jwks FILE with the registry's keys")
        result = verify_token(
            text,
            jwks=_read_json(jwks_file),
            status_list=_read_text(status_list_file) if status_list_file else None,
            now=now,
            retired=frozenset(retired or ()),
        )
    else:
        result = _verify_live(Signing(current.registry), text, current.registry.now())
    _show(result, as_json=current.json)
    if not result.valid:
        raise typer.Exit(EXIT_REFUSED)


@status_list_app.command("export")
def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the signed list.")],
) -> None:
    """Write the current signed status list, for distribution to receiving departments."""
    current = session(ctx)
    signed = _signing(ctx).status_list()
    file.write_text(signed + "\n")
    if current.json:
        emit_json({"file": str(file), "bytes": len(signed)})
    else:
        console().print(f"wrote the signed status list to {file} ({len(signed):,} bytes)")


def _verify_live(signing: Signing, token: str, now: datetime) -> VerificationResult:
    """Verify against the keys in the log and the status in the read models now."""
    signing.runner.catch_up()
    today = signing.app.clock()

    def live(ref: StatusReference) -> int | None:
        if ref.uri != signing.status_list_uri():
            return None
        return queries.status_value(signing.runner.views, ref.certificate, ref.idx, today)

    return verify_token(
        token,
        jwks=signing.jwks(),
        status_list=None,
        now=now,
        retired=signing.retired(),
        live_status=live,
        issuer=signing.issuer,
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InvalidInput(f"cannot read a JSON Web Key Set from {path}: {e}") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None


def _show(result: VerificationResult, *, as_json: bool) -> None:
    if as_json:
        emit_json(result.as_dict())
        return
    out = console()
    out.print("valid" if result.valid else "invalid")
    for reason in result.reasons:
        out.print(f"  {reason.code.value}: {reason.message}")
    if result.claims:
        claims = result.claims
        out.print(
            f"  certificate {claims.get('sub')} ({claims.get('credential')}), "
            f"holder {claims.get('name', 'withheld')}, agency {claims.get('agency', 'withheld')}"
        )
    if result.status_as_of:
        out.print(f"  status as of {result.status_as_of.isoformat()}")

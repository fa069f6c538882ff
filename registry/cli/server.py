"""The HTTP server and its keys: `registry serve`, `registry api-keys`."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from typing import Annotated

import typer

from registry.access import ApiKeys
from registry.cli.core import open_registry, session
from registry.cli.output import console, emit_json
from registry.config import DEFAULT_DATABASE, Settings, listening_issuer
from registry.domain.access import ApiRole

api_keys_app = typer.Typer(help="API keys for the HTTP API: create, list, revoke.")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="The port to listen on. Unless REGISTRY_ISSUER is set, the registry's "
            "issuer (the `iss` of its tokens, the address of its status list) is "
            "http://HOST:PORT, with localhost for 0.0.0.0 and ::.",
        ),
    ] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes.")] = 1,
    projections: Annotated[
        bool,
        typer.Option(
            "--projections/--no-projections",
            help="Keep the read models up to date in the server (default), or leave it to "
            "`registry projections run` in another process.",
        ),
    ] = True,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on the registry's database.

    Before the server processes start, the database's schema is made (once) and, on a
    fresh registry, the first token and checkpoint keys are published. Limits on what a
    connection may send, and what a reverse proxy in front should add: docs/deployment.md.
    """
    import uvicorn

    from registry.api.connections import MAX_HEAD_BYTES
    from registry.api.services import PREPARED, prepare

    current = session(ctx)
    open_registry(current.database).close()  # a clear error now rather than in every worker
    if current.database:
        os.environ["REGISTRY_DATABASE"] = current.database
    source = "REGISTRY_ISSUER" if issuer_from_env() else "--host and --port"
    issuer, origin = served_names(host, port)
    os.environ["REGISTRY_ISSUER"] = issuer
    os.environ["REGISTRY_LOG_ORIGIN"] = origin
    settings = Settings.from_env(current.database)
    published = prepare(settings)
    out = console()
    out.print(f"issuer {issuer} (from {source})", soft_wrap=True)
    out.print(f"log origin {origin}", soft_wrap=True)
    for kid in published:
        out.print(f"published a first signing key: {kid}", soft_wrap=True)
    sys.stdout.flush()
    os.environ[PREPARED] = "1"
    os.environ["REGISTRY_PROJECTIONS"] = "server" if projections else "external"
    uvicorn.run(
        "registry.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        http="registry.api.connections:LimitedH11Protocol",
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_keep_alive=KEEP_ALIVE,
    )


#: Seconds an idle kept-alive connection stays open.
KEEP_ALIVE = 5


def issuer_from_env() -> bool:
    """Whether REGISTRY_ISSUER names the issuer (set and not empty)."""
    return bool(os.environ.get("REGISTRY_ISSUER", "").strip())


def served_names(host: str, port: int) -> tuple[str, str]:
    """The issuer and the log origin of a server listening on `host`:`port`.

    The issuer is REGISTRY_ISSUER, else where the server listens. The log's origin names
    the log in every checkpoint, and auditors keep checkpoints and verify them with
    `registry audit verify` (which knows no port): it never follows the port. It is
    REGISTRY_LOG_ORIGIN, else REGISTRY_ISSUER's, else the default issuer's, as on the
    command line.
    """
    settings = Settings.from_env(os.environ.get("REGISTRY_DATABASE") or DEFAULT_DATABASE)
    origin = settings.origin()
    issuer = settings.issuer if issuer_from_env() else listening_issuer(host, port)
    return issuer, origin


@api_keys_app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[ApiRole, typer.Option("--role", help="state, academy, agency or auditor.")],
    agency: Annotated[
        str | None, typer.Option("--agency", metavar="CODE", help="The agency of an agency key.")
    ] = None,
    academy: Annotated[
        str | None,
        typer.Option("--academy", metavar="CODE", help="The academy of an academy key."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Who holds the key.")] = "",
) -> None:
    """Make an API key and print it once: only a digest of it is kept."""
    current = session(ctx)
    key, info = ApiKeys(current.registry).create(
        role, current.actor, name=name, agency_code=agency, academy_code=academy
    )
    if current.json:
        emit_json({"key": key, **asdict(info)})
        return
    out = console()
    out.print(f"created: {info.role.value} key {info.key_id}", soft_wrap=True)
    out.print("the key (shown only now; keep it secret):", soft_wrap=True)
    typer.echo(key)


@api_keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Every API key made: id, role, scope, holder, made and revoked dates. Never a secret."""
    current = session(ctx)
    keys = ApiKeys(current.registry).list()
    if current.json:
        emit_json([asdict(k) for k in keys])
        return
    out = console()
    for k in keys:
        scope = k.agency_code or k.academy_code or "-"
        revoked = f"revoked {k.revoked_on}" if k.revoked_on else "active"
        out.print(
            f"{k.key_id}  {k.role.value:8} {scope:12} {k.created_on}  {revoked}  {k.name}",
            soft_wrap=True,
        )


@api_keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (the part after `cit.`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked.")],
) -> None:
    """Revoke an API key: it is refused from now on."""
    current = session(ctx)
    info = ApiKeys(current.registry).revoke(key_id, reason, current.actor)
    if current.json:
        emit_json(asdict(info))
    else:
        console().print(f"revoked: {info.role.value} key {info.key_id}", soft_wrap=True)

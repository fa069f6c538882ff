"""The HTTP server and its keys: `registry serve`, `registry api-keys`."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Annotated

import typer

from registry.access import ApiKeys
from registry.cli.core import open_registry, session
from registry.cli.output import console, emit_json
from registry.domain.access import ApiRole

api_keys_app = typer.Typer(help="API keys for the HTTP API: create, list, revoke.")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
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
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on the registry's database."""
    import uvicorn

    current = session(ctx)
    open_registry(current.database).close()  # a clear error now rather than in every worker
    if current.database:
        os.environ["REGISTRY_DATABASE"] = current.database
    os.environ["REGISTRY_PROJECTIONS"] = "server" if projections else "external"
    uvicorn.run(
        "registry.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


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

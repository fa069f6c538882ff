"""`registry webhooks run`: send the alerts of the outbox, beside or instead of the server's
own worker. Several may run at once on PostgreSQL (a delivery is claimed by one)."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from registry.alerts.endpoints import Endpoints
from registry.alerts.watches import Watches
from registry.alerts.worker import LEASE, Worker
from registry.cli.core import session
from registry.cli.views import projection_runner
from registry.signing.service import Signing
from registry.storage import describe

webhooks_app = typer.Typer(help="Alerts to agencies' webhook endpoints: run the sender.")


@webhooks_app.command("run")
def run(
    ctx: typer.Context,
    poll: Annotated[
        float,
        typer.Option("--poll", metavar="SECONDS", min=0.05, max=60,
                     help="Seconds between looks at the outbox."),
    ] = 0.2,
    lease: Annotated[
        float,
        typer.Option("--lease", metavar="SECONDS", min=1, max=3600,
                     help="Seconds a claimed delivery is kept from other senders; after a "
                     "sender dies, its delivery is sent again once this has passed. Keep it "
                     "above the 15 s an attempt may take (lower only in tests)."),
    ] = LEASE,
) -> None:  # fmt: skip
    """Fill the outbox from the change feed and send what is due until interrupted (Ctrl-C
    or SIGTERM stop it after the delivery in hand). It brings the read models and the tree up
    to the log itself before each look (the server or `registry projections run` may too)."""
    registry = session(ctx).registry
    signing = Signing(registry, projection_runner(registry))
    endpoints = Endpoints(registry, signing.runner.views)
    worker = Worker(
        endpoints, lambda: signing.signer("webhook"), registry.settings.issuer,
        catch_up=signing.runner.catch_up, lease=lease, watches=Watches(registry),
    )  # fmt: skip

    def stop(signum: int, frame: Any) -> None:
        worker.stop()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)
    typer.echo(f"webhooks sending from {describe(registry.settings.database)}", err=True)
    worker.run_forever(poll=poll)
    typer.echo("stopped", err=True)

"""The `registry` command: global options, and every group and command wired in."""

from typing import Annotated

import typer

from registry.cli import (
    audit,
    certificates,
    imports,
    officers,
    organisations,
    records,
    server,
    tokens,
    users,
    views,
    webhooks,
)
from registry.cli.core import RegistryGroup, Session
from registry.domain.values import ActorRole

app = typer.Typer(
    cls=RegistryGroup,
    name="registry",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    ctx: typer.Context,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            help="sqlite:///path/registry.db or postgresql://user@host:5432/dbname "
            "(default: $REGISTRY_DATABASE, else sqlite:///registry.db).",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, for scripts.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            metavar="ID",
            envvar="REGISTRY_ACTOR",
            help="Who is recording (default: $REGISTRY_ACTOR, else your user name).",
            show_default=False,
        ),
    ] = None,
    role: Annotated[
        ActorRole, typer.Option("--role", help="The role the actor records in.")
    ] = ActorRole.STATE,
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            metavar="CODE",
            help="The academy (--role academy) or agency (--role agency) the actor acts "
            "for: training staff issue and renew only for their own academy.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The state registry of Crisis Intervention Team (CIT) certifications.

    Errors are one line on stderr. Exit codes:
    0 done, 1 refused (rule, not found, conflict), 2 invalid input, 3 database unavailable.
    """
    current = Session(
        database=database, json=json_output, actor_id=actor, role=role, scope=scope
    )
    ctx.obj = current
    ctx.call_on_close(current.close)


app.add_typer(organisations.agency_app, name="agency")
app.add_typer(organisations.academy_app, name="academy")
app.add_typer(officers.officer_app, name="officer")
app.add_typer(officers.training_app, name="training")
app.add_typer(officers.exam_app, name="exam")
app.add_typer(certificates.certificate_app, name="certificate")
certificates.certificate_app.command("show")(views.certificate_show)
app.add_typer(views.projections_app, name="projections")
app.command("replay")(views.replay)
app.command("roster")(views.roster)
app.command("coverage")(views.coverage)
app.command("expiring")(views.expiring)
app.command("tiers")(views.tiers)
app.command("timeline")(views.timeline)
app.command("changes")(views.changes)
app.command("status")(records.status)
app.command("history")(records.history)
app.command("correct")(records.correct)
app.command("info")(records.info)
app.command("import")(imports.import_file)
app.add_typer(tokens.keys_app, name="keys")
app.add_typer(tokens.token_app, name="token")
app.add_typer(tokens.status_list_app, name="status-list")
app.command("serve")(server.serve)
app.add_typer(server.api_keys_app, name="api-keys")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(users.users_app, name="users")
app.add_typer(webhooks.webhooks_app, name="webhooks")

"""`registry status`, `registry history` and `registry correct`: reading an officer's
record as it stands (or stood), and correcting it."""

from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from registry.application import Registry
from registry.cli import output
from registry.cli.core import (
    CommandId,
    ExpectedVersion,
    OfficerRef,
    assignments,
    date_option,
    run,
    session,
)
from registry.domain import commands as c
from registry.storage import describe

AsRecordedOn = Annotated[
    date | None,
    date_option(
        "--as-recorded-on",
        "Show the record as the registry held it at the end of this day (registry time zone).",
    ),
]


def status(
    ctx: typer.Context,
    officer: OfficerRef,
    on: Annotated[
        date | None,
        date_option(
            "--on",
            "Date to evaluate certificates on (default: today, or the --as-recorded-on day).",
        ),
    ] = None,
    as_recorded_on: AsRecordedOn = None,
) -> None:
    """Show an officer and whether each of their certificates is in force."""
    current = session(ctx)
    app = current.registry
    cutoff = app.end_of_day(as_recorded_on) if as_recorded_on else None
    result = app.status(officer, on=on or as_recorded_on, as_recorded_at=cutoff)
    output.status(result, as_recorded_at=cutoff, as_json=current.json)


def history(ctx: typer.Context, officer: OfficerRef, as_recorded_on: AsRecordedOn = None) -> None:
    """List every event about an officer, in order, with who recorded it and when."""
    current = session(ctx)
    app = current.registry
    cutoff = app.end_of_day(as_recorded_on) if as_recorded_on else None
    entries = app.history(officer, as_recorded_at=cutoff)
    output.history(
        str(app.officer_id(officer)),
        entries,
        zone=app.settings.zone(),
        as_recorded_at=cutoff,
        as_json=current.json,
    )


def correct(
    ctx: typer.Context,
    officer: OfficerRef,
    version: Annotated[
        int,
        typer.Option(
            "--version", min=1, help="The version (see history) of the record to correct."
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why it is corrected.", show_default=False)],
    amendments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Amend a field of that record; repeat for more. Without --set the record is "
            "voided.",
        ),
    ] = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Void the record made at a version, or amend some of its fields."""
    changes = assignments(amendments, "--set")
    run(
        ctx,
        Registry.correct_record,
        c.CorrectRecord,
        {
            "officer": officer,
            "corrects_version": version,
            "reason": reason,
            "amendments": changes,
        },
        summary=lambda cmd: (
            f"{'amended' if cmd.amendments else 'voided'} version {cmd.corrects_version} "
            f"of {cmd.officer}"
        ),
        command_id=command_id,
        expected_version=expected_version,
    )


def info(ctx: typer.Context) -> None:
    """Show the database in use, how far its log goes, and the state policy in force."""
    current = session(ctx)
    app = current.registry
    output.info(
        database=describe(app.settings.database),
        position=app.position(),
        timezone=app.settings.timezone,
        policy=asdict(app.policy),
        as_json=current.json,
    )

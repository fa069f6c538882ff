"""`registry agency ...` and `registry academy ...`: the organisations officers work for
and train at."""

from typing import Annotated

import typer

from registry.application import Registry
from registry.cli.core import CommandId, ExpectedVersion, On, names, run
from registry.domain import commands as c

agency_app = typer.Typer(help="Register and update law-enforcement agencies.", no_args_is_help=True)
academy_app = typer.Typer(
    help="Register academies and change their state certification.", no_args_is_help=True
)

AgencyCode = Annotated[
    str, typer.Argument(metavar="CODE", help="Agency code, e.g. SLCPD.", show_default=False)
]
AcademyCode = Annotated[
    str, typer.Argument(metavar="CODE", help="Academy code, e.g. SLC-CIT.", show_default=False)
]
DISTRICTS_HELP = "A district; repeat the option or separate names with commas."
SHIFTS_HELP = "A patrol shift; repeat the option or separate names with commas."
IN_HOUSE_HELP = "Whether the agency runs its own CIT course."


@agency_app.command("register")
def register_agency(
    ctx: typer.Context,
    code: AgencyCode,
    name: Annotated[str, typer.Option(help="The agency's name.", show_default=False)],
    region: Annotated[str, typer.Option(help="The region it serves.", show_default=False)],
    districts: Annotated[
        list[str],
        typer.Option("--district", metavar="NAME", help=DISTRICTS_HELP),
    ],
    shifts: Annotated[list[str], typer.Option("--shift", metavar="NAME", help=SHIFTS_HELP)],
    in_house_course: Annotated[
        bool, typer.Option("--in-house-course/--no-in-house-course", help=IN_HOUSE_HELP)
    ] = False,
    on: On = None,
    command_id: CommandId = None,
) -> None:
    """Register an agency with its districts and patrol shifts."""
    run(
        ctx,
        Registry.register_agency,
        c.RegisterAgency,
        {
            "code": code,
            "name": name,
            "region": region,
            "districts": names(districts),
            "shifts": names(shifts),
            "in_house_course": in_house_course,
            "effective_on": on,
        },
        summary=lambda cmd: f"registered agency {cmd.code}",
        command_id=command_id,
    )


@agency_app.command("update")
def update_agency(
    ctx: typer.Context,
    code: AgencyCode,
    name: Annotated[str | None, typer.Option(help="A new name.", show_default=False)] = None,
    region: Annotated[str | None, typer.Option(help="A new region.", show_default=False)] = None,
    districts: Annotated[
        list[str] | None,
        typer.Option(
            "--district",
            metavar="NAME",
            help="The full new list of districts (replaces the old one).",
        ),
    ] = None,
    shifts: Annotated[
        list[str] | None,
        typer.Option(
            "--shift",
            metavar="NAME",
            help="The full new list of shifts (replaces the old one).",
        ),
    ] = None,
    in_house_course: Annotated[
        bool | None,
        typer.Option("--in-house-course/--no-in-house-course", help=IN_HOUSE_HELP),
    ] = None,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Change an agency's details; what is left out stays as it is."""
    run(
        ctx,
        Registry.update_agency,
        c.UpdateAgency,
        {
            "code": code,
            "name": name,
            "region": region,
            "districts": names(districts),
            "shifts": names(shifts),
            "in_house_course": in_house_course,
            "effective_on": on,
        },
        summary=lambda cmd: f"updated agency {cmd.code}",
        command_id=command_id,
        expected_version=expected_version,
    )


@academy_app.command("register")
def register_academy(
    ctx: typer.Context,
    code: AcademyCode,
    name: Annotated[str, typer.Option(help="The academy's name.", show_default=False)],
    state_certified: Annotated[
        bool,
        typer.Option(
            "--state-certified/--not-state-certified",
            help="Whether the state certifies the academy (required).",
            show_default=False,
        ),
    ],
    on: On = None,
    command_id: CommandId = None,
) -> None:
    """Register an academy (a training provider)."""
    run(
        ctx,
        Registry.register_academy,
        c.RegisterAcademy,
        {"code": code, "name": name, "state_certified": state_certified, "effective_on": on},
        summary=lambda cmd: f"registered academy {cmd.code}",
        command_id=command_id,
    )


@academy_app.command("certification")
def change_academy_certification(
    ctx: typer.Context,
    code: AcademyCode,
    state_certified: Annotated[
        bool,
        typer.Option(
            "--state-certified/--not-state-certified",
            help="Certify the academy, or withdraw its certification (required).",
            show_default=False,
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why it changes.", show_default=False)],
    on: On = None,
    command_id: CommandId = None,
) -> None:
    """Certify an academy, or withdraw its state certification, from a date."""
    run(
        ctx,
        Registry.change_academy_certification,
        c.ChangeAcademyCertification,
        {"code": code, "state_certified": state_certified, "reason": reason, "effective_on": on},
        summary=lambda cmd: (
            f"academy {cmd.code} is "
            + ("state-certified" if cmd.state_certified else "no longer state-certified")
        ),
        command_id=command_id,
    )

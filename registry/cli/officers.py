"""`registry officer ...`, `registry training record` and `registry exam record`:
an officer's enrolment, employment, POST status, trainings and exams."""

from datetime import date
from typing import Annotated

import typer

from registry.application import Registry
from registry.cli.core import CommandId, ExpectedVersion, OfficerRef, On, date_option, run
from registry.domain import commands as c
from registry.domain.values import ExamKind, OfficerRole, PostStatus, SeparationReason, TrainingKind

officer_app = typer.Typer(
    help="Enrol officers and record their employment, assignment and POST status.",
    no_args_is_help=True,
)
training_app = typer.Typer(help="Record completed training.", no_args_is_help=True)
exam_app = typer.Typer(help="Record State CIT exam results.", no_args_is_help=True)


District = Annotated[str | None, typer.Option(help="District of the agency.", show_default=False)]
Shift = Annotated[str | None, typer.Option(help="Patrol shift of the agency.", show_default=False)]
Reason = Annotated[str, typer.Option(help="Why (kept in the record).", show_default=False)]


@officer_app.command("enrol")
def enrol(
    ctx: typer.Context,
    post_number: Annotated[
        str, typer.Argument(metavar="POST_NUMBER", help="The officer's POST number.")
    ],
    name: Annotated[str, typer.Option(help="Full name.", show_default=False)],
    agency: Annotated[str, typer.Option(help="Code of the employing agency.", show_default=False)],
    patrol_since: Annotated[
        date, date_option("--patrol-since", "When patrol experience began (required).")
    ],
    role: Annotated[
        OfficerRole, typer.Option(help="The officer's role (not the recording actor's).")
    ] = OfficerRole.PATROL_OFFICER,
    district: District = None,
    shift: Shift = None,
    on: On = None,
    command_id: CommandId = None,
) -> None:
    """Enrol an officer or telecommunicator with their agency."""
    run(
        ctx,
        Registry.enrol_officer,
        c.EnrolOfficer,
        {
            "post_number": post_number,
            "name": name,
            "agency_code": agency,
            "role": role,
            "patrol_experience_began_on": patrol_since,
            "district": district,
            "shift": shift,
            "effective_on": on,
        },
        summary=lambda cmd: f"enrolled officer {cmd.post_number} with {cmd.agency_code}",
        command_id=command_id,
    )


@officer_app.command("assign")
def assign(
    ctx: typer.Context,
    officer: OfficerRef,
    district: Annotated[str, typer.Option(help="District of the agency.", show_default=False)],
    shift: Annotated[str, typer.Option(help="Patrol shift of the agency.", show_default=False)],
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Assign an officer to a district and shift of their agency."""
    run(
        ctx,
        Registry.assign_officer,
        c.AssignOfficer,
        {"officer": officer, "district": district, "shift": shift, "effective_on": on},
        summary=lambda cmd: f"assigned {cmd.officer} to {cmd.district}, {cmd.shift}",
        command_id=command_id,
        expected_version=expected_version,
    )


@officer_app.command("separate")
def separate(
    ctx: typer.Context,
    officer: OfficerRef,
    reason: Annotated[
        SeparationReason, typer.Option(help="Why the officer left.", show_default=False)
    ],
    investigation_open: Annotated[
        bool, typer.Option(help="An investigation was open when the officer left.")
    ] = False,
    new_agency: Annotated[
        str | None, typer.Option(help="The agency the officer is going to.", show_default=False)
    ] = None,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Report that an officer left their agency."""
    run(
        ctx,
        Registry.separate_officer,
        c.SeparateOfficer,
        {
            "officer": officer,
            "reason": reason,
            "investigation_open": investigation_open,
            "new_agency_code": new_agency,
            "effective_on": on,
        },
        summary=lambda cmd: f"separated {cmd.officer} ({cmd.reason})",
        command_id=command_id,
        expected_version=expected_version,
    )


@officer_app.command("transfer")
def transfer(
    ctx: typer.Context,
    officer: OfficerRef,
    agency: Annotated[str, typer.Option(help="Code of the receiving agency.", show_default=False)],
    district: District = None,
    shift: Shift = None,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """A receiving agency takes on an officer who has separated."""
    run(
        ctx,
        Registry.transfer_officer,
        c.TransferOfficer,
        {
            "officer": officer,
            "agency_code": agency,
            "district": district,
            "shift": shift,
            "effective_on": on,
        },
        summary=lambda cmd: f"{cmd.officer} joined {cmd.agency_code}",
        command_id=command_id,
        expected_version=expected_version,
    )


@officer_app.command("post-status")
def post_status(
    ctx: typer.Context,
    officer: OfficerRef,
    status: Annotated[
        PostStatus, typer.Option(help="The new POST certification status.", show_default=False)
    ],
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Record a change of the officer's POST certification status."""
    run(
        ctx,
        Registry.change_post_status,
        c.ChangePostStatus,
        {"officer": officer, "status": status, "effective_on": on},
        summary=lambda cmd: f"POST status of {cmd.officer} is {cmd.status}",
        command_id=command_id,
        expected_version=expected_version,
    )


@officer_app.command("withhold")
def withhold(
    ctx: typer.Context,
    officer: OfficerRef,
    reason: Reason,
    release: Annotated[
        bool, typer.Option("--release", help="Release a withheld record instead.")
    ] = False,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Withhold an officer's public record (e.g. undercover work), or release it."""
    run(
        ctx,
        Registry.withhold_record,
        c.WithholdRecord,
        {"officer": officer, "withheld": not release, "reason": reason, "effective_on": on},
        summary=lambda cmd: f"{'withheld' if cmd.withheld else 'released'} record of {cmd.officer}",
        command_id=command_id,
        expected_version=expected_version,
    )


@training_app.command("record")
def record_training(
    ctx: typer.Context,
    officer: OfficerRef,
    kind: Annotated[TrainingKind, typer.Option(help="Kind of training.", show_default=False)],
    hours: Annotated[float, typer.Option(help="Hours completed.", show_default=False)],
    academy: Annotated[str, typer.Option(help="Code of the academy.", show_default=False)],
    completed_on: Annotated[
        date, date_option("--completed-on", "When the training was completed (required).")
    ],
    began_on: Annotated[
        date | None, date_option("--began-on", "When it began (default: completion date).")
    ] = None,
    volunteered: Annotated[
        bool,
        typer.Option("--volunteered/--mandated", help="Whether the officer self-selected for it."),
    ] = True,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Record a completed training (academy week, continuing education, course)."""
    run(
        ctx,
        Registry.record_training,
        c.RecordTraining,
        {
            "officer": officer,
            "kind": kind,
            "hours": hours,
            "academy_code": academy,
            "completed_on": completed_on,
            "began_on": began_on,
            "volunteered": volunteered,
        },
        summary=lambda cmd: f"recorded {cmd.hours:g} hours of {cmd.kind} for {cmd.officer}",
        command_id=command_id,
        expected_version=expected_version,
    )


@exam_app.command("record")
def record_exam(
    ctx: typer.Context,
    officer: OfficerRef,
    kind: Annotated[ExamKind, typer.Option(help="Which State CIT exam.", show_default=False)],
    passed: Annotated[
        bool,
        typer.Option("--passed/--failed", help="The result (required).", show_default=False),
    ],
    taken_on: Annotated[date, date_option("--taken-on", "When it was taken (required).")],
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Record the result of a State CIT exam."""
    run(
        ctx,
        Registry.record_exam,
        c.RecordExam,
        {"officer": officer, "kind": kind, "passed": passed, "taken_on": taken_on},
        summary=lambda cmd: (
            f"recorded {cmd.kind} exam of {cmd.officer}: {'passed' if cmd.passed else 'failed'}"
        ),
        command_id=command_id,
        expected_version=expected_version,
    )

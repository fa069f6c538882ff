"""`registry certificate ...`: issue, renew, suspend, reinstate and revoke certificates."""

from typing import Annotated

import typer

from registry.application import Registry
from registry.cli.core import CertificateRef, CommandId, ExpectedVersion, OfficerRef, On, run
from registry.domain import commands as c
from registry.domain.values import Credential

certificate_app = typer.Typer(
    help="Issue and renew certificates; suspend, reinstate or revoke them.",
    no_args_is_help=True,
)

Reason = Annotated[str, typer.Option(help="Why (kept in the record).", show_default=False)]


@certificate_app.command("issue")
def issue(
    ctx: typer.Context,
    officer: OfficerRef,
    credential: Annotated[
        Credential, typer.Option(help="The credential to issue.", show_default=False)
    ],
    number: Annotated[
        str | None,
        typer.Option(
            help="Bring in a legacy certificate under its number (default: the registry "
            "numbers it).",
            show_default=False,
        ),
    ] = None,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Issue a credential to an officer who meets every rule for it."""
    run(
        ctx,
        Registry.issue_certificate,
        c.IssueCertificate,
        {"officer": officer, "credential": credential, "number": number, "effective_on": on},
        summary=lambda cmd: f"issued {cmd.credential} to {cmd.officer}",
        command_id=command_id,
        expected_version=expected_version,
    )


@certificate_app.command("renew")
def renew(
    ctx: typer.Context,
    number: CertificateRef,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Renew a certificate for another cycle (needs continuing education)."""
    run(
        ctx,
        Registry.renew_certificate,
        c.RenewCertificate,
        {"number": number, "effective_on": on},
        summary=lambda cmd: "renewed",
        command_id=command_id,
        expected_version=expected_version,
    )


@certificate_app.command("suspend")
def suspend(
    ctx: typer.Context,
    number: CertificateRef,
    reason: Reason,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Suspend a certificate."""
    run(
        ctx,
        Registry.suspend_certificate,
        c.SuspendCertificate,
        {"number": number, "reason": reason, "effective_on": on},
        summary=lambda cmd: "suspended",
        command_id=command_id,
        expected_version=expected_version,
    )


@certificate_app.command("reinstate")
def reinstate(
    ctx: typer.Context,
    number: CertificateRef,
    reason: Reason,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Reinstate a suspended certificate."""
    run(
        ctx,
        Registry.reinstate_certificate,
        c.ReinstateCertificate,
        {"number": number, "reason": reason, "effective_on": on},
        summary=lambda cmd: "reinstated",
        command_id=command_id,
        expected_version=expected_version,
    )


@certificate_app.command("revoke")
def revoke(
    ctx: typer.Context,
    number: CertificateRef,
    reason: Reason,
    on: On = None,
    command_id: CommandId = None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Revoke a certificate for good."""
    run(
        ctx,
        Registry.revoke_certificate,
        c.RevokeCertificate,
        {"number": number, "reason": reason, "effective_on": on},
        summary=lambda cmd: "revoked",
        command_id=command_id,
        expected_version=expected_version,
    )

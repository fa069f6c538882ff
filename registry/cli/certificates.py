"""`registry certificate ...`: issue, renew, suspend, reinstate and revoke certificates."""

from collections.abc import Callable
from typing import Annotated, Any

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


def _state_action(
    name: str, method: Callable[..., Any], command: type[c.Command], done: str, doc: str
) -> None:
    """Register `registry certificate NAME`: a state action with a reason and a date."""

    def action(
        ctx: typer.Context,
        number: CertificateRef,
        reason: Reason,
        on: On = None,
        command_id: CommandId = None,
        expected_version: ExpectedVersion = None,
    ) -> None:
        run(
            ctx,
            method,
            command,
            {"number": number, "reason": reason, "effective_on": on},
            summary=lambda cmd: done,
            command_id=command_id,
            expected_version=expected_version,
        )

    action.__doc__ = doc
    action.__name__ = name
    certificate_app.command(name)(action)


_state_action(
    "suspend", Registry.suspend_certificate, c.SuspendCertificate, "suspended",
    "Suspend a certificate.",
)  # fmt: skip
_state_action(
    "reinstate", Registry.reinstate_certificate, c.ReinstateCertificate, "reinstated",
    "Reinstate a suspended certificate.",
)  # fmt: skip
_state_action(
    "revoke", Registry.revoke_certificate, c.RevokeCertificate, "revoked",
    "Revoke a certificate for good.",
)  # fmt: skip

"""Staff accounts for the staff console: `registry users create|list|link|change-role|disable`.

People sign in with these; API keys are for software. An account has the roles and
scopes of an API key. Its creation, role changes and disabling are events of the log;
the set-password link is printed once (only a digest of its token is kept).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from registry.cli.core import session
from registry.cli.output import console, emit_json
from registry.domain.access import ApiRole
from registry.staff import Staff, UserInfo
from registry.staff.accounts import LINK_LIFETIME

users_app = typer.Typer(help="Staff accounts: create, list, link, change-role, disable.")

Role = Annotated[ApiRole, typer.Option("--role", help="state, academy, agency or auditor.")]
Agency = Annotated[
    str | None, typer.Option("--agency", metavar="CODE", help="The agency of agency staff.")
]
Academy = Annotated[
    str | None, typer.Option("--academy", metavar="CODE", help="The academy of academy staff.")
]
UserId = Annotated[str, typer.Argument(metavar="ID", help="The account's id (see `users list`).")]
HOURS = int(LINK_LIFETIME.total_seconds() // 3600)


def _staff(ctx: typer.Context) -> Staff:
    return Staff(session(ctx).registry)


def _emit_link(ctx: typer.Context, link: str, info: UserInfo, said: str) -> None:
    if session(ctx).json:
        emit_json({"link": link, **asdict(info)})
        return
    out = console()
    out.print(f"{said}: {info.role.value} account {info.user_id} ({info.email})", soft_wrap=True)
    out.print(
        f"the link to set a password (works once, for {HOURS} hours; send it only to them):",
        soft_wrap=True,
    )
    typer.echo(link)


@users_app.command("create")
def create(
    ctx: typer.Context,
    role: Role,
    email: Annotated[str, typer.Option("--email", metavar="ADDRESS", help="Their e-mail.")],
    agency: Agency = None,
    academy: Academy = None,
) -> None:
    """Make a staff account and print a one-time link to set its password."""
    current = session(ctx)
    link, info = _staff(ctx).create(
        email, role, current.actor, agency_code=agency, academy_code=academy
    )
    _emit_link(ctx, link, info, "created")


@users_app.command("link")
def link(ctx: typer.Context, user_id: UserId) -> None:
    """Print a new set-password link for an account (a forgotten password); earlier
    unused links stop working and the account's sessions end. Recorded in the log (who
    made it and when, never the link)."""
    staff = _staff(ctx)
    made = staff.new_link(user_id, session(ctx).actor)
    _emit_link(ctx, made, staff.get(user_id), "new link")


@users_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Every staff account: id, role, scope, e-mail, made and disabled dates. Never a secret."""
    users = _staff(ctx).list()
    if session(ctx).json:
        emit_json([asdict(u) for u in users])
        return
    out = console()
    for u in users:
        scope = u.agency_code or u.academy_code or "-"
        state = f"disabled {u.disabled_on}" if u.disabled_on else "active"
        password = "password set" if u.password_set else "no password yet"
        factor = ", second factor" if u.second_factor else ""
        out.print(
            f"{u.user_id}  {u.role.value:8} {scope:12} {u.created_on}  {state}  "
            f"{password}{factor}  {u.email}",
            soft_wrap=True,
        )


@users_app.command("change-role")
def change_role(
    ctx: typer.Context,
    user_id: UserId,
    role: Role,
    reason: Annotated[str, typer.Option("--reason", help="Why the role changes.")],
    agency: Agency = None,
    academy: Academy = None,
) -> None:
    """Give an account another role or scope; its sessions end at once."""
    current = session(ctx)
    info = _staff(ctx).change_role(
        user_id, role, current.actor, reason=reason, agency_code=agency, academy_code=academy
    )
    _emit(ctx, info, "role changed")


@users_app.command("disable")
def disable(
    ctx: typer.Context,
    user_id: UserId,
    reason: Annotated[str, typer.Option("--reason", help="Why it is disabled.")],
) -> None:
    """Disable an account: it cannot sign in again, and its sessions end at once."""
    current = session(ctx)
    _emit(ctx, _staff(ctx).disable(user_id, reason, current.actor), "disabled")


def _emit(ctx: typer.Context, info: UserInfo, said: str) -> None:
    if session(ctx).json:
        emit_json(asdict(info))
    else:
        scope = info.agency_code or info.academy_code
        where = f" for {scope}" if scope else ""
        console().print(
            f"{said}: {info.role.value} account{where} {info.user_id} ({info.email})",
            soft_wrap=True,
        )

"""What every command of the command line shares.

The session (global options, the recording actor and a registry opened only when
a command needs it), the option types, input parsers, running one application
command, and turning every user error into one line on stderr with an exit code.
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, TypedDict
from urllib.parse import urlsplit

import psycopg
import typer
from typer.core import TyperGroup

from registry.application import Receipt, RecordedOn, Registry, parse
from registry.cli import output
from registry.config import Settings
from registry.domain.commands import EARLIEST, LATEST, Command
from registry.domain.errors import InvalidInput, RegistryError
from registry.domain.values import Actor, ActorRole
from registry.schema import schema_lock
from registry.storage import DATABASE_ERRORS, describe, persistence_env

#: Exit codes: a rule, a missing record or a conflict refused the command.
EXIT_REFUSED = 1
#: The input was malformed (a bad date, a missing option, an unknown value).
EXIT_INVALID = 2
#: The database could not be opened or stopped answering.
EXIT_DATABASE = 3



class DatabaseUnavailable(Exception):
    """The registry's database could not be opened (message already safe to print)."""


# ------------------------------------------------------------------ the session


@dataclass
class Session:
    """The global options of one invocation, and the registry opened on first use."""

    database: str | None = None
    json: bool = False
    actor_id: str | None = None
    role: ActorRole = ActorRole.STATE
    scope: str | None = None
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = open_registry(self.database)
        return self._registry

    @property
    def actor(self) -> Actor:
        actor_id = (_os_user() if self.actor_id is None else self.actor_id).strip()
        if not actor_id or len(actor_id) > 200:
            raise InvalidInput("--actor must be 1 to 200 characters")
        scope = self.scope.strip().upper() if self.scope else None
        if scope is not None and self.role not in (ActorRole.ACADEMY, ActorRole.AGENCY):
            raise InvalidInput("--scope names the academy or agency of an academy or agency role")
        return Actor(actor_id, self.role, scope)

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None


def session(ctx: typer.Context) -> Session:
    """The session the top-level callback put on the context."""
    found = ctx.find_object(Session)
    if found is None:  # only when a command is invoked without the top-level group
        raise RuntimeError("no registry session on the command context")
    return found


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Time(TypedDict, total=False):
    """The time keywords of `Registry`."""

    clock: Callable[[], date]
    now: Callable[[], datetime]


#: Keyword arguments of `Registry` that set the command line's time (`clock`, `now`);
#: empty: the real time. Tests set them to run the command line on a fixed day.
TIME: Time = {}


def moment() -> datetime:
    """The command line's present moment, for what it checks without opening a registry
    (an offline token): the time set in `TIME`, as a registry would take it, else the
    real time."""
    if "now" in TIME:
        return TIME["now"]()
    if "clock" in TIME:
        return RecordedOn(TIME["clock"], Settings.from_env().zone())()
    return datetime.now().astimezone()


def open_registry(database: str | None) -> Registry:
    """Open the registry on `database` (else REGISTRY_DATABASE, else the default)."""
    settings = Settings.from_env(database=database)
    url = settings.database
    try:
        # Under the schema lock: two commands started at once on a new database would
        # otherwise both make the log's tables and functions, and one would fail.
        with schema_lock(url):
            return Registry(settings, **TIME)
    except InvalidInput as e:
        raise InvalidInput(scrub(e.message, url)) from None
    except (*DATABASE_ERRORS, OSError, ValueError) as e:
        reason = _postgres_reason(url) or str(e) or type(e).__name__
        message = f"cannot open database {describe(url)}: {reason}"
        raise DatabaseUnavailable(scrub(message, url)) from None


def _postgres_reason(url: str) -> str | None:
    """Why PostgreSQL refuses a connection, in the server's words (the pool only times out)."""
    if urlsplit(url).scheme not in ("postgresql", "postgres"):
        return None
    try:
        env = persistence_env(url)
    except (InvalidInput, ValueError):
        return None
    try:
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as e:
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        return lines[0] if lines else None


def scrub(text: str, url: str) -> str:
    """Remove the database password from a message that may quote the URL."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return text.replace(url, "(database URL)")
    text = text.replace(url, describe(url))
    if password:
        text = text.replace(f":{password}@", ":***@")
    return text


# ------------------------------------------------------- options and parsers

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: str) -> date:
    """Parse a YYYY-MM-DD date, or say clearly why not."""
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r} is not a valid date ({e})") from None
    if not EARLIEST <= day <= LATEST:
        raise typer.BadParameter(
            f"{value!r} is out of range: a date is from {EARLIEST} to {LATEST}"
        )
    return day


def names(values: Sequence[str] | None) -> list[str] | None:
    """Values of a repeated option, each of which may also be comma-separated."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def assignments(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """`field=value` pairs of a repeated option, as a dict."""
    result: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise typer.BadParameter(f"expected field=value, got {item!r}", param_hint=option)
        if key in result:
            raise typer.BadParameter(f"{key} is given more than once", param_hint=option)
        result[key] = value.strip()
    return result


def date_option(name: str, help: str) -> Any:
    """An option holding a YYYY-MM-DD date."""
    return typer.Option(name, parser=iso_date, metavar="YYYY-MM-DD", help=help, show_default=False)


OfficerRef = Annotated[
    str,
    typer.Argument(
        metavar="OFFICER",
        help="The officer's registry id, POST number or certificate number.",
        show_default=False,
    ),
]
CertificateRef = Annotated[
    str, typer.Argument(metavar="NUMBER", help="The certificate number.", show_default=False)
]
On = Annotated[
    date | None,
    date_option("--on", "Date the change takes effect (default: today; never in the future)."),
]
CommandId = Annotated[
    str | None,
    typer.Option(
        "--command-id",
        help="Idempotency key: repeating a command with the same id returns the first receipt.",
        show_default=False,
    ),
]
ExpectedVersion = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        min=1,
        help="Refuse the change unless the record is still at this version.",
        show_default=False,
    ),
]


# --------------------------------------------------------- running a command


def run(
    ctx: typer.Context,
    action: Callable[..., Receipt],
    command: type[Command],
    fields: dict[str, Any],
    *,
    summary: Callable[[Any], str],
    command_id: str | None = None,
    expected_version: int | None = None,
) -> Receipt:
    """Build `command` from the options given, carry it out and print the receipt.

    `action` is the unbound Registry method; options left out (None) take the
    command's defaults. The input is checked before the database is opened.
    """
    current = session(ctx)
    cmd = parse(command, {k: v for k, v in fields.items() if v is not None})
    options: dict[str, Any] = {"command_id": command_id}
    if expected_version is not None:
        options["expected_version"] = expected_version
    actor = current.actor
    receipt = action(current.registry, cmd, actor, **options)
    output.receipt(receipt, summary(cmd), as_json=current.json)
    return receipt


# --------------------------------------------------------------------- errors


def fail(message: str, code: int) -> int:
    """Print one `error:` line on stderr and return the exit code."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return code


class RegistryGroup(TyperGroup):
    """The top-level group: every user error becomes one line on stderr and an exit code.

    Exit codes: 0 done, 1 refused (a rule, not found, a conflict), 2 invalid input,
    3 database unavailable. A traceback means a bug, never a user error.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except typer.TyperException as e:  # usage errors of the (vendored) click parser
            code = _usage_error(e)
        except RegistryError as e:
            kind = e.kind.replace("-", " ")
            code = fail(
                f"{kind}: {e.message}",
                EXIT_INVALID if isinstance(e, InvalidInput) else EXIT_REFUSED,
            )
        except DatabaseUnavailable as e:
            code = fail(str(e), EXIT_DATABASE)
        except DATABASE_ERRORS as e:
            code = fail(f"database error: {str(e) or type(e).__name__}", EXIT_DATABASE)
        except typer.Abort:
            code = fail("aborted", 1)
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_error(error: typer.TyperException) -> int:
    code = getattr(error, "exit_code", EXIT_INVALID)
    message = error.format_message().strip()
    if type(error).__name__ == "NoArgsIsHelpError":
        # The help has been printed (rich) or is the message (plain): not an error line.
        if message:
            typer.echo(message, err=True)
        return code
    ctx = getattr(error, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return fail(f"invalid input: {message}{hint}", code)

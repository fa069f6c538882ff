"""The read models on the command line: `registry projections ...`, `registry replay`, and
the questions they answer (`certificate show`, `roster`, `coverage`, `expiring`, `tiers`,
`timeline`, `changes`).

Every question first applies the events the read models have not yet seen, so the
answer includes everything recorded up to the moment it is asked.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer

from registry.application import Registry
from registry.cli import view_output as show
from registry.cli.core import (
    EXIT_REFUSED,
    CertificateRef,
    OfficerRef,
    Session,
    date_option,
    iso_date,
    open_registry,
    scrub,
    session,
)
from registry.cli.organisations import AgencyCode
from registry.cli.output import emit_json
from registry.domain.errors import Conflict, InvalidInput
from registry.projections import queries
from registry.projections.rebuild import rebuild as rebuild_read_models
from registry.projections.rebuild import replay_as_recorded
from registry.projections.runner import Runner
from registry.projections.store import TABLES, Views
from registry.projections.verify import LIMIT, verify_read_models
from registry.signing.service import Signing
from registry.storage import describe, persistence_env

projections_app = typer.Typer(
    help="Keep the read models in step with the log: run, rebuild, status, verify.",
    no_args_is_help=True,
)

#: The back ends that keep read models beside the log.
DATABASES = ("eventsourcing.sqlite", "eventsourcing.postgres")

AnswerOn = Annotated[
    date | None,
    date_option("--on", "The date to answer for (default: today). Any date, past or future."),
]


def projection_runner(app: Registry) -> Runner:
    """The projection runner of a registry whose log is kept in a database."""
    if app.env.get("PERSISTENCE_MODULE") not in DATABASES:
        raise InvalidInput("read models need a SQLite or PostgreSQL database, not memory://")
    return Runner(app)


def _caught_up(ctx: typer.Context) -> tuple[Session, Registry, Views]:
    """The session, its registry, and read models that include every recorded event."""
    current = session(ctx)
    app = current.registry
    runner = projection_runner(app)
    runner.catch_up()
    return current, app, runner.views


# ------------------------------------------------------------------ questions


def certificate_show(ctx: typer.Context, number: CertificateRef, on: AnswerOn = None) -> None:
    """Show a certificate's public status on a date: credential, holder, agency, expiry."""
    current, app, views = _caught_up(ctx)
    status = queries.certificate_status(views, number, on or app.clock())
    show.certificate(status, as_json=current.json)


def roster(ctx: typer.Context, agency: AgencyCode, on: AnswerOn = None) -> None:
    """List an agency's officers with each CIT certificate's status on a date.

    Officers are listed as they served on that date, with the district and shift they held.
    """
    current, app, views = _caught_up(ctx)
    show.roster(queries.roster(views, agency, on or app.clock()), as_json=current.json)


def coverage(ctx: typer.Context, agency: AgencyCode, on: AnswerOn = None) -> None:
    """Show CIT officers in force per district and shift, the gaps, and the state target.

    A cell that keeps officers on the date but would lose its last one within a year,
    if nobody renews, shows the date that gap would open. Officers count in the
    district and shift they held on that date.
    """
    current, app, views = _caught_up(ctx)
    result = queries.coverage(views, agency, on or app.clock(), app.policy)
    show.coverage(result, as_json=current.json)


def expiring(
    ctx: typer.Context,
    agency: AgencyCode,
    within_days: Annotated[
        int,
        typer.Option(
            "--within-days",
            min=0,
            max=queries.MAX_WINDOW_DAYS,
            help="How many days ahead of --on to look.",
        ),
    ] = 90,
    on: AnswerOn = None,
) -> None:
    """List certificates in force that expire soon, with the CE hours each still lacks."""
    current, app, views = _caught_up(ctx)
    day = on or app.clock()
    found = queries.expiring(views, agency, day, within_days, app.policy)
    show.expiring(agency.strip().upper(), day, within_days, found, as_json=current.json)


def tiers(ctx: typer.Context, on: AnswerOn = None) -> None:
    """Show each agency's tier: state_certified, in_house_only or none."""
    current, app, views = _caught_up(ctx)
    day = on or app.clock()
    show.tiers(day, queries.tiers(views, day), as_json=current.json)


def timeline(ctx: typer.Context, officer: OfficerRef) -> None:
    """List every event about an officer in log order, with corrections, dates and actors."""
    current, app, views = _caught_up(ctx)
    officer_id = str(app.officer_id(officer))
    entries = queries.timeline(views, officer_id)
    show.timeline(officer_id, entries, app.settings.zone(), as_json=current.json)


def changes(
    ctx: typer.Context,
    agency: AgencyCode,
    after: Annotated[
        int, typer.Option("--after", min=0, help="Show changes after this cursor (a Seq).")
    ] = 0,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many changes.")
    ] = 100,
) -> None:
    """Follow an agency's change feed: issues, renewals, state actions, transfers, expiries."""
    current, app, views = _caught_up(ctx)
    found = queries.changes(views, agency, after=after, limit=limit)
    show.changes(agency.strip().upper(), after, found, app.settings.zone(), as_json=current.json)


# ---------------------------------------------------------------- projections


@projections_app.command("run")
def run(
    ctx: typer.Context,
    poll: Annotated[
        float,
        typer.Option(
            "--poll",
            metavar="SECONDS",
            min=0.05,
            max=3600,
            help="Seconds between looks at the log (PostgreSQL also wakes at once on a write).",
        ),
    ] = 1.0,
) -> None:
    """Keep the read models and the Merkle tree in step with the log until interrupted
    (Ctrl-C stops cleanly); a signed checkpoint of the tree after each batch."""
    current = session(ctx)
    runner = projection_runner(current.registry)
    Signing(current.registry, runner)  # it signs a checkpoint after each batch of the tree
    if not current.json:
        where = describe(current.registry.settings.database)
        typer.echo(f"projections running on {where}; Ctrl-C to stop", err=True)
    with _stop_on_signal(runner):
        runner.run_forever(poll=poll)
    if current.json:
        emit_json({"stopped": True, "position": runner.position(), "lag": runner.lag()})
    else:
        typer.echo(f"stopped; read models at log position {runner.position()}")


@contextmanager
def _stop_on_signal(runner: Runner) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) lets the batch in hand finish, then stops; a second one interrupts."""
    previous: dict[signal.Signals, Any] = {}

    def stop(signum: int, frame: Any) -> None:
        runner.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)

    for number in (signal.SIGINT, signal.SIGTERM):
        previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@projections_app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Drop every read model and apply the whole log again, from the first event."""
    current = session(ctx)
    app = current.registry
    runner = projection_runner(app)
    started = time.perf_counter()
    with show.progress_bar("rebuilding", app.position()) as progress:
        events = rebuild_read_models(app, progress=progress)
    seconds = time.perf_counter() - started
    show.rebuilt(events, seconds, runner.position(), as_json=current.json)


@projections_app.command("status")
def status(ctx: typer.Context) -> None:
    """Show each projection's log position and how far behind the log it is."""
    current = session(ctx)
    runner = projection_runner(current.registry)
    head = current.registry.position()
    positions = {name: head - behind for name, behind in runner.lag().items()}
    show.projection_status(head, positions, as_json=current.json)


@projections_app.command("verify")
def verify(
    ctx: typer.Context,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", min=1, help="Show at most this many differences (all are counted)."
        ),
    ] = LIMIT,
) -> int:
    """Build the read models again from the log in a scratch database and compare every row
    with the live ones at the same log position. Exit 0 if all match; otherwise show each
    difference (table, key, column, live and rebuilt values) and exit 1."""
    current = session(ctx)
    app = current.registry
    projection_runner(app)  # refuses a registry kept in memory
    with show.progress_bar("rebuilding", app.position()) as progress:
        verdict = verify_read_models(app, limit=limit, progress=progress)
    shown = verdict.differences
    if current.json:
        emit_json(
            {
                "ok": verdict.ok,
                "position": verdict.position,
                "rows": verdict.rows,
                "rows_differing": verdict.rows_differing,
                "differences": verdict.found,
                "shown": [
                    {
                        "table": d.table,
                        "key": d.key,
                        "column": d.column,
                        "live": d.live,
                        "rebuilt": d.rebuilt,
                    }
                    for d in shown
                ],
            }
        )
    else:
        for difference in shown:
            typer.echo(difference.text())
        if verdict.found > len(shown):
            typer.echo(f"... and {verdict.found - len(shown)} more differences (--limit)")
    if not verdict.ok:
        rows = (
            "1 row differs"
            if verdict.rows_differing == 1
            else (f"{verdict.rows_differing} rows differ")
        )
        typer.echo(
            f"error: read models not verified: {rows} from a rebuild at log position "
            f"{verdict.position}",
            err=True,
        )
        return EXIT_REFUSED
    if not current.json:
        typer.echo(
            f"verified: the read models at log position {verdict.position} are the rebuild's "
            f"({verdict.rows} rows in {len(TABLES)} tables)"
        )
    return 0


def replay(
    ctx: typer.Context,
    as_recorded_on: Annotated[
        date,
        typer.Option(
            "--as-recorded-on",
            parser=iso_date,
            metavar="YYYY-MM-DD",
            help="Keep only the events recorded by the end of this day (registry time zone).",
            show_default=False,
        ),
    ],
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            metavar="URL",
            help="An empty scratch database (default: sqlite:///replay-DATE.db here).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rebuild the read models in a scratch database from the events recorded up to a day.

    The scratch database then answers as the registry stood at the end of that day:
    query it with `registry --database URL certificate show ...` and the rest.
    """
    target = into or f"sqlite:///replay-{as_recorded_on.isoformat()}.db"
    _check_scratch_url(target)
    current = session(ctx)
    app = current.registry
    open_registry(target).close()  # one clear line if the scratch database cannot be opened
    try:
        with show.progress_bar("replaying", None) as progress:
            result = replay_as_recorded(app, as_recorded_on, target, progress=progress)
    except Conflict as e:  # it names the scratch database: never print its password
        raise Conflict(scrub(e.message, target)) from None
    show.replayed(result, as_recorded_on, as_json=current.json)


def _check_scratch_url(url: str) -> None:
    """Refuse a malformed URL, or one that keeps nothing, before anything is opened."""
    try:
        module = persistence_env(url)["PERSISTENCE_MODULE"]
    except InvalidInput as e:
        raise InvalidInput(scrub(e.message, url)) from None
    if module not in DATABASES:
        raise InvalidInput(f"--into must be a SQLite or PostgreSQL database, not {url}")

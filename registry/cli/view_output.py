"""How the command line shows the read models: tables for people, one JSON document for
scripts (`--json`), and a progress bar on stderr while the log is applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from typing import Any

import typer
from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from registry.cli.output import _text, console, emit_json
from registry.projections.queries import (
    AgencyTier,
    CertificationStatus,
    Change,
    Coverage,
    Expiring,
    Roster,
    TimelineEntry,
)
from registry.projections.rebuild import Replay
from registry.storage import describe

WITHHELD = "withheld"


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _table(title: str, *headings: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    for heading in headings:
        table.add_column(escape(heading), no_wrap=heading != "Details")
    return table


def _when(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "-"


# ---------------------------------------------------------------- certificates


def certificate(status: CertificationStatus, *, as_json: bool) -> None:
    """A certificate's public status: the holder and agency are withheld when the record is."""
    withheld = status.withheld
    holder = None if withheld else status.holder_name
    agency = None if withheld else status.agency_code
    if as_json:
        emit_json(
            {
                "number": status.number,
                "credential": status.credential,
                "holder": holder,
                "agency_code": agency,
                "withheld": withheld,
                "on": status.on,
                "status": status.status,
                "in_force": status.in_force,
                "issued_on": status.issued_on,
                "expires_on": status.expires_on,
                "reason": status.reason,
            }
        )
        return
    out = console()
    out.print(f"[bold]Certificate {escape(status.number)}[/bold]")
    details = Table.grid(padding=(0, 2))
    details.add_column(style="dim")
    details.add_column()
    details.add_row("credential", _text(status.credential))
    details.add_row("holder", WITHHELD if withheld else escape(status.holder_name))
    details.add_row("agency", WITHHELD if withheld else escape(agency or "unassociated"))
    details.add_row("issued", _text(status.issued_on))
    details.add_row("expires", _text(status.expires_on))
    details.add_row("status on", status.on.isoformat())
    details.add_row("status", _text(status.status) + ("" if status.in_force else " (not in force)"))
    if status.reason:
        details.add_row("reason", escape(status.reason))
    out.print(details)


# -------------------------------------------------------------------- agencies


def roster(result: Roster, *, as_json: bool) -> None:
    """The agency's officers, their district and shift, and each CIT certificate's status."""
    if as_json:
        emit_json(_dump(result))
        return
    title = f"Roster of {result.agency_code}, certificates as of {result.on.isoformat()}"
    table = _table(title, "POST number", "Name", "Role", "District", "Shift", "POST status")
    table.add_column("CIT certificates")
    for officer in result.officers:
        certificates = "\n".join(
            f"{c.number} {_text(c.credential)} {_text(c.status)} (expires {_text(c.expires_on)})"
            for c in officer.certificates
        )
        table.add_row(
            escape(officer.post_number),
            escape(officer.name) + (f" ({WITHHELD})" if officer.withheld else ""),
            _text(officer.role),
            escape(_text(officer.district)),
            escape(_text(officer.shift)),
            _text(officer.post_status),
            escape(certificates) or "-",
        )
    out = console()
    out.print(table if result.officers else f"No officers with {result.agency_code}.")


def coverage(result: Coverage, *, as_json: bool) -> None:
    """Districts by shifts: CIT officers in force per cell, gaps, and when a gap would open."""
    if as_json:
        emit_json(_dump(result))
        return
    cells = {(c.district, c.shift): c for c in result.cells}
    title = f"CIT coverage of {result.agency_code} on {result.on.isoformat()}"
    table = _table(title, "District", *result.shifts)
    for district in result.districts:
        row = [escape(district)]
        for shift in result.shifts:
            cell = cells[(district, shift)]
            if cell.cit_officers == 0:
                row.append("[bold red]0 gap[/bold red]")
            elif cell.gap_opens_on is not None:
                row.append(f"[yellow]{cell.cit_officers} gap from {cell.gap_opens_on}[/yellow]")
            else:
                row.append(str(cell.cit_officers))
        table.add_row(*row)
    out = console()
    out.print(table)
    verdict = "meets" if result.meets_target else "[bold red]below[/bold red]"
    out.print(
        f"CIT-certified patrol officers: {result.certified_patrol_officers} of "
        f"{result.patrol_officers} ({result.share:.1%}); {verdict} the state target of "
        f"{result.target:.0%}"
    )
    out.print(f"gaps: {len(result.gaps)} of {len(result.cells)} district-shift cells")


def expiring(
    code: str, on: date, within_days: int, found: list[Expiring], *, as_json: bool
) -> None:
    """Certificates in force that expire within the window, with CE hours still lacking."""
    if as_json:
        emit_json(
            {
                "agency_code": code,
                "on": on,
                "within_days": within_days,
                "certificates": [_dump(e) for e in found],
            }
        )
        return
    out = console()
    if not found:
        out.print(f"No certificate of {code} in force on {on} expires within {within_days} days.")
        return
    title = f"Certificates of {code} in force on {on} expiring within {within_days} days"
    headings = ("Number", "Credential", "Name", "Expires", "Days left", "CE hours", "CE lacking")
    table = _table(title, *headings)
    for e in found:
        lacking = f"[bold]{_text(e.ce_hours_lacking)}[/bold]" if e.ce_hours_lacking else "0"
        table.add_row(
            e.number,
            _text(e.credential),
            escape(e.name),
            e.expires_on.isoformat(),
            str(e.days_left),
            _text(e.ce_hours),
            lacking,
        )
    out.print(table)


def tiers(on: date, found: list[AgencyTier], *, as_json: bool) -> None:
    """Each agency's tier: state_certified, in_house_only or none."""
    if as_json:
        emit_json({"on": on, "agencies": [_dump(t) for t in found]})
        return
    out = console()
    if not found:
        out.print("No agencies registered.")
        return
    table = _table(f"Agency tiers on {on}", "Code", "Name", "Region", "Tier")
    table.add_column("CIT officers in force", justify="right")
    table.add_column("In-house course")
    for t in found:
        table.add_row(
            escape(t.code),
            escape(t.name),
            escape(t.region),
            t.tier,
            str(t.officers_in_force),
            "yes" if t.in_house_course else "no",
        )
    out.print(table)


# --------------------------------------------------------------- for auditors


def timeline(officer_id: str, entries: list[TimelineEntry], zone: tzinfo, *, as_json: bool) -> None:
    """Every event about an officer in log order, corrections included."""
    if as_json:
        emit_json({"officer_id": officer_id, "events": [_dump(e) for e in entries]})
        return
    title = f"Timeline of officer {officer_id}"
    table = _table(title, "Position", "Ver", "Event", "Effective", "Recorded", "Actor", "Details")
    for e in entries:
        details = ", ".join(f"{k}={_text(v)}" for k, v in e.details.items())
        table.add_row(
            str(e.position),
            str(e.version),
            e.event,
            e.effective_on.isoformat(),
            _when(e.recorded_at, zone),
            escape(f"{e.actor_role}:{e.actor_id}"),
            escape(details),
        )
    console().print(table)


def changes(code: str, after: int, found: list[Change], zone: tzinfo, *, as_json: bool) -> None:
    """The agency's change feed after a cursor, and the cursor to ask from next."""
    next_after = found[-1].seq if found else after
    if as_json:
        emit_json(
            {
                "agency_code": code,
                "after": after,
                "next_after": next_after,
                "changes": [_dump(c) for c in found],
            }
        )
        return
    out = console()
    if not found:
        out.print(f"No changes for {code} after {after}.")
        return
    headings = ("Seq", "Kind", "Certificate", "Effective", "Recorded", "Details")
    table = _table(f"Changes for {code} after {after}", *headings)
    for c in found:
        table.add_row(
            str(c.seq),
            c.kind,
            c.certificate_number,
            c.effective_on.isoformat(),
            _when(c.recorded_at, zone),
            escape(c.detail),
        )
    out.print(table)
    out.print(f"next: registry changes {code} --after {next_after}")


# ----------------------------------------------------------------- projections


def projection_status(head: int, positions: dict[str, int], *, as_json: bool) -> None:
    """Where each projection stands, and how many log positions it is behind."""
    rows: list[dict[str, Any]] = [
        {"name": n, "position": p, "behind": head - p} for n, p in positions.items()
    ]
    if as_json:
        emit_json({"head": head, "projections": rows})
        return
    table = _table(f"Projections (log head {head})", "Projection", "Position", "Behind")
    for row in rows:
        table.add_row(row["name"], str(row["position"]), str(row["behind"]))
    console().print(table)


def rebuilt(events: int, seconds: float, position: int, *, as_json: bool) -> None:
    """The summary of a rebuild: events applied, seconds taken, events per second."""
    rate = events / seconds if seconds > 0 else 0.0
    if as_json:
        emit_json(
            {
                "events": events,
                "seconds": round(seconds, 3),
                "events_per_second": round(rate, 1),
                "position": position,
            }
        )
        return
    typer.echo(
        f"rebuilt the read models from {events} events in {seconds:.2f} s ({rate:,.0f} events/s)"
    )
    typer.echo(f"  read models at log position {position}")


def replayed(replay: Replay, day: date, *, as_json: bool) -> None:
    """Where the replay went, and how to ask it questions."""
    where = describe(replay.database)
    if as_json:
        emit_json(
            {
                "database": where,
                "as_recorded_on": day,
                "cutoff": replay.cutoff,
                "events": replay.events,
                "skipped": replay.skipped,
            }
        )
        return
    typer.echo(
        f"replayed {replay.events} events recorded by {replay.cutoff.isoformat()} into {where}"
    )
    typer.echo(f"  {replay.skipped} events recorded later were left out")
    typer.echo(f"  query it as it stood: registry --database {where} certificate show NUMBER")
    typer.echo(f"  (and roster, coverage, expiring, tiers, timeline, changes) with --on {day}")


class _RateColumn(ProgressColumn):
    """Events per second since the bar started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} events/s")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """A bar on stderr counting events; yields the runner's progress callback.

    The bar appears with the first events applied, so a refusal before any work
    stays one line on stderr.
    """
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False),
    )
    task = bar.add_task(description, total=total)

    def advance(count: int, position: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.advance(task, count)

    try:
        yield advance
        if total is None:  # a count unknown at the start: show the bar full at the end
            done = bar.tasks[0].completed
            bar.update(task, total=done, completed=done)
    finally:
        if bar.live.is_started:
            bar.stop()

"""How the command line shows results: short lines and tables for people, and exactly
one JSON document on stdout for scripts (`--json`). Dates are ISO in both.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import date, datetime, tzinfo
from enum import Enum
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from registry.application import HistoryEntry, OfficerStatus, Receipt
from registry.domain.events import json_value


def console() -> Console:
    """A console on stdout; when piped, wide enough that lines are not folded at 80."""
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    return Console(highlight=False, width=width)


def emit_json(document: Any) -> None:
    typer.echo(json.dumps(document, default=json_value, indent=2, ensure_ascii=False))


def _text(value: Any) -> str:
    """A value as a person reads it in a line of details."""
    if value is None:
        return "-"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ------------------------------------------------------------------- receipts


def receipt(receipt: Receipt, summary: str, *, as_json: bool) -> None:
    """What a command did: one JSON object, or a short line or two."""
    if as_json:
        emit_json(asdict(receipt))
        return
    head = summary
    if receipt.certificate_number:
        head += f": certificate {receipt.certificate_number}"
    if receipt.expires_on:
        head += f", expires {receipt.expires_on.isoformat()}"
    detail = f"  record {receipt.id}, version {receipt.version}, log position {receipt.position}"
    if receipt.flags:
        detail += f"; flags: {', '.join(receipt.flags)}"
    typer.echo(head)
    typer.echo(detail)
    if receipt.replayed:
        typer.echo("  replayed: this command id was carried out before; nothing new recorded")


# --------------------------------------------------------------------- status


def status(st: OfficerStatus, *, as_recorded_at: datetime | None, as_json: bool) -> None:
    """An officer and each certificate as they stand on `st.on`."""
    certificates: list[dict[str, Any]] = [
        {
            "number": view.number,
            "credential": view.credential,
            "status": view.status,
            "in_force": view.in_force,
            "issued_on": view.issued_on,
            "expires_on": view.expires_on,
            "mandated": view.mandated,
            "reason": view.reason,
        }
        for view in st.certificates
    ]
    if as_json:
        emit_json(
            {
                "id": st.id,
                "post_number": st.post_number,
                "name": st.name,
                "role": st.role,
                "agency_code": st.agency_code,
                "district": st.district,
                "shift": st.shift,
                "post_status": st.post_status,
                "withheld": st.withheld,
                "version": st.version,
                "on": st.on,
                "as_recorded_at": as_recorded_at,
                "certificates": certificates,
            }
        )
        return
    out = console()
    out.print(f"[bold]Officer {escape(st.post_number)}[/bold]  {escape(st.name)}")
    agency = escape(st.agency_code) if st.agency_code else "unassociated"
    if st.district and st.shift:
        agency += f", district {escape(st.district)}, shift {escape(st.shift)}"
    when = st.on.isoformat()
    if as_recorded_at is not None:
        when += f", as recorded by {as_recorded_at.strftime('%Y-%m-%d %H:%M %Z')}"
    details = Table.grid(padding=(0, 2))
    details.add_column(style="dim")
    details.add_column()
    details.add_row("registry id", st.id)
    details.add_row("role", _text(st.role))
    details.add_row("agency", agency)
    details.add_row("POST status", _text(st.post_status))
    details.add_row("record", f"version {st.version}" + (", withheld" if st.withheld else ""))
    details.add_row("status on", when)
    out.print(details)
    if not certificates:
        out.print("No certificates.")
        return
    table = Table(box=box.SIMPLE_HEAD, title="Certificates", title_justify="left")
    for heading in ("Number", "Credential", "Status", "Issued", "Expires", "In force"):
        table.add_column(heading, no_wrap=True)
    notes = any(cert["reason"] or cert["mandated"] for cert in certificates)
    if notes:
        table.add_column("Note")
    for cert in certificates:
        row = [
            escape(cert["number"]),
            _text(cert["credential"]),
            _text(cert["status"]),
            _text(cert["issued_on"]),
            _text(cert["expires_on"]),
            _yes(cert["in_force"]),
        ]
        if notes:
            note = ["mandated"] if cert["mandated"] else []
            note += [cert["reason"]] if cert["reason"] else []
            row.append(escape("; ".join(note)))
        table.add_row(*row)
    out.print(table)


# -------------------------------------------------------------------- history


def history(
    officer_id: str,
    entries: list[HistoryEntry],
    *,
    zone: tzinfo,
    as_recorded_at: datetime | None,
    as_json: bool,
) -> None:
    """The officer's events in order: version, event, effective date, recorded, actor."""
    if as_json:
        emit_json(
            {
                "id": officer_id,
                "as_recorded_at": as_recorded_at,
                "events": [
                    {
                        "version": e.version,
                        "event": e.event,
                        "effective_on": e.effective_on,
                        "recorded_at": e.recorded_at,
                        "actor": e.actor,
                        "details": e.details,
                    }
                    for e in entries
                ],
            }
        )
        return
    out = console()
    title = f"History of officer {officer_id}"
    if as_recorded_at is not None:
        title += f" as recorded by {as_recorded_at.strftime('%Y-%m-%d %H:%M %Z')}"
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    table.add_column("Ver", justify="right", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Effective", no_wrap=True)
    table.add_column("Recorded", no_wrap=True)
    table.add_column("Actor", no_wrap=True)
    table.add_column("Details", overflow="fold")
    for e in entries:
        details = ", ".join(f"{k}={_text(v)}" for k, v in e.details.items())
        table.add_row(
            str(e.version),
            e.event,
            e.effective_on.isoformat(),
            e.recorded_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            escape(str(e.actor)),
            escape(details),
        )
    out.print(table)


def info(
    *, database: str, position: int, timezone: str, policy: dict[str, Any], as_json: bool
) -> None:
    """Where the registry keeps its log and which numbers its rules use."""
    if as_json:
        emit_json(
            {"database": database, "position": position, "timezone": timezone, "policy": policy}
        )
        return
    out = console()
    out.print(f"[bold]CIT Registry[/bold] on {database}")
    out.print(f"events in the log: {position}    time zone: {timezone}")
    table = Table("policy", "value", title=f"State policy ({policy['state']})")
    for name, value in policy.items():
        table.add_row(name, _text(value))
    out.print(table)

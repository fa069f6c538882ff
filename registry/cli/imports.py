"""`registry import FILE.csv`: bring in a legacy roster (format in docs/import.md).

Rows are saved in batches with a progress bar (on stderr, in a terminal), then a
summary and a table of refused rows. Exit 0 when every row is in the registry
(imported now or before), 1 when some row was refused (the others are imported),
2 when the file cannot be read or has no `record` column.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from registry.cli import output
from registry.cli.core import EXIT_REFUSED, session
from registry.importer import BATCH_SIZE, ImportReport, import_rows, read_rows


def import_file(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv", help="The roster CSV (see docs/import.md).", show_default=False
        ),
    ],
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows saved per transaction.")
    ] = BATCH_SIZE,
) -> int:
    """Import a CSV of legacy roster records; a re-run imports nothing twice."""
    current = session(ctx)
    rows = read_rows(file)  # a file that is not a roster is refused before the database opens
    app, actor = current.registry, current.actor
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.disable = not progress.console.is_terminal
    with progress:
        task = progress.add_task("import", total=len(rows))
        report = import_rows(
            app,
            rows,
            actor,
            batch_size=batch_size,
            progress=lambda done: progress.advance(task, done),
        )
    show(report, str(file), app.position(), as_json=current.json)
    return 0 if report.complete else EXIT_REFUSED


def show(report: ImportReport, file: str, position: int, *, as_json: bool) -> None:
    """The summary and the refused rows: a JSON document, or a line and a table."""
    if as_json:
        output.emit_json({"file": file, **asdict(report), "position": position})
        return
    out = output.console()
    out.print(
        f"{escape(file)}: {report.rows} rows; imported {report.imported}, "
        f"already imported {report.already_imported}, refused {len(report.refused)}; "
        f"log position {position}"
    )
    if not report.refused:
        return
    table = Table(
        box=box.SIMPLE_HEAD,
        title="Refused rows (nothing of them was written)",
        title_justify="left",
    )
    table.add_column("Line", justify="right", no_wrap=True)
    table.add_column("Record", no_wrap=True)
    table.add_column("Reason", overflow="fold")
    for row in report.refused:
        table.add_row(str(row.line), escape(row.record), escape(row.reason))
    out.print(table)

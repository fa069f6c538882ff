"""The tamper-evident history on the command line: `registry audit checkpoint | verify | log-key`.

`verify` is the auditor's: it trusts nothing the database says about itself. It
recomputes every leaf from the stored events, the root at every kept checkpoint,
each checkpoint's signature (with a key the auditor holds, `--key`, or else the
keys the log publishes) and the consistency of each checkpoint with the next. With
`--since FILE`, checkpoints the auditor saved earlier must be extended by the log as it
is now: a log rolled back with its tree and later checkpoints fails only there.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer

from registry.audit.check import Saved, saved_checkpoint, verify_log
from registry.audit.note import NoteError, parse_verifier_key
from registry.cli import view_output as show
from registry.cli.core import EXIT_REFUSED, session
from registry.cli.output import console, emit_json
from registry.cli.views import projection_runner
from registry.domain.errors import InvalidInput
from registry.signing.service import Signing

audit_app = typer.Typer(
    help="The log's Merkle tree: signed checkpoints, and checking the whole history.",
    no_args_is_help=True,
)


@audit_app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Bring the tree up to the whole log, sign a checkpoint of it, keep it and print it."""
    current = session(ctx)
    app = current.registry
    runner = projection_runner(app)
    signing = Signing(app, runner)
    signing.signer("checkpoint")  # made and published first (if new), so the tree covers it
    assert runner.tree is not None
    runner.catch_up(only=runner.tree)  # type: ignore[arg-type]  # runner.Projection's `topics` wants a read-only property
    kept = signing.checkpoint()
    if current.json:
        emit_json(
            {
                "size": kept.size,
                "root": base64.b64encode(kept.root).decode(),
                "note": kept.note,
                "made_at": kept.made_at,
            }
        )
    else:
        typer.echo(kept.note, nl=False)


@audit_app.command("log-key")
def log_key(ctx: typer.Context) -> None:
    """Print the checkpoint verifier keys (signed-note form), the one that signs now first."""
    current = session(ctx)
    keys = Signing(current.registry).log_keys()
    if current.json:
        emit_json({"keys": keys})
    elif not keys:
        console().print("no checkpoint key yet: `registry audit checkpoint` makes one")
    else:
        typer.echo("\n".join(keys))


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            help="The database to check (default: the registry's own).",
            show_default=False,
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            metavar="VERIFIER_KEY",
            help="A checkpoint verifier key you hold (name+id+key; repeat for several). "
            "Default: the keys the log itself publishes.",
            show_default=False,
        ),
    ] = None,
    signed_only: Annotated[
        bool,
        typer.Option(
            "--signed-only",
            help="Do not fail for events after the latest checkpoint (a live registry signs "
            "the next one within seconds).",
        ),
    ] = False,
    since: Annotated[
        list[Path] | None,
        typer.Option(
            "--since",
            metavar="FILE",
            help="A checkpoint you saved earlier (the note `registry audit checkpoint` prints; "
            "repeat for several): the log must still extend it.",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Recompute every leaf and the root at every checkpoint; check each checkpoint's
    signature and its consistency with the next, and with each checkpoint saved earlier
    (--since). Exit 0 only if all hold; otherwise name the first leaf or checkpoint that
    fails and exit 1."""
    current = session(ctx)
    given = key is not None
    try:  # the keys and the saved checkpoints are checked before the database is opened
        verifiers = [parse_verifier_key(k.strip()) for k in key] if key else []
    except NoteError as e:
        raise InvalidInput(f"--key: {e}") from None
    saved = [_read_saved(path) for path in since or ()]
    if database is not None:
        current.close()
        current.database = database
    app = current.registry
    origin = app.settings.origin()
    runner = projection_runner(app)
    if not given:
        verifiers = [parse_verifier_key(text) for text in Signing(app, runner).log_keys()]
    head = app.position()
    with show.progress_bar("verifying", head) as progress:
        report = verify_log(
            app.recorder,
            runner.views,
            verifiers,
            origin,
            head=head,
            progress=progress,
            signed_only=signed_only,
            since=saved,
        )
    source = "keys given" if given else "keys the log publishes"
    if current.json:
        emit_json(
            {
                "ok": report.ok,
                "leaves": report.leaves,
                "checkpoints": report.checkpoints,
                "failure": None
                if report.failure is None
                else {"where": report.failure.where, "message": report.failure.message},
                "notes": report.notes,
                "keys": source,
                "saved": report.saved,
            }
        )
    if report.failure is not None:
        typer.echo(f"error: audit failed at {report.failure}", err=True)
        return EXIT_REFUSED
    if not current.json:
        if not given:
            report.notes.append(
                "checked with the keys the log itself publishes, which whoever can rewrite "
                "the database can replace: pass --key with a key you hold apart"
            )
        for note in report.notes:
            console().print(f"note: {note}")
        checkpoints = (
            "1 signed checkpoint"
            if report.checkpoints == 1
            else (f"{report.checkpoints} signed checkpoints")
        )
        console().print(
            f"verified: {report.leaves} events, {checkpoints} ({source}), "
            "each consistent with the next"
        )
        if saved:
            names = ", ".join(s.name for s in saved)
            count = "1 saved checkpoint" if len(saved) == 1 else f"{len(saved)} saved checkpoints"
            console().print(f"the log extends {count} ({names})", highlight=False)
    return 0


#: More than any checkpoint note (a few hundred bytes, a line per signature).
MAX_SAVED_BYTES = 64 * 1024


def _read_saved(path: Path) -> Saved:
    """The checkpoint saved in `path`; invalid input if it cannot be read or is none."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SAVED_BYTES + 1)
    except OSError as e:
        raise InvalidInput(f"--since {path}: cannot read it ({e.strerror or e})") from None
    if len(data) > MAX_SAVED_BYTES:
        raise InvalidInput(f"--since {path}: more than {MAX_SAVED_BYTES} bytes, not a checkpoint")
    try:
        return saved_checkpoint(str(path), data)
    except NoteError as e:
        raise InvalidInput(f"--since {path}: not a saved checkpoint: {e}") from None

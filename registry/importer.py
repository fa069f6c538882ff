"""Import a CSV of legacy roster records (the format is in docs/import.md).

Each row becomes exactly the command a person would issue, under the same rules.
A row that is malformed or breaks a rule is reported with its line number and
writes nothing; the other rows are imported. Every row's command id is derived
from its content, so importing the same file again imports nothing twice.
Rows are saved in batches, each in one transaction (`Registry.execute_batch`).
`check_rows` says what an import would do now, and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from registry.application import BatchItem, Registry
from registry.decisions import Context, claims, decider
from registry.domain import commands as c
from registry.domain.errors import InvalidInput, RegistryError, RuleViolation
from registry.domain.records import key_id
from registry.domain.values import Actor
from registry.unit_of_work import UnitOfWork

#: Rows saved per transaction unless told otherwise.
BATCH_SIZE = 500
#: A column any row may carry for people; the importer ignores it.
NOTE = "note"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}


def _text(value: str) -> str:
    return value


def _lower(value: str) -> str:
    return value.lower().replace(" ", "_")


def _bool(value: str) -> bool:
    word = value.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no/true/false")


def _date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"{value!r} is not a valid date ({e})") from None


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


@dataclass(frozen=True)
class Column:
    """A CSV column of one record type: the command field it fills and how it is read."""

    field: str
    read: Callable[[str], Any] = _text
    required: bool = False


def _required(name: str, read: Callable[[str], Any] = _text) -> Column:
    return Column(name, read, required=True)


DATE = _required("effective_on", _date)
OFFICER = _required("officer")
NUMBER = _required("number")
REASON = _required("reason")
DISTRICT, SHIFT = Column("district"), Column("shift")


@dataclass(frozen=True)
class RecordType:
    """A kind of row (the `record` column): the command it becomes and the columns it uses."""

    command: type[c.Command]
    columns: dict[str, Column]


RECORDS: dict[str, RecordType] = {
    "agency": RecordType(
        c.RegisterAgency,
        {
            "code": _required("code"),
            "name": _required("name"),
            "region": _required("region"),
            "districts": _required("districts", _list),
            "shifts": _required("shifts", _list),
            "in_house_course": Column("in_house_course", _bool),
            "date": DATE,
        },
    ),
    "academy": RecordType(
        c.RegisterAcademy,
        {
            "code": _required("code"),
            "name": _required("name"),
            "state_certified": _required("state_certified", _bool),
            "date": DATE,
        },
    ),
    "officer": RecordType(
        c.EnrolOfficer,
        {
            "post_number": _required("post_number"),
            "name": _required("name"),
            "agency": _required("agency_code"),
            "role": Column("role", _lower),
            "patrol_since": _required("patrol_experience_began_on", _date),
            "district": DISTRICT,
            "shift": SHIFT,
            "date": DATE,
        },
    ),
    "training": RecordType(
        c.RecordTraining,
        {
            "post_number": OFFICER,
            "kind": _required("kind", _lower),
            "hours": _required("hours"),
            "academy": _required("academy_code"),
            "began_on": Column("began_on", _date),
            "volunteered": Column("volunteered", _bool),
            "date": _required("completed_on", _date),
        },
    ),
    "exam": RecordType(
        c.RecordExam,
        {
            "post_number": OFFICER,
            "kind": _required("kind", _lower),
            "passed": _required("passed", _bool),
            "date": _required("taken_on", _date),
        },
    ),
    "certificate": RecordType(
        c.IssueCertificate,
        {
            "post_number": OFFICER,
            "credential": _required("credential", _lower),
            "number": Column("number"),
            "date": DATE,
        },
    ),
    "renewal": RecordType(c.RenewCertificate, {"number": NUMBER, "date": DATE}),
    "suspension": RecordType(
        c.SuspendCertificate, {"number": NUMBER, "reason": REASON, "date": DATE}
    ),
    "reinstatement": RecordType(
        c.ReinstateCertificate, {"number": NUMBER, "reason": REASON, "date": DATE}
    ),
    "revocation": RecordType(
        c.RevokeCertificate, {"number": NUMBER, "reason": REASON, "date": DATE}
    ),
    "separation": RecordType(
        c.SeparateOfficer,
        {
            "post_number": OFFICER,
            "reason": _required("reason", _lower),
            "investigation_open": Column("investigation_open", _bool),
            "new_agency": Column("new_agency_code"),
            "date": DATE,
        },
    ),
    "transfer": RecordType(
        c.TransferOfficer,
        {
            "post_number": OFFICER,
            "agency": _required("agency_code"),
            "district": DISTRICT,
            "shift": SHIFT,
            "date": DATE,
        },
    ),
    "post_status": RecordType(
        c.ChangePostStatus,
        {"post_number": OFFICER, "status": _required("status", _lower), "date": DATE},
    ),
    "assignment": RecordType(
        c.AssignOfficer,
        {
            "post_number": OFFICER,
            "district": _required("district"),
            "shift": _required("shift"),
            "date": DATE,
        },
    ),
}

#: Every column a file may have.
COLUMNS = frozenset({"record", NOTE}.union(*(r.columns for r in RECORDS.values())))


@dataclass(frozen=True)
class Row:
    """One data row of the file: where it starts, and its cells by column name."""

    line: int
    values: dict[str, str]
    problem: str | None = None

    @property
    def record(self) -> str:
        return self.values.get("record", "")


class BadCell(InvalidInput):
    """A row that cannot be read into its command: `column` names the cells at fault."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class RefusedRow:
    """A row that wrote nothing, and why; `about` names the column or rule at fault, if
    one is."""

    line: int
    record: str
    reason: str
    about: str = ""


def refusal(row: Row, error: RegistryError) -> RefusedRow:
    """The refusal of `row` by `error`, as a report lists it."""
    about = error.rule if isinstance(error, RuleViolation) else getattr(error, "column", "")
    reason = f"{error.kind.replace('-', ' ')}: {error.message}"
    return RefusedRow(row.line, row.record, reason, about)


@dataclass
class ImportReport:
    """What an import did: rows imported, already imported before, and refused."""

    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    refused: list[RefusedRow] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every row is now in the registry (imported now or before)."""
        return not self.refused


def read_rows(path: Path | str) -> list[Row]:
    """Read the file's data rows, or raise InvalidInput if it is not a roster CSV at all."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else f"not UTF-8 text ({e.reason})"
        raise InvalidInput(f"cannot read {path}: {reason}") from None
    return parse_rows(text, str(path))


def parse_rows(text: str, name: str = "the file") -> list[Row]:
    """The data rows of CSV text whose first row is the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "record" not in header:
            raise InvalidInput(f"{name} has no 'record' column in its first row")
        unknown = sorted(set(header) - COLUMNS - {""})
        if unknown:
            raise InvalidInput(f"{name} has unknown columns: {', '.join(unknown)}")
        twice = sorted({h for h in header if h and header.count(h) > 1})
        if twice:
            raise InvalidInput(f"{name} repeats columns: {', '.join(twice)}")
        rows, last = [], reader.line_num
        for cells in reader:
            line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            values = {h: v.strip() for h, v in zip(header, cells, strict=False) if h}
            problem = None
            if len(cells) > len(header):
                problem = f"{len(cells)} fields, but the header has {len(header)}"
            rows.append(Row(line, values, problem))
    except csv.Error as e:
        raise InvalidInput(f"{name} is not valid CSV at line {reader.line_num}: {e}") from None
    return rows


def to_command(row: Row) -> c.Command:
    """The command a row stands for, or InvalidInput saying what is wrong with it."""
    if row.problem:
        raise InvalidInput(row.problem)
    kind = RECORDS.get(row.record.lower())
    if kind is None:
        known = ", ".join(RECORDS)
        raise BadCell("record", f"unknown record {row.record!r}: expected one of {known}")
    ignored = {"record", NOTE, *kind.columns}
    extra = sorted(k for k, v in row.values.items() if v and k not in ignored)
    if extra:
        raise BadCell(", ".join(extra), f"a {row.record.lower()} record has no {', '.join(extra)}")
    data: dict[str, Any] = {}
    for name, column in kind.columns.items():
        value = row.values.get(name, "")
        if not value:
            if column.required:
                raise BadCell(name, f"{name} is required")
            continue
        try:
            data[column.field] = column.read(value)
        except ValueError as e:
            raise BadCell(name, f"{name}: {e}") from None
    try:
        return kind.command.model_validate(data)
    except ValidationError as e:
        raise _described(e, kind) from None


def _described(error: ValidationError, kind: RecordType) -> BadCell:
    column = {col.field: name for name, col in kind.columns.items()}
    parts, columns = [], []
    for item in error.errors():
        where = column.get(str(item["loc"][0]), str(item["loc"][0])) if item["loc"] else "row"
        parts.append(f"{where}: {item['msg']}")
        columns += [] if where in columns else [where]
    return BadCell(", ".join(columns), "; ".join(parts))


def command_id(cmd: c.Command) -> str:
    """The row's command id: the same content always gets the same id."""
    content = f"{type(cmd).__name__}:{cmd.model_dump_json()}"
    return "import:" + hashlib.sha256(content.encode()).hexdigest()


def import_rows(
    registry: Registry,
    rows: Sequence[Row],
    actor: Actor,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import rows in batches of `batch_size`; `progress` is told how many rows each took."""
    if batch_size < 1:
        raise InvalidInput(f"the batch size must be at least 1, got {batch_size}")
    report = ImportReport(rows=len(rows))
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        items, taken = [], []
        for row in chunk:
            try:
                cmd = to_command(row)
            except InvalidInput as e:
                report.refused.append(refusal(row, e))
                continue
            items.append(BatchItem(cmd, actor, command_id(cmd)))
            taken.append(row)
        for row, result in zip(taken, registry.execute_batch(items), strict=True):
            if isinstance(result, RegistryError):
                report.refused.append(refusal(row, result))
            elif result.replayed:
                report.already_imported += 1
            else:
                report.imported += 1
        if progress is not None:
            progress(len(chunk))
    report.refused.sort(key=lambda r: r.line)
    return report


def check_rows(
    registry: Registry, rows: Sequence[Row], actor: Actor, *, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """What `import_rows` would do now, and nothing written: every row decided in file
    order by the same rules against one unit of work that is never saved, so a row sees
    the rows before it. `imported` counts the rows that would be written."""
    report = ImportReport(rows=len(rows))
    uow = UnitOfWork(registry.repository, registry.recorder)
    context = Context(registry.policy, registry.clock)
    decided: set[str] = set()  # command ids of rows that would be written
    for start in range(0, len(rows), batch_size):
        commands: list[tuple[Row, c.Command | InvalidInput]] = []
        for row in rows[start : start + batch_size]:
            try:
                commands.append((row, to_command(row)))
            except InvalidInput as e:
                commands.append((row, e))
        known = [cmd for _, cmd in commands if isinstance(cmd, c.Command)]
        uow.prefetch([key_id("command", command_id(cmd)) for cmd in known]
                     + [key for cmd in known for key in claims(cmd)])  # fmt: skip
        for row, cmd in commands:
            if isinstance(cmd, InvalidInput):
                report.refused.append(refusal(row, cmd))
                continue
            key = command_id(cmd)
            if key in decided or uow.find(key_id("command", key)) is not None:
                report.already_imported += 1
                continue
            try:
                with registry.recording():
                    decision = decider(context, cmd, actor)(uow)
            except RegistryError as e:
                report.refused.append(refusal(row, e))
                continue
            for aggregate in decision.aggregates:
                aggregate.collect_events()  # kept in the unit of work, never saved
            uow.add(decision.aggregates)
            decided.add(key)
            report.imported += 1
    report.refused.sort(key=lambda r: r.line)
    return report


def import_csv(
    registry: Registry, path: Path | str, actor: Actor, *, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """Read a roster CSV and import it (see `import_rows`)."""
    return import_rows(registry, read_rows(path), actor, batch_size=batch_size)

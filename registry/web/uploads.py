"""Reading a roster CSV sent with a web form: the `multipart/form-data` body a file field
makes (read with the standard library's MIME parser), the file's bytes or the pasted
text, and each way it can fail as a refusal that says what to do.

A body larger than the import takes (`KEEP`) is still read to its end, then refused:
a browser that is cut off while it sends shows a broken connection, not the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import PureWindowsPath

from fastapi import Request

from registry.api.routes.admin import MAX_IMPORT
from registry.domain.errors import InvalidInput
from registry.importer import Row, parse_rows

#: Bytes of a form's body read and kept: a file the import takes, and the form's fields.
KEEP = MAX_IMPORT + 256 * 1024
#: The import's limit in words.
LIMIT_WORDS = f"{MAX_IMPORT // (1024 * 1024)} MB ({MAX_IMPORT:,} bytes)"


class Refused(Exception):
    """An upload refused: the HTTP status, the form field at fault, and what to do."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Sent:
    """A roster sent with the form: its name, its text, its size and its rows."""

    name: str
    text: str
    size: int
    rows: list[Row]


async def body_of(request: Request) -> bytes:
    """The request's body, read to its end; Refused (413) if it is larger than KEEP."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= KEEP:
            parts.append(chunk)
    if size > KEEP:
        raise Refused(413, "file", too_large())
    return b"".join(parts)


def too_large(size: int | None = None) -> str:
    """What a refusal of a file too large says (its size, if known)."""
    told = "too large" if size is None else f"{size:,} bytes ({size / (1024 * 1024):.1f} MB)"
    return (
        f"The file is {told}. The import takes files of up to {LIMIT_WORDS}: split it into "
        "smaller files and import each in turn."
    )


def fields_of(content_type: str, body: bytes) -> tuple[dict[str, str], str, bytes]:
    """The form's text fields, and the chosen file's name and bytes ("" and b"" if none).
    Refused (400) if the body is not the multipart form it says it is."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart() or message.defects:
        raise Refused(400, "file", "The form arrived incomplete. Send it again.")
    fields: dict[str, str] = {}
    name, data = "", b""
    for part in message.iter_parts():
        assert isinstance(part, Message)
        key = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if key == "file":
            name, data = _file_name(part.get_filename() or ""), content
        elif isinstance(key, str) and key not in fields:
            fields[key] = content.decode("utf-8", errors="replace")
    return fields, name, data


def _file_name(sent: str) -> str:
    """The name of the chosen file without its folders (some browsers send them), short;
    a browser sends a quote in it as %22."""
    return PureWindowsPath(sent.replace("%22", '"')).name[:120]


def roster_of(name: str, data: bytes, pasted: str) -> Sent:
    """The roster sent: the chosen file, or else the pasted text. Refused (413, 422) if
    there is none, or it is too large, not UTF-8, not a roster CSV or has no rows."""
    if name or data:
        field, size = "file", len(data)
        if size > MAX_IMPORT:
            raise Refused(413, field, too_large(size))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise Refused(422, field, (
                f"The file is not UTF-8 text (byte {e.start + 1} cannot be read): perhaps a "
                "spreadsheet or another encoding. Save it as “CSV UTF-8” and choose it again."
            )) from None  # fmt: skip
    elif not pasted.strip():
        raise Refused(422, "file", "Choose a roster CSV file, or paste its text.")
    else:
        field, text, name = "text", pasted.removeprefix("\ufeff"), "pasted text"
        size = len(text.encode())
        if size > MAX_IMPORT:
            raise Refused(413, field, too_large(size))
    what = "The file" if field == "file" else "The pasted text"
    if "\x00" in text:
        raise Refused(422, field, (
            f"{what} is not plain text: it holds NUL characters (a UTF-16 file, perhaps, or "
            "a spreadsheet). Save it as “CSV UTF-8” and choose it again."
        ))  # fmt: skip
    if not text.strip():
        raise Refused(422, field, f"{what} is empty. Choose a roster CSV file, or paste its text.")
    try:
        rows = parse_rows(text, what)
    except InvalidInput as e:
        raise Refused(422, field, (
            f"{e.message}. The first row of a roster CSV names its "
            "columns: record, date and those of each kind of record."
        )) from None  # fmt: skip
    if not rows:
        raise Refused(422, field, f"{what} has its row of column names but no row below it.")
    return Sent(name, text, size, rows)

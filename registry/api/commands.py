"""Carrying out a command over HTTP: idempotency, If-Match, read-your-writes, the receipt.

- `Idempotency-Key`: the command id (scoped to the caller's key). A retry gets the
  same response and writes nothing; the same key with another body gets 422.
- `If-Match: "<version>"`: the version of the record the client last saw; a stale
  one gets 412 and nothing is written.
- The response is sent only once the read models show the command's effect. If the
  database keeps failing after the command was recorded, it is still answered with its
  receipt (never with an error that would invite a repeat), marked
  `Registry-Read-Models: behind`.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from registry.access import Caller
from registry.api.services import Services
from registry.domain.commands import Command

#: `"7"` or `W/"7"`: the form of the ETags this API gives.
ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')
MAX_IDEMPOTENCY_KEY = 120


class CommandResult(BaseModel):
    """What a command did: the record it changed and that record's new version."""

    id: str
    version: int
    certificate_number: str | None = None
    expires_on: date | None = None
    flags: list[str] = []


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The version named by If-Match, if any."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    match = ETAG.match(value.strip())
    if match is None:
        raise HTTPException(400, 'If-Match takes the ETag of the record, e.g. "7"')
    return int(match.group(1))


def command_id(request: Request, caller: Caller) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise HTTPException(
            400, f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"
        )
    return f"{caller.key_id or 'public'}:{key}"


def carry_out(
    services: Services,
    request: Request,
    caller: Caller,
    command: Command,
    *,
    status: int = 201,
    location: str | None = None,
) -> JSONResponse:
    """Carry out `command` for `caller` and answer once the read models show it."""
    receipt = services.registry.execute(
        command,
        caller.actor,
        command_id=command_id(request, caller),
        expected_version=expected_version(request),
    )
    # Recorded: from here on the answer is the receipt, even if the read models are slow.
    shown = services.settled(receipt.position)
    body = CommandResult(
        id=receipt.id,
        version=receipt.version,
        certificate_number=receipt.certificate_number,
        expires_on=receipt.expires_on,
        flags=list(receipt.flags),
    )
    headers = {
        "ETag": etag(receipt.version),
        "Registry-Position": str(receipt.position),
        "Idempotent-Replayed": "true" if receipt.replayed else "false",
    }
    if not shown:
        headers["Registry-Read-Models"] = "behind"
    if location:
        headers["Location"] = location
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)

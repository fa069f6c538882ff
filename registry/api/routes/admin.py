"""Routes: what program staff run for the whole registry: bulk import, signing keys."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from registry.api.auth import EVERYONE, Caller, Gate, allow
from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.domain.commands import Command, Reason
from registry.domain.errors import InvalidInput
from registry.importer import import_rows, parse_rows

router = APIRouter(prefix="/v1")

Svc = Annotated[Services, Depends(services_of)]
State = Annotated[Caller, Depends(Gate(ApiRole.STATE))]
Purpose = Annotated[
    Literal["token", "checkpoint", "webhook"], Path(description="What the keys sign.")
]
#: Largest CSV accepted by one import request, in bytes.
MAX_IMPORT = 16 * 1024 * 1024


class RefusedRow(BaseModel):
    line: int
    record: str
    reason: str


class ImportResult(BaseModel):
    """What an import did: rows imported now, imported before, and refused (with why)."""

    rows: int
    imported: int
    already_imported: int
    refused: list[RefusedRow]


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "A roster CSV in the documented format (docs/import.md).",
    }
}


@router.post("/imports", response_model=ImportResult, tags=["imports"], openapi_extra=CSV_BODY)
async def import_roster(request: Request, services: Svc, caller: State) -> ImportResult:
    """Import a legacy roster CSV. Each row is the command a person would issue, with the
    same rules; refused rows are reported by line and write nothing; the rest are
    imported; sending the same file again imports nothing twice."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"the CSV is not UTF-8 text ({e.reason})") from None
    rows = parse_rows(text, "the CSV")
    report = await run_in_threadpool(import_rows, services.registry, rows, caller.actor)
    await run_in_threadpool(services.caught_up, services.registry.position())
    return ImportResult(
        rows=report.rows,
        imported=report.imported,
        already_imported=report.already_imported,
        refused=[RefusedRow(line=r.line, record=r.record, reason=r.reason) for r in report.refused],
    )


# ------------------------------------------------------------------ signing keys


class SigningKey(BaseModel):
    kid: str
    signs: bool
    published_on: date
    retired_on: date | None
    reason: str


class SigningKeys(BaseModel):
    """The keys of one purpose: which signs now, which verify, which are retired."""

    purpose: str
    keys: list[SigningKey]


class Retirement(Command):
    reason: Reason


@router.get(
    "/signing-keys/{purpose}",
    response_model=SigningKeys,
    tags=["keys"],
    dependencies=[allow(*EVERYONE)],
)
def signing_keys(purpose: Purpose, services: Svc) -> SigningKeys:
    """Every key of a purpose ever published, and when each was retired (public facts)."""
    keys = services.registry.signing_keys(purpose)
    listed = (
        []
        if keys is None
        else [
            SigningKey(
                kid=k.kid,
                signs=k.kid == keys.active,
                published_on=k.published_on,
                retired_on=k.retired_on,
                reason=k.reason,
            )
            for k in keys.keys.values()
        ]
    )
    return SigningKeys(purpose=purpose, keys=listed)


@router.post(
    "/signing-keys/{purpose}/rotation", response_model=SigningKeys, tags=["keys"], status_code=201
)
def rotate(purpose: Purpose, services: Svc, caller: State) -> SigningKeys:
    """Make a new key and sign with it from now on; older keys verify until retired."""
    services.signing.rotate(caller.actor, purpose)
    return signing_keys(purpose, services)


@router.post("/signing-keys/{purpose}/{kid}/retirement", response_model=SigningKeys, tags=["keys"])
def retire(
    purpose: Purpose,
    kid: Annotated[str, Path(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")],
    body: Retirement,
    services: Svc,
    caller: State,
) -> SigningKeys:
    """Retire a key: what it signed no longer verifies. The key that signs now cannot be."""
    services.signing.retire(kid, body.reason, caller.actor, purpose)
    return signing_keys(purpose, services)

"""Routes: officers, their records (training, exams, employment, POST status) and history.

An officer is named in the URL by registry id, POST number or certificate number. An
agency key acts only on the officers its agency employs today (a transfer: on the officer
it receives); an academy key only on officers with a training recorded at its academy.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from registry.access import Caller
from registry.api.auth import READERS, Gate, in_academy, in_agency
from registry.api.commands import CommandResult, carry_out, etag
from registry.api.services import Services, services_of
from registry.api.shapes import (
    DEFAULT_LIMIT,
    IsoDate,
    Limit,
    Offset,
    Page,
    body_of,
    command_from,
    page,
)
from registry.application import HistoryEntry, OfficerStatus
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.errors import NotFound
from registry.domain.events import json_value
from registry.domain.officer import Officer
from registry.domain.values import CertificateStatus, Credential, OfficerRole, PostStatus
from registry.projections import queries

router = APIRouter(prefix="/v1", tags=["officers"])

#: Registry id, POST number or certificate number.
OfficerRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The officer's registry id, POST number or certificate number.",
    ),
]
On = Annotated[
    IsoDate | None,
    Query(description="The date to answer for (default: today, or the as-recorded day)."),
]
AsRecordedOn = Annotated[
    IsoDate | None,
    Query(
        description="Answer as the registry held the record at the end of this day "
        "(registry time zone); default: as it is held now."
    ),
]
Svc = Annotated[Services, Depends(services_of)]

State = Annotated[Caller, Depends(Gate(ApiRole.STATE))]
#: Reads of one officer: the state, auditors, the academy that trained them, their agency.
Reader = Annotated[Caller, Depends(Gate(*READERS, ApiRole.ACADEMY, ApiRole.AGENCY))]
HistoryReader = Annotated[Caller, Depends(Gate(*READERS, ApiRole.AGENCY))]
Auditor = Annotated[Caller, Depends(Gate(*READERS))]
#: Who records trainings and exams and issues certificates.
Trainer = Annotated[Caller, Depends(Gate(ApiRole.STATE, ApiRole.ACADEMY))]
#: Who records what an agency reports: enrolments, separations, transfers, assignments.
Employer = Annotated[Caller, Depends(Gate(ApiRole.STATE, ApiRole.AGENCY))]

ETAG_HEADER = {"ETag": {"description": "The officer's version.", "schema": {"type": "string"}}}
#: A command that records a new fact answers 201 with its receipt ...
RECORDED: dict[int | str, dict[str, Any]] = {201: {"model": CommandResult, "headers": ETAG_HEADER}}
#: ... and one that changes a standing fact (POST status, withholding) 200.
CHANGED: dict[int | str, dict[str, Any]] = {200: {"model": CommandResult, "headers": ETAG_HEADER}}

EnrolBody = body_of(c.EnrolOfficer)
TrainingBody = body_of(c.RecordTraining, "officer")
ExamBody = body_of(c.RecordExam, "officer")
IssueBody = body_of(c.IssueCertificate, "officer")
SeparationBody = body_of(c.SeparateOfficer, "officer")
TransferBody = body_of(c.TransferOfficer, "officer")
AssignmentBody = body_of(c.AssignOfficer, "officer")
PostStatusBody = body_of(c.ChangePostStatus, "officer")
CorrectionBody = body_of(c.CorrectRecord, "officer")
WithholdingBody = body_of(c.WithholdRecord, "officer")


class CertificateOnDate(BaseModel):
    """One of the officer's certificates, as it stands on the date asked."""

    number: str
    credential: Credential
    status: CertificateStatus
    in_force: bool
    issued_on: date | None
    expires_on: date | None
    mandated: bool
    reason: str


class OfficerRecord(BaseModel):
    """An officer, their agency, district, shift and POST status, and their certificates,
    on the date asked; `version` is the record's version (also the ETag)."""

    id: str
    post_number: str
    name: str
    role: OfficerRole
    agency_code: str | None
    district: str | None
    shift: str | None
    post_status: PostStatus | None
    withheld: bool
    version: int
    on: date
    as_recorded_at: datetime | None
    certificates: list[CertificateOnDate]
    watched_by: list[str] = Field(
        default_factory=list,
        description="Agencies watching the officer as a candidate today (not its employer).",
    )


class HistoryItem(BaseModel):
    """One event about the officer: what, when it took effect, when and by whom recorded."""

    version: int
    event: str
    effective_on: date
    recorded_at: datetime
    actor_id: str
    actor_role: str
    details: dict[str, Any]


class HistoryPage(Page[HistoryItem]):
    """A page of an officer's history, as recorded by `as_recorded_at` (null: now)."""

    officer_id: str
    as_recorded_at: datetime | None


class TimelinePage(Page[queries.TimelineEntry]):
    """A page of an officer's timeline in log order."""

    officer_id: str


# ------------------------------------------------------------------ scope


def officer_of(services: Services, ref: str) -> Officer:
    """The officer `ref` names as recorded now, or 404 (also for the id of another record)."""
    found = services.registry.officer(ref)
    if not isinstance(found, Officer):
        raise NotFound(f"no officer with registry id, POST number or certificate number {ref!r}")
    return found


def trained_at(officer: Officer, academy_code: str | None) -> bool:
    """Whether the officer has a training (not voided) recorded at the academy."""
    return any(t.academy_code == academy_code and not t.void for t in officer.trainings)


def in_scope(caller: Caller, officer: Officer, today: date) -> None:
    """Refuse (403) an agency key of another agency than the officer's today, and an
    academy key of an academy the officer has no training at."""
    in_agency(caller, officer.agency_on(today))
    if caller.role is ApiRole.ACADEMY and not trained_at(officer, caller.academy_code):
        raise HTTPException(
            403,
            f"this key acts for academy {caller.academy_code} only: officer "
            f"{officer.post_number} has no training recorded there",
        )


def scoped_officer(services: Services, caller: Caller, ref: str) -> Officer:
    """The officer `ref` names, once the caller is known to be in scope for them."""
    officer = officer_of(services, ref)
    in_scope(caller, officer, services.today())
    return officer


def officer_command(
    services: Services,
    request: Request,
    caller: Caller,
    command: type[c.Command],
    body: BaseModel | None,
    ref: str,
    *,
    status: int = 201,
) -> JSONResponse:
    """Carry out a command about the officer `ref`, in the caller's scope.

    The command names the officer by registry id, so a retry (Idempotency-Key) is the
    same command whichever reference the URL used.
    """
    officer = scoped_officer(services, caller, ref)
    cmd = command_from(command, body, officer=str(officer.id))
    return carry_out(services, request, caller, cmd, status=status)


def with_location(response: JSONResponse, prefix: str, field: str) -> JSONResponse:
    """Add `Location: prefix/<field of the receipt>` to a command's response."""
    receipt = json.loads(bytes(response.body))
    response.headers["Location"] = f"{prefix}/{receipt[field]}"
    return response


# ------------------------------------------------------------------ reads


def cutoff(services: Services, day: date | None) -> datetime | None:
    """The last moment of `day` (registry time zone) to read the record as held then; a
    day not yet over reads it as held now."""
    if day is None or day >= services.today():
        return None
    return services.registry.end_of_day(day)


def record_of(status: OfficerStatus, as_recorded_at: datetime | None) -> OfficerRecord:
    """The response for an officer's status: its fields (and its certificates' fields), read
    by name."""
    fields = {f.name: getattr(status, f.name) for f in dataclasses.fields(status)}
    return OfficerRecord.model_validate(
        {**fields, "as_recorded_at": as_recorded_at}, from_attributes=True
    )


def history_item(entry: HistoryEntry) -> HistoryItem:
    return HistoryItem(
        version=entry.version,
        event=entry.event,
        effective_on=entry.effective_on,
        recorded_at=entry.recorded_at,
        actor_id=entry.actor.id,
        actor_role=entry.actor.role.value,
        details=json.loads(json.dumps(entry.details, default=json_value)),
    )


@router.get(
    "/officers/{id}",
    response_model=OfficerRecord,
    responses={200: {"headers": ETAG_HEADER}},
)
def get_officer(
    id: OfficerRef,
    services: Svc,
    caller: Reader,
    response: Response,
    on: On = None,
    as_recorded_on: AsRecordedOn = None,
) -> OfficerRecord:
    """An officer and each of their certificates with its status on a date, optionally as
    the registry held the record at the end of an earlier day. The ETag is the record's
    version: send it as If-Match on a command to refuse it if the record changed since."""
    officer = scoped_officer(services, caller, id)
    registry = services.registry
    moment = cutoff(services, as_recorded_on)
    status = registry.status(str(officer.id), on=on or as_recorded_on, as_recorded_at=moment)
    response.headers["ETag"] = etag(status.version)
    record = record_of(status, moment)
    if moment is None:
        record.watched_by = [w.agency_code for w in services.watches.watching(record.id)]
    return record


@router.get("/officers/{id}/history", response_model=HistoryPage)
def history(
    id: OfficerRef,
    services: Svc,
    caller: HistoryReader,
    as_recorded_on: AsRecordedOn = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Every event about an officer in order, with its effective date, when it was
    recorded and by whom; optionally only those recorded by the end of a day (404 if the
    officer was not recorded yet then)."""
    officer = scoped_officer(services, caller, id)
    moment = cutoff(services, as_recorded_on)
    entries = services.registry.history(str(officer.id), as_recorded_at=moment)
    found = page([history_item(e) for e in entries], offset, limit)
    return {**found, "officer_id": str(officer.id), "as_recorded_at": moment}


@router.get("/officers/{id}/timeline", response_model=TimelinePage)
def timeline(
    id: OfficerRef,
    services: Svc,
    caller: Auditor,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Every event about an officer in log order, corrections included, with its log
    position, effective date, recorded time and actor (from the read models)."""
    officer_id = str(officer_of(services, id).id)
    found = page(queries.timeline(services.views, officer_id), offset, limit)
    return {**found, "officer_id": officer_id}


# ------------------------------------------------------------------ commands


@router.post("/officers", status_code=201, responses=RECORDED)
def enrol_officer(
    body: EnrolBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Employer,
) -> JSONResponse:
    """Enrol an officer or telecommunicator with their agency, under a POST number no one
    else has. An agency key enrols only with its own agency."""
    command = command_from(c.EnrolOfficer, body)
    in_agency(caller, command.agency_code)
    return with_location(carry_out(services, request, caller, command), "/v1/officers", "id")


@router.post("/officers/{id}/trainings", status_code=201, responses=RECORDED)
def record_training(
    id: OfficerRef,
    body: TrainingBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Trainer,
) -> JSONResponse:
    """Record a completed training (CIT academy week, continuing education, dispatcher or
    youth course, awareness). An academy key records training at its own academy only."""
    officer = officer_of(services, id)
    command = command_from(c.RecordTraining, body, officer=str(officer.id))
    in_academy(caller, command.academy_code)
    return carry_out(services, request, caller, command)


@router.post("/officers/{id}/exams", status_code=201, responses=RECORDED)
def record_exam(
    id: OfficerRef,
    body: ExamBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Trainer,
) -> JSONResponse:
    """Record the result of a State CIT exam (written or scenario), passed or failed."""
    return officer_command(services, request, caller, c.RecordExam, body, id)


@router.post("/officers/{id}/certifications", status_code=201, responses=RECORDED)
def issue_certificate(
    id: OfficerRef,
    body: IssueBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Trainer,
) -> JSONResponse:
    """Issue a certificate once the officer meets every rule (course, both exams, patrol
    experience, POST status active). The state issues; an academy key issues only when its
    academy is state-certified on the issue date and the qualifying course is one it
    recorded itself, at its academy (else 403, rule `issuer-authority`). Leave `number` out
    to have the registry number it; give one to bring in a legacy certificate. The
    Location is the certificate's."""
    officer = officer_of(services, id)
    command = command_from(c.IssueCertificate, body, officer=str(officer.id))
    response = carry_out(services, request, caller, command)
    return with_location(response, "/v1/certifications", "certificate_number")


@router.post("/officers/{id}/separations", status_code=201, responses=RECORDED)
def separate_officer(
    id: OfficerRef,
    body: SeparationBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Employer,
) -> JSONResponse:
    """Report that an officer left their agency: why, when, the new employer if known,
    and whether an investigation was open. The certificate stays with the officer."""
    return officer_command(services, request, caller, c.SeparateOfficer, body, id)


@router.post("/officers/{id}/transfers", status_code=201, responses=RECORDED)
def transfer_officer(
    id: OfficerRef,
    body: TransferBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Employer,
) -> JSONResponse:
    """The receiving agency takes on an officer who has separated; their certificates
    keep their numbers and expiry dates. An agency key receives only into its agency."""
    officer = officer_of(services, id)
    command = command_from(c.TransferOfficer, body, officer=str(officer.id))
    in_agency(caller, command.agency_code)
    return carry_out(services, request, caller, command)


@router.post("/officers/{id}/assignments", status_code=201, responses=RECORDED)
def assign_officer(
    id: OfficerRef,
    body: AssignmentBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Employer,
) -> JSONResponse:
    """Assign an officer to a district and shift of their agency."""
    return officer_command(services, request, caller, c.AssignOfficer, body, id)


@router.post("/officers/{id}/post-status", status_code=200, responses=CHANGED)
def change_post_status(
    id: OfficerRef,
    body: PostStatusBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: Employer,
) -> JSONResponse:
    """Record a change of the officer's POST certification status; a CIT certificate is in
    force only while it is active."""
    return officer_command(services, request, caller, c.ChangePostStatus, body, id, status=200)


@router.post("/officers/{id}/corrections", status_code=201, responses=RECORDED)
def correct_record(
    id: OfficerRef,
    body: CorrectionBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Void the record made at a version (see the history), or amend some of its fields.
    Nothing is deleted: the correction is itself recorded."""
    return officer_command(services, request, caller, c.CorrectRecord, body, id)


@router.post("/officers/{id}/withholding", status_code=200, responses=CHANGED)
def withhold_record(
    id: OfficerRef,
    body: WithholdingBody,  # type: ignore[valid-type]
    request: Request,
    services: Svc,
    caller: State,
) -> JSONResponse:
    """Withhold an officer's public record (undercover work, a protective order): the
    public then sees their certificates without their name or agency. Send
    `"withheld": false` to release it."""
    return officer_command(services, request, caller, c.WithholdRecord, body, id, status=200)

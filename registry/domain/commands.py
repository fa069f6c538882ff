"""Commands: what a person (or an import, or an HTTP client) asks the registry to do.

Imperative names; each becomes one past-tense event. They validate the shape of
the input; the aggregates apply the rules of the program.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from registry.domain.values import (
    Credential,
    ExamKind,
    OfficerRole,
    PostStatus,
    SeparationReason,
    TrainingKind,
)

#: The range of every date a command takes, and of every date the HTTP API is asked about.
#: Wide enough for any real record (the oldest career a legacy roster can hold began well
#: after 1900; CIT itself dates from 1988) and for any date a forecast looks ahead to, and
#: far enough inside Python's `date` (years 1 to 9999) that no reckoning from such a date
#: (an expiry years on, a window of days) can run out of the calendar. In ISO form every
#: such date starts with 19, 20 or 21.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
#: A date of a command: from EARLIEST to LATEST. (How it is written is left to whoever
#: builds the command: the HTTP API takes `YYYY-MM-DD` strings only.)
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Hours = Annotated[float, Field(gt=0, le=500)]
#: An officer is found by registry id, POST number or certificate number.
OfficerRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
CertificateNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=3,
        max_length=40,
        pattern=r"^[A-Za-z0-9-]+$",
    ),
]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        """No text may hold a NUL character: PostgreSQL cannot keep one in a text column,
        so the read models could never show the command (whether it came from the command
        line, an import or the HTTP API)."""
        _refuse_nul(data)
        return data


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text cannot contain a NUL character (U+0000)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("names must be unique")
    return values


class RegisterAgency(Command):
    code: Code
    name: Text
    region: Text
    districts: list[Text] = Field(min_length=1, max_length=200)
    shifts: list[Text] = Field(min_length=1, max_length=24)
    in_house_course: bool = False
    effective_on: Day | None = None

    _unique_names = field_validator("districts", "shifts")(_unique)


class UpdateAgency(Command):
    code: Code
    name: Text | None = None
    region: Text | None = None
    districts: list[Text] | None = Field(default=None, min_length=1, max_length=200)
    shifts: list[Text] | None = Field(default=None, min_length=1, max_length=24)
    in_house_course: bool | None = None
    effective_on: Day | None = None


class RegisterAcademy(Command):
    code: Code
    name: Text
    state_certified: bool
    effective_on: Day | None = None


class ChangeAcademyCertification(Command):
    code: Code
    state_certified: bool
    reason: Reason
    effective_on: Day | None = None


class EnrolOfficer(Command):
    post_number: Code
    name: Text
    agency_code: Code
    role: OfficerRole = OfficerRole.PATROL_OFFICER
    patrol_experience_began_on: Day
    district: Text | None = None
    shift: Text | None = None
    effective_on: Day | None = None


class RecordTraining(Command):
    officer: OfficerRef
    kind: TrainingKind
    hours: Hours
    academy_code: Code
    completed_on: Day
    began_on: Day | None = None
    volunteered: bool = True


class RecordExam(Command):
    officer: OfficerRef
    kind: ExamKind
    passed: bool
    taken_on: Day


class IssueCertificate(Command):
    officer: OfficerRef
    credential: Credential
    effective_on: Day | None = None
    #: Leave empty to have the registry number it; give one to bring in a legacy certificate.
    number: CertificateNumber | None = None


class RenewCertificate(Command):
    number: CertificateNumber
    effective_on: Day | None = None


class SuspendCertificate(Command):
    number: CertificateNumber
    reason: Reason
    effective_on: Day | None = None


class ReinstateCertificate(SuspendCertificate):
    pass


class RevokeCertificate(SuspendCertificate):
    pass


class ChangePostStatus(Command):
    officer: OfficerRef
    status: PostStatus
    effective_on: Day | None = None


class AssignOfficer(Command):
    officer: OfficerRef
    district: Text
    shift: Text
    effective_on: Day | None = None


class SeparateOfficer(Command):
    officer: OfficerRef
    reason: SeparationReason
    investigation_open: bool = False
    new_agency_code: Code | None = None
    effective_on: Day | None = None


class TransferOfficer(Command):
    """The receiving agency takes on an unassociated officer."""

    officer: OfficerRef
    agency_code: Code
    district: Text | None = None
    shift: Text | None = None
    effective_on: Day | None = None


class CorrectRecord(Command):
    """Void the record made at `corrects_version`, or amend some of its fields."""

    officer: OfficerRef
    corrects_version: int = Field(ge=1)
    reason: Reason
    amendments: dict[str, Any] = Field(default_factory=dict, max_length=10)


class WithholdRecord(Command):
    officer: OfficerRef
    withheld: bool = True
    reason: Reason
    effective_on: Day | None = None


Purpose = Literal["token", "checkpoint", "webhook"]
KeyId = Annotated[str, StringConstraints(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")]


class PublishKey(Command):
    """Publish a new signing key (its public part); it signs from now on."""

    purpose: Purpose
    kid: KeyId
    x: KeyId


class RetireKey(Command):
    purpose: Purpose
    kid: KeyId
    reason: Reason


class TrainingAmendment(Command):
    kind: TrainingKind | None = None
    hours: Hours | None = None
    began_on: Day | None = None
    completed_on: Day | None = None
    volunteered: bool | None = None


class ExamAmendment(Command):
    kind: ExamKind | None = None
    passed: bool | None = None
    taken_on: Day | None = None


class PostStatusAmendment(Command):
    status: PostStatus | None = None
    effective_on: Day | None = None


class EnrolmentAmendment(Command):
    name: Text | None = None
    patrol_experience_began_on: Day | None = None


#: How the amendments of a correction are read, by the kind of record corrected.
AMENDMENTS: dict[str, type[Command]] = {
    "training": TrainingAmendment,
    "exam": ExamAmendment,
    "post_status": PostStatusAmendment,
    "enrolment": EnrolmentAmendment,
}

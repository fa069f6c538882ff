"""Value objects and vocabularies of the domain. All frozen."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorRole(StrEnum):
    """Who recorded an event: the roles of the people and systems that use the registry."""

    STATE = "state"
    ACADEMY = "academy"
    AGENCY = "agency"
    AUDITOR = "auditor"
    SYSTEM = "system"


class OfficerRole(StrEnum):
    PATROL_OFFICER = "patrol_officer"
    TELECOMMUNICATOR = "telecommunicator"


class TrainingKind(StrEnum):
    CIT_ACADEMY = "cit_academy"
    CONTINUING_EDUCATION = "continuing_education"
    AWARENESS = "awareness"
    DISPATCHER_COURSE = "dispatcher_course"
    YOUTH_COURSE = "youth_course"


class ExamKind(StrEnum):
    WRITTEN = "written"
    SCENARIO = "scenario"


class Credential(StrEnum):
    CIT_OFFICER = "cit_officer"
    CIT_TELECOMMUNICATOR = "cit_telecommunicator"
    CIT_YOUTH = "cit_youth"


class PostStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    INACTIVE = "inactive"


class SeparationReason(StrEnum):
    RESIGNED = "resigned"
    RETIRED = "retired"
    TERMINATED = "terminated"
    TRANSFERRED = "transferred"
    DECEASED = "deceased"
    NAME_CHANGE = "name_change"


class CertificateStatus(StrEnum):
    """Where a certificate stands on a given date."""

    IN_FORCE = "in_force"
    NOT_YET_ISSUED = "not_yet_issued"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    POST_NOT_ACTIVE = "post_not_active"
    BASE_NOT_IN_FORCE = "base_not_in_force"
    VOIDED = "voided"
    #: The holder died (a separation for that reason): final from that date.
    DECEASED = "deceased"


@dataclass(frozen=True)
class Actor:
    """Who recorded an event: an actor id, the role they acted in, and the academy or
    agency they acted for (`scope`: training staff act for one academy, records clerks
    for one agency; None for the state and auditors)."""

    id: str
    role: ActorRole
    scope: str | None = None

    def __str__(self) -> str:
        name = f"{self.role.value}:{self.id}"
        return name if self.scope is None else f"{name}@{self.scope}"


ENUMS: tuple[type[StrEnum], ...] = (
    ActorRole,
    OfficerRole,
    TrainingKind,
    ExamKind,
    Credential,
    PostStatus,
    SeparationReason,
    CertificateStatus,
)

"""The application service: every command and the queries that read the log directly.

Each command loads aggregates, calls one domain method, saves, and returns a
`Receipt` of plain values. Commands are idempotent by command id, refuse stale
versions, and retry when a concurrent writer got there first, so no update is
ever lost.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time as time_module
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from pydantic import ValidationError

from registry.config import Settings
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.agency import Academy, Agency
from registry.domain.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    RuleViolation,
    StaleVersion,
)
from registry.domain.officer import CertificateView, Officer
from registry.domain.records import CommandRecord, Index, key_id
from registry.domain.values import Actor, Credential, OfficerRole, PostStatus
from registry.storage import persistence_env, register_transcodings

A = TypeVar("A", bound=Aggregate)

#: Attempts at a command when concurrent writers keep getting there first.
MAX_ATTEMPTS = 16
#: Event attributes that every event has; the rest are an event's details.
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


@dataclass(frozen=True)
class Receipt:
    """What a command did: the record it changed, its new version and the log position."""

    id: str
    version: int
    position: int
    certificate_number: str | None = None
    expires_on: date | None = None
    flags: list[str] = field(default_factory=list)
    replayed: bool = False


@dataclass
class Decision:
    """The aggregates a command changed, and which one the receipt is about."""

    aggregates: list[Aggregate]
    subject: Aggregate
    certificate_number: str | None = None
    expires_on: date | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OfficerStatus:
    """An officer and their certificates as they stand on one date."""

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
    certificates: list[CertificateView]


@dataclass(frozen=True)
class HistoryEntry:
    """One event about an officer: when it took effect, when and by whom it was recorded."""

    version: int
    event: str
    effective_on: date
    recorded_at: datetime
    actor: Actor
    details: dict[str, Any]


def parse(command: type[c.Command], data: dict[str, Any]) -> Any:
    """Build a command from raw input, turning pydantic's errors into one clear InvalidInput."""
    try:
        return command.model_validate(data)
    except ValidationError as e:
        raise InvalidInput(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "input"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


class Registry(Application[UUID]):
    """The CIT Registry application service."""

    name = "Registry"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Callable[[], date] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.policy = self.settings.policy
        zone = self.settings.zone()
        self.clock = clock or (lambda: datetime.now(zone).date())
        base = persistence_env(self.settings.database)
        base.update(env or {})
        super().__init__(env=base)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    # ------------------------------------------------------------- agencies

    def register_agency(
        self, cmd: c.RegisterAgency, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        def decide() -> Decision:
            on = self._effective(cmd.effective_on)
            if self._exists(key_id("agency", cmd.code)):
                raise RuleViolation(rules.AGENCY_UNIQUE, f"agency {cmd.code} is already registered")
            agency = Agency(
                code=cmd.code,
                name=cmd.name,
                region=cmd.region,
                districts=list(cmd.districts),
                shifts=list(cmd.shifts),
                in_house_course=cmd.in_house_course,
                effective_on=on,
                actor=actor,
            )
            return Decision([agency], agency)

        return self._run(cmd, actor, decide, command_id)

    def update_agency(
        self,
        cmd: c.UpdateAgency,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def decide() -> Decision:
            on = self._effective(cmd.effective_on)
            agency = self._check_version(self.agency(cmd.code), expected_version)
            agency.update(
                name=cmd.name or agency.name,
                region=cmd.region or agency.region,
                districts=list(cmd.districts or agency.districts),
                shifts=list(cmd.shifts or agency.shifts),
                in_house_course=(
                    agency.in_house_course if cmd.in_house_course is None else cmd.in_house_course
                ),
                effective_on=on,
                actor=actor,
            )
            return Decision([agency], agency)

        return self._run(cmd, actor, decide, command_id)

    def register_academy(
        self, cmd: c.RegisterAcademy, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        def decide() -> Decision:
            on = self._effective(cmd.effective_on)
            if self._exists(key_id("academy", cmd.code)):
                raise RuleViolation(
                    rules.ACADEMY_UNIQUE, f"academy {cmd.code} is already registered"
                )
            academy = Academy(
                code=cmd.code,
                name=cmd.name,
                state_certified=cmd.state_certified,
                effective_on=on,
                actor=actor,
            )
            return Decision([academy], academy)

        return self._run(cmd, actor, decide, command_id)

    def change_academy_certification(
        self, cmd: c.ChangeAcademyCertification, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        def decide() -> Decision:
            on = self._effective(cmd.effective_on)
            academy = self.academy(cmd.code)
            academy.change_certification(
                state_certified=cmd.state_certified, reason=cmd.reason, effective_on=on, actor=actor
            )
            return Decision([academy], academy)

        return self._run(cmd, actor, decide, command_id)

    # -------------------------------------------------------------- officers

    def enrol_officer(
        self, cmd: c.EnrolOfficer, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        def decide() -> Decision:
            on = self._effective(cmd.effective_on)
            agency = self.agency(cmd.agency_code)
            if self._exists(key_id("post-number", cmd.post_number)):
                raise RuleViolation(
                    rules.POST_NUMBER_UNIQUE, f"POST number {cmd.post_number} is already enrolled"
                )
            if cmd.patrol_experience_began_on > on:
                raise RuleViolation(
                    rules.DATE_ORDER, "patrol experience cannot begin after the enrolment date"
                )
            self._check_post(agency, cmd.district, cmd.shift)
            officer = Officer(
                post_number=cmd.post_number,
                name=cmd.name,
                agency_code=agency.code,
                role=cmd.role,
                patrol_experience_began_on=cmd.patrol_experience_began_on,
                district=cmd.district,
                shift=cmd.shift,
                effective_on=on,
                actor=actor,
            )
            index = Index.claim("post-number", cmd.post_number, officer.id)
            return Decision([officer, index], officer)

        return self._run(cmd, actor, decide, command_id)

    def record_training(
        self,
        cmd: c.RecordTraining,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            completed_on = self._effective(cmd.completed_on)
            academy = self.academy(cmd.academy_code)
            officer.record_training(
                kind=cmd.kind,
                hours=cmd.hours,
                academy_code=academy.code,
                academy_state_certified=academy.is_state_certified_on(completed_on),
                began_on=cmd.began_on,
                completed_on=completed_on,
                volunteered=cmd.volunteered,
                policy=self.policy,
                actor=actor,
            )
            flags = [] if cmd.volunteered else ["mandated"]
            if not academy.is_state_certified_on(completed_on):
                flags.append("academy-not-state-certified")
            return Decision([officer], officer, flags=flags)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def record_exam(
        self,
        cmd: c.RecordExam,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            taken_on = self._effective(cmd.taken_on)
            officer.record_exam(kind=cmd.kind, passed=cmd.passed, taken_on=taken_on, actor=actor)
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def issue_certificate(
        self,
        cmd: c.IssueCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            number = cmd.number or self._new_certificate_number(cmd.credential)
            if self._exists(key_id("certificate", number)):
                raise RuleViolation(
                    rules.CERTIFICATE_NUMBER_UNIQUE, f"certificate number {number} is taken"
                )
            expires_on = officer.issue_certificate(
                number=number,
                credential=cmd.credential,
                effective_on=on,
                policy=self.policy,
                actor=actor,
            )
            index = Index.claim("certificate", number, officer.id)
            flags = ["mandated"] if officer.certificates[number].mandated else []
            return Decision([officer, index], officer, number, expires_on, flags)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def renew_certificate(
        self,
        cmd: c.RenewCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            expires_on = officer.renew(
                number=cmd.number, effective_on=on, policy=self.policy, actor=actor
            )
            return Decision([officer], officer, cmd.number, expires_on)

        return self._officer_command(cmd, cmd.number, actor, act, command_id, expected_version)

    def suspend_certificate(
        self,
        cmd: c.SuspendCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        return self._state_action(cmd, "suspend", actor, command_id, expected_version)

    def reinstate_certificate(
        self,
        cmd: c.ReinstateCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        return self._state_action(cmd, "reinstate", actor, command_id, expected_version)

    def revoke_certificate(
        self,
        cmd: c.RevokeCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        return self._state_action(cmd, "revoke", actor, command_id, expected_version)

    def _state_action(
        self,
        cmd: c.SuspendCertificate,
        method: str,
        actor: Actor,
        command_id: str | None,
        expected_version: int | None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            getattr(officer, method)(
                number=cmd.number, reason=cmd.reason, effective_on=on, actor=actor
            )
            return Decision([officer], officer, cmd.number)

        return self._officer_command(cmd, cmd.number, actor, act, command_id, expected_version)

    def change_post_status(
        self,
        cmd: c.ChangePostStatus,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            officer.change_post_status(status=cmd.status, effective_on=on, actor=actor)
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def assign_officer(
        self,
        cmd: c.AssignOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            code = officer.agency_on(on)
            if code is None:
                raise RuleViolation(rules.UNASSOCIATED, f"officer is with no agency on {on}")
            self._check_post(self.agency(code), cmd.district, cmd.shift)
            officer.assign(district=cmd.district, shift=cmd.shift, effective_on=on, actor=actor)
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def separate_officer(
        self,
        cmd: c.SeparateOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            if cmd.new_agency_code:
                self.agency(cmd.new_agency_code)
            officer.separate(
                reason=cmd.reason,
                investigation_open=cmd.investigation_open,
                new_agency_code=cmd.new_agency_code,
                effective_on=on,
                actor=actor,
            )
            flags = ["investigation-open"] if cmd.investigation_open else []
            return Decision([officer], officer, flags=flags)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def transfer_officer(
        self,
        cmd: c.TransferOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            agency = self.agency(cmd.agency_code)
            self._check_post(agency, cmd.district, cmd.shift)
            officer.join(
                agency_code=agency.code,
                district=cmd.district,
                shift=cmd.shift,
                effective_on=on,
                actor=actor,
            )
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def correct_record(
        self,
        cmd: c.CorrectRecord,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            kind = officer.kind_of_record(cmd.corrects_version)
            schema = c.AMENDMENTS.get(kind or "")
            if cmd.amendments and schema is None:
                raise RuleViolation(
                    rules.CORRECTION_TARGET,
                    f"version {cmd.corrects_version} ({kind or 'no record'}) can only be voided",
                )
            amendments = (
                parse(schema, cmd.amendments).model_dump(exclude_unset=True) if schema else {}
            )
            for value in amendments.values():
                if isinstance(value, date):
                    self._effective(value)
            officer.correct(
                corrects_version=cmd.corrects_version,
                reason=cmd.reason,
                amendments=amendments,
                actor=actor,
            )
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    def withhold_record(
        self,
        cmd: c.WithholdRecord,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        def act(officer: Officer) -> Decision:
            on = self._effective(cmd.effective_on)
            officer.mark_withheld(
                withheld=cmd.withheld, reason=cmd.reason, effective_on=on, actor=actor
            )
            return Decision([officer], officer)

        return self._officer_command(cmd, cmd.officer, actor, act, command_id, expected_version)

    # --------------------------------------------------------------- queries

    def agency(self, code: str) -> Agency:
        return self._get(key_id("agency", code.strip().upper()), f"agency {code}")

    def academy(self, code: str) -> Academy:
        return self._get(key_id("academy", code.strip().upper()), f"academy {code}")

    def officer_id(self, ref: str) -> UUID:
        """Find an officer by registry id, POST number or certificate number."""
        ref = ref.strip()
        try:
            officer_id = UUID(ref)
        except ValueError:
            pass
        else:
            if self._exists(officer_id):
                return officer_id
        for kind in ("post-number", "certificate"):
            try:
                index: Index = self.repository.get(key_id(kind, ref.upper()))
            except AggregateNotFoundError:
                continue
            return index.target_id
        raise NotFound(f"no officer with registry id, POST number or certificate number {ref!r}")

    def officer(self, ref: str, *, as_recorded_at: datetime | None = None) -> Officer:
        """The officer aggregate, as it stands now or as it was recorded at a moment."""
        officer_id = self.officer_id(ref)
        if as_recorded_at is None:
            return self.repository.get(officer_id)
        version = None
        for stored in self.events.get(officer_id):
            if stored.timestamp > as_recorded_at:
                break
            version = stored.originator_version
        if version is None:
            raise NotFound(f"officer {ref} was not yet recorded at {as_recorded_at.isoformat()}")
        return self.repository.get(officer_id, version=version)

    def status(
        self, ref: str, *, on: date | None = None, as_recorded_at: datetime | None = None
    ) -> OfficerStatus:
        """An officer's certificates and whether each is in force on `on` (default today)."""
        officer = self.officer(ref, as_recorded_at=as_recorded_at)
        on = on or self.clock()
        assignment = officer.assignment_on(on)
        return OfficerStatus(
            id=str(officer.id),
            post_number=officer.post_number,
            name=officer.name,
            role=officer.role,
            agency_code=officer.agency_on(on),
            district=assignment.district if assignment else None,
            shift=assignment.shift if assignment else None,
            post_status=officer.post_status_on(on),
            withheld=officer.withheld,
            version=officer.version,
            on=on,
            certificates=officer.certificate_views(on),
        )

    def history(self, ref: str, *, as_recorded_at: datetime | None = None) -> list[HistoryEntry]:
        """Every event about an officer in order, optionally only those recorded by a moment."""
        officer_id = self.officer_id(ref)
        entries = []
        for stored in self.events.get(officer_id):
            if as_recorded_at is not None and stored.timestamp > as_recorded_at:
                break
            details = {
                k: v
                for k, v in stored.__dict__.items()
                if k not in BASE_FIELDS and k not in ("effective_on", "actor")
            }
            entries.append(
                HistoryEntry(
                    version=stored.originator_version,
                    event=type(stored).__name__,
                    effective_on=stored.effective_on,
                    recorded_at=stored.timestamp,
                    actor=stored.actor,
                    details=details,
                )
            )
        if as_recorded_at is not None and not entries:
            raise NotFound(f"officer {ref} was not yet recorded at {as_recorded_at.isoformat()}")
        return entries

    def end_of_day(self, day: date) -> datetime:
        """The last moment of `day` in the registry's time zone: the cutoff for 'as recorded on'."""
        start_next = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.settings.zone())
        return start_next - timedelta(microseconds=1)

    def position(self) -> int:
        """The position of the newest event in the log (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------- machinery

    def _run(
        self,
        cmd: c.Command,
        actor: Actor,
        decide: Callable[[], Decision],
        command_id: str | None,
    ) -> Receipt:
        """Decide and save, idempotently, retrying when a concurrent writer won the race."""
        digest = hashlib.sha256(
            f"{type(cmd).__name__}:{cmd.model_dump_json()}".encode()
        ).hexdigest()
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                # Back off with jitter so that writers who collided do not collide again.
                time_module.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
            if command_id is not None:
                previous = self._previous(command_id, digest)
                if previous is not None:
                    return previous
            decision = decide()
            receipt = Receipt(
                id=str(decision.subject.id),
                version=decision.subject.version,
                position=0,
                certificate_number=decision.certificate_number,
                expires_on=decision.expires_on,
                flags=decision.flags,
            )
            aggregates: list[Aggregate] = list(decision.aggregates)
            if command_id is not None:
                result = asdict(receipt)
                del result["position"], result["replayed"]
                aggregates.append(
                    CommandRecord.record(command_id, type(cmd).__name__, digest, result, actor)
                )
            try:
                recordings = self.save(*aggregates)
            except IntegrityError:
                continue
            position = max(r.notification.id for r in recordings)
            return Receipt(**{**asdict(receipt), "position": position})
        raise Conflict(f"gave up after {MAX_ATTEMPTS} attempts: the record is busy, try again")

    def _previous(self, command_id: str, digest: str) -> Receipt | None:
        if not command_id.strip() or len(command_id) > 200:
            raise InvalidInput("a command id must be 1 to 200 characters")
        try:
            record: CommandRecord = self.repository.get(key_id("command", command_id))
        except AggregateNotFoundError:
            return None
        if record.digest != digest:
            raise IdempotencyConflict(
                f"command id {command_id!r} was already used for a different {record.name} command"
            )
        return Receipt(**record.result, position=self.position(), replayed=True)

    def _officer_command(
        self,
        cmd: c.Command,
        ref: str,
        actor: Actor,
        act: Callable[[Officer], Decision],
        command_id: str | None,
        expected_version: int | None,
    ) -> Receipt:
        def decide() -> Decision:
            officer = self._check_version(self.officer(ref), expected_version)
            return act(officer)

        return self._run(cmd, actor, decide, command_id)

    def _check_version(self, aggregate: A, expected_version: int | None) -> A:
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersion(
                f"record is at version {aggregate.version}, the command expected "
                f"{expected_version}: reload and try again"
            )
        return aggregate

    def _effective(self, day: date | None) -> date:
        today = self.clock()
        day = day or today
        if day > today:
            raise RuleViolation(
                rules.FUTURE_DATE, f"effective date {day} is in the future (today is {today})"
            )
        return day

    def _check_post(self, agency: Agency, district: str | None, shift: str | None) -> None:
        if (district is None) != (shift is None):
            raise InvalidInput("give both a district and a shift, or neither")
        if district is not None and shift is not None:
            agency.check_post(district, shift)

    def _new_certificate_number(self, credential: Credential) -> str:
        prefix = {"cit_officer": "CIT", "cit_telecommunicator": "CITT", "cit_youth": "CITY"}
        alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
        serial = "".join(secrets.choice(alphabet) for _ in range(8))
        return f"{self.policy.state}-{prefix[credential.value]}-{serial}"

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def _get(self, aggregate_id: UUID, what: str) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} is not registered") from None

"""The application service: every command and the queries that read the log directly.

Each command loads aggregates, calls one domain method, saves, and returns a
`Receipt` of plain values. Commands are idempotent by command id, refuse stale
versions, and retry when a concurrent writer got there first, so no update is
ever lost. A batch of commands is decided against one unit of work and saved in
one transaction (`Registry.execute_batch`); both paths share each command's
decide function (`registry.decisions`).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import random
import time as time_module
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from registry.config import Settings
from registry.decisions import Context, Decide, claims, decider
from registry.decisions import parse as parse  # part of this module's API (the CLI uses it)
from registry.domain import commands as c
from registry.domain.agency import Academy, Agency
from registry.domain.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    RegistryError,
)
from registry.domain.events import event_details, recorded_by
from registry.domain.keys import SigningKeys
from registry.domain.officer import CertificateView, Officer
from registry.domain.records import CommandRecord, key_id
from registry.domain.values import Actor, OfficerRole, PostStatus
from registry.storage import persistence_env, register_transcodings
from registry.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: Attempts at a command when concurrent writers keep getting there first.
MAX_ATTEMPTS = 16


#: An aggregate class, for `Registry.stored`.
A = TypeVar("A")


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


@dataclass(frozen=True)
class BatchItem:
    """One command of a batch: who asks for it, and an optional idempotency key."""

    command: c.Command
    actor: Actor
    command_id: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A decided command before it is saved: its receipt (position 0) and new events."""

    receipt: Receipt
    events: Sequence[DomainEventProtocol[UUID]]


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


class Registry(Application[UUID]):
    """The CIT Registry application service."""

    name = "Registry"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Callable[[], date] | None = None,
        now: Callable[[], datetime] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Open the registry. Time is passed in: `now` gives the moment events are recorded
        at, `clock` today's date (what "today" means for effective dates and questions).

        Give neither to run on the real time; give `now` alone and today is its date in the
        registry's time zone; give `clock` alone (a fixed day, in tests and benchmarks) and
        events are recorded on that day (`RecordedOn`).
        """
        self.settings = settings or Settings.from_env()
        self.policy = self.settings.policy
        zone = self.settings.zone()
        if now is None:
            now = (lambda: datetime.now(zone)) if clock is None else RecordedOn(clock, zone)
        self.now = now
        self.clock = clock or (lambda: now().astimezone(zone).date())
        base = persistence_env(self.settings.database)
        base.update(env or {})
        super().__init__(env=base)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    # ------------------------------------------------------------- commands

    def execute(
        self,
        cmd: c.Command,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Carry out any command: decide it, save it, and return the receipt."""
        return self._run(cmd, actor, self._decider(cmd, actor, expected_version), command_id)

    def execute_batch(self, items: Sequence[BatchItem]) -> list[Receipt | RegistryError]:
        """Carry out many commands and save them all in one transaction.

        The commands are decided in order against one unit of work, so a later one
        sees what an earlier one changed. A refused command gets its error in its
        slot and adds nothing. A command id already carried out, in the log or
        earlier in the batch, is replayed. If a concurrent writer saved first, the
        batch is carried out again one command at a time.
        """
        uow = UnitOfWork(self.repository, self.recorder)
        uow.prefetch(
            [key_id("command", i.command_id) for i in items if i.command_id is not None]
            + [key for i in items for key in claims(i.command)]
        )
        outcomes: list[Outcome | RegistryError] = []
        for item in items:
            try:
                decide = self._decider(item.command, item.actor, item.expected_version)
                outcomes.append(
                    self._decide(uow, item.command, item.actor, decide, item.command_id)
                )
            except RegistryError as error:
                outcomes.append(error)
                # Domain methods check every rule before they trigger their one event.
                if uow.pending():
                    log.error("refused %s left events behind", type(item.command).__name__)
                    return self._one_by_one(items)
        if uow.pending():
            log.error("a command of the batch changed an aggregate it did not declare")
            return self._one_by_one(items)
        events = [e for o in outcomes if isinstance(o, Outcome) for e in o.events]
        try:
            recordings = self.save(*events) if events else []
        except IntegrityError:
            return self._one_by_one(items)
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
            for r in recordings
        }
        replayed = any(isinstance(o, Outcome) and o.receipt.replayed for o in outcomes)
        head = self.position() if replayed else 0
        return [o if isinstance(o, RegistryError) else placed(o, positions, head) for o in outcomes]

    # ------------------------------------------------------------- agencies

    def register_agency(
        self, cmd: c.RegisterAgency, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        """Register an agency under a code no other agency has."""
        return self.execute(cmd, actor, command_id=command_id)

    def update_agency(
        self,
        cmd: c.UpdateAgency,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Change an agency's details; fields left out keep their values."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def register_academy(
        self, cmd: c.RegisterAcademy, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        """Register an academy under a code no other academy has."""
        return self.execute(cmd, actor, command_id=command_id)

    def change_academy_certification(
        self, cmd: c.ChangeAcademyCertification, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        """Certify an academy, or withdraw its certification, from a date."""
        return self.execute(cmd, actor, command_id=command_id)

    # -------------------------------------------------------------- officers

    def enrol_officer(
        self, cmd: c.EnrolOfficer, actor: Actor, *, command_id: str | None = None
    ) -> Receipt:
        """Enrol an officer under a POST number no one else has."""
        return self.execute(cmd, actor, command_id=command_id)

    def record_training(
        self,
        cmd: c.RecordTraining,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Record a completed training."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def record_exam(
        self,
        cmd: c.RecordExam,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Record a State CIT exam result."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def issue_certificate(
        self,
        cmd: c.IssueCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Issue a certificate, numbered by the registry or brought in from a legacy roster."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def renew_certificate(
        self,
        cmd: c.RenewCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Renew a certificate for another cycle."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def suspend_certificate(
        self,
        cmd: c.SuspendCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """The state suspends a certificate."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def reinstate_certificate(
        self,
        cmd: c.ReinstateCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """The state lifts a suspension."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def revoke_certificate(
        self,
        cmd: c.RevokeCertificate,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """The state revokes a certificate."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def change_post_status(
        self,
        cmd: c.ChangePostStatus,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Record a change of the officer's POST certification status."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def assign_officer(
        self,
        cmd: c.AssignOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Assign an officer to a district and shift of their agency."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def separate_officer(
        self,
        cmd: c.SeparateOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Report that an officer left their agency."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def transfer_officer(
        self,
        cmd: c.TransferOfficer,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """A receiving agency takes on an officer who has separated."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def correct_record(
        self,
        cmd: c.CorrectRecord,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Void the record made at a version, or amend some of its fields."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    def withhold_record(
        self,
        cmd: c.WithholdRecord,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Receipt:
        """Withhold an officer's public record, or release it."""
        return self.execute(cmd, actor, command_id=command_id, expected_version=expected_version)

    # --------------------------------------------------------------- queries

    def agency(self, code: str) -> Agency:
        """An agency as it stands now, by its code."""
        return self._unit().agency(code)

    def academy(self, code: str) -> Academy:
        """An academy as it stands now, by its code."""
        return self._unit().academy(code)

    def signing_keys(self, purpose: str) -> SigningKeys | None:
        """The published signing keys of a purpose ("token" or "checkpoint"), if any."""
        return self.stored(SigningKeys.create_id(purpose), SigningKeys)

    def stored(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate `aggregate_id` as it stands now, if there is one and it is a `kind`."""
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def _stored_events(self, officer_id: UUID) -> Iterator[Officer.Event]:
        """An officer's stored events, oldest first."""
        return cast("Iterator[Officer.Event]", self.events.get(officer_id))

    def officer_id(self, ref: str) -> UUID:
        """Find an officer by registry id, POST number or certificate number."""
        return self._unit().officer_id(ref)

    def officer(self, ref: str, *, as_recorded_at: datetime | None = None) -> Officer:
        """The officer aggregate, as it stands now or as it was recorded at a moment."""
        officer_id = self.officer_id(ref)
        if as_recorded_at is None:
            return self.repository.get(officer_id)
        version = None
        for stored in self._stored_events(officer_id):
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
        return _status_of(self.officer(ref, as_recorded_at=as_recorded_at), on or self.clock())

    def statuses_since(
        self, ref: str, *, on: date, since: datetime
    ) -> list[tuple[HistoryEntry | None, OfficerStatus | None]]:
        """An officer's status on `on` as held at `since` (None if not yet recorded), then
        after each event recorded later, each with that event: one pass over the events."""
        officer: Officer | None = None
        found: list[tuple[HistoryEntry | None, OfficerStatus | None]] = []
        for stored in self._stored_events(self.officer_id(ref)):
            if stored.timestamp > since and not found:
                found.append((None, None if officer is None else _status_of(officer, on)))
            officer = stored.mutate(officer)
            if found:
                status = None if officer is None else _status_of(officer, on)
                found.append((history_entry(stored), status))
        if not found and officer is not None:
            found.append((None, _status_of(officer, on)))
        return found

    def history(self, ref: str, *, as_recorded_at: datetime | None = None) -> list[HistoryEntry]:
        """Every event about an officer in order, optionally only those recorded by a moment."""
        officer_id = self.officer_id(ref)
        entries = []
        for stored in self._stored_events(officer_id):
            if as_recorded_at is not None and stored.timestamp > as_recorded_at:
                break
            entries.append(history_entry(stored))
        if as_recorded_at is not None and not entries:
            raise NotFound(f"officer {ref} was not yet recorded at {as_recorded_at.isoformat()}")
        return entries

    def recording(self) -> AbstractContextManager[None]:
        """A block in which the events triggered are stamped by this registry's `now`."""
        return recorded_by(self.now)

    def end_of_day(self, day: date) -> datetime:
        """The last moment of `day` in the registry's time zone: the cutoff for 'as recorded on'."""
        start_next = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.settings.zone())
        return start_next - timedelta(microseconds=1)

    def position(self) -> int:
        """The position of the newest event in the log (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------- machinery

    def _decider(self, cmd: c.Command, actor: Actor, expected_version: int | None) -> Decide:
        return decider(Context(self.policy, self.clock), cmd, actor, expected_version)

    def _unit(self) -> UnitOfWork:
        return UnitOfWork(self.repository, self.recorder)

    def _run(
        self,
        cmd: c.Command,
        actor: Actor,
        decide: Decide,
        command_id: str | None,
    ) -> Receipt:
        """Decide and save, idempotently, retrying when a concurrent writer won the race."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                # Back off with jitter so that writers who collided do not collide again.
                time_module.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
            outcome = self._decide(self._unit(), cmd, actor, decide, command_id)
            if outcome.receipt.replayed:
                return replace(outcome.receipt, position=self.position())
            try:
                recordings = self.save(*outcome.events)
            except IntegrityError:
                # The next attempt looks for the command record first: if the collision
                # was with this very command, carried out meanwhile, it is replayed.
                continue
            position = max(r.notification.id for r in recordings)
            return replace(outcome.receipt, position=position)
        if command_id is not None:
            previous = self._recorded(None, command_id, _digest(cmd))
            if previous is not None:
                return replace(previous, position=self.position())
        raise Conflict(f"gave up after {MAX_ATTEMPTS} attempts: the record is busy, try again")

    def _decide(
        self,
        uow: UnitOfWork,
        cmd: c.Command,
        actor: Actor,
        decide: Decide,
        command_id: str | None,
    ) -> Outcome:
        """Decide one command in `uow` and collect its events (with its command record).

        A command whose id is recorded gets its first answer. The look-up of the record
        and the rules are not one read: the same command, carried out by a concurrent
        writer between the two, has left its effects (a POST number taken, a version
        moved on) but was not yet recorded when looked up. So a refused command with an
        id looks for its record again, in the store, before its refusal is answered.
        """
        digest = _digest(cmd)
        if command_id is not None:
            previous = self._previous(uow, command_id, digest)
            if previous is not None:
                return Outcome(previous, [])
        try:
            with self.recording():
                decision = decide(uow)
        except RegistryError:
            if command_id is not None:
                previous = self._recorded(uow, command_id, digest)
                if previous is not None:
                    return Outcome(previous, [])
            raise
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
            with self.recording():
                record = CommandRecord.record(command_id, type(cmd).__name__, digest, result, actor)
            aggregates.append(record)
        uow.add(aggregates)
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        return Outcome(receipt, events)

    def _previous(self, uow: UnitOfWork, command_id: str, digest: str) -> Receipt | None:
        """The receipt of the command recorded under `command_id` (in the unit of work, so a
        batch sees its own earlier commands), or None; refused if it was another command."""
        if not command_id.strip() or len(command_id) > 200:
            raise InvalidInput("a command id must be 1 to 200 characters")
        return _replayed(uow.find(key_id("command", command_id)), command_id, digest)

    def _recorded(self, uow: UnitOfWork | None, command_id: str, digest: str) -> Receipt | None:
        """`_previous`, read from the store now rather than from what `uow` loaded before
        (a concurrent writer may have recorded the command since); a record found is kept
        in `uow`, so the rest of a batch sees it too."""
        try:
            record: CommandRecord = self.repository.get(key_id("command", command_id))
        except AggregateNotFoundError:
            return None
        if uow is not None and uow.find(record.id) is None:
            uow.add([record])
        return _replayed(record, command_id, digest)

    def _one_by_one(self, items: Sequence[BatchItem]) -> list[Receipt | RegistryError]:
        """Carry out a batch one command at a time, each in its own transaction."""
        results: list[Receipt | RegistryError] = []
        for item in items:
            try:
                receipt = self.execute(
                    item.command,
                    item.actor,
                    command_id=item.command_id,
                    expected_version=item.expected_version,
                )
            except RegistryError as error:
                results.append(error)
            else:
                results.append(receipt)
        return results


class RecordedOn:
    """Recording times for a registry run on a clock of dates alone (tests, benchmarks):
    noon of the clock's day in the registry's zone, plus one microsecond for each moment
    taken in this process, so that events are recorded on "today" and in order."""

    _ticks = itertools.count()

    def __init__(self, clock: Callable[[], date], zone: tzinfo) -> None:
        self.clock = clock
        self.zone = zone

    def __call__(self) -> datetime:
        noon = datetime.combine(self.clock(), time(12), tzinfo=self.zone)
        return noon + timedelta(microseconds=next(self._ticks))


def _replayed(record: CommandRecord | None, command_id: str, digest: str) -> Receipt | None:
    """The first answer to a command recorded as `record` (None: not recorded); refused if
    the id was used for a command of other content."""
    if record is None:
        return None
    if record.digest != digest:
        raise IdempotencyConflict(
            f"command id {command_id!r} was already used for a different {record.name} command"
        )
    return Receipt(**record.result, position=0, replayed=True)


def _digest(cmd: c.Command) -> str:
    """What a command id stands for: the command's class and content."""
    return hashlib.sha256(f"{type(cmd).__name__}:{cmd.model_dump_json()}".encode()).hexdigest()


def placed(outcome: Outcome, positions: dict[tuple[UUID, int], int], head: int) -> Receipt:
    """The receipt of a saved command with the log position of its last event.

    A replayed command wrote nothing: it gets `head`, the log position after the batch.
    """
    if outcome.receipt.replayed or not outcome.events:
        return replace(outcome.receipt, position=head)
    position = max(positions[(e.originator_id, e.originator_version)] for e in outcome.events)
    return replace(outcome.receipt, position=position)


def _status_of(officer: Officer, on: date) -> OfficerStatus:
    """What `officer`, as folded, says of the day `on`."""
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


def history_entry(stored: Any) -> HistoryEntry:
    """A stored event as a line of its aggregate's history."""
    return HistoryEntry(
        version=stored.originator_version,
        event=type(stored).__name__,
        effective_on=stored.effective_on,
        recorded_at=stored.timestamp,
        actor=stored.actor,
        details=event_details(stored),
    )

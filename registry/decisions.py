"""How each command is decided: check the program's rules, then trigger the events.

One decide function per command class (`DECIDERS`). Each takes the command and
returns a `Decide` closure that runs against a unit of work, so that a single
command and a batch of commands are decided by the same code. Nothing here saves.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from registry.domain import authority, rules
from registry.domain import commands as c
from registry.domain.agency import Academy, Agency
from registry.domain.errors import InvalidInput, RuleViolation, StaleVersion
from registry.domain.keys import SigningKeys
from registry.domain.officer import Officer
from registry.domain.policy import Policy
from registry.domain.records import Index, key_id
from registry.domain.values import Actor, ActorRole, Credential
from registry.unit_of_work import UnitOfWork

A = TypeVar("A", bound=Aggregate)


@dataclass
class Decision:
    """The aggregates a command changed, and which one the receipt is about."""

    aggregates: list[Aggregate]
    subject: Aggregate
    certificate_number: str | None = None
    expires_on: date | None = None
    flags: list[str] = field(default_factory=list)


#: Decides one command against a unit of work: checks the rules and triggers its events.
Decide = Callable[[UnitOfWork], Decision]


@dataclass(frozen=True)
class Context:
    """What deciding needs besides the aggregates: the state policy and today's date."""

    policy: Policy
    clock: Callable[[], date]

    def effective(self, day: date | None) -> date:
        """The effective date of a change (default today), refusing one in the future."""
        today = self.clock()
        day = day or today
        if day > today:
            raise RuleViolation(
                rules.FUTURE_DATE, f"effective date {day} is in the future (today is {today})"
            )
        return day

    def certificate_number(self, credential: Credential) -> str:
        """A fresh random certificate number, e.g. UT-CIT-34A3XJM9."""
        prefix = {"cit_officer": "CIT", "cit_telecommunicator": "CITT", "cit_youth": "CITY"}
        alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
        serial = "".join(secrets.choice(alphabet) for _ in range(8))
        return f"{self.policy.state}-{prefix[credential.value]}-{serial}"


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


def check_version(aggregate: A, expected_version: int | None) -> A:
    """Refuse a change to a record that moved on since the client last saw it."""
    if expected_version is not None and aggregate.version != expected_version:
        raise StaleVersion(
            f"record is at version {aggregate.version}, the command expected "
            f"{expected_version}: reload and try again"
        )
    return aggregate


def check_post(agency: Agency, district: str | None, shift: str | None) -> None:
    """Refuse a district or shift the agency does not have, or one without the other."""
    if (district is None) != (shift is None):
        raise InvalidInput("give both a district and a shift, or neither")
    if district is not None and shift is not None:
        agency.check_post(district, shift)


def scope_academy(uow: UnitOfWork, actor: Actor) -> Academy | None:
    """The academy training staff act for (their scope), if the actor is one of them."""
    if actor.role is ActorRole.ACADEMY and actor.scope is not None:
        return uow.academy(actor.scope)
    return None


def on_officer(
    ref: str, expected_version: int | None, act: Callable[[UnitOfWork, Officer], Decision]
) -> Decide:
    """Decide a command about one officer: find them, check the version, then `act`."""

    def decide(uow: UnitOfWork) -> Decision:
        return act(uow, check_version(uow.officer(ref), expected_version))

    return decide


# ---------------------------------------------------------- one per command


def register_agency(
    ctx: Context, cmd: c.RegisterAgency, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        on = ctx.effective(cmd.effective_on)
        if uow.exists(key_id("agency", cmd.code)):
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

    return decide


def update_agency(
    ctx: Context, cmd: c.UpdateAgency, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        on = ctx.effective(cmd.effective_on)
        agency = check_version(uow.agency(cmd.code), expected_version)
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

    return decide


def register_academy(
    ctx: Context, cmd: c.RegisterAcademy, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        on = ctx.effective(cmd.effective_on)
        if uow.exists(key_id("academy", cmd.code)):
            raise RuleViolation(rules.ACADEMY_UNIQUE, f"academy {cmd.code} is already registered")
        academy = Academy(
            code=cmd.code,
            name=cmd.name,
            state_certified=cmd.state_certified,
            effective_on=on,
            actor=actor,
        )
        return Decision([academy], academy)

    return decide


def change_academy_certification(
    ctx: Context, cmd: c.ChangeAcademyCertification, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        on = ctx.effective(cmd.effective_on)
        academy = check_version(uow.academy(cmd.code), expected_version)
        academy.change_certification(
            state_certified=cmd.state_certified, reason=cmd.reason, effective_on=on, actor=actor
        )
        return Decision([academy], academy)

    return decide


def enrol_officer(
    ctx: Context, cmd: c.EnrolOfficer, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        on = ctx.effective(cmd.effective_on)
        agency = uow.agency(cmd.agency_code)
        if uow.exists(key_id("post-number", cmd.post_number)):
            raise RuleViolation(
                rules.POST_NUMBER_UNIQUE, f"POST number {cmd.post_number} is already enrolled"
            )
        if cmd.patrol_experience_began_on > on:
            raise RuleViolation(
                rules.DATE_ORDER, "patrol experience cannot begin after the enrolment date"
            )
        check_post(agency, cmd.district, cmd.shift)
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

    return decide


def record_training(
    ctx: Context, cmd: c.RecordTraining, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        completed_on = ctx.effective(cmd.completed_on)
        academy = uow.academy(cmd.academy_code)
        officer.record_training(
            kind=cmd.kind,
            hours=cmd.hours,
            academy_code=academy.code,
            academy_state_certified=academy.is_state_certified_on(completed_on),
            began_on=cmd.began_on,
            completed_on=completed_on,
            volunteered=cmd.volunteered,
            policy=ctx.policy,
            actor=actor,
        )
        flags = [] if cmd.volunteered else ["mandated"]
        if not academy.is_state_certified_on(completed_on):
            flags.append("academy-not-state-certified")
        return Decision([officer], officer, flags=flags)

    return on_officer(cmd.officer, expected_version, act)


def record_exam(
    ctx: Context, cmd: c.RecordExam, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        taken_on = ctx.effective(cmd.taken_on)
        officer.record_exam(kind=cmd.kind, passed=cmd.passed, taken_on=taken_on, actor=actor)
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def issue_certificate(
    ctx: Context, cmd: c.IssueCertificate, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        number = cmd.number or ctx.certificate_number(cmd.credential)
        if uow.exists(key_id("certificate", number)):
            raise RuleViolation(
                rules.CERTIFICATE_NUMBER_UNIQUE, f"certificate number {number} is taken"
            )
        academy = authority.acting_academy(actor, scope_academy(uow, actor), on)
        expires_on = officer.issue_certificate(
            number=number,
            credential=cmd.credential,
            effective_on=on,
            policy=ctx.policy,
            actor=actor,
            academy=academy,
        )
        index = Index.claim("certificate", number, officer.id)
        flags = ["mandated"] if officer.certificates[number].mandated else []
        return Decision([officer, index], officer, number, expires_on, flags)

    return on_officer(cmd.officer, expected_version, act)


def renew_certificate(
    ctx: Context, cmd: c.RenewCertificate, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        academy = authority.acting_academy(actor, scope_academy(uow, actor), on)
        expires_on = officer.renew(
            number=cmd.number, effective_on=on, policy=ctx.policy, actor=actor, academy=academy
        )
        return Decision([officer], officer, cmd.number, expires_on)

    return on_officer(cmd.number, expected_version, act)


def state_action(
    ctx: Context, cmd: c.SuspendCertificate, actor: Actor, expected_version: int | None
) -> Decide:
    method = STATE_ACTIONS[type(cmd)]

    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        getattr(officer, method)(number=cmd.number, reason=cmd.reason, effective_on=on, actor=actor)
        return Decision([officer], officer, cmd.number)

    return on_officer(cmd.number, expected_version, act)


def change_post_status(
    ctx: Context, cmd: c.ChangePostStatus, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        officer.change_post_status(status=cmd.status, effective_on=on, actor=actor)
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def assign_officer(
    ctx: Context, cmd: c.AssignOfficer, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        code = officer.agency_on(on)
        if code is None:
            raise RuleViolation(rules.UNASSOCIATED, f"officer is with no agency on {on}")
        check_post(uow.agency(code), cmd.district, cmd.shift)
        officer.assign(district=cmd.district, shift=cmd.shift, effective_on=on, actor=actor)
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def separate_officer(
    ctx: Context, cmd: c.SeparateOfficer, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        if cmd.new_agency_code:
            uow.agency(cmd.new_agency_code)
        late = officer.separate(
            reason=cmd.reason,
            investigation_open=cmd.investigation_open,
            new_agency_code=cmd.new_agency_code,
            effective_on=on,
            reported_on=ctx.clock(),
            policy=ctx.policy,
            actor=actor,
        )
        flags = ["investigation-open"] if cmd.investigation_open else []
        if late:
            flags.append("reported-late")
        return Decision([officer], officer, flags=flags)

    return on_officer(cmd.officer, expected_version, act)


def transfer_officer(
    ctx: Context, cmd: c.TransferOfficer, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        agency = uow.agency(cmd.agency_code)
        check_post(agency, cmd.district, cmd.shift)
        officer.join(
            agency_code=agency.code,
            district=cmd.district,
            shift=cmd.shift,
            effective_on=on,
            actor=actor,
        )
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def correct_record(
    ctx: Context, cmd: c.CorrectRecord, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        kind = officer.kind_of_record(cmd.corrects_version)
        schema = c.AMENDMENTS.get(kind or "")
        if cmd.amendments and schema is None:
            raise RuleViolation(
                rules.CORRECTION_TARGET,
                f"version {cmd.corrects_version} ({kind or 'no record'}) can only be voided",
            )
        amendments = parse(schema, cmd.amendments).model_dump(exclude_unset=True) if schema else {}
        for value in amendments.values():
            if isinstance(value, date):
                ctx.effective(value)
        officer.correct(
            corrects_version=cmd.corrects_version,
            reason=cmd.reason,
            amendments=amendments,
            actor=actor,
        )
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def withhold_record(
    ctx: Context, cmd: c.WithholdRecord, actor: Actor, expected_version: int | None
) -> Decide:
    def act(uow: UnitOfWork, officer: Officer) -> Decision:
        on = ctx.effective(cmd.effective_on)
        officer.mark_withheld(
            withheld=cmd.withheld, reason=cmd.reason, effective_on=on, actor=actor
        )
        return Decision([officer], officer)

    return on_officer(cmd.officer, expected_version, act)


def publish_key(
    ctx: Context, cmd: c.PublishKey, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        keys = uow.find(SigningKeys.create_id(cmd.purpose)) or SigningKeys(purpose=cmd.purpose)
        keys.publish(kid=cmd.kid, x=cmd.x, effective_on=ctx.clock(), actor=actor)
        return Decision([keys], keys)

    return decide


def retire_key(
    ctx: Context, cmd: c.RetireKey, actor: Actor, expected_version: int | None
) -> Decide:
    def decide(uow: UnitOfWork) -> Decision:
        keys = uow.find(SigningKeys.create_id(cmd.purpose))
        if keys is None:
            raise RuleViolation(rules.KEY_UNKNOWN, f"no {cmd.purpose} key was ever published")
        keys.retire(kid=cmd.kid, reason=cmd.reason, effective_on=ctx.clock(), actor=actor)
        return Decision([keys], keys)

    return decide


#: The officer's method for each state action on a certificate.
STATE_ACTIONS: dict[type[c.Command], str] = {
    c.SuspendCertificate: "suspend",
    c.ReinstateCertificate: "reinstate",
    c.RevokeCertificate: "revoke",
}

#: The decide function of each command class, shared by single commands and batches.
DECIDERS: dict[type[Any], Callable[[Context, Any, Actor, int | None], Decide]] = {
    c.RegisterAgency: register_agency,
    c.UpdateAgency: update_agency,
    c.RegisterAcademy: register_academy,
    c.ChangeAcademyCertification: change_academy_certification,
    c.EnrolOfficer: enrol_officer,
    c.RecordTraining: record_training,
    c.RecordExam: record_exam,
    c.IssueCertificate: issue_certificate,
    c.RenewCertificate: renew_certificate,
    c.SuspendCertificate: state_action,
    c.ReinstateCertificate: state_action,
    c.RevokeCertificate: state_action,
    c.ChangePostStatus: change_post_status,
    c.AssignOfficer: assign_officer,
    c.SeparateOfficer: separate_officer,
    c.TransferOfficer: transfer_officer,
    c.CorrectRecord: correct_record,
    c.PublishKey: publish_key,
    c.RetireKey: retire_key,
    c.WithholdRecord: withhold_record,
}


def claims(cmd: c.Command) -> list[UUID]:
    """The unique keys a command checks before it claims them (a batch asks in bulk)."""
    if isinstance(cmd, c.RegisterAgency):
        return [key_id("agency", cmd.code)]
    if isinstance(cmd, c.RegisterAcademy):
        return [key_id("academy", cmd.code)]
    if isinstance(cmd, c.EnrolOfficer):
        return [key_id("post-number", cmd.post_number)]
    if isinstance(cmd, c.IssueCertificate) and cmd.number:
        return [key_id("certificate", cmd.number)]
    return []


def decider(
    ctx: Context, cmd: c.Command, actor: Actor, expected_version: int | None = None
) -> Decide:
    """The decide closure for a command, by its class."""
    try:
        build = DECIDERS[type(cmd)]
    except KeyError:
        name = type(cmd).__name__
        raise TypeError(f"{name} is not a command the registry carries out") from None
    return build(ctx, cmd, actor, expected_version)

"""The officer: enrolment, training, exams, certificates, POST status and employment.

Certificates live inside the officer aggregate because every rule about them
(training, exams, experience, POST status, the youth add-on) reads the
officer's own record, and because a certificate moves with the officer.

Every fact keeps the version of the event that recorded it and its effective
date. Questions about a date ("was this certificate in force on 1 March?") are
answered from the facts effective on or before that date, so a backdated record
counts from its real date. A correction voids a fact and may put an amended
copy in its place; nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from eventsourcing.domain import event

from registry.domain import authority, rules
from registry.domain.dates import add_months, add_years
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.policy import Policy
from registry.domain.values import (
    Actor,
    CertificateStatus,
    Credential,
    ExamKind,
    OfficerRole,
    PostStatus,
    SeparationReason,
    TrainingKind,
)

#: Training kinds whose hours count as continuing education toward renewal.
CE_KINDS = frozenset({TrainingKind.CONTINUING_EDUCATION, TrainingKind.CIT_ACADEMY})

#: Per credential: the course it needs and the policy field holding the course's hours.
COURSE_FOR = {
    Credential.CIT_OFFICER: (TrainingKind.CIT_ACADEMY, "academy_hours", rules.ACADEMY_COMPLETION),
    Credential.CIT_TELECOMMUNICATOR: (
        TrainingKind.DISPATCHER_COURSE,
        "telecommunicator_course_hours",
        rules.DISPATCHER_COURSE,
    ),
    Credential.CIT_YOUTH: (TrainingKind.YOUTH_COURSE, "youth_course_hours", rules.YOUTH_COURSE),
}

#: Fields a correction may amend, per kind of fact. Other facts can only be voided.
AMENDABLE = {
    "training": {"kind", "hours", "began_on", "completed_on", "volunteered"},
    "exam": {"kind", "passed", "taken_on"},
    "post_status": {"status", "effective_on"},
    "enrolment": {"name", "patrol_experience_began_on"},
}


#: The order facts take effect in: by effective date, then by the version recording them.
EFFECTIVE_ORDER = attrgetter("effective_on", "version")


@dataclass
class Fact:
    """Something recorded about the officer, addressable by the version that recorded it."""

    version: int
    effective_on: date
    void: bool = field(default=False, kw_only=True)


@dataclass
class Training(Fact):
    kind: TrainingKind
    hours: float
    academy_code: str
    academy_state_certified: bool
    began_on: date
    volunteered: bool
    #: Who recorded the completion (see `authority.own_completion`).
    recorded_by: Actor | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        # An amended kind comes back from the log as a plain string.
        self.kind = TrainingKind(self.kind)

    @property
    def completed_on(self) -> date:
        return self.effective_on


@dataclass
class Exam(Fact):
    kind: ExamKind
    passed: bool

    def __post_init__(self) -> None:
        self.kind = ExamKind(self.kind)


@dataclass
class PostStatusChange(Fact):
    status: PostStatus

    def __post_init__(self) -> None:
        self.status = PostStatus(self.status)


@dataclass
class Employment(Fact):
    """Joining an agency (`separation` empty) or leaving it."""

    agency_code: str
    separation: SeparationReason | None = None
    investigation_open: bool = False
    new_agency_code: str | None = None


@dataclass
class Assignment(Fact):
    agency_code: str
    district: str
    shift: str


@dataclass
class CertificateAction(Fact):
    """issued, renewed, suspended, reinstated or revoked."""

    action: str
    reason: str = ""
    expires_on: date | None = None


@dataclass
class Certificate:
    number: str
    credential: Credential
    mandated: bool
    actions: list[CertificateAction] = field(default_factory=list)

    def live_actions(self, on: date | None = None) -> list[CertificateAction]:
        acts = [a for a in self.actions if not a.void and (on is None or a.effective_on <= on)]
        return sorted(acts, key=EFFECTIVE_ORDER)

    def issued(self) -> CertificateAction | None:
        return next((a for a in self.live_actions() if a.action == "issued"), None)

    def expires_on(self, on: date | None = None) -> date | None:
        """Expiry known on `on`: the latest expiry set by issue or renewal effective by then."""
        expiries = [a.expires_on for a in self.live_actions(on) if a.expires_on]
        return expiries[-1] if expiries else None

    def revoked_on(self, on: date | None = None) -> date | None:
        return next((a.effective_on for a in self.live_actions(on) if a.action == "revoked"), None)

    def suspended_on(self, on: date | None = None) -> CertificateAction | None:
        """The suspension in effect on `on`, if any."""
        last = None
        for action in self.live_actions(on):
            if action.action == "suspended":
                last = action
            elif action.action == "reinstated":
                last = None
        return last


@dataclass(frozen=True)
class CertificateView:
    """A certificate as it stands on one date: what a receiving department needs."""

    number: str
    credential: Credential
    status: CertificateStatus
    on: date
    issued_on: date | None
    expires_on: date | None
    mandated: bool
    reason: str = ""

    @property
    def in_force(self) -> bool:
        return self.status is CertificateStatus.IN_FORCE


class Officer(RegistryAggregate):
    """A sworn officer or telecommunicator and everything recorded about them."""

    class Enrolled(RegistryAggregate.Created):
        """Version 2 added the role; version 1 enrolments were all patrol officers."""

        class_version = 2
        post_number: str
        name: str
        agency_code: str
        role: OfficerRole
        patrol_experience_began_on: date
        district: str | None
        shift: str | None
        effective_on: date
        actor: Actor

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["role"] = OfficerRole.PATROL_OFFICER

    class Event(RegistryAggregate.Event):
        effective_on: date
        actor: Actor

    @event(Enrolled)
    def __init__(
        self,
        post_number: str,
        name: str,
        agency_code: str,
        role: OfficerRole,
        patrol_experience_began_on: date,
        district: str | None,
        shift: str | None,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.post_number = post_number
        self.name = name
        self.role = OfficerRole(role)
        self.patrol_experience_began_on = patrol_experience_began_on
        self.withheld = False
        self.trainings: list[Training] = []
        self.exams: list[Exam] = []
        self.post_statuses = [PostStatusChange(1, effective_on, PostStatus.ACTIVE)]
        self.employment = [Employment(1, effective_on, agency_code)]
        self.assignments: list[Assignment] = []
        if district and shift:
            self.assignments.append(Assignment(1, effective_on, agency_code, district, shift))
        self.certificates: dict[str, Certificate] = {}
        self.enrolled_on = effective_on
        self.facts: dict[int, Any] = {1: "enrolment"}
        self.corrections: list[int] = []

    # ------------------------------------------------------------------ queries

    def agency_on(self, on: date | None = None) -> str | None:
        """The employing agency on a date (None: unassociated)."""
        current = None
        for fact in _live(self.employment, on):
            current = None if fact.separation else fact.agency_code
        return current

    def assignment_on(self, on: date | None = None) -> Assignment | None:
        agency = self.agency_on(on)
        live = [a for a in _live(self.assignments, on) if a.agency_code == agency]
        return live[-1] if live else None

    def deceased_on(self, on: date | None = None) -> date | None:
        """The date the officer died, if a separation for that reason is recorded and in
        effect by `on` (a correction that voids it undoes it)."""
        for fact in _live(self.employment, on):
            if fact.separation is SeparationReason.DECEASED:
                return fact.effective_on
        return None

    def _refuse_if_deceased(self, on: date, what: str) -> None:
        died = self.deceased_on(on)
        if died is not None:
            raise RuleViolation(
                rules.OFFICER_DECEASED,
                f"officer {self.post_number} died on {died} (recorded as a separation): "
                f"they cannot {what}; a mistaken report is undone by a correction",
            )

    def post_status_on(self, on: date) -> PostStatus | None:
        live = _live(self.post_statuses, on)
        return live[-1].status if live else None

    def certificate(self, number: str) -> Certificate:
        try:
            return self.certificates[number]
        except KeyError:
            raise InvalidInput(f"officer holds no certificate {number!r}") from None

    def certificate_view(self, number: str, on: date) -> CertificateView:
        """Where certificate `number` stands on `on`, computed from the dates alone."""
        cert = self.certificate(number)
        issued = cert.issued()
        expires_on = cert.expires_on(on)
        status, reason = self._status(cert, on, issued, expires_on)
        return CertificateView(
            number=cert.number,
            credential=cert.credential,
            status=status,
            on=on,
            issued_on=issued.effective_on if issued else None,
            expires_on=expires_on if issued else None,
            mandated=cert.mandated,
            reason=reason,
        )

    def certificate_views(self, on: date) -> list[CertificateView]:
        return [self.certificate_view(number, on) for number in self.certificates]

    def in_force(self, credential: Credential, on: date) -> CertificateView | None:
        # Only this credential's certificates: the status of a youth certificate asks
        # for the officer credential, and must not compute its own status again.
        for number, cert in self.certificates.items():
            if cert.credential is credential:
                view = self.certificate_view(number, on)
                if view.in_force:
                    return view
        return None

    def _status(
        self,
        cert: Certificate,
        on: date,
        issued: CertificateAction | None,
        expires_on: date | None,
    ) -> tuple[CertificateStatus, str]:
        """The status on `on`, given the certificate's issue and its expiry known on `on`."""
        if issued is None:
            return CertificateStatus.VOIDED, "issue was voided by a correction"
        if issued.effective_on > on:
            return CertificateStatus.NOT_YET_ISSUED, ""
        died = self.deceased_on(on)
        if died is not None:
            return CertificateStatus.DECEASED, f"holder died on {died}"
        revoked = [a for a in cert.live_actions(on) if a.action == "revoked"]
        if revoked:
            return CertificateStatus.REVOKED, revoked[0].reason
        # A lapse is final and a suspension may be lifted: past its expiry a suspended
        # certificate is expired.
        if expires_on is None or on >= expires_on:
            return CertificateStatus.EXPIRED, ""
        suspension = cert.suspended_on(on)
        if suspension:
            return CertificateStatus.SUSPENDED, suspension.reason
        if self.post_status_on(on) is not PostStatus.ACTIVE:
            return CertificateStatus.POST_NOT_ACTIVE, f"POST status {self.post_status_on(on)}"
        youth = cert.credential is Credential.CIT_YOUTH
        if youth and self.in_force(Credential.CIT_OFFICER, on) is None:
            return CertificateStatus.BASE_NOT_IN_FORCE, "CIT officer certification not in force"
        return CertificateStatus.IN_FORCE, ""

    def ce_hours(self, number: str, start: date, end: date, *, academy: str | None = None) -> float:
        """Continuing-education hours completed in [start, end) that count toward renewing
        certificate `number` (with `academy`: only those its training staff recorded there).

        An annual recertification class or a repeated academy counts; the course that
        qualified the officer for the certificate never does. That course is the one of
        the credential's own kind completed on or before the issue date (eligibility asks
        for one completed by then), so a CIT academy completed on the issue date is not
        continuing education for the certificate it earned, while one repeated after it is.
        """
        cert = self.certificate(number)
        issued = cert.issued()
        qualified_by = COURSE_FOR[cert.credential][0]
        issued_on = issued.effective_on if issued else date.max
        return sum(
            t.hours
            for t in _live(self.trainings)
            if t.kind in CE_KINDS
            and start <= t.completed_on < end
            and not (t.kind is qualified_by and t.completed_on <= issued_on)
            and (
                academy is None or authority.own_completion(academy, t.academy_code, t.recorded_by)
            )
        )

    def renewal_cycle(self, number: str, on: date) -> tuple[date, date]:
        """The current cycle on a date: (first day whose CE counts toward renewal, expiry).

        CE counts from the issue date (never the qualifying course: see `ce_hours`), or
        from the day after the last renewal, so that every hour counts toward exactly one
        renewal, even when an officer renews early.
        """
        cert = self.certificate(number)
        live = [a for a in cert.live_actions(on) if a.expires_on]
        if not live:
            raise RuleViolation(rules.NOT_ISSUED, f"certificate {number} was not issued by {on}")
        expiry = live[-1].expires_on
        assert expiry is not None
        # CE counted for a renewal was completed by its date; later hours count toward the next.
        last = live[-1]
        start = (
            last.effective_on + timedelta(days=1) if last.action == "renewed" else last.effective_on
        )
        return start, expiry

    # ----------------------------------------------------------------- commands

    def record_training(
        self,
        *,
        kind: TrainingKind,
        hours: float,
        academy_code: str,
        academy_state_certified: bool,
        began_on: date | None,
        completed_on: date,
        volunteered: bool,
        policy: Policy,
        actor: Actor,
    ) -> None:
        began_on = began_on or completed_on
        _check_hours(hours)
        if began_on > completed_on:
            raise RuleViolation(rules.DATE_ORDER, "training cannot end before it began")
        if not volunteered and policy.refuse_mandated and kind is not TrainingKind.AWARENESS:
            raise RuleViolation(
                rules.VOLUNTEER,
                "this state's policy refuses mandated enrolments: CIT officers self-select",
            )
        self._training_recorded(
            kind=kind,
            hours=hours,
            academy_code=academy_code,
            academy_state_certified=academy_state_certified,
            began_on=began_on,
            volunteered=volunteered,
            effective_on=completed_on,
            actor=actor,
        )

    @event("TrainingRecorded")
    def _training_recorded(
        self,
        kind: TrainingKind,
        hours: float,
        academy_code: str,
        academy_state_certified: bool,
        began_on: date,
        volunteered: bool,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self._add(
            self.trainings,
            Training(
                self._event_version,
                effective_on,
                kind=TrainingKind(kind),
                hours=hours,
                academy_code=academy_code,
                academy_state_certified=academy_state_certified,
                began_on=began_on,
                volunteered=volunteered,
                recorded_by=actor,
            ),
        )

    def record_exam(self, *, kind: ExamKind, passed: bool, taken_on: date, actor: Actor) -> None:
        self._exam_recorded(kind=kind, passed=passed, effective_on=taken_on, actor=actor)

    @event("ExamRecorded")
    def _exam_recorded(
        self, kind: ExamKind, passed: bool, effective_on: date, actor: Actor
    ) -> None:
        self._add(self.exams, Exam(self._event_version, effective_on, ExamKind(kind), passed))

    def change_post_status(self, *, status: PostStatus, effective_on: date, actor: Actor) -> None:
        self._post_status_changed(status=status, effective_on=effective_on, actor=actor)

    @event("PostStatusChanged")
    def _post_status_changed(self, status: PostStatus, effective_on: date, actor: Actor) -> None:
        self._add(
            self.post_statuses,
            PostStatusChange(self._event_version, effective_on, PostStatus(status)),
        )

    def assign(self, *, district: str, shift: str, effective_on: date, actor: Actor) -> None:
        """Assign to a district and shift of the current agency (checked by the agency)."""
        agency = self.agency_on(effective_on)
        if agency is None:
            raise RuleViolation(rules.UNASSOCIATED, "an unassociated officer cannot be assigned")
        self._assigned(
            agency_code=agency,
            district=district,
            shift=shift,
            effective_on=effective_on,
            actor=actor,
        )

    @event("Assigned")
    def _assigned(
        self, agency_code: str, district: str, shift: str, effective_on: date, actor: Actor
    ) -> None:
        fact = Assignment(self._event_version, effective_on, agency_code, district, shift)
        self._add(self.assignments, fact)

    def separate(
        self,
        *,
        reason: SeparationReason,
        investigation_open: bool,
        new_agency_code: str | None,
        effective_on: date,
        reported_on: date,
        policy: Policy,
        actor: Actor,
    ) -> bool:
        """Record that the officer left their agency, reported on `reported_on`. Returns
        whether the report is late: more than the policy's `separation_report_days` after
        the separation took effect (the event says so too)."""
        agency = self.agency_on(effective_on)
        if agency is None:
            raise RuleViolation(
                rules.UNASSOCIATED, f"officer is not with any agency on {effective_on}"
            )
        joined = [e for e in _live(self.employment) if not e.separation]
        if joined and effective_on < joined[-1].effective_on:
            raise RuleViolation(rules.DATE_ORDER, "separation cannot precede joining the agency")
        if new_agency_code is not None and new_agency_code == agency:
            raise RuleViolation(
                rules.TRANSFER_ELSEWHERE,
                f"a transfer leaves {agency} for another agency, not for {agency} itself",
            )
        late = (reported_on - effective_on).days > policy.separation_report_days
        self._separated(
            agency_code=agency,
            reason=reason,
            investigation_open=investigation_open,
            new_agency_code=new_agency_code,
            effective_on=effective_on,
            actor=actor,
            reported_late=late,
        )
        return late

    @event("Separated")
    def _separated(
        self,
        agency_code: str,
        reason: SeparationReason,
        investigation_open: bool,
        new_agency_code: str | None,
        effective_on: date,
        actor: Actor,
        reported_late: bool = False,
    ) -> None:
        fact = Employment(
            self._event_version,
            effective_on,
            agency_code,
            separation=SeparationReason(reason),
            investigation_open=investigation_open,
            new_agency_code=new_agency_code,
        )
        self._add(self.employment, fact)

    def join(
        self,
        *,
        agency_code: str,
        district: str | None,
        shift: str | None,
        effective_on: date,
        actor: Actor,
    ) -> None:
        """Join an agency after a separation (a transfer). Certificates are untouched."""
        self._refuse_if_deceased(effective_on, "be received by an agency")
        current = self.agency_on(None)
        if current is not None:
            raise RuleViolation(
                rules.ALREADY_ASSOCIATED,
                f"officer is still with {current}: the old agency must report a separation first",
            )
        last = _live(self.employment)[-1]
        if effective_on < last.effective_on:
            raise RuleViolation(rules.DATE_ORDER, "joining cannot precede the last separation")
        self._joined(
            agency_code=agency_code,
            district=district,
            shift=shift,
            effective_on=effective_on,
            actor=actor,
        )

    @event("Joined")
    def _joined(
        self,
        agency_code: str,
        district: str | None,
        shift: str | None,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self._add(self.employment, Employment(self._event_version, effective_on, agency_code))
        if district and shift:
            self.assignments.append(
                Assignment(self._event_version, effective_on, agency_code, district, shift)
            )

    def issue_certificate(
        self,
        *,
        number: str,
        credential: Credential,
        effective_on: date,
        policy: Policy,
        actor: Actor,
        academy: str | None = None,
    ) -> date:
        """Issue a credential after checking every rule for it. Returns the expiry date.

        `academy`: the academy whose training staff issue (see `registry.domain.authority`;
        its own recorded course must qualify the officer), or None when the state issues.
        """
        if number in self.certificates:
            raise RuleViolation(rules.CERTIFICATE_NUMBER_UNIQUE, f"{number} is already issued")
        self._refuse_if_deceased(effective_on, "be issued a certificate")
        for cert in self.certificates.values():
            if (
                cert.credential is credential
                and cert.issued()
                and (cert.revoked_on(effective_on) or cert.suspended_on(effective_on))
            ):
                raise RuleViolation(
                    rules.HOLDER_SUSPENDED_OR_REVOKED,
                    f"officer's {credential} {cert.number} is suspended or revoked on "
                    f"{effective_on}: a new certificate would bypass the state's action",
                )
        held = self.in_force(credential, effective_on)
        if held:
            raise RuleViolation(
                rules.ALREADY_CERTIFIED,
                f"officer already holds {credential} {held.number}, "
                f"in force until {held.expires_on}",
            )
        course = self._check_eligibility(credential, effective_on, policy, academy)
        if self.post_status_on(effective_on) is not PostStatus.ACTIVE:
            raise RuleViolation(
                rules.POST_ACTIVE,
                f"POST certification is {self.post_status_on(effective_on)} on {effective_on}",
            )
        expires_on = add_years(effective_on, policy.validity_years)
        self._certificate_issued(
            number=number,
            credential=credential,
            mandated=not course.volunteered,
            expires_on=expires_on,
            effective_on=effective_on,
            actor=actor,
        )
        return expires_on

    def _check_eligibility(
        self, credential: Credential, on: date, policy: Policy, academy: str | None
    ) -> Training:
        """Check role, course, exams and experience for `credential`; return the course."""
        if credential is Credential.CIT_TELECOMMUNICATOR:
            if self.role is not OfficerRole.TELECOMMUNICATOR:
                raise RuleViolation(
                    rules.TELECOMMUNICATOR_ROLE,
                    "the CIT telecommunicator credential is for telecommunicators only",
                )
        elif self.role is not OfficerRole.PATROL_OFFICER:
            raise RuleViolation(rules.PATROL_ROLE, f"{credential} is for patrol officers only")
        if credential is Credential.CIT_YOUTH and self.in_force(Credential.CIT_OFFICER, on) is None:
            raise RuleViolation(
                rules.YOUTH_BASE,
                f"CIT youth needs a CIT officer certification in force on {on}",
            )
        course = self._qualifying_course(credential, on, policy, academy)
        if credential is Credential.CIT_YOUTH:
            return course
        self._require_passed(ExamKind.WRITTEN, course.began_on, on, rules.WRITTEN_EXAM)
        if credential is Credential.CIT_OFFICER:
            self._require_passed(ExamKind.SCENARIO, course.began_on, on, rules.SCENARIO_EXAM)
            earliest = add_months(self.patrol_experience_began_on, policy.min_patrol_months)
            if course.began_on < earliest:
                raise RuleViolation(
                    rules.PATROL_EXPERIENCE,
                    f"CIT is not for new recruits: {policy.min_patrol_months} months of patrol "
                    f"experience are needed when the academy begins; patrol began "
                    f"{self.patrol_experience_began_on}, academy began {course.began_on}",
                )
        return course

    def _qualifying_course(
        self, credential: Credential, on: date, policy: Policy, academy: str | None
    ) -> Training:
        """The latest course qualifying the officer for `credential` by `on`; with
        `academy`, the latest its training staff recorded at it.

        Training staff of an academy that recorded no course of the kind for the officer
        have no standing (Forbidden); one that did is told what its course lacks.
        """
        kind, hours_field, rule = COURSE_FOR[credential]
        needed = getattr(policy, hours_field)
        courses = [t for t in _live(self.trainings) if t.kind is kind]
        if academy is not None:
            courses = [
                t
                for t in courses
                if authority.own_completion(academy, t.academy_code, t.recorded_by)
            ]
            if not courses:
                raise authority.not_own_course(academy, credential.value)
        qualifying = [
            t
            for t in courses
            if t.effective_on <= on and t.academy_state_certified and t.hours >= needed
        ]
        if not qualifying:
            raise RuleViolation(
                rule,
                f"{credential} needs a completed {kind} of at least {needed} hours "
                f"at a state-certified academy by {on}",
            )
        return qualifying[-1]

    def _require_passed(self, kind: ExamKind, since: date, on: date, rule: str) -> None:
        if not any(
            e.kind is kind and e.passed and e.effective_on >= since for e in _live(self.exams, on)
        ):
            raise RuleViolation(
                rule, f"a passed State CIT {kind} exam taken between {since} and {on} is needed"
            )

    @event("CertificateIssued")
    def _certificate_issued(
        self,
        number: str,
        credential: Credential,
        mandated: bool,
        expires_on: date,
        effective_on: date,
        actor: Actor,
    ) -> None:
        cert = Certificate(number, Credential(credential), mandated)
        self.certificates[number] = cert
        action = CertificateAction(
            self._event_version, effective_on, "issued", expires_on=expires_on
        )
        self._add(cert.actions, action)

    def renew(
        self,
        *,
        number: str,
        effective_on: date,
        policy: Policy,
        actor: Actor,
        academy: str | None = None,
    ) -> date:
        """Renew for another cycle. Returns the new expiry date.

        `academy`: the academy whose training staff renew (its own recorded continuing
        education must make up the hours; see `registry.domain.authority`), or None when
        the state renews.
        """
        cert = self.certificate(number)
        self._refuse_if_deceased(effective_on, "renew a certificate")
        if cert.revoked_on(effective_on):
            raise RuleViolation(rules.RENEWAL_REVOKED, f"certificate {number} is revoked")
        start, expiry = self.renewal_cycle(number, effective_on)
        if effective_on >= expiry:
            raise RuleViolation(
                rules.RENEWAL_LAPSED,
                f"certificate {number} expired on {expiry}; a lapsed certificate cannot be renewed",
            )
        if cert.suspended_on(effective_on):
            # A renewal extends validity: the state lifts a suspension before it moves.
            raise RuleViolation(
                rules.RENEWAL_SUSPENDED,
                f"certificate {number} is suspended on {effective_on}: the state reinstates "
                "it before it can be renewed",
            )
        # Only CE completed by the renewal date counts (effective_on < expiry here).
        until = effective_on + timedelta(days=1)
        hours = self.ce_hours(number, start, until)
        if hours < policy.renewal_ce_hours:
            raise RuleViolation(
                rules.RENEWAL_CE,
                f"renewal needs {policy.renewal_ce_hours} hours of continuing education "
                f"completed in the cycle from {start} up to the renewal date {effective_on}; "
                f"{hours:g} recorded",
            )
        if academy is not None:
            own = self.ce_hours(number, start, until, academy=academy)
            if own < policy.renewal_ce_hours:
                raise authority.not_own_hours(academy, own, policy.renewal_ce_hours)
        new_expiry = add_years(expiry, policy.validity_years)
        self._certificate_renewed(
            number=number, expires_on=new_expiry, effective_on=effective_on, actor=actor
        )
        return new_expiry

    @event("CertificateRenewed")
    def _certificate_renewed(
        self, number: str, expires_on: date, effective_on: date, actor: Actor
    ) -> None:
        action = CertificateAction(
            self._event_version, effective_on, "renewed", expires_on=expires_on
        )
        self._add(self.certificates[number].actions, action)

    def suspend(self, *, number: str, reason: str, effective_on: date, actor: Actor) -> None:
        cert = self._actionable(number, effective_on, reason)
        if cert.suspended_on(effective_on):
            raise RuleViolation(
                rules.ALREADY_SUSPENDED, f"certificate {number} is already suspended"
            )
        self._certificate_action(
            number=number, action="suspended", reason=reason, effective_on=effective_on, actor=actor
        )

    def reinstate(self, *, number: str, reason: str, effective_on: date, actor: Actor) -> None:
        cert = self._actionable(number, effective_on, reason)
        if not cert.suspended_on(effective_on):
            raise RuleViolation(rules.NOT_SUSPENDED, f"certificate {number} is not suspended")
        self._certificate_action(
            number=number,
            action="reinstated",
            reason=reason,
            effective_on=effective_on,
            actor=actor,
        )

    def revoke(self, *, number: str, reason: str, effective_on: date, actor: Actor) -> None:
        self._actionable(number, effective_on, reason)
        self._certificate_action(
            number=number, action="revoked", reason=reason, effective_on=effective_on, actor=actor
        )

    def _actionable(self, number: str, on: date, reason: str) -> Certificate:
        cert = self.certificate(number)
        if not reason.strip():
            raise RuleViolation(rules.REASON, "a state action on a certificate needs a reason")
        issued = cert.issued()
        if issued is None or issued.effective_on > on:
            raise RuleViolation(rules.NOT_ISSUED, f"certificate {number} was not issued by {on}")
        if cert.revoked_on(None):
            raise RuleViolation(rules.ALREADY_REVOKED, f"certificate {number} is revoked")
        return cert

    @event("CertificateActionRecorded")
    def _certificate_action(
        self, number: str, action: str, reason: str, effective_on: date, actor: Actor
    ) -> None:
        fact = CertificateAction(self._event_version, effective_on, action, reason=reason)
        self._add(self.certificates[number].actions, fact)

    def mark_withheld(
        self, *, withheld: bool, reason: str, effective_on: date, actor: Actor
    ) -> None:
        """Withhold (or release) the officer's public record, e.g. for undercover work."""
        if not reason.strip():
            raise RuleViolation(rules.REASON, "withholding a public record needs a reason")
        self._withheld_changed(
            withheld=withheld, reason=reason, effective_on=effective_on, actor=actor
        )

    @event("WithheldChanged")
    def _withheld_changed(
        self, withheld: bool, reason: str, effective_on: date, actor: Actor
    ) -> None:
        self.withheld = withheld

    def kind_of_record(self, version: int) -> str | None:
        """What kind of record `version` made ("training", "exam", ...), if a correctable one."""
        target = self.facts.get(version)
        return None if target is None else _kind_of(target)

    def correct(
        self, *, corrects_version: int, reason: str, amendments: dict[str, Any], actor: Actor
    ) -> None:
        """Void the fact recorded at `corrects_version`, or amend the given fields of it."""
        if not reason.strip():
            raise RuleViolation(rules.REASON, "a correction needs a reason")
        target = self.facts.get(corrects_version)
        if target is None or getattr(target, "void", False):
            raise RuleViolation(
                rules.CORRECTION_TARGET,
                f"version {corrects_version} holds no correctable record "
                "(already voided, a correction that only voided, or never recorded)",
            )
        kind = _kind_of(target)
        if kind == "enrolment" and not amendments:
            raise RuleViolation(rules.CORRECTION_TARGET, "an enrolment can be amended, not voided")
        allowed = AMENDABLE.get(kind, set())
        extra = sorted(set(amendments) - allowed)
        if extra:
            raise RuleViolation(
                rules.CORRECTION_TARGET,
                f"a {kind} record can amend only {sorted(allowed) or 'nothing'}; got {extra}",
            )
        if kind == "training":
            one_day = target.began_on == target.completed_on
            if one_day and "completed_on" in amendments and "began_on" not in amendments:
                # A one-day course moved to another day moves as a whole.
                amendments = {**amendments, "began_on": amendments["completed_on"]}
            amended = replace(target, **_fact_fields(amendments))
            _check_hours(amended.hours)
            if amended.began_on > amended.completed_on:
                raise RuleViolation(rules.DATE_ORDER, "training cannot end before it began")
        self._corrected(
            corrects_version=corrects_version,
            reason=reason,
            amendments=amendments,
            effective_on=getattr(target, "effective_on", self.enrolled_on),
            actor=actor,
        )

    @event("Corrected")
    def _corrected(
        self,
        corrects_version: int,
        reason: str,
        amendments: dict[str, Any],
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.corrections.append(self._event_version)
        target = self.facts[corrects_version]
        if target == "enrolment":
            self.name = amendments.get("name", self.name)
            self.patrol_experience_began_on = amendments.get(
                "patrol_experience_began_on", self.patrol_experience_began_on
            )
            self.facts[self._event_version] = "enrolment"
            return
        target.void = True
        if amendments:
            amended = replace(
                target, version=self._event_version, void=False, **_fact_fields(amendments)
            )
            for collection in self._collections():
                if any(f is target for f in collection):
                    collection.append(amended)
            self.facts[self._event_version] = amended

    # ----------------------------------------------------------------- helpers

    @property
    def _event_version(self) -> int:
        """The version of the event being applied.

        eventsourcing assigns `version` only after an event's body has run, so
        inside the body `self.version` is still the previous version.
        """
        return self.version + 1

    def _add(self, collection: list[Any], fact: Fact) -> None:
        collection.append(fact)
        self.facts[fact.version] = fact

    def _collections(self) -> list[list[Any]]:
        certificate_actions = [c.actions for c in self.certificates.values()]
        return [
            self.trainings,
            self.exams,
            self.post_statuses,
            self.employment,
            self.assignments,
            *certificate_actions,
        ]


def _live(facts: list[Any], on: date | None = None) -> list[Any]:
    """Facts not voided and effective on or before `on`, in effective order."""
    live = [f for f in facts if not f.void and (on is None or f.effective_on <= on)]
    return sorted(live, key=EFFECTIVE_ORDER)


def _kind_of(fact: Any) -> str:
    return {
        Training: "training",
        Exam: "exam",
        PostStatusChange: "post_status",
        Employment: "employment",
        Assignment: "assignment",
        CertificateAction: "certificate",
    }.get(type(fact), "enrolment")


def _fact_fields(amendments: dict[str, Any]) -> dict[str, Any]:
    """Map the public names of amendable fields to the fact's attribute names."""
    renamed = {"completed_on": "effective_on", "taken_on": "effective_on"}
    return {renamed.get(k, k): v for k, v in amendments.items()}


def _check_hours(hours: float) -> None:
    if not 0 < hours <= 500:
        raise RuleViolation(rules.HOURS, f"hours must be more than 0 and at most 500, got {hours}")

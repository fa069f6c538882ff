"""One synthetic officer's career, told through the domain model's own methods.

Part of `bench/synthetic.py`. A `Career` is a small discrete-event simulation:
actions sit in a queue ordered by their effective date, each one looks at the
officer as recorded so far, calls one method of the `Officer` aggregate (which
applies every rule of the program) and may schedule later actions. Nothing is
ever scheduled after `today`. The officer's events therefore come in the order
of their dates, as a registry in use for ten years would have received them.

The application service's own checks that live outside the aggregate (no future
dates, district and shift of the agency, the academy's certification on the day,
unique POST and certificate numbers, the shape of a correction's amendments) are
made here the same way, so the generated log is one the service could have written.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, timedelta, tzinfo
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from bench.synthetic_world import IN_HOUSE_ACADEMY, AcademyPlan, AgencyPlan, Stamper, World
from registry.application import parse
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.dates import add_months, add_years
from registry.domain.errors import RuleViolation
from registry.domain.officer import Officer
from registry.domain.records import Index
from registry.domain.values import (
    Actor,
    ActorRole,
    CertificateStatus,
    Credential,
    ExamKind,
    OfficerRole,
    PostStatus,
    SeparationReason,
    TrainingKind,
)

FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Daniel", "Karen", "Matthew", "Lisa", "Anthony", "Nancy", "Mark", "Sandra",
    "Steven", "Ashley", "Paul", "Emily", "Andrew", "Michelle", "Joshua", "Amanda", "Kevin",
    "Melissa", "Brian", "Rebecca", "Tyler", "Laura", "Jacob", "Megan", "Brandon", "Hannah",
    "Jordan", "Taylor", "Spencer", "McKenna", "Bryce", "Kaylee", "Dallin", "Brooklyn",
    "Jose", "Maria", "Luis", "Ana", "Carlos", "Sofia", "Sione", "Mele", "Tanner", "Camille",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Campbell", "Mitchell", "Carter", "Roberts", "Christensen", "Jensen", "Larsen",
    "Nielsen", "Petersen", "Hansen", "Olsen", "Sorensen", "Bingham", "Young", "Kimball",
    "Richards", "Snow", "Pratt", "Tuilagi", "Fifita", "Nguyen", "Tran", "Begay", "Yazzie",
    "Okafor", "Rivera", "Ramirez", "Torres", "Flores", "Cruz", "Morales", "Reyes",
)  # fmt: skip

POST_CLERK = Actor("post-clerk-2", ActorRole.STATE)
CIT_COORDINATOR = Actor("cit-coordinator-1", ActorRole.STATE)
STATE_CLERK = Actor("dsamh-clerk-3", ActorRole.STATE)

#: The share of officers already serving when the registry opened ten years ago.
SERVING_AT_OPENING = 0.5
TELECOMMUNICATOR_SHARE = 0.10
#: Mean years an officer stays with one agency before leaving it (about 9% a year).
MEAN_YEARS_WITH_AGENCY = 11.0
SEPARATIONS = {
    SeparationReason.RESIGNED: 0.48,
    SeparationReason.TRANSFERRED: 0.34,
    SeparationReason.RETIRED: 0.08,
    SeparationReason.TERMINATED: 0.08,
    SeparationReason.DECEASED: 0.02,
}
#: Chances of a first, second, ... awareness class a year (in-service training), and of a
#: first, second, ... change of shift or district (shift bids, two or three a year).
AWARENESS_PER_YEAR = (0.95, 0.8, 0.55, 0.25)
REASSIGNMENTS_PER_YEAR = (0.95, 0.8, 0.6, 0.3)
#: Mean days from eligibility (12 months of patrol) to volunteering for the academy.
MEAN_DAYS_TO_ACADEMY = 500
FIRST_PASS = {ExamKind.WRITTEN: 0.92, ExamKind.SCENARIO: 0.94}
RETAKE_PASS = 0.85
#: Chance an officer is diligent about continuing education, and their yearly chance of CE.
DILIGENT = 0.8
CE_YEAR = {True: 0.92, False: 0.35}
CE_SESSIONS = (0.6, 0.35, 0.15)
CE_HOURS = (2, 2, 3, 4, 4, 8)
SUSPENSION_REASONS = (
    "complaint under review",
    "use-of-force investigation pending",
    "criminal charge pending",
    "administrative review of crisis-call conduct",
)
REVOCATION_REASON = "complaint sustained: decertified by the POST council"

Action = Callable[..., None]


def office_work(action: Action) -> Action:
    """Mark an action done by an office (classes, exams, certificates): Monday to Friday."""
    action.office_work = True  # type: ignore[attr-defined]
    return action


class Career:
    """The life of the `n`-th synthetic officer, from enrolment to `today`."""

    def __init__(self, world: World, n: int, zone: tzinfo = UTC) -> None:
        self.world = world
        self.n = n
        #: Stamps the events with when they were recorded (a generator of its own, so the
        #: career itself is the same whatever the time zone).
        self.stamper = Stamper(random.Random(f"{world.seed}:recorded:{n}"), zone)
        #: How many events of each of `aggregates` are stamped.
        self._stamped: list[int] = []
        self.policy = world.policy
        self.today = world.today
        self.rng = random.Random(f"{world.seed}:officer:{n}")
        self.queue: list[tuple[date, int, Action, tuple[Any, ...]]] = []
        self.seq = 0
        self.aggregates: list[Aggregate] = []
        self.stats: Counter[str] = Counter()
        self.agency: AgencyPlan | None = None
        self.stint = 0
        self.post = PostStatus.ACTIVE
        self.certificates = 0
        self.held: dict[Credential, str] = {}
        self.diligent = self.rng.random() < DILIGENT

    # ----------------------------------------------------------------- running

    def live(self) -> list[Aggregate]:
        """Run the career; return the officer and the index records it claimed, each event
        stamped with when it was recorded: office hours on the day its action was taken."""
        self._stamp(self._enrol())
        while self.queue:
            day, _, action, args = heapq.heappop(self.queue)
            action(day, *args)
            self._stamp(day)
        return self.aggregates

    def _stamp(self, day: date) -> None:
        """Stamp the events the last action recorded."""
        self._stamped += [0] * (len(self.aggregates) - len(self._stamped))
        for i, aggregate in enumerate(self.aggregates):
            events = aggregate.pending_events
            self.stamper.stamp(events[self._stamped[i] :], day)
            self._stamped[i] = len(events)

    def at(self, day: date, action: Action, *args: Any) -> None:
        """Schedule `action` on `day` (office work: the next working day), unless after today."""
        if getattr(action, "office_work", False) and day.weekday() >= 5:
            day += timedelta(7 - day.weekday())
        if day <= self.today:
            heapq.heappush(self.queue, (day, self.seq, action, args))
            self.seq += 1

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(self.rng.randint(low, high))

    def effective(self, day: date) -> date:
        """The application's rule: no effective date in the future."""
        if day > self.today:
            raise RuleViolation(rules.FUTURE_DATE, f"effective date {day} is after {self.today}")
        return day

    # --------------------------------------------------------------- enrolment

    def _enrol(self) -> date:
        """Enrol the officer; return the day."""
        r, w = self.rng, self.world
        self.role = (
            OfficerRole.TELECOMMUNICATOR
            if r.random() < TELECOMMUNICATOR_SHARE
            else OfficerRole.PATROL_OFFICER
        )
        if r.random() < SERVING_AT_OPENING:
            # Already serving when the registry opened: brought in during its first months.
            day = w.epoch + self.days(0, 180)
            # Most of a workforce is early in its career: years of service peak at four.
            patrol_began = day - timedelta(int(r.triangular(0.3, 25, 4) * 365))
        else:
            day = w.epoch + self.days(181, (w.today - w.epoch).days)
            lateral = r.random() < 0.15
            patrol_began = day - self.days(365, 12 * 365) if lateral else day
        agency = w.pick_agency(r)
        name = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
        misspelt = r.random() < 0.01
        district, shift = self._post_in(agency, day)
        post_number = w.post_number(self.n)
        if patrol_began > day:
            raise RuleViolation(rules.DATE_ORDER, "patrol experience after enrolment")
        # `Officer(...)` with an id drawn from the seeded generator (the registry draws a
        # random one), so that the same seed gives the same ids.
        self.officer = Officer._create(
            Officer.Enrolled,
            id=UUID(int=r.getrandbits(128), version=4),
            post_number=post_number,
            name=_misspell(name, r) if misspelt else name,
            agency_code=agency.code,
            role=self.role,
            patrol_experience_began_on=patrol_began,
            district=district,
            shift=shift,
            effective_on=self.effective(day),
            actor=agency.actor,
        )
        self.aggregates += [self.officer, Index.claim("post-number", post_number, self.officer.id)]
        self.agency = agency
        self.stats[f"officers_{self.role.value}"] += 1

        if misspelt:
            self.at(day + self.days(1, 45), self.correct, 1, "name misspelt at enrolment", name)
        self.at(day + self.days(0, 60), self.awareness)
        self.at(day + self.days(30, 365), self.year)
        self.at(_next_first_of_august(day + timedelta(365)), self.post_review)
        self._plan_separation(day)
        if self.role is OfficerRole.PATROL_OFFICER and r.random() < agency.volunteer_rate:
            eligible = max(add_months(patrol_began, self.policy.min_patrol_months), day)
            wait = timedelta(int(r.expovariate(1 / MEAN_DAYS_TO_ACADEMY)))
            self.at(eligible + wait, self.academy, False, 0)
        if self.role is OfficerRole.TELECOMMUNICATOR and r.random() < 0.6:
            self.at(day + self.days(60, 1000), self.dispatcher_course, 0)
        if r.random() < 0.004:
            self.at(day + self.days(30, 2000), self.withhold, True)
        return day

    # ------------------------------------------------------- the ordinary year

    def year(self, day: date) -> None:
        """Each year with an agency: awareness classes and shift or district changes."""
        if self.agency is not None:
            for _ in range(_successes(self.rng, AWARENESS_PER_YEAR)):
                self.at(day + self.days(0, 364), self.awareness)
            if self.role is OfficerRole.PATROL_OFFICER:
                for _ in range(_successes(self.rng, REASSIGNMENTS_PER_YEAR)):
                    self.at(day + self.days(0, 364), self.reassign)
        self.at(day + timedelta(365), self.year)

    @office_work
    def awareness(self, day: date) -> None:
        """Mental-health awareness and de-escalation: for every officer, not CIT."""
        if self.agency is None:
            return
        academy = self._local_academy(day)
        hours = self.rng.choice((2, 4, 4, 8))
        self._train(day, day, TrainingKind.AWARENESS, hours, academy)
        if self.rng.random() < 0.005:
            # Keyed in twice; the duplicate is voided a few weeks later.
            self._train(day, day, TrainingKind.AWARENESS, hours, academy)
            version = self.officer.version
            reason = f"recorded twice: duplicate of version {version - 1}"
            self.at(day + self.days(2, 40), self.correct, version, reason, None)

    def reassign(self, day: date) -> None:
        if self.agency is None:
            return
        district, shift = self._post_in(self.agency, day)
        current = self.officer.assignment_on(day)
        if district is None or shift is None:
            return
        if current and (current.district, current.shift) == (district, shift):
            return
        self.agency.aggregate.check_post(district, shift)
        self.officer.assign(
            district=district,
            shift=shift,
            effective_on=self.effective(day),
            actor=self.agency.actor,
        )

    # ------------------------------------------------------------- POST status

    def post_review(self, day: date) -> None:
        """1 August: Utah POST suspends officers who missed the annual training hours."""
        r = self.rng
        if self.agency is not None and self.post is PostStatus.ACTIVE and r.random() < 0.012:
            self._post_status(day, PostStatus.SUSPENDED)
            if r.random() < 0.7:
                self.at(day + self.days(14, 240), self.post_restored)
            else:
                # Never made up: inactive after 18 months suspended; the agency lets them go.
                self.at(add_months(day, 18), self.post_inactive, PostStatus.SUSPENDED)
                reason = r.choice((SeparationReason.RESIGNED, SeparationReason.TERMINATED))
                self.at(day + self.days(30, 400), self.separate, reason, self.stint)
        self.at(date(day.year + 1, 8, 1), self.post_review)

    @office_work
    def post_restored(self, day: date) -> None:
        if self.post is PostStatus.SUSPENDED:
            self._post_status(day, PostStatus.ACTIVE)

    def post_inactive(self, day: date, was: PostStatus) -> None:
        if self.post is was and (was is PostStatus.SUSPENDED or self.agency is None):
            self._post_status(day, PostStatus.INACTIVE)

    def _post_status(self, day: date, status: PostStatus) -> None:
        self.officer.change_post_status(
            status=status, effective_on=self.effective(day), actor=POST_CLERK
        )
        self.post = status
        self.stats[f"post_{status.value}"] += 1

    # -------------------------------------------------------------- employment

    def _plan_separation(self, joined: date) -> None:
        r = self.rng
        retire_on = add_years(self.officer.patrol_experience_began_on, r.randint(20, 32))
        leave_on = joined + timedelta(int(r.expovariate(1 / (MEAN_YEARS_WITH_AGENCY * 365))))
        if retire_on <= leave_on:
            day, reason = max(retire_on, joined + timedelta(30)), SeparationReason.RETIRED
        else:
            reasons, weights = zip(*SEPARATIONS.items(), strict=True)
            day, reason = leave_on + timedelta(30), r.choices(reasons, weights)[0]
        self.at(day, self.separate, reason, self.stint)

    def separate(self, day: date, reason: SeparationReason, stint: int) -> None:
        agency = self.agency
        if agency is None or stint != self.stint:
            return
        r = self.rng
        new = self.world.pick_agency(r, other_than=agency)
        transfer = reason is SeparationReason.TRANSFERRED
        investigation = r.random() < (0.35 if reason is SeparationReason.TERMINATED else 0.02)
        self.officer.separate(
            reason=reason,
            investigation_open=investigation,
            new_agency_code=new.code if transfer else None,
            effective_on=self.effective(day),
            reported_on=self.effective(day),
            policy=self.policy,
            actor=agency.actor,
        )
        self.agency = None
        self.stats[f"separated_{reason.value}"] += 1
        if reason is SeparationReason.DECEASED:
            self.queue.clear()
            return
        if transfer:
            self.at(day + self.days(0, 30), self.join, new)
        elif reason is SeparationReason.RESIGNED and r.random() < 0.2:
            self.at(day + self.days(60, 900), self.join, new)
        elif r.random() < 0.4:
            self.at(day + self.days(180, 720), self.post_inactive, PostStatus.ACTIVE)
        if reason is SeparationReason.TERMINATED:
            for number in self.held.values():
                if r.random() < 0.5:
                    reason_text = "decertified by the POST council after termination"
                    self.at(day + self.days(20, 180), self.revoke, number, reason_text)

    def join(self, day: date, agency: AgencyPlan) -> None:
        """A receiving agency takes the officer on; certificates move with them."""
        if self.agency is not None:
            return
        if self.post is not PostStatus.ACTIVE:
            self._post_status(day, PostStatus.ACTIVE)
        district, shift = self._post_in(agency, day)
        if district is not None and shift is not None:
            agency.aggregate.check_post(district, shift)
        self.officer.join(
            agency_code=agency.code,
            district=district,
            shift=shift,
            effective_on=self.effective(day),
            actor=agency.actor,
        )
        self.agency = agency
        self.stint += 1
        self.stats["joined"] += 1
        self._plan_separation(day)

    def withhold(self, day: date, withheld: bool) -> None:
        if self.agency is None:
            return
        self.officer.mark_withheld(
            withheld=withheld,
            reason="undercover assignment" if withheld else "undercover assignment ended",
            effective_on=self.effective(day),
            actor=self.agency.actor,
        )
        if withheld and self.rng.random() < 0.5:
            self.at(day + self.days(180, 900), self.withhold, False)

    # --------------------------------------------------------- CIT and exams

    def academy(self, day: date, state_certified_only: bool, tries: int) -> None:
        """The 40-hour week, Monday to Friday, then both State CIT exams on the Friday."""
        r = self.rng
        agency = self.agency
        credential = Credential.CIT_OFFICER
        if agency is None or self.post is not PostStatus.ACTIVE or self._holds(credential, day):
            if tries < 3:
                self.at(day + self.days(90, 365), self.academy, state_certified_only, tries + 1)
            return
        began = day + timedelta((7 - day.weekday()) % 7)
        completed = began + timedelta(4)
        if completed > self.today:
            return
        volunteered = self.policy.refuse_mandated or r.random() > 0.08
        if agency.in_house and not state_certified_only and r.random() < 0.6:
            # The agency's own course: CIT in name, but no state certification.
            in_house = self.world.academies[IN_HOUSE_ACADEMY]
            hours = r.choice((24, 32, 40))
            self._train(began, completed, TrainingKind.CIT_ACADEMY, hours, in_house, volunteered)
            self.stats["in_house_courses"] += 1
            if r.random() < 0.25:
                self.at(completed + self.days(180, 1000), self.academy, True, 0)
            return
        academy = self.world.academy_for(agency.region, completed)
        hours = self.policy.academy_hours
        self._train(began, completed, TrainingKind.CIT_ACADEMY, hours, academy, volunteered)
        self.stats["academies"] += 1
        self._exams(completed, credential, academy, (ExamKind.WRITTEN, ExamKind.SCENARIO))

    @office_work
    def dispatcher_course(self, day: date, tries: int) -> None:
        """CIT for telecommunicators: two or three days, then the written exam."""
        credential = Credential.CIT_TELECOMMUNICATOR
        if (
            self.agency is None
            or self.post is not PostStatus.ACTIVE
            or self._holds(credential, day)
        ):
            if tries < 3:
                self.at(day + self.days(90, 365), self.dispatcher_course, tries + 1)
            return
        hours = max(self.policy.telecommunicator_course_hours, self.rng.choice((16, 16, 20, 24)))
        academy = self.world.academy_for(self.agency.region, day)
        began = day - timedelta(1 if hours <= 16 else 2)
        self._train(began, day, TrainingKind.DISPATCHER_COURSE, hours, academy, True)
        self.stats["dispatcher_courses"] += 1
        self._exams(day, credential, academy, (ExamKind.WRITTEN,))

    @office_work
    def youth_course(self, day: date) -> None:
        """CIT-Y: an add-on for officers whose CIT certification is in force."""
        agency = self.agency
        if agency is None or self.officer.in_force(Credential.CIT_OFFICER, day) is None:
            return
        if self._holds(Credential.CIT_YOUTH, day):
            return
        hours = max(self.policy.youth_course_hours, self.rng.choice((8, 8, 12)))
        academy = self.world.academy_for(agency.region, day)
        began = day - timedelta(1 if hours > 8 else 0)
        self._train(began, day, TrainingKind.YOUTH_COURSE, hours, academy, True)
        self.stats["youth_courses"] += 1
        self.at(day + self.days(1, 14), self.issue, Credential.CIT_YOUTH, academy, 0)

    def _exams(
        self,
        day: date,
        credential: Credential,
        academy: AcademyPlan,
        kinds: tuple[ExamKind, ...],
    ) -> None:
        sitting = (credential, academy, set(kinds), set[ExamKind]())
        for kind in kinds:
            self.exam(day, kind, 1, sitting)

    @office_work
    def exam(
        self,
        day: date,
        kind: ExamKind,
        attempt: int,
        sitting: tuple[Credential, AcademyPlan, set[ExamKind], set[ExamKind]],
    ) -> None:
        r = self.rng
        credential, academy, needed, passed = sitting
        ok = r.random() < (FIRST_PASS[kind] if attempt == 1 else RETAKE_PASS)
        self.officer.record_exam(
            kind=kind, passed=ok, taken_on=self.effective(day), actor=academy.instructor(r)
        )
        self.stats["exams"] += 1
        if ok:
            passed.add(kind)
            if passed >= needed:
                self.at(day + self.days(2, 21), self.issue, credential, academy, 0)
        elif attempt < 3:
            self.stats["exam_retakes"] += 1
            self.at(day + self.days(14, 45), self.exam, kind, attempt + 1, sitting)

    # ------------------------------------------------------------ certificates

    @office_work
    def issue(self, day: date, credential: Credential, academy: AcademyPlan, tries: int) -> None:
        r = self.rng
        if not self._may_issue(credential, day):
            if tries < 2:
                self.at(day + self.days(30, 90), self.issue, credential, academy, tries + 1)
            return
        number = self.world.certificate_number(credential, self.n, self.certificates)
        self.certificates += 1
        expires_on = self.officer.issue_certificate(
            number=number,
            credential=credential,
            effective_on=self.effective(day),
            policy=self.policy,
            actor=academy.instructor(r),
        )
        self.aggregates.append(Index.claim("certificate", number, self.officer.id))
        self.held[credential] = number
        self.stats["certificates"] += 1
        self.stats[f"certificates_{credential.value}"] += 1
        self._plan_renewal(number, expires_on)
        if credential is not Credential.CIT_YOUTH:
            self.at(day + self.days(30, 200), self.ce_year, number)
        if credential is Credential.CIT_OFFICER and r.random() < 0.15:
            self.at(day + self.days(60, 700), self.youth_course)
        if r.random() < 0.012:
            self.at(day + self.days(30, 700), self.suspend, number)

    def _may_issue(self, credential: Credential, day: date) -> bool:
        if self.agency is None or self.post is not PostStatus.ACTIVE:
            return False
        if self.certificates >= 8 or self._holds(credential, day):
            return False
        if credential is Credential.CIT_YOUTH:
            return self.officer.in_force(Credential.CIT_OFFICER, day) is not None
        return True

    def _holds(self, credential: Credential, day: date) -> bool:
        """In force, or suspended or revoked (then no new one may be issued)."""
        if self.officer.in_force(credential, day):
            return True
        return any(
            cert.credential is credential and (cert.revoked_on(day) or cert.suspended_on(day))
            for cert in self.officer.certificates.values()
        )

    def ce_year(self, day: date, number: str) -> None:
        """Each year a certificate stands: continuing education, for most officers."""
        cert = self.officer.certificates[number]
        expires_on = cert.expires_on(day)
        if cert.revoked_on(day) or expires_on is None or day >= expires_on:
            return
        if self.agency is not None and self.rng.random() < CE_YEAR[self.diligent]:
            for _ in range(1 + _successes(self.rng, CE_SESSIONS)):
                self.at(day + self.days(0, 330), self.continuing_education, None)
        self.at(day + timedelta(365), self.ce_year, number)

    @office_work
    def continuing_education(self, day: date, hours: float | None) -> None:
        if self.agency is None:
            return
        r = self.rng
        hours = hours or r.choice(CE_HOURS)
        mis_keyed = hours > 1 and r.random() < 0.02
        academy = self._local_academy(day)
        kind = TrainingKind.CONTINUING_EDUCATION
        self._train(day, day, kind, 1 if mis_keyed else hours, academy)
        if mis_keyed:
            version = self.officer.version
            reason = f"hours mis-keyed: the class was {hours:g} hours"
            self.at(day + self.days(3, 60), self.correct, version, reason, {"hours": hours})

    def _plan_renewal(self, number: str, expires_on: date) -> None:
        self.at(expires_on - self.days(7, 75), self.renew, number, expires_on)

    @office_work
    def renew(self, day: date, number: str, expected_expiry: date) -> None:
        """Renew with enough CE in the cycle; a few scramble for hours, some let it lapse."""
        r = self.rng
        cert = self.officer.certificates[number]
        if cert.expires_on(day) != expected_expiry or cert.revoked_on(day):
            return
        if day >= expected_expiry:
            self.stats["lapsed"] += 1
            return
        if cert.suspended_on(day) or self.agency is None:
            return
        youth = cert.credential is Credential.CIT_YOUTH
        if youth and self.officer.in_force(Credential.CIT_OFFICER, day) is None:
            return
        start, _ = self.officer.renewal_cycle(number, day)
        needed = self.policy.renewal_ce_hours
        hours = self.officer.ce_hours(number, start, day + timedelta(1))
        if hours < needed and r.random() < 0.5:
            # A class in the last weeks of the cycle.
            self.continuing_education(day, max(2.0, math.ceil(needed - hours)))
            hours = self.officer.ce_hours(number, start, day + timedelta(1))
        if hours < needed or r.random() < 0.03:
            self.stats["lapsed"] += 1
            # A few come back to the classroom and start again with a new certificate.
            again = expected_expiry + self.days(60, 900)
            if cert.credential is Credential.CIT_OFFICER and r.random() < 0.3:
                self.at(again, self.academy, True, 0)
            elif cert.credential is Credential.CIT_TELECOMMUNICATOR and r.random() < 0.3:
                self.at(again, self.dispatcher_course, 0)
            return
        new_expiry = self.officer.renew(
            number=number,
            effective_on=self.effective(day),
            policy=self.policy,
            actor=CIT_COORDINATOR,
        )
        self.stats["renewals"] += 1
        self._plan_renewal(number, new_expiry)

    @office_work
    def suspend(self, day: date, number: str) -> None:
        r = self.rng
        if self.agency is None:
            return
        view = self.officer.certificate_view(number, day)
        if view.status is not CertificateStatus.IN_FORCE:
            return
        self.officer.suspend(
            number=number,
            reason=r.choice(SUSPENSION_REASONS),
            effective_on=self.effective(day),
            actor=STATE_CLERK,
        )
        self.stats["suspended"] += 1
        if r.random() < 0.7:
            self.at(day + self.days(30, 240), self.reinstate, number)
        else:
            self.at(day + self.days(30, 240), self.revoke, number, REVOCATION_REASON)
            if r.random() < 0.6:
                fired = SeparationReason.TERMINATED
                self.at(day + self.days(0, 60), self.separate, fired, self.stint)

    @office_work
    def reinstate(self, day: date, number: str) -> None:
        cert = self.officer.certificates[number]
        if cert.revoked_on(None) or not cert.suspended_on(day):
            return
        self.officer.reinstate(
            number=number,
            reason="complaint not sustained",
            effective_on=self.effective(day),
            actor=STATE_CLERK,
        )
        self.stats["reinstated"] += 1
        expires_on = cert.expires_on(day)
        if expires_on and day < expires_on - timedelta(2):
            # The renewal that fell due while suspended.
            renew_on = max(day + timedelta(1), expires_on - self.days(7, 30))
            self.at(renew_on, self.renew, number, expires_on)

    @office_work
    def revoke(self, day: date, number: str, reason: str) -> None:
        cert = self.officer.certificates[number]
        issued = cert.issued()
        if cert.revoked_on(None) or issued is None or issued.effective_on > day:
            return
        self.officer.revoke(
            number=number, reason=reason, effective_on=self.effective(day), actor=STATE_CLERK
        )
        self.stats["revoked"] += 1
        youth = self.held.get(Credential.CIT_YOUTH)
        if cert.credential is Credential.CIT_OFFICER and youth and youth != number:
            self.revoke(day, youth, "CIT officer certification revoked")

    # ------------------------------------------------------------- corrections

    @office_work
    def correct(
        self, day: date, version: int, reason: str, change: str | dict[str, Any] | None
    ) -> None:
        """Void the record made at `version`, or amend it, as the correct command does."""
        raw = {"name": change} if isinstance(change, str) else change or {}
        kind = self.officer.kind_of_record(version)
        schema = c.AMENDMENTS.get(kind or "")
        amendments = parse(schema, raw).model_dump(exclude_unset=True) if schema else {}
        self.officer.correct(
            corrects_version=version, reason=reason, amendments=amendments, actor=STATE_CLERK
        )
        self.stats["corrections"] += 1

    # ---------------------------------------------------------------- helpers

    def _train(
        self,
        began: date,
        completed: date,
        kind: TrainingKind,
        hours: float,
        academy: AcademyPlan,
        volunteered: bool = True,
    ) -> None:
        self.officer.record_training(
            kind=kind,
            hours=hours,
            academy_code=academy.code,
            academy_state_certified=academy.certified_on(completed),
            began_on=began,
            completed_on=self.effective(completed),
            volunteered=volunteered,
            policy=self.policy,
            actor=academy.instructor(self.rng),
        )
        self.stats["trainings"] += 1

    def _local_academy(self, day: date) -> AcademyPlan:
        """Where awareness and CE classes are taught: the region's academy, or in house."""
        assert self.agency is not None
        if self.agency.in_house and self.rng.random() < 0.5:
            return self.world.academies[IN_HOUSE_ACADEMY]
        return self.world.academy_for(self.agency.region, day)

    def _post_in(self, agency: AgencyPlan, day: date) -> tuple[str | None, str | None]:
        """A district and shift for a patrol officer; telecommunicators work in dispatch."""
        if self.role is OfficerRole.TELECOMMUNICATOR:
            return None, None
        district = self.rng.choice(agency.districts_on(day))
        shift = self.rng.choices(agency.aggregate.shifts, (3, 3, 4))[0]
        return district, shift


def _successes(rng: random.Random, chances: tuple[float, ...]) -> int:
    """How many of `chances` come up in a row: 0, 1, 2 ..."""
    count = 0
    for chance in chances:
        if rng.random() >= chance:
            break
        count += 1
    return count


def _next_first_of_august(day: date) -> date:
    first = date(day.year, 8, 1)
    return first if first >= day else date(day.year + 1, 8, 1)


def _misspell(name: str, rng: random.Random) -> str:
    """Drop one letter of the last name, as a hurried clerk might."""
    first, last = name.split(" ", 1)
    i = rng.randrange(1, len(last))
    return f"{first} {last[:i]}{last[i + 1 :]}"

"""Read a synthetic state back through the registry and re-check the rules from the history.

Part of `bench/synthetic.py`. For a sample of officers, `check()` reads
`Registry.history()` and `Registry.status()` and checks, from the recorded events
alone (not by asking the aggregate), that every certificate was earned: the course
and passed exams before it, the patrol experience, an active POST certification,
enough continuing education for each renewal. It also checks the shape of the
record: versions 1..n, an enrolment first, no date after today, and a plausible
number of events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.synthetic_world import post_number
from registry.application import HistoryEntry, Registry
from registry.config import Settings
from registry.domain.dates import add_months, add_years
from registry.domain.policy import Policy

#: A career of ten years makes a few dozen events; none or more than this is a bug.
MAX_EVENTS_PER_OFFICER = 250
CE_KINDS = {"continuing_education", "cit_academy"}
#: Amendable fields, by the name of the key this module keeps them under.
RENAMED = {"completed_on": "completed", "began_on": "began", "taken_on": "on"}


@dataclass
class CheckReport:
    officers_checked: int = 0
    events_checked: int = 0
    certificates_checked: int = 0
    renewals_checked: int = 0
    events_per_officer: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        counts = sorted(self.events_per_officer) or [0]
        head = (
            f"check         {self.officers_checked} officers, {self.events_checked:,} events, "
            f"{self.certificates_checked} certificates, {self.renewals_checked} renewals; "
            f"events per officer min {counts[0]}, median {counts[len(counts) // 2]}, "
            f"max {counts[-1]}"
        )
        verdict = "ok: every rule held" if self.ok else f"{len(self.problems)} problems"
        return [head, f"check         {verdict}", *(f"  {p}" for p in self.problems[:50])]


def check(
    database_url: str,
    *,
    officers: int,
    sample: int = 200,
    seed: int = 7,
    today: date,
) -> CheckReport:
    """Check `sample` of the `officers` officers generated into `database_url`."""
    app = Registry(Settings(database=database_url), clock=lambda: today)
    report = CheckReport()
    try:
        rng = random.Random(f"{seed}:check")
        for n in sorted(rng.sample(range(officers), min(sample, officers))):
            ref = post_number(app.policy, n)
            history = app.history(ref)
            problems, certificates, renewals = check_officer(app, ref, history, today)
            report.officers_checked += 1
            report.events_checked += len(history)
            report.certificates_checked += certificates
            report.renewals_checked += renewals
            # The officer's own events plus the index records it claimed.
            report.events_per_officer.append(len(history) + 1 + certificates)
            report.problems += [f"{ref}: {p}" for p in problems]
    finally:
        app.close()
    return report


def check_officer(
    app: Registry, ref: str, history: list[HistoryEntry], today: date
) -> tuple[list[str], int, int]:
    """Problems found in one officer's history, and how many certificates and renewals."""
    policy = app.policy
    problems: list[str] = []
    if [e.version for e in history] != list(range(1, len(history) + 1)):
        problems.append("versions are not 1..n")
    if not history or history[0].event != "Enrolled":
        return [*problems, "the first event is not an enrolment"], 0, 0
    if not 1 <= len(history) <= MAX_EVENTS_PER_OFFICER:
        problems.append(f"{len(history)} events")
    enrolment = dict(history[0].details)
    trainings: dict[int, dict[str, Any]] = {}
    exams: dict[int, dict[str, Any]] = {}
    certificates: dict[str, dict[str, Any]] = {}
    enrolment_versions = {1}
    renewals = 0
    for e in history:
        d = e.details
        if e.effective_on > today:
            problems.append(f"version {e.version} takes effect after today: {e.effective_on}")
        if e.event == "TrainingRecorded":
            trainings[e.version] = {
                "kind": d["kind"],
                "hours": d["hours"],
                "certified": d["academy_state_certified"],
                "began": d["began_on"],
                "completed": e.effective_on,
            }
        elif e.event == "ExamRecorded":
            exams[e.version] = {"kind": d["kind"], "passed": d["passed"], "on": e.effective_on}
        elif e.event == "Corrected":
            _apply_correction(d["corrects_version"], d["amendments"], e.version, trainings, exams)
            if d["corrects_version"] in enrolment_versions:
                enrolment.update(d["amendments"])
                enrolment_versions.add(e.version)
        elif e.event == "CertificateIssued":
            issued_on = e.effective_on
            for problem in _issue_problems(
                d["credential"], issued_on, enrolment, trainings, exams, policy
            ):
                problems.append(f"{d['number']} issued {issued_on}: {problem}")
            status = app.status(ref, on=issued_on)
            if status.post_status != "active":
                problems.append(f"{d['number']} issued while POST is {status.post_status}")
            if status.agency_code is None:
                problems.append(f"{d['number']} issued to an officer with no agency")
            if d["credential"] == "cit_youth" and not any(
                v.credential == "cit_officer" and v.in_force for v in status.certificates
            ):
                problems.append(f"{d['number']} issued without a CIT officer certificate in force")
            if d["expires_on"] != add_years(issued_on, policy.validity_years):
                problems.append(f"{d['number']} expires {d['expires_on']}")
            certificates[d["number"]] = {"expires": d["expires_on"], "cycle_from": issued_on}
        elif e.event == "CertificateRenewed":
            renewals += 1
            cert = certificates.get(d["number"])
            if cert is None:
                problems.append(f"renewal of unknown certificate {d['number']}")
                continue
            if e.effective_on >= cert["expires"]:
                problems.append(f"{d['number']} renewed {e.effective_on} after expiry")
            hours = sum(
                t["hours"]
                for t in trainings.values()
                if t["kind"] in CE_KINDS and cert["cycle_from"] <= t["completed"] <= e.effective_on
            )
            if hours < policy.renewal_ce_hours:
                problems.append(f"{d['number']} renewed {e.effective_on} with {hours:g} CE hours")
            if d["expires_on"] != add_years(cert["expires"], policy.validity_years):
                problems.append(f"{d['number']} renewal expires {d['expires_on']}")
            cert["expires"] = d["expires_on"]
            cert["cycle_from"] = e.effective_on + timedelta(days=1)

    now = app.status(ref)
    if len(now.certificates) != len(certificates):
        problems.append(f"status lists {len(now.certificates)} certificates, history issued "
                        f"{len(certificates)}")  # fmt: skip
    for view in now.certificates:
        if view.in_force and (view.expires_on is None or view.expires_on <= today):
            problems.append(f"{view.number} in force but expires {view.expires_on}")
        if view.in_force and now.post_status != "active":
            problems.append(f"{view.number} in force while POST is {now.post_status}")
    return problems, len(certificates), renewals


def _issue_problems(
    credential: str,
    on: date,
    enrolment: dict[str, Any],
    trainings: dict[int, dict[str, Any]],
    exams: dict[int, dict[str, Any]],
    policy: Policy,
) -> list[str]:
    course_kind, hours, needed_exams, role = {
        "cit_officer": (
            "cit_academy",
            policy.academy_hours,
            ("written", "scenario"),
            "patrol_officer",
        ),
        "cit_telecommunicator": (
            "dispatcher_course",
            policy.telecommunicator_course_hours,
            ("written",),
            "telecommunicator",
        ),
        "cit_youth": ("youth_course", policy.youth_course_hours, (), "patrol_officer"),
    }[credential]
    if enrolment["role"] != role:
        return [f"the holder is a {enrolment['role']}"]
    courses = [
        t
        for t in trainings.values()
        if t["kind"] == course_kind and t["certified"] and t["hours"] >= hours
        and t["completed"] <= on
    ]  # fmt: skip
    if not courses:
        return [f"no {course_kind} of {hours} hours at a state-certified academy before"]
    for course in courses:
        passed = {
            x["kind"] for x in exams.values() if x["passed"] and course["began"] <= x["on"] <= on
        }
        experienced = credential != "cit_officer" or course["began"] >= add_months(
            enrolment["patrol_experience_began_on"], policy.min_patrol_months
        )
        if passed >= set(needed_exams) and experienced:
            return []
    return [f"no {course_kind} with passed {', '.join(needed_exams)} exams and patrol experience"]


def _apply_correction(
    target: int,
    amendments: dict[str, Any],
    version: int,
    trainings: dict[int, dict[str, Any]],
    exams: dict[int, dict[str, Any]],
) -> None:
    """Void the corrected record; an amendment puts an amended copy at the new version."""
    for facts in (trainings, exams):
        if target in facts:
            old = facts.pop(target)
            if amendments:
                new = {**old, **{RENAMED.get(k, k): v for k, v in amendments.items()}}
                one_day = old.get("began") == old.get("completed")
                if one_day and "completed_on" in amendments and "began_on" not in amendments:
                    new["began"] = new["completed"]
                facts[version] = new

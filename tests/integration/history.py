"""A long random history, told through the application service as people would tell it."""

from __future__ import annotations

import random
from datetime import date, timedelta

from registry.application import Registry
from registry.domain import commands as c
from registry.domain.errors import RegistryError
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    AGENCY_CODE,
    IN_HOUSE_ACADEMY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    register_agencies_and_academies,
)

START = date(2016, 1, 1)


def _day(rng: random.Random, end: date) -> date:
    return START + timedelta(days=rng.randrange((end - START).days))


def random_history(app: Registry, *, officers: int, steps: int, seed: int = 1) -> int:
    """Register agencies and academies, enrol `officers`, then take `steps` random commands.

    Refused commands write nothing. Returns how many commands were carried out.
    """
    register_agencies_and_academies(app)
    posts = enrol_officers(app, officers, seed=seed)
    return random_steps(app, posts, steps=steps, seed=seed)


def enrol_officers(app: Registry, officers: int, *, seed: int = 1) -> list[str]:
    """Enrol officers at random agencies, districts and shifts; their POST numbers."""
    rng = random.Random(seed)
    posts = [f"UT-R{n:05d}" for n in range(officers)]
    for post in posts:
        app.enrol_officer(
            c.EnrolOfficer(
                post_number=post,
                name=f"Officer {post}",
                agency_code=rng.choice([AGENCY_CODE, OTHER_AGENCY_CODE]),
                role=rng.choice(["patrol_officer"] * 9 + ["telecommunicator"]),
                patrol_experience_began_on=START,
                district=rng.choice(["North", "South"]),
                shift=rng.choice(["day", "swing", "night"]),
                effective_on=START + timedelta(days=rng.randrange(300)),
            ),
            AGENCY,
        )
    return posts


def random_steps(app: Registry, posts: list[str], *, steps: int, seed: int = 1) -> int:
    """Take `steps` random commands about these officers; return how many were carried out."""
    rng = random.Random(seed)
    today = app.clock()
    done = 0
    numbers = [c.number for p in posts for c in app.officer(p).certificates.values()]
    for _ in range(steps):
        post = rng.choice(posts)
        on = _day(rng, today)
        command = rng.choice(
            ["academy", "qualify", "qualify", "exam", "issue", "issue", "ce", "ce", "renew",
             "suspend", "reinstate", "revoke", "separate", "transfer", "post", "assign", "correct"]
        )  # fmt: skip
        try:
            if command == "academy":
                app.record_training(
                    c.RecordTraining(
                        officer=post,
                        kind=rng.choice(["cit_academy", "dispatcher_course", "youth_course"]),
                        hours=rng.choice([40, 40, 24, 16, 8]),
                        academy_code=rng.choice(
                            [ACADEMY_CODE, ACADEMY_CODE, IN_HOUSE_ACADEMY_CODE]
                        ),
                        began_on=on - timedelta(days=4),
                        completed_on=on,
                        volunteered=rng.random() < 0.8,
                    ),
                    ACADEMY,
                )
            elif command == "qualify":
                # A 40-hour week at the state-certified academy and both exams passed.
                app.record_training(
                    c.RecordTraining(
                        officer=post,
                        kind="cit_academy",
                        hours=40,
                        academy_code=ACADEMY_CODE,
                        began_on=on - timedelta(days=4),
                        completed_on=on,
                    ),
                    ACADEMY,
                )
                for kind in ("written", "scenario"):
                    app.record_exam(
                        c.RecordExam(officer=post, kind=kind, passed=True, taken_on=on), ACADEMY
                    )
                numbers.append(
                    app.issue_certificate(
                        c.IssueCertificate(officer=post, credential="cit_officer", effective_on=on),
                        ACADEMY,
                    ).certificate_number
                    or ""
                )
            elif command == "exam":
                app.record_exam(
                    c.RecordExam(
                        officer=post,
                        kind=rng.choice(["written", "scenario"]),
                        passed=rng.random() < 0.85,
                        taken_on=on,
                    ),
                    ACADEMY,
                )
            elif command == "issue":
                credential = rng.choice(["cit_officer"] * 3 + ["cit_telecommunicator", "cit_youth"])
                receipt = app.issue_certificate(
                    c.IssueCertificate(officer=post, credential=credential, effective_on=on),
                    ACADEMY,
                )
                numbers.append(receipt.certificate_number or "")
            elif command == "ce":
                app.record_training(
                    c.RecordTraining(
                        officer=post,
                        kind="continuing_education",
                        hours=rng.choice([2, 4, 8]),
                        academy_code=ACADEMY_CODE,
                        completed_on=on,
                    ),
                    ACADEMY,
                )
            elif command in ("renew", "suspend", "reinstate", "revoke") and numbers:
                number = rng.choice(numbers)
                if command == "renew":
                    app.renew_certificate(c.RenewCertificate(number=number, effective_on=on), STATE)
                else:
                    cls = {
                        "suspend": c.SuspendCertificate,
                        "reinstate": c.ReinstateCertificate,
                        "revoke": c.RevokeCertificate,
                    }[command]
                    getattr(app, f"{command}_certificate")(
                        cls(number=number, reason=f"{command} {on}", effective_on=on), STATE
                    )
            elif command == "separate":
                app.separate_officer(
                    c.SeparateOfficer(officer=post, reason="transferred", effective_on=on), AGENCY
                )
            elif command == "transfer":
                app.transfer_officer(
                    c.TransferOfficer(
                        officer=post,
                        agency_code=rng.choice([AGENCY_CODE, OTHER_AGENCY_CODE]),
                        district="South",
                        shift="day",
                        effective_on=on,
                    ),
                    AGENCY,
                )
            elif command == "post":
                app.change_post_status(
                    c.ChangePostStatus(
                        officer=post, status=rng.choice(["active", "suspended"]), effective_on=on
                    ),
                    STATE,
                )
            elif command == "assign":
                app.assign_officer(
                    c.AssignOfficer(
                        officer=post,
                        district="North",
                        shift=rng.choice(["day", "night"]),
                        effective_on=on,
                    ),
                    AGENCY,
                )
            elif command == "correct":
                version = app.officer(post).version
                app.correct_record(
                    c.CorrectRecord(
                        officer=post,
                        corrects_version=rng.randrange(1, version + 1),
                        reason="entered in error",
                    ),
                    STATE,
                )
            else:
                continue
        except RegistryError:
            continue
        done += 1
    return done

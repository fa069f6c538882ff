"""Steps the officer, certification and verification tests take over HTTP: enrol an officer,
train them, pass their exams, certify them. Each takes the caller that acts (the state
unless told) and dates relative to today, since the server's clock is the real one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import ACADEMY, HOME, Api, days_ago

PROBLEM = "application/problem+json"


def ok(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a response that succeeded (200 or 201)."""
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def refused(response: httpx.Response, status: int, rule: str | None = None) -> dict[str, Any]:
    """The problem of a response refused with `status` (and `rule`, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = dict(response.json())
    assert problem["status"] == status
    if rule is not None:
        assert problem.get("rule") == rule, problem
    return problem


def enrolment(post_number: str, agency: str = HOME, **extra: Any) -> dict[str, Any]:
    """The body of an enrolment: two years of patrol, enrolled 400 days ago, North/Day."""
    return {
        "post_number": post_number,
        "name": f"Officer {post_number}",
        "agency_code": agency,
        "patrol_experience_began_on": days_ago(800).isoformat(),
        "district": "North",
        "shift": "Day",
        "effective_on": days_ago(400).isoformat(),
        **extra,
    }


def enrol(api: Api, post_number: str, agency: str = HOME, caller: str = "state") -> str:
    """Enrol an officer; return their registry id."""
    enrolled = api.client(caller).post("/v1/officers", json=enrolment(post_number, agency))
    return str(ok(enrolled)["id"])


def training(academy: str = ACADEMY, **extra: Any) -> dict[str, Any]:
    """The body of the 40-hour academy week, completed 60 days ago."""
    return {
        "kind": "cit_academy",
        "hours": 40,
        "academy_code": academy,
        "began_on": days_ago(64).isoformat(),
        "completed_on": days_ago(60).isoformat(),
        **extra,
    }


def train(api: Api, officer: str, academy: str = ACADEMY, caller: str = "state") -> None:
    """Record the academy week and pass both State CIT exams."""
    client = api.client(caller)
    ok(client.post(f"/v1/officers/{officer}/trainings", json=training(academy)))
    for kind in ("written", "scenario"):
        exam = {"kind": kind, "passed": True, "taken_on": days_ago(60).isoformat()}
        ok(client.post(f"/v1/officers/{officer}/exams", json=exam))


def certify(api: Api, officer: str, caller: str = "state", days: int = 50) -> str:
    """Issue a CIT officer certificate effective `days` ago; return its number."""
    issued = api.client(caller).post(
        f"/v1/officers/{officer}/certifications",
        json={"credential": "cit_officer", "effective_on": days_ago(days).isoformat()},
    )
    return str(ok(issued)["certificate_number"])


def certified(api: Api, post_number: str, agency: str = HOME) -> tuple[str, str]:
    """A new officer of `agency`, trained at the academy and certified: (id, number)."""
    officer = enrol(api, post_number, agency)
    train(api, officer)
    return officer, certify(api, officer)

"""The whole story of one certification, over HTTP, as the people in it would tell it.

An agency enrols an officer; the academy records the 40-hour week and both exams and
issues the certificate; the officer leaves for another department, whose records clerk
verifies the token offline; the state suspends the certificate and the same check fails;
an auditor reads the record back as it stood before the suspension.

The server's clock is the real one, so effective dates are set in the past relative to
today; everything is *recorded* today, in log order. The test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from registry.config import Settings
from registry.signing.errors import ReasonCode
from registry.signing.verify import verify_token
from tests.api.conftest import ACADEMY, HOME, OTHER, Api, days_ago, today

ZONE = ZoneInfo(Settings().timezone)


@contextmanager
def offline() -> Iterator[None]:
    """No network while inside: any attempt to open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("verification tried to reach the network")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        yield


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_whole_story_of_a_certification(api: Api) -> None:
    old_agency, new_agency = api.client("agency"), api.client("other_agency")
    academy, state, auditor = api.client("academy"), api.client("state"), api.client("auditor")
    public = api.client()

    # 1. NORTHPD enrols an officer who has patrolled for two years.
    enrolled = created(
        old_agency.post(
            "/v1/officers",
            json={
                "post_number": "STORY-1",
                "name": "Dana Whitfield",
                "agency_code": HOME,
                "patrol_experience_began_on": days_ago(760).isoformat(),
                "district": "North",
                "shift": "Night",
                "effective_on": days_ago(700).isoformat(),
            },
        )
    )
    officer = enrolled["id"]
    base = f"/v1/officers/{officer}"

    # 2. The academy records the 40-hour week (patrol began 12+ months before it), both
    #    State CIT exams, and issues the certificate.
    created(
        academy.post(
            f"{base}/trainings",
            json={
                "kind": "cit_academy",
                "hours": 40,
                "academy_code": ACADEMY,
                "began_on": days_ago(64).isoformat(),
                "completed_on": days_ago(60).isoformat(),
            },
        )
    )
    for kind in ("written", "scenario"):
        created(
            academy.post(
                f"{base}/exams",
                json={"kind": kind, "passed": True, "taken_on": days_ago(60).isoformat()},
            )
        )
    issued = created(
        academy.post(
            f"{base}/certifications",
            json={"credential": "cit_officer", "effective_on": days_ago(55).isoformat()},
        )
    )
    number = issued["certificate_number"]
    assert issued["expires_on"] > today().isoformat()
    status = public.get(f"/v1/certifications/{number}").json()
    assert status["status"] == "in_force"
    assert status["agency_code"] == HOME

    # 3. The officer leaves NORTHPD for SOUTHPD: the old agency reports the separation,
    #    the new one the transfer.
    created(
        old_agency.post(
            f"{base}/separations",
            json={
                "reason": "transferred",
                "new_agency_code": OTHER,
                "effective_on": days_ago(20).isoformat(),
            },
        )
    )
    moved = created(
        new_agency.post(
            f"{base}/transfers",
            json={
                "agency_code": OTHER,
                "district": "South",
                "shift": "Day",
                "effective_on": days_ago(19).isoformat(),
            },
        )
    )
    assert public.get(f"/v1/certifications/{number}").json()["agency_code"] == OTHER
    before_suspension = moved["version"]

    # 4. SOUTHPD's records clerk gets the officer's token, and the registry's public keys
    #    and status list once; then verifies offline.
    token_response = new_agency.get(f"/v1/certifications/{number}/token")
    assert token_response.status_code == 200, token_response.text
    token = token_response.json()["token"]
    jwks = public.get("/.well-known/jwks.json").json()
    status_list = public.get("/v1/status-lists/1")
    assert status_list.status_code == 200, status_list.text
    first_list = status_list.text

    with offline():
        checked = verify_token(
            token, jwks=jwks, status_list=first_list, now=datetime.now(ZONE), issuer=api.base_url
        )
    assert checked.valid, checked.reasons
    assert checked.claims is not None
    assert checked.claims["sub"] == number
    assert checked.claims["status"]["status_list"]["uri"] == f"{api.base_url}/v1/status-lists/1"
    assert checked.claims["agency"] == OTHER
    assert checked.claims["name"] == "Dana Whitfield"

    # 5. The state suspends the certificate today.
    suspended = created(
        state.post(
            f"/v1/certifications/{number}/suspensions",
            json={"reason": "complaint under review"},
        )
    )
    assert suspended["version"] == before_suspension + 1
    assert public.get(f"/v1/certifications/{number}").json()["status"] == "suspended"

    # The clerk fetches a fresh status list: the same token no longer verifies.
    fresh_list = public.get("/v1/status-lists/1").text
    with offline():
        now = datetime.now(ZONE)
        refused = verify_token(token, jwks=jwks, status_list=fresh_list, now=now)
        # The list fetched before the suspension still says "valid" until its ttl runs
        # out: that is what offline verification trades for needing no network.
        stale_but_in_ttl = verify_token(token, jwks=jwks, status_list=first_list, now=now)
    assert not refused.valid
    assert ReasonCode.SUSPENDED in refused.codes
    assert stale_but_in_ttl.valid
    assert refused.status_as_of is not None and stale_but_in_ttl.status_as_of is not None
    assert refused.status_as_of >= stale_but_in_ttl.status_as_of
    # The registry's own verification agrees (live).
    live = public.post("/v1/verifications", json={"token": token})
    assert live.status_code == 200, live.text
    assert live.json()["valid"] is False
    assert "suspended" in [r["code"] for r in live.json()["reasons"]]

    # 6. An auditor replays the record as it was recorded before the suspension. Every
    #    event carries when it was recorded; the suspension was recorded after all else.
    history = auditor.get(f"{base}/history")
    assert history.status_code == 200, history.text
    entries = history.json()["items"]
    assert [e["version"] for e in entries] == list(range(1, before_suspension + 2))
    suspension = entries[-1]
    assert suspension["details"]["action"] == "suspended"
    assert suspension["effective_on"] == today().isoformat()
    assert suspension["actor_role"] == "state"
    recorded_before = [e for e in entries if e["recorded_at"] < suspension["recorded_at"]]
    assert [e["version"] for e in recorded_before] == list(range(1, before_suspension + 1))
    assert [e["event"] for e in recorded_before][:2] == ["Enrolled", "TrainingRecorded"]
    assert all(e["details"].get("action") != "suspended" for e in recorded_before)
    # The timeline (log order) agrees: the suspension holds the last log position.
    timeline = auditor.get(f"{base}/timeline").json()["items"]
    assert [t["version"] for t in timeline] == [e["version"] for e in entries]
    assert timeline[-1]["position"] == max(t["position"] for t in timeline)

    # What the record said of the certificate on each day (effective time): in force every
    # day before the suspension took effect, suspended from today.
    for day, expected in (
        (days_ago(1), "in_force"),
        (days_ago(30), "in_force"),
        (today(), "suspended"),
    ):
        record = auditor.get(base, params={"on": day.isoformat()})
        assert record.status_code == 200, record.text
        assert record.json()["certificates"][0]["status"] == expected, day

    # "As recorded on" goes by whole days in the registry's zone, and all of this was
    # recorded today: by the end of yesterday the registry had never heard of the officer.
    yesterday = auditor.get(f"{base}/history", params={"as_recorded_on": days_ago(1).isoformat()})
    assert yesterday.status_code == 404, yesterday.text
    held_today = auditor.get(f"{base}/history", params={"as_recorded_on": today().isoformat()})
    assert held_today.json()["items"] == entries
    # An auditor reads; it changes nothing.
    refused = auditor.post(f"/v1/certifications/{number}/reinstatements", json={"reason": "x"})
    assert refused.status_code == 403

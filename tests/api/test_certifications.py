"""Certificates over HTTP: the look-up everyone makes, the state's actions, renewals, tokens."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from registry.api.routes.certifications import Batch
from tests.api.conftest import HOME, OTHER, Api, days_ago, run_apart, today
from tests.api.steps import certified, certify, enrol, ok, refused, train, training

#: What the public (and an academy) may know of a certificate: what a token shows.
PUBLIC_FIELDS = {
    "number",
    "credential",
    "status",
    "on",
    "issued_on",
    "expires_on",
    "reason",
    "holder_name",
    "agency_code",
}


@pytest.fixture(scope="module")
def held(api: Api) -> tuple[str, str]:
    """A NORTHPD officer certified 50 days ago, for reads only: (id, number)."""
    return certified(api, "CE-1")


def test_the_public_sees_only_what_a_token_would_show(api: Api, held: tuple[str, str]) -> None:
    officer, number = held
    for caller in ("public", "academy", "other_agency"):
        shown = api.client(caller).get(f"/v1/certifications/{number}")
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert set(body) == PUBLIC_FIELDS, caller
        assert body["status"] == "in_force"
        assert (body["holder_name"], body["agency_code"]) == ("Officer CE-1", HOME)
        assert body["issued_on"] == days_ago(50).isoformat()
        assert body["on"] == today().isoformat()
        assert shown.headers["vary"] == "Authorization"
        assert shown.headers["cache-control"] == "no-cache"
    for caller in ("state", "auditor", "agency"):
        full = api.client(caller).get(f"/v1/certifications/{number.lower()}").json()
        assert full["officer_id"] == officer, caller
        assert full["post_number"] == "CE-1"
        assert full["withheld"] is False and full["mandated"] is False
        assert isinstance(full["status_idx"], int)


def test_a_withheld_officer_is_nameless_to_the_public(api: Api) -> None:
    officer, number = certified(api, "CE-2")
    withhold = {"withheld": True, "reason": "undercover assignment"}
    ok(api.client("state").post(f"/v1/officers/{officer}/withholding", json=withhold))
    public = api.client().get(f"/v1/certifications/{number}").json()
    assert public["status"] == "in_force"
    assert public["holder_name"] is None and public["agency_code"] is None
    full = api.client("agency").get(f"/v1/certifications/{number}").json()
    assert full["withheld"] is True and full["holder_name"] == "Officer CE-2"

    release = {"withheld": False, "reason": "assignment over"}
    ok(api.client("state").post(f"/v1/officers/{officer}/withholding", json=release))
    assert api.client().get(f"/v1/certifications/{number}").json()["agency_code"] == HOME


def test_the_status_is_answered_for_any_date(api: Api, held: tuple[str, str]) -> None:
    _, number = held
    public = api.client()
    path = f"/v1/certifications/{number}"
    before = public.get(path, params={"on": days_ago(51).isoformat()}).json()
    assert before["status"] == "not_yet_issued"
    expires_on = public.get(path).json()["expires_on"]
    lapsed = public.get(path, params={"on": expires_on}).json()
    assert lapsed["status"] == "expired" and lapsed["on"] == expires_on
    for day in ("1900-01-01", "2199-12-31"):  # the first and last dates the API takes
        assert public.get(path, params={"on": day}).status_code == 200
    for day in ("0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"):
        refused(public.get(path, params={"on": day}), 422)
    for day in ("2024-02-30", "0", "tomorrow", ""):
        refused(public.get(path, params={"on": day}), 422)


def test_an_unknown_or_malformed_number_is_404_or_422(api: Api, held: tuple[str, str]) -> None:
    public = api.client()
    refused(public.get("/v1/certifications/UT-CIT-NOSUCH1"), 404)
    refused(public.get("/v1/certifications/CE-1"), 404)  # a POST number is no certificate
    for bad in ("ab", "x" * 41, "UT_CIT_1", "semi;colon"):
        refused(public.get(f"/v1/certifications/{bad}"), 422)
    refused(public.get(f"/v1/certifications/{held[1]}", headers={"Authorization": "Bearer x"}), 401)


def test_the_state_suspends_reinstates_and_revokes_with_reasons(api: Api) -> None:
    officer, number = certified(api, "CE-3")
    base = f"/v1/certifications/{number}"
    state, public = api.client("state"), api.client()

    suspended = state.post(f"{base}/suspensions", json={"reason": "complaint under review"})
    assert suspended.status_code == 201, suspended.text
    receipt = suspended.json()
    assert (receipt["id"], receipt["certificate_number"]) == (officer, number)
    assert suspended.headers["etag"] == f'"{receipt["version"]}"'
    shown = public.get(base).json()
    assert (shown["status"], shown["reason"]) == ("suspended", "complaint under review")
    refused(state.post(f"{base}/suspensions", json={"reason": "again"}), 422, "already-suspended")

    ok(state.post(f"{base}/reinstatements", json={"reason": "cleared"}))
    assert public.get(base).json()["status"] == "in_force"
    refused(
        state.post(f"{base}/reinstatements", json={"reason": "twice"}),
        422,
        "reinstatement-requires-suspension",
    )

    ok(state.post(f"{base}/revocations", json={"reason": "misconduct"}))
    assert public.get(base).json()["status"] == "revoked"
    before = api.position()
    refused(state.post(f"{base}/renewals"), 422, "no-renewal-of-revoked-certificate")
    refused(state.post(f"{base}/reinstatements", json={"reason": "x"}), 422)
    refused(state.post(f"{base}/suspensions", json={}), 422)
    refused(state.post(f"{base}/suspensions", json={"reason": " "}), 422)
    assert api.position() == before


def test_only_the_state_takes_state_actions_and_a_refusal_writes_nothing(
    api: Api, held: tuple[str, str]
) -> None:
    base = f"/v1/certifications/{held[1]}"
    before = api.position()
    for action in ("suspensions", "reinstatements", "revocations"):
        for caller in ("agency", "academy", "auditor"):
            refused(api.client(caller).post(f"{base}/{action}", json={"reason": "x"}), 403)
        refused(api.client().post(f"{base}/{action}", json={"reason": "x"}), 401)
    for caller in ("agency", "auditor"):
        refused(api.client(caller).post(f"{base}/renewals"), 403)
    assert api.position() == before
    assert api.client().get(base).json()["status"] == "in_force"


def test_a_renewal_needs_the_hours_and_an_academy_renews_only_whom_it_trained(
    api: Api,
) -> None:
    officer, number = certified(api, "CE-4")
    base = f"/v1/certifications/{number}"
    academy = api.client("academy")
    expires_on = api.client().get(base).json()["expires_on"]
    before = api.position()
    refused(academy.post(f"{base}/renewals"), 422, "renewal-continuing-education-required")
    assert api.position() == before

    ce = training(kind="continuing_education", hours=4, completed_on=days_ago(5).isoformat())
    del ce["began_on"]
    ok(academy.post(f"/v1/officers/{officer}/trainings", json=ce))
    renewed = academy.post(f"{base}/renewals", json={})
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["expires_on"] > expires_on
    assert api.client().get(base).json()["expires_on"] == renewed.json()["expires_on"]

    # An officer trained at another academy is not this academy's to renew.
    academy_body = {"code": "DAVIS-CIT", "name": "Davis CIT", "state_certified": True}
    academy_body["effective_on"] = days_ago(3000).isoformat()
    ok(api.client("state").post("/v1/academies", json=academy_body))
    stranger = enrol(api, "CE-5")
    train(api, stranger, "DAVIS-CIT")
    ok(
        api.client("state").post(
            f"/v1/officers/{stranger}/trainings", json={**ce, "academy_code": "DAVIS-CIT"}
        )
    )
    strangers = certify(api, stranger)
    before = api.position()
    refused(academy.post(f"/v1/certifications/{strangers}/renewals"), 403)
    assert api.position() == before
    assert ok(api.client("state").post(f"/v1/certifications/{strangers}/renewals"))["expires_on"]


def test_if_match_and_idempotency_keys_hold_for_certificate_actions(api: Api) -> None:
    officer, number = certified(api, "CE-8")
    state = api.client("state")
    base = f"/v1/certifications/{number}"
    seen = state.get(f"/v1/officers/{number}").headers["etag"]
    headers = {"If-Match": seen, "Idempotency-Key": "ce-8-suspend"}
    first = state.post(f"{base}/suspensions", json={"reason": "review"}, headers=headers)
    assert first.status_code == 201, first.text
    before = api.position()
    again = state.post(f"{base}/suspensions", json={"reason": "review"}, headers=headers)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    stale = state.post(f"{base}/reinstatements", json={"reason": "ok"}, headers={"If-Match": seen})
    refused(stale, 412)
    assert api.position() == before
    assert officer == first.json()["id"]


def test_a_command_about_an_unknown_certificate_is_404_and_writes_nothing(api: Api) -> None:
    state = api.client("state")
    officer = enrol(api, "CE-9")
    agency = {"code": "CEPD", "name": "CE Police", "region": "Wasatch"}
    agency_id = ok(
        state.post("/v1/agencies", json={**agency, "districts": ["N"], "shifts": ["D"]})
    )["id"]
    before = api.position()
    for number in ("UT-CIT-NOSUCH2", "CE-9", officer, agency_id):
        refused(state.post(f"/v1/certifications/{number}/suspensions", json={"reason": "x"}), 404)
        refused(state.post(f"/v1/certifications/{number}/renewals"), 404)
        refused(state.get(f"/v1/certifications/{number}/token"), 404)
    assert api.position() == before


def test_the_state_and_the_holders_agency_get_a_token(api: Api, held: tuple[str, str]) -> None:
    _, number = held
    for caller in ("state", "agency"):
        issued = api.client(caller).get(f"/v1/certifications/{number}/token")
        assert issued.status_code == 200, issued.text
        assert issued.headers["cache-control"] == "no-store"
        assert issued.json()["token"].count(".") == 2
    before = api.position()
    for caller in ("other_agency", "academy", "auditor"):
        refused(api.client(caller).get(f"/v1/certifications/{number}/token"), 403)
    refused(api.client().get(f"/v1/certifications/{number}/token"), 401)
    assert api.position() == before


def test_no_token_for_a_certificate_not_in_force(api: Api) -> None:
    _, number = certified(api, "CE-10")
    ok(api.client("state").post(f"/v1/certifications/{number}/suspensions", json={"reason": "x"}))
    refused(
        api.client("agency").get(f"/v1/certifications/{number}/token"),
        422,
        "token-needs-certificate-in-force",
    )


def test_an_agency_sees_the_full_record_only_of_the_officers_it_employs_today(
    api: Api,
) -> None:
    officer, number = certified(api, "CE-11")
    separation = {"reason": "transferred", "new_agency_code": OTHER}
    ok(api.client("agency").post(f"/v1/officers/{officer}/separations", json=separation))
    transfer = {"agency_code": OTHER}
    ok(api.client("other_agency").post(f"/v1/officers/{officer}/transfers", json=transfer))
    path = f"/v1/certifications/{number}"
    assert "officer_id" in api.client("other_agency").get(path).json()
    assert set(api.client("agency").get(path).json()) == PUBLIC_FIELDS
    # Asked about a day it employed the officer, the old agency still sees the public view.
    last_week = {"on": days_ago(7).isoformat()}
    past = api.client("agency").get(path, params=last_week).json()
    assert set(past) == PUBLIC_FIELDS and past["agency_code"] == HOME
    refused(api.client("agency").get(f"{path}/token"), 403)
    assert ok(api.client("other_agency").get(f"{path}/token"))["token"]


def test_the_publics_look_up_answers_exactly_as_the_route_does(
    api: Api, held: tuple[str, str]
) -> None:
    """The public's look-ups are answered before routing; an academy's go through the
    route. Both show the public view: the same answer, byte for byte, and the same headers."""
    _, number = held
    path = f"/v1/certifications/{number}"
    for params in ({}, {"on": days_ago(20).isoformat()}, {"on": days_ago(60).isoformat()}):
        fast = api.client().get(path, params=params)
        routed = api.client("academy").get(path, params=params)
        assert fast.status_code == routed.status_code == 200
        assert fast.content == routed.content
        for header in ("content-type", "cache-control", "vary"):
            assert fast.headers[header] == routed.headers[header], header
    # A query the fast path does not read goes to the route: the same answer.
    other = api.client().get(path, params={"on": today().isoformat(), "page": "2"})
    assert other.content == api.client().get(path.lower()).content


def test_public_look_ups_at_once_each_get_their_own_answer(api: Api) -> None:
    numbers = [certified(api, f"CE-2{n}")[1] for n in range(3)]
    asked = [*numbers, "UT-CIT-MISSING9"] * 25

    def look_up(number: str) -> tuple[str, int, str | None]:
        with httpx.Client(base_url=api.base_url, timeout=30) as client:
            response = client.get(f"/v1/certifications/{number}")
            found = response.json().get("number") if response.status_code == 200 else None
            return number, response.status_code, found

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(look_up, asked))
    for number, status, found in answers:
        if number == "UT-CIT-MISSING9":
            assert status == 404
        else:
            assert (status, found) == (200, number)


class FailingViews:
    """Read models whose database does not answer."""

    dialect = "sqlite"

    def sql(self, statement: str) -> str:
        return statement

    def reading(self) -> Any:
        raise sqlite3.OperationalError("disk I/O error")


def test_a_batch_whose_query_fails_leaves_every_look_up_to_the_route() -> None:
    services = SimpleNamespace(views=FailingViews())

    async def ask() -> list[Any]:
        batch = Batch()
        return await asyncio.gather(
            *(batch.status(services, n, today()) for n in ("UT-CIT-1", "UT-CIT-2"))  # type: ignore[arg-type]
        )

    assert run_apart(ask()) == [None, None]

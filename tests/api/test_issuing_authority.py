"""Who may issue and renew, over HTTP on a real server (SQLite and PostgreSQL): the state,
or the key of a state-certified academy on a completion it recorded itself. Every other
caller is refused and nothing is written."""

from __future__ import annotations

import httpx
import pytest

from registry.access import ApiKeys
from registry.application import Registry
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.access import ApiRole
from tests.api.conftest import ACADEMY, STATE, Api, days_ago
from tests.api.steps import certify, enrol, ok, refused, train

#: A second state-certified academy, and one that is not state-certified.
OTHER, UNCERTIFIED = "AUTH-CIT", "AUTH-INHOUSE"


@pytest.fixture(scope="module")
def clients(api: Api) -> dict[str, httpx.Client]:
    """A client for every caller, the staff of the two other academies included."""
    app = Registry(Settings(database=api.database))
    try:
        extra = {}
        for code, certified in ((OTHER, True), (UNCERTIFIED, False)):
            app.execute(
                c.RegisterAcademy(
                    code=code,
                    name=f"{code} academy",
                    state_certified=certified,
                    effective_on=days_ago(3000),
                ),
                STATE,
            )
            extra[code], _ = ApiKeys(app).create(ApiRole.ACADEMY, STATE, academy_code=code)
    finally:
        app.close()
    found = {name: api.client(name) for name in ("public", "state", "auditor", "agency")}
    found["trained"] = api.client("academy")  # UPA's staff, who train the officers here
    for name, code in (("other", OTHER), ("uncertified", UNCERTIFIED)):
        found[name] = httpx.Client(
            base_url=api.base_url, headers={"Authorization": f"Bearer {extra[code]}"}, timeout=30
        )
    return found


def record(client: httpx.Client, officer: str, academy: str, kind: str, hours: float) -> None:
    body = {
        "kind": kind,
        "hours": hours,
        "academy_code": academy,
        "completed_on": days_ago(40).isoformat(),
    }
    ok(client.post(f"/v1/officers/{officer}/trainings", json=body))


def test_only_the_state_and_the_certified_academy_that_trained_issue(api: Api, clients) -> None:
    officer = enrol(api, "AUTH-1")
    train(api, officer, caller="academy")  # UPA's staff record the week and both exams
    # Recording a class gives no authority to issue.
    record(clients["other"], officer, OTHER, "continuing_education", 1)
    record(clients["uncertified"], officer, UNCERTIFIED, "awareness", 2)
    issue = {"credential": "cit_officer", "effective_on": days_ago(30).isoformat()}
    path = f"/v1/officers/{officer}/certifications"

    before = api.position()
    refused(clients["public"].post(path, json=issue), 401)
    for caller in ("auditor", "agency"):
        refused(clients[caller].post(path, json=issue), 403)
    for caller in ("other", "uncertified"):
        refused(clients[caller].post(path, json=issue), 403, "issuer-authority")
    assert api.position() == before

    issued = ok(clients["trained"].post(path, json=issue))
    assert issued["certificate_number"].startswith("UT-CIT-")
    history = ok(clients["state"].get(f"/v1/officers/{officer}/history"))["items"]
    assert history[-1]["actor_role"] == "academy"


def test_an_academy_does_not_issue_on_a_week_the_state_recorded(api: Api, clients) -> None:
    officer = enrol(api, "AUTH-2")
    train(api, officer)  # recorded by the state's key, at UPA
    issue = {"credential": "cit_officer", "effective_on": days_ago(30).isoformat()}
    path = f"/v1/officers/{officer}/certifications"

    before = api.position()
    refused(clients["trained"].post(path, json=issue), 403, "issuer-authority")
    assert api.position() == before
    assert ok(clients["state"].post(path, json=issue))["certificate_number"]


def test_an_academy_renews_on_the_hours_it_taught_itself(api: Api, clients) -> None:
    officer = enrol(api, "AUTH-3")
    train(api, officer, caller="academy")
    number = certify(api, officer, caller="academy")
    record(clients["other"], officer, OTHER, "continuing_education", 4)
    path = f"/v1/certifications/{number}/renewals"

    before = api.position()
    refused(clients["public"].post(path, json={}), 401)
    for caller in ("auditor", "agency"):
        refused(clients[caller].post(path, json={}), 403)
    # The academy that issued taught none of this cycle's hours; the uncertified one none.
    for caller in ("trained", "uncertified"):
        refused(clients[caller].post(path, json={}), 403, "issuer-authority")
    assert api.position() == before

    renewed = ok(clients["other"].post(path, json={}))
    assert renewed["expires_on"] > ok(api.client().get(f"/v1/certifications/{number}"))["issued_on"]


def test_a_suspended_certificate_is_not_renewed_until_reinstated(api: Api, clients) -> None:
    officer = enrol(api, "AUTH-4")
    train(api, officer, caller="academy")
    number = certify(api, officer, caller="academy")
    record(clients["trained"], officer, ACADEMY, "continuing_education", 4)
    state = clients["state"]
    ok(state.post(f"/v1/certifications/{number}/suspensions", json={"reason": "review"}))
    path = f"/v1/certifications/{number}/renewals"

    before = api.position()
    for caller in ("state", "trained"):
        refused(clients[caller].post(path, json={}), 422, "no-renewal-while-suspended")
    assert api.position() == before

    ok(state.post(f"/v1/certifications/{number}/reinstatements", json={"reason": "cleared"}))
    assert ok(clients["trained"].post(path, json={}))["expires_on"]

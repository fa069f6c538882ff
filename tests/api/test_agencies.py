"""Agencies and academies over HTTP."""

from __future__ import annotations

from tests.api.conftest import HOME, OTHER, Api

PROBLEM = "application/problem+json"


def new_agency(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"{code} Sheriff",
        "region": "Uintah Basin",
        "districts": ["East", "West"],
        "shifts": ["Day", "Swing", "Night"],
    }


def test_state_registers_an_agency_and_the_public_sees_its_tier(api: Api) -> None:
    created = api.client("state").post("/v1/agencies", json=new_agency("VERNAL"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/agencies/VERNAL"
    assert created.headers["etag"] == '"1"'

    shown = api.client().get("/v1/agencies/VERNAL")
    assert shown.status_code == 200
    assert shown.json()["districts"] == ["East", "West"]
    assert shown.json()["tier"] == "none"
    listed = api.client().get("/v1/agencies", params={"limit": 500}).json()
    assert "VERNAL" in [a["code"] for a in listed["items"]]


def test_a_retry_with_the_same_idempotency_key_writes_nothing(api: Api) -> None:
    state = api.client("state")
    headers = {"Idempotency-Key": "register-moab-1"}
    first = state.post("/v1/agencies", json=new_agency("MOAB"), headers=headers)
    before = api.client().get("/healthz").json()["log_position"]
    again = state.post("/v1/agencies", json=new_agency("MOAB"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert api.client().get("/healthz").json()["log_position"] == before

    changed = {**new_agency("MOAB"), "name": "Another name"}
    refused = state.post("/v1/agencies", json=changed, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"].endswith(":idempotency-conflict")
    assert api.client().get("/healthz").json()["log_position"] == before


def test_a_duplicate_code_is_refused_by_its_rule_and_writes_nothing(api: Api) -> None:
    before = api.client().get("/healthz").json()["log_position"]
    refused = api.client("state").post("/v1/agencies", json=new_agency(HOME))
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"] == "urn:cit-registry:problem:rule-violation"
    assert body["rule"] == "agency-code-unique"
    assert api.client().get("/healthz").json()["log_position"] == before


def test_malformed_bodies_get_problems_not_server_errors(api: Api) -> None:
    state = api.client("state")
    not_json = state.post(
        "/v1/agencies", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == PROBLEM
    extra = state.post("/v1/agencies", json={**new_agency("PRICE"), "mayor": "x"})
    assert extra.status_code == 422
    assert ["body", "mayor"] in [e["loc"] for e in extra.json()["errors"]]
    huge = state.post(
        "/v1/agencies", content=b"x" * 100_000, headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413
    assert api.client().get("/v1/agencies/PRICE").status_code == 404


def test_an_agency_key_reads_only_its_own_agency(api: Api) -> None:
    agency = api.client("agency")
    for path in ("roster", "coverage", "expiring", "changes"):
        assert agency.get(f"/v1/agencies/{HOME}/{path}").status_code == 200, path
        refused = agency.get(f"/v1/agencies/{OTHER}/{path}")
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == PROBLEM


def test_keys_that_are_missing_wrong_or_malformed_are_refused(api: Api) -> None:
    assert api.client().get(f"/v1/agencies/{HOME}/roster").status_code == 401
    for header in ("Bearer cit.nope.nope", "Basic abc", "Bearer x", api.keys["state"][:-2]):
        response = api.client().get(
            f"/v1/agencies/{HOME}/roster", headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"].startswith("Bearer")

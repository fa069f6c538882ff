"""Bulk import and signing keys over HTTP."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Api

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "legacy-roster.csv"
CSV = {"content-type": "text/csv"}


def position(api: Api) -> int:
    return api.client().get("/healthz").json()["log_position"]


def test_the_state_imports_a_roster_and_a_second_run_imports_nothing(api: Api) -> None:
    state = api.client("state")
    first = state.post("/v1/imports", content=SAMPLE.read_bytes(), headers=CSV)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["imported"] > 0
    assert (
        report["imported"] + report["already_imported"] + len(report["refused"]) == report["rows"]
    )
    # The sample has rows that break rules; each is reported by line and reason.
    assert all(r["line"] > 1 and r["reason"] for r in report["refused"])
    # The read models show the import at once.
    assert state.get("/v1/agencies/SLCPD/roster").json()["total"] > 0

    before = position(api)
    again = state.post("/v1/imports", content=SAMPLE.read_bytes(), headers=CSV).json()
    assert again["imported"] == 0
    assert again["already_imported"] == report["imported"] + report["already_imported"]
    assert again["refused"] == report["refused"]
    assert position(api) == before


def test_an_import_that_is_not_a_roster_is_refused_whole(api: Api) -> None:
    state = api.client("state")
    before = position(api)
    for body in (b"name,age\nx,1\n", b"\xff\xfe\x00garbage", b""):
        refused = state.post("/v1/imports", content=body, headers=CSV)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"] == "application/problem+json"
    assert position(api) == before


def test_only_the_state_imports(api: Api) -> None:
    before = position(api)
    for caller, status in (("public", 401), ("agency", 403), ("auditor", 403), ("academy", 403)):
        response = api.client(caller).post("/v1/imports", content=SAMPLE.read_bytes(), headers=CSV)
        assert response.status_code == status, caller
    assert position(api) == before


def test_the_state_rotates_and_retires_signing_keys(api: Api) -> None:
    state = api.client("state")
    first = state.post("/v1/signing-keys/token/rotation")
    assert first.status_code == 201, first.text
    old = next(k["kid"] for k in first.json()["keys"] if k["signs"])
    second = state.post("/v1/signing-keys/token/rotation").json()
    new = next(k["kid"] for k in second["keys"] if k["signs"])
    assert new != old

    # The key that signs now cannot be retired; the older one can, with a reason.
    active = state.post(f"/v1/signing-keys/token/{new}/retirement", json={"reason": "test"})
    assert active.status_code == 422
    assert active.json()["rule"] == "signing-key-cannot-be-retired"
    before = position(api)
    for refused in ({"reason": ""}, {"reason": "   "}, {"reason": "a\x00b"},
                    {"reason": "rotated", "extra": 1}, {}):  # fmt: skip
        no_reason = state.post(f"/v1/signing-keys/token/{old}/retirement", json=refused)
        assert no_reason.status_code == 422, (refused, no_reason.text)
        assert no_reason.headers["content-type"] == "application/problem+json"
    assert position(api) == before, "nothing written"
    retired = state.post(f"/v1/signing-keys/token/{old}/retirement", json={"reason": "rotated"})
    assert retired.status_code == 200
    listed = api.client().get("/v1/signing-keys/token").json()["keys"]
    assert {k["kid"]: k["retired_on"] is not None for k in listed}[old] is True
    jwks = api.client().get("/.well-known/jwks.json")
    assert jwks.status_code == 200, jwks.text
    published = [k["kid"] for k in jwks.json()["keys"]]
    assert new in published
    assert old not in published, "the JWK Set lists only keys that verify"


def test_keys_are_rotated_only_by_the_state(api: Api) -> None:
    before = position(api)
    assert api.client().post("/v1/signing-keys/token/rotation").status_code == 401
    assert api.client("auditor").post("/v1/signing-keys/token/rotation").status_code == 403
    assert api.client("state").post("/v1/signing-keys/other/rotation").status_code == 422
    assert position(api) == before

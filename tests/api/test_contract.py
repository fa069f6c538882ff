"""The OpenAPI contract, fuzzed: schemathesis against the live server's /openapi.json.

For every operation in the document, schemathesis' coverage phase first sends the cases it
derives from the schema itself: each value at its boundaries, and each parameter and body
field given one wrong value at a time (a number or a string for a boolean, a boolean or a
string for a number, a date out of range, a missing field) while the rest stay valid and
name records that exist. Then hypothesis generates requests from the schema: valid ones
(some aimed at records that exist, so they get past 404) and invalid ones. Every response
must be free of server errors, carry a documented status code and content type, and match
the documented schema (bodies and headers); invalid requests must be refused.

Each back end gets a pass with the state's key (every operation is open to it) and a
smaller public pass (no key: 401 where one is needed). On PostgreSQL the passes are
smaller again: the same code answers, and the SQLite pass is the thorough one.

`REGISTRY_TEST_FUZZ=N` runs N examples per operation and pass instead, with fresh random
data each run (the default is derandomized, so CI is repeatable), to hunt for more.

(`schemathesis.pytest.from_fixture` would be the usual way in, but it does not run on
pytest 9, so each operation's strategy is driven by hypothesis directly.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override, with_config_headers
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ACADEMY, HOME, Api, days_ago

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
#: Examples per operation and pass: (state, public), by back end.
EXAMPLES = {"sqlite": (40, 15), "postgres": (15, 6)}
#: More examples, from fresh random data (REGISTRY_TEST_FUZZ=N).
HUNT = int(os.environ.get("REGISTRY_TEST_FUZZ", "0"))


@pytest.fixture(scope="module")
def known(api: Api) -> dict[str, Any]:
    """Records that exist, for path parameters: an agency, a certified officer and their
    certificate, a signing key, a status list."""
    agency, academy, state = api.client("agency"), api.client("academy"), api.client("state")
    enrolled = agency.post(
        "/v1/officers",
        json={
            "post_number": "FUZZ-1",
            "name": "Fuzz Target",
            "agency_code": HOME,
            "patrol_experience_began_on": days_ago(800).isoformat(),
            "effective_on": days_ago(400).isoformat(),
        },
    )
    assert enrolled.status_code == 201, enrolled.text
    officer = enrolled.json()["id"]
    steps = [
        (
            "trainings",
            {
                "kind": "cit_academy",
                "hours": 40,
                "academy_code": ACADEMY,
                "began_on": days_ago(60).isoformat(),
                "completed_on": days_ago(56).isoformat(),
            },
        ),
        ("exams", {"kind": "written", "passed": True, "taken_on": days_ago(56).isoformat()}),
        ("exams", {"kind": "scenario", "passed": True, "taken_on": days_ago(56).isoformat()}),
        ("certifications", {"credential": "cit_officer", "effective_on": days_ago(50).isoformat()}),
    ]
    for path, body in steps:
        done = academy.post(f"/v1/officers/{officer}/{path}", json=body)
        assert done.status_code == 201, done.text
    number = done.json()["certificate_number"]
    token = state.get(f"/v1/certifications/{number}/token")
    assert token.status_code == 200, token.text
    kid = api.client().get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    return {
        "code": HOME,
        "id": officer,
        "officer": officer,
        "number": number,
        "purpose": "token",
        "kid": kid,
        "list_id": 1,
    }


def coverage_cases(operation: Any, existing: dict[str, Any]) -> Iterator[schemathesis.Case]:
    """Schemathesis' coverage-phase cases of `operation`, positive and negative. A case
    about anything but the path names the records in `existing`, so that a wrong value in
    a body or a query reaches the command or the query it is meant for (an unknown officer
    would be refused with 404 whatever the body held); a case about the path keeps its own."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    config = operation.schema.config.generation_for(operation=operation, phase="coverage")
    # The key configured for the pass is sent with every case, as with the fuzzed ones.
    headers = with_config_headers(operation.schema.config, operation=operation).headers
    for about_the_path in (False, True):
        named = {} if about_the_path else existing
        override = Override(headers=dict(headers), path_parameters=dict(named))
        cases = CoverageGenerator(
            operation=operation,
            generation_modes=modes,
            generation_config=config,
            auth_storage=None,
            override=override,
            feedback=FeedbackSources(),
        )
        for case in cases:
            if _about_the_path(case) == about_the_path:
                yield case


def _about_the_path(case: schemathesis.Case) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    locations = {getattr(data, "parameter_location", None)}
    locations |= {m.parameter_location for m in getattr(data, "mutations", ())}
    return ParameterLocation.PATH in locations


def fuzz(api: Api, known: dict[str, Any], caller: str, examples: int) -> list[str]:
    """Fuzz every operation as `caller`; return what failed (one entry per operation)."""
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    if caller != "public":
        schema.config.update(headers={"Authorization": f"Bearer {api.keys[caller]}"})
    # The key is sent with every request (above), not generated; unknown query parameters
    # are ignored by design, so they are not offered as invalid input.
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        existing = {name: known[name] for name in names if name in known}
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if existing:
            strategies.append(
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=existing)
            )

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=HUNT or examples,
            deadline=None,
            database=None,
            derandomize=not HUNT,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)

        for case in coverage_cases(operation, existing):
            try:
                case.call_and_validate(checks=CHECKS, timeout=30)
            # (schemathesis reports a case's failures as a BaseExceptionGroup)
            except (Exception, BaseExceptionGroup) as e:  # the first failure is reported
                failures.append(f"{operation.label} (coverage): {e}")
                break
        try:
            check()
        except Exception as e:  # every operation is fuzzed; all failures are reported
            failures.append(f"{operation.label}: {e}")
    assert operations >= 30, f"only {operations} operations in the document"
    return failures


def test_the_state_pass_keeps_the_contract(api: Api, known: dict[str, Any], request) -> None:
    examples = EXAMPLES[request.node.callspec.params["api"]][0]
    failures = fuzz(api, known, "state", examples)
    assert not failures, "\n\n".join(failures)
    assert api.client().get("/healthz").status_code == 200


def test_the_public_pass_keeps_the_contract(api: Api, known: dict[str, Any], request) -> None:
    examples = EXAMPLES[request.node.callspec.params["api"]][1]
    failures = fuzz(api, known, "public", examples)
    assert not failures, "\n\n".join(failures)


def test_dates_are_iso_only_never_a_unix_timestamp(api: Api) -> None:
    """Found by the fuzzing: pydantic reads a number as a Unix timestamp, so `?on=0` meant
    1970-01-01 and `"effective_on": 0` was recorded as such."""
    state = api.client("state")
    for on in ("0", "1704067200", "0.0", "2024-1-1"):
        refused = state.get("/v1/agencies", params={"on": on})
        assert refused.status_code == 422, (on, refused.text)
        assert refused.json()["errors"][0]["loc"] == ["query", "on"]
    assert state.get("/v1/agencies", params={"on": "2024-01-01"}).status_code == 200

    before = api.position()
    for when in (0, 0.0, 1704067200, "1704067200"):
        body = {"code": "EPOCH", "name": "Epoch Academy", "state_certified": True}
        refused = state.post("/v1/academies", json={**body, "effective_on": when})
        assert refused.status_code == 422, (when, refused.text)
    assert api.position() == before


def test_a_nul_character_is_refused_before_it_can_stall_the_read_models(api: Api) -> None:
    """Found by the fuzzing: PostgreSQL keeps no NUL in a text column, so a command holding
    one was recorded but could not be projected, and every command after it answered 503
    while the read models stood still. Now it is refused (422) and nothing is written."""
    state, agency = api.client("state"), api.client("agency")
    before = api.position()
    bad = [
        (state, "/v1/agencies", {"code": "NULPD", "name": "N", "region": "a\x00b",
                                 "districts": ["A"], "shifts": ["D"]}),
        (agency, "/v1/officers", {"post_number": "NUL-1", "name": "Nul\x00l",
                                  "agency_code": HOME,
                                  "patrol_experience_began_on": days_ago(800).isoformat()}),
        (state, "/v1/agencies", {"code": "NULPD", "name": "N", "region": "W",
                                 "districts": ["A", "B\x00"], "shifts": ["D"]}),
    ]  # fmt: skip
    for client, path, body in bad:
        refused = client.post(path, json=body)
        assert refused.status_code == 422, refused.text
        assert "NUL" in refused.json()["detail"]
    assert api.position() == before
    health = api.client().get("/healthz").json()
    assert set(health["projections"].values()) == {0}


def test_a_query_parameter_given_twice_is_refused(api: Api, known: dict[str, Any]) -> None:
    """Of `?on=A&on=B` the framework would read the last, quietly; the caller could not tell
    which day was answered. Every query parameter takes one value, so a repeat is a 400."""
    number = known["number"]
    once = api.client().get(f"/v1/certifications/{number}", params={"on": days_ago(1)})
    assert once.status_code == 200, once.text
    for client, path, query in [
        (api.client(), f"/v1/certifications/{number}", "on=2025-01-01&on=2025-06-01"),
        (api.client(), "/v1/agencies", "limit=1&offset=0&limit=2"),
        (api.client("agency"), f"/v1/agencies/{HOME}/changes", "after=0&after=5"),
    ]:
        refused = client.get(f"{path}?{query}")
        assert refused.status_code == 400, (path, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "repeated" in refused.json()["detail"]


def test_every_query_parameter_takes_one_value(api: Api) -> None:
    """What lets a repeated parameter be refused: no operation takes a list in its query."""
    document = api.client().get("/openapi.json").json()
    parameters = [
        (path, p["name"], p["schema"])
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if p["in"] == "query"
    ]
    assert parameters, "the document lists query parameters"
    listed = [(path, name) for path, name, schema in parameters if "array" in json.dumps(schema)]
    assert listed == []

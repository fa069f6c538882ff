"""What the API accepts, exactly: JSON booleans for booleans, JSON numbers for numbers,
`YYYY-MM-DD` dates from 1900-01-01 to 2199-12-31, in bodies and in queries; and a path
that names no route is a 404 problem, never a redirect.

Every refusal here is a 422 (or 404) problem that names what is wrong, and writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from registry.domain.commands import EARLIEST, LATEST
from tests.api.conftest import ACADEMY, HOME, Api, days_ago
from tests.api.steps import PROBLEM, certified, enrol, enrolment, ok, refused, training

#: Dates outside the range, and the first and last inside it.
OUT_OF_RANGE = ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]
BOUNDS = [EARLIEST.isoformat(), LATEST.isoformat()]


@pytest.fixture(scope="module")
def known(api: Api) -> dict[str, str]:
    """A certified officer, their certificate, and the version of their first exam."""
    officer, number = certified(api, "IN-1")
    history = ok(api.client("state").get(f"/v1/officers/{officer}/history"))
    exam = next(e for e in history["items"] if e["event"] == "ExamRecorded")
    return {
        "code": HOME,
        "id": officer,
        "number": number,
        "purpose": "token",
        "exam_version": str(exam["version"]),
    }


def _refused_naming(response: Any, *where: str) -> dict[str, Any]:
    """The 422 problem of `response`, whose first error is at `where`."""
    problem = refused(response, 422)
    assert problem["type"] == "urn:cit-registry:problem:invalid-input", problem
    assert problem["errors"][0]["loc"] == list(where), problem
    return problem


def _coerced(officer: str, exam_version: str) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(caller, method, path, body, field) of commands with one value of the wrong JSON type:
    each would have been read as the right type, and recorded, before."""
    exam = {"kind": "written", "taken_on": days_ago(10).isoformat()}
    academy = {"code": "COERCE", "name": "Coerced Academy", "effective_on": "2020-01-01"}
    agency = {
        "code": "COERCEPD",
        "name": "Coerced Police",
        "region": "Wasatch",
        "districts": ["A"],
        "shifts": ["Day"],
        "effective_on": "2020-01-01",
    }
    correction = {"corrects_version": int(exam_version), "reason": "typo"}
    return [
        ("state", "POST", f"/v1/officers/{officer}/exams", {**exam, "passed": 0}, "passed"),
        ("state", "POST", f"/v1/officers/{officer}/exams", {**exam, "passed": 1}, "passed"),
        ("state", "POST", f"/v1/officers/{officer}/exams", {**exam, "passed": "true"}, "passed"),
        ("state", "POST", f"/v1/officers/{officer}/exams", {**exam, "passed": None}, "passed"),
        ("state", "POST", "/v1/academies", {**academy, "state_certified": 0}, "state_certified"),
        ("state", "POST", "/v1/academies", {**academy, "state_certified": "yes"},
         "state_certified"),
        ("state", "POST", f"/v1/academies/{ACADEMY}/certification",
         {"state_certified": 1, "reason": "audit"}, "state_certified"),
        ("state", "POST", "/v1/agencies", {**agency, "in_house_course": 0}, "in_house_course"),
        ("state", "PATCH", f"/v1/agencies/{HOME}", {"in_house_course": 0}, "in_house_course"),
        ("state", "POST", f"/v1/officers/{officer}/trainings", training(hours=True), "hours"),
        ("state", "POST", f"/v1/officers/{officer}/trainings", training(hours="40"), "hours"),
        ("state", "POST", f"/v1/officers/{officer}/trainings", training(volunteered=0),
         "volunteered"),
        ("state", "POST", f"/v1/officers/{officer}/separations",
         {"reason": "resigned", "investigation_open": "false"}, "investigation_open"),
        ("state", "POST", f"/v1/officers/{officer}/withholding",
         {"withheld": 1, "reason": "court order"}, "withheld"),
        ("state", "POST", f"/v1/officers/{officer}/corrections",
         {**correction, "corrects_version": True}, "corrects_version"),
        ("state", "POST", f"/v1/officers/{officer}/corrections",
         {**correction, "corrects_version": exam_version}, "corrects_version"),
        ("state", "POST", f"/v1/officers/{officer}/corrections",
         {**correction, "amendments": {"passed": 0}}, "amendments"),
        ("state", "POST", f"/v1/officers/{officer}/corrections",
         {**correction, "amendments": {"hours": "40"}}, "amendments"),
    ]  # fmt: skip


def test_a_value_of_the_wrong_json_type_is_refused_and_writes_nothing(
    api: Api, known: dict[str, str]
) -> None:
    """`"passed": 0` is not false and `"hours": "40"` is not forty: each is refused with
    422 naming the field, where pydantic's lax mode would have read and recorded it."""
    before = api.position()
    for caller, method, path, body, field in _coerced(known["id"], known["exam_version"]):
        response = api.client(caller).request(method, path, json=body)
        problem = refused(response, 422)
        assert problem["type"] == "urn:cit-registry:problem:invalid-input", (path, body, problem)
        assert problem["errors"][0]["loc"][:2] == ["body", field], (path, body, problem)
    assert api.position() == before


def test_the_same_commands_with_json_types_are_recorded(api: Api) -> None:
    """The refusals above are about the types alone: with a JSON boolean and a JSON number
    (an integer or not), the same commands are recorded."""
    state = api.client("state")
    officer = enrol(api, "IN-2")
    exam = {"kind": "written", "passed": False, "taken_on": days_ago(10).isoformat()}
    ok(state.post(f"/v1/officers/{officer}/exams", json=exam))
    ok(state.post(f"/v1/officers/{officer}/trainings", json=training(hours=40.0)))
    ok(state.post(f"/v1/officers/{officer}/trainings", json=training(hours=7.5, volunteered=False)))
    academy = {"code": "TYPED", "name": "Typed Academy", "effective_on": "2020-01-01"}
    ok(state.post("/v1/academies", json={**academy, "state_certified": False}))
    record = ok(state.get(f"/v1/officers/{officer}"))
    assert record["post_number"] == "IN-2"


def test_a_date_out_of_range_in_a_body_is_refused_and_writes_nothing(
    api: Api, known: dict[str, str]
) -> None:
    """Every date a command takes is from 1900-01-01 to 2199-12-31: year 1 is no more an
    enrolment, a patrol start, a training, an exam or a correction than year 9999."""
    officer = known["id"]
    exam = {"kind": "written", "passed": True}
    correction = {"corrects_version": int(known["exam_version"]), "reason": "typo"}
    cases: list[tuple[str, str, dict[str, Any], list[str]]] = [
        ("/v1/officers", "patrol_experience_began_on", enrolment("IN-3"), []),
        ("/v1/officers", "effective_on", enrolment("IN-3"), []),
        (f"/v1/officers/{officer}/trainings", "completed_on", training(), []),
        (f"/v1/officers/{officer}/trainings", "began_on", training(), []),
        (f"/v1/officers/{officer}/exams", "taken_on", exam, []),
        (f"/v1/officers/{officer}/corrections", "taken_on", correction, ["amendments"]),
        (f"/v1/officers/{officer}/post-status", "effective_on", {"status": "active"}, []),
        (f"/v1/certifications/{known['number']}/renewals", "effective_on", {}, []),
        ("/v1/academies", "effective_on",
         {"code": "RANGE", "name": "Range Academy", "state_certified": True}, []),
    ]  # fmt: skip
    state = api.client("state")
    before = api.position()
    for path, field, body, inside in cases:
        for day in OUT_OF_RANGE:
            sent = {**body, inside[0]: {field: day}} if inside else {**body, field: day}
            _refused_naming(state.post(path, json=sent), "body", *inside, field)
    assert api.position() == before


def test_the_first_date_of_the_range_is_accepted_and_the_last_is_left_to_the_rules(
    api: Api,
) -> None:
    """1900-01-01 is a date like any other; 2199-12-31 passes the input check and is refused
    by the rule against future dates, as a date of next week is."""
    state = api.client("state")
    enrolled = state.post(
        "/v1/officers", json=enrolment("IN-4", patrol_experience_began_on=BOUNDS[0])
    )
    ok(enrolled)
    before = api.position()
    late = state.post("/v1/officers", json=enrolment("IN-5", effective_on=BOUNDS[1]))
    problem = refused(late, 422)
    assert problem["type"] != "urn:cit-registry:problem:invalid-input", problem
    assert problem.get("rule"), problem
    assert api.position() == before


def _date_queries(api: Api, known: dict[str, str]) -> list[tuple[str, str]]:
    """(path, parameter) of every operation in the document that takes a date in its query,
    with its path parameters filled from records that exist."""
    document = api.client().get("/openapi.json").json()
    found = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query" or "format" not in str(parameter["schema"]):
                    continue
                assert method == "get", (template, parameter)
                path = template
                for name, value in known.items():
                    path = path.replace(f"{{{name}}}", value)
                assert "{" not in path, f"no record for {template}"
                found.append((path, parameter["name"]))
    return found


def test_every_date_in_a_query_is_in_the_range_and_documented_so(
    api: Api, known: dict[str, str]
) -> None:
    """`?on=9999-12-31` answered 500 on coverage; now every date parameter of every
    operation refuses a date out of range (422 naming it) and answers for the first and
    the last date of the range (as recorded on 1900-01-01, no officer was yet). The
    document gives the range of each."""
    queries = _date_queries(api, known)
    assert len(queries) >= 8, queries
    document = api.client().get("/openapi.json").json()
    assert "9999" not in str(document), "no parameter is documented as taking any date"
    state = api.client("state")
    for path, name in queries:
        for day in OUT_OF_RANGE:
            _refused_naming(state.get(path, params={name: day}), "query", name)
        for day in BOUNDS:
            answered = state.get(path, params={name: day})
            if name == "as_recorded_on" and day == BOUNDS[0]:
                # Nothing was recorded by then: the officer is not found, as the record was.
                assert "not yet recorded" in refused(answered, 404)["detail"], path
            else:
                assert answered.status_code == 200, (path, name, day, answered.text)


def test_the_window_of_the_expiring_report_reaches_past_the_last_date_without_failing(
    api: Api,
) -> None:
    """The expiring report and the coverage forecast look ahead from the date asked: from the
    last date of the range, by the longest window, they still answer."""
    agency = api.client("agency")
    for path, params in [
        (f"/v1/agencies/{HOME}/expiring", {"on": BOUNDS[1], "within_days": 730}),
        (f"/v1/agencies/{HOME}/expiring", {"on": BOUNDS[0], "within_days": 730}),
        (f"/v1/agencies/{HOME}/coverage", {"on": BOUNDS[1]}),
        (f"/v1/agencies/{HOME}/roster", {"on": BOUNDS[1]}),
    ]:
        answered = agency.get(path, params=params)
        assert answered.status_code == 200, (path, params, answered.text)
    far = {"on": "9999-12-31", "within_days": 730}
    _refused_naming(agency.get(f"/v1/agencies/{HOME}/expiring", params=far), "query", "on")


def test_a_public_look_up_of_a_date_out_of_range_is_refused(
    api: Api, known: dict[str, str]
) -> None:
    """The public's certificate look-up, answered before routing, refuses such a date too."""
    public = api.client()
    path = f"/v1/certifications/{known['number']}"
    assert ok(public.get(path, params={"on": days_ago(1).isoformat()}))["status"]
    for day in OUT_OF_RANGE:
        _refused_naming(public.get(path, params={"on": day}), "query", "on")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/agencies/",
        f"/v1/agencies/{HOME}/",
        "/v1/officers/%c0%ae%c0%ae%2f",
        "/v1/officers/IN-1/history/",
        "/healthz/",
        "/v1/certifications/%2e%2e%2f",
    ],
)
def test_a_path_with_a_trailing_slash_is_a_404_problem_never_a_redirect(
    api: Api, path: str
) -> None:
    """Starlette would redirect `/v1/agencies/` to `/v1/agencies`, with a Location built from
    the request's Host header: a client could be sent anywhere. It is a 404 problem now."""
    for caller in ("public", "state"):
        answered = api.client(caller).get(path, headers={"Host": "evil.example"})
        problem = refused(answered, 404)
        assert problem["type"] == "urn:cit-registry:problem:not-found"
        assert "location" not in answered.headers
        assert "evil" not in answered.text


def test_a_command_sent_to_a_path_with_a_trailing_slash_writes_nothing(api: Api) -> None:
    before = api.position()
    body = {"code": "SLASH", "name": "Slash Academy", "state_certified": True}
    for path in ("/v1/academies/", "/v1/officers/IN-1/exams/"):
        answered = api.client("state").post(path, json=body, headers={"Host": "evil.example"})
        assert answered.status_code == 404, answered.text
        assert answered.headers["content-type"] == PROBLEM
        assert "location" not in answered.headers
    assert api.position() == before


def test_the_document_says_which_dates_booleans_and_numbers_a_body_takes(api: Api) -> None:
    """Every date in a request body or query carries the range's pattern; no body field is
    documented as taking a string where a boolean or a number is meant."""
    document = api.client().get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    dates = []

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            if schema.get("format") == "date":
                dates.append(schema)
            for value in schema.values():
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    bodies = [name for name in schemas if name.endswith("Body")]
    assert len(bodies) >= 15, bodies
    for name in bodies:
        walk(schemas[name])
    walk(schemas.get("Amendments"))
    for operations in document["paths"].values():
        for operation in operations.values():
            walk(operation.get("parameters", []))
    assert len(dates) >= 25, len(dates)
    for schema in dates:
        assert schema["type"] == "string"
        assert schema["pattern"].startswith("^(19|20|21)"), schema
        assert "1900-01-01 to 2199-12-31" in schema["description"], schema
    training_body = schemas["RecordTrainingBody"]["properties"]
    assert training_body["hours"]["type"] == "number"
    assert training_body["volunteered"]["type"] == "boolean"
    assert schemas["RecordExamBody"]["properties"]["passed"]["type"] == "boolean"
    assert schemas["Amendments"]["additionalProperties"] is False


def test_the_range_is_what_the_domain_says() -> None:
    assert (date(1900, 1, 1), date(2199, 12, 31)) == (EARLIEST, LATEST)
    assert LATEST + timedelta(days=730 + 366 * 10) < date.max

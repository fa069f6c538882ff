"""What commands and request bodies accept: every command date is from EARLIEST to LATEST
(whoever builds the command), and a request body made by `body_of` takes JSON types only,
while the commands stay lenient about how a value is written, for the CSV import and the
command line, which hand them text."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from registry.api.shapes import DATE_PATTERN, IsoDate, body_of, in_range
from registry.domain import commands as c

#: Every command class, and every shape of amendment.
COMMANDS = sorted(
    (
        value
        for value in vars(c).values()
        if isinstance(value, type) and issubclass(value, c.Command) and value is not c.Command
    ),
    key=lambda command: command.__name__,
)
BEFORE, AFTER = c.EARLIEST - timedelta(days=1), c.LATEST + timedelta(days=1)


def _fields_of(model: type[BaseModel], kind: type) -> list[str]:
    """The fields of `model` that hold a `kind` (alone, optional, or constrained)."""
    return [name for name, info in model.model_fields.items() if _holds(info.annotation, kind)]


def _holds(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_holds(a, kind) for a in get_args(annotation))


def _errors_at(model: type[BaseModel], data: dict[str, Any], *where: str) -> list[str]:
    """The error types pydantic reports at `where` when `model` reads `data`."""
    try:
        model.model_validate(data)
    except ValidationError as e:
        return [err["type"] for err in e.errors() if tuple(map(str, err["loc"])) == where]
    return []


DATED = [(command, name) for command in COMMANDS for name in _fields_of(command, date)]


def test_the_commands_take_dates_in_many_places() -> None:
    """What the tests below go over: every date field of every command."""
    names = {name for _, name in DATED}
    assert len(DATED) >= 20, DATED
    assert {"effective_on", "completed_on", "began_on", "taken_on"} <= names
    assert "patrol_experience_began_on" in names


@pytest.mark.parametrize(("command", "name"), DATED, ids=lambda x: getattr(x, "__name__", x))
def test_every_command_date_is_in_the_range_however_it_is_written(
    command: type[c.Command], name: str
) -> None:
    for day in (BEFORE, AFTER, date(1, 1, 1), date(9999, 12, 31)):
        for written in (day, day.isoformat()):
            errors = _errors_at(command, {name: written}, name)
            assert errors and set(errors) <= {"greater_than_equal", "less_than_equal"}, (
                written,
                errors,
            )
    for day in (c.EARLIEST, c.LATEST, date(2024, 2, 29)):
        assert _errors_at(command, {name: day}, name) == []
        assert _errors_at(command, {name: day.isoformat()}, name) == []


def test_the_commands_still_read_text_for_the_import_and_the_command_line() -> None:
    """The CSV import hands a training its hours as text, and `registry correct --set`
    hands amendments as text: the commands read them; only the HTTP body is strict."""
    training = c.RecordTraining.model_validate(
        {
            "officer": "UT-1",
            "kind": "cit_academy",
            "hours": "40",
            "academy_code": "UPA",
            "completed_on": "2024-05-03",
        }
    )
    assert training.hours == 40.0
    assert training.completed_on == date(2024, 5, 3)
    amended = c.ExamAmendment.model_validate({"passed": "false", "taken_on": "2024-05-03"})
    assert amended.passed is False
    assert c.TrainingAmendment.model_validate({"hours": "8"}).hours == 8.0


BODIES = [
    (command, body_of(command)) for command in COMMANDS if command not in c.AMENDMENTS.values()
]


def _cases(kind: type) -> list[tuple[type[c.Command], type[BaseModel], str]]:
    return [(command, body, name) for command, body in BODIES for name in _fields_of(command, kind)]


def _id(value: Any) -> str:
    return getattr(value, "__name__", str(value))


@pytest.mark.parametrize(("command", "body", "name"), _cases(bool), ids=_id)
def test_a_body_takes_json_booleans_only(
    command: type[c.Command], body: type[BaseModel], name: str
) -> None:
    for wrong in (0, 1, "true", "false", "yes", 0.0, [], {}):
        assert _errors_at(body, {name: wrong}, name), (command.__name__, name, wrong)
    for right in (True, False):
        assert _errors_at(body, {name: right}, name) == []


@pytest.mark.parametrize(("command", "body", "name"), _cases(float) + _cases(int), ids=_id)
def test_a_body_takes_json_numbers_only(
    command: type[c.Command], body: type[BaseModel], name: str
) -> None:
    for wrong in (True, False, "40", "1", "", None, [4], {}):
        assert _errors_at(body, {name: wrong}, name), (command.__name__, name, wrong)
    for right in (1, 4, 40, 1.0):
        assert _errors_at(body, {name: right}, name) == [], (command.__name__, name, right)


@pytest.mark.parametrize(("command", "body", "name"), _cases(date), ids=_id)
def test_a_body_takes_iso_dates_in_the_range_only(
    command: type[c.Command], body: type[BaseModel], name: str
) -> None:
    wrong: list[Any] = [0, 1704067200, 1704067200.0, True, "2024-1-1", "20240101",
                        "2024-01-01T00:00:00", "2024-02-30", "", [], {}]  # fmt: skip
    wrong += [day.isoformat() for day in (BEFORE, AFTER, date(1, 1, 1), date(9999, 12, 31))]
    for value in wrong:
        assert _errors_at(body, {name: value}, name), (command.__name__, name, value)
    for day in (c.EARLIEST, c.LATEST, date(2024, 2, 29)):
        assert _errors_at(body, {name: day.isoformat()}, name) == []


def test_every_kind_of_value_is_met_in_some_body() -> None:
    """The parametrized tests above are not empty."""
    assert len(_cases(bool)) >= 8, _cases(bool)
    assert {name for _, _, name in _cases(float) + _cases(int)} >= {"hours", "corrects_version"}
    assert len(_cases(date)) >= 15


def test_a_correction_amends_with_json_types_and_dates_in_the_range() -> None:
    """A correction's amendments are free-form in the command (their shape depends on the
    record corrected); the body gives each possible field its type."""
    body = body_of(c.CorrectRecord, "officer")
    base = {"corrects_version": 3, "reason": "typo"}
    for amendments in ({"passed": 0}, {"hours": "40"}, {"hours": True}, {"volunteered": "no"},
                       {"taken_on": BEFORE.isoformat()}, {"completed_on": 0}, {"hours": None},
                       {"kind": "unknown"}, {"color": "red"}):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            body.model_validate({**base, "amendments": amendments})
        [where] = {tuple(map(str, err["loc"]))[:2] for err in refused.value.errors()}
        assert where == ("amendments", *amendments), (amendments, refused.value)
    read = body.model_validate(
        {**base, "amendments": {"passed": False, "taken_on": "2024-05-03", "hours": 8}}
    )
    assert read.model_dump(exclude_unset=True)["amendments"] == {
        "passed": False,
        "taken_on": date(2024, 5, 3),
        "hours": 8.0,
    }
    assert body.model_validate(base).model_dump(exclude_unset=True) == base


def test_the_documented_pattern_of_a_date_says_the_range() -> None:
    """The OpenAPI document gives a date's range as a pattern (with `format: date`): the
    pattern takes a day of every year in the range, and of no year outside it."""
    pattern = re.compile(DATE_PATTERN)
    for year in range(1000, 10000):
        expected = c.EARLIEST.year <= year <= c.LATEST.year
        assert bool(pattern.match(f"{year:04d}-06-15")) is expected, year
    assert (c.EARLIEST.month, c.EARLIEST.day, c.LATEST.month, c.LATEST.day) == (1, 1, 12, 31)
    day = c.EARLIEST
    while day <= c.LATEST:
        assert pattern.match(day.isoformat()), day
        day += timedelta(days=97)
    for wrong in ("2024-13-01", "2024-00-10", "2024-01-32", "2024-1-01", "02024-01-01"):
        assert not pattern.match(wrong), wrong
    schema = IsoDate.__metadata__[-1].json_schema
    assert schema["pattern"] == DATE_PATTERN
    assert c.EARLIEST.isoformat() in schema["description"]
    assert c.LATEST.isoformat() in schema["description"]


def test_in_range_is_the_range_of_the_commands() -> None:
    assert in_range(c.EARLIEST) and in_range(c.LATEST) and in_range(date(2024, 1, 1))
    assert not in_range(BEFORE) and not in_range(AFTER)

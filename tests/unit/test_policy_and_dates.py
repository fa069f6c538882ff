"""Pure tests of the policy object and the calendar arithmetic the rules use."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.dates import add_months, add_years, whole_months_between
from registry.domain.errors import InvalidInput
from registry.domain.policy import UTAH, Policy

# ----------------------------------------------------------------------- policy


def test_the_default_policy_is_utahs():
    assert Policy() == UTAH
    assert (UTAH.state, UTAH.min_patrol_months, UTAH.academy_hours) == ("UT", 12, 40)
    assert (UTAH.validity_years, UTAH.renewal_ce_hours) == (2, 4)
    assert (UTAH.telecommunicator_course_hours, UTAH.youth_course_hours) == (16, 8)
    assert UTAH.refuse_mandated is False
    assert UTAH.coverage_target == 0.25
    assert UTAH.separation_report_days == 30


def test_a_policy_cannot_be_changed_in_place():
    with pytest.raises(FrozenInstanceError):
        UTAH.min_patrol_months = 24  # type: ignore[misc]


def test_from_mapping_overrides_only_what_it_is_given():
    policy = Policy.from_mapping({"state": "TX", "min_patrol_months": 24, "refuse_mandated": True})

    assert (policy.state, policy.min_patrol_months, policy.refuse_mandated) == ("TX", 24, True)
    assert policy.academy_hours == UTAH.academy_hours
    assert policy.renewal_ce_hours == UTAH.renewal_ce_hours


def test_from_an_empty_mapping_comes_utah():
    assert Policy.from_mapping({}) == UTAH


@pytest.mark.parametrize(
    "values",
    [{"min_patrol_month": 24}, {"patrol_months": 24, "state": "IL"}, {"": 1}],
)
def test_from_mapping_refuses_unknown_settings(values):
    with pytest.raises(InvalidInput, match="unknown policy settings") as refusal:
        Policy.from_mapping(values)

    unknown = sorted(set(values) - {f.name for f in fields(Policy)})
    assert f"unknown policy settings: {', '.join(unknown)}" in str(refusal.value)


WHOLE_NUMBERS = [
    "min_patrol_months",
    "academy_hours",
    "telecommunicator_course_hours",
    "youth_course_hours",
    "renewal_ce_hours",
    "separation_report_days",
]


@pytest.mark.parametrize("name", WHOLE_NUMBERS)
@pytest.mark.parametrize("value", [-1, -40, 1.5, True, "12"])
def test_from_mapping_refuses_negative_or_non_whole_numbers(name, value):
    with pytest.raises(InvalidInput, match=name):
        Policy.from_mapping({name: value})


@pytest.mark.parametrize("name", WHOLE_NUMBERS)
@pytest.mark.parametrize("value", [0, 1, 100])
def test_from_mapping_accepts_whole_numbers_from_zero(name, value):
    assert getattr(Policy.from_mapping({name: value}), name) == value


@pytest.mark.parametrize(("value", "allowed"), [(1, True), (5, True), (0, False), (-2, False)])
def test_validity_is_at_least_one_year(value, allowed):
    if allowed:
        assert Policy.from_mapping({"validity_years": value}).validity_years == value
    else:
        with pytest.raises(InvalidInput, match="validity_years"):
            Policy.from_mapping({"validity_years": value})


@pytest.mark.parametrize(
    ("value", "allowed"), [(0.2, True), (1, True), (0, False), (-0.1, False), (1.01, False)]
)
def test_the_coverage_target_is_a_share_above_zero(value, allowed):
    if allowed:
        assert Policy.from_mapping({"coverage_target": value}).coverage_target == value
    else:
        with pytest.raises(InvalidInput, match="coverage_target"):
            Policy.from_mapping({"coverage_target": value})


# ------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 2, date(2026, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2025, 2, 28), 2, date(2027, 2, 28)),
        (date(2025, 9, 15), 2, date(2027, 9, 15)),
        (date(2025, 12, 31), 2, date(2027, 12, 31)),
        (date(2026, 1, 1), 0, date(2026, 1, 1)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 9, 8), 12, date(2026, 9, 8)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 15), -24, date(2023, 1, 15)),
    ],
)
def test_add_months_falls_back_to_the_last_day_of_a_short_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 9, 8), date(2025, 9, 8), 12),
        (date(2024, 9, 9), date(2025, 9, 8), 11),
        (date(2024, 9, 8), date(2025, 9, 7), 11),
        (date(2025, 1, 1), date(2025, 1, 31), 0),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
        (date(2018, 6, 1), date(2025, 9, 8), 87),
        (date(2025, 5, 5), date(2025, 5, 5), 0),
        (date(2025, 5, 5), date(2024, 5, 5), 0),
    ],
)
def test_whole_months_between(start, end, months):
    assert whole_months_between(start, end) == months


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(start=days, months=st.integers(min_value=0, max_value=600))
def test_adding_n_months_makes_exactly_n_whole_months(start, months):
    assert whole_months_between(start, add_months(start, months)) == months


@given(start=days, months=st.integers(min_value=1, max_value=600))
def test_the_day_before_n_months_is_fewer_than_n_whole_months(start, months):
    end = add_months(start, months) - timedelta(days=1)

    assert whole_months_between(start, end) == months - 1


@given(start=days, end=days)
def test_whole_months_never_overshoot(start, end):
    months = whole_months_between(start, end)

    assert months >= 0
    assert add_months(start, months) <= end or months == 0

"""The coverage forecast (`registry.projections.forecast`): on a real registry (SQLite and
PostgreSQL) it says, for every day of the next 365, what `queries.coverage` says when
asked on that day directly; and, as a pure function, how it joins placements and spans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.domain import commands as c
from registry.domain.errors import NotFound
from registry.domain.policy import Policy
from registry.projections import forecast as f
from registry.projections import queries as q
from registry.projections import store
from tests.factories import (
    AGENCY,
    AGENCY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    TODAY,
    complete_academy,
    enrol,
    issue,
    register_agencies_and_academies,
)
from tests.integration.test_read_models import caught_up

POLICY = Policy()


def certify_on(app, post: str, issued: date, agency: str = AGENCY_CODE) -> str:
    enrol(app, post, agency=agency)
    complete_academy(
        app, post, began=issued - timedelta(days=7), completed=issued - timedelta(days=3)
    )
    return issue(app, post, on=issued).certificate_number


def assign(app, officer: str, district: str, shift: str) -> None:
    app.assign_officer(
        c.AssignOfficer(
            officer=officer, district=district, shift=shift, effective_on=date(2020, 1, 1)
        ),
        AGENCY,
    )


@pytest.fixture
def story(registry):
    """SLCPD on TODAY: North/night holds one certificate expiring within the year (A), one
    that outlasts it (B) and an officer with none (D); South/day one expiring sooner (C);
    a suspended holder (E) and another agency's holder (F) count nowhere here."""
    register_agencies_and_academies(registry)
    certify_on(registry, "A", date(2025, 9, 15))  # expires 2027-09-15
    certify_on(registry, "B", date(2026, 6, 1))  # expires 2028-06-01
    certify_on(registry, "C", date(2025, 3, 1))  # expires 2027-03-01
    assign(registry, "C", "South", "day")
    enrol(registry, "D")
    suspended = certify_on(registry, "E", date(2025, 1, 10))
    registry.suspend_certificate(
        c.SuspendCertificate(number=suspended, reason="under review", effective_on=TODAY),
        STATE,
    )
    certify_on(registry, "F", date(2025, 5, 1), agency=OTHER_AGENCY_CODE)
    return caught_up(registry)


def test_the_forecast_agrees_with_coverage_asked_on_each_future_day(story) -> None:
    found = f.load(story, AGENCY_CODE, TODAY, POLICY.coverage_target)
    assert len(found.certified) == 366 and found.start == TODAY
    changes = {date(2027, 3, 1), date(2027, 9, 15)}
    days = sorted({0, 1, 100, 364, 365} | {(d - TODAY).days + k for d in changes for k in (-1, 0)})
    for i in days:
        day = TODAY + timedelta(days=i)
        asked = q.coverage(story, AGENCY_CODE, day, POLICY)
        by_cell = {(cell.district, cell.shift): cell.cit_officers for cell in asked.cells}
        assert {cf.cell: cf.certified[i] for cf in found.cells} == by_cell, day
        assert found.certified[i] == asked.certified_patrol_officers, day
        assert found.patrol[i] == asked.patrol_officers, day
        assert round(found.share(i), 4) == asked.share, day


def test_each_cell_drops_below_target_on_its_last_expiry(story) -> None:
    found = {cf.cell: cf for cf in f.load(story, AGENCY_CODE, TODAY, 0.25).cells}
    north, south = found[("North", "night")], found[("South", "day")]
    # North/night: A, B, D and E are patrol officers, A and B in force (2 of 4 = 50%),
    # then B alone (1 of 4 = 25%: still at the target) once A expires.
    assert (north.patrol[0], north.certified[0]) == (4, 2)
    assert north.certified[(date(2027, 9, 15) - TODAY).days] == 1
    assert north.below_on is None
    assert south.certified[0] == 1 and south.below_on == date(2027, 3, 1)
    assert found[("North", "day")].below_on == TODAY  # no patrol officers at all
    # With a stricter target, North/night drops when A expires.
    stricter = {cf.cell: cf for cf in f.load(story, AGENCY_CODE, TODAY, 0.4).cells}
    assert stricter[("North", "night")].below_on == date(2027, 9, 15)


def test_the_forecast_reads_the_read_models_in_three_queries(story, monkeypatch) -> None:
    asked = []
    real = store.query

    def counted(*args, **kwargs):
        asked.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "query", counted)
    f.load(story, AGENCY_CODE, TODAY, 0.25)
    assert len(asked) == 3


def test_an_unknown_agency_has_no_forecast(story) -> None:
    with pytest.raises(NotFound, match="NOPE is not registered"):
        f.load(story, "nope", TODAY, 0.25)


# ------------------------------------------------------------ the pure function

START = date(2030, 1, 1)
NORTH = ("North", "day")


def day(i: int) -> date:
    return START + timedelta(days=i)


def test_an_officer_with_two_overlapping_certificates_counts_once() -> None:
    placed = [f.Placement("o1", NORTH, f.Span(day(-100)))]
    spans = {"o1": [f.Span(day(-50), day(10)), f.Span(day(5), day(20))]}
    found = f.forecast("X", [NORTH], placed, spans, START, 0.25, horizon=30)
    assert found.cells[0].certified[:21] == (1,) * 20 + (0,)
    assert found.cells[0].below_on == day(20)


def test_a_placement_that_ends_takes_its_officer_out_of_the_cell_and_the_total() -> None:
    placed = [
        f.Placement("o1", NORTH, f.Span(day(-100), day(7))),
        f.Placement("o1", ("South", "day"), f.Span(day(7))),
    ]
    found = f.forecast("X", [NORTH], placed, {"o1": [f.Span(day(-1))]}, START, 0.25, horizon=10)
    cell = found.cells[0]
    assert cell.certified[6:8] == (1, 0) and cell.patrol[6:8] == (1, 0)
    assert found.certified == (1,) * 11  # the South cell is not listed, but the total has it
    assert found.below_on is None and cell.below_on == day(7)


def test_a_span_that_starts_later_or_ended_before_counts_only_its_days() -> None:
    placed = [
        f.Placement("o1", NORTH, f.Span(day(-100))),
        f.Placement("o2", NORTH, f.Span(day(-9))),
    ]
    spans = {"o1": [f.Span(day(3), day(5))], "o2": [f.Span(day(-9), day(0))]}
    found = f.forecast("X", [NORTH], placed, spans, START, 0.5, horizon=6)
    assert found.cells[0].certified == (0, 0, 0, 1, 1, 0, 0)
    assert found.cells[0].patrol == (2,) * 7
    assert found.cells[0].below_on == START


def test_in_force_spans_follow_the_timeline() -> None:
    timeline = [
        ["2030-01-01", "in_force", "2032-01-01", ""],
        ["2030-03-01", "suspended", "2032-01-01", "review"],
        ["2030-04-01", "in_force", "2032-01-01", ""],
        ["2032-01-01", "expired", "2032-01-01", ""],
    ]
    assert f.in_force_spans(timeline) == [
        f.Span(date(2030, 1, 1), date(2030, 3, 1)),
        f.Span(date(2030, 4, 1), date(2032, 1, 1)),
    ]
    assert f.in_force_spans([["2030-01-01", "in_force", None, ""]]) == [f.Span(date(2030, 1, 1))]

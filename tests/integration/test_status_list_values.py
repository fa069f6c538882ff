"""Each certificate keeps one status-list entry; the values follow its status on the day."""

from __future__ import annotations

from datetime import date

from registry.domain import commands as c
from registry.projections import queries as q
from registry.projections.runner import Runner
from tests.factories import STATE, certified_officer, register_agencies_and_academies


def test_each_certificate_has_its_own_entry_and_keeps_it(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    numbers = [certified_officer(app, f"UT-{n}").certificate_number for n in range(3)]
    runner = Runner(app)
    runner.catch_up()
    first = {n: q.certificate_status(runner.views, n, date(2026, 1, 1)).status_idx for n in numbers}
    assert sorted(first.values()) == [0, 1, 2]

    app.suspend_certificate(c.SuspendCertificate(number=numbers[0], reason="review"), STATE)
    runner.catch_up()
    again = {n: q.certificate_status(runner.views, n, date(2026, 1, 1)).status_idx for n in numbers}
    assert again == first


def test_the_values_say_valid_suspended_or_invalid_on_the_day(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    valid, suspended, revoked = (
        certified_officer(app, f"UT-{n}").certificate_number for n in range(3)
    )
    app.suspend_certificate(
        c.SuspendCertificate(number=suspended, reason="review", effective_on=date(2026, 2, 1)),
        STATE,
    )
    app.revoke_certificate(
        c.RevokeCertificate(number=revoked, reason="misconduct", effective_on=date(2026, 3, 1)),
        STATE,
    )
    runner = Runner(app)
    runner.catch_up()

    def value(number: str, on: date) -> int:
        idx = q.certificate_status(runner.views, number, on).status_idx
        return q.status_list_values(runner.views, on)[idx]

    assert [value(n, date(2026, 4, 1)) for n in (valid, suspended, revoked)] == [0, 2, 1]
    assert [value(n, date(2026, 1, 15)) for n in (valid, suspended, revoked)] == [0, 0, 0]
    # Expiry needs no event: two years after issue every entry is invalid.
    assert [value(n, date(2027, 9, 15)) for n in (valid, suspended, revoked)] == [1, 1, 1]

"""The staff console's "what did the registry say on DATE": each field the record of a day
says otherwise now than at the end of that day, with the event recorded later that made
the difference (registry/web/history.py `compare`). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from registry.domain import commands as c
from registry.web.history import compare, facts
from tests.factories import STATE, TODAY, certified_officer, register_agencies_and_academies

DENVER = ZoneInfo("America/Denver")


class Moments:
    """The registry's recording clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_a_later_suspension_is_the_difference_and_names_its_event(make_registry) -> None:
    moments = Moments(datetime(2026, 11, 20, 10, tzinfo=DENVER))
    app = make_registry(now=moments)
    register_agencies_and_academies(app)
    receipt = certified_officer(app)
    officer = receipt.id
    day = date(2026, 11, 20)
    cutoff = app.end_of_day(day)
    assert compare(app, officer, day, cutoff) == []  # nothing recorded since: no difference

    moments.at = datetime(2026, 11, 24, 9, tzinfo=DENVER)  # four days later, it is reported
    app.suspend_certificate(
        c.SuspendCertificate(number=receipt.certificate_number, reason="complaint under review",
                             effective_on=date(2026, 11, 18)),
        STATE,
    )  # fmt: skip
    moments.at += timedelta(hours=1)
    app.execute(c.AssignOfficer(officer=officer, district="South", shift="night",
                                effective_on=date(2026, 11, 24)), STATE)  # fmt: skip

    found = {d.field: d for d in compare(app, officer, day, cutoff)}
    status = next(f for f in found if f.endswith(": status"))
    assert (found[status].then, found[status].now) == ("In force", "Suspended")
    made_by = found[status].made_by
    assert made_by is not None and made_by.event == "CertificateActionRecorded"
    assert made_by.details["action"] == "suspended"
    assert made_by.recorded_at == datetime(2026, 11, 24, 9, tzinfo=DENVER)
    reason = next(f for f in found if f.endswith(": reason"))
    assert (found[reason].then, found[reason].now) == (None, "complaint under review")
    # The assignment takes effect after the day asked about: that day reads the same.
    assert set(found) == {status, reason}
    assert day <= TODAY


def test_before_the_officer_was_recorded_every_field_is_new(make_registry) -> None:
    moments = Moments(datetime(2026, 11, 21, 10, tzinfo=DENVER))
    app = make_registry(now=moments)
    register_agencies_and_academies(app)
    officer = certified_officer(app).id
    day = date(2026, 11, 20)
    found = compare(app, officer, day, app.end_of_day(day))
    now = facts(app.status(officer, on=day))
    assert {d.field for d in found} == set(now)
    assert all(d.then is None and d.made_by is not None for d in found)
    assert {d.made_by.event for d in found if d.field == "Name"} == {"Enrolled"}


def test_one_pass_agrees_with_one_replay_per_cut(make_registry) -> None:
    """`statuses_since` folds the events once; each step must read as the officer replayed
    up to that event (and the first as held at the cut)."""
    moments = Moments(datetime(2026, 11, 2, 10, tzinfo=DENVER))
    app = make_registry(now=moments)
    register_agencies_and_academies(app)
    receipt = certified_officer(app)
    officer, number = receipt.id, receipt.certificate_number
    cut = app.now()
    later = [
        c.AssignOfficer(officer=officer, district="North", shift="day",
                        effective_on=date(2026, 11, 3)),
        c.SuspendCertificate(number=number, reason="review", effective_on=date(2026, 11, 4)),
        c.ReinstateCertificate(number=number, reason="cleared", effective_on=date(2026, 11, 6)),
        c.AssignOfficer(officer=officer, district="South", shift="night",
                        effective_on=date(2026, 11, 7)),
    ]  # fmt: skip
    for cmd in later:
        moments.at += timedelta(hours=5)
        app.execute(cmd, STATE)
    day = date(2026, 11, 6)  # suspended from the 4th, reinstated from the 6th
    steps = app.statuses_since(officer, on=day, since=cut)
    assert steps[0] == (None, app.status(officer, on=day, as_recorded_at=cut))
    entries = [e for e in app.history(officer) if e.recorded_at > cut]
    assert [entry for entry, _ in steps[1:]] == entries and len(entries) == len(later)
    for entry, status in steps[1:]:
        assert status == app.status(officer, on=day, as_recorded_at=entry.recorded_at)
    assert steps[2][1] is not None and steps[2][1].certificates[0].status == "suspended"
    assert steps[-1][1] is not None and steps[-1][1].certificates[0].status == "in_force"
    # A cut before the officer was recorded: nothing then, every event after it.
    first = app.statuses_since(officer, on=day, since=cut - timedelta(days=30))
    assert first[0] == (None, None) and len(first) == len(app.history(officer)) + 1

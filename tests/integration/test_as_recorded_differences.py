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

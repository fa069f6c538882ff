"""Every read model answers what the rules say, on SQLite and on PostgreSQL.

Each story records through the application service, catches the projections up,
and asks the queries, on dates before, on and after the facts. Each read model
also has a case where it must say no or come back empty.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from registry.application import Registry
from registry.domain import commands as c
from registry.domain.errors import InvalidInput, NotFound
from registry.domain.officer import Officer
from registry.domain.policy import Policy
from registry.projections import queries as q
from registry.projections import read_models as rm
from registry.projections import store
from registry.projections.rebuild import rebuild
from registry.projections.runner import Runner
from registry.projections.store import Views
from tests.factories import (
    ACADEMY,
    ACADEMY_CODE,
    AGENCY,
    AGENCY_CODE,
    OTHER_AGENCY_CODE,
    STATE,
    TODAY,
    certified_officer,
    complete_academy,
    continuing_education,
    enrol,
    issue,
    register_agencies_and_academies,
)
from tests.integration.history import enrol_officers, random_steps


def caught_up(app: Registry) -> Views:
    """The read models of `app`'s database, with every recorded event applied."""
    runner = Runner(app)
    runner.catch_up()
    assert runner.lag() == {"read_models": 0, "merkle_tree": 0}
    return runner.views


def certify_on(app: Registry, post: str, issued: date) -> str:
    """Enrol `post`, train and examine them the week before `issued`, issue; the number."""
    enrol(app, post)
    complete_academy(
        app, post, began=issued - timedelta(days=7), completed=issued - timedelta(days=3)
    )
    return issue(app, post, on=issued).certificate_number


def suspend(app: Registry, number: str, on: date, reason: str = "complaint under review") -> None:
    app.suspend_certificate(
        c.SuspendCertificate(number=number, reason=reason, effective_on=on), STATE
    )


def post_status(app: Registry, officer: str, status: str, on: date) -> None:
    app.change_post_status(
        c.ChangePostStatus(officer=officer, status=status, effective_on=on), STATE
    )


def assign(app: Registry, officer: str, district: str, shift: str) -> None:
    app.assign_officer(
        c.AssignOfficer(
            officer=officer, district=district, shift=shift, effective_on=date(2020, 1, 1)
        ),
        AGENCY,
    )


# ---------------------------------------------------------- certificate status


def test_a_certificate_status_follows_suspension_reinstatement_and_revocation(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    suspend(app, number, date(2026, 2, 1))
    app.reinstate_certificate(
        c.ReinstateCertificate(number=number, reason="cleared", effective_on=date(2026, 3, 1)),
        STATE,
    )
    app.revoke_certificate(
        c.RevokeCertificate(number=number, reason="misconduct", effective_on=date(2026, 6, 1)),
        STATE,
    )
    views = caught_up(app)

    expected = [
        (date(2025, 9, 14), "not_yet_issued", ""),
        (date(2025, 9, 15), "in_force", ""),
        (date(2026, 1, 31), "in_force", ""),
        (date(2026, 2, 1), "suspended", "complaint under review"),
        (date(2026, 2, 28), "suspended", "complaint under review"),
        (date(2026, 3, 1), "in_force", ""),
        (date(2026, 5, 31), "in_force", ""),
        (date(2026, 6, 1), "revoked", "misconduct"),
        (date(2027, 9, 15), "revoked", "misconduct"),
        (date(2031, 1, 1), "revoked", "misconduct"),
    ]
    for on, status, reason in expected:
        view = q.certificate_status(views, number.lower(), on)
        assert (view.status, view.reason) == (status, reason), on
        assert view.in_force is (status == "in_force")
        # The read model says exactly what the rules say on the write side.
        assert app.status(number, on=on).certificates[0].status == status, on
    view = q.certificate_status(views, number, date(2026, 1, 1))
    assert (view.credential, view.holder_name, view.post_number) == (
        "cit_officer",
        "Jordan Rivera",
        "UT-1001",
    )
    assert (view.agency_code, view.issued_on, view.expires_on) == (
        AGENCY_CODE,
        date(2025, 9, 15),
        date(2027, 9, 15),
    )
    assert view.withheld is False


def test_a_certificate_expires_on_its_expiry_date_and_not_a_day_before(registry):
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    views = caught_up(registry)

    last_day = q.certificate_status(views, number, date(2027, 9, 14))
    expired = q.certificate_status(views, number, date(2027, 9, 15))

    assert (last_day.status, last_day.expires_on) == ("in_force", date(2027, 9, 15))
    assert (expired.status, expired.expires_on) == ("expired", date(2027, 9, 15))
    assert not expired.in_force


def test_the_answer_is_right_on_a_later_day_with_no_new_events(make_registry):
    app = make_registry()
    register_agencies_and_academies(app)
    number = certified_officer(app).certificate_number
    assert q.certificate_status(caught_up(app), number, app.clock()).status == "in_force"

    later = make_registry(today=date(2027, 10, 1))
    runner = Runner(later)
    assert runner.catch_up() == 0  # nothing new was recorded

    assert q.certificate_status(runner.views, number, later.clock()).status == "expired"
    assert later.status(number).certificates[0].status == "expired"


def test_a_certificate_is_not_in_force_while_the_post_certification_is_suspended(registry):
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    post_status(registry, "UT-1001", "suspended", date(2026, 4, 1))
    post_status(registry, "UT-1001", "active", date(2026, 5, 1))
    views = caught_up(registry)

    during = q.certificate_status(views, number, date(2026, 4, 15))
    after = q.certificate_status(views, number, date(2026, 5, 1))

    assert (during.status, during.reason) == ("post_not_active", "POST status suspended")
    assert q.certificate_status(views, number, date(2026, 3, 31)).status == "in_force"
    assert after.status == "in_force"


def test_a_youth_certificate_lapses_with_the_officer_certificate_it_builds_on(registry):
    register_agencies_and_academies(registry)
    officer = certified_officer(registry).certificate_number
    registry.record_training(
        c.RecordTraining(
            officer="UT-1001",
            kind="youth_course",
            hours=8,
            academy_code=ACADEMY_CODE,
            completed_on=date(2025, 10, 1),
        ),
        ACADEMY,
    )
    youth = issue(registry, on=date(2025, 10, 6), credential="cit_youth").certificate_number
    views = caught_up(registry)

    in_force = q.certificate_status(views, youth, date(2026, 1, 1))
    base_lapsed = q.certificate_status(views, youth, date(2027, 9, 20))
    own_expiry = q.certificate_status(views, youth, date(2027, 10, 6))

    assert (in_force.status, in_force.expires_on) == ("in_force", date(2027, 10, 6))
    assert q.certificate_status(views, officer, date(2027, 9, 20)).status == "expired"
    assert base_lapsed.status == "base_not_in_force"
    assert base_lapsed.reason == "CIT officer certification not in force"
    assert own_expiry.status == "expired"


def test_an_unknown_certificate_is_not_found(registry):
    register_agencies_and_academies(registry)
    certified_officer(registry)
    views = caught_up(registry)
    with pytest.raises(NotFound, match="UT-CIT-NOPE"):
        q.certificate_status(views, "UT-CIT-NOPE", TODAY)
    assert q.officer_certifications(views, "no-such-officer", TODAY) == []


# -------------------------------------------------------------------- transfers


def test_a_transferred_officer_moves_to_the_new_agency_and_is_unassociated_between(registry):
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    views = caught_up(registry)
    assert [o.post_number for o in q.roster(views, AGENCY_CODE, TODAY).officers] == ["UT-1001"]
    assert q.roster(views, OTHER_AGENCY_CODE, TODAY).officers == []

    registry.separate_officer(
        c.SeparateOfficer(
            officer="UT-1001",
            reason="transferred",
            new_agency_code=OTHER_AGENCY_CODE,
            effective_on=date(2026, 9, 1),
        ),
        AGENCY,
    )
    views = caught_up(registry)
    between = q.certificate_status(views, number, TODAY)
    assert between.agency_code is None  # unassociated
    assert between.status == "in_force"  # and still certified
    for code in (AGENCY_CODE, OTHER_AGENCY_CODE):
        assert q.roster(views, code, TODAY).officers == []
        assert q.coverage(views, code, TODAY, registry.policy).certified_patrol_officers == 0

    registry.transfer_officer(
        c.TransferOfficer(
            officer="UT-1001",
            agency_code=OTHER_AGENCY_CODE,
            district="South",
            shift="day",
            effective_on=date(2026, 9, 15),
        ),
        AGENCY,
    )
    views = caught_up(registry)
    [officer] = q.roster(views, OTHER_AGENCY_CODE, TODAY).officers
    assert (officer.post_number, officer.district, officer.shift) == ("UT-1001", "South", "day")
    [cert] = officer.certificates
    assert (cert.number, cert.expires_on, cert.status) == (number, date(2027, 9, 15), "in_force")
    assert q.roster(views, AGENCY_CODE, TODAY).officers == []
    assert q.certificate_status(views, number, TODAY).agency_code == OTHER_AGENCY_CODE
    new = q.coverage(views, OTHER_AGENCY_CODE, TODAY, registry.policy)
    old = q.coverage(views, AGENCY_CODE, TODAY, registry.policy)
    assert cell(new, "South", "day").cit_officers == 1
    assert sum(c.cit_officers for c in old.cells) == 0
    assert old.patrol_officers == 0


def test_the_read_models_place_an_officer_where_they_served_on_the_date_asked(registry):
    """A question about a date answers for that date, as `registry status --on` does.

    Fails today: rm_officers and rm_certificates keep only the current agency,
    district and shift, so a roster, a coverage grid or a certificate's agency
    on an earlier date shows where the officer serves now.
    """
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    registry.separate_officer(
        c.SeparateOfficer(
            officer="UT-1001",
            reason="transferred",
            new_agency_code=OTHER_AGENCY_CODE,
            effective_on=date(2026, 9, 1),
        ),
        AGENCY,
    )
    registry.transfer_officer(
        c.TransferOfficer(
            officer="UT-1001",
            agency_code=OTHER_AGENCY_CODE,
            district="South",
            shift="day",
            effective_on=date(2026, 9, 15),
        ),
        AGENCY,
    )
    views = caught_up(registry)
    before, between = date(2026, 6, 1), date(2026, 9, 5)
    assert registry.status(number, on=before).agency_code == AGENCY_CODE
    assert registry.status(number, on=between).agency_code is None

    assert q.certificate_status(views, number, before).agency_code == AGENCY_CODE
    assert q.certificate_status(views, number, between).agency_code is None
    assert [o.post_number for o in q.roster(views, AGENCY_CODE, before).officers] == ["UT-1001"]
    assert q.roster(views, OTHER_AGENCY_CODE, before).officers == []
    assert cell(q.coverage(views, AGENCY_CODE, before, registry.policy), "North", "night") == (
        q.CoverageCell(district="North", shift="night", cit_officers=1, gap_opens_on=None)
    )


# --------------------------------------------------------------------- coverage


def cell(coverage: q.Coverage, district: str, shift: str) -> q.CoverageCell:
    return next(c for c in coverage.cells if (c.district, c.shift) == (district, shift))


def patrol_world(app: Registry) -> dict[str, str]:
    """SLCPD: two CIT officers on North/night (expiring 2027-09-15 and 2027-10-20), an
    uncertified patrol officer on South/day, a suspended CIT officer on South/night and a
    telecommunicator on South/swing. Certificate numbers by POST number."""
    register_agencies_and_academies(app)
    numbers = {
        "UT-1001": certified_officer(app).certificate_number,
        "UT-1002": certify_on(app, "UT-1002", date(2025, 10, 20)),
        "UT-1005": certify_on(app, "UT-1005", date(2025, 9, 15)),
    }
    enrol(app, "UT-1003")
    assign(app, "UT-1003", "South", "day")
    assign(app, "UT-1005", "South", "night")
    suspend(app, numbers["UT-1005"], date(2026, 10, 1))
    enrol(app, "UT-1004", role="telecommunicator")
    assign(app, "UT-1004", "South", "swing")
    return numbers


def test_coverage_counts_cit_officers_per_district_and_shift_and_shows_the_gaps(registry):
    patrol_world(registry)
    views = caught_up(registry)

    grid = q.coverage(views, AGENCY_CODE, TODAY, registry.policy)

    assert (grid.districts, grid.shifts) == (["North", "South"], ["day", "swing", "night"])
    assert {(c.district, c.shift): c.cit_officers for c in grid.cells} == {
        ("North", "day"): 0,
        ("North", "swing"): 0,
        ("North", "night"): 2,
        ("South", "day"): 0,
        ("South", "swing"): 0,
        ("South", "night"): 0,  # its CIT officer is suspended
    }
    assert len(grid.gaps) == 5
    assert all(g.cit_officers == 0 and g.gap_opens_on == TODAY for g in grid.gaps)
    # Patrol officers: UT-1001, UT-1002, UT-1003 and UT-1005; the telecommunicator is not one.
    assert (grid.patrol_officers, grid.certified_patrol_officers) == (4, 2)
    assert (grid.share, grid.target, grid.meets_target) == (0.5, 0.25, True)


def test_coverage_below_the_policy_target_and_of_an_agency_with_nobody(registry):
    patrol_world(registry)
    views = caught_up(registry)

    strict = q.coverage(views, AGENCY_CODE, TODAY, Policy(coverage_target=0.75))
    empty = q.coverage(views, OTHER_AGENCY_CODE, TODAY, registry.policy)

    assert (strict.share, strict.target, strict.meets_target) == (0.5, 0.75, False)
    assert (empty.patrol_officers, empty.share, empty.meets_target) == (0, 0.0, False)
    assert len(empty.gaps) == len(empty.cells) == 6
    with pytest.raises(NotFound, match="NOPD"):
        q.coverage(views, "NOPD", TODAY, registry.policy)


def test_the_forecast_is_the_expiry_of_the_last_cit_officer_in_a_cell_within_a_year(registry):
    numbers = patrol_world(registry)
    views = caught_up(registry)

    def forecast(on: date) -> date | None:
        grid = q.coverage(views, AGENCY_CODE, on, registry.policy)
        return cell(grid, "North", "night").gap_opens_on

    assert forecast(TODAY) == date(2027, 10, 20)  # UT-1002's, the later of the two
    assert forecast(date(2026, 10, 20)) == date(2027, 10, 20)  # exactly 365 days ahead
    assert forecast(date(2026, 10, 19)) is None  # 366 days ahead: beyond the horizon
    one_left = q.coverage(views, AGENCY_CODE, date(2027, 9, 15), registry.policy)
    assert cell(one_left, "North", "night").cit_officers == 1

    continuing_education(registry, "UT-1002", on=date(2026, 6, 1), hours=4)
    registry.renew_certificate(
        c.RenewCertificate(number=numbers["UT-1002"], effective_on=date(2026, 11, 1)), ACADEMY
    )
    views = caught_up(registry)
    assert forecast(TODAY) is None  # renewed to 2029-10-20: the cell stays covered
    assert forecast(date(2029, 1, 1)) == date(2029, 10, 20)


# --------------------------------------------------------------------- expiring


def test_expiring_lists_certificates_in_force_in_the_window_with_ce_lacking(registry):
    numbers = patrol_world(registry)
    continuing_education(registry, "UT-1001", on=date(2026, 5, 1), hours=1.5)
    views = caught_up(registry)
    policy = registry.policy

    in_90 = q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 90, policy)
    in_120 = q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 120, policy)

    [first] = in_90
    assert (first.number, first.expires_on, first.days_left) == (
        numbers["UT-1001"],
        date(2027, 9, 15),
        76,
    )
    assert (first.ce_hours, first.ce_hours_lacking) == (1.5, 2.5)
    assert [(e.number, e.days_left, e.ce_hours_lacking) for e in in_120] == [
        (numbers["UT-1001"], 76, 2.5),
        (numbers["UT-1002"], 111, 4.0),
    ]
    # UT-1005's expires in the window too, but it is suspended, not in force.
    assert numbers["UT-1005"] not in {e.number for e in in_120}
    assert [e.number for e in q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 76, policy)] == [
        numbers["UT-1001"]
    ]


def test_the_expiring_report_counts_no_hours_of_the_academy_that_earned_the_certificate(
    registry,
):
    """Certified on the academy's last day: the report says every CE hour is still lacking,
    as the renewal would (it is refused), until a CE class after the issue counts."""
    register_agencies_and_academies(registry)
    enrol(registry, "UT-1001")
    complete_academy(registry, "UT-1001", completed=date(2025, 9, 15))
    number = issue(registry, "UT-1001", on=date(2025, 9, 15)).certificate_number
    policy = registry.policy

    [entry] = q.expiring(caught_up(registry), AGENCY_CODE, date(2027, 7, 1), 90, policy)
    assert (entry.number, entry.ce_hours, entry.ce_hours_lacking) == (number, 0.0, 4.0)

    continuing_education(registry, "UT-1001", on=date(2025, 9, 16), hours=3)
    [entry] = q.expiring(caught_up(registry), AGENCY_CODE, date(2027, 7, 1), 90, policy)
    assert (entry.ce_hours, entry.ce_hours_lacking) == (3.0, 1.0)


def test_expiring_leaves_out_what_is_outside_the_window_or_no_longer_in_force(registry):
    numbers = patrol_world(registry)
    views = caught_up(registry)
    policy = registry.policy

    assert q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 75, policy) == []
    assert q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 0, policy) == []
    on_expiry = q.expiring(views, AGENCY_CODE, date(2027, 9, 15), 90, policy)
    assert [e.number for e in on_expiry] == [numbers["UT-1002"]]  # UT-1001's has expired
    assert q.expiring(views, AGENCY_CODE, date(2027, 10, 20), 3660, policy) == []
    assert q.expiring(views, OTHER_AGENCY_CODE, date(2027, 7, 1), 3660, policy) == []


@pytest.mark.parametrize("within_days", [-1, q.MAX_WINDOW_DAYS + 1])
def test_expiring_refuses_a_window_out_of_range(registry, within_days):
    patrol_world(registry)
    views = caught_up(registry)
    with pytest.raises(InvalidInput, match="within_days"):
        q.expiring(views, AGENCY_CODE, TODAY, within_days, registry.policy)
    with pytest.raises(NotFound):
        q.expiring(views, "NOPD", TODAY, 90, registry.policy)


# ------------------------------------------------------------------------ tiers


def test_tiers_tell_state_certified_from_in_house_only_and_none(registry):
    patrol_world(registry)
    registry.register_agency(
        c.RegisterAgency(
            code="PROVOPD",
            name="Provo Police",
            region="Utah County",
            districts=["Central"],
            shifts=["day"],
            in_house_course=True,
            effective_on=date(2015, 1, 1),
        ),
        STATE,
    )
    views = caught_up(registry)

    now = {t.code: (t.tier, t.officers_in_force) for t in q.tiers(views, TODAY)}
    later = {t.code: (t.tier, t.officers_in_force) for t in q.tiers(views, date(2028, 1, 1))}

    assert now == {
        AGENCY_CODE: ("state_certified", 2),
        OTHER_AGENCY_CODE: ("none", 0),
        "PROVOPD": ("in_house_only", 0),
    }
    # Once every state certificate has lapsed, the agency has no CIT to show.
    assert later[AGENCY_CODE] == ("none", 0)
    assert later["PROVOPD"] == ("in_house_only", 0)


def test_tiers_are_empty_when_no_agency_is_registered(registry):
    assert q.tiers(caught_up(registry), TODAY) == []


# --------------------------------------------------------------------- timeline


def test_the_timeline_shows_a_correction_with_its_effective_date_time_and_actor(registry):
    register_agencies_and_academies(registry)
    officer = certified_officer(registry).id
    continuing_education(registry, "UT-1001", on=date(2026, 3, 1), hours=2)
    registry.correct_record(
        c.CorrectRecord(
            officer="UT-1001",
            corrects_version=6,
            reason="four hours, not two",
            amendments={"hours": 4},
        ),
        STATE,
    )
    views = caught_up(registry)

    entries = q.timeline(views, officer)

    history = registry.history(officer)
    assert [(e.version, e.event, e.effective_on) for e in entries] == [
        (h.version, h.event, h.effective_on) for h in history
    ]
    assert [e.recorded_at for e in entries] == [h.recorded_at for h in history]
    assert [e.position for e in entries] == sorted(e.position for e in entries)
    corrected = entries[-1]
    assert (corrected.event, corrected.version, corrected.effective_on) == (
        "Corrected",
        7,
        date(2026, 3, 1),
    )
    assert (corrected.actor_id, corrected.actor_role) == (STATE.id, "state")
    assert corrected.recorded_at.tzinfo is not None
    assert corrected.details["corrects_version"] == 6
    assert corrected.details["reason"] == "four hours, not two"
    assert corrected.details["amendments"] == {"hours": 4}
    assert entries[0].actor_role == "agency"
    # The amended hours are what the read models count.
    [expiring] = q.expiring(views, AGENCY_CODE, date(2027, 7, 1), 90, registry.policy)
    assert (expiring.ce_hours, expiring.ce_hours_lacking) == (4.0, 0.0)


def test_the_timeline_of_an_unknown_officer_is_empty(registry):
    register_agencies_and_academies(registry)
    certified_officer(registry)
    assert q.timeline(caught_up(registry), "00000000-0000-0000-0000-000000000000") == []


# ------------------------------------------------------------------ change feed


class Recording:
    """Stamps each event a second after the last, from a moment that can jump ahead."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment

    def jump_to(self, day: date) -> None:
        """Record what follows at noon in Utah on `day`."""
        self.moment = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


@pytest.fixture
def recording() -> Recording:
    """The recording clock of the registries a test makes with `now=recording`."""
    return Recording(datetime(2026, 11, 26, 16, tzinfo=UTC))


def feed(views: Views, code: str, **cursor: int) -> list[tuple[str, str, date]]:
    return [
        (ch.kind, ch.certificate_number, ch.effective_on) for ch in q.changes(views, code, **cursor)
    ]


def career_with_every_change(app: Registry) -> dict[str, str]:
    """UT-1001 is renewed, suspended, reinstated, loses and regains POST status, transfers
    to Ogden and is revoked there; UT-1002 (expires 2027-09-20) is left alone; UT-1003
    (expires 2027-09-20) is revoked in Salt Lake City."""
    register_agencies_and_academies(app)
    a = certified_officer(app).certificate_number
    b = certify_on(app, "UT-1002", date(2025, 9, 20))
    gone = certify_on(app, "UT-1003", date(2025, 9, 20))
    continuing_education(app, "UT-1001", on=date(2026, 5, 1), hours=4)
    app.renew_certificate(c.RenewCertificate(number=a, effective_on=date(2026, 6, 1)), ACADEMY)
    suspend(app, a, date(2026, 7, 1))
    app.reinstate_certificate(
        c.ReinstateCertificate(number=a, reason="cleared", effective_on=date(2026, 8, 1)), STATE
    )
    post_status(app, "UT-1001", "suspended", date(2026, 8, 15))
    post_status(app, "UT-1001", "active", date(2026, 8, 20))
    app.separate_officer(
        c.SeparateOfficer(
            officer="UT-1001",
            reason="transferred",
            new_agency_code=OTHER_AGENCY_CODE,
            effective_on=date(2026, 9, 1),
        ),
        AGENCY,
    )
    app.transfer_officer(
        c.TransferOfficer(
            officer="UT-1001", agency_code=OTHER_AGENCY_CODE, effective_on=date(2026, 9, 15)
        ),
        AGENCY,
    )
    for number, on in ((a, date(2026, 10, 15)), (gone, date(2026, 10, 1))):
        app.revoke_certificate(
            c.RevokeCertificate(number=number, reason="misconduct", effective_on=on), STATE
        )
    return {"a": a, "b": b, "gone": gone}


def test_the_change_feed_of_each_agency_lists_every_change_in_order(make_registry, recording):
    app = make_registry(now=recording)
    n = career_with_every_change(app)
    views = caught_up(app)
    a, b, gone = n["a"], n["b"], n["gone"]

    assert feed(views, AGENCY_CODE) == [
        ("issued", a, date(2025, 9, 15)),
        ("issued", b, date(2025, 9, 20)),
        ("issued", gone, date(2025, 9, 20)),
        ("renewed", a, date(2026, 6, 1)),
        ("suspended", a, date(2026, 7, 1)),
        ("reinstated", a, date(2026, 8, 1)),
        ("post_status", a, date(2026, 8, 15)),
        ("post_status", a, date(2026, 8, 20)),
        ("separated", a, date(2026, 9, 1)),
        ("revoked", gone, date(2026, 10, 1)),
    ]
    assert feed(views, OTHER_AGENCY_CODE) == [
        ("separated", a, date(2026, 9, 1)),
        ("transferred_in", a, date(2026, 9, 15)),
        ("revoked", a, date(2026, 10, 15)),
    ]
    changes = q.changes(views, AGENCY_CODE)
    assert changes[0].detail == "expires 2027-09-15"
    assert changes[4].detail == "complaint under review"
    assert changes[3].recorded_at is not None and changes[3].position is not None
    assert all(ch.agency_code == AGENCY_CODE for ch in changes)


def test_the_change_feed_is_read_after_a_cursor_in_pages(make_registry, recording):
    app = make_registry(now=recording)
    career_with_every_change(app)
    views = caught_up(app)
    everything = q.changes(views, AGENCY_CODE)

    first = q.changes(views, AGENCY_CODE, limit=3)
    rest = q.changes(views, AGENCY_CODE, after=first[-1].seq)

    assert first + rest == everything
    assert [ch.seq for ch in everything] == sorted({ch.seq for ch in everything})
    assert q.changes(views, AGENCY_CODE, after=everything[-1].seq) == []
    assert q.changes(views, AGENCY_CODE, after=everything[-2].seq, limit=1) == [everything[-1]]


@pytest.mark.parametrize(
    "cursor", [{"after": -1}, {"limit": 0}, {"limit": 1001}], ids=["after", "limit0", "limit"]
)
def test_the_change_feed_refuses_a_bad_cursor_or_limit(registry, cursor):
    register_agencies_and_academies(registry)
    views = caught_up(registry)
    with pytest.raises(InvalidInput):
        q.changes(views, AGENCY_CODE, **cursor)
    with pytest.raises(NotFound, match="NOPD"):
        q.changes(views, "NOPD")
    assert q.changes(views, AGENCY_CODE) == []


def test_an_expiry_enters_the_feed_once_the_log_reaches_its_day_and_only_once(
    make_registry, recording
):
    career_with_every_change(make_registry(now=recording))
    app = make_registry(today=date(2027, 12, 31), now=recording)
    runner = Runner(app)
    runner.catch_up()

    def expired() -> list[tuple[str, str, date]]:
        return [f for f in feed(runner.views, AGENCY_CODE) if f[0] == "expired"]

    def record_on(day: date) -> None:
        recording.jump_to(day)
        continuing_education(app, "UT-1001", on=day, hours=1)
        runner.catch_up()

    number = app.status("UT-1002").certificates[0].number
    record_on(date(2027, 9, 19))
    assert expired() == []  # the day before UT-1002's expires
    record_on(date(2027, 9, 21))
    assert expired() == [("expired", number, date(2027, 9, 20))]  # not UT-1003's: revoked
    record_on(date(2027, 9, 22))
    record_on(date(2027, 10, 1))
    assert expired() == [("expired", number, date(2027, 9, 20))]
    [entry] = [ch for ch in q.changes(runner.views, AGENCY_CODE) if ch.kind == "expired"]
    assert (entry.position, entry.recorded_at) == (None, None)
    assert entry.detail == "not renewed by its expiry date"
    assert feed(runner.views, OTHER_AGENCY_CODE)[-1][0] == "revoked"  # UT-1001 renewed to 2029

    rebuild(app)
    assert expired() == [("expired", number, date(2027, 9, 20))]


def test_no_expiry_enters_the_feed_before_anything_is_recorded_on_a_later_day(
    make_registry, recording
):
    career_with_every_change(make_registry(now=recording))
    later = make_registry(today=date(2027, 12, 31), now=recording)
    runner = Runner(later)
    assert runner.catch_up() > 0
    assert "expired" not in {kind for kind, _, _ in feed(runner.views, AGENCY_CODE)}


def test_a_correction_enters_the_feed_of_the_officers_agency(registry):
    register_agencies_and_academies(registry)
    number = certified_officer(registry).certificate_number
    registry.correct_record(
        c.CorrectRecord(officer="UT-1001", corrects_version=3, reason="exam entered twice"),
        STATE,
    )
    views = caught_up(registry)
    last = q.changes(views, AGENCY_CODE)[-1]
    assert (last.kind, last.certificate_number) == ("corrected", number)
    assert last.detail == "version 3: exam entered twice"


def test_a_suspended_certificate_still_lapses_in_the_feed_on_its_expiry_date(
    make_registry, recording
):
    """A follower of the feed must not take a later reinstatement for a certificate in force:
    the lapse is reported on the expiry date, suspended or not, and stays the last word
    on its status."""
    app = make_registry(today=date(2027, 12, 31), now=recording)
    register_agencies_and_academies(app)
    number = certify_on(app, "UT-1002", date(2025, 9, 20))  # expires 2027-09-20
    suspend(app, number, date(2027, 9, 1))
    runner = Runner(app)
    recording.jump_to(date(2027, 9, 25))
    continuing_education(app, "UT-1002", on=date(2027, 9, 25), hours=1)
    runner.catch_up()
    assert [k for k, _, _ in feed(runner.views, AGENCY_CODE)] == ["issued", "suspended", "expired"]

    recording.jump_to(date(2027, 10, 2))
    app.reinstate_certificate(
        c.ReinstateCertificate(number=number, reason="cleared", effective_on=date(2027, 10, 1)),
        STATE,
    )
    runner.catch_up()

    assert q.certificate_status(runner.views, number, date(2027, 10, 2)).status == "expired"
    kinds = [k for k, _, _ in feed(runner.views, AGENCY_CODE)]
    assert kinds == ["issued", "suspended", "expired", "reinstated"]
    assert kinds.count("expired") == 1


def test_the_rows_an_event_is_said_to_leave_alone_stay_the_same(memory_registry):
    """The projection writes an officer's placements and certificate rows again only
    after events that can change them (read_models.ROWS_CHANGED). Each claim is checked
    here: along a long random history, each officer's rows are derived in full before
    and after each of its events."""
    app = memory_registry(today=date(2026, 11, 26))
    posts = enrol_officers_for_rows(app)
    assert random_steps(app, posts, steps=900, seed=21) > 300
    # Withholding is not among the random steps: some certified officers are withheld.
    for post in [p for p in posts if app.officer(p).certificates][:3]:
        app.withhold_record(c.WithholdRecord(officer=post, reason="undercover"), STATE)
    seen: Counter[tuple[type, str]] = Counter()
    for post in posts:
        officer = None
        for event in app.repository.event_store.get(app.officer_id(post)):
            before = _rows(officer)
            officer = event.mutate(officer)
            after = _rows(officer)
            claim = rm.ROWS_CHANGED.get(type(event))
            if claim is None:
                continue
            for part, (was, now), may_change in zip(
                ("placements", "certificates"), zip(before, after, strict=True), claim, strict=True
            ):
                if not may_change:
                    assert now == was, f"{type(event).__name__} changed the {part} of {post}"
                    seen[type(event), part] += 1 if was else 0
    # Each claim was put to the test on an officer who had such rows.
    for cls, (placements, certificates) in rm.ROWS_CHANGED.items():
        if not placements:
            assert seen[cls, "placements"], f"no {cls.__name__} checked for placements"
        if not certificates:
            assert seen[cls, "certificates"], f"no {cls.__name__} checked for certificates"


def enrol_officers_for_rows(app: Registry) -> list[str]:
    register_agencies_and_academies(app)
    return enrol_officers(app, 12, seed=8)


def _rows(officer: Officer | None) -> tuple[list[Any], list[Any]]:
    """An officer's placements and certificate rows, derived in full."""
    if officer is None:
        return [], []
    return rm.officer_placements(officer), rm._certificate_rows("id", officer)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_rebuild_on_postgres_leaves_the_planner_statistics(make_registry) -> None:
    """Without ANALYZE (autovacuum off, or not yet run) the planner guesses; a rebuild
    gathers the read models' statistics itself."""
    app = make_registry()
    register_agencies_and_academies(app)
    certified_officer(app)
    views = Runner(app).views
    analyzed = (
        "SELECT relname FROM pg_stat_user_tables WHERE left(relname, 3) = 'rm_' "
        "AND last_analyze IS NOT NULL"
    )
    assert store.query(views, analyzed) == []
    rebuild(app)
    assert {r["relname"] for r in store.query(views, analyzed)} >= {
        "rm_certificates", "rm_officers", "rm_placements", "rm_changes"
    }  # fmt: skip

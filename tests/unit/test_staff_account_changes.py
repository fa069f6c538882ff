"""What the state office does to another person's account, through the service
(`registry.staff.Staff`), on SQLite and PostgreSQL: a new set-password link and a reset
second factor are recorded in the log with who did it (never the link or the secret) and
end the account's sessions; a state person then enrols again; no one changes their own
account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pyotp
import pytest

from registry.application import Registry
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, RuleViolation
from registry.domain.values import Actor, ActorRole
from registry.projections.store import query
from registry.staff import Signed, Staff, Stage
from registry.staff.accounts import NO_SECOND_FACTOR, OWN_ACCOUNT
from tests.factories import TODAY

OFFICE = Actor("user:office", ActorRole.STATE)
PASSWORD = "violet kettle harbour"


class Clock:
    """The moment the registry and the accounts read."""

    def __init__(self) -> None:
        self.at = datetime.combine(TODAY, time(9), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def staff(make_registry, clock: Clock) -> Staff:
    registry: Registry = make_registry(now=clock)
    registry.execute(
        c.RegisterAgency(code="NORTHPD", name="North Police", region="Wasatch", districts=["N"],
                         shifts=["Day"], effective_on=TODAY - timedelta(days=400)),
        OFFICE,
    )  # fmt: skip
    return Staff(registry, now=clock)


def token_of(link: str) -> str:
    found = re.search(r"/staff/password/([A-Za-z0-9_-]{43})$", link)
    assert found, link
    return found.group(1)


def signed(outcome: object) -> Signed:
    assert isinstance(outcome, Signed), outcome
    return outcome


def enrolled_state_person(staff: Staff, clock: Clock) -> tuple[str, str, str]:
    """A state account with its password and second factor set, signed in: its id, its
    TOTP secret and its session."""
    link, info = staff.create("ana@example.gov", ApiRole.STATE, OFFICE)
    staff.set_password(token_of(link), PASSWORD)
    first = signed(staff.sign_in("ana@example.gov", PASSWORD, "10.0.0.1"))
    secret, _ = staff.enrolment(first.session_id)  # type: ignore[misc]
    full = signed(staff.confirm_code(first.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    return info.user_id, secret, full.session_id


def events(staff: Staff, user_id: str) -> list[tuple[str, str]]:
    return [(e.event, e.actor.id) for e in staff.history(user_id)]


def test_a_reset_second_factor_is_recorded_and_the_state_person_enrols_again(
    staff: Staff, clock: Clock
) -> None:
    user_id, secret, session = enrolled_state_person(staff, clock)
    assert staff.get(user_id).second_factor
    staff.reset_second_factor(user_id, "lost phone", OFFICE)
    assert staff.session(session) is None
    assert not staff.get(user_id).second_factor
    assert events(staff, user_id) == [("Created", OFFICE.id), ("SecondFactorReset", OFFICE.id)]
    assert staff.history(user_id)[-1].details == {"reason": "lost phone"}
    again = signed(staff.sign_in("ana@example.gov", PASSWORD, "10.0.0.1"))
    assert again.stage is Stage.CODE
    view = staff.session(again.session_id)
    assert view is not None and view.must_enrol
    new, _ = staff.enrolment(again.session_id)  # type: ignore[misc]
    assert new != secret
    clock.at += timedelta(minutes=1)
    old_code = pyotp.TOTP(secret).at(clock())
    assert not isinstance(staff.confirm_code(again.session_id, old_code, "x"), Signed)
    done = signed(staff.confirm_code(again.session_id, pyotp.TOTP(new).at(clock()), "x"))
    assert done.stage is Stage.FULL
    log = b"".join(n.state for n in staff.app.recorder.select_notifications(start=1, limit=1000))
    assert secret.encode() not in log and new.encode() not in log and b"lost phone" in log


def test_a_second_factor_is_reset_only_if_there_is_one_and_with_a_reason(
    staff: Staff, clock: Clock
) -> None:
    _, info = staff.create("clerk@example.gov", ApiRole.AGENCY, OFFICE, agency_code="NORTHPD")
    with pytest.raises(RuleViolation) as refused:
        staff.reset_second_factor(info.user_id, "lost phone", OFFICE)
    assert refused.value.rule == NO_SECOND_FACTOR
    user_id, _, session = enrolled_state_person(staff, clock)
    with pytest.raises(RuleViolation, match="needs a reason"):
        staff.reset_second_factor(user_id, "  ", OFFICE)
    assert staff.get(user_id).second_factor and staff.session(session) is not None
    assert [e for e, _ in events(staff, info.user_id)] == ["Created"]
    assert [e for e, _ in events(staff, user_id)] == ["Created"]


def test_a_new_link_is_recorded_without_the_link_and_ends_the_sessions(staff: Staff) -> None:
    first, info = staff.create("pat@example.gov", ApiRole.AUDITOR, OFFICE)
    staff.set_password(token_of(first), PASSWORD)
    session = signed(staff.sign_in("pat@example.gov", PASSWORD, "10.0.0.1")).session_id
    link = staff.new_link(info.user_id, OFFICE)
    assert staff.session(session) is None
    assert staff.link_holder(token_of(link)) is not None
    assert events(staff, info.user_id) == [("Created", OFFICE.id), ("PasswordLinkMade", OFFICE.id)]
    log = b"".join(n.state for n in staff.app.recorder.select_notifications(start=1, limit=1000))
    assert token_of(link).encode() not in log and token_of(first).encode() not in log
    staff.disable(info.user_id, "left", OFFICE)
    with pytest.raises(RuleViolation, match="disabled"):
        staff.new_link(info.user_id, OFFICE)


def test_no_one_changes_their_own_account(staff: Staff, clock: Clock) -> None:
    user_id, _, session = enrolled_state_person(staff, clock)
    me = Actor(f"user:{user_id}", ActorRole.STATE)
    for change in (
        lambda: staff.disable(user_id, "bored", me),
        lambda: staff.change_role(user_id, ApiRole.AUDITOR, me, reason="why not"),
        lambda: staff.new_link(user_id, me),
        lambda: staff.reset_second_factor(user_id, "lost phone", me),
    ):
        with pytest.raises(RuleViolation) as refused:
            change()
        assert refused.value.rule == OWN_ACCOUNT
    assert [e for e, _ in events(staff, user_id)] == ["Created"]
    assert staff.session(session) is not None
    assert query(staff.views, "SELECT user_id FROM staff_links WHERE used_at IS NULL") == []


def test_a_change_of_an_account_changed_since_it_was_read_is_a_conflict(staff: Staff) -> None:
    _, info = staff.create("lee@example.gov", ApiRole.AUDITOR, OFFICE)
    stale = staff._user(info.user_id)  # as a second request read it, a moment before
    staff.change_role(info.user_id, ApiRole.STATE, OFFICE, reason="promoted")
    with staff.app.recording():
        stale.disable(reason="left", effective_on=TODAY, actor=OFFICE)
    with pytest.raises(Conflict, match="at the same moment"):
        staff._save(stale)
    assert staff.get(info.user_id).disabled_on is None
    assert [e for e, _ in events(staff, info.user_id)] == ["Created", "RoleChanged"]

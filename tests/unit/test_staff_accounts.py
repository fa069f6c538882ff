"""Staff accounts and signing in, through the service (`registry.staff.Staff`), on SQLite and
PostgreSQL, with time passed in: links, passwords, sessions, lockout, the second factor,
and what is kept where (events in the log, secrets beside it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pyotp
import pytest
from typer.testing import CliRunner

from registry.access import Caller
from registry.api.auth import in_agency
from registry.application import Registry
from registry.cli import app as cli_app
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.domain.values import Actor, ActorRole
from registry.projections.store import query
from registry.staff import Refusal, Signed, Staff, StaffCaller, Stage
from registry.staff.accounts import IDLE, LINK_LIFETIME, LOCK, WRONG
from tests.factories import TODAY

ADMIN = Actor("program-office", ActorRole.STATE)
PASSWORD = "violet kettle harbour"
HOME = "NORTHPD"


class Clock:
    """The moment the registry and the accounts read, moved by the test."""

    def __init__(self) -> None:
        self.at = datetime.combine(TODAY, time(9), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(make_registry, clock: Clock) -> Registry:
    registry = make_registry(now=clock)
    registry.execute(
        c.RegisterAgency(code=HOME, name="North Police", region="Wasatch", districts=["N"],
                         shifts=["Day"], effective_on=TODAY - timedelta(days=400)),
        ADMIN,
    )  # fmt: skip
    return registry


@pytest.fixture
def staff(app: Registry, clock: Clock) -> Staff:
    return Staff(app, now=clock)


def token_of(link: str) -> str:
    match = re.fullmatch(r"http://localhost:8000/staff/password/([A-Za-z0-9_-]{43})", link)
    assert match, link
    return match.group(1)


def account(staff: Staff, role: ApiRole = ApiRole.AUDITOR, email: str = "", **scope: str) -> str:
    """An account with PASSWORD set; its e-mail address."""
    email = email or f"{role.value}-{len(staff.list())}@example.org"
    link, _ = staff.create(email, role, ADMIN, **scope)
    staff.set_password(token_of(link), PASSWORD)
    return email


def signed(outcome: Signed | Refusal) -> Signed:
    assert isinstance(outcome, Signed), outcome
    return outcome


def refused(outcome: Signed | Refusal) -> Refusal:
    assert isinstance(outcome, Refusal), outcome
    return outcome


# ------------------------------------------------------------------ links


def test_a_new_account_gets_a_link_that_sets_its_password_once(staff: Staff) -> None:
    link, info = staff.create("Dana.Reyes@Example.org", ApiRole.AUDITOR, ADMIN)
    token = token_of(link)
    assert staff.link_holder(token) == info and not info.password_set
    staff.set_password(token, PASSWORD)
    assert staff.link_holder(token) is None
    with pytest.raises(NotFound):
        staff.set_password(token, "another long passphrase")
    assert staff.get(info.user_id).password_set
    assert isinstance(staff.sign_in("dana.reyes@example.org", PASSWORD, "10.0.0.1"), Signed)
    assert isinstance(staff.sign_in("dana.reyes@example.org", "another long passphrase",
                                    "10.0.0.1"), Refusal)  # fmt: skip


def test_a_link_works_for_24_hours_and_not_a_moment_longer(staff: Staff, clock: Clock) -> None:
    link, _ = staff.create("late@example.org", ApiRole.AUDITOR, ADMIN)
    clock.move(seconds=LINK_LIFETIME.total_seconds() - 1)
    assert staff.link_holder(token_of(link)) is not None
    clock.move(seconds=1)
    assert staff.link_holder(token_of(link)) is None
    with pytest.raises(NotFound):
        staff.set_password(token_of(link), PASSWORD)
    assert not staff.list()[0].password_set


def test_a_new_link_replaces_an_unused_one_and_a_disabled_account_gets_none(staff: Staff) -> None:
    first, info = staff.create("again@example.org", ApiRole.AUDITOR, ADMIN)
    second = staff.link(info.user_id)
    assert staff.link_holder(token_of(first)) is None
    assert staff.link_holder(token_of(second)) == info
    staff.disable(info.user_id, "left the office", ADMIN)
    assert staff.link_holder(token_of(second)) is None
    with pytest.raises(InvalidInput):
        staff.link(info.user_id)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short one", "at least 12"),
        ("x" * 257, "at most 256"),
        ("password1234", "too easy"),
        ("123456789012", "too easy"),
        ("abababababab", "too easy"),
        ("my name is dana.reyes", "too easy"),
    ],
)
def test_a_weak_password_is_refused_saying_why_and_nothing_is_kept(
    staff: Staff, password: str, says: str
) -> None:
    link, info = staff.create("dana.reyes@example.org", ApiRole.AUDITOR, ADMIN)
    with pytest.raises(InvalidInput, match=says):
        staff.set_password(token_of(link), password)
    assert not staff.get(info.user_id).password_set
    assert staff.link_holder(token_of(link)) == info  # the link still works


# --------------------------------------------------------------- accounts


def test_an_account_is_made_changed_and_disabled_by_events_of_the_log(
    staff: Staff, app: Registry
) -> None:
    _, info = staff.create("clerk@example.org", ApiRole.AGENCY, ADMIN, agency_code="northpd")
    assert (info.role, info.agency_code) == (ApiRole.AGENCY, HOME)
    staff.change_role(info.user_id, ApiRole.AUDITOR, ADMIN, reason="moved to audit")
    staff.disable(info.user_id, "left", ADMIN)
    with pytest.raises(RuleViolation, match="disabled"):
        staff.disable(info.user_id, "again", ADMIN)
    events = list(app.repository.event_store.get(staff._user(info.user_id).id))
    assert [type(e).__qualname__ for e in events] == [
        "StaffUser.Created", "StaffUser.RoleChanged", "StaffUser.Disabled",
    ]  # fmt: skip
    assert all(e.actor == ADMIN for e in events)
    listed = staff.list()
    assert [(u.user_id, u.role, u.disabled_on) for u in listed] == [
        (info.user_id, ApiRole.AUDITOR, TODAY)
    ]


@pytest.mark.parametrize(
    ("role", "scope", "says"),
    [
        (ApiRole.AGENCY, {}, "one agency"),
        (ApiRole.STATE, {"agency_code": HOME}, "one agency"),
        (ApiRole.ACADEMY, {}, "one academy"),
        (ApiRole.PUBLIC, {}, "public"),
    ],
)
def test_an_account_whose_scope_does_not_fit_its_role_is_refused(
    staff: Staff, role: ApiRole, scope: dict[str, str], says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        staff.create("someone@example.org", role, ADMIN, **scope)
    assert staff.list() == []


def test_an_e_mail_address_has_one_account_whatever_its_case(staff: Staff) -> None:
    staff.create("Pat@Example.org", ApiRole.AUDITOR, ADMIN)
    with pytest.raises(Conflict):
        staff.create("pat@EXAMPLE.org", ApiRole.STATE, ADMIN)
    with pytest.raises(InvalidInput):
        staff.create("not an address", ApiRole.AUDITOR, ADMIN)
    assert len(staff.list()) == 1


def test_a_signed_in_person_records_as_user_id_in_their_role_and_scope(
    staff: Staff, app: Registry
) -> None:
    email = account(staff, ApiRole.AGENCY, agency_code=HOME)
    session = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    view = staff.session(session.session_id)
    assert view is not None and view.stage is Stage.FULL
    caller = view.caller
    assert isinstance(caller, StaffCaller) and isinstance(caller, Caller)
    assert caller.actor == Actor(f"user:{caller.user_id}", ActorRole.AGENCY, HOME)
    in_agency(caller, HOME)  # the API's scope checks take a signed-in person as a key
    app.execute(
        c.EnrolOfficer(post_number="UT-7", name="Jo Park", agency_code=HOME,
                       patrol_experience_began_on=TODAY - timedelta(days=900),
                       district="N", shift="Day", effective_on=TODAY),
        caller.actor,
    )  # fmt: skip
    assert app.history("UT-7")[0].actor == caller.actor


# ----------------------------------------------------- secrets never logged


def test_passwords_are_argon2id_and_no_secret_is_in_the_event_log(
    staff: Staff, app: Registry, clock: Clock
) -> None:
    link, info = staff.create("state@example.org", ApiRole.STATE, ADMIN)
    staff.set_password(token_of(link), PASSWORD)
    first = signed(staff.sign_in("state@example.org", PASSWORD, "10.0.0.1"))
    secret, uri = staff.enrolment(first.session_id)  # type: ignore[misc]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    full = signed(staff.confirm_code(first.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    row = query(staff.views, "SELECT * FROM staff_credentials WHERE user_id = ?",
                (info.user_id,))[0]  # fmt: skip
    assert row["password_hash"].startswith("$argon2id$v=19$")
    assert row["totp_secret"] == secret
    sessions = query(staff.views, "SELECT digest FROM staff_sessions")
    assert full.session_id not in {s["digest"] for s in sessions}  # only digests
    log = b"".join(
        n.state + n.topic.encode() for n in app.recorder.select_notifications(start=1, limit=10_000)
    )
    digests = [s["digest"] for s in sessions]
    kept = [PASSWORD, row["password_hash"], secret, token_of(link), *digests]
    for secret_text in [*kept, first.session_id, full.session_id]:
        assert secret_text.encode() not in log
    assert b"state@example.org" in log  # the log does hold the account itself
    attempts = query(staff.views, "SELECT * FROM staff_sign_ins ORDER BY seq")
    assert [a["outcome"] for a in attempts] == ["password-right-code", "second-factor-enrolled"]
    assert all(PASSWORD not in str(a) and secret not in str(a) for a in attempts)


# --------------------------------------------------------------- sessions


def test_a_session_ends_after_8_idle_hours(staff: Staff, clock: Clock) -> None:
    email = account(staff)
    session = signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).session_id
    clock.move(hours=7, minutes=59)
    assert staff.session(session) is not None  # used: idle from now
    clock.move(hours=7, minutes=59)
    assert staff.session(session) is not None
    clock.move(seconds=IDLE.total_seconds())
    assert staff.session(session) is None
    clock.move(seconds=-IDLE.total_seconds())
    assert staff.session(session) is None  # ended, not only too old


def test_every_sign_in_opens_a_new_session_and_sign_out_ends_one(staff: Staff) -> None:
    email = account(staff)
    first = signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).session_id
    second = signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).session_id
    assert first != second
    staff.sign_out(first, "10.0.0.1")
    assert staff.session(first) is None
    assert staff.session(second) is not None
    assert staff.session("made-up-by-someone") is None


@pytest.mark.parametrize(
    "change",
    [
        lambda staff, user_id: staff.disable(user_id, "left", ADMIN),
        lambda staff, user_id: staff.change_role(user_id, ApiRole.STATE, ADMIN, reason="moved"),
        lambda staff, user_id: staff.link(user_id) and None,  # a new link alone changes nothing
    ],
    ids=["disabled", "role-changed", "new-link"],
)
def test_disabling_or_changing_the_role_ends_the_accounts_sessions_at_once(
    staff: Staff, change, request
) -> None:
    email = account(staff)
    user_id = staff.list()[0].user_id
    session = signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).session_id
    change(staff, user_id)
    ends = not request.node.callspec.id.endswith("new-link")
    assert (staff.session(session) is None) is ends
    if ends:  # even a session row left behind would not be taken: its version is old
        assert query(staff.views, "SELECT * FROM staff_sessions") == []


def test_setting_a_password_again_ends_the_sessions(staff: Staff) -> None:
    email = account(staff)
    user_id = staff.list()[0].user_id
    session = signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).session_id
    staff.set_password(token_of(staff.link(user_id)), "a different long passphrase")
    assert staff.session(session) is None


def test_a_disabled_account_cannot_sign_in_and_is_told_as_any_wrong_password(
    staff: Staff,
) -> None:
    email = account(staff)
    staff.disable(staff.list()[0].user_id, "left", ADMIN)
    assert refused(staff.sign_in(email, PASSWORD, "10.0.0.1")).message == WRONG


# ---------------------------------------------------------------- lockout


def attempts(staff: Staff, clock: Clock, email: str, client: str, n: int) -> list[Refusal]:
    """`n` wrong passwords, each once the last one's wait is over."""
    found = []
    for _ in range(n):
        refusal = refused(staff.sign_in(email, "wrong but long enough", client))
        found.append(refusal)
        clock.move(seconds=refusal.retry_after)
    clock.move(seconds=-found[-1].retry_after)
    return found


def test_after_5_failures_signing_in_is_slowed_then_locked_for_15_minutes(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff)
    found = attempts(staff, clock, email, "10.0.0.1", 8)
    assert [r.kind for r in found] == ["wrong"] * 4 + ["wait"] * 3 + ["locked"]
    assert [r.retry_after for r in found] == [0, 0, 0, 0, 30, 60, 120, 900]
    assert "Wait 30 seconds" in found[4].message
    assert "locked for 15 minutes" in found[7].message
    # Even the right password is refused while locked, and says so.
    clock.move(minutes=14, seconds=59)
    still = refused(staff.sign_in(email, PASSWORD, "10.0.0.2"))
    assert (still.kind, still.retry_after) == ("locked", 1)
    clock.move(seconds=1)
    assert isinstance(staff.sign_in(email, PASSWORD, "10.0.0.2"), Signed)


def test_a_try_made_while_slowed_is_refused_even_with_the_right_password(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff)
    attempts(staff, clock, email, "10.0.0.1", 5)
    early = refused(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    assert (early.kind, early.retry_after) == ("wait", 30)
    clock.move(seconds=30)
    assert isinstance(staff.sign_in(email, PASSWORD, "10.0.0.1"), Signed)
    # A success forgets the account's failures: the next wrong password is answered at once.
    assert refused(staff.sign_in(email, "wrong but long enough", "10.0.0.3")).kind == "wrong"


def test_an_unknown_address_is_answered_and_locked_exactly_as_a_known_one(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff)
    known, unknown = [], []
    for n in range(9):  # the last one while locked
        known.append(refused(staff.sign_in(email, "wrong but long enough", "10.0.0.1")))
        unknown.append(refused(staff.sign_in("nobody@example.org", PASSWORD, "10.0.0.2")))
        clock.move(seconds=known[-1].retry_after if n < 7 else 60)
    assert known == unknown
    assert [r.kind for r in known] == ["wrong"] * 4 + ["wait"] * 3 + ["locked"] * 2
    clock.move(minutes=14)
    assert refused(staff.sign_in("nobody@example.org", PASSWORD, "10.0.0.2")).kind == "wrong"


def test_a_client_address_is_locked_across_accounts(staff: Staff, clock: Clock) -> None:
    email = account(staff)
    for n in range(8):
        refusal = refused(
            staff.sign_in(f"guess{n}@example.org", "wrong but long enough", "6.6.6.6")
        )
        clock.move(seconds=refusal.retry_after if n < 7 else 0)
    assert refusal.kind == "locked"
    assert refused(staff.sign_in(email, PASSWORD, "6.6.6.6")).kind == "locked"
    assert isinstance(staff.sign_in(email, PASSWORD, "10.0.0.9"), Signed)
    clock.move(seconds=LOCK.total_seconds())
    assert isinstance(staff.sign_in(email, PASSWORD, "6.6.6.6"), Signed)


# ------------------------------------------------------------ second factor


def test_a_state_account_enrols_a_second_factor_at_its_first_sign_in(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff, ApiRole.STATE)
    first = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    assert first.stage is Stage.CODE
    view = staff.session(first.session_id)
    assert view is not None and view.must_enrol and not view.second_factor
    secret, _ = staff.enrolment(first.session_id)  # type: ignore[misc]
    assert staff.enrolment(first.session_id)[0] == secret  # type: ignore[index]  # same on reload
    wrong = refused(staff.confirm_code(first.session_id, "000000", "10.0.0.1"))
    assert wrong.kind == "wrong" and "code is not right" in wrong.message
    assert staff.session(first.session_id).stage is Stage.CODE  # type: ignore[union-attr]
    full = signed(staff.confirm_code(first.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    assert full.stage is Stage.FULL and full.session_id != first.session_id
    assert staff.session(first.session_id) is None
    assert staff.session(full.session_id).second_factor  # type: ignore[union-attr]
    # Later sign-ins ask for the code; one code is never taken twice.
    later = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    assert later.stage is Stage.CODE and staff.enrolment(later.session_id) is None
    replayed = refused(staff.confirm_code(later.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    assert replayed.kind == "wrong"
    clock.move(seconds=30)
    assert signed(staff.confirm_code(later.session_id, pyotp.TOTP(secret).at(clock()), "x"))


def test_a_session_waiting_for_its_code_is_not_signed_in_and_ends_sooner(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff, ApiRole.STATE)
    first = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    clock.move(minutes=10)
    assert staff.session(first.session_id) is None


def test_wrong_codes_count_towards_the_lock(staff: Staff, clock: Clock) -> None:
    email = account(staff, ApiRole.STATE)
    first = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    secret, _ = staff.enrolment(first.session_id)  # type: ignore[misc]
    kinds = []
    for _ in range(8):
        refusal = refused(staff.confirm_code(first.session_id, "123456", "10.0.0.1"))
        kinds.append(refusal.kind)
        clock.move(seconds=refusal.retry_after if len(kinds) < 8 else 0)
    assert kinds[-1] == "locked"
    locked = refused(staff.confirm_code(first.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    assert locked.kind == "locked"


def test_other_roles_may_enrol_a_second_factor_and_are_then_asked_for_it(
    staff: Staff, clock: Clock
) -> None:
    email = account(staff)
    session = signed(staff.sign_in(email, PASSWORD, "10.0.0.1"))
    assert session.stage is Stage.FULL
    secret, _ = staff.enrolment(session.session_id)  # type: ignore[misc]
    signed(staff.confirm_code(session.session_id, pyotp.TOTP(secret).at(clock()), "x"))
    assert signed(staff.sign_in(email, PASSWORD, "10.0.0.1")).stage is Stage.CODE


# ------------------------------------------------------------ command line


def test_users_create_prints_a_one_time_link_and_the_list_shows_no_secret(
    sqlite_url: str,
) -> None:
    runner = CliRunner()
    env = {"REGISTRY_DATABASE": None, "REGISTRY_ISSUER": "https://cit.example.gov"}
    base = ["--database", sqlite_url, "--actor", "admin"]
    made = runner.invoke(cli_app, [*base, "users", "create", "--role", "auditor",
                                   "--email", "aud@example.org"], env=env)  # fmt: skip
    assert made.exit_code == 0, made.output
    link = made.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"https://cit\.example\.gov/staff/password/[A-Za-z0-9_-]{43}", link)
    token = link.rsplit("/", 1)[1]
    listed = runner.invoke(cli_app, [*base, "users", "list"], env=env)
    assert "aud@example.org" in listed.stdout and "no password yet" in listed.stdout
    assert token not in listed.stdout
    user_id = listed.stdout.split()[0]
    noon = datetime.combine(TODAY, time(12), tzinfo=Settings.from_env().zone())  # as the CLI
    opened = Registry(Settings(database=sqlite_url), now=lambda: noon + timedelta(hours=23))
    try:
        assert Staff(opened).link_holder(token) is not None
        assert Staff(opened, now=lambda: noon + timedelta(hours=25)).link_holder(token) is None
    finally:
        opened.close()
    # A new link (a lost password): the first stops working, and the log says who made it.
    relinked = runner.invoke(cli_app, [*base, "users", "link", user_id], env=env)
    assert relinked.exit_code == 0, relinked.output
    fresh = relinked.stdout.strip().splitlines()[-1].rsplit("/", 1)[1]
    opened = Registry(Settings(database=sqlite_url), now=lambda: noon + timedelta(hours=1))
    try:
        staff = Staff(opened)
        assert staff.link_holder(token) is None and staff.link_holder(fresh) is not None
        made = [e for e in staff.history(user_id) if e.event == "PasswordLinkMade"]
        assert [e.actor.id for e in made] == ["admin"]
        assert fresh not in repr(staff.history(user_id))
    finally:
        opened.close()
    changed = runner.invoke(cli_app, [*base, "users", "change-role", user_id, "--role",
                                      "state", "--reason", "promoted"], env=env)  # fmt: skip
    assert changed.exit_code == 0 and "role changed: state account" in changed.stdout
    off = runner.invoke(cli_app, [*base, "users", "disable", user_id, "--reason", "left"], env=env)
    assert off.exit_code == 0 and "disabled" in off.stdout
    again = runner.invoke(cli_app, [*base, "users", "disable", user_id, "--reason", "x"], env=env)
    assert again.exit_code == 1 and "disabled" in again.stderr
    assert runner.invoke(cli_app, [*base, "users", "create", "--role", "agency", "--email",
                                   "x@example.org"], env=env).exit_code == 2  # fmt: skip

"""Staff accounts and signing in.

An account's creation, its role and scope, and its disabling are events of the log
(`registry.domain.staff.StaffUser`). What a person signs in with is kept beside the log
(`registry.staff.store`): a password hash, a TOTP secret, and SHA-256 digests of
set-password links and of session ids, never the link or the id itself. Every sign-in
attempt is appended to `staff_sign_ins`. Time is the registry's (`Registry.now`), or the
`now` given, so that tests can move it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from registry.access import Caller
from registry.application import HistoryEntry, Registry, history_entry
from registry.domain.access import ApiRole
from registry.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.domain.records import Index
from registry.domain.staff import StaffUser, check_email, email_key
from registry.domain.values import Actor, ActorRole
from registry.projections.store import Views, execute, fetch, query
from registry.staff import passwords, totp
from registry.staff.store import open_store
from registry.storage import CreatedIds

#: How long a set-password link works.
LINK_LIFETIME = timedelta(hours=24)
#: A session ends after this long without a request; one waiting for its second factor
#: sooner.
IDLE = timedelta(hours=8)
CODE_IDLE = timedelta(minutes=10)
#: A session's last use is written again only when it is older than this (one write a
#: minute, not one a request): a session may end up to a minute before IDLE.
TOUCH = timedelta(minutes=1)
#: Failed sign-ins answered at once, for an account or a client address; after the 5th a
#: growing wait before the next try; at LOCK_AT, a lock of LOCK. Failures are forgotten
#: LOCK after the last one, once no wait applies.
FREE_FAILURES = 4
WAITS = {5: timedelta(seconds=30), 6: timedelta(seconds=60), 7: timedelta(seconds=120)}
LOCK_AT = 8
LOCK = timedelta(minutes=15)
#: Who may be asked for the second factor at every sign-in, enrolled or not.
SECOND_FACTOR_REQUIRED = frozenset({ApiRole.STATE})
#: What a refused sign-in says, the same whether or not the account exists.
WRONG = "The e-mail address or the password is not right."
WRONG_CODE = "That code is not right, or it was already used. Enter the code your app shows now."
#: Rules the console's changes to an account are refused by.
OWN_ACCOUNT = "staff-own-account"
NO_SECOND_FACTOR = "staff-no-second-factor"


class Stage(StrEnum):
    """How far a session has got: the password was right and a code is needed (`code`),
    or the person is signed in (`full`)."""

    CODE = "code"
    FULL = "full"


@dataclass(frozen=True)
class StaffCaller(Caller):
    """A signed-in person: the role and scope of their account, as an API key's `Caller`
    has, and what they record is recorded as `user:<id>` in that role and scope."""

    user_id: str = ""
    email: str = ""

    @property
    def actor(self) -> Actor:
        scope = self.academy_code or self.agency_code
        return Actor(f"user:{self.user_id}", ActorRole(self.role.value), scope)


@dataclass(frozen=True)
class UserInfo:
    """An account as lists show it: never a secret."""

    user_id: str
    email: str
    role: ApiRole
    agency_code: str | None
    academy_code: str | None
    created_on: date
    disabled_on: date | None
    password_set: bool
    second_factor: bool


@dataclass(frozen=True)
class Signed:
    """A session just opened: its id (for the cookie; only a digest is kept) and stage."""

    session_id: str
    stage: Stage


@dataclass(frozen=True)
class Refusal:
    """A refused sign-in or code: `wrong`, `wait` (slowed) or `locked`, in words, and the
    seconds before another try is worth making (0: at once)."""

    kind: str
    message: str
    retry_after: int = 0


@dataclass(frozen=True)
class SessionView:
    """A live session: who, how far signed in, and the form token of its forms."""

    caller: StaffCaller
    stage: Stage
    form_token: str
    second_factor: bool  # a TOTP secret is enrolled

    @property
    def must_enrol(self) -> bool:
        return self.caller.role in SECOND_FACTOR_REQUIRED and not self.second_factor


def digest(secret: str) -> str:
    """What is stored of a link's token or a session id: a SHA-256 digest (both are 256
    random bits, so there is nothing to guess from it)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def form_token(cookie: str) -> str:
    """The token a form carries against cross-site requests: an HMAC keyed by the cookie
    it goes with, so it is tied to that session and unknown to anyone without the cookie
    (and, unlike the stored digest, not computable from the database)."""
    return hmac.new(cookie.encode(), b"cit-registry staff form", hashlib.sha256).hexdigest()


def form_token_ok(cookie: str | None, presented: str | None) -> bool:
    if not cookie or not presented:
        return False
    return hmac.compare_digest(form_token(cookie), presented)


def _t(at: datetime) -> str:
    """A moment as stored: UTC, fixed width, so that text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Staff:
    """The staff accounts of one registry, and signing in to them."""

    def __init__(
        self,
        app: Registry,
        views: Views | None = None,
        *,
        issuer: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.views = open_store(app, views)
        self.issuer = (issuer or app.settings.issuer).rstrip("/")
        self._now = now
        self._made = CreatedIds(app.recorder, get_topic(StaffUser.Created))

    def now(self) -> datetime:
        return (self._now or self.app.now)()

    # --------------------------------------------------------------- accounts

    def create(
        self,
        email: str,
        role: ApiRole,
        actor: Actor,
        *,
        agency_code: str | None = None,
        academy_code: str | None = None,
    ) -> tuple[str, UserInfo]:
        """Make an account; return its set-password link (shown once) and the account."""
        agency_code, academy_code = self._scope(agency_code, academy_code)
        email = check_email(email)
        with self.app.recording():
            user = StaffUser.create(
                user_id=secrets.token_hex(6),
                email=email,
                role=role,
                agency_code=agency_code,
                academy_code=academy_code,
                effective_on=self.app.clock(),
                actor=actor,
            )
            claim = Index.claim("staff-email", email_key(email), user.id)
        try:
            self.app.save(user, claim)
        except IntegrityError:
            raise Conflict(f"there is already an account for {email}") from None
        return self.link(user.user_id), self._info(user)

    def link(self, user_id: str) -> str:
        """A new set-password link for the account (earlier unused ones stop working)."""
        user = self._user(user_id)
        if user.disabled_on is not None:
            raise InvalidInput(f"account {user_id} is disabled: it gets no link")
        token = secrets.token_urlsafe(32)
        now = self.now()
        with self.views.transaction() as cursor:
            execute(
                self.views,
                cursor,
                "DELETE FROM staff_links WHERE user_id = ? AND used_at IS NULL",
                (user_id,),
            )
            execute(
                self.views,
                cursor,
                "INSERT INTO staff_links (digest, user_id, made_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (digest(token), user_id, _t(now), _t(now + LINK_LIFETIME)),
            )
        return f"{self.issuer}/staff/password/{token}"

    def change_role(
        self,
        user_id: str,
        role: ApiRole,
        actor: Actor,
        *,
        reason: str,
        agency_code: str | None = None,
        academy_code: str | None = None,
    ) -> UserInfo:
        """Give an account another role or scope; its sessions end at once."""
        agency_code, academy_code = self._scope(agency_code, academy_code)
        user = self._user(user_id)
        _not_own(user, actor)
        with self.app.recording():
            user.change_role(
                role=role,
                agency_code=agency_code,
                academy_code=academy_code,
                reason=reason,
                effective_on=self.app.clock(),
                actor=actor,
            )
        self._save(user)
        self._end_sessions(user_id)
        return self._info(user)

    def disable(self, user_id: str, reason: str, actor: Actor) -> UserInfo:
        """Disable an account: it cannot sign in, and its sessions end at once."""
        user = self._user(user_id)
        _not_own(user, actor)
        with self.app.recording():
            user.disable(reason=reason, effective_on=self.app.clock(), actor=actor)
        self._save(user)
        self._end_sessions(user_id)
        return self._info(user)

    def new_link(self, user_id: str, actor: Actor) -> str:
        """A new set-password link made by `actor` for a lost password: recorded in the log
        (who and when, never the link), and the account's sessions end, as its password
        is about to change."""
        user = self._user(user_id)
        _not_own(user, actor)
        with self.app.recording():
            user.make_link(effective_on=self.app.clock(), actor=actor)
        self._save(user)
        self._end_sessions(user_id)
        return self.link(user_id)

    def reset_second_factor(self, user_id: str, reason: str, actor: Actor) -> UserInfo:
        """Forget the account's second factor (a lost phone), recorded in the log with who
        and why. Its sessions end; the person sets a new one up at their next sign-in (a
        state account must). Refused for an account that has none set up."""
        user = self._user(user_id)
        _not_own(user, actor)
        with self.app.recording():
            user.reset_second_factor(reason=reason, effective_on=self.app.clock(), actor=actor)
        row = self._credentials(user_id)
        if row is None or not row["totp_secret"]:
            raise RuleViolation(
                NO_SECOND_FACTOR, f"account {user_id} has no second factor set up to reset"
            )
        self._save(user)
        with self.views.transaction() as cursor:
            execute(
                self.views,
                cursor,
                "UPDATE staff_credentials SET totp_secret = NULL, totp_pending = NULL, "
                "totp_enrolled_at = NULL, totp_last_step = NULL WHERE user_id = ?",
                (user_id,),
            )
            execute(self.views, cursor, "DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))
        return self._info(user)

    def history(self, user_id: str) -> list[HistoryEntry]:
        """Every event of the account in order: what was done, when, by whom. Never a
        secret: the events hold none."""
        return [history_entry(stored) for stored in self.app.events.get(self._user(user_id).id)]

    def list(self) -> list[UserInfo]:
        """Every account ever made, oldest first, disabled ones included."""
        return [self._info(self.app.repository.get(user_id)) for user_id in self._made()]

    def get(self, user_id: str) -> UserInfo:
        return self._info(self._user(user_id))

    # ---------------------------------------------------------- set a password

    def link_holder(self, token: str) -> UserInfo | None:
        """The account a set-password link is for, if it is unused, unexpired and the
        account is not disabled; else None."""
        rows = query(
            self.views,
            "SELECT user_id FROM staff_links WHERE digest = ? AND used_at IS NULL "
            "AND expires_at > ?",
            (digest(token), _t(self.now())),
        )
        if not rows:
            return None
        try:
            user = self._user(rows[0]["user_id"])
        except NotFound:
            return None
        return None if user.disabled_on is not None else self._info(user)

    def set_password(self, token: str, password: str) -> UserInfo:
        """Set the password of the link's account, once; its sessions end. Refused
        (InvalidInput, saying why) for a weak password; NotFound for a link that does not
        work (used, expired, unknown)."""
        holder = self.link_holder(token)
        if holder is None:
            raise NotFound("this link does not work")
        passwords.check_password(password, email=holder.email)
        hashed = passwords.hash_password(password)
        now = _t(self.now())
        with self.views.transaction() as cursor:
            used = fetch(
                self.views,
                cursor,
                "UPDATE staff_links SET used_at = ? WHERE digest = ? AND used_at IS NULL "
                "AND expires_at > ? RETURNING user_id",
                (now, digest(token), now),
            )
            if not used:  # used by a request that got there first
                raise NotFound("this link does not work")
            self._upsert_credentials(
                cursor, holder.user_id, password_hash=hashed, password_set_at=now
            )
            execute(
                self.views,
                cursor,
                "DELETE FROM staff_sessions WHERE user_id = ?",
                (holder.user_id,),
            )
        return holder

    # -------------------------------------------------------------- sign in

    def sign_in(self, email: str, password: str, client: str) -> Signed | Refusal:
        """Check an e-mail address and password from `client`. A refusal says the same
        whether or not the account exists, and takes as long."""
        now = self.now()
        address = email_key(email)[:254]
        keys = (f"account:{address}", f"client:{client}")
        waiting = self._waiting(keys, now)
        if waiting is not None:
            self._audit(now, address, None, client, f"refused-{waiting.kind}")
            return waiting
        user = self._find(address)
        row = self._credentials(user.user_id) if user is not None else None
        right = passwords.verify_password(None if row is None else row["password_hash"], password)
        if user is None or row is None or not right or user.disabled_on is not None:
            refusal = self._failed(keys, now)
            self._audit(
                now, address, None if user is None else user.user_id, client, "wrong-password"
            )
            return refusal
        self._forget(keys[0])
        if passwords.needs_rehash(row["password_hash"]):
            with self.views.transaction() as cursor:
                self._upsert_credentials(
                    cursor, user.user_id, password_hash=passwords.hash_password(password)
                )
        code = row["totp_secret"] is not None or user.role in SECOND_FACTOR_REQUIRED
        stage = Stage.CODE if code else Stage.FULL
        signed = Signed(self._open(user, stage, now), stage)
        self._audit(now, address, user.user_id, client, f"password-right-{stage.value}")
        return signed

    def session(self, session_id: str | None) -> SessionView | None:
        """The live session `session_id` names, or None (unknown, idle too long, or its
        account disabled or changed since it began: then it is ended now)."""
        if not session_id or len(session_id) > 100:
            return None
        key = digest(session_id)
        rows = query(self.views, "SELECT * FROM staff_sessions WHERE digest = ?", (key,))
        if not rows:
            return None
        row = rows[0]
        now = self.now()
        stage = Stage(row["stage"])
        seen = _at(row["seen_at"])
        try:
            user = self._user(row["user_id"])
        except NotFound:
            user = None
        if (
            user is None
            or now - seen >= (IDLE if stage is Stage.FULL else CODE_IDLE)
            or user.disabled_on is not None
            or user.version != row["user_version"]
        ):
            self._end(key)
            return None
        if now - seen >= TOUCH:
            with self.views.transaction() as cursor:
                execute(
                    self.views,
                    cursor,
                    "UPDATE staff_sessions SET seen_at = ? WHERE digest = ?",
                    (_t(now), key),
                )
        credentials = self._credentials(user.user_id)
        return SessionView(
            caller=self._caller(user),
            stage=stage,
            form_token=form_token(session_id),
            second_factor=bool(credentials and credentials["totp_secret"]),
        )

    def sign_out(self, session_id: str, client: str) -> None:
        """End the session at once."""
        view = self.session(session_id)
        self._end(digest(session_id))
        if view is not None:
            self._audit(self.now(), view.caller.email, view.caller.user_id, client, "signed-out")

    # ------------------------------------------------------- second factor

    def enrolment(self, session_id: str) -> tuple[str, str] | None:
        """The TOTP secret being enrolled for the session's account and its otpauth URI
        (made now if there is none); None if the account already has one."""
        view = self.session(session_id)
        if view is None:
            raise NotFound("no such session")
        row = self._credentials(view.caller.user_id)
        if row is not None and row["totp_secret"]:
            return None
        secret = row["totp_pending"] if row is not None else None
        if not secret:
            secret = totp.new_secret()
            with self.views.transaction() as cursor:
                self._upsert_credentials(cursor, view.caller.user_id, totp_pending=secret)
        return secret, totp.uri(secret, view.caller.email)

    def confirm_code(self, session_id: str, code: str, client: str) -> Signed | Refusal:
        """Check a TOTP code for the session's account (enrolled, or being enrolled). A
        right one replaces the session with a signed-in one under a new id; wrong ones
        count towards the account's and the client's lock, as wrong passwords do."""
        view = self.session(session_id)
        if view is None:
            raise NotFound("no such session")
        now = self.now()
        caller = view.caller
        keys = (f"account:{email_key(caller.email)}", f"client:{client}")
        waiting = self._waiting(keys, now)
        if waiting is not None:
            self._audit(now, caller.email, caller.user_id, client, f"refused-{waiting.kind}")
            return waiting
        row = self._credentials(caller.user_id) or {}
        enrolled = row.get("totp_secret")
        secret = enrolled or row.get("totp_pending")
        step = secret and totp.accepted_step(
            secret, code, now, row.get("totp_last_step") if enrolled else None
        )
        if step is None or not secret or not self._use_step(caller.user_id, secret, step, now):
            refusal = self._failed(keys, now, WRONG_CODE)
            self._audit(now, caller.email, caller.user_id, client, "wrong-code")
            return refusal
        self._forget(keys[0])
        self._end(digest(session_id))
        user = self._user(caller.user_id)
        signed = Signed(self._open(user, Stage.FULL, now), Stage.FULL)
        outcome = "code-right" if enrolled else "second-factor-enrolled"
        self._audit(now, caller.email, caller.user_id, client, outcome)
        return signed

    def _use_step(self, user_id: str, secret: str, step: int, now: datetime) -> bool:
        """Keep `step` as the last one used (making a pending secret the enrolled one);
        False if a request got there first with that step or a later one."""
        with self.views.transaction() as cursor:
            kept = fetch(
                self.views,
                cursor,
                "UPDATE staff_credentials SET totp_secret = ?, totp_pending = NULL, "
                "totp_enrolled_at = COALESCE(totp_enrolled_at, ?), totp_last_step = ? "
                "WHERE user_id = ? AND (totp_secret = ? OR (totp_secret IS NULL "
                "AND totp_pending = ?)) AND (totp_last_step IS NULL OR totp_last_step < ? "
                "OR totp_secret IS NULL) RETURNING user_id",
                (secret, _t(now), step, user_id, secret, secret, step),
            )
            return bool(kept)

    # --------------------------------------------------------- lockout

    def _waiting(self, keys: tuple[str, ...], now: datetime) -> Refusal | None:
        """The refusal of a try made while an account or client must wait; else None."""
        marks = ", ".join("?" * len(keys))
        rows = query(
            self.views,
            f"SELECT failures, wait_until FROM staff_failures WHERE key IN ({marks})",
            keys,
        )
        waits = [(_at(r["wait_until"]), r["failures"]) for r in rows if _at(r["wait_until"]) > now]
        if not waits:
            return None
        until, failures = max(waits)
        return self._refusal(until, failures, now)

    def _failed(self, keys: tuple[str, ...], now: datetime, wrong: str = WRONG) -> Refusal:
        """Count a failure against each key; the refusal to answer with."""
        worst: tuple[datetime, int] = (now, 0)
        with self.views.transaction() as cursor:
            for key in keys:
                found = fetch(
                    self.views,
                    cursor,
                    "INSERT INTO staff_failures (key, failures, last_at, wait_until) "
                    "VALUES (?, 1, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                    "failures = CASE WHEN staff_failures.wait_until <= ? "
                    "AND staff_failures.last_at <= ? THEN 1 "
                    "ELSE staff_failures.failures + 1 END, last_at = excluded.last_at "
                    "RETURNING failures",
                    (key, _t(now), _t(now), _t(now), _t(now - LOCK)),
                )
                failures = int(found[0]["failures"])
                until = now + wait_after(failures)
                execute(
                    self.views,
                    cursor,
                    "UPDATE staff_failures SET wait_until = ? WHERE key = ?",
                    (_t(until), key),
                )
                worst = max(worst, (until, failures))
        until, failures = worst
        if until <= now:
            return Refusal("wrong", wrong)
        refusal = self._refusal(until, failures, now)
        if refusal.kind == "locked":
            return refusal
        return Refusal("wait", f"{wrong} {refusal.message}", refusal.retry_after)

    def _refusal(self, until: datetime, failures: int, now: datetime) -> Refusal:
        seconds = max(1, int((until - now).total_seconds() + 0.999))
        if failures >= LOCK_AT:
            local = until.astimezone(self.app.settings.zone())
            minutes = (seconds + 59) // 60
            return Refusal(
                "locked",
                "There have been too many failed sign-ins for this account or from this "
                f"address, so signing in is locked for {int(LOCK.total_seconds()) // 60} "
                f"minutes. Try again in {minutes} minute{'s' * (minutes != 1)} "
                f"(after {local:%H:%M %Z}).",
                seconds,
            )
        return Refusal(
            "wait",
            "There have been several failed sign-ins for this account or from this address. "
            f"Wait {seconds} second{'s' * (seconds != 1)}, then try again.",
            seconds,
        )

    def _forget(self, key: str) -> None:
        with self.views.transaction() as cursor:
            execute(self.views, cursor, "DELETE FROM staff_failures WHERE key = ?", (key,))

    # --------------------------------------------------------- machinery

    def _open(self, user: StaffUser, stage: Stage, now: datetime) -> str:
        session_id = secrets.token_urlsafe(32)
        with self.views.transaction() as cursor:
            execute(
                self.views,
                cursor,
                "INSERT INTO staff_sessions (digest, user_id, user_version, stage, created_at, "
                "seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                (digest(session_id), user.user_id, user.version, stage.value, _t(now), _t(now)),
            )
        return session_id

    def _end(self, key: str) -> None:
        with self.views.transaction() as cursor:
            execute(self.views, cursor, "DELETE FROM staff_sessions WHERE digest = ?", (key,))

    def _end_sessions(self, user_id: str) -> None:
        with self.views.transaction() as cursor:
            execute(self.views, cursor, "DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))

    def _audit(
        self, now: datetime, email: str, user_id: str | None, client: str, outcome: str
    ) -> None:
        with self.views.transaction() as cursor:
            execute(
                self.views,
                cursor,
                "INSERT INTO staff_sign_ins (at, email, user_id, client, outcome) "
                "VALUES (?, ?, ?, ?, ?)",
                (_t(now), email[:254], user_id, client[:100], outcome),
            )

    def _credentials(self, user_id: str) -> dict[str, Any] | None:
        rows = query(self.views, "SELECT * FROM staff_credentials WHERE user_id = ?", (user_id,))
        return rows[0] if rows else None

    def _upsert_credentials(self, cursor: Any, user_id: str, **values: Any) -> None:
        names = list(values)
        execute(
            self.views,
            cursor,
            f"INSERT INTO staff_credentials (user_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' * len(names))}) ON CONFLICT (user_id) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in names),
            (user_id, *values.values()),
        )

    def _scope(
        self, agency_code: str | None, academy_code: str | None
    ) -> tuple[str | None, str | None]:
        if agency_code is not None:
            agency_code = agency_code.strip().upper()
            self.app.agency(agency_code)  # NotFound if there is no such agency
        if academy_code is not None:
            academy_code = academy_code.strip().upper()
            self.app.academy(academy_code)
        return agency_code, academy_code

    def _find(self, address: str) -> StaffUser | None:
        index = self.app.stored(Index.create_id("staff-email", address), Index)
        return None if index is None else self.app.stored(index.target_id, StaffUser)

    def _save(self, user: StaffUser) -> None:
        """Save a change of an account; Conflict if another change of it was saved since it
        was read (two people at once, or a form sent twice)."""
        try:
            self.app.save(user)
        except IntegrityError:
            raise Conflict(
                f"account {user.user_id} was changed by someone else at the same moment"
            ) from None

    def _user(self, user_id: str) -> StaffUser:
        if not user_id or len(user_id) > 64:
            raise InvalidInput("an account id is 1 to 64 characters")
        user = self.app.stored(StaffUser.create_id(user_id), StaffUser)
        if user is None:
            raise NotFound(f"no staff account {user_id}")
        return user

    def _caller(self, user: StaffUser) -> StaffCaller:
        return StaffCaller(
            role=user.role,
            agency_code=user.agency_code,
            academy_code=user.academy_code,
            user_id=user.user_id,
            email=user.email,
        )

    def _info(self, user: StaffUser) -> UserInfo:
        row = self._credentials(user.user_id) or {}
        return UserInfo(
            user_id=user.user_id,
            email=user.email,
            role=user.role,
            agency_code=user.agency_code,
            academy_code=user.academy_code,
            created_on=user.made_on,
            disabled_on=user.disabled_on,
            password_set=bool(row.get("password_hash")),
            second_factor=bool(row.get("totp_secret")),
        )


def _not_own(user: StaffUser, actor: Actor) -> None:
    """No one changes their own account: another state person does, so that a session
    left open cannot be used to keep the account (a new password, a new second factor)."""
    if actor.id == f"user:{user.user_id}":
        raise RuleViolation(
            OWN_ACCOUNT, "no one changes their own account here: another state person does it"
        )


def wait_after(failures: int) -> timedelta:
    """How long an account or client waits after its `failures`-th failure in a row."""
    if failures >= LOCK_AT:
        return LOCK
    return WAITS.get(failures, timedelta(0))

"""Staff accounts as facts in the log: who was given which role and scope, when it changed,
when someone made it a new set-password link or reset its second factor, and when it was
disabled.

An account is a person who signs in to the staff console. It has the same roles and
scopes as an API key (`ApiRole`). Nothing secret is ever in these events: no password,
no password hash, no second-factor secret, no session. Those are kept in tables beside
the log (`registry/staff/store.py`), so that they can be replaced and forgotten.
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from registry.domain.access import ApiRole
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.records import key_id as natural_id
from registry.domain.values import Actor

#: Rules an account's changes are refused by.
ACCOUNT_DISABLED = "staff-account-disabled"
ROLE_UNCHANGED = "staff-role-unchanged"
REASON = "reason-required"
#: What an e-mail address must look like: something@host.tld, no spaces, at most 254.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def email_key(address: str) -> str:
    """An address as accounts are looked up by it: trimmed, case-folded."""
    return address.strip().casefold()


def check_email(address: str) -> str:
    """The address, trimmed; refused unless it looks like one."""
    text = address.strip()
    if len(text) > 254 or not EMAIL.fullmatch(text):
        raise InvalidInput(f"{text!r} is not an e-mail address (expected name@host.example)")
    return text


def check_scope(role: ApiRole, agency_code: str | None, academy_code: str | None) -> None:
    """Agency staff name one agency, academy staff one academy, the state and auditors none."""
    if role is ApiRole.PUBLIC:
        raise InvalidInput("the public signs in to nothing: give state, academy, agency or auditor")
    if (role is ApiRole.AGENCY) != (agency_code is not None):
        raise InvalidInput("an agency account names exactly one agency (--agency), others none")
    if (role is ApiRole.ACADEMY) != (academy_code is not None):
        raise InvalidInput("an academy account names exactly one academy (--academy), others none")


class StaffUser(RegistryAggregate):
    """One person's account: e-mail, role, scope, and whether it is disabled."""

    class Created(RegistryAggregate.Created):
        user_id: str
        email: str
        role: ApiRole
        agency_code: str | None
        academy_code: str | None
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(user_id: str) -> UUID:
        return natural_id("staff-user", user_id)

    @event(Created)
    def __init__(
        self,
        user_id: str,
        email: str,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.user_id = user_id
        self.email = email
        self.role = ApiRole(role)
        self.agency_code = agency_code
        self.academy_code = academy_code
        self.made_on = effective_on
        self.disabled_on: date | None = None
        self.disabled_reason = ""

    @classmethod
    def create(
        cls,
        *,
        user_id: str,
        email: str,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        effective_on: date,
        actor: Actor,
    ) -> StaffUser:
        """A new account, refused unless its scope fits its role and its address is one."""
        check_scope(role, agency_code, academy_code)
        return cls(
            user_id=user_id,
            email=check_email(email),
            role=role,
            agency_code=agency_code,
            academy_code=academy_code,
            effective_on=effective_on,
            actor=actor,
        )

    def change_role(
        self,
        *,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        reason: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        """Give the account another role or scope: its sessions end."""
        self._check_active()
        check_scope(role, agency_code, academy_code)
        if (role, agency_code, academy_code) == (self.role, self.agency_code, self.academy_code):
            raise RuleViolation(ROLE_UNCHANGED, f"account {self.user_id} already has that role")
        if not reason.strip():
            raise RuleViolation(REASON, "changing an account's role needs a reason")
        self._role_changed(
            role=role,
            agency_code=agency_code,
            academy_code=academy_code,
            reason=reason.strip(),
            effective_on=effective_on,
            actor=actor,
        )

    @event("RoleChanged")
    def _role_changed(
        self,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        reason: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.role = ApiRole(role)
        self.agency_code = agency_code
        self.academy_code = academy_code

    def disable(self, *, reason: str, effective_on: date, actor: Actor) -> None:
        """Disable the account: it cannot sign in again, and its sessions end."""
        self._check_active()
        if not reason.strip():
            raise RuleViolation(REASON, "disabling an account needs a reason")
        self._disabled(reason=reason.strip(), effective_on=effective_on, actor=actor)

    @event("Disabled")
    def _disabled(self, reason: str, effective_on: date, actor: Actor) -> None:
        self.disabled_on = effective_on
        self.disabled_reason = reason

    def make_link(self, *, effective_on: date, actor: Actor) -> None:
        """Record that a new set-password link was made for the account (a lost password):
        who made it and when, never the link. Its sessions end."""
        self._check_active()
        self._link_made(effective_on=effective_on, actor=actor)

    @event("PasswordLinkMade")
    def _link_made(self, effective_on: date, actor: Actor) -> None:
        pass

    def reset_second_factor(self, *, reason: str, effective_on: date, actor: Actor) -> None:
        """Record that the account's second factor was reset (a lost phone): the person
        sets one up again at their next sign-in. Its sessions end."""
        self._check_active()
        if not reason.strip():
            raise RuleViolation(REASON, "resetting a second factor needs a reason")
        self._second_factor_reset(reason=reason.strip(), effective_on=effective_on, actor=actor)

    @event("SecondFactorReset")
    def _second_factor_reset(self, reason: str, effective_on: date, actor: Actor) -> None:
        pass

    def _check_active(self) -> None:
        if self.disabled_on is not None:
            raise RuleViolation(
                ACCOUNT_DISABLED, f"account {self.user_id} was disabled on {self.disabled_on}"
            )

"""API keys as facts in the log: who was given which role, and when a key was revoked.

Only a SHA-256 digest of a key's secret is recorded, never the secret itself. A
key is looked up by its public id (the part of the key before the secret), so
each key is its own small aggregate.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from registry.domain import rules
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.records import key_id as natural_id
from registry.domain.values import Actor


class ApiRole(StrEnum):
    """What a caller of the HTTP API may do. `public` needs no key."""

    STATE = "state"
    ACADEMY = "academy"
    AGENCY = "agency"
    AUDITOR = "auditor"
    PUBLIC = "public"


class ApiKey(RegistryAggregate):
    """One API key: its role, its scope (an agency or an academy), and whether it is revoked."""

    class Created(RegistryAggregate.Created):
        key_id: str
        digest: str
        role: ApiRole
        agency_code: str | None
        academy_code: str | None
        name: str
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(key_id: str) -> UUID:
        return natural_id("api-key", key_id)

    @event(Created)
    def __init__(
        self,
        key_id: str,
        digest: str,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        name: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.key_id = key_id
        self.digest = digest
        self.role = ApiRole(role)
        self.agency_code = agency_code
        self.academy_code = academy_code
        self.name = name
        self.issued_on = effective_on
        self.revoked_on: date | None = None
        self.revoked_reason = ""

    @classmethod
    def create(
        cls,
        *,
        key_id: str,
        digest: str,
        role: ApiRole,
        agency_code: str | None,
        academy_code: str | None,
        name: str,
        effective_on: date,
        actor: Actor,
    ) -> ApiKey:
        """A new key; agency keys name one agency, academy keys one academy, others none."""
        if role is ApiRole.PUBLIC:
            raise InvalidInput("the public role needs no key")
        if (role is ApiRole.AGENCY) != (agency_code is not None):
            raise InvalidInput("an agency key names exactly one agency (--agency), others none")
        if (role is ApiRole.ACADEMY) != (academy_code is not None):
            raise InvalidInput("an academy key names exactly one academy (--academy), others none")
        return cls(
            key_id=key_id,
            digest=digest,
            role=role,
            agency_code=agency_code,
            academy_code=academy_code,
            name=name,
            effective_on=effective_on,
            actor=actor,
        )

    def revoke(self, *, reason: str, effective_on: date, actor: Actor) -> None:
        """Revoke the key: from now on it is refused."""
        if self.revoked_on is not None:
            raise RuleViolation(
                rules.API_KEY_REVOKED, f"key {self.key_id} was revoked on {self.revoked_on}"
            )
        if not reason.strip():
            raise RuleViolation(rules.REASON, "revoking a key needs a reason")
        self._revoked(reason=reason, effective_on=effective_on, actor=actor)

    @event("Revoked")
    def _revoked(self, reason: str, effective_on: date, actor: Actor) -> None:
        self.revoked_on = effective_on
        self.revoked_reason = reason

"""The registry's signing keys as public facts: which key signs, which are published, which retired.

Only public key material is recorded (the JWK `x` value); private keys never
enter the log. Auditors can see which key was valid when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from registry.domain import rules
from registry.domain.errors import RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.records import key_id
from registry.domain.values import Actor

#: What a key signs. Token, checkpoint and webhook keys are kept apart.
PURPOSES = ("token", "checkpoint", "webhook")


@dataclass
class PublishedKey:
    kid: str
    x: str
    published_on: date
    retired_on: date | None = None
    reason: str = ""


class SigningKeys(RegistryAggregate):
    """The keys of one purpose: the one that signs now, and every one published before it."""

    @staticmethod
    def create_id(purpose: str) -> UUID:
        return key_id("signing-keys", purpose)

    @event("Opened")
    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self.keys: dict[str, PublishedKey] = {}
        self.active: str | None = None

    def publish(self, *, kid: str, x: str, effective_on: date, actor: Actor) -> None:
        """Publish a new key; it signs from now on, and the previous one verifies until retired."""
        if kid in self.keys:
            raise RuleViolation(rules.KEY_PUBLISHED, f"key {kid} is already published")
        self._published(kid=kid, x=x, effective_on=effective_on, actor=actor)

    @event("KeyPublished")
    def _published(self, kid: str, x: str, effective_on: date, actor: Actor) -> None:
        self.keys[kid] = PublishedKey(kid, x, effective_on)
        self.active = kid

    def retire(self, *, kid: str, reason: str, effective_on: date, actor: Actor) -> None:
        """Retire a key: tokens it signed no longer verify."""
        key = self.keys.get(kid)
        if key is None:
            raise RuleViolation(rules.KEY_UNKNOWN, f"no {self.purpose} key {kid} was published")
        if key.retired_on is not None:
            raise RuleViolation(rules.KEY_RETIRED, f"key {kid} was retired on {key.retired_on}")
        if kid == self.active:
            raise RuleViolation(
                rules.KEY_ACTIVE, f"key {kid} signs now: rotate to a new key before retiring it"
            )
        if not reason.strip():
            raise RuleViolation(rules.REASON, "retiring a key needs a reason")
        self._retired(kid=kid, reason=reason, effective_on=effective_on, actor=actor)

    @event("KeyRetired")
    def _retired(self, kid: str, reason: str, effective_on: date, actor: Actor) -> None:
        self.keys[kid].retired_on = effective_on
        self.keys[kid].reason = reason

    def published(self) -> list[PublishedKey]:
        """Keys that verify: published and not retired."""
        return [k for k in self.keys.values() if k.retired_on is None]

    def retired(self) -> list[PublishedKey]:
        return [k for k in self.keys.values() if k.retired_on is not None]

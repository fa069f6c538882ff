"""Agencies' webhook endpoints as facts in the log: who registered which URL for which
kinds of change, when its secret was rotated, and when it was disabled and why.

The secret itself is never recorded (it is kept beside the read models and shown once);
an event names only the secret's fingerprint, so an auditor can tell rotations apart.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from registry.domain import rules
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.records import key_id as natural_id
from registry.domain.values import Actor

#: The kinds of change an endpoint may subscribe to, by the change feed's names.
EVENT_TYPES = {
    "issued": "certificate.issued",
    "renewed": "certificate.renewed",
    "suspended": "certificate.suspended",
    "reinstated": "certificate.reinstated",
    "revoked": "certificate.revoked",
    "expired": "certificate.expired",
    "separated": "officer.separated",
    "transferred_in": "officer.transferred",
    "post_status": "officer.post_status_changed",
    "corrected": "record.corrected",
}
#: Sent when a candidate's watch ends (by itself, or ended by the agency).
WATCH_ENDING = "watch.ending"
#: What a subscriber names, each the event type it receives.
SUBSCRIBABLE = frozenset([*EVENT_TYPES.values(), WATCH_ENDING])


def check_events(events: list[str] | None) -> list[str]:
    """The event types asked for, in a stable order; all of them when none is named."""
    if not events:
        return sorted(SUBSCRIBABLE)
    unknown = sorted(set(events) - SUBSCRIBABLE)
    if unknown:
        raise InvalidInput(
            f"unknown event type {', '.join(unknown)}; known: {', '.join(sorted(SUBSCRIBABLE))}"
        )
    return sorted(set(events))


class Webhook(RegistryAggregate):
    """One endpoint of one agency: where its alerts go, which it wants, whether it is on."""

    class Created(RegistryAggregate.Created):
        endpoint_id: str
        agency_code: str
        url: str
        events: list[str]
        fingerprint: str
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(endpoint_id: str) -> UUID:
        return natural_id("webhook", endpoint_id)

    @event(Created)
    def __init__(
        self,
        endpoint_id: str,
        agency_code: str,
        url: str,
        events: list[str],
        fingerprint: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.endpoint_id = endpoint_id
        self.agency_code = agency_code
        self.url = url
        self.events = list(events)
        self.fingerprint = fingerprint
        self.registered_on = effective_on
        self.disabled_on: date | None = None
        self.disabled_reason = ""

    @property
    def enabled(self) -> bool:
        return self.disabled_on is None

    def rotate(self, *, fingerprint: str, effective_on: date, actor: Actor) -> None:
        """A new secret signs from now on (the old one too, for a day: see alerts)."""
        self._check_enabled()
        self._rotated(fingerprint=fingerprint, effective_on=effective_on, actor=actor)

    @event("SecretRotated")
    def _rotated(self, fingerprint: str, effective_on: date, actor: Actor) -> None:
        self.fingerprint = fingerprint

    def disable(self, *, reason: str, effective_on: date, actor: Actor) -> None:
        """Send nothing more to this endpoint."""
        self._check_enabled()
        if not reason.strip():
            raise RuleViolation(rules.REASON, "disabling an endpoint needs a reason")
        self._disabled(reason=reason.strip(), effective_on=effective_on, actor=actor)

    @event("Disabled")
    def _disabled(self, reason: str, effective_on: date, actor: Actor) -> None:
        self.disabled_on = effective_on
        self.disabled_reason = reason

    def _check_enabled(self) -> None:
        if self.disabled_on is not None:
            raise RuleViolation(
                rules.WEBHOOK_DISABLED,
                f"endpoint {self.endpoint_id} was disabled on {self.disabled_on}",
            )


class Watch(RegistryAggregate):
    """A hiring agency watching a candidate it does not employ, for at most the policy's
    `candidate_watch_days`. Given both the certificate number and the POST number, which
    together stand for the candidate's consent (the candidate handed them over)."""

    class Created(RegistryAggregate.Created):
        watch_id: str
        agency_code: str
        officer_id: str
        certificate_number: str
        ends_on: date
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(watch_id: str) -> UUID:
        return natural_id("watch", watch_id)

    @event(Created)
    def __init__(
        self,
        watch_id: str,
        agency_code: str,
        officer_id: str,
        certificate_number: str,
        ends_on: date,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.watch_id = watch_id
        self.agency_code = agency_code
        self.officer_id = officer_id
        self.certificate_number = certificate_number
        self.started_on = effective_on
        self.ends_on = ends_on
        self.ended_on: date | None = None
        self.ended_reason = ""

    def active_on(self, day: date) -> bool:
        """Whether the watch holds on `day`: begun, not past its last day, not ended."""
        ended = self.ended_on is not None and self.ended_on <= day
        return self.started_on <= day <= self.ends_on and not ended

    def end(self, *, reason: str, effective_on: date, actor: Actor) -> None:
        if self.ended_on is not None or effective_on > self.ends_on:
            raise RuleViolation(rules.WATCH_ENDED, f"watch {self.watch_id} has ended")
        if not reason.strip():
            raise RuleViolation(rules.REASON, "ending a watch needs a reason")
        self._ended(reason=reason.strip(), effective_on=effective_on, actor=actor)

    @event("Ended")
    def _ended(self, reason: str, effective_on: date, actor: Actor) -> None:
        self.ended_on = effective_on
        self.ended_reason = reason

"""One error hierarchy for the whole registry.

Every layer raises these; the command line and the HTTP API each map them to
their own way of saying no in exactly one place.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error the registry raises on purpose."""

    kind = "registry-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RegistryError):
    """The request itself is malformed: a bad date, an unknown value, an empty name."""

    kind = "invalid-input"


class NotFound(RegistryError):
    """The officer, agency, academy or certificate asked for is not in the registry."""

    kind = "not-found"


class RuleViolation(RegistryError):
    """A rule of the state program refuses the command. `rule` names the rule."""

    kind = "rule-violation"

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [rule: {rule}]")
        self.rule = rule
        self.detail = message


class Forbidden(RuleViolation):
    """The actor has no authority for this command (a rule of authority names why)."""

    kind = "forbidden"


class Conflict(RegistryError):
    """The command clashes with what is already recorded (a stale version, a duplicate)."""

    kind = "conflict"


class StaleVersion(Conflict):
    """The client last saw an older version of the record than the one stored."""

    kind = "stale-version"


class IdempotencyConflict(Conflict):
    """A command id was reused with different content."""

    kind = "idempotency-conflict"

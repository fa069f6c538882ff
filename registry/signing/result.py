"""What a verification finds: reasons, the status reference, the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from registry.signing.errors import ReasonCode


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a token is not valid: a stable code and a sentence for people."""

    code: ReasonCode
    message: str


class StatusReference(NamedTuple):
    """Where a token's status is kept: entry `idx` of the list at `uri`, for `certificate`."""

    uri: str
    idx: int
    certificate: str


LiveStatus = Callable[[StatusReference], int | None]
"""A live status look-up: the entry's value now (0, 1, 2), or None if the registry has none."""


class VerificationResult(NamedTuple):
    """What `verify_token` found.

    `valid` is true only when `reasons` is empty. `claims` are given only when the
    signature verified. `status_as_of` is when the status information was true: the
    status list's `iat` (in UTC) or `now` for a live look-up; `status` is the entry
    found there (0 valid, 1 invalid, 2 suspended), `kid` the key the token names.

    Immutable like a frozen dataclass, but a NamedTuple: one is made per verification,
    and it is made in a third of the time, which the verification rate notices.
    """

    valid: bool
    reasons: tuple[Reason, ...]
    claims: Mapping[str, Any] | None = None
    status_as_of: datetime | None = None
    kid: str | None = None
    status: int | None = None

    @property
    def codes(self) -> list[ReasonCode]:
        """The reasons' codes, in order."""
        return [r.code for r in self.reasons]

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, for the API and `--json`."""
        return {
            "valid": self.valid,
            "reasons": [{"code": r.code.value, "message": r.message} for r in self.reasons],
            "claims": self.claims,
            "status_as_of": self.status_as_of.isoformat() if self.status_as_of else None,
            "kid": self.kid,
            "status": self.status,
        }

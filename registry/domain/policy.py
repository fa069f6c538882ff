"""The state program's numbers, in one object, with Utah's values as defaults.

Another state changes these without touching code (see `Policy.from_mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from registry.domain.errors import InvalidInput


@dataclass(frozen=True)
class Policy:
    """Every number the rules use. Defaults are Utah's."""

    state: str = "UT"
    #: CIT is advanced training: months of patrol experience required when the academy begins.
    min_patrol_months: int = 12
    #: Hours of the CIT academy.
    academy_hours: int = 40
    #: Hours of the dispatcher course required for the telecommunicator credential.
    telecommunicator_course_hours: int = 16
    #: Hours of the youth (CIT-Y) add-on course.
    youth_course_hours: int = 8
    #: Years a certificate is valid from issue, and by which a renewal extends it.
    validity_years: int = 2
    #: Continuing-education hours needed inside the current cycle to renew.
    renewal_ce_hours: int = 4
    #: Whether a mandated (not self-selected) academy enrolment is refused outright.
    refuse_mandated: bool = False
    #: Share of patrol officers the state aims to have certified.
    coverage_target: float = 0.25
    #: Days an agency has to report a separation.
    separation_report_days: int = 30
    #: Longest life of a verification token, in days (never beyond the certificate's expiry).
    token_max_days: int = 30
    #: Seconds a signed status list may be relied on after it was signed (its `ttl`).
    status_list_ttl_seconds: int = 86_400
    #: Days at most a hiring agency may watch a candidate it does not employ.
    candidate_watch_days: int = 180

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Policy:
        """Build a policy from Utah's defaults and the given overrides (e.g. from TOML)."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidInput(f"unknown policy settings: {', '.join(unknown)}")
        policy = replace(cls(), **values)
        policy.check()
        return policy

    def check(self) -> None:
        """Refuse nonsense numbers."""
        for name in (
            "min_patrol_months",
            "academy_hours",
            "telecommunicator_course_hours",
            "youth_course_hours",
            "renewal_ce_hours",
            "separation_report_days",
            "token_max_days",
            "status_list_ttl_seconds",
            "candidate_watch_days",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(f"policy {name} must be a whole number >= 0, got {value!r}")
        if not isinstance(self.validity_years, int) or self.validity_years < 1:
            raise InvalidInput(f"policy validity_years must be >= 1, got {self.validity_years!r}")
        if not 0 < float(self.coverage_target) <= 1:
            raise InvalidInput(
                f"policy coverage_target must be in (0, 1], got {self.coverage_target!r}"
            )


UTAH = Policy()

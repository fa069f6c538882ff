"""Agencies and academies: the organisations officers work for and train at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from registry.domain import rules
from registry.domain.errors import InvalidInput, RuleViolation
from registry.domain.events import RegistryAggregate
from registry.domain.records import key_id
from registry.domain.values import Actor


class Agency(RegistryAggregate):
    """A law-enforcement agency, with its districts and patrol shifts."""

    class Registered(RegistryAggregate.Created):
        code: str
        name: str
        region: str
        districts: list[str]
        shifts: list[str]
        in_house_course: bool
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(code: str) -> UUID:
        return key_id("agency", code)

    @event(Registered)
    def __init__(
        self,
        code: str,
        name: str,
        region: str,
        districts: list[str],
        shifts: list[str],
        in_house_course: bool,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.code = code
        self._set(name, region, districts, shifts, in_house_course)
        self.registered_on = effective_on

    @event("Updated")
    def update(
        self,
        name: str,
        region: str,
        districts: list[str],
        shifts: list[str],
        in_house_course: bool,
        effective_on: date,
        actor: Actor,
    ) -> None:
        """Change the agency's details, e.g. a new district or a fourth shift."""
        self._set(name, region, districts, shifts, in_house_course)

    def _set(
        self, name: str, region: str, districts: list[str], shifts: list[str], in_house: bool
    ) -> None:
        self.name = name
        self.region = region
        self.districts = list(districts)
        self.shifts = list(shifts)
        self.in_house_course = in_house

    def check_post(self, district: str, shift: str) -> None:
        """Refuse a district or shift the agency does not have."""
        if district not in self.districts:
            raise RuleViolation(
                rules.DISTRICT_SHIFT,
                f"agency {self.code} has no district {district!r}; it has {self.districts}",
            )
        if shift not in self.shifts:
            raise RuleViolation(
                rules.DISTRICT_SHIFT,
                f"agency {self.code} has no shift {shift!r}; it has {self.shifts}",
            )


@dataclass
class CertificationPeriod:
    effective_on: date
    state_certified: bool


class Academy(RegistryAggregate):
    """A training provider registered by the state, state-certified or not."""

    class Registered(RegistryAggregate.Created):
        code: str
        name: str
        state_certified: bool
        effective_on: date
        actor: Actor

    @staticmethod
    def create_id(code: str) -> UUID:
        return key_id("academy", code)

    @event(Registered)
    def __init__(
        self, code: str, name: str, state_certified: bool, effective_on: date, actor: Actor
    ) -> None:
        self.code = code
        self.name = name
        self.history = [CertificationPeriod(effective_on, state_certified)]

    @event("CertificationChanged")
    def change_certification(
        self, state_certified: bool, reason: str, effective_on: date, actor: Actor
    ) -> None:
        """The state certifies the academy, or withdraws its certification, from a date."""
        self.history.append(CertificationPeriod(effective_on, state_certified))
        self.history.sort(key=lambda p: p.effective_on)

    def is_state_certified_on(self, on: date) -> bool:
        """Whether a completion on `on` counts toward certification."""
        state = False
        for period in self.history:
            if period.effective_on <= on:
                state = period.state_certified
        return state


def check_code(code: str, what: str) -> str:
    """Codes are short, upper-case and free of spaces (ORI-like)."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise InvalidInput(f"{what} code must be 1-32 letters, digits, '-' or '_', got {code!r}")
    return code

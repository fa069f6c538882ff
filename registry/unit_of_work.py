"""The aggregates that one command, or one batch of commands, reads and changes.

A unit of work loads each aggregate from the event store at most once and keeps
it, so a later command of a batch sees what an earlier one changed (an officer
enrolled, then trained, then certified, in one batch). Aggregates a command
creates are added, so a later command finds them, and a POST number or
certificate number claimed earlier in the batch counts as taken. It never
writes: the application saves the events its decisions collected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder

from registry.domain.agency import Academy, Agency
from registry.domain.errors import NotFound
from registry.domain.officer import Officer
from registry.domain.records import Index, key_id
from registry.storage import existing_ids


class UnitOfWork:
    """Aggregates loaded once and kept, plus those created by the commands decided so far."""

    def __init__(self, repository: Repository[UUID], recorder: ApplicationRecorder) -> None:
        self._repository = repository
        self._recorder = recorder
        # None: known not to exist (yet). Absent: not asked about.
        self._aggregates: dict[UUID, Aggregate | None] = {}
        self._stored: set[UUID] = set()

    def find(self, aggregate_id: UUID) -> Any:
        """The aggregate with this id, or None if there is none."""
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                self._aggregates[aggregate_id] = None
        return self._aggregates[aggregate_id]

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether the aggregate exists, without loading it if it is only in the store."""
        if aggregate_id in self._aggregates:
            return self._aggregates[aggregate_id] is not None
        if aggregate_id in self._stored:
            return True
        if self._recorder.select_events(aggregate_id, limit=1):
            self._stored.add(aggregate_id)
            return True
        self._aggregates[aggregate_id] = None
        return False

    def prefetch(self, ids: Iterable[UUID]) -> None:
        """Learn in one query which of these aggregates exist, instead of one query each."""
        unknown = [i for i in ids if i not in self._aggregates and i not in self._stored]
        found = existing_ids(self._recorder, unknown) if unknown else None
        if found is None:
            return
        self._stored.update(found)
        for aggregate_id in unknown:
            if aggregate_id not in found:
                self._aggregates[aggregate_id] = None

    def add(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep aggregates a command created or changed, for the commands after it."""
        for aggregate in aggregates:
            self._aggregates[aggregate.id] = aggregate

    def pending(self) -> list[Aggregate]:
        """Aggregates holding events that no decision has collected (should be none)."""
        return [a for a in self._aggregates.values() if a is not None and a.pending_events]

    def get(self, aggregate_id: UUID, what: str) -> Any:
        """The aggregate with this id, or NotFound naming `what`."""
        found = self.find(aggregate_id)
        if found is None:
            raise NotFound(f"{what} is not registered")
        return found

    def agency(self, code: str) -> Agency:
        """An agency by its code."""
        return self.get(key_id("agency", code.strip().upper()), f"agency {code}")

    def academy(self, code: str) -> Academy:
        """An academy by its code."""
        return self.get(key_id("academy", code.strip().upper()), f"academy {code}")

    def officer_id(self, ref: str) -> UUID:
        """Find an officer by registry id, POST number or certificate number."""
        ref = ref.strip()
        try:
            officer_id = UUID(ref)
        except ValueError:
            pass
        else:
            if self.exists(officer_id):
                return officer_id
        for kind in ("post-number", "certificate"):
            index: Index | None = self.find(key_id(kind, ref.upper()))
            if index is not None:
                return index.target_id
        raise NotFound(f"no officer with registry id, POST number or certificate number {ref!r}")

    def officer(self, ref: str) -> Officer:
        """An officer by registry id, POST number or certificate number."""
        return self.get(self.officer_id(ref), f"officer {ref}")

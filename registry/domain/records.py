"""Small aggregates that give the registry its unique keys and idempotency.

Each has an id derived with uuid5 from a natural key and is saved in the same
transaction as the change it guards. A second one with the same key collides
on (id, version 1), so a duplicate can never be half-written.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from registry.domain.events import RegistryAggregate
from registry.domain.values import Actor

NAMESPACE = uuid5(NAMESPACE_URL, "urn:cit-registry")


def key_id(kind: str, key: str) -> UUID:
    """The aggregate id for a natural key, e.g. ("post-number", "UT-12345")."""
    return uuid5(NAMESPACE, f"{kind}:{key}")


class Index(RegistryAggregate):
    """Points a natural key (a POST number, a certificate number) at an aggregate."""

    @staticmethod
    def create_id(kind: str, key: str) -> UUID:
        return key_id(kind, key)

    @event("Claimed")
    def __init__(self, kind: str, key: str, target_id: UUID) -> None:
        self.kind = kind
        self.key = key
        self.target_id = target_id

    @classmethod
    def claim(cls, kind: str, key: str, target_id: UUID) -> Index:
        return cls(kind=kind, key=key, target_id=target_id)


class CommandRecord(RegistryAggregate):
    """A command that was carried out: its id, a digest of its content and its result."""

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return key_id("command", command_id)

    @event("Handled")
    def __init__(
        self, command_id: str, name: str, digest: str, result: dict[str, Any], actor: Actor
    ) -> None:
        self.command_id = command_id
        self.name = name
        self.digest = digest
        self.result = result

    @classmethod
    def record(
        cls, command_id: str, name: str, digest: str, result: dict[str, Any], actor: Actor
    ) -> CommandRecord:
        return cls(
            command_id=command_id,
            name=name,
            digest=digest,
            result=result,
            actor=actor,
        )

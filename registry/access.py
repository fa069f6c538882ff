"""API keys: made, listed, revoked and checked. Only a digest of each secret is stored.

A key reads `cit.<key id>.<secret>`. The key id is public (it names the key in
lists, in the actor of what it records, and when it is revoked); the secret is
32 random bytes, shown once when the key is made. A SHA-256 digest is enough to
store: the secret is random, so there is nothing to guess from the digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

from eventsourcing.utils import get_topic

from registry.application import Registry
from registry.domain.access import ApiKey, ApiRole
from registry.domain.errors import InvalidInput, NotFound
from registry.domain.values import Actor, ActorRole
from registry.storage import CreatedIds

PREFIX = "cit"


@dataclass(frozen=True)
class Caller:
    """Who is calling: a key's role and scope, or the public (no key)."""

    role: ApiRole
    key_id: str | None = None
    agency_code: str | None = None
    academy_code: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor recorded on what this caller changes."""
        scope = self.academy_code or self.agency_code
        return Actor(f"api-key:{self.key_id}", ActorRole(self.role.value), scope)


PUBLIC = Caller(ApiRole.PUBLIC)


@dataclass(frozen=True)
class KeyInfo:
    """A key as lists show it: never its secret."""

    key_id: str
    role: ApiRole
    agency_code: str | None
    academy_code: str | None
    name: str
    created_on: date
    revoked_on: date | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    """The API keys of one registry."""

    def __init__(self, app: Registry) -> None:
        self.app = app
        self._made = CreatedIds(app.recorder, get_topic(ApiKey.Created))

    def create(
        self,
        role: ApiRole,
        actor: Actor,
        *,
        name: str = "",
        agency_code: str | None = None,
        academy_code: str | None = None,
    ) -> tuple[str, KeyInfo]:
        """Make a key; return the whole key (shown once, never stored) and what is stored."""
        if agency_code is not None:
            agency_code = agency_code.strip().upper()
            self.app.agency(agency_code)  # NotFound if there is no such agency
        if academy_code is not None:
            academy_code = academy_code.strip().upper()
            self.app.academy(academy_code)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self.app.recording():
            key = ApiKey.create(
                key_id=key_id,
                digest=digest(secret),
                role=role,
                agency_code=agency_code,
                academy_code=academy_code,
                name=name.strip()[:200],
                effective_on=self.app.clock(),
                actor=actor,
            )
        self.app.save(key)
        return f"{PREFIX}.{key_id}.{secret}", _info(key)

    def revoke(self, key_id: str, reason: str, actor: Actor) -> KeyInfo:
        key = self._get(key_id)
        with self.app.recording():
            key.revoke(reason=reason, effective_on=self.app.clock(), actor=actor)
        self.app.save(key)
        return _info(key)

    def list(self) -> list[KeyInfo]:
        """Every key ever made, oldest first, revoked ones included."""
        return [_info(self.app.repository.get(key_id)) for key_id in self._made()]

    def authenticate(self, presented: str) -> Caller | None:
        """The caller a presented key stands for, or None if it is unknown, wrong or revoked."""
        parts = presented.split(".")
        if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or len(parts[1]) > 64:
            return None
        try:
            key = self._get(parts[1])
        except NotFound:
            return None
        if not hmac.compare_digest(key.digest, digest(parts[2])) or key.revoked_on is not None:
            return None
        return Caller(key.role, key.key_id, key.agency_code, key.academy_code)

    def _get(self, key_id: str) -> ApiKey:
        if not key_id or len(key_id) > 64:
            raise InvalidInput("an API key id is 1 to 64 characters")
        key = self.app.stored(ApiKey.create_id(key_id), ApiKey)
        if key is None:
            raise NotFound(f"no API key {key_id}")
        return key


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id,
        role=key.role,
        agency_code=key.agency_code,
        academy_code=key.academy_code,
        name=key.name,
        created_on=key.issued_on,
        revoked_on=key.revoked_on,
    )

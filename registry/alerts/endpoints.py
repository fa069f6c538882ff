"""An agency's webhook endpoints: register one (its secret shown once), list them, rotate a
secret, disable one. Each change is an event of the endpoint (`domain.webhooks.Webhook`);
the secrets are kept in `webhook_secrets`, never in the log, a page or a log line.

A rotated secret still signs, beside the new one, for `OLD_SECRET_LIFETIME`: a receiver
that has not yet switched keeps verifying.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from registry.alerts import store
from registry.alerts.addresses import check_url
from registry.alerts.signature import new_secret
from registry.application import Registry
from registry.domain.errors import IdempotencyConflict, NotFound
from registry.domain.values import Actor
from registry.domain.webhooks import Webhook, check_events
from registry.projections.store import Views, execute, query
from registry.storage import CreatedIds

#: Seconds a rotated-out secret still signs beside the new one.
OLD_SECRET_LIFETIME = 24 * 3600


@dataclass(frozen=True)
class EndpointInfo:
    """An endpoint as its agency sees it (never its secret)."""

    id: str
    agency_code: str
    url: str
    events: list[str]
    enabled: bool
    registered_on: date
    disabled_on: date | None
    disabled_reason: str
    fingerprint: str


def fingerprint(secret: str) -> str:
    """What the log records of a secret: enough to tell two apart, nothing to sign with."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class Endpoints:
    """The webhook endpoints of one registry."""

    def __init__(
        self, app: Registry, views: Views | None = None, *, now: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.views = store.open_store(app, views)
        self.now = now
        self._made = CreatedIds(app.recorder, get_topic(Webhook.Created))

    def register(
        self, agency_code: str, url: str, events: list[str] | None, actor: Actor,
        *, key: str | None = None,
    ) -> tuple[EndpointInfo, str | None]:  # fmt: skip
        """A new endpoint of an existing agency, and its secret (shown this once).

        With `key` (a form's, an Idempotency-Key), the same registration sent again is
        recorded once: the endpoint made the first time, and None for its secret, which
        was shown then.
        """
        agency = self.app.agency(agency_code)  # NotFound for an unknown agency
        url = check_url(url, allow_loopback=self.app.settings.webhooks_allow_loopback)
        wanted = check_events(events)
        if key is None:
            endpoint_id = "ep_" + secrets.token_hex(8)
        else:
            made = hashlib.sha256(f"{agency.code}\n{actor.id}\n{key}".encode()).hexdigest()
            endpoint_id = "ep_" + made[:16]
            if (found := self.app.stored(Webhook.create_id(endpoint_id), Webhook)) is not None:
                if (found.url, found.events) != (url, wanted):
                    raise IdempotencyConflict(
                        "this key registered another endpoint: send a new key for a new one"
                    )
                return info(found), None
        secret = new_secret()
        with self.app.recording():
            hook = Webhook(
                endpoint_id=endpoint_id, agency_code=agency.code, url=url, events=wanted,
                fingerprint=fingerprint(secret), effective_on=self.app.clock(), actor=actor,
            )  # fmt: skip
        try:
            self.app.save(hook)
        except IntegrityError:  # sent twice at once: the other one made it
            return info(self.get(endpoint_id)), None
        # Kept once the endpoint is recorded: a secret is never kept for an endpoint that
        # another request made. (Should this process stop in between, the endpoint signs
        # with the registry's key alone until its secret is rotated.)
        self._keep(endpoint_id, secret)
        return info(hook), secret

    def rotate(self, endpoint_id: str, actor: Actor) -> tuple[EndpointInfo, str]:
        """A new secret for an endpoint (shown this once); the old one signs for a day more."""
        hook = self.get(endpoint_id)
        secret = new_secret()
        with self.app.recording():
            hook.rotate(fingerprint=fingerprint(secret), effective_on=self.app.clock(), actor=actor)
        self._keep(endpoint_id, secret)
        self.app.save(hook)
        return info(hook), secret

    def disable(self, endpoint_id: str, reason: str, actor: Actor) -> EndpointInfo:
        hook = self.get(endpoint_id)
        with self.app.recording():
            hook.disable(reason=reason, effective_on=self.app.clock(), actor=actor)
        self.app.save(hook)
        return info(hook)

    def get(self, endpoint_id: str) -> Webhook:
        found = None
        if 0 < len(endpoint_id) <= 64:
            found = self.app.stored(Webhook.create_id(endpoint_id), Webhook)
        if found is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return found

    def all(self) -> list[Webhook]:
        """Every endpoint ever registered, oldest first."""
        return [self.app.repository.get(i) for i in self._made()]

    def of(self, agency_code: str) -> list[EndpointInfo]:
        return [info(h) for h in self.all() if h.agency_code == agency_code]

    def signing_secrets(self, endpoint_id: str) -> list[str]:
        """The secrets that sign for an endpoint now: the newest, and any rotated out less
        than `OLD_SECRET_LIFETIME` ago."""
        rows = query(
            self.views,
            "SELECT secret, made_at FROM webhook_secrets WHERE endpoint_id = ? ORDER BY seq DESC",
            (endpoint_id,),
        )
        kept, now = [], self.now()
        for i, row in enumerate(rows):
            # A secret stops signing a day after the next one was made.
            if i == 0 or now - rows[i - 1]["made_at"] < OLD_SECRET_LIFETIME:
                kept.append(row["secret"])
        return kept

    def _keep(self, endpoint_id: str, secret: str) -> None:
        with self.views.transaction() as cursor:
            execute(
                self.views, cursor,
                "INSERT INTO webhook_secrets (endpoint_id, secret, made_at) VALUES (?, ?, ?)",
                (endpoint_id, secret, self.now()),
            )  # fmt: skip


def info(hook: Webhook) -> EndpointInfo:
    return EndpointInfo(
        id=hook.endpoint_id, agency_code=hook.agency_code, url=hook.url, events=list(hook.events),
        enabled=hook.enabled, registered_on=hook.registered_on, disabled_on=hook.disabled_on,
        disabled_reason=hook.disabled_reason, fingerprint=hook.fingerprint,
    )  # fmt: skip

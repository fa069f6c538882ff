"""Reading the outbox: an endpoint's deliveries with their attempts, a replay, and the
backlog /healthz reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from registry.domain.errors import NotFound
from registry.projections import store
from registry.projections.store import Views


class Deliveries:
    def __init__(self, views: Views, *, now: Callable[[], float] = time.time) -> None:
        self.views = views
        self.now = now

    def latest(self, endpoint_id: str, limit: int) -> list[dict[str, Any]]:
        """The endpoint's newest deliveries first, each with its attempts."""
        rows = store.query(
            self.views,
            "SELECT seq, msg_id, event_type, state, attempts, next_at, made_at, done_at, body "
            "FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?",
            (endpoint_id, limit),
        )
        return [self._with_attempts(row) for row in rows]

    def replay(self, endpoint_id: str, msg_id: str) -> dict[str, Any]:
        """Queue a delivery again (same webhook-id), due now, with a fresh retry schedule."""
        with self.views.transaction() as cursor:
            store.execute(
                self.views, cursor,
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?, "
                "done_at = NULL, leased_until = NULL WHERE endpoint_id = ? AND msg_id = ?",
                (self.now(), endpoint_id, msg_id),
            )  # fmt: skip
        found = store.query(
            self.views,
            "SELECT seq, msg_id, event_type, state, attempts, next_at, made_at, done_at, body "
            "FROM webhook_deliveries WHERE endpoint_id = ? AND msg_id = ?",
            (endpoint_id, msg_id),
        )
        if not found:
            raise NotFound(f"endpoint {endpoint_id} has no delivery {msg_id}")
        return self._with_attempts(found[0])

    def backlog(self) -> dict[str, float | int]:
        """How many deliveries are pending, and the age in seconds of the oldest."""
        [row] = store.query(
            self.views,
            "SELECT COUNT(*) AS n, MIN(made_at) AS oldest FROM webhook_deliveries "
            "WHERE state = 'pending'",
        )
        oldest = row["oldest"]
        age = 0.0 if oldest is None else round(max(0.0, self.now() - oldest), 3)
        return {"pending": int(row["n"]), "oldest_pending_seconds": age}

    def _with_attempts(self, row: dict[str, Any]) -> dict[str, Any]:
        tried = store.query(
            self.views,
            "SELECT attempt, at, duration_ms, status, error, answer FROM webhook_attempts "
            "WHERE delivery_seq = ? ORDER BY attempt",
            (row["seq"],),
        )
        found = {k: v for k, v in row.items() if k != "seq"}
        return {**found, "body": json.loads(row["body"]), "tried": tried}

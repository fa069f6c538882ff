"""Sending the outbox: claim the deliveries that are due, post each signed, keep every
attempt, and schedule the next try of those that failed.

- Claimed with a lease (`leased_until`), inside a transaction that on PostgreSQL takes the
  rows `FOR UPDATE SKIP LOCKED`: several workers never send one delivery at once. A worker
  killed mid-send leaves its lease to run out; the delivery is then sent again with the
  same `webhook-id` (at most one repeat, which the receiver recognises by that id). A
  claimed delivery whose lease could run out during its attempt is given back unsent and
  claimed again with a whole lease.
- In order per officer: a delivery waits while an earlier one to the same endpoint about
  the same officer is still pending.
- Retries on the Standard Webhooks schedule (`SCHEDULE`, each delay stretched by up to 10%
  of jitter), or after the receiver's `Retry-After` if it asks for longer; after the last,
  the delivery is `failed`. A 410 Gone disables the endpoint. 15 s is the most one
  attempt may take.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from registry.alerts.addresses import SEND_ERRORS, GuardedSender
from registry.alerts.endpoints import Endpoints
from registry.alerts.outbox import fill, fill_watch_endings
from registry.alerts.signature import headers
from registry.alerts.store import OUTBOX
from registry.alerts.watches import Watches
from registry.domain.values import Actor, ActorRole
from registry.projections import store
from registry.projections.store import Views
from registry.signing.keys import Signer

log = logging.getLogger(__name__)

#: Seconds before each attempt, the first immediately (the Standard Webhooks schedule).
SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
#: Seconds one attempt may take.
TIMEOUT = 15.0
#: Seconds a claimed delivery is kept from other workers: longer than an attempt can take.
LEASE = 60.0
#: Bytes of a receiver's answer kept with an attempt.
ANSWER_KEPT = 1024
#: Who disables an endpoint that answered 410.
WORKER = Actor("webhooks", ActorRole.SYSTEM)

DUE = """
    SELECT d.seq, d.msg_id, d.endpoint_id, d.body, d.attempts,
      (SELECT COALESCE(MAX(a.attempt), 0) FROM webhook_attempts a WHERE a.delivery_seq = d.seq)
        AS tried
    FROM webhook_deliveries d
    WHERE d.state = 'pending' AND d.next_at <= ?
      AND (d.leased_until IS NULL OR d.leased_until < ?)
      AND NOT EXISTS (
        SELECT 1 FROM webhook_deliveries e
        WHERE e.endpoint_id = d.endpoint_id AND e.officer_id = d.officer_id
          AND e.seq < d.seq AND e.state = 'pending')
    ORDER BY d.seq LIMIT ?"""


KEEP = "INSERT INTO webhook_attempts VALUES (?, ?, ?, ?, ?, ?, ?)"


class _Batch:
    """What the deliveries of one claim share, read once: the endpoints, their secrets,
    and the key that signs now."""

    def __init__(self, worker: Worker) -> None:
        self.hooks = {hook.endpoint_id: hook for hook in worker.endpoints.all()}
        key = worker.signing_key() if worker.signing_key is not None else None
        self.sign = key.sign if key is not None else None
        self._endpoints = worker.endpoints
        self._secrets: dict[str, list[str]] = {}

    def secrets(self, endpoint_id: str) -> list[str]:
        if endpoint_id not in self._secrets:
            self._secrets[endpoint_id] = self._endpoints.signing_secrets(endpoint_id)
        return self._secrets[endpoint_id]


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    answer: str
    retry_after: float | None
    seconds: float


class Worker:
    """Fills the outbox and sends what is due, once (`run_once`) or until stopped."""

    def __init__(
        self,
        endpoints: Endpoints,
        signing_key: Callable[[], Signer] | None,
        issuer: str,
        *,
        sender: GuardedSender | None = None,
        now: Callable[[], float] = time.time,
        lease: float = LEASE,
        jitter: Callable[[], float] = random.random,
        batch: int = 20,
        catch_up: Callable[[], object] | None = None,
        watches: Watches | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.views: Views = endpoints.views
        #: The webhook key that signs now (v1a), asked once per claimed batch.
        self.signing_key = signing_key
        self.issuer = issuer
        allow = endpoints.app.settings.webhooks_allow_loopback
        self.sender = sender or GuardedSender(allow_loopback=allow, timeout=TIMEOUT)
        self.now = now
        self.lease = lease
        self.jitter = jitter
        self.batch = batch
        #: Brings the read models and the tree up to the log before each look (a runner's
        #: `catch_up`), so an alert need not wait for their own runner's next poll.
        self.catch_up = catch_up
        self.watches = watches
        self._ended_watches: set[str] = set()
        #: The day and log position the watches were last looked at for endings: a watch
        #: ends only as a day passes or an event is recorded, so between the two nothing
        #: need be read again (not every watch at every poll).
        self._endings_seen: tuple[date, int] | None = None
        self._stop = threading.Event()

    def run_once(self) -> int:
        """Fill the outbox, then send every delivery due now; return how many were tried."""
        if self.catch_up is not None:
            self.catch_up()
        fill(self.views, self.endpoints, self.issuer, self.now, self.watches)
        self._fill_watch_endings()
        tried = 0
        while claimed := self._claim():
            batch = _Batch(self)
            for n, row in enumerate(claimed):
                if n and self.now() + TIMEOUT > row["leased_until"]:
                    # The lease could run out during this attempt, and another worker then
                    # send it too: give the rest back to be claimed again.
                    self._release(claimed[n:])
                    break
                self._send(row, batch)
                tried += 1
        return tried

    def _fill_watch_endings(self) -> None:
        app = self.endpoints.app
        seen = (app.clock(), app.position())
        if self.watches is None or seen == self._endings_seen:
            return
        fill_watch_endings(self.views, self.endpoints, self.watches, self.issuer, self.now,
                           self._ended_watches)  # fmt: skip
        self._endings_seen = seen

    def run_forever(self, poll: float = 0.2) -> None:
        """`run_once` every `poll` seconds until `stop()`; a failing database is logged and
        tried again, never a reason to stop."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a sender that stops would leave every alert unsent
                log.exception("webhook deliveries could not be sent; trying again")
                self._stop.wait(1.0)
            self._stop.wait(poll)

    def start(self, poll: float = 0.2) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(poll,), name="webhooks")
        thread.daemon = True
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ claim

    def _claim(self) -> list[dict[str, Any]]:
        now = self.now()
        # Looked at first outside a transaction: most polls find nothing due, and need take
        # no lock (on SQLite, the one writer's).
        if not store.query(self.views, DUE, (now, now, 1)):
            return []
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.views.dialect == "postgres" else ""
        with self.views.transaction(durable=False) as cursor:
            if not lock:
                # SQLite: be the writer before reading (a read that then writes could not
                # wait for another writer), as the projections do.
                self.views.lock(cursor, OUTBOX)
            rows = store.fetch(self.views, cursor, DUE + lock, (now, now, self.batch))
            until = now + self.lease
            if rows:
                store.execute(
                    self.views, cursor,
                    f"UPDATE webhook_deliveries SET leased_until = ? WHERE seq IN "
                    f"({store.marks(rows)})",
                    (until, *(row["seq"] for row in rows)),
                )  # fmt: skip
        return [{**row, "leased_until": until} for row in rows]

    def _release(self, rows: list[dict[str, Any]]) -> None:
        """Give claimed deliveries back unsent (if their lease is still this worker's)."""
        with self.views.transaction(durable=False) as cursor:
            store.execute(
                self.views, cursor,
                "UPDATE webhook_deliveries SET leased_until = NULL "
                f"WHERE leased_until = ? AND seq IN ({store.marks(rows)})",
                (rows[0]["leased_until"], *(row["seq"] for row in rows)),
            )  # fmt: skip

    # ------------------------------------------------------------------- send

    def _send(self, row: dict[str, Any], batch: _Batch) -> None:
        hook = batch.hooks.get(row["endpoint_id"])
        if hook is None or not hook.enabled:
            self._conclude(row, None, "cancelled")
            return
        body = row["body"].encode()
        sent = headers(
            row["msg_id"], int(self.now()), body, secrets=batch.secrets(hook.endpoint_id),
            signer=batch.sign,
        )  # fmt: skip
        outcome = self._post(hook.url, body, sent)
        if outcome.status == 410:
            self._conclude(row, outcome, "failed")
            self.endpoints.disable(hook.endpoint_id, "the receiver answered 410 Gone", WORKER)
            self._cancel_pending(hook.endpoint_id)
            batch.hooks.pop(hook.endpoint_id)
        elif outcome.status is not None and 200 <= outcome.status < 300:
            self._conclude(row, outcome, "delivered")
        elif row["attempts"] + 1 >= len(SCHEDULE):
            self._conclude(row, outcome, "failed")
        else:
            delay = SCHEDULE[row["attempts"] + 1] * (1 + 0.1 * self.jitter())
            if outcome.retry_after is not None:
                delay = max(delay, min(outcome.retry_after, SCHEDULE[-1]))
            self._conclude(row, outcome, None, next_at=self.now() + delay)

    def _post(self, url: str, body: bytes, sent: dict[str, str]) -> Outcome:
        started = time.monotonic()
        try:
            answer = self.sender.post(url, body, sent, keep=ANSWER_KEPT)
        except SEND_ERRORS as e:
            error = f"{type(e).__name__}: {e}"[:500]
            return Outcome(None, error, "", None, time.monotonic() - started)
        text = answer.content.decode("utf-8", "replace")
        wait = retry_after(answer.headers.get("retry-after"), self.now())
        return Outcome(answer.status, "", text, wait, time.monotonic() - started)

    def _conclude(
        self, row: dict[str, Any], outcome: Outcome | None, state: str | None,
        next_at: float | None = None,
    ) -> None:  # fmt: skip
        """Keep the attempt (if one was made) and what follows it, in one transaction: the
        delivery's final `state`, or its next try at `next_at`.

        Not durable (`Views`): it stands if this worker is killed the moment after, so the
        delivery is not sent again then; only a crash of the database's machine could lose
        it, and the delivery would be sent again under the same webhook-id."""
        now, seq = self.now(), row["seq"]
        tried = int(outcome is not None)
        if state is None:
            update = "UPDATE webhook_deliveries SET attempts = ?, next_at = ?"
            params: tuple[Any, ...] = (row["attempts"] + tried, next_at, seq)
        else:
            update = "UPDATE webhook_deliveries SET attempts = ?, state = ?, done_at = ?"
            params = (row["attempts"] + tried, state, now, seq)
        update += ", leased_until = NULL WHERE seq = ?"
        with self.views.transaction(durable=False) as cursor:
            if outcome is not None:
                # Numbered after the last kept (a replay restarts `attempts`, not them).
                store.execute(self.views, cursor, KEEP, (
                    seq, row["tried"] + 1, now, round(outcome.seconds * 1000, 1), outcome.status,
                    outcome.error, outcome.answer,
                ))  # fmt: skip
            store.execute(self.views, cursor, update, params)

    def _cancel_pending(self, endpoint_id: str) -> None:
        with self.views.transaction() as cursor:
            store.execute(
                self.views, cursor,
                "UPDATE webhook_deliveries SET state = 'cancelled', done_at = ? "
                "WHERE endpoint_id = ? AND state = 'pending'",
                (self.now(), endpoint_id),
            )  # fmt: skip


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks to wait (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)

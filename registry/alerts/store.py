"""The tables beside the log that alerts are sent from.

| table | what it holds |
| --- | --- |
| `webhook_secrets` | each endpoint's signing secrets (`whsec_...`) and when each was made |
| `webhook_deliveries` | the outbox: one row per endpoint per change: body, state, next try |
| `webhook_attempts` | every attempt: when, how long, status or error, 1 KB of the answer |

In the same database as the log and the read models (SQLite file or PostgreSQL). The
outbox is filled from the change feed (`rm_changes`) with its position tracked under
`OUTBOX` in the same transaction, so each change becomes each delivery exactly once. A
delivery's `msg_id` (its `webhook-id`) is made from the endpoint and what the change is
(position, certificate, kind), not from the feed's `seq`: a read-model rebuild numbers the
feed again, and finds every delivery it would make already there.
"""

from __future__ import annotations

from registry.application import Registry
from registry.projections.store import Views, open_side_tables

#: The tracking name of the outbox's position in the change feed (its `seq`).
OUTBOX = "webhook_outbox"

TABLES = {
    "webhook_secrets": """
        CREATE TABLE IF NOT EXISTS webhook_secrets (
            seq {serial},
            endpoint_id TEXT NOT NULL,
            secret TEXT NOT NULL,
            made_at {float} NOT NULL
        )""",
    "webhook_deliveries": """
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            seq {serial},
            msg_id TEXT NOT NULL UNIQUE,
            endpoint_id TEXT NOT NULL,
            officer_id TEXT NOT NULL,
            change_seq BIGINT NOT NULL,
            event_type TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_at {float} NOT NULL,
            leased_until {float},
            made_at {float} NOT NULL,
            done_at {float}
        )""",
    "webhook_attempts": """
        CREATE TABLE IF NOT EXISTS webhook_attempts (
            delivery_seq BIGINT NOT NULL,
            attempt INTEGER NOT NULL,
            at {float} NOT NULL,
            duration_ms {float} NOT NULL,
            status INTEGER,
            error TEXT NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (delivery_seq, attempt)
        )""",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS webhook_secrets_endpoint ON webhook_secrets (endpoint_id, seq)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_order "
    "ON webhook_deliveries (endpoint_id, officer_id, seq)",
]


def open_store(app: Registry, views: Views | None = None) -> Views:
    """The store of the alert tables in `app`'s database, made if they are missing."""
    return open_side_tables(app, views, TABLES, INDEXES, what="webhooks")

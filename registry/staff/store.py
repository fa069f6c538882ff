"""The tables beside the log that hold what staff sign in with.

| table | what it holds |
| --- | --- |
| `staff_credentials` | each account's Argon2id password hash and TOTP secret |
| `staff_links` | a SHA-256 digest of each set-password link's token, its expiry, when it was used |
| `staff_sessions` | a SHA-256 digest of each session id, its account, stage and last use |
| `staff_failures` | failed sign-ins counted per account and per client address, and the wait |
| `staff_sign_ins` | every sign-in attempt: when, from where, for which address, and the outcome |

They are in the same database as the log (SQLite file or PostgreSQL), reached through
the read models' store (an eventsourcing tracking recorder), and made the first time an
account service opens the database, under the schema lock (`registry.schema`).
`staff_sign_ins` is only ever appended to.
"""

from __future__ import annotations

from registry.application import Registry
from registry.projections.store import Views, open_side_tables

TABLES = {
    "staff_credentials": """
        CREATE TABLE IF NOT EXISTS staff_credentials (
            user_id TEXT PRIMARY KEY,
            password_hash TEXT,
            password_set_at TEXT,
            totp_secret TEXT,
            totp_pending TEXT,
            totp_enrolled_at TEXT,
            totp_last_step BIGINT
        )""",
    "staff_links": """
        CREATE TABLE IF NOT EXISTS staff_links (
            digest TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            made_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        )""",
    "staff_sessions": """
        CREATE TABLE IF NOT EXISTS staff_sessions (
            digest TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            user_version INTEGER NOT NULL,
            stage TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen_at TEXT NOT NULL
        )""",
    "staff_failures": """
        CREATE TABLE IF NOT EXISTS staff_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at TEXT NOT NULL,
            wait_until TEXT NOT NULL
        )""",
    "staff_sign_ins": """
        CREATE TABLE IF NOT EXISTS staff_sign_ins (
            seq {serial},
            at TEXT NOT NULL,
            email TEXT NOT NULL,
            user_id TEXT,
            client TEXT NOT NULL,
            outcome TEXT NOT NULL
        )""",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS staff_sessions_user ON staff_sessions (user_id)",
    "CREATE INDEX IF NOT EXISTS staff_links_user ON staff_links (user_id)",
]


def open_store(app: Registry, views: Views | None = None) -> Views:
    """The store of the staff tables in `app`'s database (`views`, the read models' store,
    if the caller has one open), with the tables made if they are missing."""
    return open_side_tables(app, views, TABLES, INDEXES, what="staff accounts")

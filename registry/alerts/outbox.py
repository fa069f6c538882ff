"""Filling the outbox: each change in the feed (`rm_changes`), for each enabled endpoint of
the agency it concerns that asked for its kind, becomes one delivery, written with the
outbox's position in the feed in one transaction (exactly once, whichever process fills).

The body is thin: what changed, for which certificate and officer, when it took effect
and was recorded, its log position, and where to fetch the proof that it is in the log
and the current signed checkpoint. A receiver that missed something reads the agency's
change feed from `feed_seq`. A change is taken only once the Merkle tree holds its event
(`_proved`), so the proof can be fetched as soon as the alert arrives.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from registry.alerts.endpoints import Endpoints
from registry.alerts.signature import message_id
from registry.alerts.store import OUTBOX
from registry.alerts.watches import Watches
from registry.audit.tree import NAME as TREE
from registry.domain.webhooks import EVENT_TYPES, WATCH_ENDING, Watch, Webhook
from registry.projections import store
from registry.projections.store import Views

#: Feed rows read per transaction.
BATCH = 500
#: The most a body may hold (the issue's bound; a body is about 600 bytes).
MAX_BODY = 4096
COLUMNS = (
    "msg_id", "endpoint_id", "officer_id", "change_seq", "event_type", "body", "state",
    "attempts", "next_at", "made_at",
)  # fmt: skip


def fill(
    views: Views,
    endpoints: Endpoints,
    issuer: str,
    now: Callable[[], float],
    watches: Watches | None = None,
) -> int:
    """Make the deliveries of the feed's rows not yet seen, to the endpoints of the agency
    each row names and of the agencies watching the officer as a candidate then; return
    how many were made."""
    made = 0
    while True:
        start = store.position(views, OUTBOX)
        rows = _proved(
            views,
            store.query(
                views, "SELECT * FROM rm_changes WHERE seq > ? ORDER BY seq LIMIT ?", (start, BATCH)
            ),
        )
        if not rows:
            return made
        hooks: dict[str, list[Webhook]] = defaultdict(list)
        for hook in endpoints.all():
            if hook.enabled:
                hooks[hook.agency_code].append(hook)
        watchers = _watchers(watches, rows)
        withheld = _withheld(views, {w.officer_id for ws in watchers.values() for w in ws})
        at = now()
        deliveries = [
            _delivery(row, hook, issuer, at, candidate=False)
            for row in rows
            for hook in hooks.get(row["agency_code"] or "", [])
            if _wants(hook, row)
        ]
        deliveries += [
            _delivery(row, hook, issuer, at, candidate=True, withheld=row["officer_id"] in withheld)
            for i, row in enumerate(rows)
            for watch in watchers.get(i, [])
            for hook in hooks.get(watch.agency_code, [])
            if _wants(hook, row) and watch.agency_code != row["agency_code"]
        ]
        try:
            with views.transaction() as cursor:
                store.claim(views, cursor, OUTBOX, start)
                for delivery in deliveries:
                    _insert(views, cursor, delivery)
                store.record(views, cursor, OUTBOX, rows[-1]["seq"])
        except store.StalePosition:
            continue  # another process filled these rows first
        made += len(deliveries)


def fill_watch_endings(
    views: Views, endpoints: Endpoints, watches: Watches, issuer: str, now: Callable[[], float],
    noted: set[str],
) -> int:  # fmt: skip
    """A `watch.ending` delivery for each candidate's watch that has ended (by itself on
    its last day, or ended by the agency), once per endpoint (`noted`: watches this process
    has seen to already; another process's are found by their webhook-id)."""
    today = endpoints.app.clock()
    ended = [w for w in watches.all() if w.watch_id not in noted and not w.active_on(today)
             and w.started_on <= today]  # fmt: skip
    if not ended:
        return 0
    hooks = [h for h in endpoints.all() if h.enabled and WATCH_ENDING in h.events]
    at, made = now(), []
    for watch in ended:
        for hook in hooks:
            if hook.agency_code != watch.agency_code:
                continue
            ends = watch.ended_on or watch.ends_on
            body = {
                "type": WATCH_ENDING,
                "timestamp": ends.isoformat(),
                "data": {"watch_id": watch.watch_id, "agency_code": watch.agency_code,
                         "certificate_number": watch.certificate_number,
                         "ends_on": ends.isoformat(), "reason": watch.ended_reason or
                         "the longest a candidate may be watched has passed"},
            }  # fmt: skip
            key = f"{hook.endpoint_id}:watch-end:{watch.watch_id}"
            text = json.dumps(body, separators=(",", ":"))
            made.append((message_id(key), hook.endpoint_id, watch.officer_id, 0, WATCH_ENDING,
                         text, "pending", 0, at, at))  # fmt: skip
    with views.transaction() as cursor:
        for delivery in made:
            _insert(views, cursor, delivery)
    noted.update(w.watch_id for w in ended)
    return len(made)


def _watchers(watches: Watches | None, rows: list[dict[str, Any]]) -> dict[int, list[Watch]]:
    """For each row (by index), the candidates' watches that held when it was recorded."""
    if watches is None:
        return {}
    by_officer: dict[str, list[Watch]] = defaultdict(list)
    for watch in watches.all():
        by_officer[watch.officer_id].append(watch)
    found: dict[int, list[Watch]] = {}
    for i, row in enumerate(rows):
        recorded = row["recorded_at"] and datetime.fromisoformat(str(row["recorded_at"]))
        day = recorded.date() if recorded else date.fromisoformat(str(row["effective_on"]))
        held = [w for w in by_officer.get(row["officer_id"], [])
                if w.active_on(day) and (not recorded or w.created_on < recorded)]  # fmt: skip
        if held:
            found[i] = held
    return found


def _withheld(views: Views, officer_ids: set[str]) -> set[str]:
    """Of the watched officers, those withheld from the public."""
    ids = sorted(officer_ids)
    if not ids:
        return set()
    rows = store.query(
        views,
        f"SELECT officer_id FROM rm_officers WHERE withheld = 1 AND officer_id IN "
        f"({', '.join('?' * len(ids))})",
        ids,
    )
    return {r["officer_id"] for r in rows}


def _proved(views: Views, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows up to the first whose event the Merkle tree does not hold yet: an alert is
    sent only once its receiver can fetch the proof that its event is in the log."""
    tree = store.position(views, TREE)
    for i, row in enumerate(rows):
        if row["position"] is not None and row["position"] > tree:
            return rows[:i]
    return rows


def _wants(hook: Webhook, row: dict[str, Any]) -> bool:
    """Whether `hook` is to be told of the change in `row`: a kind it asked for, made after
    it was registered (a lapse: on or after the day it was)."""
    if EVENT_TYPES.get(row["kind"]) not in hook.events:
        return False
    if row["recorded_at"] is None:
        return str(row["effective_on"]) >= hook.registered_on.isoformat()
    return datetime.fromisoformat(str(row["recorded_at"])) > hook.created_on


def _delivery(
    row: dict[str, Any], hook: Webhook, issuer: str, at: float, *, candidate: bool,
    withheld: bool = False,
) -> tuple[Any, ...]:  # fmt: skip
    """One delivery of a feed row. To an agency watching a candidate withheld from the
    public, only what the candidate's token would show: no officer id, no agency."""
    position = row["position"]
    what = position if position is not None else f"expiry {row['effective_on']}"
    key = f"{hook.endpoint_id}:{what}:{row['certificate_number']}:{row['kind']}"
    event_type = EVENT_TYPES[row["kind"]]
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": str(row["recorded_at"] or row["effective_on"]),
            "data": {
                "certificate_number": row["certificate_number"],
                "officer_id": None if withheld else row["officer_id"],
                "agency_code": None if withheld else row["agency_code"],
                "watched_as": "candidate" if candidate else "employee",
                "effective_on": str(row["effective_on"]),
                "recorded_at": row["recorded_at"] and str(row["recorded_at"]),
                "log_position": position,
                "feed_seq": row["seq"],
                "inclusion_proof_url": position
                and f"{issuer}/v1/audit/inclusion?position={position}",
                "checkpoint_url": f"{issuer}/v1/audit/checkpoint",
                "changes_url": None
                if candidate
                else f"{issuer}/v1/agencies/{hook.agency_code}/changes?after={row['seq'] - 1}",
            },
        },
        separators=(",", ":"),
    )
    assert len(body.encode()) <= MAX_BODY, "an alert's body outgrew its bound"
    return (
        message_id(key), hook.endpoint_id, row["officer_id"], row["seq"], event_type, body,
        "pending", 0, at, at,
    )  # fmt: skip


def _insert(views: Views, cursor: Any, delivery: tuple[Any, ...]) -> None:
    marks = ", ".join("?" * len(COLUMNS))
    store.execute(
        views,
        cursor,
        f"INSERT INTO webhook_deliveries ({', '.join(COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (msg_id) DO NOTHING",
        delivery,
    )

"""Rebuilding the read models from the first event, and replaying the log as recorded on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from eventsourcing.persistence import StoredEvent

from registry.application import Registry
from registry.audit.leaf import recorded_at
from registry.config import Settings
from registry.domain.errors import Conflict
from registry.projections import store
from registry.projections.runner import Progress, Runner
from registry.storage import describe

#: Notifications copied per transaction when replaying into a scratch database.
COPY_BATCH = 2000
#: Log positions applied per transaction when building from the first event: larger
#: windows than the runner's, as an officer's rows are derived and written once per
#: window (a window holds at most read_models.FLUSH_OFFICERS officers before it writes).
REBUILD_BATCH = 100_000


def rebuild(app: Registry, *, progress: Progress | None = None) -> int:
    """Drop every read model and apply the whole log again; return the events read."""
    runner = Runner(app, batch_size=REBUILD_BATCH, audit=False)
    for projection in runner.projections:
        store.drop(runner.views, projection.name)
        projection.forget()
    # Building the query indexes once over the filled tables is cheaper than keeping
    # them up row by row. Should the rebuild stop half-way, the next `open_views` builds
    # them.
    store.drop_query_indexes(runner.views)
    try:
        return runner.catch_up(progress=progress)
    finally:
        store.create_query_indexes(runner.views)
        store.analyze(runner.views)


@dataclass(frozen=True)
class Replay:
    """What a replay copied: the events recorded by the cutoff, and where they went."""

    database: str
    cutoff: datetime
    events: int
    skipped: int


def replay_as_recorded(
    app: Registry, day: date, into: str, *, progress: Progress | None = None
) -> Replay:
    """Copy the events recorded by the end of `day` into an empty scratch database and
    build the read models there: the registry exactly as it stood that day."""
    cutoff = app.end_of_day(day)
    scratch = Registry(Settings(database=into, timezone=app.settings.timezone, policy=app.policy))
    try:
        if scratch.position():
            raise Conflict(f"the scratch database {describe(into)} is not empty; give a new one")
        copied = skipped = 0
        start = 1
        while True:
            batch = app.recorder.select_notifications(start=start, limit=COPY_BATCH)
            if not batch:
                break
            keep = [n for n in batch if recorded_at(n.state) <= cutoff]
            skipped += len(batch) - len(keep)
            scratch.recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=n.originator_id,
                        originator_version=n.originator_version,
                        topic=n.topic,
                        state=n.state,
                    )
                    for n in keep
                ]
            )
            copied += len(keep)
            start = batch[-1].id + 1
        Runner(scratch, batch_size=REBUILD_BATCH, audit=False).catch_up(progress=progress)
        return Replay(database=into, cutoff=cutoff, events=copied, skipped=skipped)
    finally:
        scratch.close()


"""The projections' fast path against eventsourcing's public API, on SQLite and PostgreSQL.

Every event of a small synthetic log (bench/synthetic.py) is decoded twice: by the
library's `mapper.to_domain_event` from `select_notifications`, and by the projections'
`FastDecoder` from rows read by `library.read_window`. Each is then folded into its
aggregates, by `event.mutate` and by `library.mutate`. Events and aggregates must come
out equal. This is what tells whether another eventsourcing version still suits
`registry/projections/library.py`, which names what the fast path takes from the
library's insides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bench.synthetic import generate
from registry.application import Registry
from registry.config import Settings
from registry.domain.officer import Officer
from registry.projections import library
from registry.projections.decode import FastDecoder
from tests.factories import TODAY

SCALE = 0.01  # 100 officers: a few thousand events, every kind the generator writes
PAGE = 500


def each_notification(app: Registry) -> Iterator[Any]:
    """Every notification of the log, read a page at a time by the public API."""
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=PAGE):
        yield from page
        start = page[-1].id + 1


def fold(events: Iterable[Any], mutate: Callable[[Any, Any], Any]) -> dict[Any, Any]:
    """Each aggregate of the log, as its events leave it."""
    aggregates: dict[Any, Any] = {}
    for event in events:
        aggregates[event.originator_id] = mutate(event, aggregates.get(event.originator_id))
    return aggregates


def test_every_event_of_a_synthetic_log_decodes_and_folds_as_the_library_does(database_url):
    summary = generate(database_url, scale=SCALE, seed=5, progress=False)
    app = Registry(Settings(database=database_url), clock=lambda: TODAY)
    try:
        head = app.position()
        assert library.lowest_position(app.recorder) == 1
        public = [app.mapper.to_domain_event(n) for n in each_notification(app)]
        rows = library.read_window(app.recorder, 0, head)
        fast = [event for _, event in FastDecoder(app.mapper).iter_rows(rows)]
    finally:
        app.close()

    assert head == summary.events == len(public) == len(fast)
    assert [p for p, *_ in rows] == list(range(1, head + 1))
    assert [type(e) for e in fast] == [type(e) for e in public]
    assert [vars(e) for e in fast] == [vars(e) for e in public]

    by_library = fold(public, lambda event, aggregate: event.mutate(aggregate))
    by_fast_path = fold(fast, library.mutate)
    assert by_fast_path.keys() == by_library.keys()
    officers = [k for k, a in by_library.items() if isinstance(a, Officer)]
    assert len(officers) == summary.officers
    for key, aggregate in by_library.items():
        assert type(by_fast_path[key]) is type(aggregate)
        assert vars(by_fast_path[key]) == vars(aggregate), key
    # The fast path did fold events directly, not only through `mutate`.
    direct = {type(e) for e in fast if library.folds_directly(type(e))}
    assert {Officer.TrainingRecorded, Officer.CertificateIssued} <= direct

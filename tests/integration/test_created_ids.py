"""`CreatedIds`: the accounts and API keys pages list every aggregate of a kind ever made,
reading only the log recorded since they last asked. On SQLite and PostgreSQL."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from registry.access import ApiKeys
from registry.domain.access import ApiKey, ApiRole
from registry.storage import CreatedIds
from tests.factories import STATE, certified_officer, register_agencies_and_academies


def _all_made(app) -> list:
    """Every key made, by reading the whole log: what the kept index must agree with."""
    topic = get_topic(ApiKey.Created)
    everything = app.recorder.select_notifications(start=1, limit=10**6)
    return [n.originator_id for n in everything if n.topic == topic]


def test_keys_made_after_a_listing_appear_in_the_next(make_registry) -> None:
    app = make_registry()
    keys = ApiKeys(app)
    assert keys.list() == []
    first = [keys.create(ApiRole.AUDITOR, STATE, name=f"auditor {i}")[1] for i in range(3)]
    assert [k.key_id for k in keys.list()] == [k.key_id for k in first]
    register_agencies_and_academies(app)
    certified_officer(app)  # other events between the creations
    later = keys.create(ApiRole.STATE, STATE, name="state")[1]
    keys.revoke(first[0].key_id, "lost", STATE)
    listed = keys.list()
    assert [k.key_id for k in listed] == [k.key_id for k in [*first, later]]
    assert listed[0].revoked_on is not None  # read as it stands now, not as first found
    index = CreatedIds(app.recorder, get_topic(ApiKey.Created))
    assert index() == _all_made(app)  # a fresh index reads the same from the whole log
    assert index() == _all_made(app)  # and again, from where it stopped


def test_another_process_s_keys_are_found(make_registry) -> None:
    app = make_registry()
    keys = ApiKeys(app)
    keys.create(ApiRole.AUDITOR, STATE)
    assert len(keys.list()) == 1
    other = make_registry()  # a second registry on the same database, as another server
    made = ApiKeys(other).create(ApiRole.STATE, STATE)[1]
    assert [k.key_id for k in keys.list()][-1] == made.key_id

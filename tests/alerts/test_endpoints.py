"""Registering endpoints, on SQLite and PostgreSQL: loopback refused unless the setting
allows it, the secret never in the log, a rotated secret signing for a day beside the new."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registry.alerts.endpoints import OLD_SECRET_LIFETIME, Endpoints
from registry.application import Registry
from registry.config import Settings
from registry.domain.errors import IdempotencyConflict, InvalidInput, NotFound, RuleViolation
from registry.projections import store
from tests.alerts.conftest import Alerting, Clock
from tests.factories import AGENCY_CODE, STATE, TODAY, register_agencies_and_academies


def test_loopback_is_refused_by_default_and_nothing_is_written(
    database_url: str, tmp_path: Path
) -> None:
    assert Settings().webhooks_allow_loopback is False
    app = Registry(Settings(database=database_url, key_dir=str(tmp_path)), clock=lambda: TODAY)
    try:
        register_agencies_and_academies(app)
        endpoints = Endpoints(app)
        before = app.position()
        for url in ("http://127.0.0.1:8080/h", "https://127.0.0.1/h", "https://[::1]/h",
                    "https://10.1.2.3/h", "https://169.254.169.254/h"):  # fmt: skip
            with pytest.raises(InvalidInput):
                endpoints.register(AGENCY_CODE, url, None, STATE)
        with pytest.raises(NotFound):
            endpoints.register("NO-SUCH", "https://8.8.8.8/h", None, STATE)
        with pytest.raises(InvalidInput, match="unknown event type"):
            endpoints.register(AGENCY_CODE, "https://8.8.8.8/h", ["certificate.lost"], STATE)
        assert app.position() == before
        assert store.query(endpoints.views, "SELECT * FROM webhook_secrets") == []
    finally:
        app.close()


def test_the_secret_is_never_in_the_log(alerting: Alerting) -> None:
    info, secret = alerting.endpoints.register(AGENCY_CODE, "http://127.0.0.1:9/h", None, STATE)
    _, rotated = alerting.endpoints.rotate(info.id, STATE)
    stored = alerting.app.recorder.select_notifications(start=1, limit=10**6)
    everything = b"".join(n.state for n in stored)
    for kept in (secret, rotated):
        assert kept.encode() not in everything
        assert kept.removeprefix("whsec_").encode() not in everything
    history = [
        type(e).__name__ for e in alerting.app.events.get(alerting.endpoints.get(info.id).id)
    ]
    assert history == ["Created", "SecretRotated"]


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(alerting: Alerting) -> None:
    clock: Clock = alerting.clock
    info, old = alerting.endpoints.register(AGENCY_CODE, "http://127.0.0.1:9/h", None, STATE)
    assert alerting.endpoints.signing_secrets(info.id) == [old]
    clock.at += 60
    _, new = alerting.endpoints.rotate(info.id, STATE)
    assert alerting.endpoints.signing_secrets(info.id) == [new, old]
    clock.at += OLD_SECRET_LIFETIME - 1
    assert alerting.endpoints.signing_secrets(info.id) == [new, old]
    clock.at += 1
    assert alerting.endpoints.signing_secrets(info.id) == [new]


def test_a_disabled_endpoint_cannot_be_rotated_or_disabled_again(alerting: Alerting) -> None:
    info, _ = alerting.endpoints.register(AGENCY_CODE, "http://127.0.0.1:9/h", None, STATE)
    with pytest.raises(RuleViolation):
        alerting.endpoints.disable(info.id, "  ", STATE)
    alerting.endpoints.disable(info.id, "moved", STATE)
    for act in (lambda: alerting.endpoints.rotate(info.id, STATE),
                lambda: alerting.endpoints.disable(info.id, "again", STATE)):  # fmt: skip
        with pytest.raises(RuleViolation, match="disabled"):
            act()


def test_a_registration_sent_twice_with_its_key_is_recorded_once(alerting: Alerting) -> None:
    url = "http://127.0.0.1:9/h"
    first, secret = alerting.endpoints.register(AGENCY_CODE, url, None, STATE, key="k-1")
    again, none = alerting.endpoints.register(AGENCY_CODE, url, None, STATE, key="k-1")
    assert secret is not None and none is None and again.id == first.id
    with pytest.raises(IdempotencyConflict):
        alerting.endpoints.register(AGENCY_CODE, url + "x", None, STATE, key="k-1")
    assert [e.id for e in alerting.endpoints.of(AGENCY_CODE)] == [first.id]
    assert alerting.endpoints.signing_secrets(first.id) == [secret]
    with ThreadPoolExecutor(4) as pool:  # sent four times at once
        made = list(pool.map(lambda _: alerting.endpoints.register(
            AGENCY_CODE, url, None, STATE, key="k-2"), range(4)))  # fmt: skip
    assert len({m.id for m, _ in made}) == 1
    shown = [s for _, s in made if s is not None]
    assert len(shown) == 1 and alerting.endpoints.signing_secrets(made[0][0].id) == shown

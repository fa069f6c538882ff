"""Alerts delivered to a real receiver on 127.0.0.1, on SQLite and PostgreSQL: signed so
that the `standardwebhooks` package verifies the v1 signature and the registry's published
webhook key the v1a one; retried with the same webhook-id; in order per officer; a 410
disables the endpoint."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import standardwebhooks
import time_machine

from registry.alerts.deliveries import Deliveries
from registry.alerts.outbox import fill
from registry.alerts.signature import public_key_from_jwk, verify_v1a
from registry.alerts.store import OUTBOX
from registry.domain import commands as c
from registry.projections import store
from tests.alerts.conftest import Alerting
from tests.alerts.receiver import Received, receiving
from tests.factories import AGENCY_CODE, STATE, certified_officer


def verified(secret: str, got: Received, at: float) -> dict:
    """What the `standardwebhooks` package makes of a delivery, as a receiver whose clock
    reads `at` (the package checks the timestamp against its own clock)."""
    with time_machine.travel(datetime.fromtimestamp(at, UTC), tick=False):
        return standardwebhooks.Webhook(secret).verify(got.body, got.headers)


def _suspend(alerting: Alerting, number: str, reason: str = "under review") -> None:
    alerting.app.execute(
        c.SuspendCertificate(number=number, reason=reason, effective_on=date(2026, 11, 20)),
        STATE,
    )
    alerting.settle()


def _states(alerting: Alerting) -> list[tuple[str, int]]:
    rows = store.query(
        alerting.runner.views, "SELECT state, attempts FROM webhook_deliveries ORDER BY seq"
    )
    return [(r["state"], r["attempts"]) for r in rows]


def test_a_suspension_arrives_signed_v1_and_v1a(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        info, secret = alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        worker = alerting.worker()
        alerting.settle()
        assert worker.run_once() == 0  # the issue was recorded before the endpoint: not sent
        _suspend(alerting, number)
        suspended_at = alerting.app.position()
        assert worker.run_once() == 1
    [got] = receiver.got
    payload = verified(secret, got, alerting.clock())
    assert payload["type"] == "certificate.suspended"
    data = payload["data"]
    assert data["certificate_number"] == number and data["agency_code"] == AGENCY_CODE
    assert data["effective_on"] == "2026-11-20"
    position = data["log_position"]
    assert position == suspended_at
    assert data["inclusion_proof_url"].endswith(f"/v1/audit/inclusion?position={position}")
    assert len(got.body) < 4096
    [jwk] = alerting.signing.jwks("webhook")["keys"]
    verify_v1a(got.headers, got.body, public_key_from_jwk(jwk), now=int(alerting.clock()))
    assert secret not in got.body.decode() and "under review" not in got.body.decode()
    assert _states(alerting) == [("delivered", 1)]
    endpoints = store.query(alerting.runner.views, "SELECT endpoint_id FROM webhook_deliveries")
    assert endpoints == [{"endpoint_id": info.id}]


def test_two_failures_then_the_third_attempt_with_the_same_id(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        receiver.script = [(500, {}), (503, {"Retry-After": "60"})]
        alerting.endpoints.register(AGENCY_CODE, receiver.url, ["certificate.suspended"], STATE)
        worker = alerting.worker()
        _suspend(alerting, number)
        assert worker.run_once() == 1  # 500: next try in 5 s
        assert worker.run_once() == 0
        alerting.clock.at += 5
        assert worker.run_once() == 1  # 503 asking for 60 s: the schedule says 300
        alerting.clock.at += 299
        assert worker.run_once() == 0
        alerting.clock.at += 1
        assert worker.run_once() == 1
    ids = [r.headers["webhook-id"] for r in receiver.got]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert _states(alerting) == [("delivered", 3)]
    attempts = store.query(
        alerting.runner.views, "SELECT attempt, status FROM webhook_attempts ORDER BY attempt"
    )
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 503), (3, 204)]


def test_retry_after_longer_than_the_schedule_is_honoured(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        receiver.script = [(429, {"Retry-After": "120"})]
        alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        worker = alerting.worker()
        _suspend(alerting, number)
        assert worker.run_once() == 1
        alerting.clock.at += 119
        assert worker.run_once() == 0  # the schedule says 5 s; the receiver asked 120
        alerting.clock.at += 1
        assert worker.run_once() == 1
    assert _states(alerting) == [("delivered", 2)]


def test_a_receiver_down_for_a_while_gets_everything_after_in_order(alerting: Alerting) -> None:
    first = certified_officer(alerting.app, "UT-1001").certificate_number
    second = certified_officer(alerting.app, "UT-1002").certificate_number
    with receiving() as receiver:
        url = receiver.url
    # The receiver is gone: its port refuses connections.
    alerting.endpoints.register(AGENCY_CODE, url, None, STATE)
    worker = alerting.worker()
    _suspend(alerting, first)
    _suspend(alerting, second)
    alerting.app.execute(
        c.ReinstateCertificate(number=first, reason="cleared", effective_on=date(2026, 11, 24)),
        STATE,
    )
    alerting.settle()
    assert worker.run_once() == 2  # one per officer: the reinstatement waits its turn
    assert [s for s, _ in _states(alerting)] == ["pending"] * 3
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with receiving(port) as receiver:
        alerting.clock.at += 5
        assert worker.run_once() == 3
    got = [json.loads(r.body) for r in receiver.got]
    by_officer = [(g["data"]["certificate_number"], g["type"]) for g in got]
    assert [t for n, t in by_officer if n == first] == [
        "certificate.suspended", "certificate.reinstated"
    ]  # fmt: skip
    assert [t for n, t in by_officer if n == second] == ["certificate.suspended"]
    assert _states(alerting) == [("delivered", 2), ("delivered", 2), ("delivered", 1)]


def test_a_410_disables_the_endpoint(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        receiver.script = [(410, {})]
        info, _ = alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        worker = alerting.worker()
        _suspend(alerting, number)
        alerting.app.execute(
            c.ReinstateCertificate(number=number, reason="ok", effective_on=date(2026, 11, 24)),
            STATE,
        )
        alerting.settle()
        assert worker.run_once() == 1
        alerting.clock.at += 3600
        assert worker.run_once() == 0
    assert len(receiver.got) == 1
    hook = alerting.endpoints.get(info.id)
    assert not hook.enabled and "410" in hook.disabled_reason
    assert _states(alerting) == [("failed", 1), ("cancelled", 0)]


def test_each_change_becomes_one_delivery_whoever_fills(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        other = alerting.endpoints.register(AGENCY_CODE, receiver.url, ["officer.separated"],
                                            STATE)  # fmt: skip
        _suspend(alerting, number)
        one, two = alerting.worker(), alerting.worker()
        made = [fill(w.views, w.endpoints, "https://r", alerting.clock) for w in (one, two)]
        assert made == [1, 0]  # the second endpoint did not ask for suspensions
        assert store.position(alerting.runner.views, OUTBOX) > 0
        assert other[0].events == ["officer.separated"]


def test_an_alert_waits_until_the_tree_holds_its_event(alerting: Alerting) -> None:
    """So that the receiver can fetch its inclusion proof as soon as it arrives."""
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        worker = alerting.worker()
        alerting.app.execute(
            c.SuspendCertificate(number=number, reason="x", effective_on=date(2026, 11, 20)),
            STATE,
        )
        runner = alerting.runner
        runner.catch_up(only=runner.read_models)  # the feed has it; the tree does not yet
        assert worker.run_once() == 0 and receiver.got == []
        worker.catch_up = runner.catch_up  # as the server's worker does
        assert worker.run_once() == 1
    assert len(receiver.got) == 1


def test_an_expiry_is_sent_once_the_log_reaches_a_later_day(alerting: Alerting) -> None:
    """Expiry is not an event: the feed notes it when the first event of a later day is
    recorded (a function of the log alone), and the alert follows it."""
    number = certified_officer(alerting.app).certificate_number  # expires 2027-09-15
    with receiving() as receiver:
        alerting.endpoints.register(AGENCY_CODE, receiver.url, ["certificate.expired"], STATE)
        worker = alerting.worker()
        alerting.day.today = date(2027, 9, 20)
        certified_officer(alerting.app, "UT-1002")  # anything recorded on a later day
        alerting.settle()
        assert worker.run_once() == 1
        assert worker.run_once() == 0
    [got] = receiver.got
    data = json.loads(got.body)["data"]
    assert json.loads(got.body)["type"] == "certificate.expired"
    assert (data["certificate_number"], data["effective_on"]) == (number, "2027-09-15")
    assert data["log_position"] is None and data["inclusion_proof_url"] is None


def test_a_replay_keeps_numbering_its_attempts_after_the_first(alerting: Alerting) -> None:
    number = certified_officer(alerting.app).certificate_number
    with receiving() as receiver:
        info, _ = alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        _suspend(alerting, number)
        worker = alerting.worker()
        assert worker.run_once() == 1
        deliveries = Deliveries(alerting.runner.views, now=alerting.clock)
        [delivery] = deliveries.latest(info.id, 10)
        deliveries.replay(info.id, delivery["msg_id"])
        assert worker.run_once() == 1
    [delivery] = deliveries.latest(info.id, 10)
    assert [t["attempt"] for t in delivery["tried"]] == [1, 2]
    assert len({r.headers["webhook-id"] for r in receiver.got}) == 1 and len(receiver.got) == 2


def test_a_claim_whose_lease_would_run_out_gives_the_rest_back(alerting: Alerting) -> None:
    numbers = [certified_officer(alerting.app, f"UT-{3000 + i}").certificate_number
               for i in range(2)]  # fmt: skip
    views = alerting.runner.views
    with receiving() as receiver:
        alerting.endpoints.register(AGENCY_CODE, receiver.url, None, STATE)
        for number in numbers:
            _suspend(alerting, number)
        answer, started, leases = receiver.answer, alerting.clock(), []

        def slow() -> tuple[int, dict[str, str]]:
            sent = store.query(views, "SELECT MAX(leased_until) AS lease FROM webhook_deliveries")
            leases.append(sent[0]["lease"] - alerting.clock())  # what is left while it is sent
            alerting.clock.at += 50  # each attempt takes 50 s of the 60 s lease
            return answer()

        receiver.answer = slow  # type: ignore[method-assign]
        assert alerting.worker().run_once() == 2
    # The second was not sent on the first claim (10 s left, less than an attempt may take)
    # but given back and claimed again with a whole lease.
    assert leases == [60.0, 60.0] and alerting.clock() == started + 100
    assert len({r.headers["webhook-id"] for r in receiver.got}) == 2 == len(receiver.got)
    assert [s for s, _ in _states(alerting)] == ["delivered", "delivered"]

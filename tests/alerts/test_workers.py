"""`registry webhooks run` processes against a real receiver, on SQLite and PostgreSQL: a
sender killed with SIGKILL mid-delivery loses no alert and repeats at most that one, with
the same webhook-id; two senders at once never send one delivery twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path

from registry.domain import commands as c
from registry.projections import store
from tests.alerts.conftest import Alerting
from tests.alerts.receiver import Receiver, receiving
from tests.api.conftest import REGISTRY
from tests.factories import AGENCY_CODE, STATE, certified_officer

SUSPENDED = ["certificate.suspended"]


def _sender(alerting: Alerting, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    settings = alerting.app.settings
    env = {
        **os.environ,
        "REGISTRY_DATABASE": settings.database,
        "REGISTRY_KEY_DIR": str(settings.key_dir),
        "REGISTRY_WEBHOOKS_ALLOW_LOOPBACK": "1",
    }
    log = open(tmp / f"sender-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [REGISTRY, "webhooks", "run", "--poll", "0.05", *extra],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _suspend_all(alerting: Alerting, count: int) -> list[str]:
    numbers = []
    for i in range(count):
        number = certified_officer(alerting.app, f"UT-{2000 + i}").certificate_number
        alerting.app.execute(
            c.SuspendCertificate(number=number, reason="x", effective_on=date(2026, 11, 20)),
            STATE,
        )
        numbers.append(number)
    return numbers


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def test_a_sender_killed_mid_delivery_loses_nothing(alerting: Alerting, tmp_path: Path) -> None:
    with receiving() as receiver:
        slow = _slow_first(receiver)
        alerting.endpoints.register(AGENCY_CODE, receiver.url, SUSPENDED, STATE)
        numbers = _suspend_all(alerting, 3)
        first = _sender(alerting, tmp_path, "--lease", "2")
        try:
            _wait(lambda: len(receiver.got) >= 1)  # the first alert is being answered, slowly
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            _stop(first)
        slow.set()
        second = _sender(alerting, tmp_path, "--lease", "2")
        try:
            _wait(lambda: len({r.headers["webhook-id"] for r in receiver.got}) >= 3)
        finally:
            _stop(second)
    ids = Counter(r.headers["webhook-id"] for r in receiver.got)
    assert len(ids) == 3  # every alert arrived
    assert sum(ids.values()) <= 4 and max(ids.values()) <= 2  # at most that one repeated
    assert {b for r in receiver.got for b in numbers if b.encode() in r.body} == set(numbers)
    states = store.query(alerting.runner.views, "SELECT state FROM webhook_deliveries")
    assert [s["state"] for s in states] == ["delivered"] * 3


def test_two_senders_never_send_one_delivery_twice(alerting: Alerting, tmp_path: Path) -> None:
    with receiving() as receiver:
        alerting.endpoints.register(AGENCY_CODE, receiver.url, SUSPENDED, STATE)
        numbers = _suspend_all(alerting, 12)
        senders = [_sender(alerting, tmp_path) for _ in range(2)]
        try:
            _wait(lambda: len(receiver.got) >= len(numbers))
            time.sleep(0.5)  # a second copy, if any were sent, would arrive by now
        finally:
            for sender in senders:
                _stop(sender)
    ids = Counter(r.headers["webhook-id"] for r in receiver.got)
    assert len(ids) == len(numbers) and set(ids.values()) == {1}


def _slow_first(receiver: Receiver):
    """Make the receiver hold its first answer until the returned event is set."""
    import threading

    release = threading.Event()
    answer = receiver.answer
    calls = Counter()

    def held() -> tuple[int, dict[str, str]]:
        calls["n"] += 1
        if calls["n"] == 1:
            release.wait(30)
        return answer()

    receiver.answer = held  # type: ignore[method-assign]
    return release

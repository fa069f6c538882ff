"""Identical requests at once, with one Idempotency-Key: every one is answered as the first.

Found under load: of 16 identical `POST /v1/officers` sent at once with the same
Idempotency-Key, a few were answered 422 `post-number-unique` instead of the replayed
201 (3 of 320 on SQLite, 13 of 640 on PostgreSQL): their clients believed the command
had failed. A real `registry serve` on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid

import httpx

from tests.api.conftest import HOME, Api
from tests.api.steps import enrolment, ok

#: Identical requests sent at once, and how many times.
AT_ONCE = 16
ROUNDS = 8


def at_once(api: Api, path: str, body: dict[str, object], key: str) -> list[httpx.Response]:
    """POST `body` to `path` with Idempotency-Key `key` from AT_ONCE threads at the same
    moment, each on a connection of its own (the agency's key)."""
    start = threading.Barrier(AT_ONCE)
    responses: list[httpx.Response | None] = [None] * AT_ONCE
    headers = {"Authorization": f"Bearer {api.keys['agency']}", "Idempotency-Key": key}

    def send(i: int) -> None:
        with httpx.Client(base_url=api.base_url, headers=headers, timeout=60) as client:
            start.wait()
            responses[i] = client.post(path, json=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(AT_ONCE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def test_identical_enrolments_at_once_are_all_answered_201_with_one_body(api: Api) -> None:
    for n in range(ROUNDS):
        post_number = f"SAME-{uuid.uuid4().hex[:8].upper()}"
        responses = at_once(api, "/v1/officers", enrolment(post_number), f"enrol-{post_number}")

        statuses = [r.status_code for r in responses]
        assert statuses == [201] * AT_ONCE, [(r.status_code, r.text) for r in responses]
        bodies = {r.text for r in responses}
        assert len(bodies) == 1, bodies
        replayed = sorted(r.headers["idempotent-replayed"] for r in responses)
        assert replayed == ["false"] + ["true"] * (AT_ONCE - 1), f"round {n}: {replayed}"
        assert {r.headers["etag"] for r in responses} == {'"1"'}

        officer = ok(responses[0])["id"]
        history = api.client("auditor").get(f"/v1/officers/{officer}/history")
        assert [e["event"] for e in ok(history)["items"]] == ["Enrolled"], "enrolled once"
        roster = api.client("agency").get(f"/v1/agencies/{HOME}/roster", params={"limit": 500})
        listed = [o for o in ok(roster)["items"] if o["post_number"] == post_number]
        assert len(listed) == 1


def test_the_same_key_with_another_body_at_once_is_refused_not_replayed(api: Api) -> None:
    """The key's first command wins; the others, of other content, hear 422 idempotency
    conflict (never the rule, never the first command's answer)."""
    post_number = f"OTHER-{uuid.uuid4().hex[:8].upper()}"
    key = f"enrol-{post_number}"
    first = api.client("agency").post(
        "/v1/officers", json=enrolment(post_number), headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    other = enrolment(post_number, name="Someone Else")
    responses = at_once(api, "/v1/officers", other, key)
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith(":idempotency-conflict"), response.text

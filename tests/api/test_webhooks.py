"""Webhooks over the API, against a real `registry serve` (its own worker sending; webhook
URLs on loopback allowed, as in every API test server) and a real receiver on 127.0.0.1,
on SQLite and PostgreSQL: registering (the secret once), who may, the SSRF refusals,
alerts signed v1 and v1a, rotation, disabling, the delivery history and a replay."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import standardwebhooks

from registry.alerts.signature import public_key_from_jwk, verify_v1a
from tests.alerts.receiver import Receiver, receiving
from tests.api.conftest import HOME, OTHER, Api
from tests.api.steps import certified, ok, refused

HOOKS = f"/v1/agencies/{HOME}/webhooks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def arrived(receiver: Receiver, count: int, seconds: float = 10.0) -> list:
    deadline = time.monotonic() + seconds
    while len(receiver.got) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(receiver.got) >= count, f"{len(receiver.got)} of {count} alerts arrived"
    return receiver.got


def suspend(api: Api, number: str) -> None:
    done = api.client("state").post(
        f"/v1/certifications/{number}/suspensions", json={"reason": "complaint under review"}
    )
    assert done.status_code == 201, done.text


def test_an_agency_registers_and_receives_a_signed_suspension(api: Api, receiver: Receiver):
    _, number = certified(api, "WH-1")
    made = api.client("agency").post(HOOKS, json={"url": receiver.url,
                                                  "events": ["certificate.suspended"]})  # fmt: skip
    found = ok(made)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = found["secret"]
    assert secret.startswith("whsec_") and found["events"] == ["certificate.suspended"]
    listed = api.client("agency").get(HOOKS)
    assert listed.status_code == 200 and secret not in listed.text
    assert [e["id"] for e in listed.json()] == [found["id"]]
    jwks = api.client().get("/.well-known/jwks.json").json()
    [webhook_key] = [k for k in jwks["keys"] if k["kid"] == found["signing_key"]]

    suspend(api, number)
    [got] = arrived(receiver, 1)
    payload = standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "certificate.suspended"
    assert payload["data"]["certificate_number"] == number
    verify_v1a(got.headers, got.body, public_key_from_jwk(webhook_key), now=int(time.time()))
    proof = api.client().get(payload["data"]["inclusion_proof_url"].removeprefix(api.base_url))
    assert proof.status_code == 200, proof.text  # the receiver can prove it is in the log
    assert secret not in (api.log.read_text() if api.log else "")
    health = api.client().get("/healthz").json()
    assert set(health["webhooks"]) == {"pending", "oldest_pending_seconds"}


def test_who_may_register_list_and_read_deliveries(api: Api, receiver: Receiver) -> None:
    body = {"url": receiver.url}
    for caller, status in [("public", 401), ("auditor", 403), ("academy", 403),
                           ("other_agency", 403)]:  # fmt: skip
        refused(api.client(caller).post(HOOKS, json=body), status)
        refused(api.client(caller).get(HOOKS), status)
    own = api.client("other_agency").post(f"/v1/agencies/{OTHER}/webhooks", json=body)
    assert own.status_code == 201
    by_state = api.client("state").post(HOOKS, json=body)
    assert by_state.status_code == 201
    theirs = own.json()["id"]
    refused(api.client("agency").get(f"{HOOKS}/{theirs}/deliveries"), 404)
    refused(api.client("agency").post(f"{HOOKS}/{theirs}/secret"), 404)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.7/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:192.168.1.1]/x",
        "ftp://example.org/x",
        "https://user:pw@example.org/x",
        "https://localhost.invalid/x",
    ],
)
def test_an_address_the_registry_must_not_call_is_refused_and_nothing_is_kept(
    api: Api, url: str
) -> None:
    before = api.client("state").get(HOOKS).json()
    refused(api.client("agency").post(HOOKS, json={"url": url}), 422)
    assert api.client("state").get(HOOKS).json() == before


def test_unknown_event_types_and_fields_are_refused(api: Api, receiver: Receiver) -> None:
    refused(api.client("agency").post(HOOKS, json={"url": receiver.url, "events": ["x"]}), 422)
    refused(api.client("agency").post(HOOKS, json={"url": receiver.url, "extra": 1}), 422)
    refused(api.client("agency").post("/v1/agencies/NOPE/webhooks",
                                      json={"url": receiver.url}), 403)  # fmt: skip
    refused(api.client("state").post("/v1/agencies/NOPE/webhooks",
                                     json={"url": receiver.url}), 404)  # fmt: skip


def test_a_rotated_secret_and_the_old_both_verify(api: Api, receiver: Receiver) -> None:
    _, number = certified(api, "WH-2")
    found = ok(api.client("agency").post(HOOKS, json={"url": receiver.url}))
    rotated = ok(api.client("agency").post(f"{HOOKS}/{found['id']}/secret"))
    assert rotated["secret"] != found["secret"] and rotated["fingerprint"] != found["fingerprint"]
    suspend(api, number)
    got = [g for g in arrived(receiver, 1) if number.encode() in g.body]
    for secret in (found["secret"], rotated["secret"]):
        standardwebhooks.Webhook(secret).verify(got[0].body, got[0].headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 43 + "=").verify(got[0].body, got[0].headers)


def test_deliveries_are_kept_replayed_with_the_same_id_and_stop_when_disabled(
    api: Api, receiver: Receiver
) -> None:
    _, number = certified(api, "WH-3")
    found = ok(api.client("agency").post(HOOKS, json={"url": receiver.url}))
    suspend(api, number)
    [first] = arrived(receiver, 1)
    base = f"{HOOKS}/{found['id']}"
    # The worker keeps the outcome just after the receiver has the alert.
    deadline = time.monotonic() + 10
    while (delivery := ok_list(api.client("agency").get(f"{base}/deliveries"))[0])["state"] == (
        "pending"
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert delivery["state"] == "delivered" and delivery["tried"][0]["status"] == 204
    assert delivery["msg_id"] == first.headers["webhook-id"]
    again = api.client("agency").post(f"{base}/deliveries/{delivery['msg_id']}/replay")
    assert again.status_code == 202, again.text
    second = arrived(receiver, 2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]

    off = api.client("agency").post(f"{base}/disable", json={"reason": "moving systems"})
    assert off.status_code == 200 and off.json()["enabled"] is False
    refused(api.client("agency").post(f"{base}/disable", json={"reason": "again"}), 422)
    api.client("state").post(
        f"/v1/certifications/{number}/reinstatements", json={"reason": "cleared"}
    ).raise_for_status()
    time.sleep(1.0)  # the worker polls every 0.2 s: nothing more may arrive
    assert len(receiver.got) == 2


def ok_list(response: httpx.Response) -> list:
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_hiring_agency_watches_a_candidate_until_it_ends_the_watch(
    api: Api, receiver: Receiver
) -> None:
    candidate, number = certified(api, "WH-4", OTHER)
    found = ok(api.client("agency").post(HOOKS, json={"url": receiver.url, "events": [
        "certificate.suspended", "watch.ending"]}))  # fmt: skip
    watches = f"/v1/agencies/{HOME}/watches"
    refused(api.client("agency").post(watches, json={"certificate_number": number,
                                                     "post_number": "WH-5"}), 404)  # fmt: skip
    refused(
        api.client("other_agency").post(
            f"/v1/agencies/{OTHER}/watches",
            json={"certificate_number": number, "post_number": "WH-4"},
        ),
        422,
    )  # its own officer
    made = api.client("agency").post(watches, json={"certificate_number": number,
                                                    "post_number": "WH-4"})  # fmt: skip
    assert made.status_code == 201, made.text
    watch = made.json()
    record = ok(api.client("state").get(f"/v1/officers/{candidate}"))
    assert record["watched_by"] == [HOME]
    listed = ok(api.client("agency").get(watches))
    assert watch["id"] in [w["id"] for w in listed["items"]]

    suspend(api, number)
    [got] = [g for g in arrived(receiver, 1) if number.encode() in g.body]
    standardwebhooks.Webhook(found["secret"]).verify(got.body, got.headers)
    assert b'"watched_as":"candidate"' in got.body

    refused(api.client("other_agency").delete(f"{watches}/{watch['id']}"), 403)
    ended = api.client("agency").request("DELETE", f"{watches}/{watch['id']}",
                                         json={"reason": "position filled"})  # fmt: skip
    assert ended.status_code == 200 and ended.json()["active"] is False
    ending = [g for g in arrived(receiver, 2) if b"watch.ending" in g.body]
    assert ending and b"position filled" in ending[0].body
    assert ok(api.client("state").get(f"/v1/officers/{candidate}"))["watched_by"] == []


def test_a_registration_retried_with_its_idempotency_key_is_recorded_once(
    api: Api, receiver: Receiver
) -> None:
    client, key = api.client("agency"), {"Idempotency-Key": "register-once-1"}
    before = len(client.get(HOOKS).json())
    first = client.post(HOOKS, json={"url": receiver.url}, headers=key)
    again = client.post(HOOKS, json={"url": receiver.url}, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and "secret" not in again.json()
    refused(client.post(HOOKS, json={"url": receiver.url + "/other"}, headers=key), 422)
    assert len(client.get(HOOKS).json()) == before + 1

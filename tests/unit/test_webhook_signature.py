"""Webhook signatures per the Standard Webhooks specification: v1 (HMAC) and v1a (Ed25519)."""

from __future__ import annotations

import base64
import re
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from registry.alerts.signature import (
    SignatureError,
    headers,
    message_id,
    new_secret,
    public_key_from_jwk,
    secret_bytes,
    signed_content,
    verify_v1a,
)
from registry.signing import Signer

# The specification's published example (spec/standard-webhooks.md, and the reference
# libraries' tests): this secret, id, timestamp and payload give this v1 signature.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_PAYLOAD = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

BODY = b'{"type":"certificate.revoked","data":{"certificate":"CIT-2024-000123"}}'


def test_the_specifications_example_signature() -> None:
    sent = headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD, secrets=[SPEC_SECRET], signer=None)
    assert sent == {
        "content-type": "application/json",
        "webhook-id": SPEC_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": SPEC_SIGNATURE,
    }
    assert signed_content(SPEC_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD) == (
        b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}'
    )


# The Python standardwebhooks package verifies v1 only: Webhook.verify computes the one
# "v1,..." string its secret gives and compares it with each space-separated entry, so a
# v1a entry is passed over, never checked. That is why v1a is checked with cryptography.


def test_a_subscriber_holding_either_secret_verifies_with_the_standardwebhooks_package() -> None:
    old, new = new_secret(), new_secret()
    now = int(time.time())  # the package checks the timestamp against its own clock
    sent = headers("msg_rotation", now, BODY, secrets=[old, new], signer=Signer.generate().sign)
    entries = sent["webhook-signature"].split(" ")
    assert [e.split(",")[0] for e in entries] == ["v1", "v1", "v1a"]
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, sent) == {
            "type": "certificate.revoked",
            "data": {"certificate": "CIT-2024-000123"},
        }


def test_the_standardwebhooks_package_refuses_a_changed_delivery_or_another_secret() -> None:
    secret = new_secret()
    now = int(time.time())
    sent = headers(message_id("outbox/1"), now, BODY, secrets=[secret], signer=None)
    Webhook(secret).verify(BODY, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"000123", b"000124"), sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**sent, "webhook-id": message_id("outbox/2")})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**sent, "webhook-timestamp": str(now + 1)})


def test_v1a_verifies_with_the_registrys_public_key() -> None:
    signer = Signer.generate("token")
    sent = headers("msg_a1", 1_700_000_000, BODY, secrets=[new_secret()], signer=signer.sign)
    for key in (signer.public_key.ed25519(), public_key_from_jwk(signer.public_key.jwk())):
        verify_v1a(sent, BODY, key, now=1_700_000_000)
        verify_v1a(sent, BODY, key, now=1_700_000_300)  # at the edge of the tolerance
        verify_v1a(sent, BODY, key, now=1_699_999_700)
    # header names are case-insensitive, as in HTTP
    titled = {name.title(): value for name, value in sent.items()}
    verify_v1a(titled, BODY, signer.public_key.ed25519(), now=1_700_000_000)


def test_v1a_is_an_ed25519_signature_over_id_timestamp_and_body() -> None:
    private = Ed25519PrivateKey.generate()
    sent = headers("msg_raw", 1_700_000_000, BODY, secrets=[], signer=private.sign)
    version, encoded = sent["webhook-signature"].split(",")
    assert version == "v1a"
    signature = base64.b64decode(encoded, validate=True)
    assert len(signature) == 64
    private.public_key().verify(signature, b"msg_raw.1700000000." + BODY)


def test_v1a_is_refused_with_another_key_a_changed_delivery_or_a_stale_timestamp() -> None:
    signer = Signer.generate("token")
    key = signer.public_key.ed25519()
    ts = 1_700_000_000
    sent = headers("msg_a2", ts, BODY, secrets=[], signer=signer.sign)
    refused = [
        (sent, BODY, Signer.generate("token").public_key.ed25519(), ts),
        (sent, BODY + b" ", key, ts),
        (sent, BODY.replace(b"000123", b"000124"), key, ts),
        ({**sent, "webhook-id": "msg_a3"}, BODY, key, ts),
        ({**sent, "webhook-timestamp": str(ts + 1)}, BODY, key, ts),
        (sent, BODY, key, ts + 301),  # stale
        (sent, BODY, key, ts - 301),  # from the future
    ]
    for sent_headers, body, public_key, now in refused:
        with pytest.raises(SignatureError):
            verify_v1a(sent_headers, body, public_key, now=now)


def test_v1a_is_refused_when_the_header_has_none_or_is_malformed() -> None:
    signer = Signer.generate("token")
    key = signer.public_key.ed25519()
    ts = 1_700_000_000
    only_v1 = headers("msg_a4", ts, BODY, secrets=[new_secret()], signer=None)
    good = headers("msg_a4", ts, BODY, secrets=[], signer=signer.sign)
    v1a = good["webhook-signature"]
    bad = [
        only_v1,
        {k: v for k, v in good.items() if k != "webhook-signature"},
        {k: v for k, v in good.items() if k != "webhook-timestamp"},
        {k: v for k, v in good.items() if k != "webhook-id"},
        {**good, "webhook-signature": v1a.replace("v1a,", "v1,")},
        {**good, "webhook-signature": v1a[:-4]},  # not 64 bytes
        {**good, "webhook-signature": v1a.replace("v1a,", "v1a,!")},  # not base64
        {**good, "webhook-timestamp": f"{ts}.0"},
        {**good, "webhook-timestamp": f"+{ts}"},
        {**good, "webhook-id": "msg.a4"},
    ]
    for sent in bad:
        with pytest.raises(SignatureError):
            verify_v1a(sent, BODY, key, now=ts)
    # a v1a among other entries, with stray spaces, still verifies
    mixed = {**good, "webhook-signature": f"{only_v1['webhook-signature']}  v1a,AAAA {v1a}"}
    verify_v1a(mixed, BODY, key, now=ts)


def test_message_ids_are_stable_and_differ_between_deliveries() -> None:
    first = message_id("delivery:endpoint-7:position-1041")
    assert first == message_id("delivery:endpoint-7:position-1041")
    assert first != message_id("delivery:endpoint-7:position-1042")
    assert first != message_id("delivery:endpoint-8:position-1041")
    assert re.fullmatch(r"msg_[A-Za-z0-9_-]{24}", first)
    assert signed_content(first, 1, b"").startswith(first.encode() + b".1.")


def test_secrets_are_whsec_and_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and secret != new_secret()
    assert len(secret_bytes(secret)) == 32
    assert secret_bytes(secret) == base64.b64decode(secret.removeprefix("whsec_"))
    assert len(secret_bytes(SPEC_SECRET)) == 24
    assert secret_bytes(secret.rstrip("=")) == secret_bytes(secret)  # padding is optional


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # no prefix
        "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # the prefix of an asymmetric secret key
        "whsec_MfKQ9r8G-YqrTwjUPD8ILPZIo2LaLaSw",  # base64url, not standard base64
        "whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw",
        "whsec_" + base64.b64encode(bytes(16)).decode(),  # too short
        "whsec_" + base64.b64encode(bytes(65)).decode(),  # too long
        "whsec_",
    ],
)
def test_secret_bytes_refuses_anything_but_a_whsec_secret(secret: str) -> None:
    with pytest.raises(ValueError):
        secret_bytes(secret)


def test_headers_refuse_what_cannot_be_signed_as_the_specification_says() -> None:
    with pytest.raises(TypeError):
        headers("msg_x", 1, BODY, secrets=SPEC_SECRET, signer=None)
    with pytest.raises(ValueError):
        headers("msg_x", 1, BODY, secrets=[], signer=None)
    with pytest.raises(ValueError):
        headers("msg_x", 1, BODY, secrets=[], signer=lambda data: b"short")
    for bad_id in ("msg.x", "", "msg x", "msg,x"):
        with pytest.raises(ValueError):
            signed_content(bad_id, 1, BODY)
    for bad_timestamp in (-1, True, 1.5):
        with pytest.raises(ValueError):
            signed_content("msg_x", bad_timestamp, BODY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        signed_content("msg_x", 1, BODY.decode())  # type: ignore[arg-type]


def test_public_key_from_jwk_refuses_what_is_not_a_public_ed25519_signing_key() -> None:
    jwk = Signer.generate("token").public_key.jwk()
    without_kid = {k: v for k, v in jwk.items() if k != "kid"}
    assert public_key_from_jwk(without_kid).public_bytes_raw() == (
        public_key_from_jwk(jwk).public_bytes_raw()
    )
    for bad in (
        {**jwk, "d": jwk["x"]},
        {**jwk, "crv": "X25519"},
        {**jwk, "kty": "EC"},
        {**jwk, "use": "enc"},
        {**jwk, "x": jwk["x"][:-1]},
        {k: v for k, v in jwk.items() if k != "x"},
    ):
        with pytest.raises(SignatureError):
            public_key_from_jwk(bad)

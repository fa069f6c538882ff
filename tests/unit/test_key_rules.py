"""Signing keys as public facts: rotation publishes, retirement ends verification, both ways."""

from __future__ import annotations

import pytest

from registry.application import parse
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import InvalidInput, RuleViolation
from tests.factories import STATE

KID_A = "A" * 43
KID_B = "B" * 43
X = "x" * 43


def publish(app, kid: str, purpose: str = "token"):
    return app.execute(c.PublishKey(purpose=purpose, kid=kid, x=X), STATE)


def retire(app, kid: str, reason: str = "rotated out", purpose: str = "token"):
    return app.execute(c.RetireKey(purpose=purpose, kid=kid, reason=reason), STATE)


@pytest.fixture
def app(memory_registry):
    return memory_registry()


def test_the_first_published_key_signs(app):
    publish(app, KID_A)
    keys = app.signing_keys("token")
    assert keys.active == KID_A
    assert [k.kid for k in keys.published()] == [KID_A]


def test_a_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(app):
    publish(app, KID_A)
    publish(app, KID_B)
    keys = app.signing_keys("token")
    assert keys.active == KID_B
    assert {k.kid for k in keys.published()} == {KID_A, KID_B}


def test_an_older_key_can_be_retired_and_no_longer_verifies(app):
    publish(app, KID_A)
    publish(app, KID_B)
    retire(app, KID_A)
    keys = app.signing_keys("token")
    assert [k.kid for k in keys.published()] == [KID_B]
    assert [k.kid for k in keys.retired()] == [KID_A]


def test_the_signing_key_cannot_be_retired_before_a_rotation(app):
    publish(app, KID_A)
    position = app.position()
    with pytest.raises(RuleViolation) as refused:
        retire(app, KID_A)
    assert refused.value.rule == rules.KEY_ACTIVE
    assert app.position() == position


@pytest.mark.parametrize(
    ("setup", "kid", "rule"),
    [
        pytest.param([], KID_A, rules.KEY_UNKNOWN, id="nothing published"),
        pytest.param([KID_A, KID_B], "C" * 43, rules.KEY_UNKNOWN, id="unknown kid"),
    ],
)
def test_retiring_a_key_that_was_never_published_is_refused(app, setup, kid, rule):
    for published in setup:
        publish(app, published)
    with pytest.raises(RuleViolation) as refused:
        retire(app, kid)
    assert refused.value.rule == rule


def test_a_key_is_retired_once(app):
    publish(app, KID_A)
    publish(app, KID_B)
    retire(app, KID_A)
    with pytest.raises(RuleViolation) as refused:
        retire(app, KID_A)
    assert refused.value.rule == rules.KEY_RETIRED


def test_a_key_is_published_once(app):
    publish(app, KID_A)
    with pytest.raises(RuleViolation) as refused:
        publish(app, KID_A)
    assert refused.value.rule == rules.KEY_PUBLISHED


def test_token_and_checkpoint_keys_are_kept_apart(app):
    publish(app, KID_A, purpose="token")
    publish(app, KID_B, purpose="checkpoint")
    assert app.signing_keys("token").active == KID_A
    assert app.signing_keys("checkpoint").active == KID_B
    with pytest.raises(RuleViolation):
        retire(app, KID_A, purpose="checkpoint")


@pytest.mark.parametrize(
    "data",
    [
        {"purpose": "token", "kid": "short", "x": X},
        {"purpose": "email", "kid": KID_A, "x": X},
        {"purpose": "token", "kid": KID_A + "=", "x": X},
    ],
)
def test_a_malformed_key_is_invalid_input(data):
    with pytest.raises(InvalidInput):
        parse(c.PublishKey, data)

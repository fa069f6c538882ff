"""The transparency page's own check, in Chromium: the browser verifies a kept checkpoint
against today's (signed notes with WebCrypto Ed25519, the RFC 9162 consistency proof with
WebCrypto SHA-256). Its consistency check runs the same conformance vectors as the
server's (tests/unit/test_merkle_vectors.py), and the whole check runs against a real
server whose log grows between the checkpoint kept and today's.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from tests.api.conftest import Api
from tests.api.steps import certified
from tests.web.conftest import Watched

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "merkle" / "consistency"


def test_the_page_checks_consistency_as_the_vectors_say(web: Watched, api: Api) -> None:
    cases = [json.loads(f.read_text()) | {"file": f.name} for f in sorted(VECTORS.rglob("*.json"))]
    assert len(cases) > 40 and {c["wantErr"] for c in cases} == {True, False}
    web.page.goto(f"{api.base_url}/transparency")
    outcomes = web.page.evaluate(
        """async (cases) => Promise.all(cases.map(async (c) => {
            try {
                await window.citConsistency(c.size1, c.size2, c.root1, c.root2, c.proof || []);
                return false;
            } catch (e) { return true; }
        }))""",
        cases,
    )
    wrong = [c["file"] + ": " + c["desc"] for c, failed in zip(cases, outcomes, strict=True)
             if failed != c["wantErr"]]  # fmt: skip
    assert wrong == []


def checkpoint(api: Api, larger_than: int = 0) -> str:
    """Today's signed checkpoint, once it covers more than `larger_than` events."""
    deadline = time.monotonic() + 20
    while True:
        note = api.client().get("/v1/audit/checkpoint")
        if note.status_code == 200 and int(note.text.splitlines()[1]) > larger_than:
            return note.text
        assert time.monotonic() < deadline, f"no checkpoint beyond {larger_than} events"
        time.sleep(0.1)


def check(page: Any, kept: str, key: str) -> tuple[str, str]:
    """Paste `kept` and `key` into the page's form and check; the outcome and its words."""
    page.get_by_label("The checkpoint you kept").fill(kept)
    page.get_by_label("The log key you kept", exact=False).fill(key)
    page.get_by_role("button", name="Check it").click()
    result = page.locator("#keep-result")
    page.wait_for_selector("#keep-result:not([data-outcome=''])")
    return str(result.get_attribute("data-outcome")), str(result.inner_text())


def test_a_kept_checkpoint_is_shown_consistent_with_today_s(web: Watched, api: Api) -> None:
    certified(api, "TC-1")
    kept = checkpoint(api)
    size = int(kept.splitlines()[1])
    key = api.client().get("/v1/audit/log-key").text.splitlines()[0]
    certified(api, "TC-2")
    checkpoint(api, larger_than=size)

    web.page.goto(f"{api.base_url}/transparency")
    outcome, words = check(web.page, kept, key)
    assert outcome == "consistent", words
    assert f"the {size:,} events of the checkpoint you kept" in words
    # With no key given, the page says it used the registry's own.
    outcome, words = check(web.page, kept.rstrip("\n"), "")
    assert outcome == "consistent" and "keep your own copy" in words

    # A kept checkpoint whose root was changed: its signature no longer verifies.
    lines = kept.split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    outcome, words = check(web.page, "\n".join(lines), key)
    assert outcome == "failed" and "does not verify" in words
    # A key of another log, or a key whose id does not match it.
    name, kid, material = key.split("+", 2)
    outcome, words = check(web.page, kept, f"{name}+{'0' * 8}+{material}")
    assert outcome == "failed" and "id does not match" in words
    outcome, words = check(web.page, "not a checkpoint", key)
    assert outcome == "failed" and "not a signed note" in words
    assert kid  # the key's id, as published, is the one the good checks used

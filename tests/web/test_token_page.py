"""The token page (`/v#TOKEN`) verifies a certificate token in the browser, as `verify_token`
does: the same reason codes, in the same order, for the whole forgery corpus of
tests/unit/test_signing_verify.py; against the real server, a token it issued, then
tampered, expired, suspended and signed by a retired key; offline after one visit; on a
phone; without JavaScript.

Real Chromium, a real `registry serve` (SQLite and PostgreSQL), real Ed25519 keys. The
page's script is the one the server serves; only the corpus's keys, retired key ids and
status lists are given to the page by Playwright, in place of the server's.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from registry.config import Settings
from registry.signing import STATUS_LIST_TYP, TOKEN_TYP, jws, verify_token
from registry.signing._b64 import b64url_decode, b64url_encode
from tests.api.conftest import Api
from tests.api.steps import certified, ok
from tests.unit.test_signing_verify import (
    ISSUER,
    NOW,
    OPTIONS,
    TOKEN_ONLY,
    URI,
    Registry,
    flip_signature_bit,
    header,
    raw_jws,
)
from tests.web.conftest import PHONE, Watched, open_context, watched_page

ZONE = ZoneInfo(Settings().timezone)
TTL = Settings().policy.status_list_ttl_seconds


# ------------------------------------------------------------------ what the page says


def verdict(page: Any) -> tuple[str, list[str]]:
    """The page's answer, as it writes it on its result: valid, invalid or unknown, and
    the reason codes in order."""
    result = page.wait_for_selector("#result:not([hidden])")
    return result.get_attribute("data-result"), (result.get_attribute("data-codes") or "").split()


def shown(page: Any) -> str:
    return page.inner_text("#result")


# ------------------------------------------------------------------ the forgery corpus

Build = Callable[[Registry], tuple[str, dict[str, Any]]]
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
TYP = '"typ":"cit-certificate+jwt"'


def payload_edited(reg: Registry, old: bytes, new: bytes) -> str:
    """A good token whose JSON payload has `old` written as `new`, signed as it is."""
    return raw_jws(header(reg), orjson.dumps(reg.claims()).replace(old, new), reg.signer)


def headed(reg: Registry, text: str | bytes) -> str:
    """A good token's claims under exactly this header, signed."""
    return raw_jws(text.encode() if isinstance(text, str) else text, reg.claims(), reg.signer)


def list_claims(reg: Registry, **changes: Any) -> dict[str, Any]:
    return orjson.loads(jws.parse(reg.status_list()).payload) | changes


def list_of(reg: Registry, **changes: Any) -> dict[str, str]:
    """A good status list with `changes`, signed: the options that publish it."""
    claims = {k: v for k, v in list_claims(reg, **changes).items() if v is not None}
    return {"status_list": jws.sign(claims, reg.signer, STATUS_LIST_TYP)}


def entries(values: bytes, bits: int = 2, tail: bytes = b"", cut: int = 0) -> dict[str, Any]:
    compressed = zlib.compress(values) + tail
    return {"bits": bits, "lst": b64url_encode(compressed[: len(compressed) - cut])}


def one_key(reg: Registry, **changes: Any) -> dict[str, Any]:
    return {"jwks": {"keys": [reg.signer.public_key.jwk() | changes]}}


def not_canonical(x: str) -> str:
    """`x` with its last character setting a bit that decoding drops."""
    return x[:-1] + B64URL[B64URL.index(x[-1]) | 1]


#: Where the browser's JSON, base64url and zlib and Python's might part, and the rest of
#: verify_token's rules: each is checked as the corpus is, against what verify_token says.
TOKEN_EDGES: dict[str, Callable[[Registry], str]] = {
    "a good token": lambda r: r.token(),
    "name and agency withheld": lambda r: jws.sign(
        {k: v for k, v in r.claims().items() if k not in ("name", "agency")}, r.signer, TOKEN_TYP
    ),
    "the RFC 9864 alg name": lambda r: headed(r, orjson.dumps(header(r, alg="Ed25519"))),
    "typ with application/ and capitals": lambda r: headed(
        r, orjson.dumps(header(r, typ="Application/CIT-Certificate+JWT"))
    ),
    "duplicate exp, the last one past": lambda r: raw_jws(
        header(r), b'{"exp":9999999999,' + orjson.dumps(r.claims(exp=1))[1:], r.signer
    ),
    "an index written 0.0": lambda r: payload_edited(r, b'"idx":0', b'"idx":0.0'),
    "an index that is a boolean": lambda r: payload_edited(r, b'"idx":0', b'"idx":true'),
    "an index beyond 64 bits": lambda r: payload_edited(r, b'"idx":0', b'"idx":' + b"9" * 21),
    "an index of 2**64 - 1": lambda r: payload_edited(r, b'"idx":0', b'"idx":18446744073709551615'),
    "an exp of 1e400": lambda r: payload_edited(r, b'"exp":', b'"exp":1e400,"x":'),
    "an iat that is a boolean": lambda r: r.token(iat=True),
    "a name that is a number": lambda r: r.token(name=7),
    "a lone surrogate in the header": lambda r: headed(r, f'{{{TYP},"kid":"\\ud800"}}'),
    "a lone low surrogate in a claim": lambda r: payload_edited(r, b'"SLCPD"', b'"\\udc00"'),
    "a surrogate pair in the header": lambda r: headed(r, f'{{{TYP},"x":"\\ud83d\\ude00"}}'),
    "a byte order mark before the header": lambda r: headed(
        r, b"\xef\xbb\xbf" + orjson.dumps(header(r))
    ),
    "a header nested 1025 deep": lambda r: headed(r, '{"x":' + "[" * 1024 + "]" * 1024 + "}"),
    "a header nested 1024 deep": lambda r: headed(r, '{"x":' + "[" * 1023 + "]" * 1023 + "}"),
    "a header that is not UTF-8": lambda r: headed(r, b'{"alg":"EdDSA","typ":"\xff"}'),
    "a kid named like an object's property": lambda r: headed(
        r, orjson.dumps(header(r, kid="constructor"))
    ),
    "an expiry on 29 February of a year without one": lambda r: r.token(expires_on="2027-02-29"),
    "a certificate status named like an object's property": lambda r: r.token(
        cert_status="toString"
    ),
}
LIST_EDGES: dict[str, Callable[[Registry], dict[str, Any]]] = {
    "a status list whose bits is 2.0": lambda r: list_of(
        r, status_list={"bits": 2.0, "lst": "eNpjAAAAAQAB"}
    ),
    "a status list with bits 3": lambda r: list_of(r, status_list=entries(b"\x00", bits=3)),
    "a status list with bytes after its stream": lambda r: list_of(
        r, status_list=entries(b"\x00", tail=b"\x00")
    ),
    "a status list cut short": lambda r: list_of(r, status_list=entries(b"\x00" * 9, cut=2)),
    "a status list whose lst is empty": lambda r: list_of(r, status_list={"bits": 2, "lst": ""}),
    "a status list with only an exp, stale": lambda r: list_of(
        r, ttl=None, exp=int(NOW.timestamp()) - 61
    ),
    "a status list whose iat is past the year 9999": lambda r: list_of(
        r, iat=253402300800, ttl=10**13
    ),
    "a JWK Set with the kid twice": lambda r: {"jwks": {"keys": [r.signer.public_key.jwk()] * 2}},
    "a JWK Set whose key is for encryption": lambda r: one_key(r, use="enc"),
    "a JWK Set whose key may only sign": lambda r: one_key(r, key_ops=["sign"]),
    "a JWK Set whose x is not canonical": lambda r: one_key(
        r, x=not_canonical(r.signer.public_key.x)
    ),
    "a JWK Set without keys": lambda r: {"jwks": {"no": []}},
}
SMALL_ORDER = b64url_encode(bytes(32))  # a point of order 4: any 32 bytes import, in both
BOTH_EDGES_OF_KEYS: dict[str, Build] = {
    "a small-order key and a signature of zeros (accepted for 1 message in 4, in both)": lambda r: (
        raw_jws(header(r), r.claims(), None)[:-1] + b64url_encode(bytes(64)),
        one_key(r, x=SMALL_ORDER),
    ),
}
BOTH_EDGES: dict[str, Build] = {
    "a status list with 1 bit per entry": lambda r: (
        r.at(9),
        list_of(r, status_list=entries(b"\x00\x02", bits=1)),
    ),
    "a status list with 8 bits per entry, entry 3 (reserved)": lambda r: (
        r.at(1),
        list_of(r, status_list=entries(b"\x00\x03", bits=8)),
    ),
    "a status list issued by the token's issuer, as a float": lambda r: (
        r.token(iss=5),
        list_of(r, iss=5.0),
    ),
}

#: verify_token's `issuer`: the page has none to give (it checks what the registry that
#: served it publishes, whoever issued the token), so this case is the API's, not the page's.
NOT_THE_PAGE_S = {"another issuer expected"}
CORPUS: dict[str, Build] = {
    **{name: lambda r, build=build: (build(r), {}) for name, (build, _) in TOKEN_ONLY.items()},
    **{
        name: lambda r, options=options: (r.token(), options(r))
        for name, (options, _) in OPTIONS.items()
        if name not in NOT_THE_PAGE_S
    },
    **{name: lambda r, build=build: (build(r), {}) for name, build in TOKEN_EDGES.items()},
    **{
        name: lambda r, options=options: (r.token(), options(r))
        for name, options in LIST_EDGES.items()
    },
    **BOTH_EDGES,
    **BOTH_EDGES_OF_KEYS,
}


@dataclass
class Served:
    """What the corpus's registry publishes: its JWK Set, retired key ids and status list
    (None: no list at all, 404)."""

    jwks: dict[str, Any] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    status_list: str | None = None

    def signing_keys(self) -> dict[str, Any]:
        keys = [
            {"kid": kid, "signs": False, "published_on": "2025-01-01", "retired_on": "2026-02-01",
             "reason": "rotated out"}
            for kid in sorted(self.retired)
        ]  # fmt: skip
        return {"purpose": "token", "keys": keys}


@dataclass
class CorpusSite:
    """A page at the corpus's registry, and what that registry publishes."""

    watched: Watched
    served: Served
    visits: int = 0

    def check(self, reg: Registry, token: str, **options: Any) -> tuple[Any, tuple[str, list[str]]]:
        """Publish `options` (or `reg`'s defaults), open the token page on `token` at the
        corpus's NOW, and give what verify_token says and what the page says."""
        served = self.served
        served.jwks = options.get("jwks", reg.jwks())
        served.retired = set(options.get("retired", set()))
        served.status_list = options.get("status_list", reg.status_list())
        expected = verify_token(
            token, jwks=served.jwks, status_list=served.status_list, now=NOW, retired=served.retired
        )
        self.watched.errors.clear()
        self.watched.expected = ["404"] if served.status_list is None else []
        self.visits += 1
        page = self.watched.page
        page.clock.set_system_time(NOW)
        page.goto(f"{ISSUER}/v?{self.visits}#{token}")  # a new query: a new document
        return expected, verdict(page)


@pytest.fixture(scope="module")
def corpus_site(browser: Any, api: Api) -> Iterator[CorpusSite]:
    """A page in a browser context in which the corpus's registry, at
    https://cit-registry.utah.gov, is the real server: every request to it goes to
    `registry serve`, except for the keys, the retired key ids and the status list, which
    are the corpus's.

    Why not serve the page at the test server's own address: the corpus's tokens name
    their status list at https://cit-registry.utah.gov, and the page fetches a status list
    only from the site that served it. Serving the page *at* that origin keeps that rule
    in force, as it is in use, rather than loosening it or rewriting the corpus's tokens.
    Service workers are blocked: what the page fetches goes to the network, here, and
    not to a cache kept from another case.
    """
    served = Served()
    context = open_context(browser, service_workers="block")
    pages: dict[str, Any] = {}  # the server's page and files, fetched from it once

    def answer(route: Any) -> None:
        path = route.request.url.removeprefix(ISSUER).split("#")[0]
        if path == "/.well-known/jwks.json":
            route.fulfill(json=served.jwks, headers={"Cache-Control": "no-store"})
        elif path == "/v1/signing-keys/token":
            route.fulfill(json=served.signing_keys(), headers={"Cache-Control": "no-store"})
        elif path == URI.removeprefix(ISSUER):
            if served.status_list is None:
                route.fulfill(status=404, body="no status list")
            else:
                route.fulfill(body=served.status_list, content_type="application/statuslist+jwt")
        else:
            path = path.split("?")[0]
            if path not in pages:
                pages[path] = route.fetch(url=api.base_url + path)
            route.fulfill(response=pages[path])

    context.route(f"{ISSUER}/**", answer)
    try:
        yield CorpusSite(watched_page(context, now=NOW), served)
    finally:
        context.close()


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_page_refuses_each_forgery_for_verify_token_s_reasons(
    corpus_site: CorpusSite, name: str
) -> None:
    # The corpus's "today" is NOW's date in UTC; in the registry's zone it is the same day.
    assert NOW.astimezone(ZONE).date() == NOW.date()
    reg = Registry()
    token, options = CORPUS[name](reg)
    expected, (result, codes) = corpus_site.check(reg, token, **options)
    assert codes == [c.value for c in expected.codes]
    assert (result == "valid") is expected.valid
    assert corpus_site.watched.unexpected() == []


def test_the_page_says_each_answer_in_words_with_an_icon(corpus_site: CorpusSite) -> None:
    reg, page = Registry(), corpus_site.watched.page
    assert corpus_site.check(reg, reg.token())[1] == ("valid", [])
    text = shown(page)
    said = ["Valid", "UT-CIT-34A3XJM9", "Jordan Rivera", "SLCPD", "CIT Officer",
            "15 September 2025", "15 September 2027", "signed 5 minutes ago"]  # fmt: skip
    assert [words for words in said if words not in text] == []
    assert page.locator("#result-status svg.icon-check").count() == 1

    assert corpus_site.check(reg, flip_signature_bit(reg.at(1)))[1] == (
        "invalid",
        ["bad_signature"],
    )
    assert "The signature does not match" in shown(page)
    assert "Jordan Rivera" not in shown(page)  # what a forged token says is not shown
    assert page.locator("#result-status svg.icon-cross").count() == 1

    assert corpus_site.check(reg, reg.at(1))[1] == ("invalid", ["revoked"])
    assert "The state has revoked the certificate." in shown(page)

    stale = reg.status_list(iat=NOW - timedelta(hours=2))
    assert corpus_site.check(reg, reg.token(), status_list=stale)[1] == (
        "unknown",
        ["status_list_stale"],
    )
    assert "Status unknown" in shown(page) and "Status list signed 2 hours ago" in shown(page)
    assert page.locator("#result-status svg.icon-question").count() == 1
    assert corpus_site.watched.unexpected() == []


def test_what_a_token_says_is_shown_as_text_never_as_markup(corpus_site: CorpusSite) -> None:
    reg, page = Registry(), corpus_site.watched.page
    hostile = '<img src=x onerror="document.title=1">'
    token = reg.token(name=hostile, agency="<b>x</b>")
    assert corpus_site.check(reg, token)[1] == ("valid", [])
    assert hostile in shown(page)
    assert page.locator("#result img, #result b").count() == 0
    assert corpus_site.watched.unexpected() == []


def test_a_browser_that_cannot_check_ed25519_says_the_status_is_unknown(
    corpus_site: CorpusSite,
) -> None:
    """Not "forged": a browser without Ed25519 in WebCrypto cannot tell."""
    reg = Registry()
    site = corpus_site.watched.page.context
    corpus_site.served.jwks, corpus_site.served.status_list = reg.jwks(), reg.status_list()
    page = site.new_page()
    page.add_init_script(
        "crypto.subtle.importKey = () => Promise.reject(new DOMException('no', 'NotSupported'))"
    )
    try:
        page.clock.install(time=NOW)
        page.goto(f"{ISSUER}/v#{reg.token()}")
        assert verdict(page) == ("unknown", [])
        assert "This browser could not check the token" in shown(page)
    finally:
        page.close()


# ------------------------------------------------------------------ the real server


def python_says(api: Api, token: str, now: datetime) -> list[str]:
    """What verify_token says of `token` with what the server publishes now, at `now`."""
    public = api.client()
    keys = public.get("/v1/signing-keys/token").json()["keys"]
    result = verify_token(
        token,
        jwks=public.get("/.well-known/jwks.json").json(),
        status_list=public.get("/v1/status-lists/1").text,
        now=now.astimezone(ZONE),
        retired={k["kid"] for k in keys if k["retired_on"]},
    )
    return [c.value for c in result.codes]


@pytest.fixture(scope="module")
def held(api: Api) -> tuple[str, str]:
    """A certificate in force and a token for it, from the server: (number, token)."""
    _, number = certified(api, "TP-1")
    return number, ok(api.client("state").get(f"/v1/certifications/{number}/token"))["token"]


def test_a_token_the_registry_issued_is_valid_in_the_browser(
    web: Watched, api: Api, held: tuple[str, str]
) -> None:
    number, token = held
    web.page.goto(f"{api.base_url}/v#{token}")
    assert verdict(web.page) == ("valid", [])
    assert python_says(api, token, datetime.now(UTC)) == []
    text = shown(web.page)
    assert "Valid" in text and number in text and "Officer TP-1" in text
    assert "Status list signed less than a minute ago" in text


def test_a_token_with_one_bit_of_its_signature_flipped_is_invalid(
    web: Watched, api: Api, held: tuple[str, str]
) -> None:
    forged = flip_signature_bit(held[1])
    web.page.goto(f"{api.base_url}/v#{forged}")
    assert verdict(web.page) == ("invalid", ["bad_signature"])
    assert python_says(api, forged, datetime.now(UTC)) == ["bad_signature"]


def test_a_token_past_its_exp_is_invalid(web: Watched, api: Api, held: tuple[str, str]) -> None:
    token = held[1]
    exp = json.loads(b64url_decode(token.split(".")[1]))["exp"]
    later = datetime.fromtimestamp(exp + 120, UTC)
    web.page.clock.set_system_time(later)
    web.page.goto(f"{api.base_url}/v#{token}")
    result, codes = verdict(web.page)
    assert result == "invalid" and "expired_token" in codes
    # the status list fetched now is stale by then too, past its ttl and its exp: both say so
    stale = ["status_list_stale", "status_list_stale"]
    assert codes == python_says(api, token, later) == ["expired_token", *stale]
    assert "The token has expired" in shown(web.page)


def test_a_certificate_suspended_after_its_token_was_issued_is_invalid(
    web: Watched, api: Api
) -> None:
    _, number = certified(api, "TP-2")
    token = ok(api.client("agency").get(f"/v1/certifications/{number}/token"))["token"]
    state = api.client("state")
    ok(state.post(f"/v1/certifications/{number}/suspensions", json={"reason": "review"}))
    web.page.goto(f"{api.base_url}/v#{token}")
    assert verdict(web.page) == ("invalid", ["suspended"])
    assert python_says(api, token, datetime.now(UTC)) == ["suspended"]
    assert "The state has suspended the certificate." in shown(web.page)


#: What the service worker keeps of the keys and the status list, read in the page.
KEPT = """async () => {
  const text = async (path) => (await caches.match(path)).text();
  return {jwks: await text("/.well-known/jwks.json"), list: await text("/v1/status-lists/1")};
}"""


def test_after_one_visit_a_token_verifies_offline_until_the_kept_list_is_stale(
    browser: Any, api: Api, held: tuple[str, str]
) -> None:
    token = held[1]
    url = f"{api.base_url}/v#{token}"
    context = open_context(browser)
    try:
        online = watched_page(context)
        online.page.goto(url)
        assert verdict(online.page) == ("valid", [])
        online.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        online.page.reload()
        assert verdict(online.page) == ("valid", [])
        assert online.page.evaluate("navigator.serviceWorker.controller !== null")

        context.set_offline(True)
        offline = watched_page(context)
        offline.page.goto(url)
        assert verdict(offline.page) == ("valid", [])
        text = shown(offline.page)
        assert "Status list signed less than a minute ago" in text
        assert "this is the copy kept from an earlier visit" in text

        later = datetime.now(UTC) + timedelta(seconds=TTL + 300)
        stale = watched_page(context, now=later)
        stale.page.goto(url)
        result, codes = verdict(stale.page)
        assert result == "unknown" and set(codes) == {"status_list_stale"}
        kept = stale.page.evaluate(KEPT)
        python = verify_token(
            token, jwks=json.loads(kept["jwks"]), status_list=kept["list"], now=later
        )
        assert codes == [c.value for c in python.codes]  # past its ttl, and its exp
        text = shown(stale.page)
        assert "Status unknown" in text and "Status list signed 1 day ago" in text
        for watched in (online, offline, stale):
            assert watched.unexpected() == []
    finally:
        context.close()


def test_a_token_pasted_on_a_phone_is_checked_and_kept_in_the_address(
    phone: Watched, api: Api, held: tuple[str, str]
) -> None:
    page = phone.page
    page.goto(f"{api.base_url}/v")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Check the token").click()
    assert page.get_by_text("Paste a token to check it.").is_visible()
    page.get_by_label("Paste a certificate token").fill(f"  {held[1]}\n")
    page.get_by_role("button", name="Check the token").click()
    assert verdict(page) == ("valid", [])
    assert page.url == f"{api.base_url}/v#{held[1]}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{api.base_url}/v#{flip_signature_bit(held[1])}")
    assert verdict(page)[0] == "invalid"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_without_javascript_the_page_says_so_and_points_to_the_number_look_up(
    browser: Any, api: Api, held: tuple[str, str]
) -> None:
    context = open_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{api.base_url}/v#{held[1]}")
        text = page.inner_text("main")
        assert "Checking a token needs JavaScript" in text
        link = page.get_by_role("link", name="look the certificate up by its number", exact=True)
        assert link.get_attribute("href") == "/"
        assert not page.locator("#paste").is_visible()
    finally:
        context.close()


def test_a_token_signed_by_a_retired_key_is_invalid(
    web: Watched, api: Api, held: tuple[str, str]
) -> None:
    """Last in the module: it retires the key the module's tokens were signed with."""
    token = held[1]
    old = json.loads(b64url_decode(token.split(".")[0]))["kid"]
    state = api.client("state")
    ok(state.post("/v1/signing-keys/token/rotation"))
    ok(state.post(f"/v1/signing-keys/token/{old}/retirement", json={"reason": "rotated out"}))
    web.page.goto(f"{api.base_url}/v#{token}")
    assert verdict(web.page) == ("invalid", ["retired_key"])
    assert python_says(api, token, datetime.now(UTC)) == ["retired_key"]
    assert "It is signed with a key the registry has retired." in shown(web.page)

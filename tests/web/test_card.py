"""The wallet card (`/certifications/{number}/card`): printed at ID-1 size, its QR code holds
`<issuer>/v#<token>`, and the token verifies with PyJWT against the registry's JWK Set.
Only the state and the holder's agency may print one, and only for a certificate in force.
A real `registry serve` on SQLite and on PostgreSQL, and Chromium for what a printer and a
camera see.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import pypdfium2
import pytest
from PIL import Image, ImageOps

from registry.web.card import short_date
from tests.api.conftest import HOME, Api, days_ago
from tests.api.steps import certified, certify, enrolment, ok, train
from tests.web.conftest import DESKTOP, PHONE, Watched, open_context, watched_page
from tests.web.reading import qr_text, text, verified_claims

HOSTILE = '<script>alert(1)</script> O\'Brien "Jr" \u200f\u202eedoc\u202c Smith'
#: ID-1, the size of a bank card, in millimetres.
ID1 = (85.6, 53.98)
#: CSS pixels per millimetre (96 to the inch), and 300 dpi pixels per millimetre.
CSS_PX_PER_MM = 96 / 25.4
PRINT_PX_PER_MM = 300 / 25.4


@pytest.fixture(scope="module")
def held(api: Api) -> str:
    """A NORTHPD officer's certificate, in force, issued 50 days ago."""
    return certified(api, "CARD-1")[1]


@pytest.fixture(scope="module")
def hostile(api: Api) -> str:
    """The certificate of a NORTHPD officer whose name is markup, quotes and RTL marks."""
    state = api.client("state")
    officer = str(ok(state.post("/v1/officers", json=enrolment("CARD-X", name=HOSTILE)))["id"])
    train(api, officer)
    return certify(api, officer)


def card_url(api: Api, number: str) -> str:
    return f"{api.base_url}/certifications/{number}/card"


def open_card(watched: Watched, api: Api, number: str, caller: str = "agency") -> Any:
    """The card page, asked for with `caller`'s key, as a browser shows it."""
    page = watched.page
    page.set_extra_http_headers({"Authorization": f"Bearer {api.keys[caller]}"})
    response = page.goto(card_url(api, number))
    assert response is not None and response.status == 200
    return page


def record(api: Api, number: str) -> dict[str, Any]:
    return ok(api.client("state").get(f"/v1/certifications/{number}"))


def get_card(api: Api, number: str, caller: str = "public") -> httpx.Response:
    return api.client(caller).get(f"/certifications/{number}/card", headers={"Accept": "text/html"})


# ------------------------------------------------------------------ the QR code


def test_the_qr_code_on_screen_holds_a_token_for_the_certificate_that_verifies(
    web: Watched, api: Api, held: str
) -> None:
    page = open_card(web, api, held)
    screenshot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    claims = verified_claims(api, qr_text(screenshot))
    shown = record(api, held)
    assert claims["sub"] == held
    assert (claims["name"], claims["agency"]) == ("Officer CARD-1", HOME)
    assert (claims["issued_on"], claims["expires_on"]) == (shown["issued_on"], shown["expires_on"])
    assert claims["cert_status"] == "in_force"


def test_the_printed_card_is_bank_card_sized_and_its_qr_code_decodes_at_300_dpi(
    web: Watched, api: Api, held: str
) -> None:
    page = open_card(web, api, held, caller="state")
    page.emulate_media(media="print")
    box = page.locator(".card").bounding_box()
    assert box is not None
    size = (box["width"] / CSS_PX_PER_MM, box["height"] / CSS_PX_PER_MM)
    assert size == pytest.approx(ID1, abs=0.05)
    assert not page.locator("header.site").is_visible()  # the card alone is printed
    # A phone camera reads modules of a third of a millimetre from a hand's length.
    qr = page.locator(".card-qr svg")
    modules = int(str(qr.get_attribute("viewBox")).split()[2])  # with the quiet zone
    qr_box = qr.bounding_box()
    assert qr_box is not None and qr_box["width"] / CSS_PX_PER_MM / modules >= 0.33

    document = pypdfium2.PdfDocument(page.pdf(format="Letter"))
    assert len(document) == 1
    printed = document[0].render(scale=300 / 72).to_pil().convert("L")
    claims = verified_claims(api, qr_text(printed))
    assert claims["sub"] == held
    # The card's border, the outermost ink on the page, is the card's size on paper.
    ink = ImageOps.invert(printed.point(lambda v: 255 if v > 128 else 0)).getbbox()
    assert ink is not None
    on_paper = ((ink[2] - ink[0]) / PRINT_PX_PER_MM, (ink[3] - ink[1]) / PRINT_PX_PER_MM)
    assert on_paper == pytest.approx(ID1, abs=0.3)


# ------------------------------------------------------------------ who may print it


@pytest.mark.parametrize(
    ("caller", "status", "says"),
    [
        ("state", 200, "Wallet card"),
        ("agency", 200, "Wallet card"),
        ("public", 401, "Sign-in needed"),
        ("other_agency", 403, "this key acts for agency SOUTHPD only"),
        ("auditor", 403, "the auditor role may not do this"),
        ("academy", 403, "the academy role may not do this"),
    ],
)
def test_only_the_state_and_the_holder_s_agency_may_print_a_card(
    api: Api, held: str, caller: str, status: int, says: str
) -> None:
    got = get_card(api, held, caller)
    assert got.status_code == status, got.text[:500]
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in got.headers["content-security-policy"]
    assert says in text(got)
    if status == 200:
        assert got.headers["cache-control"] == "no-store"
    if status == 401:
        assert got.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_or_revoked_key_is_refused_never_taken_for_the_public(
    api: Api, held: str
) -> None:
    got = api.client().get(
        f"/certifications/{held}/card", headers={"Authorization": "Bearer not-a-key"}
    )
    assert got.status_code == 401 and "unknown or revoked" in text(got)


@pytest.mark.parametrize("number", ["UT-CIT-NOSUCH1", "x", "not%20a%20number", "A" * 41])
def test_no_card_for_a_certificate_that_is_not_there(api: Api, number: str) -> None:
    for caller in ("state", "agency"):
        got = get_card(api, number, caller)
        assert got.status_code == 404, got.text[:500]
        assert got.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("action", "label", "next_step"),
    [
        ("suspensions", "Suspended", "A card can be printed again if the state reinstates it."),
        ("revocations", "Revoked", "No card can be printed for it."),
    ],
)
def test_no_card_for_a_certificate_not_in_force_and_the_page_says_why(
    api: Api, action: str, label: str, next_step: str
) -> None:
    _, number = certified(api, f"CARD-{action}")
    ok(api.client("state").post(f"/v1/certifications/{number}/{action}", json={"reason": "x"}))
    for caller in ("state", "agency"):
        got = get_card(api, number, caller)
        assert got.status_code == 422, got.text[:500]
        assert got.headers["cache-control"] == "no-store"
        shown = text(got)
        assert f"No wallet card for certificate {number}" in shown
        assert label in shown and "Reason recorded: x" in shown
        assert "printed only for a certificate in force today" in shown and next_step in shown
        assert f'href="/verify?q={number}"' in got.text
        assert "<svg viewBox" not in got.text  # no QR code, no token
    # The API refuses its token for the same reason.
    refused = api.client("agency").get(f"/v1/certifications/{number}/token")
    assert refused.status_code == 422


def test_an_expired_certificate_has_no_card(api: Api) -> None:
    state = api.client("state")
    veteran = enrolment(
        "CARD-OLD",
        patrol_experience_began_on=days_ago(3000).isoformat(),
        effective_on=days_ago(1600).isoformat(),
    )
    officer = str(ok(state.post("/v1/officers", json=veteran))["id"])
    training = {
        "kind": "cit_academy",
        "hours": 40,
        "academy_code": "UPA",
        "began_on": days_ago(1504).isoformat(),
        "completed_on": days_ago(1500).isoformat(),
    }
    ok(state.post(f"/v1/officers/{officer}/trainings", json=training))
    for kind in ("written", "scenario"):
        exam = {"kind": kind, "passed": True, "taken_on": days_ago(1500).isoformat()}
        ok(state.post(f"/v1/officers/{officer}/exams", json=exam))
    number = certify(api, officer, days=1490)
    assert record(api, number)["status"] == "expired"
    got = get_card(api, number, "agency")
    assert got.status_code == 422
    assert "Expired" in text(got) and "once the certificate is renewed" in text(got)


# ------------------------------------------------------------------ what it shows


def test_the_card_shows_the_certificate_s_own_facts(web: Watched, api: Api, held: str) -> None:
    page = open_card(web, api, held)
    shown = record(api, held)
    card = page.locator(".card")
    assert card.locator(".card-registry").inner_text() == "CIT Registry"
    assert card.locator(".card-number").inner_text() == held
    assert card.locator(".card-name").inner_text() == "Officer CARD-1"
    assert card.locator(".card-agency").inner_text() == f"{HOME} Police ({HOME})"
    assert card.locator(".card-credential").inner_text() == "CIT Officer"
    for fact in ("issued_on", "expires_on"):
        day = card.locator(f".card-{fact.removesuffix('_on')} time")
        assert day.get_attribute("datetime") == shown[fact]
        assert day.inner_text() == short_date(date.fromisoformat(shown[fact]))
    assert shown["issued_on"] == days_ago(50).isoformat()
    assert "This code works until" in card.inner_text()


@pytest.mark.parametrize(
    "name",
    [
        "Maria-Fernanda de la Cruz Villanueva-Ortega",
        "Bartholomew Alexander Montgomery-Worthington Fitzgerald-Vanderbilt III",
        "Wolfeschlegelsteinhausenbergerdorff " * 5,
    ],
    ids=["two lines", "four lines", "two hundred characters"],
)
def test_a_long_name_and_agency_stay_on_the_printed_card(web: Watched, api: Api, name: str) -> None:
    state = api.client("state")
    code = f"LONG{len(name)}"
    agency = {
        "code": code,
        "name": "Metropolitan Consolidated Sheriff's Office of the Upper Valley",
        "region": "Wasatch",
        "districts": ["North"],
        "shifts": ["Day"],
        "effective_on": days_ago(900).isoformat(),
    }
    ok(state.post("/v1/agencies", json=agency))
    officer = str(ok(state.post("/v1/officers", json=enrolment(code, code, name=name)))["id"])
    train(api, officer)
    number = certify(api, officer)
    page = open_card(web, api, number, caller="state")
    page.emulate_media(media="print")
    card = page.locator(".card").bounding_box()
    assert card is not None
    for fact in ("card-name", "card-number", "card-agency", "card-issued", "card-expires"):
        box = page.locator(f".{fact}").bounding_box()
        assert box is not None and box["height"] > 0
        assert box["y"] + box["height"] <= card["y"] + card["height"] - CSS_PX_PER_MM, fact
    qr = page.locator(".card-qr svg").bounding_box()
    assert qr is not None and qr["y"] + qr["height"] <= card["y"] + card["height"]
    printed = pypdfium2.PdfDocument(page.pdf(format="Letter"))[0].render(scale=300 / 72)
    assert verified_claims(api, qr_text(printed.to_pil()))["name"] == name.strip()


def test_a_hostile_name_is_shown_as_text_and_signed_as_it_is(
    web: Watched, api: Api, hostile: str
) -> None:
    dialogs: list[str] = []
    web.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page = open_card(web, api, hostile)
    assert page.locator(".card-name").inner_text() == HOSTILE
    assert page.locator(".card script").count() == 0 and dialogs == []
    claims = verified_claims(api, qr_text(Image.open(io.BytesIO(page.screenshot(full_page=True)))))
    assert claims["name"] == HOSTILE
    raw = get_card(api, hostile, "agency").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw and "<script>alert" not in raw


def test_a_withheld_officer_s_card_withholds_what_the_token_withholds(
    web: Watched, api: Api
) -> None:
    officer, number = certified(api, "CARD-W")
    ok(
        api.client("state").post(
            f"/v1/officers/{officer}/withholding",
            json={"withheld": True, "reason": "undercover assignment"},
        )
    )
    page = open_card(web, api, number)
    assert page.locator(".card-name").inner_text() == "Withheld by the state"
    assert page.locator(".card-agency").inner_text() == "Withheld by the state"
    claims = verified_claims(api, qr_text(Image.open(io.BytesIO(page.screenshot(full_page=True)))))
    assert claims["sub"] == number and "name" not in claims and "agency" not in claims


def test_on_a_phone_the_card_fits_the_screen_and_its_qr_code_still_decodes(
    phone: Watched, api: Api, held: str
) -> None:
    page = open_card(phone, api, held)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_role("button", name="Print the card").is_visible()
    qr = page.locator(".card-qr svg").bounding_box()
    assert qr is not None and qr["width"] >= 250
    claims = verified_claims(api, qr_text(Image.open(io.BytesIO(page.screenshot(full_page=True)))))
    assert claims["sub"] == held


def test_the_number_is_found_whatever_its_case_as_the_api_finds_it(api: Api, held: str) -> None:
    got = get_card(api, f" {held.lower()}", "agency")
    assert got.status_code == 200 and held in text(got)


def test_each_card_carries_a_fresh_token_and_no_cache_keeps_it(api: Api, held: str) -> None:
    first, second = get_card(api, held, "agency"), get_card(api, held, "agency")
    assert first.headers["cache-control"] == second.headers["cache-control"] == "no-store"
    assert first.text != second.text  # each token has its own jti


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_card_and_its_refusal_pass_axe_with_no_serious_violation(
    browser: Any, api: Api, held: str, viewport: dict[str, int]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _, suspended = certified(api, f"CARD-AXE-{viewport['width']}")
    state = api.client("state")
    ok(state.post(f"/v1/certifications/{suspended}/suspensions", json={"reason": "review"}))
    key = {"Authorization": f"Bearer {api.keys['agency']}"}
    context = open_context(browser, viewport, extra_http_headers=key)
    watched = watched_page(context)
    watched.expect_console("422")
    found: dict[str, list[str]] = {}
    try:
        for number in (held, suspended):
            watched.page.goto(card_url(api, number))
            violations = Axe().run(watched.page).response["violations"]
            bad = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
            if bad:
                found[number] = bad
        assert watched.unexpected() == []
    finally:
        context.close()
    assert found == {}

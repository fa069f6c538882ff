"""Reading a page as a person does: its visible text, for the web tests' assertions; the
hostile text every page must show as text; and a card's QR code, as a camera reads it,
with the token it holds verified as a receiving department verifies it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx
import jwt
import zxingcpp
from PIL import Image

from tests.api.conftest import Api

HOSTILE = "<script>alert('x')</script> O\"Brien \u202eedoc\u202c"


class _Text(HTMLParser):
    """The text a reader sees: every text node outside <script> and <style>, with spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def text(page: httpx.Response) -> str:
    """A page's visible text with its white space collapsed."""
    parser = _Text()
    parser.feed(page.text)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def qr_text(image: Image.Image) -> str:
    """The text of the one QR code in `image`."""
    # Only QR codes are looked for: a 1-D reader may see an "EAN-13" in a line of text.
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, found
    return str(found[0].text)


def verified_claims(api: Api, text: str) -> dict[str, Any]:
    """The claims of the token in a card's QR text, once PyJWT has verified it against the
    registry's JWK Set and the text is known to be `<issuer>/v#<token>`."""
    issuer, _, token = text.partition("/v#")
    assert issuer == api.base_url  # the server's issuer is where it listens
    kid = jwt.get_unverified_header(token)["kid"]
    keys = jwt.PyJWKSet.from_dict(api.client().get("/.well-known/jwks.json").json())
    return dict(jwt.decode(token, key=keys[kid], algorithms=["EdDSA"], issuer=issuer))

"""Reading a page as a person does: its visible text, for the web tests' assertions; and
the hostile text every page must show as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

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

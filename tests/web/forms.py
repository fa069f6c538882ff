"""Sending the console's forms as a browser does, for the form tests: open the form, keep
its hidden fields (form token, key, version), fill in the rest, post it."""

from __future__ import annotations

import re
from typing import Any

import httpx

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
RECEIPT = re.compile(r"^/staff/receipts/([0-9a-f-]{36})/(\d+)(\?.*)?$")


def hidden(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of the page's form (the sign-out form's token is the same)."""
    return dict(HIDDEN.findall(page.text))


def opened(client: httpx.Client, slug: str, status: int = 200, **about: str) -> httpx.Response:
    page = client.get(f"/staff/do/{slug}", params=about)
    assert page.status_code == status, page.text[:800]
    return page


def send(
    client: httpx.Client, slug: str, values: dict[str, Any], form: httpx.Response | None = None,
    **about: str,
) -> httpx.Response:  # fmt: skip
    """Open the form (unless `form` is the one opened before), fill in `values`, post it."""
    form = form if form is not None else opened(client, slug, **about)
    data = {**hidden(form), **{k: _typed(v) for k, v in values.items()}}
    return client.post(f"/staff/do/{slug}", data=data)


def _typed(value: Any) -> str:
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


def recorded(response: httpx.Response) -> tuple[str, int, str]:
    """A form that was recorded: (record id, version, receipt address)."""
    assert response.status_code == 303, response.text[:1500]
    found = RECEIPT.match(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1), int(found.group(2)), response.headers["location"]

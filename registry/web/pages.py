"""Rendering pages: the Jinja2 templates, the headers every page carries, the error page.

Autoescaping is on for every template and never turned off: a number, a name or a
query a visitor typed is shown as text, whatever it holds.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.web.words import credential_name

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: What a page may load and run: only what the registry itself serves, no inline script,
#: never in a frame. Inline SVG (the card's QR code) is markup, not script.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: Headers of every page and of every file the pages load.
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
#: The paths of the API: everything else the server answers is a page (or a page's file).
API_PREFIXES = ("/v1/", "/.well-known/", "/healthz", "/openapi.json", "/docs", "/redoc")

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates are the package's own: read once, never checked again
)


def long_date(day: date | None) -> str:
    """`2027-09-15` as `15 September 2027`: a date no reader can take the wrong way round."""
    return "" if day is None else f"{day.day} {day:%B %Y}"


def moment(at: datetime) -> str:
    """A moment in the registry's zone, to the minute, with the zone's abbreviation."""
    return f"{long_date(at.date())}, {at:%H:%M %Z}".strip()


environment.filters["long_date"] = long_date
environment.filters["moment"] = moment
environment.globals["credential"] = credential_name


def is_page(path: str) -> bool:
    """Whether `path` is a page's (or a page file's) rather than the API's."""
    return not path.startswith(API_PREFIXES)


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """`template` rendered with `context`, as an HTML response with the page headers."""
    here = request.scope["path"]  # which link of the navigation is the current page
    html = environment.get_template(template).render(request=request, here=here, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


TITLES = {
    400: "That request could not be read",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    422: "That could not be used",
    503: "The registry is busy",
}


def error_page(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> Response | None:
    """The HTML page for a refusal of a page's request; None for the API's requests,
    which get their problem responses."""
    if not is_page(request.url.path):
        return None
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", status, headers, title=title, status=status, detail=detail)


class PageHeaders:
    """ASGI middleware: the security headers on every response to a page's path."""

    HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

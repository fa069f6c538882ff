"""The files the pages load, served from `registry/web/static/` by the registry itself.

Only the files of that folder, read once and kept in memory with their ETag; a browser
revalidates each (`no-cache`) so that a new release is seen at once.
"""

from __future__ import annotations

import hashlib
from functools import cache

from fastapi import Request
from fastapi.responses import Response

from registry.domain.errors import NotFound
from registry.web.pages import STATIC

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}


@cache
def _file(name: str) -> tuple[bytes, str, str] | None:
    """The bytes, media type and ETag of static file `name`; None if there is none."""
    path = STATIC / name
    media_type = TYPES.get(path.suffix)
    if media_type is None or "/" in name or name.startswith(".") or not path.is_file():
        return None
    content = path.read_bytes()
    return content, media_type, f'"{hashlib.sha256(content).hexdigest()[:16]}"'


def response(name: str, request: Request) -> Response:
    """Static file `name` (404 if the folder has no such file), or 304 if unchanged."""
    found = _file(name)
    if found is None:
        raise NotFound(f"no file {name!r}")
    content, media_type, etag = found
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


def weight(*names: str) -> int:
    """The bytes of static files `names` together (for the benchmark of a page's weight)."""
    return sum(len(found[0]) for name in names if (found := _file(name)) is not None)

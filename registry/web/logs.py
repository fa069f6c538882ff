"""The access log never holds a token. A browser with JavaScript off sends a pasted token
to `/verify?q=...` (the server sends it on to the token page's fragment); the access log
writes that request as `q=[token]`. A staff member's set-password link,
`/staff/password/<token>`, is written as `/staff/password/[token]`. Certificate numbers
are public and stay as asked."""

from __future__ import annotations

import logging
import re

#: `q=` followed by a compact JWS, its dots plain or percent-encoded, spaces before it.
TOKEN_IN_QUERY = re.compile(
    r"([?&]q=)(?:\+|%20)*[A-Za-z0-9_-]{10,}(?:\.|%2[Ee])[A-Za-z0-9_-]+(?:\.|%2[Ee])[A-Za-z0-9_-]*"
)


#: The token of a set-password link, in its path.
LINK_IN_PATH = re.compile(r"(/staff/password/)[^/?\s\"]+")


def hide_tokens(path: str) -> str:
    """`path` with any token in its `q` parameter, or in a set-password link, replaced by
    `[token]`."""
    return LINK_IN_PATH.sub(r"\1[token]", TOKEN_IN_QUERY.sub(r"\1[token]", path))


class HideTokens(logging.Filter):
    """Rewrites uvicorn's access-log record, whose arguments are (client, method, path,
    HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], hide_tokens(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access log, once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideTokens) for f in access.filters):
        access.addFilter(HideTokens())

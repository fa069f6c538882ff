"""What one HTTP connection may send the server: the protocol `registry serve` runs.

uvicorn's h11 protocol, with limits on what a client may make the server hold:

- a request's head (request line and headers) of at most MAX_HEAD_BYTES: h11 stops
  buffering an incomplete head beyond it, and a complete one beyond it is refused,
  with 431 either way;
- at most MAX_HEADERS header fields (431);
- HEAD_TIMEOUT seconds for a request's head to arrive, from the moment the connection
  is open or the previous response was sent, and BODY_TIMEOUT seconds for its body
  after its head: a connection that sends them slowly is answered 408 and closed.

httptools, uvicorn's other HTTP/1.1 parser, is not used: uvicorn sets no limit on the
head with it (a single 64 MiB header was taken whole). Every refusal here is a problem
(RFC 9457) and closes the connection. What a reverse proxy in front should add is in
docs/deployment.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Most bytes of a request's head: the request line and every header field.
MAX_HEAD_BYTES = 16 * 1024
#: Most header fields in one request.
MAX_HEADERS = 100
#: Seconds for a request's head to arrive, from the connection's opening or the end of
#: the previous response (an idle kept-alive connection is closed after 5 s anyway).
HEAD_TIMEOUT = 10.0
#: Seconds for a request's body to arrive once its head has.
BODY_TIMEOUT = 30.0

log = logging.getLogger("uvicorn.error")

PROBLEM = "urn:cit-registry:problem:"


def problem_response(status: int, reason: str, kind: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response carrying a problem (RFC 9457), closing the connection."""
    body = json.dumps(
        {"type": PROBLEM + kind, "title": reason, "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


HEADERS_TOO_LARGE = problem_response(
    431,
    "Request Header Fields Too Large",
    "headers-too-large",
    f"a request's head is limited to {MAX_HEAD_BYTES} bytes and {MAX_HEADERS} header fields",
)
MALFORMED = problem_response(
    400, "Bad Request", "malformed-request", "this is not an HTTP/1.1 request"
)
TIMEOUTS = {
    "head": (HEAD_TIMEOUT, "its head"),
    "body": (BODY_TIMEOUT, "its body"),
}


def too_slow(what: str, seconds: float) -> bytes:
    return problem_response(
        408,
        "Request Timeout",
        "request-timeout",
        f"the request did not send {what} within {seconds:g} seconds",
    )


class _Connection(h11.Connection):
    """h11's connection, remembering the status it suggests for the last refused input."""

    refused_with = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as e:
            self.refused_with = e.error_status_hint
            raise


class HeadLimits:
    """Refuses, before the app sees it, a request with too many header fields or too many
    bytes of head (one that arrived whole in one read, past h11's buffer limit)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not within_limits(scope):
            body = HEADERS_TOO_LARGE.split(b"\r\n\r\n", 1)[1]
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": 431, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def within_limits(scope: Any) -> bool:
    """Whether a request's head is within MAX_HEADERS fields and MAX_HEAD_BYTES bytes."""
    headers = scope["headers"]
    if len(headers) > MAX_HEADERS:
        return False
    size = len(scope["raw_path"]) + len(scope["query_string"]) + 16
    size += sum(len(name) + len(value) + 4 for name, value in headers)
    return size <= MAX_HEAD_BYTES


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with limits on the head and deadlines for slow requests."""

    conn: _Connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.app = HeadLimits(self.app)
        #: What the connection is waiting for the client to send: "head", "body" or None.
        self._awaiting: str | None = None
        self._deadline: asyncio.TimerHandle | None = None
        #: Whether any byte of the awaited head has come.
        self._head_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting == "head" and data:
            self._head_begun = True
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        """h11 refused what came: answer with a problem, 431 for a head too large."""
        self._cancel()
        refused = HEADERS_TOO_LARGE if self.conn.refused_with == 431 else MALFORMED
        if not self.transport.is_closing():
            self.transport.write(refused)
            self.transport.close()

    def _watch(self) -> None:
        """Start the deadline of what the client must send next, if that changed."""
        if self.transport is None or self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        awaiting = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if awaiting == self._awaiting:
            return
        self._cancel()
        self._awaiting = awaiting
        self._head_begun = False
        if awaiting is not None:
            seconds = TIMEOUTS[awaiting][0]
            self._deadline = self.loop.call_later(seconds, self._timed_out, awaiting)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._awaiting = None

    def _timed_out(self, awaiting: str) -> None:
        """The client did not send the awaited head or body in time: 408, and close."""
        self._deadline = None
        if self.transport.is_closing():
            return
        seconds, what = TIMEOUTS[awaiting]
        began = awaiting == "body" or self._head_begun
        responding = self.cycle is not None and self.cycle.response_started
        if awaiting == "body" and self.cycle is not None:
            # The app may be waiting for the rest of the body: it hears a disconnect.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if began and not responding:
            self.transport.write(too_slow(what, seconds))
        if began:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.warning("%s did not send %s within %g s: connection closed", client, what, seconds)
        self.transport.close()

"""What a connection may send the server, proved over raw sockets against a real server.

Found under load: a single 64 MiB request header was accepted, and so were 10,000
headers; a connection that sent its headers or its body slowly was never timed out.
`registry serve` now runs h11 with limits (registry/api/connections.py, documented in
docs/deployment.md): a head of 16 KiB and 100 fields at most (431), 10 s for a request's
head and 30 s for its body (408).

The limits are the HTTP layer's, the same on either back end: one server on SQLite.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.api.connections import BODY_TIMEOUT, HEAD_TIMEOUT, MAX_HEAD_BYTES, MAX_HEADERS
from tests.api.conftest import fresh_database, start_server, stop_server

#: Seconds allowed beyond a deadline before the server must have acted.
SLACK = 3.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """A real `registry serve` on a fresh SQLite file: (host, port, its log)."""
    tmp = tmp_path_factory.mktemp("limits")
    with fresh_database("sqlite", tmp) as database:
        base, process = start_server(database, tmp)
        try:
            port = int(base.rsplit(":", 1)[1])
            yield "127.0.0.1", port, tmp / "server.log"
        finally:
            stop_server(process)
    log = (tmp / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def connect(server: tuple[str, int, Path]) -> socket.socket:
    connection = socket.create_connection(server[:2], timeout=60)
    return connection


def answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or resets it)."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def problem_of(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), head
    return dict(json.loads(body))


def request(*headers: bytes, target: bytes = b"/healthz") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: registry\r\n" + b"".join(headers) + b"\r\n"


def still_serving(server: tuple[str, int, Path]) -> None:
    health = httpx.get(f"http://{server[0]}:{server[1]}/healthz", timeout=10)
    assert health.status_code == 200, health.text


def test_a_64_mib_header_is_refused_long_before_it_is_all_sent(
    server: tuple[str, int, Path],
) -> None:
    connection = connect(server)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: registry\r\nX-Huge: ")
    chunk, sent = b"a" * 65536, 0
    try:
        while sent < 64 * 1024 * 1024:
            connection.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert sent < 16 * 1024 * 1024, f"the server took {sent:,} bytes of one header"
    response = answer(connection)
    connection.close()
    if response:  # else the connection was reset before the answer could be read
        assert status_of(response) == 431, response[:300]
        assert problem_of(response)["type"] == "urn:cit-registry:problem:headers-too-large"
    still_serving(server)


def test_ten_thousand_headers_are_refused(server: tuple[str, int, Path]) -> None:
    connection = connect(server)
    headers = [b"X-Field-%d: v\r\n" % i for i in range(10_000)]
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.sendall(request(*headers))
    response = answer(connection)
    connection.close()
    assert status_of(response) == 431, response[:300]
    assert problem_of(response)["status"] == 431
    still_serving(server)


def test_a_hundred_header_fields_pass_and_one_more_is_refused(
    server: tuple[str, int, Path],
) -> None:
    """The Host field counts: 99 more make 100."""
    for extra, status in ((MAX_HEADERS - 1, 200), (MAX_HEADERS, 431)):
        connection = connect(server)
        fields = [b"X-F%d: v\r\n" % i for i in range(extra)]
        connection.sendall(request(*fields))
        response = answer(connection) if status == 431 else connection.recv(65536)
        connection.close()
        assert status_of(response) == status, (extra, response[:300])


def test_a_head_of_more_than_16_kib_sent_whole_is_refused(server: tuple[str, int, Path]) -> None:
    """h11 stops buffering an incomplete head past the limit; a whole head that came in
    one read is measured too. A head a little under the limit passes."""
    for size, status in ((MAX_HEAD_BYTES - 1024, 200), (MAX_HEAD_BYTES + 1024, 431)):
        connection = connect(server)
        connection.sendall(request(b"X-Long: " + b"b" * size + b"\r\n"))
        response = answer(connection) if status == 431 else connection.recv(65536)
        connection.close()
        assert status_of(response) == status, (size, response[:300])


def test_what_is_not_http_is_a_400_problem(server: tuple[str, int, Path]) -> None:
    connection = connect(server)
    connection.sendall(b"HELLO THERE\r\n\r\n")
    response = answer(connection)
    connection.close()
    assert status_of(response) == 400
    assert problem_of(response)["type"] == "urn:cit-registry:problem:malformed-request"


def test_slow_heads_and_bodies_are_cut_off_in_time(server: tuple[str, int, Path]) -> None:
    """At the same time (the test takes the longest deadline, not their sum): a head sent a
    field every half second, a body that stops after a few bytes, and a connection that
    sends nothing. Each is closed within its deadline, the first two with 408."""
    outcomes: dict[str, tuple[float, bytes]] = {}

    def slow_head() -> None:
        connection, began = connect(server), time.monotonic()
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: registry\r\n")
        try:
            for i in range(int(4 * HEAD_TIMEOUT)):
                connection.sendall(b"X-Slow-%d: v\r\n" % i)
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = answer(connection)
        outcomes["head"] = (time.monotonic() - began, response)
        connection.close()

    def slow_body() -> None:
        connection = connect(server)
        connection.sendall(
            b"POST /v1/verifications HTTP/1.1\r\nHost: registry\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        )
        began = time.monotonic()
        try:
            for _ in range(int(2 * BODY_TIMEOUT)):
                connection.sendall(b" ")
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = answer(connection)
        outcomes["body"] = (time.monotonic() - began, response)
        connection.close()

    def silent() -> None:
        connection, began = connect(server), time.monotonic()
        response = answer(connection)
        outcomes["silent"] = (time.monotonic() - began, response)
        connection.close()

    threads = [threading.Thread(target=f) for f in (slow_head, slow_body, silent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2 * BODY_TIMEOUT + 30)

    took, response = outcomes["head"]
    assert HEAD_TIMEOUT - 1 <= took <= HEAD_TIMEOUT + SLACK, took
    assert status_of(response) == 408, response[:300]
    assert "head" in str(problem_of(response)["detail"])
    took, response = outcomes["body"]
    assert BODY_TIMEOUT - 1 <= took <= BODY_TIMEOUT + SLACK, took
    assert status_of(response) == 408, response[:300]
    assert "body" in str(problem_of(response)["detail"])
    took, response = outcomes["silent"]
    assert HEAD_TIMEOUT - 1 <= took <= HEAD_TIMEOUT + SLACK, took
    assert response == b""
    still_serving(server)

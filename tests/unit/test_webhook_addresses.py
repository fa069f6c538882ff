"""Webhook addresses: which URLs an agency may register, and where the guarded sender connects.

The sender tests use real sockets on 127.0.0.1: an http.server in a thread, and a bare
listening socket that shows whether a refused connection was even attempted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpcore
import pytest

from registry.alerts.addresses import (
    SEND_ERRORS,
    GuardedSender,
    RefusedAddress,
    Resolver,
    check_url,
    refused,
    resolve_host,
)
from registry.domain.errors import InvalidInput


def names(table: dict[str, list[str]]) -> Resolver:
    """A resolver that knows only the names in `table`; any other name does not resolve."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


PUBLIC = names(
    {
        "hooks.example.com": ["93.184.215.14"],
        "v6.example.com": ["2606:4700:4700::1111"],
        "inside.example.com": ["10.1.2.3"],
        "mixed.example.com": ["8.8.8.8", "192.168.0.10"],
        "metadata.example.com": ["169.254.169.254"],
        "mapped.example.com": ["::ffff:127.0.0.1"],
    }
)


# --- refused(): the address table -----------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fc00::1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    ("169.254.169.254", "the cloud metadata address"),
    ("fd00:ec2::254", "the cloud metadata address"),
    ("100.64.0.1", "a carrier-grade NAT (shared) address"),
    ("100.100.100.200", "a carrier-grade NAT (shared) address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("0.1.2.3", "an unspecified ('this network') address"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("ff0e::1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "the broadcast address"),
    ("198.18.0.1", "a benchmarking address"),
    ("198.19.255.255", "a benchmarking address"),
    ("2001:2::1", "a benchmarking address"),
    ("192.0.2.1", "a documentation address"),
    ("198.51.100.7", "a documentation address"),
    ("203.0.113.9", "a documentation address"),
    ("2001:db8::1", "a documentation address"),
    ("3fff::1", "a documentation address"),
    ("192.0.0.8", "an IETF protocol-assignment address"),
    ("192.88.99.1", "a deprecated 6to4 relay address"),
    ("::ffff:127.0.0.1", "the IPv4-mapped form of 127.0.0.1, a loopback address"),
    ("::ffff:10.0.0.1", "the IPv4-mapped form of 10.0.0.1, a private address"),
    ("::ffff:a9fe:a9fe", "the IPv4-mapped form of 169.254.169.254, the cloud metadata address"),
    ("::127.0.0.1", "a deprecated IPv4-compatible IPv6 address"),
    ("::8.8.8.8", "a deprecated IPv4-compatible IPv6 address"),
    ("2002:7f00:1::1", "the 6to4 form of 127.0.0.1, a loopback address"),
    ("2002:a00:1::1", "the 6to4 form of 10.0.0.1, a private address"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo tunnel address"),
    ("64:ff9b::7f00:1", "the NAT64 form of 127.0.0.1, a loopback address"),
    ("64:ff9b::a9fe:a9fe", "the NAT64 form of 169.254.169.254, the cloud metadata address"),
    ("64:ff9b:1::1", "a local-use NAT64 address"),
    ("100::1", "a reserved address"),
    ("2001:10::1", "not a globally routable address"),
    ("not-an-ip", "not an IP address"),
    ("localhost", "not an IP address"),
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.128.0.1",
    "172.32.0.1",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "2002:808:808::1",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_refused_addresses_with_their_reason(address: str, reason: str) -> None:
    assert refused(address, allow_loopback=False) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused(address, allow_loopback=False) is None
    assert refused(address, allow_loopback=True) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_allow_loopback_allows_only_this_hosts_loopback(address: str) -> None:
    assert refused(address, allow_loopback=True) is None


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "169.254.169.254",
        "fd00:ec2::254",
        "0.0.0.0",
        "::",
        "2002:7f00:1::1",
        "64:ff9b::7f00:1",
        "::127.0.0.1",
    ],
)
def test_allow_loopback_still_refuses_everything_else(address: str) -> None:
    assert refused(address, allow_loopback=True) is not None


# --- check_url() ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://hooks.example.com/cit/events", "https://hooks.example.com/cit/events"),
        ("HTTPS://Hooks.Example.COM:443/Path?Q=1", "https://hooks.example.com/Path?Q=1"),
        ("https://hooks.example.com:8443", "https://hooks.example.com:8443/"),
        ("https://v6.example.com/x", "https://v6.example.com/x"),
        ("https://[2606:4700:4700::1111]/x", "https://[2606:4700:4700::1111]/x"),
        ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
    ],
)
def test_check_url_accepts_and_normalises(url: str, normalised: str) -> None:
    assert check_url(url, resolve=PUBLIC) == normalised


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/", "The webhook URL must use https"),
        ("ftp://hooks.example.com/", "The webhook URL must use https."),
        ("hooks.example.com/path", "The webhook URL must use https."),
        ("https://user:secret@hooks.example.com/", "must not contain user information"),
        ("https://user@hooks.example.com/", "must not contain user information"),
        ("https:///path", "The webhook URL has no host."),
        ("https://hooks.example.com/#top", "must not contain a fragment"),
        ("https://hooks.example.com/#", "must not contain a fragment"),
        ("https://hooks.example.com/" + "a" * 2048, "longer than 2048 characters"),
        ("https://hooks.example.com/a b", "contains spaces or control characters"),
        ("https://hooks.example.com:99999/", "is not a valid URL"),
        ("https://[::1/", "is not a valid URL"),
        ("https://bücher.example/", "must be written in ASCII"),
        ("https://127.0.0.1/", "The webhook host 127.0.0.1 is a loopback address."),
        ("https://10.0.0.1/", "The webhook host 10.0.0.1 is a private address."),
        ("https://[::1]/", "The webhook host ::1 is a loopback address."),
        ("https://169.254.169.254/latest/meta-data/", "is the cloud metadata address."),
        ("https://[fd00:ec2::254]/", "is the cloud metadata address."),
        ("https://[::ffff:127.0.0.1]/", "is the IPv4-mapped form of 127.0.0.1"),
        ("https://100.64.0.1/", "is a carrier-grade NAT (shared) address."),
        ("https://nowhere.example.com/", "The webhook host nowhere.example.com does not resolve."),
        (
            "https://inside.example.com/",
            "The webhook host inside.example.com resolves to 10.1.2.3, which is a private address.",
        ),
        ("https://mixed.example.com/", "resolves to 192.168.0.10, which is a private address."),
        ("https://metadata.example.com/", "resolves to 169.254.169.254, which is the cloud"),
        ("https://mapped.example.com/", "resolves to ::ffff:127.0.0.1, which is the IPv4-mapped"),
    ],
)
def test_check_url_refusals_name_their_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        check_url(url, resolve=PUBLIC)
    assert message in refusal.value.message


def test_a_name_with_one_public_and_one_private_address_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"192\.168\.0\.10"):
        check_url("https://mixed.example.com/hook", resolve=PUBLIC)


def test_localhost_is_refused_by_the_real_resolver() -> None:
    assert all(refused(a, allow_loopback=False) for a in resolve_host("localhost", 443))
    with pytest.raises(InvalidInput, match=r"localhost resolves to .*a loopback address"):
        check_url("https://localhost/hook")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/hook",
        "http://localhost:8123/hook",
        "http://[::1]:8123/hook",
        "https://localhost:8443/hook",
    ],
)
def test_allow_loopback_permits_loopback_http(url: str) -> None:
    assert check_url(url, allow_loopback=True) == url
    with pytest.raises(InvalidInput):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/hook", "must use https (http is allowed only for a loopback host"),
        ("https://10.0.0.1/hook", "is a private address"),
        ("http://169.254.169.254/", "must use https"),
        ("https://169.254.169.254/", "is the cloud metadata address"),
        ("https://0.0.0.0/", "is an unspecified address"),
        ("http://hooks.example.com/", "must use https"),
    ],
)
def test_allow_loopback_still_refuses_other_ranges(url: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        check_url(url, allow_loopback=True, resolve=PUBLIC)
    assert message in refusal.value.message


# --- GuardedSender: checks at connect time --------------------------------------------------


class _Hooks(BaseHTTPRequestHandler):
    """Answers 200 "ok", or a 302 to the server's `location` on /redirect; records each path."""

    server: _HookServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class _HookServer(HTTPServer):
    paths: list[str]
    location: str


@pytest.fixture
def server() -> Iterator[_HookServer]:
    """A real HTTP server on 127.0.0.1 in a thread."""
    httpd = _HookServer(("127.0.0.1", 0), _Hooks)
    httpd.paths, httpd.location = [], "https://169.254.169.254/latest/meta-data/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that nothing accepts from unless a test asks."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.3)
    yield sock
    sock.close()


def _port(sock: HTTPServer | socket.socket) -> int:
    address = sock.server_address if isinstance(sock, HTTPServer) else sock.getsockname()
    return int(address[1])


def _no_connection_reached(listener: socket.socket) -> bool:
    try:
        conn, _ = listener.accept()
    except TimeoutError:
        return True
    conn.close()
    return False


def test_the_sender_takes_no_proxy_from_the_environment(
    server: _HookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    monkeypatch.setenv("NO_PROXY", "")
    with GuardedSender(allow_loopback=True) as sender:
        assert sender.request("GET", f"http://127.0.0.1:{_port(server)}/direct").content == b"ok"
    assert server.paths == ["/direct"]


def test_loopback_server_is_refused_by_default(server: _HookServer) -> None:
    with GuardedSender() as sender:
        with pytest.raises(RefusedAddress) as refusal:
            sender.request("GET", f"https://127.0.0.1:{_port(server)}/")
        assert str(refusal.value) == "Refused to connect to 127.0.0.1: it is a loopback address."
        assert refusal.value.reason == "a loopback address"
        with pytest.raises(RefusedAddress, match="it is not an https URL"):
            sender.request("GET", f"http://127.0.0.1:{_port(server)}/")
        with pytest.raises(RefusedAddress, match=r"(127\.0\.0\.1|::1) \(for localhost\): it is a"):
            sender.request("GET", f"https://localhost:{_port(server)}/")
    assert server.paths == []


def test_a_refused_address_is_never_connected_to(listener: socket.socket) -> None:
    with GuardedSender() as sender, pytest.raises(RefusedAddress):
        sender.post(f"https://127.0.0.1:{_port(listener)}/", b"{}", {})
    assert _no_connection_reached(listener)


def test_loopback_server_is_reached_when_allowed(server: _HookServer) -> None:
    with GuardedSender(allow_loopback=True) as sender:
        assert sender.request("GET", f"http://127.0.0.1:{_port(server)}/one").content == b"ok"
        assert sender.post(f"http://localhost:{_port(server)}/two", b"{}", {}).content == b"ok"
    assert server.paths == ["/one", "/two"]


def test_an_answer_is_read_only_up_to_what_is_kept(server: _HookServer) -> None:
    with GuardedSender(allow_loopback=True) as sender:
        answer = sender.post(f"http://127.0.0.1:{_port(server)}/", b"{}", {}, keep=1)
    assert (answer.status, answer.content) == (200, b"o")


def test_allowed_loopback_still_refuses_private_and_metadata() -> None:
    with GuardedSender(allow_loopback=True) as sender:
        with pytest.raises(RefusedAddress, match=r"169\.254\.169\.254: it is the cloud metadata"):
            sender.request("GET", "https://169.254.169.254/latest/meta-data/")
        with pytest.raises(RefusedAddress, match=r"10\.0\.0\.1: it is a private address"):
            sender.request("GET", "https://10.0.0.1/")
        with pytest.raises(RefusedAddress, match="not an https URL"):
            sender.request("GET", "http://10.0.0.1/")


def test_a_redirect_is_not_followed(server: _HookServer) -> None:
    server.location = f"http://127.0.0.1:{_port(server)}/elsewhere"
    with GuardedSender(allow_loopback=True) as sender:
        answer = sender.request("GET", f"http://127.0.0.1:{_port(server)}/redirect")
    assert answer.status == 302
    assert answer.headers["location"] == server.location
    assert server.paths == ["/redirect"]


def test_a_followed_redirect_is_checked_again(server: _HookServer) -> None:
    url = f"http://127.0.0.1:{_port(server)}/redirect"
    with GuardedSender(allow_loopback=True, resolve=PUBLIC) as sender:
        for location, refusal in [
            ("https://169.254.169.254/latest/meta-data/", r"169\.254\.169\.254: it is the cloud"),
            ("https://inside.example.com/hook", r"10\.1\.2\.3 \(for inside.example.com\)"),
            ("http://hooks.example.com/hook", "not an https URL"),
        ]:
            server.location = location
            answer = sender.request("GET", url)
            assert answer.status == 302
            with pytest.raises(RefusedAddress, match=refusal):
                sender.request("GET", answer.headers["location"])
    assert server.paths == ["/redirect"] * 3


def test_dns_rebinding_is_refused_at_connect_time(listener: socket.socket) -> None:
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com"
        return next(answers)

    url = check_url(f"https://hooks.example.com:{_port(listener)}/cit", resolve=rebinding)
    with GuardedSender(resolve=rebinding) as sender, pytest.raises(RefusedAddress) as refusal:
        sender.post(url, b'{"event": "certificate-issued"}', {"content-type": "application/json"})
    assert str(refusal.value) == (
        "Refused to connect to 127.0.0.1 (for hooks.example.com): it is a loopback address."
    )
    assert _no_connection_reached(listener)


def test_a_name_with_any_refused_address_is_refused_at_connect(listener: socket.socket) -> None:
    mixed = names({"hooks.example.com": ["93.184.215.14", "127.0.0.1"]})
    with GuardedSender(resolve=mixed) as sender, pytest.raises(RefusedAddress):
        sender.request("GET", f"https://hooks.example.com:{_port(listener)}/")
    assert _no_connection_reached(listener)


def test_connect_tries_each_allowed_address_in_turn(server: _HookServer) -> None:
    # Nothing listens on 127.0.0.2 at this port, so the sender moves on to 127.0.0.1.
    two = names({"localhost": ["127.0.0.2", "127.0.0.1"]})
    with GuardedSender(allow_loopback=True, resolve=two) as sender:
        assert sender.request("GET", f"http://localhost:{_port(server)}/again").content == b"ok"
    assert server.paths == ["/again"]


def test_a_name_that_does_not_resolve_is_an_ordinary_connect_error() -> None:
    with GuardedSender(resolve=PUBLIC) as sender, pytest.raises(httpcore.ConnectError) as failure:
        sender.request("GET", "https://nowhere.example.com/")
    assert not isinstance(failure.value, RefusedAddress)
    assert "cannot resolve nowhere.example.com" in str(failure.value)


def test_a_refused_address_is_one_of_the_errors_a_sender_raises() -> None:
    with GuardedSender() as sender, pytest.raises(SEND_ERRORS) as failure:
        sender.request("GET", "https://[::1]/")
    assert isinstance(failure.value, RefusedAddress)
    assert failure.value.target == "::1"

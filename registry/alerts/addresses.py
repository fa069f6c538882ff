"""Where the registry may send webhooks: https to public addresses only (a guard against SSRF).

`check_url` vets a URL when an agency registers it. `GuardedSender` sends webhooks and
checks again at connect time, against the very address it connects to, so a name that
resolves to a public address at registration and to a private one later (DNS rebinding) is
still refused. Redirects are not followed; a caller that follows one is checked the same way.
Loopback is refused unless `allow_loopback` is on (tests and local use only).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore

from registry.domain.errors import InvalidInput

Resolver = Callable[[str, int], list[str]]
MAX_URL_LENGTH = 2048

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Ranges named here get a precise reason; the flag checks in `refused` catch everything else.
_NAMED_RANGES = [
    (ipaddress.ip_network(network), reason)
    for reason, networks in [
        ("an unspecified ('this network') address", "0.0.0.0/8"),
        ("a private address", "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"),
        ("a carrier-grade NAT (shared) address", "100.64.0.0/10"),
        ("a benchmarking address", "198.18.0.0/15 2001:2::/48"),
        ("a documentation address", "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24"),
        ("a documentation address", "2001:db8::/32 3fff::/20"),
        ("an IETF protocol-assignment address", "192.0.0.0/24"),
        ("a deprecated 6to4 relay address", "192.88.99.0/24"),
        ("the broadcast address", "255.255.255.255/32"),
        ("a Teredo tunnel address", "2001::/32"),
        ("a local-use NAT64 address", "64:ff9b:1::/48"),
        ("a deprecated IPv4-compatible IPv6 address", "::/96"),
        ("a reserved address", "5f00::/16"),
    ]
    for network in networks.split()
]


class RefusedAddress(httpcore.ConnectError):
    """The guarded client refused to connect: `target` is the address or URL, `reason` why."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"Refused to connect to {target}: it is {reason}.")
        self.target = target
        self.reason = reason


def resolve_host(host: str, port: int) -> list[str]:
    """Return every address `host` resolves to, in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused(address: str, *, allow_loopback: bool) -> str | None:
    """Say why the registry must not connect to `address`, or return None when it may.

    Everything that is not globally routable is refused. IPv6 forms that carry an IPv4
    address (IPv4-mapped, 6to4, NAT64) are judged by the IPv4 address they carry.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # Only a mapped address is really this host's loopback; a 6to4 or NAT64 one is not.
        carried = [("IPv4-mapped", ip.ipv4_mapped, allow_loopback), ("6to4", ip.sixtofour, False)]
        if ip in _NAT64:
            carried.append(("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), False))
        for form, ipv4, loopback_ok in carried:
            if ipv4 is not None:
                reason = refused(str(ipv4), allow_loopback=loopback_ok)
                return reason and f"the {form} form of {ipv4}, {reason}"
    if ip in _METADATA:
        return "the cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    for network, reason in _NAMED_RANGES:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_reserved:
        return "a reserved address"
    return None if ip.is_global else "not a globally routable address"


def _addresses(host: str, port: int, resolve: Resolver) -> list[str]:
    """The addresses to judge for `host`: itself when it is an IP literal, else its resolution."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        return resolve(host, port)


def _is_loopback_host(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_loopback: bool = False, resolve: Resolver = resolve_host) -> str:
    """Vet a webhook URL an agency registers and return it normalised, or raise InvalidInput.

    The URL must be https (http only for a loopback host when `allow_loopback` is on), carry
    no user information or fragment, and its host must resolve only to allowed addresses.
    """
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"The webhook URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidInput("The webhook URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InvalidInput(f"The webhook URL is not a valid URL ({e}).") from e
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("https", "http"):
        raise InvalidInput("The webhook URL must use https.")
    if "@" in parts.netloc:
        raise InvalidInput("The webhook URL must not contain user information (user:password@).")
    if not host:
        raise InvalidInput("The webhook URL has no host.")
    if "#" in url:
        raise InvalidInput("The webhook URL must not contain a fragment (#...).")
    if not host.isascii():
        raise InvalidInput("The webhook host must be written in ASCII (use its punycode form).")
    if scheme == "http" and not (allow_loopback and _is_loopback_host(host)):
        raise InvalidInput(
            "The webhook URL must use https (http is allowed only for a loopback host, "
            "and only when loopback is allowed)."
        )
    default_port = 443 if scheme == "https" else 80
    try:
        addresses = _addresses(host, port or default_port, resolve)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise InvalidInput(f"The webhook host {host} does not resolve.")
    for address in addresses:
        reason = refused(address, allow_loopback=allow_loopback)
        if reason is not None:
            where = "is" if address == host else f"resolves to {address}, which is"
            raise InvalidInput(f"The webhook host {host} {where} {reason}.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default_port:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that resolves hosts itself and connects only to allowed
    addresses. If any address the host resolves to is refused, the connection is refused."""

    def __init__(self, *, allow_loopback: bool = False, resolve: Resolver = resolve_host) -> None:
        self.allow_loopback = allow_loopback
        self.resolve = resolve

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, **options: Any
    ) -> httpcore.NetworkStream:
        """Resolve `host`, refuse it if any address is refused, else connect to the first
        address that answers."""
        try:
            addresses = _addresses(host, port, self.resolve)
        except (OSError, UnicodeError) as e:
            raise httpcore.ConnectError(f"cannot resolve {host}: {e}") from e
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        for address in addresses:
            reason = refused(address, allow_loopback=self.allow_loopback)
            if reason is not None:
                target = address if address == host else f"{address} (for {host})"
                raise RefusedAddress(target, reason)
        for address in addresses[:-1]:
            try:
                return super().connect_tcp(address, port, timeout, **options)
            except httpcore.ConnectError:
                continue
        return super().connect_tcp(addresses[-1], port, timeout, **options)


#: What sending through a `GuardedSender` raises when no answer comes: a refused address,
#: a failed connection or TLS handshake, a timeout, or a receiver that broke HTTP.
SEND_ERRORS = (
    httpcore.NetworkError,
    httpcore.TimeoutException,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    content: bytes  # at most the `keep` bytes asked for


class GuardedSender:
    """Sends webhook requests over kept-alive connections whose every connection goes
    through a `GuardedBackend` (an httpcore connection pool, httpcore's public
    `network_backend` argument).

    Nothing is taken from the environment (no proxies, no .netrc) and no redirect is
    followed: a 3xx is an answer like any other. Each request's URL must be https, or http
    to a loopback host when loopback is allowed, so a caller that follows a `Location` is
    checked the same way. `verify` is an ssl.SSLContext for a receiver with its own CA.
    """

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        resolve: Resolver = resolve_host,
        timeout: float = 15.0,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.timeout = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._pool = httpcore.ConnectionPool(
            ssl_context=verify or ssl.create_default_context(),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_loopback=allow_loopback, resolve=resolve),
        )

    def request(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        keep: int = 65536,
    ) -> Answer:
        """Send one request and return its answer, of whose body at most `keep` bytes are
        read (a connection left with more unread is closed, not reused). Raises
        RefusedAddress, or another of SEND_ERRORS when no answer came."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "https" and not (
            parts.scheme == "http" and self.allow_loopback and _is_loopback_host(host)
        ):
            shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            raise RefusedAddress(shown, "not an https URL")
        sent = [(b"host", parts.netloc.rpartition("@")[2].encode("ascii"))]
        sent += [(k.encode("ascii"), v.encode("ascii")) for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            sent.append((b"content-length", str(len(body)).encode("ascii")))
        extensions = {"timeout": self.timeout}
        with self._pool.stream(method, url, headers=sent, content=body, extensions=extensions) as r:
            content = b""
            for chunk in r.iter_stream():
                content += chunk
                if len(content) >= keep:
                    break
            heard = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in r.headers}
            return Answer(r.status, heard, content[:keep])

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, keep: int = 65536
    ) -> Answer:
        return self.request("POST", url, body, headers, keep=keep)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> GuardedSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

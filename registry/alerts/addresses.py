"""Where the registry may send webhooks: https to public addresses only (a guard against SSRF).

`check_url` vets a URL when an agency registers it. `guarded_client` gives an `httpx.Client`
that checks again at connect time, against the very address it connects to, so a name that
resolves to a public address at registration and to a private one later (DNS rebinding) is
still refused. Redirects are not followed; a caller that follows one is checked the same way.
Loopback is refused unless `allow_loopback` is on (tests and local use only).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

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


class RefusedAddress(httpx.ConnectError):
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


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection goes through a `GuardedBackend`.

    httpx.HTTPTransport takes no network backend, so this replaces the connection pool it
    builds with an httpcore.ConnectionPool given the guarded backend (httpcore's public
    `network_backend` argument); no proxy or Unix socket is used. `verify` is as in httpx
    (an ssl.SSLContext for a receiver with its own CA). Each request's URL must also be https,
    or http to a loopback host when loopback is allowed, which covers followed redirects.
    """

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        resolve: Resolver = resolve_host,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False)
        self.allow_loopback = allow_loopback
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_loopback=allow_loopback, resolve=resolve),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a URL that is neither https nor allowed loopback http, then send it."""
        url = request.url
        if url.scheme != "https" and not (
            url.scheme == "http" and self.allow_loopback and _is_loopback_host(url.host)
        ):
            raise RefusedAddress(str(url.copy_with(query=None)), "not an https URL")
        return super().handle_request(request)


def guarded_client(
    *, allow_loopback: bool = False, timeout: float = 15.0, resolve: Resolver = resolve_host
) -> httpx.Client:
    """Return an httpx.Client for webhook delivery: guarded connections, no redirects followed,
    no proxies or .netrc from the environment."""
    transport = GuardedTransport(allow_loopback=allow_loopback, resolve=resolve)
    return httpx.Client(
        transport=transport, follow_redirects=False, timeout=timeout, trust_env=False
    )

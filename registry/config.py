"""Settings, read once from the environment into one object."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from registry.domain.errors import InvalidInput
from registry.domain.policy import Policy

DEFAULT_DATABASE = "sqlite:///registry.db"
DEFAULT_ISSUER = "http://localhost:8000"
#: Addresses that mean "every interface": no client can reach a server by them.
ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


@dataclass(frozen=True)
class Settings:
    """Where the registry keeps its log and which state policy it applies."""

    database: str = DEFAULT_DATABASE
    timezone: str = "America/Denver"
    policy: Policy = field(default_factory=Policy)
    #: Where private signing keys live (mode 0700; files 0600). None: beside the database.
    key_dir: str | None = None
    #: The registry's issuer URL: the `iss` of its tokens and the base of status-list URIs.
    issuer: str = DEFAULT_ISSUER
    #: The origin line of the log's signed checkpoints (None: the issuer without its scheme).
    log_origin: str | None = None
    #: Webhook URLs may name loopback addresses (plain http too): for tests and local use.
    webhooks_allow_loopback: bool = False

    @classmethod
    def from_env(cls, database: str | None = None) -> Settings:
        """Read REGISTRY_DATABASE, REGISTRY_TIMEZONE, REGISTRY_POLICY (a TOML file),
        REGISTRY_KEY_DIR, REGISTRY_ISSUER, REGISTRY_LOG_ORIGIN and
        REGISTRY_WEBHOOKS_ALLOW_LOOPBACK ("1" to allow; off by default)."""
        policy = Policy()
        policy_file = os.environ.get("REGISTRY_POLICY")
        if policy_file:
            try:
                values = tomllib.loads(Path(policy_file).read_text())
            except (OSError, tomllib.TOMLDecodeError) as e:
                raise InvalidInput(f"cannot read policy file {policy_file}: {e}") from None
            policy = Policy.from_mapping(values.get("policy", values))
        settings = cls(
            database=database or os.environ.get("REGISTRY_DATABASE") or DEFAULT_DATABASE,
            timezone=os.environ.get("REGISTRY_TIMEZONE", "America/Denver"),
            policy=policy,
            key_dir=os.environ.get("REGISTRY_KEY_DIR") or None,
            issuer=(os.environ.get("REGISTRY_ISSUER", "").strip() or DEFAULT_ISSUER).rstrip("/"),
            log_origin=os.environ.get("REGISTRY_LOG_ORIGIN") or None,
            webhooks_allow_loopback=os.environ.get("REGISTRY_WEBHOOKS_ALLOW_LOOPBACK") == "1",
        )
        settings.zone()
        return settings

    def keys_folder(self) -> Path:
        """REGISTRY_KEY_DIR, else a `keys/` folder beside the SQLite file (or here)."""
        if self.key_dir:
            return Path(self.key_dir).expanduser()
        if self.database.startswith("sqlite:///"):
            return Path(self.database.removeprefix("sqlite:///")).expanduser().parent / "keys"
        return Path("keys")

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from None

    def origin(self) -> str:
        """The log's origin: REGISTRY_LOG_ORIGIN, else the issuer URL without its scheme
        (`http://localhost:8000` gives `localhost:8000`), as C2SP checkpoints name logs."""
        origin = self.log_origin or self.issuer.split("://", 1)[-1]
        if not origin or any(c.isspace() for c in origin) or "+" in origin:
            raise InvalidInput(f"the log origin {origin!r} may hold no space nor '+'")
        return origin


def listening_issuer(host: str, port: int) -> str:
    """The issuer URL of a server listening on `host`:`port`, when REGISTRY_ISSUER does not
    name one: `http://HOST:PORT`, with `localhost` for an address that means every
    interface (0.0.0.0, ::), and an IPv6 address in brackets."""
    host = host.strip()
    if host in ANY_ADDRESS:
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"

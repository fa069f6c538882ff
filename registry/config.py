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


@dataclass(frozen=True)
class Settings:
    """Where the registry keeps its log and which state policy it applies."""

    database: str = DEFAULT_DATABASE
    timezone: str = "America/Denver"
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def from_env(cls, database: str | None = None) -> Settings:
        """Read REGISTRY_DATABASE, REGISTRY_TIMEZONE and REGISTRY_POLICY (a TOML file)."""
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
        )
        settings.zone()
        return settings

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from None

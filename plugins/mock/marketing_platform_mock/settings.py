"""MOCK_* settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.settings import PlatformSettings

FAILURE_KINDS = ("rate_limit", "unavailable", "auth", "validation")


def parse_failures(spec: str) -> dict[str, float]:
    """``"rate_limit:0.1,unavailable:0.05"`` -> ``{"rate_limit": 0.1, "unavailable": 0.05}``."""
    rates: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kind, sep, value = part.partition(":")
        kind = kind.strip()
        if kind not in FAILURE_KINDS or not sep:
            raise ValueError(f"{part!r} is not KIND:PROBABILITY with KIND one of {', '.join(FAILURE_KINDS)}")
        try:
            probability = float(value)
        except ValueError:
            raise ValueError(f"{part!r}: the probability must be a number between 0 and 1") from None
        if not 0 <= probability <= 1:
            raise ValueError(f"{part!r}: the probability must be between 0 and 1")
        rates[kind] = probability
    return rates


class MockSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="MOCK_", extra="ignore", validate_default=True)

    seed: int = 0
    latency: Literal["none", "realistic"] = "none"
    failures: str = ""
    state: Path | None = None

    @field_validator("failures")
    @classmethod
    def _valid_failures(cls, value: str) -> str:
        parse_failures(value)
        return value

    @property
    def failure_rates(self) -> dict[str, float]:
        return parse_failures(self.failures)

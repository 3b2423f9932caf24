"""Configuration from the environment (pydantic-settings).

``CoreSettings`` holds the framework's own ``MARKETING_PLATFORM_*`` names. Each adapter
subclasses :class:`PlatformSettings` with ``env_prefix="<NAME>_"``; the rate-budget
overrides (``<NAME>_RATE_LIMIT``, ``<NAME>_MAX_CONCURRENT``, ``<NAME>_DAILY_QUOTA``) and
``MARKETING_PLATFORM_TIMEOUT`` come for free. Secrets are ``SecretStr`` fields: they are
registered for redaction when the settings are created and print as ``***``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError
from .redaction import register_secret


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("marketing-platform", appauthor=False))


class CoreSettings(BaseSettings):
    """The framework's settings: ``MARKETING_PLATFORM``, ``MARKETING_PLATFORM_*``."""

    model_config = SettingsConfigDict(env_prefix="MARKETING_PLATFORM_", extra="ignore", populate_by_name=True)

    platform: str = Field(default="mock", validation_alias="MARKETING_PLATFORM")
    fallback: str | None = None
    log: Path | None = None
    timeout: float = Field(default=30.0, gt=0)
    disabled_plugins: str = ""
    rate_store: str = "memory"

    @property
    def log_path(self) -> Path:
        """Where the activation log (and the mock's state beside it) lives."""
        return self.log if self.log is not None else default_data_dir() / "activations.sqlite3"

    @property
    def disabled(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.disabled_plugins.split(",") if n.strip())

    @property
    def fallbacks(self) -> list[str]:
        return [n.strip() for n in (self.fallback or "").split(",") if n.strip()]


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(value: str, variable: str) -> str:
    """Require ``https://`` unless the host is loopback (tests use ``http://127.0.0.1``)."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{variable} must be a URL like https://host, got {value!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{variable} must use https:// (plain http is allowed only for loopback hosts)")
    if parts.username or parts.password or parts.query:
        raise ValueError(f"{variable} must not carry credentials or a query string")
    return value.rstrip("/")


class PlatformSettings(BaseSettings):
    """Base for adapter settings. Subclasses set ``env_prefix`` and add their fields.

    ``rate_limit`` is ``CALLS/SECONDS`` (e.g. ``50/20``); ``max_concurrent`` and
    ``daily_quota`` override the adapter's declared budget.
    """

    model_config = SettingsConfigDict(extra="ignore", validate_default=True, populate_by_name=True)

    # One timeout for every platform; ``timeout=`` works as a keyword override too.
    timeout: float = Field(default=30.0, gt=0, validation_alias="MARKETING_PLATFORM_TIMEOUT")
    rate_limit: str | None = None
    max_concurrent: int | None = Field(default=None, ge=1)
    daily_quota: int | None = Field(default=None, ge=1)

    @field_validator("rate_limit")
    @classmethod
    def _rate_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        calls, sep, seconds = value.partition("/")
        try:
            ok = bool(sep) and int(calls) > 0 and float(seconds) > 0
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"rate limit must look like CALLS/SECONDS (e.g. 50/20), got {value!r}")
        return value

    @model_validator(mode="after")
    def _register_secrets(self) -> PlatformSettings:
        for _, secret in self.secret_fields():
            register_secret(secret.get_secret_value())
        return self

    def secret_fields(self) -> Iterator[tuple[str, SecretStr]]:
        """``(field name, value)`` of every ``SecretStr`` field."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                yield name, value

    def env_name(self, field: str) -> str:
        """The environment variable that sets ``field`` (for error messages)."""
        prefix = str(self.model_config.get("env_prefix") or "")
        return f"{prefix}{field}".upper()

    def redacted(self) -> dict[str, Any]:
        """The settings as JSON-able data with every secret shown as ``***``."""
        return {name: getattr(self, name) for name in type(self).model_fields} | {
            name: "***" for name, _ in self.secret_fields()
        }


def settings_error(platform: str, model: type[BaseSettings], exc: ValidationError) -> ConfigurationError:
    """A one-line ConfigurationError naming the environment variables to fix."""
    prefix = str(model.model_config.get("env_prefix") or "")
    # Fields read from a fixed variable (e.g. MARKETING_PLATFORM_TIMEOUT) take no prefix.
    aliases = {f.validation_alias for f in model.model_fields.values() if isinstance(f.validation_alias, str)}
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "settings"
        variable = field.upper() if field in aliases else f"{prefix}{field}".upper()
        if error["type"] == "missing":
            parts.append(f"{variable} is not set")
        else:
            parts.append(f"{variable} is invalid: {error['msg']}")
    return ConfigurationError(
        f"{platform} is not configured: " + "; ".join(parts),
        platform=platform,
        code="settings",
        hint=f"set {', '.join(sorted({p.split(' ')[0] for p in parts}))} in the environment (or a .env file)",
    )


def load_core_settings() -> CoreSettings:
    """The framework's settings from the environment; a malformed value is a
    ConfigurationError naming the variable (never a raw validation error)."""
    try:
        return CoreSettings()
    except ValidationError as exc:
        raise settings_error("marketing-platform", CoreSettings, exc) from None

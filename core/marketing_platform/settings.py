"""Configuration from the environment (pydantic-settings).

``CoreSettings`` holds the framework's own ``MARKETING_PLATFORM_*`` names. Each adapter
subclasses :class:`PlatformSettings` with ``env_prefix="<NAME>_"``; the rate-budget
overrides (``<NAME>_RATE_LIMIT``, ``<NAME>_MAX_CONCURRENT``, ``<NAME>_DAILY_QUOTA``) and
``MARKETING_PLATFORM_TIMEOUT`` come for free. Secrets are ``SecretStr`` fields: they are
registered for redaction when the settings are created and print as ``***``.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError
from .ratelimit import MAX_CONCURRENT, MAX_DAILY_QUOTA, parse_rate_limit
from .redaction import register_secret, register_url_secrets

#: The longest request timeout accepted (beyond it sockets overflow: never a sane wait).
MAX_TIMEOUT_SECONDS = 3600.0


def _check_timeout(value: float) -> float:
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT_SECONDS):
        raise ValueError(
            f"must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS:,.0f}, "
            f"e.g. MARKETING_PLATFORM_TIMEOUT=30; got {value!r}"
        )
    return value


#: Seconds per request: finite, above 0, at most MAX_TIMEOUT_SECONDS.
Timeout = Annotated[float, AfterValidator(_check_timeout)]


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("marketing-platform", appauthor=False))


#: Read by every settings model besides the environment, which takes precedence.
ENV_FILE = ".env"


class CoreSettings(BaseSettings):
    """The framework's settings: ``MARKETING_PLATFORM``, ``MARKETING_PLATFORM_*`` (from
    the environment, or a ``.env`` file in the working directory)."""

    model_config = SettingsConfigDict(
        env_prefix="MARKETING_PLATFORM_",
        extra="ignore",
        populate_by_name=True,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
    )

    platform: str = Field(default="mock", validation_alias="MARKETING_PLATFORM")
    fallback: str | None = None
    log: str | None = None
    timeout: Timeout = 30.0
    disabled_plugins: str = ""
    rate_store: str = "memory"
    routes: str = ""
    broker: str | None = None
    lease_seconds: float = Field(default=60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _register_url_secrets(self) -> CoreSettings:
        for url in (self.log, self.broker, self.rate_store):
            if url and "://" in url:
                register_url_secrets(url)
        return self

    @property
    def log_location(self) -> str:
        """The activation log: a SQLite file path or a ``postgresql://`` URL."""
        return self.log or str(default_data_dir() / "activations.sqlite3")

    @property
    def log_path(self) -> Path:
        """The SQLite activation log's file (a ConfigurationError for a PostgreSQL log)."""
        if "://" in self.log_location:
            raise ConfigurationError(
                "the activation log is a database, not a file",
                code="log",
                hint="use log_location (or data_dir for files beside the log)",
            )
        return Path(self.log_location)

    @property
    def data_dir(self) -> Path:
        """Where local files beside the log live (the mock's state): the SQLite log's
        folder, else the user data folder."""
        if "://" in self.log_location:
            return default_data_dir()
        return Path(self.log_location).parent

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


def _shown_url(value: str) -> str:
    """``value`` fit to print in an error: any ``user:password@`` part masked, at most
    100 characters, on one line (``repr``)."""
    if "@" in value:
        head, _, tail = value.rpartition("@")
        scheme, sep, _ = head.partition("://")
        value = f"{scheme}{sep}***@{tail}" if sep and "/" not in scheme else f"***@{tail}"
    return repr(value if len(value) <= 100 else value[:100] + "...")


def check_base_url(value: str, variable: str) -> str:
    """Require ``https://`` unless the host is loopback (tests use ``http://127.0.0.1``);
    refuse credentials, a query string or a fragment. The messages never show a
    ``user:password@`` part, however malformed the URL."""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        # urlsplit silently drops tabs and newlines: the URL sent would not be this one.
        raise ValueError(f"{variable} must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed "[" (IPv6): the rest may be anything
        raise ValueError(f"{variable} must be a URL like https://host") from None
    if parts.username is not None or "@" in parts.netloc:
        raise ValueError(
            f"{variable} must not carry credentials (user:password@); set them in their own variables"
        )
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:  # a bad port may be a password typed without "user@": not shown
        raise ValueError(
            f"{variable} must be a URL like https://host (a port, if any, is a number)"
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{variable} must be a URL like https://host, got {_shown_url(value)}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{variable} must use https:// (plain http is allowed only for loopback hosts)")
    if parts.query or parts.fragment:
        raise ValueError(f"{variable} must not carry a query string or a fragment")
    return value.rstrip("/")


class PlatformSettings(BaseSettings):
    """Base for adapter settings. Subclasses set ``env_prefix`` and add their fields.

    ``rate_limit`` is ``CALLS/SECONDS`` (e.g. ``50/20``); ``max_concurrent`` and
    ``daily_quota`` override the adapter's declared budget.
    """

    model_config = SettingsConfigDict(
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
    )

    # One timeout for every platform; ``timeout=`` works as a keyword override too.
    timeout: Timeout = Field(default=30.0, validation_alias="MARKETING_PLATFORM_TIMEOUT")
    rate_limit: str | None = None
    max_concurrent: int | None = None
    daily_quota: int | None = None

    @field_validator("rate_limit")
    @classmethod
    def _rate_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parse_rate_limit(value)
        except ValueError as exc:
            raise ValueError(
                f"must be CALLS/SECONDS, e.g. {cls._variable('rate_limit')}=50/20 for 50 calls per "
                f"20 seconds ({exc}); got {_shown(value)}"
            ) from None
        return value

    @field_validator("max_concurrent", "daily_quota", mode="before")
    @classmethod
    def _count(cls, value: Any, info: ValidationInfo) -> Any:
        """A whole number within the bounds a budget can enforce, said with an example
        (pydantic's own "greater than or equal to 1" names no variable to set)."""
        if value is None:
            return None
        name = info.field_name or ""
        top, example = (MAX_CONCURRENT, 10) if name == "max_concurrent" else (MAX_DAILY_QUOTA, 50_000)
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value) if len(value.strip()) <= 12 else top + 1
        if number is None or not 1 <= number <= top:
            raise ValueError(
                f"must be a whole number from 1 to {top:,}, e.g. {cls._variable(name)}={example}; "
                f"got {_shown(value)}"
            )
        return number

    @classmethod
    def _variable(cls, field: str) -> str:
        return f"{cls.model_config.get('env_prefix') or ''}{field}".upper()

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


def _shown(value: Any) -> str:
    """A (non-secret) setting's value fit for a one-line message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


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
            message = str(error["msg"]).removeprefix("Value error, ").replace("\n", " ")
            parts.append(f"{variable} is invalid: {message}")
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

"""HubSpot settings (``HUBSPOT_*`` environment variables).

Two ways to authenticate, checked by :meth:`HubSpotSettings.auth_mode`:

* a private app token, ``HUBSPOT_ACCESS_TOKEN`` (``HUBSPOT_API_KEY`` is accepted as one:
  HubSpot sunset ``hapikey`` API keys on 2022-11-30, so a value there can only be a
  private app token today);
* OAuth: ``HUBSPOT_CLIENT_ID`` + ``HUBSPOT_CLIENT_SECRET`` + ``HUBSPOT_REFRESH_TOKEN``.

Secrets are ``SecretStr``: they print as ``***`` and are registered for redaction.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import ConfigurationError
from marketing_platform.ratelimit import RateLimits
from marketing_platform.settings import PlatformSettings, check_base_url

AuthMode = Literal["private_app", "oauth"]
RateTier = Literal["free", "starter", "professional", "enterprise", "addon"]

DEFAULT_BASE_URL = "https://api.hubapi.com"

#: HubSpot's documented private-app budgets: calls per 10 s and calls per day.
TIER_LIMITS: dict[str, RateLimits] = {
    "free": RateLimits(calls=100, per_seconds=10, max_concurrent=10, daily_quota=250_000),
    "starter": RateLimits(calls=100, per_seconds=10, max_concurrent=10, daily_quota=250_000),
    "professional": RateLimits(calls=190, per_seconds=10, max_concurrent=10, daily_quota=625_000),
    "enterprise": RateLimits(calls=190, per_seconds=10, max_concurrent=10, daily_quota=1_000_000),
    "addon": RateLimits(calls=250, per_seconds=10, max_concurrent=10, daily_quota=1_000_000),
}
#: Public OAuth apps: 110 calls per 10 s per installing account (no documented daily cap).
OAUTH_LIMITS = RateLimits(calls=110, per_seconds=10, max_concurrent=10)

API_KEY_NOTICE = (
    "HUBSPOT_API_KEY is used as a private app access token: HubSpot sunset hapikey API keys "
    "on 2022-11-30, so only a private app token works there; set HUBSPOT_ACCESS_TOKEN instead"
)

_OAUTH_FIELDS = ("client_id", "client_secret", "refresh_token")


class HubSpotSettings(PlatformSettings):
    """Everything the HubSpot adapter reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="HUBSPOT_", extra="ignore", validate_default=True)

    access_token: SecretStr | None = None
    api_key: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    blog_id: str | None = None
    files_folder: str = "/marketing-platform"
    rate_tier: RateTier | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value, "HUBSPOT_BASE_URL")

    @field_validator("files_folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith("/"):
            value = "/" + value
        return value.rstrip("/") or "/"

    @field_validator("rate_tier", mode="before")
    @classmethod
    def _tier_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    # ----------------------------------------------------------------- helpers
    @property
    def private_app_token(self) -> SecretStr | None:
        """The private app token: HUBSPOT_ACCESS_TOKEN, else HUBSPOT_API_KEY."""
        return self.access_token or self.api_key

    @property
    def uses_api_key(self) -> bool:
        """True when the token comes from HUBSPOT_API_KEY (worth a notice to the user)."""
        return self.access_token is None and self.api_key is not None

    def auth_mode(self) -> AuthMode:
        """Which credentials to use; raises ConfigurationError when they are missing or
        incomplete. A private app token wins over the OAuth trio."""
        if self.private_app_token is not None:
            return "private_app"
        given = [name for name in _OAUTH_FIELDS if getattr(self, name)]
        if len(given) == len(_OAUTH_FIELDS):
            return "oauth"
        if given:
            missing = [self.env_name(name) for name in _OAUTH_FIELDS if name not in given]
            raise ConfigurationError(
                f"hubspot OAuth is incomplete: {', '.join(missing)} not set",
                platform="hubspot",
                code="settings",
                hint="set HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN "
                "together, or use a private app token in HUBSPOT_ACCESS_TOKEN",
            )
        raise ConfigurationError(
            "hubspot is not configured: HUBSPOT_ACCESS_TOKEN is not set",
            platform="hubspot",
            code="settings",
            hint="set HUBSPOT_ACCESS_TOKEN to a private app token (Settings > Integrations > "
            "Private Apps), or HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN "
            "for an OAuth app",
        )

    def tier_limits(self, mode: AuthMode) -> RateLimits:
        """HubSpot's documented budget for the tier (or OAuth app) before overrides."""
        if self.rate_tier is not None:
            return TIER_LIMITS[self.rate_tier]
        return OAUTH_LIMITS if mode == "oauth" else TIER_LIMITS["starter"]

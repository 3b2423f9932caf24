"""``PARDOT_*`` settings.

Account Engagement (Pardot) authenticates with Salesforce OAuth: an access token from
the org's token endpoint (``PARDOT_TOKEN_URL``: the org's My Domain, or
``https://login.salesforce.com`` / ``https://test.salesforce.com``), obtained with the
connected app's client credentials or with a refresh token (``PARDOT_REFRESH_TOKEN``).
Every API call also names the business unit (``PARDOT_BUSINESS_UNIT_ID``, the 18
character id starting ``0Uv``). ``PARDOT_BASE_URL`` is ``https://pi.pardot.com`` for
production orgs and ``https://pi.demo.pardot.com`` for developer, training and sandbox
orgs. Secrets are ``SecretStr``: they print as ``***`` and are registered for redaction.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import ConfigurationError
from marketing_platform.ratelimit import RateLimits
from marketing_platform.settings import PlatformSettings, check_base_url

PLATFORM = "pardot"
DEFAULT_BASE_URL = "https://pi.pardot.com"
DEFAULT_TOKEN_URL = "https://login.salesforce.com"  # noqa: S105 (a URL, not a secret)
TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a path, not a secret)
#: PML's unsubscribe variable; accounts on HML may use ``{{Unsubscribe}}`` instead.
DEFAULT_UNSUBSCRIBE_FOOTER = '<p><a href="%%unsubscribe%%">Unsubscribe</a></p>'

Edition = Literal["growth", "plus", "advanced", "premium"]
AuthMode = Literal["client_credentials", "refresh_token"]

#: Daily API calls per business unit by edition (help.salesforce.com, API limits).
DAILY_CALLS: dict[str, int] = {"growth": 25_000, "plus": 50_000, "advanced": 100_000, "premium": 100_000}
#: 5 concurrent calls per business unit (code 66); the adapter keeps one free for the
#: other integrations sharing the business unit. No per-minute figure is published
#: (code 202 says one exists): 300 calls a minute is a conservative guess.
DEFAULT_LIMITS = RateLimits(calls=300, per_seconds=60, max_concurrent=4, daily_quota=DAILY_CALLS["growth"])

BUSINESS_UNIT_HINT = (
    "set PARDOT_BUSINESS_UNIT_ID to the business unit id (18 characters, starting 0Uv): "
    "Salesforce Setup > Account Engagement > Business Unit Setup"
)
_BUSINESS_UNIT = re.compile(r"^0Uv[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")


class PardotSettings(PlatformSettings):
    """Everything the Pardot adapter reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="PARDOT_", extra="ignore", validate_default=True)

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    token_url: str = DEFAULT_TOKEN_URL
    business_unit_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    #: The campaign of content that names none (a list email needs one).
    campaign_id: int | None = None
    #: Folder path (``/Emails/Newsletters``) for files, templates and pages; v5 cannot
    #: create folders, so it must exist.
    folder: str | None = None
    tracker_domain_id: int | None = None
    from_email: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    edition: Edition | None = None
    unsubscribe_footer: str = DEFAULT_UNSUBSCRIBE_FOOTER

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the connected app's consumer key must not be empty")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value, "PARDOT_BASE_URL")

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        return check_base_url(value, "PARDOT_TOKEN_URL")

    @field_validator("business_unit_id", mode="before")
    @classmethod
    def _business_unit(cls, value: object) -> object:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        if not _BUSINESS_UNIT.match(text):
            raise ValueError(
                "a business unit id has 18 characters and starts with 0Uv "
                "(Setup > Account Engagement > Business Unit Setup)"
            )
        return text

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        if value is None or not value.strip("/ "):
            return None
        return "/" + value.strip().strip("/")

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    # ----------------------------------------------------------------- helpers
    @property
    def auth_mode(self) -> AuthMode:
        """The refresh-token flow when a refresh token is set, else client credentials."""
        return "refresh_token" if self.refresh_token is not None else "client_credentials"

    def token_endpoint(self) -> tuple[str, str]:
        """``(origin, path)`` of the token endpoint: ``PARDOT_TOKEN_URL`` may be a host
        (``https://acme.my.salesforce.com``) or the full endpoint URL."""
        parts = urlsplit(self.token_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        path = parts.path.rstrip("/")
        return origin, path if path.endswith(TOKEN_PATH) else path + TOKEN_PATH

    @property
    def token_host_is_generic(self) -> bool:
        """True for login/test.salesforce.com (client credentials needs My Domain)."""
        host = urlsplit(self.token_url).hostname or ""
        return host in {"login.salesforce.com", "test.salesforce.com"}

    def require_business_unit(self) -> str:
        """The business unit id; ConfigurationError (before any request) when unset."""
        if self.business_unit_id is None:
            raise ConfigurationError(
                "pardot is not configured: PARDOT_BUSINESS_UNIT_ID is not set "
                "(every Account Engagement call names its business unit)",
                platform=PLATFORM,
                code="settings",
                hint=BUSINESS_UNIT_HINT,
            )
        return self.business_unit_id

    def limits(self) -> RateLimits:
        """The budget before ``PARDOT_RATE_LIMIT`` / ``_MAX_CONCURRENT`` / ``_DAILY_QUOTA``
        overrides: the edition's daily calls (Growth's when unset)."""
        if self.edition is None:
            return DEFAULT_LIMITS
        return RateLimits(
            calls=DEFAULT_LIMITS.calls,
            per_seconds=DEFAULT_LIMITS.per_seconds,
            max_concurrent=DEFAULT_LIMITS.max_concurrent,
            daily_quota=DAILY_CALLS[self.edition],
        )

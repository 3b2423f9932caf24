"""Broken copies of the Sendly adapter, one bug each: the bugs a third-party adapter
shipped while an older kit passed it. ``test_kit_catches_violations.py`` copies this
file (as a test module) and ``sendly.py`` into a temporary folder, runs pytest there
and checks that each class fails exactly the kit checks that catch its bug, with the
message that says what to fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict
from sendly import SendlyKit, SendlyPlatform, SendlySettings

from marketing_platform.errors import MarketingPlatformError, RateLimitError
from marketing_platform.models import CampaignResponse, Content, PublishResponse
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits


# ------------------------------------------------------------------ the bugs
class SendTwice(SendlyPlatform):
    """Publishes without a look-up: a second activation sends the email again."""

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        return None


class DuplicatingCampaigns(SendlyPlatform):
    """create_campaign never finds the campaign it made (and PROGRAM is not declared)."""

    def find_campaign(self, name: str) -> CampaignResponse | None:
        return None


class Budget100x(SendlyPlatform):
    """Declares 100 times the vendor's 10 calls per second."""

    rate_limits = RateLimits(calls=1000, per_seconds=1, max_concurrent=5)


def _parse_ignoring_reset(response: httpx.Response) -> Any:
    if response.status_code == 429:
        raise RateLimitError("Too many requests", platform="sendly", scope="window")  # no retry_after
    return SendlyPlatform.parse(response)


class ResetIgnored(SendlyPlatform):
    """Maps the vendor's 429 without reading Retry-After / X-RateLimit-Reset."""

    parse = staticmethod(_parse_ignoring_reset)


class StepSwallowed(SendlyPlatform):
    """Logs a failed send and reports the email published anyway."""

    def _send(self, content: Content, campaign_id: str) -> PublishResponse:
        with contextlib.suppress(MarketingPlatformError):  # "the send failed, success was reported"
            self._call("POST", f"/v3/emailCampaigns/{campaign_id}/sendNow")
        return self._response(content, self._call("GET", f"/v3/emailCampaigns/{campaign_id}"))


class DefaultKeySettings(SendlySettings):
    model_config = SettingsConfigDict(env_prefix="SENDLY_", extra="ignore", validate_default=True)

    api_key: SecretStr = SecretStr("xkeysib-shared-default-0000")


class CredentialDefault(SendlyPlatform):
    """Its API key has a default instead of being required."""

    settings_model = DefaultKeySettings


class UncheckedSettings(SendlySettings):
    """The https check removed from the settings."""

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str) -> str:
        return value


class UrlCheckRemoved(SendlyPlatform):
    """Only the settings' check removed: the core's HTTP client still refuses (passes)."""

    settings_model = UncheckedSettings


class _HandRolledHTTP:
    """An HTTP client written by hand instead of ``make_http``: no base-URL rule, no
    rate budget, no retries."""

    def __init__(self, settings: SendlySettings, transport: httpx.BaseTransport | None) -> None:
        headers = {"api-key": settings.api_key.get_secret_value()}
        self.client = httpx.Client(base_url=settings.base_url, transport=transport, headers=headers)

    def call(self, method: str, path: str, parse: Callable[[httpx.Response], Any], **options: Any) -> Any:
        options.pop("idempotent", None)
        return parse(self.client.request(method, path, **options))

    def close(self) -> None:
        self.client.close()


class UrlCheckBypassed(SendlyPlatform):
    """The settings' check removed and every request on a hand-rolled httpx client:
    the core's rule (and budget) skipped, the key goes out over plain http."""

    settings_model = UncheckedSettings

    def __init__(self, settings: SendlySettings | None = None, **options: Any) -> None:
        MarketingPlatform.__init__(self, settings, **options)
        self.http = _HandRolledHTTP(self.settings, self.transport)  # type: ignore[assignment]

    def close(self) -> None:
        self.http.close()
        super().close()


# -------------------------------------------------------------- the kit runs
class TestSendTwice(SendlyKit):
    adapter_class = SendTwice


class TestDuplicatingCampaigns(SendlyKit):
    adapter_class = DuplicatingCampaigns


class TestBudget100x(SendlyKit):
    adapter_class = Budget100x


class TestResetIgnored(SendlyKit):
    adapter_class = ResetIgnored


class TestStepSwallowed(SendlyKit):
    adapter_class = StepSwallowed


class TestCredentialDefault(SendlyKit):
    adapter_class = CredentialDefault


class TestUrlCheckRemoved(SendlyKit):
    adapter_class = UrlCheckRemoved


class TestUrlCheckBypassed(SendlyKit):
    adapter_class = UrlCheckBypassed

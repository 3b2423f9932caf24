"""MAILCHIMP_* settings.

``MAILCHIMP_API_KEY`` ends with the account's data centre (``...-us21``), which names
the API host: ``https://us21.api.mailchimp.com/3.0``. ``MAILCHIMP_BASE_URL`` overrides
that host (tests point it at a loopback fake).
"""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.settings import PlatformSettings, check_base_url

_DATA_CENTER = re.compile(r"^[a-z]{2,}[0-9]+$")


def data_center(api_key: str) -> str:
    """The data centre suffix of a Mailchimp API key (``us21`` for ``abc...-us21``).

    Raises ValueError without echoing the key."""
    _, sep, suffix = api_key.strip().rpartition("-")
    if not sep or not _DATA_CENTER.match(suffix):
        raise ValueError(
            "a Mailchimp API key ends with its data centre after a dash, like ...-us21 "
            "(copy the whole key from Account > Extras > API keys)"
        )
    return suffix


class MailchimpSettings(PlatformSettings):
    """``MAILCHIMP_API_KEY`` (required, secret), ``MAILCHIMP_BASE_URL``, and defaults
    for content that does not say: ``MAILCHIMP_AUDIENCE`` (audience name),
    ``MAILCHIMP_FROM_NAME``, ``MAILCHIMP_REPLY_TO``, ``MAILCHIMP_FILE_FOLDER_ID``."""

    model_config = SettingsConfigDict(env_prefix="MAILCHIMP_", extra="ignore", validate_default=True)

    api_key: SecretStr
    base_url: str | None = None
    audience: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    file_folder_id: int | None = None

    @field_validator("api_key")
    @classmethod
    def _has_data_center(cls, value: SecretStr) -> SecretStr:
        data_center(value.get_secret_value())
        return value

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value, "MAILCHIMP_BASE_URL")

    @property
    def data_center(self) -> str:
        return data_center(self.api_key.get_secret_value())

    @property
    def api_base_url(self) -> str:
        """``MAILCHIMP_BASE_URL``, else the API host of the key's data centre."""
        return self.base_url or f"https://{self.data_center}.api.mailchimp.com/3.0"

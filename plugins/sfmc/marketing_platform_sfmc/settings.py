"""SFMC_* settings.

Every Marketing Cloud tenant has its own subdomain (``mc`` + 26 characters): the auth
host is ``https://<subdomain>.auth.marketingcloudapis.com``; the REST host is the
``rest_instance_url`` of the token answer. ``SFMC_AUTH_BASE_URL`` overrides the auth host
and ``SFMC_REST_BASE_URL`` the REST host (tests point both at a loopback fake); like every
base URL of the framework they must be ``https://`` unless the host is loopback.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.settings import PlatformSettings, check_base_url

#: A tenant subdomain: starts with ``mc``; letters, digits and dashes (the SDKs check 28
#: characters; the adapter does not insist on the length).
_SUBDOMAIN = re.compile(r"^mc[a-z0-9-]{1,62}$")
_MID = re.compile(r"^[0-9]{1,18}$")
#: Content Builder's asset type for a web page (``webpage`` in the base asset types);
#: sfmc-devtools lists 247 ``landingpage`` (unverified): SFMC_WEB_PAGE_ASSET_TYPE picks.
WEB_PAGE_TYPES = {205: "webpage", 247: "landingpage"}


def subdomain_of(value: str) -> str:
    """The tenant subdomain from ``value``: the subdomain itself, or any of the
    tenant's URLs / host names (``https://mcxyz.auth.marketingcloudapis.com/``)."""
    text = value.strip().lower()
    if "//" in text:
        text = urlsplit(text).hostname or ""
    text = text.split(".", 1)[0]
    if not _SUBDOMAIN.match(text):
        raise ValueError(
            "expected the tenant subdomain (starts with 'mc', e.g. mc563885gzs27c5t9-63k636ttgm), "
            "as shown in the installed package's API integration (Setup > Apps > Installed Packages)"
        )
    return text


class SfmcSettings(PlatformSettings):
    """``SFMC_SUBDOMAIN``, ``SFMC_CLIENT_ID``, ``SFMC_CLIENT_SECRET`` (required, secret),
    ``SFMC_ACCOUNT_ID`` (the business unit's MID), ``SFMC_AUTH_BASE_URL`` /
    ``SFMC_REST_BASE_URL`` (host overrides), ``SFMC_SCOPE`` (scopes to ask for),
    ``SFMC_CATEGORY_ID`` (Content Builder folder), ``SFMC_WEB_PAGE_ASSET_TYPE``."""

    model_config = SettingsConfigDict(env_prefix="SFMC_", extra="ignore", validate_default=True)

    subdomain: str
    client_id: str
    client_secret: SecretStr
    account_id: str | None = None
    auth_base_url: str | None = None
    rest_base_url: str | None = None
    scope: str | None = None
    category_id: int | None = None
    web_page_asset_type: int = 205

    @field_validator("subdomain")
    @classmethod
    def _subdomain(cls, value: str) -> str:
        return subdomain_of(value)

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _mid(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not _MID.match(text):
            raise ValueError("the MID (member id) of a business unit is a number, e.g. 514009876")
        return text

    @field_validator("auth_base_url")
    @classmethod
    def _auth_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value, "SFMC_AUTH_BASE_URL")

    @field_validator("rest_base_url")
    @classmethod
    def _rest_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value, "SFMC_REST_BASE_URL")

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str | None) -> str | None:
        return " ".join(value.replace(",", " ").split()) or None if value is not None else None

    @field_validator("category_id")
    @classmethod
    def _category(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("a Content Builder folder id is a positive number")
        return value

    @field_validator("web_page_asset_type")
    @classmethod
    def _web_page_type(cls, value: int) -> int:
        if value not in WEB_PAGE_TYPES:
            raise ValueError(f"use 205 (webpage) or 247 (landingpage), got {value}")
        return value

    @property
    def auth_url(self) -> str:
        """``SFMC_AUTH_BASE_URL``, else the tenant's auth host."""
        return self.auth_base_url or f"https://{self.subdomain}.auth.marketingcloudapis.com"

    @property
    def business_unit(self) -> str:
        """The MID, or ``default`` (the package's default business unit)."""
        return self.account_id or "default"

"""Marketo settings, read from ``MARKETO_*`` environment variables.

Required: ``MARKETO_BASE_URL`` (``https://<munchkin-id>.mktorest.com``),
``MARKETO_CLIENT_ID`` and ``MARKETO_CLIENT_SECRET`` (a LaunchPoint custom service).
The secret is a ``SecretStr``: it prints as ``***`` and is registered for redaction.

``MARKETO_FROM_NAME``, ``MARKETO_FROM_EMAIL`` and ``MARKETO_REPLY_EMAIL`` are the sender
of an email whose content file does not name one (``email.from_name`` /
``from_email`` / ``reply_to`` win); Adobe's spec requires all three on every new email.
``MARKETO_LOOKUP_TTL`` is how long folders, channels and templates found by name are
remembered by one adapter instance.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.settings import PlatformSettings, check_base_url


class MarketoSettings(PlatformSettings):
    """Settings of one Marketo instance."""

    model_config = SettingsConfigDict(env_prefix="MARKETO_", extra="ignore", validate_default=True)

    base_url: str
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    #: Marketing Activities folder that receives new programs (``campaign.folder`` wins).
    program_folder: str = "Marketing Activities"
    #: Design Studio folder that receives uploaded files.
    files_folder: str = "Images and Files"
    #: Design Studio folder that receives email templates created by the CLI.
    template_folder: str = "Emails"
    #: Fail (then reuse the existing file) instead of overwriting a file of the same name.
    insert_only: bool = True
    #: Approve emails and landing pages after writing their content.
    approve: bool = True
    #: The sender of an email whose content does not name one.
    from_name: str | None = None
    from_email: str | None = None
    reply_email: str | None = None
    #: Seconds a folder, channel list or template found by name is remembered.
    lookup_ttl: float = Field(default=300.0, ge=0)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = check_base_url(value, "MARKETO_BASE_URL")
        for suffix in ("/rest", "/identity"):
            if value.endswith(suffix):
                raise ValueError(
                    f"MARKETO_BASE_URL must be the instance root (https://<munchkin-id>.mktorest.com), "
                    f"without {suffix}"
                )
        return value

    @field_validator("from_name", "from_email", "reply_email")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("from_email", "reply_email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(f"{value!r} is not an e-mail address (expected name@domain)")
        return value

    @field_validator("client_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("MARKETO_CLIENT_SECRET is empty")
        return value

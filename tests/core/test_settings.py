"""Missing or malformed credentials: a ConfigurationError naming the exact variable,
and the secret itself never shown."""

from __future__ import annotations

import uuid

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import ConfigurationError
from marketing_platform.registry import Registry
from marketing_platform.settings import PlatformSettings

from .helpers import AdapterPlugin, make_recorder


class AcmeSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="ACME_", extra="ignore", validate_default=True)

    api_token: SecretStr = Field(min_length=16)
    workspace: int = 1


@pytest.fixture
def acme_registry(registry: Registry) -> Registry:
    registry.register_plugin(AdapterPlugin(make_recorder("acme", settings_model=AcmeSettings)))
    return registry


def test_missing_credential_names_the_environment_variable(acme_registry: Registry) -> None:
    with pytest.raises(ConfigurationError) as caught:
        acme_registry.create("acme")

    assert "ACME_API_TOKEN" in str(caught.value)
    assert "not set" in caught.value.message
    assert caught.value.platform == "acme"


def test_malformed_credential_names_the_variable_without_showing_the_value(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"short{uuid.uuid4().hex[:6]}"  # shorter than the 16 characters required
    monkeypatch.setenv("ACME_API_TOKEN", secret)

    with pytest.raises(ConfigurationError) as caught:
        acme_registry.create("acme")

    text = str(caught.value)
    assert "ACME_API_TOKEN is invalid" in text
    assert secret not in text
    assert secret not in repr(caught.value.to_dict())


def test_malformed_plain_setting_names_its_variable(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv("ACME_WORKSPACE", "not-a-number")

    with pytest.raises(ConfigurationError, match="ACME_WORKSPACE is invalid"):
        acme_registry.create("acme")


def test_secret_never_appears_in_repr_of_adapter_or_settings(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"tok-{uuid.uuid4().hex}"
    monkeypatch.setenv("ACME_API_TOKEN", secret)

    with acme_registry.create("acme") as adapter:
        assert isinstance(adapter.settings, AcmeSettings)
        assert adapter.settings.api_token.get_secret_value() == secret
        assert secret not in repr(adapter)
        assert "***" in repr(adapter)
        assert secret not in repr(adapter.settings)
        assert secret not in str(adapter.settings)
        assert adapter.settings.redacted()["api_token"] == "***"


def test_rate_limit_override_is_validated_and_names_its_variable(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv("ACME_RATE_LIMIT", "fifty per second")

    with pytest.raises(ConfigurationError, match="ACME_RATE_LIMIT is invalid"):
        acme_registry.create("acme")


def test_rate_limit_overrides_apply_to_the_adapter_budget(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv("ACME_RATE_LIMIT", "50/20")
    monkeypatch.setenv("ACME_MAX_CONCURRENT", "3")
    monkeypatch.setenv("ACME_DAILY_QUOTA", "1000")

    with acme_registry.create("acme") as adapter:
        limits = adapter.effective_rate_limits()

    assert (limits.calls, limits.per_seconds, limits.max_concurrent, limits.daily_quota) == (
        50,
        20.0,
        3,
        1000,
    )


def test_malformed_timeout_names_marketing_platform_timeout(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv("MARKETING_PLATFORM_TIMEOUT", "soon")

    with pytest.raises(ConfigurationError) as caught:
        acme_registry.create("acme")

    text = str(caught.value)
    assert "MARKETING_PLATFORM_TIMEOUT is invalid" in text
    assert "ACME_MARKETING_PLATFORM_TIMEOUT" not in text

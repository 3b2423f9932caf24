"""Missing or malformed credentials: a ConfigurationError naming the exact variable,
and the secret itself never shown."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.cli import main
from marketing_platform.errors import ConfigurationError
from marketing_platform.registry import Registry
from marketing_platform.settings import PlatformSettings, check_base_url, load_core_settings

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


def _one_line(error: ConfigurationError) -> str:
    text = str(error)
    assert "\n" not in text, f"not one line: {text!r}"
    return text


# ------------------------------------------------------------ rate budget overrides
@pytest.mark.parametrize(
    "value",
    [
        "0/20",
        "5/inf",
        "5/Infinity",
        "5/nan",
        "5/1e400",
        "-5/20",
        "5/-20",
        "5/0",
        "garbage",
        "50",
        "50/",
        "/20",
        "99999999999999999999999/1",
        "5/100000000",
        "1/1e-300",
    ],
)
def test_bad_rate_limit_is_a_one_line_error_with_an_example_when_the_settings_load(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv("ACME_RATE_LIMIT", value)

    with pytest.raises(ConfigurationError) as caught:  # not an OverflowError, not later
        acme_registry.create("acme")

    text = _one_line(caught.value)
    assert "ACME_RATE_LIMIT is invalid" in text
    assert "ACME_RATE_LIMIT=50/20" in text
    assert repr(value) in text


@pytest.mark.parametrize(
    ("platform", "env"),
    [
        ("marketo", {"MARKETO_BASE_URL": "https://123-abc-456.mktorest.com", "MARKETO_CLIENT_ID": "id"}),
        ("hubspot", {"HUBSPOT_BLOG_ID": "1234"}),
    ],
)
@pytest.mark.parametrize("value", ["5/inf", "0/20", "5/nan"])
def test_bad_rate_limit_of_a_real_adapter_names_its_variable_and_an_example(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], value: str
) -> None:
    variable = f"{platform.upper()}_RATE_LIMIT"
    secret_name = "MARKETO_CLIENT_SECRET" if platform == "marketo" else "HUBSPOT_ACCESS_TOKEN"
    for name, setting in {**env, secret_name: f"tok-{uuid.uuid4().hex}", variable: value}.items():
        monkeypatch.setenv(name, setting)

    with pytest.raises(ConfigurationError) as caught:
        Registry().create(platform)

    text = _one_line(caught.value)
    assert f"{variable} is invalid" in text
    assert f"{variable}=50/20" in text


@pytest.mark.parametrize("variable", ["ACME_MAX_CONCURRENT", "ACME_DAILY_QUOTA"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", "1e3", "99999999999999", "9" * 5000])
def test_bad_concurrency_or_daily_quota_is_a_one_line_error_with_an_example(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError) as caught:
        acme_registry.create("acme")

    text = _one_line(caught.value)
    assert f"{variable} is invalid" in text
    assert f"e.g. {variable}=" in text
    assert "greater than or equal" not in text  # pydantic's phrasing names no example


@pytest.mark.parametrize(("variable", "value"), [("ACME_MAX_CONCURRENT", "1000"), ("ACME_DAILY_QUOTA", "1")])
def test_concurrency_and_daily_quota_at_their_bounds_are_accepted(
    acme_registry: Registry, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", uuid.uuid4().hex)
    monkeypatch.setenv(variable, value)

    with acme_registry.create("acme") as adapter:
        limits = adapter.effective_rate_limits()

    assert int(value) in (limits.max_concurrent, limits.daily_quota)


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "0", "-1"])
def test_bad_timeout_is_a_one_line_error_at_load_time(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MARKETING_PLATFORM_TIMEOUT", value)

    with pytest.raises(ConfigurationError) as caught:  # not a socket OverflowError later
        load_core_settings()

    text = _one_line(caught.value)
    assert "MARKETING_PLATFORM_TIMEOUT is invalid" in text
    assert "MARKETING_PLATFORM_TIMEOUT=30" in text


# ----------------------------------------------------------------------- base URLs
PASSWORD = "pa55-w0rd-xyzzy"

_BAD_URLS = [
    f"https://user:{PASSWORD}@example.com",
    f"https://:{PASSWORD}@example.com",
    f"http://user:{PASSWORD}@127.0.0.1:8080",
    f"ftp://user:{PASSWORD}@example.com",
    f"https://user:{PASSWORD}@example.com:notaport",
    f"https://user:{PASSWORD}@[::1",
    f"user:{PASSWORD}@example.com",  # no scheme
    f"https:/user:{PASSWORD}@example.com",  # one slash
    f"https://example.com:{PASSWORD}",  # a password typed where the port goes
    f"https://example.com/?token={PASSWORD}",
    f"https://example.com/#{PASSWORD}",
    f"https://example.com/\n{PASSWORD}",
]


@pytest.mark.parametrize("url", _BAD_URLS)
def test_base_url_with_credentials_is_refused_without_showing_them(url: str) -> None:
    with pytest.raises(ValueError, match=r"^X_BASE_URL ") as caught:
        check_base_url(url, "X_BASE_URL")

    assert PASSWORD not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_base_url_with_credentials_says_so() -> None:
    with pytest.raises(ValueError, match="must not carry credentials"):
        check_base_url(f"https://user:{PASSWORD}@example.com", "X_BASE_URL")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://123-abc-456.mktorest.com/", "https://123-abc-456.mktorest.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/api", "http://[::1]:8080/api"),
        ("https://example.com/path/@handle", "https://example.com/path/@handle"),
    ],
)
def test_plain_base_urls_are_accepted(url: str, expected: str) -> None:
    assert check_base_url(url, "X_BASE_URL") == expected


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{PASSWORD}@127.0.0.1:9",  # loopback, discard port: never the internet
        f"https://:{PASSWORD}@127.0.0.1:9",
        f"user:{PASSWORD}@127.0.0.1:9",
        f"https:/user:{PASSWORD}@127.0.0.1:9",
    ],
)
def test_mplat_check_reports_a_base_url_with_credentials_in_one_line_without_them(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    env = {
        "MARKETO_BASE_URL": url,
        "MARKETO_CLIENT_ID": "client-id",
        "MARKETO_CLIENT_SECRET": f"secret-{uuid.uuid4().hex}",
        "MARKETING_PLATFORM_TIMEOUT": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["check", "--platform", "marketo"])

    assert result.exit_code == 2, result.output
    assert PASSWORD not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:")
    assert "MARKETO_BASE_URL is invalid" in lines[0]

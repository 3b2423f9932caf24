"""Settings, the client-credentials token (reused, refreshed before expiry and once on
401), and the REST host taken from the token answer."""

from __future__ import annotations

import pytest

from marketing_platform.errors import AuthenticationError, ConfigurationError
from marketing_platform.testing import FakeClock
from marketing_platform_sfmc import SfmcPlatform, SfmcSettings

from .conftest import MakeAdapter, email
from .fake_sfmc import CLIENT_ID, CLIENT_SECRET, SUBDOMAIN, FakeSfmc


def _settings(**values: object) -> SfmcSettings:
    base: dict[str, object] = {"subdomain": SUBDOMAIN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return SfmcPlatform.load_settings(**{**base, **values})  # type: ignore[return-value]


def test_auth_host_from_the_subdomain() -> None:
    settings = _settings()
    assert settings.auth_url == f"https://{SUBDOMAIN}.auth.marketingcloudapis.com"
    pasted = _settings(subdomain=f"https://{SUBDOMAIN}.auth.marketingcloudapis.com/")
    assert pasted.subdomain == SUBDOMAIN


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"subdomain": "acme"}, "SFMC_SUBDOMAIN"),
        ({"account_id": "BU-1"}, "SFMC_ACCOUNT_ID"),
        ({"auth_base_url": "http://auth.example.com"}, "SFMC_AUTH_BASE_URL"),
        ({"rest_base_url": "http://rest.example.com"}, "SFMC_REST_BASE_URL"),
        ({"web_page_asset_type": 208}, "SFMC_WEB_PAGE_ASSET_TYPE"),
        ({"category_id": 0}, "SFMC_CATEGORY_ID"),
    ],
)
def test_bad_settings_name_the_variable(values: dict[str, object], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        _settings(**values)


def test_missing_settings_name_the_variables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SfmcPlatform.load_settings()
    for name in ("SFMC_SUBDOMAIN", "SFMC_CLIENT_ID", "SFMC_CLIENT_SECRET"):
        assert f"{name} is not set" in caught.value.message


def test_loopback_http_is_allowed_and_the_secret_stays_secret() -> None:
    settings = _settings(auth_base_url="http://127.0.0.1:8080/", account_id="514000001")
    assert settings.auth_url == "http://127.0.0.1:8080"
    assert CLIENT_SECRET not in repr(settings)
    adapter = SfmcPlatform(settings)
    try:
        assert CLIENT_SECRET not in repr(adapter) + repr(adapter.tokens)
        assert adapter.account_key() == f"{SUBDOMAIN}/514000001"
    finally:
        adapter.close()
    assert SfmcPlatform(_settings()).account_key() == f"{SUBDOMAIN}/default"


def test_token_request_and_rest_host(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    assert fake.token_requests == []  # nothing is fetched before the first call
    adapter.find_content(email(), None)
    (request,) = fake.token_requests
    assert request == {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    token_call = fake.calls("POST", "/v2/token")[0]
    assert token_call.body["client_secret"] == CLIENT_SECRET
    assert str(adapter.rest().client.base_url) == "http://127.0.0.1:9"


def test_account_and_scope_are_sent(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    adapter = make_adapter(account_id=fake.mids[1], scope="saved_content_read, campaign_read")
    adapter.find_content(email(), None)
    assert fake.token_requests[-1]["account_id"] == fake.mids[1]
    assert fake.token_requests[-1]["scope"] == "saved_content_read campaign_read"


def test_token_is_reused_until_shortly_before_expiry(
    adapter: SfmcPlatform, fake: FakeSfmc, clock: FakeClock
) -> None:
    for _ in range(5):
        adapter.find_content(email(), None)
    assert len(fake.token_requests) == 1
    clock.advance(fake.expires_in - 120)
    adapter.find_content(email(), None)
    assert len(fake.token_requests) == 1
    clock.advance(90)  # within a minute of expiry
    adapter.find_content(email(), None)
    assert len(fake.token_requests) == 2


def test_a_401_fetches_one_new_token_and_retries_once(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    adapter.find_content(email(), None)
    fake.revoke_tokens()
    mark = len(fake.requests)
    assert adapter.find_content(email(), None) is None
    assert len(fake.token_requests) == 2
    paths = [(r.method, r.path) for r in fake.requests[mark:]]
    assert paths == [
        ("GET", "/asset/v1/content/assets"),
        ("POST", "/v2/token"),
        ("GET", "/asset/v1/content/assets"),
    ]


def test_a_second_401_is_an_authentication_error(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    adapter.find_content(email(), None)
    fake.fail_next(401, {"message": "Not Authorized", "errorcode": 0}, method="GET", times=2)
    with pytest.raises(AuthenticationError) as caught:
        adapter.find_content(email(), None)
    assert caught.value.platform == "sfmc"
    assert len(fake.token_requests) == 2  # one refresh, not a loop


def test_bad_secret_is_an_authentication_error_without_retry(
    make_adapter: MakeAdapter, fake: FakeSfmc
) -> None:
    adapter = make_adapter(client_secret="wrong-secret-0123456789")
    with pytest.raises(AuthenticationError) as caught:
        adapter.find_content(email(), None)
    assert caught.value.code == "invalid_client"
    assert not caught.value.retryable
    assert "SFMC_CLIENT_SECRET" in str(caught.value.hint)
    assert len(fake.calls("POST", "/v2/token")) == 1
    assert "wrong-secret-0123456789" not in str(caught.value)


def test_unknown_business_unit_is_refused(make_adapter: MakeAdapter) -> None:
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        make_adapter(account_id="999").find_content(email(), None)


def test_rest_host_must_be_https_unless_loopback(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    answer = {
        "access_token": "eyJtoken-0123456789",
        "expires_in": 1079,
        "rest_instance_url": "http://rest.example.com/",
    }
    fake.fail_next(200, answer, path="/v2/token")
    with pytest.raises(ConfigurationError, match="rest_instance_url"):
        make_adapter().find_content(email(), None)


def test_rest_base_url_setting_overrides_the_token_answer(make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(rest_base_url="http://127.0.0.1:9/")
    assert str(adapter.rest().client.base_url) == "http://127.0.0.1:9"


def test_a_401_without_an_errorcode_also_refreshes_once(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    adapter.find_content(email(), None)
    fake.fail_next(401, {"message": "Unauthorized"}, method="GET")
    assert adapter.find_content(email(), None) is None
    assert len(fake.token_requests) == 2

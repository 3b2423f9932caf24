"""Credentials: private app token, HUBSPOT_API_KEY, OAuth refresh; secrets never shown."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from marketing_platform.errors import AuthenticationError, ConfigurationError
from marketing_platform_hubspot.auth import REFRESH_MARGIN_SECONDS
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings

from .conftest import TOKEN, AdapterFactory
from .fake_hubspot import FakeClock, FakeHubSpot

OAUTH = {"client_id": "client-id-1", "client_secret": "client-secret-1", "refresh_token": "rt-test-refresh"}


def _token_calls(fake: FakeHubSpot) -> int:
    return len(fake.calls_to("POST", "/oauth/v1/token"))


def test_private_app_token_is_sent_as_bearer(adapter: HubSpotPlatform, fake: FakeHubSpot) -> None:
    assert adapter.check().ok
    assert fake.calls[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert "hapikey" not in str(fake.calls[-1].query)


def test_api_key_is_accepted_as_a_private_app_token_with_a_notice(
    make_adapter: AdapterFactory, fake: FakeHubSpot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="marketing_platform.hubspot"):
        adapter = make_adapter(api_key=TOKEN)
    assert "sunset hapikey API keys on 2022-11-30" in caplog.text
    check = adapter.check()
    assert check.ok
    assert any("HUBSPOT_ACCESS_TOKEN" in w for w in check.warnings)
    assert fake.calls[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_API_KEY", "pat-from-env")
    settings = HubSpotSettings()
    assert settings.uses_api_key
    assert settings.auth_mode() == "private_app"


def test_no_credentials_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        HubSpotPlatform(HubSpotSettings())
    assert "HUBSPOT_ACCESS_TOKEN" in str(caught.value)
    assert "HUBSPOT_REFRESH_TOKEN" in str(caught.value.hint)


def test_incomplete_oauth_names_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="HUBSPOT_REFRESH_TOKEN"):
        HubSpotPlatform(HubSpotSettings(client_id="c", client_secret="s"))


def test_http_base_url_refused_unless_loopback() -> None:
    with pytest.raises(ConfigurationError, match="HUBSPOT_BASE_URL"):
        HubSpotPlatform.load_settings(access_token="t", base_url="http://api.hubapi.com")


def test_rate_tier_and_override(make_adapter: AdapterFactory) -> None:
    assert make_adapter().effective_rate_limits().calls == 100
    pro = make_adapter(rate_tier="Professional").effective_rate_limits()
    assert (pro.calls, pro.daily_quota) == (190, 625_000)
    addon = make_adapter(rate_tier="addon").effective_rate_limits()
    assert addon.calls == 250
    explicit = make_adapter(rate_tier="enterprise", rate_limit="42/10").effective_rate_limits()
    assert (explicit.calls, explicit.per_seconds, explicit.daily_quota) == (42, 10.0, 1_000_000)
    assert make_adapter(**OAUTH).effective_rate_limits().calls == 110


def test_oauth_token_fetched_then_refreshed_ahead_of_expiry(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    adapter = make_adapter(**OAUTH)
    adapter.find_campaign("x")
    adapter.find_campaign("x")
    assert _token_calls(fake) == 1
    (grant,) = fake.calls_to("POST", "/oauth/v1/token")
    assert grant.form == {
        "grant_type": "refresh_token",
        "client_id": "client-id-1",
        "client_secret": "client-secret-1",
        "refresh_token": "rt-test-refresh",
    }
    assert "Authorization" not in grant.headers
    clock.advance(fake.token_lifetime - REFRESH_MARGIN_SECONDS + 1)  # not expired yet at HubSpot
    adapter.find_campaign("x")
    assert _token_calls(fake) == 2
    assert not [c for c in fake.calls if c.status == 401]


def test_oauth_refreshed_on_expired_authentication(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    adapter = make_adapter(**OAUTH)
    adapter.find_campaign("x")
    fake.expire_tokens()  # revoked/expired early, before our clock says so
    assert adapter.find_campaign("x") is None
    assert _token_calls(fake) == 2
    statuses = [c.status for c in fake.calls_to("GET", "/marketing/v3/campaigns")]
    assert statuses == [200, 401, 200]


class _HoldOldToken(httpx.BaseTransport):
    """Holds every request that carries ``old`` until ``parties`` of them are in flight,
    so all threads get HubSpot's 401 for the same token at once."""

    def __init__(self, inner: httpx.BaseTransport, parties: int) -> None:
        self.inner = inner
        self.old: str | None = None
        self.barrier = threading.Barrier(parties, timeout=10)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.old is not None and request.headers.get("Authorization") == f"Bearer {self.old}":
            self.barrier.wait()
        return self.inner.handle_request(request)


def test_many_threads_with_the_same_expired_token_refresh_once(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    threads = 8
    transport = _HoldOldToken(httpx.WSGITransport(app=fake), threads)
    adapter = make_adapter(transport=transport, max_concurrent=threads, **OAUTH)
    adapter.find_campaign("x")
    (old,) = fake.access_tokens
    transport.old = old
    fake.expire_tokens()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: adapter.find_campaign("x"), range(threads)))
    assert results == [None] * threads
    assert len([c for c in fake.calls if c.status == 401]) == threads
    assert _token_calls(fake) == 2  # the first grant and one refresh, not one per thread


def test_private_token_expired_is_not_retried(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject("GET", "/marketing/v3/campaigns", 401, {"category": "EXPIRED_AUTHENTICATION", "message": "x"})
    with pytest.raises(AuthenticationError):
        make_adapter().find_campaign("x")
    assert len(fake.calls) == 1


def test_bad_refresh_token(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(**{**OAUTH, "refresh_token": "rt-revoked"})
    with pytest.raises(AuthenticationError) as caught:
        adapter.find_campaign("x")
    assert "HUBSPOT_REFRESH_TOKEN" in str(caught.value.hint)
    assert "rt-revoked" not in str(caught.value)


def test_secrets_absent_from_reprs_and_errors(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    settings = HubSpotSettings(
        access_token="pat-secret-1", client_secret="cs-secret-2", refresh_token="rt-3x"
    )
    oauth = make_adapter(**OAUTH)
    oauth.find_campaign("x")
    private = make_adapter(access_token="pat-secret-1")
    texts = [
        repr(settings),
        str(settings),
        str(settings.redacted()),
        repr(private),
        repr(oauth),
        repr(oauth.tokens),
        repr(private.tokens),
        repr(private.api.http),
    ]
    fake.inject(
        "GET", "/marketing/v3/campaigns", 401, {"category": "INVALID_AUTHENTICATION", "message": "no"}
    )
    with pytest.raises(AuthenticationError) as caught:
        private.find_campaign("x")
    texts += [str(caught.value), repr(caught.value), str(caught.value.to_dict())]
    access = next(iter(fake.access_tokens))
    for text in texts:
        for secret in ("pat-secret-1", "cs-secret-2", "rt-3x", "client-secret-1", "rt-test-refresh", access):
            assert secret not in text

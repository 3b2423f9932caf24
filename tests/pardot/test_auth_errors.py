"""Settings, Salesforce OAuth (client credentials, refresh token, token refused ->
one refresh), the error table, and the budget (4 concurrent calls, the daily quota,
codes 66 / 122 / 202)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.http import TokenExpired
from marketing_platform.testing import FakeClock
from marketing_platform_pardot import PardotPlatform, PardotSettings
from marketing_platform_pardot.errors import error_for

from ..fakes.server import serve
from .conftest import AdapterFactory, Run, email, settings
from .fake_pardot import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_PATH, FakePardot

CAMPAIGNS = "/api/v5/objects/campaigns"
LIST_EMAILS = "/api/v5/objects/list-emails"


# ------------------------------------------------------------------- settings
def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARDOT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PARDOT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PARDOT_REFRESH_TOKEN", REFRESH_TOKEN)
    monkeypatch.setenv("PARDOT_BUSINESS_UNIT_ID", " 0Uv5e0000000001AAA ")
    monkeypatch.setenv("PARDOT_BASE_URL", "https://pi.demo.pardot.com/")
    monkeypatch.setenv("PARDOT_TOKEN_URL", "https://test.salesforce.com")
    monkeypatch.setenv("PARDOT_EDITION", "Plus")
    loaded = PardotPlatform.load_settings()
    assert isinstance(loaded, PardotSettings)
    assert loaded.business_unit_id == "0Uv5e0000000001AAA"
    assert loaded.base_url == "https://pi.demo.pardot.com"
    assert loaded.auth_mode == "refresh_token"
    assert loaded.token_endpoint() == ("https://test.salesforce.com", TOKEN_PATH)
    assert loaded.limits().daily_quota == 50_000
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in repr(loaded)


def test_defaults_and_token_url_forms() -> None:
    plain = settings()
    assert plain.base_url == "https://pi.pardot.com"
    assert plain.token_endpoint() == ("https://login.salesforce.com", TOKEN_PATH)
    assert plain.auth_mode == "client_credentials"
    full = settings(token_url="https://acme.my.salesforce.com/services/oauth2/token")
    assert full.token_endpoint() == ("https://acme.my.salesforce.com", TOKEN_PATH)
    limits = PardotPlatform(settings(max_concurrent=5, daily_quota=100_000)).effective_rate_limits()
    assert (limits.max_concurrent, limits.daily_quota) == (5, 100_000)
    assert PardotPlatform(settings()).effective_rate_limits().max_concurrent == 4


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("PARDOT_BUSINESS_UNIT_ID", "0015e00000ABCDE", "0Uv"),
        ("PARDOT_BASE_URL", "http://pi.pardot.com", "https"),
        ("PARDOT_TOKEN_URL", "https://user:pw@login.salesforce.com", "credentials"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv("PARDOT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PARDOT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        PardotPlatform.load_settings()
    assert f"{variable} is invalid" in caught.value.message
    assert words in caught.value.message


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PardotPlatform.load_settings()
    assert "PARDOT_CLIENT_ID is not set" in caught.value.message
    assert "PARDOT_CLIENT_SECRET is not set" in caught.value.message


def test_no_business_unit_refuses_every_call_before_sending(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    adapter = make_adapter(business_unit_id=None)
    with pytest.raises(ConfigurationError) as caught:
        adapter.find_campaign("Default campaign")
    assert "PARDOT_BUSINESS_UNIT_ID" in caught.value.message
    assert "Business Unit Setup" in str(caught.value.hint)
    assert fake.requests == []


# ---------------------------------------------------------------------- OAuth
def test_client_credentials_token_is_fetched_once_and_reused(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    adapter = make_adapter()
    for _ in range(3):
        assert adapter.find_campaign("Default campaign") is not None
    assert fake.token_requests == [{"grant_type": "client_credentials", "client_id": CLIENT_ID}]
    token_call = fake.calls_to("POST", TOKEN_PATH)[0]
    assert token_call.form["client_secret"] == CLIENT_SECRET
    assert "refresh_token" not in token_call.form
    assert CLIENT_SECRET not in repr(adapter.tokens)


def test_refresh_token_flow(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    adapter = make_adapter(refresh_token=REFRESH_TOKEN)
    assert adapter.find_campaign("Default campaign") is not None
    assert fake.calls_to("POST", TOKEN_PATH)[0].form["refresh_token"] == REFRESH_TOKEN
    assert fake.token_requests[0]["grant_type"] == "refresh_token"


def test_expired_token_is_refreshed_once_and_the_send_happens_once(run: Run, fake: FakePardot) -> None:
    """No expires_in: the token lives until Account Engagement refuses it (184). The
    refused call (a list email create, which was not applied) is repeated once."""
    fake.fail_next(
        184, "access_token is invalid, unknown, or malformed", status=401, method="POST", path=LIST_EMAILS
    )
    fake.expire_tokens()
    result = run(email())
    assert result.ok, result.error
    assert len(fake.sends) == 1
    assert [c.status for c in fake.calls_to("POST", LIST_EMAILS)] == [401, 201]
    assert len(fake.token_requests) == 2


def test_expired_token_mid_run(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    adapter = make_adapter()
    assert adapter.find_campaign("Default campaign") is not None
    fake.expire_tokens()
    # another campaign: one found is remembered for CAMPAIGN_TTL and not asked again
    assert adapter.find_campaign("Newsletter 2026-12") is not None
    assert len(fake.token_requests) == 2


def test_token_without_the_pardot_api_scope(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    fake.scope = "api refresh_token"
    with pytest.raises(AuthenticationError) as caught:
        make_adapter().find_campaign("Default campaign")
    assert caught.value.code == "184"
    assert "pardot_api" in str(caught.value.hint)
    assert not caught.value.retryable
    assert len(fake.token_requests) == 2  # one refresh, then it is final


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"client_secret": "wrong-secret"}, "PARDOT_CLIENT_SECRET"),
        ({"refresh_token": "revoked-token"}, "PARDOT_REFRESH_TOKEN"),
    ],
)
def test_refused_credentials(
    make_adapter: AdapterFactory, fake: FakePardot, change: dict[str, Any], hint: str
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        make_adapter(**change).find_campaign("Default campaign")
    assert hint in str(caught.value.hint)
    assert "wrong-secret" not in str(caught.value)
    assert "revoked-token" not in str(caught.value)
    assert not [c for c in fake.requests if c.path.startswith("/api")]


def test_client_credentials_not_enabled_hints_at_run_as_user(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    fake.client_credentials_enabled = False
    with pytest.raises(AuthenticationError) as caught:
        make_adapter().find_campaign("Default campaign")
    assert caught.value.code == "invalid_grant"
    assert "Run As" in str(caught.value.hint)


# ---------------------------------------------------------------- error table
def _answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json=body, headers=headers, request=httpx.Request("GET", "https://pi.pardot.com/x")
    )


@pytest.mark.parametrize(
    ("code", "status", "kind", "retryable"),
    [
        (184, 401, TokenExpired, False),
        (181, 400, ConfigurationError, False),
        (182, 400, ConfigurationError, False),
        (201, 400, ConfigurationError, False),
        (199, 400, ConfigurationError, False),
        (49, 403, PermissionDenied, False),
        (46, 403, PermissionDenied, False),
        (190, 400, PermissionDenied, False),
        (66, 429, RateLimitError, True),
        (202, 429, RateLimitError, True),
        (122, 429, RateLimitError, False),
        (183, 500, PlatformUnavailable, True),
        (214, 400, PlatformUnavailable, True),
        (62, 400, Conflict, True),
        (108, 405, Conflict, False),
        (109, 404, NotFound, False),
        (192, 404, NotFound, False),
        (219, 404, NotFound, False),
        (64, 400, ContentRejected, False),
        (65, 400, ContentRejected, False),
        (97, 400, ContentRejected, False),
        (128, 400, ContentRejected, False),
        (153, 400, ContentRejected, False),
        (194, 400, ContentRejected, False),
        (220, 400, ContentRejected, False),
        (209, 400, MarketingPlatformError, False),
        (60, 405, MarketingPlatformError, False),
        (9999, 400, ContentRejected, False),
        (9999, 503, PlatformUnavailable, True),
    ],
)
def test_error_codes_map_onto_the_taxonomy(
    code: int, status: int, kind: type[Exception], retryable: bool
) -> None:
    error = error_for(_answer(status, {"code": code, "message": f"message {code}"}))
    assert type(error) is kind
    assert error.retryable is retryable
    assert error.code == str(code)
    assert error.platform == "pardot"
    assert error.hint
    if code in (183, 214):
        assert error.after_send  # never repeated for a create (a list email create sends)


def test_rate_limit_scopes() -> None:
    concurrency = error_for(_answer(429, {"code": 66, "message": "Too many concurrent"}))
    window = error_for(_answer(429, {"code": 202, "message": "Minute rate limit met"}))
    daily = error_for(_answer(429, {"code": 122, "message": "Daily API rate limit met"}))
    bare_daily = error_for(_answer(429, {"message": "Daily API rate limit met."}))
    bare = error_for(_answer(429, {}, **{"Retry-After": "7"}))
    assert isinstance(concurrency, RateLimitError)
    assert (concurrency.scope, concurrency.retry_after) == (
        "concurrency",
        1.0,
    )
    assert isinstance(window, RateLimitError)
    assert (window.scope, window.retry_after) == ("window", 60.0)
    for limited in (daily, bare_daily):
        assert isinstance(limited, RateLimitError)
        assert limited.scope == "daily"
        assert not limited.retryable
        assert "tomorrow" in str(limited.hint)
    assert isinstance(bare, RateLimitError)
    assert (bare.scope, bare.retry_after) == ("window", 7.0)


def test_vendor_messages_are_redacted(make_adapter: AdapterFactory) -> None:
    make_adapter()  # registers the secret
    error = error_for(_answer(400, {"code": 154, "message": f"bad {CLIENT_SECRET}"}))
    assert CLIENT_SECRET not in str(error)


# -------------------------------------------------------------------- limits
def test_concurrency_code_66_is_waited_out(
    make_adapter: AdapterFactory, fake: FakePardot, clock: FakeClock
) -> None:
    fake.fail_next(66, "Too many concurrent requests", status=429, method="GET", path=CAMPAIGNS, times=2)
    assert make_adapter().find_campaign("Default campaign") is not None
    assert [c.status for c in fake.calls_to("GET", CAMPAIGNS)] == [429, 429, 200]
    assert sum(1 for s in clock.slept if s >= 1.0) >= 2


def test_concurrency_code_66_on_a_list_email_create_is_repeated_once_sent_once(
    run: Run, fake: FakePardot
) -> None:
    fake.fail_next(66, "Too many concurrent requests", status=429, method="POST", path=LIST_EMAILS)
    assert run(email()).ok
    assert [c.status for c in fake.calls_to("POST", LIST_EMAILS)] == [429, 201]
    assert len(fake.sends) == 1


def test_minute_limit_code_202_waits_a_minute(
    make_adapter: AdapterFactory, fake: FakePardot, clock: FakeClock
) -> None:
    fake.fail_next(202, "Minute rate limit met", status=429, method="GET", path=CAMPAIGNS)
    assert make_adapter().find_campaign("Default campaign") is not None
    assert max(clock.slept) >= 60


def test_daily_limit_code_122_fails_fast(run: Run, fake: FakePardot, clock: FakeClock) -> None:
    fake.daily_calls = 2
    result = run(email())
    assert result.record.state == "failed"
    assert result.error is not None
    assert (result.error["type"], result.error["scope"], result.error["retryable"]) == (
        "RateLimitError",
        "daily",
        False,
    )
    assert [c.status for c in fake.requests if c.path.startswith("/api")][-1] == 429
    assert fake.api_calls == 3  # not retried
    assert fake.sends == []
    assert all(s < 1 for s in clock.slept)  # only the budget's spacing: no retry wait


def test_daily_quota_budget_stops_before_the_vendor_does(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    adapter = make_adapter(daily_quota=2)
    adapter.find_campaign("Default campaign")
    adapter.find_campaign("Newsletter 2026-12")  # (one found is remembered: ask another)
    with pytest.raises(RateLimitError) as caught:
        adapter.find_campaign("EMEA Roadshow 2026")
    assert caught.value.scope == "daily"
    assert fake.api_calls == 2


def test_at_most_four_calls_in_flight_over_a_socket(clock: FakeClock) -> None:
    """The budget keeps one of the business unit's 5 concurrent calls free: 12 threads
    through one adapter never have more than 4 calls in flight at the fake."""
    from .conftest import seed

    fake = seed(FakePardot(clock=clock, hold=0.05))
    with serve(fake) as base_url:
        adapter = PardotPlatform(
            settings(base_url=base_url, token_url=base_url, rate_limit="1000/1"),
            clock=clock,
            sleep=clock.sleep,
        )
        with adapter:
            adapter.find_campaign("Default campaign")  # token first
            errors: list[BaseException] = []

            def look() -> None:
                try:  # a miss (a campaign found would be remembered: no call)
                    assert adapter.find_campaign("No such campaign") is None
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=look) for _ in range(12)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert errors == []
    assert 2 <= fake.max_in_flight <= 4
    assert fake.concurrency_rejections == 0


def test_platform_errors_on_reads_are_retried(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    fake.fail_next(183, "Internal error", status=500, method="GET", path=CAMPAIGNS, times=2)
    assert make_adapter().find_campaign("Default campaign") is not None
    assert [c.status for c in fake.calls_to("GET", CAMPAIGNS)] == [500, 500, 200]


def test_unknown_business_unit_hints_at_the_host(make_adapter: AdapterFactory) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_adapter(business_unit_id="0Uv5e0000000009ZZZ").find_campaign("Default campaign")
    assert caught.value.code == "201"
    assert "pi.demo.pardot.com" in str(caught.value.hint)


def test_status_of_objects(run: Run, make_adapter: AdapterFactory, fake: FakePardot) -> None:
    result = run(email())
    assert result.publish is not None
    assert result.publish.external_id
    adapter = make_adapter()
    assert adapter.get_status(result.publish.external_id).status == "sent"
    bare = str(result.publish.external_id).split(":")[1]
    assert adapter.get_status(bare).status == "sent"
    with pytest.raises(NotFound):
        adapter.get_status("landing_page:424242")

"""Error mapping (one table), rate limits (window + daily), retries of 5xx."""

from __future__ import annotations

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.http import TokenExpired
from marketing_platform_hubspot.errors import MissingScopes, error_from_response

from .conftest import TOKEN, AdapterFactory, blog_post
from .fake_hubspot import FakeClock, FakeHubSpot


def _publish_many(make_adapter: AdapterFactory, count: int, **settings: str) -> None:
    adapter = make_adapter(**settings)
    for index in range(count):
        adapter.publish_content(blog_post(title=f"Post {index}", topics=["Launch"], campaign=None))


def test_budget_matching_hubspot_never_trips_the_limit(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    fake.window_calls = 5
    start = clock()
    _publish_many(make_adapter, 6, rate_limit="5/10")  # 2 + 2*6 = 14 calls
    assert fake.window_rejections == 0
    assert fake.peak_in_window <= 5
    assert clock() - start >= 20  # spread over at least three windows


def test_rate_limit_headers_hold_back_a_client_that_thinks_it_has_more(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    fake.window_calls = 5  # another integration shares the account's budget
    _publish_many(make_adapter, 6, rate_limit="50/10")
    assert fake.window_rejections == 0
    assert fake.peak_in_window <= 5


def test_ten_secondly_429_recovered_without_bursting(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.window_calls = 5
    fake.send_rate_headers = False  # only the 429 itself tells the client
    _publish_many(make_adapter, 6, rate_limit="50/10")
    assert len(fake.posts) == 6
    assert all(post["state"] == "PUBLISHED" for post in fake.posts.values())
    assert fake.peak_in_window <= 5
    rejected = [i for i, call in enumerate(fake.calls) if call.status == 429]
    assert rejected, "the fake's window should have been hit"
    for index in rejected:  # after a 429 the client waits out HubSpot's window
        assert fake.calls[index + 1].at - fake.calls[index].at >= 10
    assert len(rejected) <= len(fake.calls) // 5


def test_injected_429_burst_honours_retry_after(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    fake.send_retry_after = 3
    fake.inject_rate_limit(times=3, method="POST", path="/marketing/v3/campaigns")
    response = make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert response.external_id in fake.campaigns
    posts = fake.calls_to("POST", "/marketing/v3/campaigns")
    assert [c.status for c in posts] == [429, 429, 429, 201]
    assert all(3 <= s < 5 for s in clock.slept[-3:])


def test_retry_after_of_a_minute_is_still_retried(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    fake.send_retry_after = 60
    fake.inject_rate_limit(times=1, method="POST", path="/marketing/v3/campaigns")
    response = make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert response.external_id in fake.campaigns
    assert [c.status for c in fake.calls_to("POST", "/marketing/v3/campaigns")] == [429, 201]
    assert clock.slept  # waited (how long is the core's choice, up to the Retry-After)


def test_retry_after_over_a_minute_fails_fast_with_a_hint(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    fake.send_retry_after = 3600
    fake.inject_rate_limit(times=1, method="POST", path="/marketing/v3/campaigns")
    with pytest.raises(RateLimitError) as caught:
        make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    error = caught.value
    assert not error.retryable
    assert "3600" in str(error.hint)
    assert len(fake.calls_to("POST", "/marketing/v3/campaigns")) == 1
    assert all(s < 60 for s in clock.slept)
    capped = error_from_response(
        _response(429, {"policyName": "TEN_SECONDLY_ROLLING"}, **{"Retry-After": "61"})
    )
    assert isinstance(capped, RateLimitError)
    assert not capped.retryable
    assert "61" in str(capped.hint)


def test_daily_429_fails_fast(make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock) -> None:
    fake.daily_exhausted = True
    with pytest.raises(RateLimitError) as caught:
        make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    error = caught.value
    assert error.scope == "daily"
    assert not error.retryable
    assert "midnight" in str(error.hint)
    assert len(fake.calls) == 1
    assert clock.slept == []


def test_validation_error_surfaces_field_messages(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject_validation_error(
        "POST", "/cms/v3/blogs/posts", [("postBody", "is too long"), ("slug", "is already used")]
    )
    with pytest.raises(ContentRejected) as caught:
        make_adapter().publish_content(blog_post(campaign=None))
    error = caught.value
    assert [(p.field, p.message) for p in error.problems] == [
        ("postBody", "is too long"),
        ("slug", "is already used"),
    ]
    assert error.code == "VALIDATION_ERROR"
    assert error.request_id
    assert "postBody: is too long" in str(error)
    assert len(fake.calls_to("POST", "/cms/v3/blogs/posts")) == 1  # not retried


def test_missing_scope_is_named_in_the_hint(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.granted_scopes = {"content", "files"}
    with pytest.raises(PermissionDenied) as caught:
        make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, MissingScopes)
    assert error.scopes == ["marketing.campaigns.read"]
    assert "marketing.campaigns.read" in str(error.hint)
    assert error.code == "MISSING_SCOPES"


@pytest.mark.parametrize("status", [502, 503, 504, 521])
def test_5xx_is_retried_for_reads(make_adapter: AdapterFactory, fake: FakeHubSpot, status: int) -> None:
    fake.inject("GET", "/marketing/v3/campaigns", status, {"message": "busy"}, times=2)
    response = make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert response.external_id in fake.campaigns
    assert [c.status for c in fake.calls_to("GET", "/marketing/v3/campaigns")] == [status, status, 200]


def test_503_on_a_create_is_retried(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject("POST", "/marketing/v3/campaigns", 503, {"message": "busy"}, times=2)
    response = make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert response.external_id in fake.campaigns
    assert [c.status for c in fake.calls_to("POST", "/marketing/v3/campaigns")] == [503, 503, 201]


@pytest.mark.parametrize("status", [502, 504, 521])
def test_gateway_error_on_a_create_is_not_repeated(
    make_adapter: AdapterFactory, fake: FakeHubSpot, status: int
) -> None:
    fake.inject("POST", "/marketing/v3/campaigns", status, {"message": "gateway"}, times=5)
    with pytest.raises(PlatformUnavailable) as caught:
        make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert not caught.value.retryable
    assert len(fake.calls_to("POST", "/marketing/v3/campaigns")) == 1


@pytest.mark.parametrize("status", [500, 502, 504, 521])
def test_gateway_error_on_an_idempotent_post_is_retried(
    make_adapter: AdapterFactory, fake: FakeHubSpot, status: int
) -> None:
    fake.inject("POST", "/cms/v3/blogs/posts/", status, {"message": "gateway"}, times=2)  # push-live
    result = make_adapter().publish_content(blog_post(campaign=None, topics=[]))
    assert result.status == "published"
    push = fake.calls_to("POST", r"/cms/v3/blogs/posts/.*/draft/push-live")
    assert [c.status for c in push] == [status, status, 204]
    assert len(fake.posts) == 1


@pytest.mark.parametrize("status", [500, 502, 504, 521])
def test_gateway_errors_are_retryable_after_send_whatever_the_method(status: int) -> None:
    for method in ("POST", "GET"):
        error = error_from_response(_response(status, {"message": "gw"}, method=method))
        assert isinstance(error, PlatformUnavailable)
        assert error.retryable
        assert getattr(error, "after_send", False) is True
    busy = error_from_response(_response(503, {"message": "busy"}))
    assert busy.retryable
    assert not getattr(busy, "after_send", False)


def test_5xx_gives_up_after_max_attempts(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject("GET", "/marketing/v3/campaigns", 503, {"message": "down"}, times=50)
    with pytest.raises(PlatformUnavailable):
        make_adapter().find_campaign("x")
    assert len(fake.calls_to("GET", "/marketing/v3/campaigns")) == 5


def test_500_on_a_create_is_not_repeated(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject("POST", "/marketing/v3/campaigns", 500, {"message": "oops"}, times=5)
    with pytest.raises(PlatformUnavailable) as caught:
        make_adapter().create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert not caught.value.retryable
    assert len(fake.calls_to("POST", "/marketing/v3/campaigns")) == 1


def test_not_found_and_secrets_echoed_by_hubspot_are_redacted(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    fake.inject(
        "GET", "/cms/v3/blogs/posts/42", 404, {"category": "OBJECT_NOT_FOUND", "message": f"bad {TOKEN}"}
    )
    fake.inject(
        "GET", "/marketing/v3/emails/42", 404, {"category": "OBJECT_NOT_FOUND", "message": f"bad {TOKEN}"}
    )
    with pytest.raises(NotFound) as caught:
        adapter.get_status("42")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value.to_dict())


def _response(status: int, body: dict[str, object], method: str = "POST", **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request(method, "https://x/y"))


def test_error_table() -> None:
    expired = _response(401, {"category": "EXPIRED_AUTHENTICATION", "message": "expired"})
    assert isinstance(error_from_response(expired, refreshable=True), TokenExpired)
    plain = error_from_response(expired, refreshable=False)
    assert isinstance(plain, AuthenticationError)
    assert not isinstance(plain, TokenExpired)
    invalid = error_from_response(_response(401, {"category": "INVALID_AUTHENTICATION"}))
    assert "HUBSPOT_ACCESS_TOKEN" in str(invalid.hint)
    window = error_from_response(
        _response(
            429, {"policyName": "TEN_SECONDLY_ROLLING", "errorType": "RATE_LIMIT"}, **{"Retry-After": "4"}
        )
    )
    assert isinstance(window, RateLimitError)
    assert (window.scope, window.retry_after, window.retryable) == ("window", 4.0, True)
    default_wait = error_from_response(_response(429, {"policyName": "TEN_SECONDLY_ROLLING"}))
    assert isinstance(default_wait, RateLimitError)
    assert default_wait.retry_after == 10.0
    tier = error_from_response(_response(403, {"message": "no"}), tier="Marketing Hub Enterprise")
    assert isinstance(tier, PermissionDenied)
    assert tier.code == "tier"
    assert "Marketing Hub Enterprise" in str(tier.hint)
    refresh = error_from_response(_response(400, {"status": "BAD_REFRESH_TOKEN", "message": "bad"}))
    assert isinstance(refresh, AuthenticationError)
    assert "HUBSPOT_REFRESH_TOKEN" in str(refresh.hint)
    get_500 = error_from_response(_response(500, {}, method="GET"))
    assert isinstance(get_500, PlatformUnavailable)
    assert get_500.retryable
    odd = error_from_response(httpx.Response(418, text="teapot", request=httpx.Request("GET", "https://x")))
    assert isinstance(odd, ContentRejected)

"""Each answer of the fact sheet's error table becomes its core error; 429 + Retry-After
(50100) is waited out, 50200 is not hammered; 5xx retried only when safe."""

from __future__ import annotations

from typing import Any

import pytest

from marketing_platform.errors import (
    Conflict,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.testing import FakeClock
from marketing_platform_sfmc import SfmcPlatform

from .conftest import MakeAdapter, email
from .fake_sfmc import DOCS, FakeSfmc, rate_limited

ASSETS = "/asset/v1/content/assets"


def _body(message: str, code: int, **extra: Any) -> dict[str, Any]:
    return {"message": message, "errorcode": code, "documentation": DOCS, **extra}


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (403, _body("Insufficient privileges", 20002), PermissionDenied, "20002"),
        (404, _body("Not Found", 404), NotFound, "404"),
        (404, {"Message": "Object not found", "ErrorCode": 30003}, NotFound, "30003"),
        (
            400,
            _body(
                "Invalid asset",
                10001,
                validationErrors=[{"message": "views.html.content is invalid", "errorcode": 10001}],
            ),
            ContentRejected,
            "10001",
        ),
        (
            400,
            _body("Asset names within a category and asset type must be unique.", 118039),
            Conflict,
            "118039",
        ),
        (409, _body("Conflict", 409), Conflict, "409"),
        (500, _body("Internal error", 10000), PlatformUnavailable, "10000"),
        (418, {"errorCode": 12345, "message": "I am a teapot"}, MarketingPlatformError, "12345"),
    ],
    ids=[
        "403-20002",
        "404",
        "404-30003-pascal-case",
        "400-validation",
        "118039",
        "409",
        "500-10000",
        "other",
    ],
)
def test_error_table(
    adapter: SfmcPlatform,
    fake: FakeSfmc,
    status: int,
    body: dict[str, Any],
    expected: type[MarketingPlatformError],
    code: str,
) -> None:
    fake.fail_next(status, body, method="POST", path=ASSETS, times=10)
    with pytest.raises(MarketingPlatformError) as caught:
        adapter.publish_content(email(campaign=None))
    error = caught.value
    assert type(error) is expected or (expected is MarketingPlatformError and isinstance(error, expected))
    assert error.code == code
    assert error.platform == "sfmc"
    assert error.hint
    if isinstance(error, ContentRejected) and not isinstance(error, Conflict):
        assert [p.message for p in error.problems] == ["views.html.content is invalid"]
    # A create that may have been applied (500) is not repeated blindly.
    assert len(fake.calls("POST", ASSETS)) == 1


def test_a_customer_key_clash_in_another_business_unit_is_a_conflict(
    make_adapter: MakeAdapter, fake: FakeSfmc
) -> None:
    """customerKey is unique across the enterprise: an asset this BU cannot see holds it."""
    make_adapter(account_id=fake.mids[1]).publish_content(email(campaign=None))
    other_bu = make_adapter(account_id=None)
    for asset in fake.assets.values():  # the same key, as if SFMC_ACCOUNT_ID had been unset
        asset["customerKey"] = other_bu.sfmc_mapper.content_key(email())
    with pytest.raises(Conflict) as caught:
        other_bu.publish_content(email(campaign=None))
    assert "another business unit" in str(caught.value.hint)
    assert len(fake.assets) == 1


def test_429_50100_waits_retry_after_then_succeeds(
    adapter: SfmcPlatform, fake: FakeSfmc, clock: FakeClock
) -> None:
    adapter.find_content(email(), None)  # token fetched
    status, body, headers = rate_limited()
    fake.fail_next(status, body, headers=headers, method="POST", path=ASSETS)
    result = adapter.publish_content(email(campaign=None))
    assert result.external_id
    assert len(fake.calls("POST", ASSETS)) == 2
    assert len(fake.of_type(208)) == 1
    assert any(5.0 <= wait <= 6.0 for wait in clock.slept), clock.slept


def test_429_body_retry_after_is_used_without_the_header(
    adapter: SfmcPlatform, fake: FakeSfmc, clock: FakeClock
) -> None:
    fake.fail_next(429, _body("Rate limit exceeded", 50100, retryAfter=7), method="GET", path=ASSETS)
    adapter.find_content(email(), None)
    assert any(7.0 <= wait <= 8.0 for wait in clock.slept), clock.slept


def test_429_50200_blocked_is_not_retried(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    status, body, headers = rate_limited(blocked=True)
    fake.fail_next(status, body, headers=headers, method="GET", path=ASSETS, times=5)
    with pytest.raises(RateLimitError) as caught:
        adapter.find_content(email(), None)
    assert caught.value.code == "50200"
    assert not caught.value.retryable
    assert "few minutes" in str(caught.value.hint)
    assert len(fake.calls("GET", ASSETS)) == 1


def test_500_on_a_read_is_retried(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    fake.fail_next(500, _body("Internal error", 10000), method="GET", path=ASSETS, times=2)
    assert adapter.find_content(email(), None) is None
    assert len(fake.calls("GET", ASSETS)) == 3


def test_token_endpoint_throttled_is_a_rate_limit(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    status, body, headers = rate_limited()
    fake.fail_next(status, body, headers=headers, path="/v2/token")
    assert make_adapter().find_content(email(), None) is None
    assert len(fake.calls("POST", "/v2/token")) == 2


def test_missing_scope_on_a_write_is_permission_denied(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    fake.scopes = "saved_content_read campaign_read campaign_write"
    with pytest.raises(PermissionDenied) as caught:
        make_adapter().publish_content(email(campaign=None))
    assert "scope" in str(caught.value.hint)
    assert not fake.assets


def test_tenant_refusing_the_customer_key_filter_uses_the_advanced_query(
    make_adapter: MakeAdapter, fake: FakeSfmc
) -> None:
    fake.simple_filter = False
    adapter = make_adapter()
    adapter.publish_content(email(campaign=None))
    for _ in range(2):
        found = adapter.find_content(email(), None)
        assert found is not None
        assert found.external_id == str(next(iter(fake.assets)))
    assert len(fake.calls("GET", ASSETS)) == 1  # refused once, then remembered
    assert len(fake.calls("POST", "/asset/v1/content/assets/query")) == 2


def test_content_problems_are_refused_before_any_request(adapter: SfmcPlatform, fake: FakeSfmc) -> None:
    bad = email(body="", campaign={"name": "x" * 129}, platform_options={"sfmc": {"folder": 3}})
    problems = {p.field for p in adapter.mapper.problems(bad)}
    assert problems == {"body", "campaign.name", "sfmc.folder"}
    with pytest.raises(ContentRejected):
        adapter.publish_content(bad)
    assert fake.requests == []
    blog = email(kind="blog_post")
    assert [p.field for p in adapter.mapper.problems(blog)] == ["kind"]

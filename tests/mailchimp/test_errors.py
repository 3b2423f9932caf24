"""Mailchimp's problem+json errors mapped onto the core taxonomy."""

from __future__ import annotations

import pytest

from marketing_platform.errors import (
    AuthenticationError,
    Conflict,
    ContentRejected,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.models import CampaignSpec
from marketing_platform.testing import FakeClock
from marketing_platform_mailchimp import MailchimpPlatform

from .conftest import MakeAdapter, email
from .fake_mailchimp import API_KEY, FakeMailchimp


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_validation_errors_carry_the_field_messages(
    adapter: MailchimpPlatform, fake: FakeMailchimp, method: str
) -> None:
    """The settings go in the create of a new campaign (POST), in a PATCH of one the
    adapter did not just create with them (here: made without them)."""
    campaign = None
    if method == "PATCH":
        campaign = adapter.create_campaign(CampaignSpec(name="march-newsletter"))
    errors = [
        {"field": "settings.reply_to", "message": "This value should be a valid email."},
        {"field": "settings.subject_line", "message": "This value is too long."},
    ]
    fake.fail_next(
        400,
        "Invalid Resource",
        "The resource submitted could not be validated.",
        errors=errors,
        method=method,
        path="/campaigns" if method == "POST" else None,
    )
    with pytest.raises(ContentRejected) as caught:
        adapter.publish_content(email(), campaign=campaign)
    error = caught.value
    assert error.problems == [
        Problem("settings.reply_to", "This value should be a valid email."),
        Problem("settings.subject_line", "This value is too long."),
    ]
    assert error.code == "Invalid Resource"
    assert error.request_id
    assert not error.retryable
    assert "settings.reply_to: This value should be a valid email." in str(error)
    assert error.to_dict()["problems"][0]["field"] == "settings.reply_to"
    assert len(fake.calls(method, "/campaigns")) == 1  # not retried


def test_bad_key_is_an_authentication_error_without_the_key(
    make_adapter: MakeAdapter, fake: FakeMailchimp, caplog: pytest.LogCaptureFixture
) -> None:
    fake.api_key = "ffffffffffffffffffffffffffffffff-us21"  # the fake expects another key now
    with pytest.raises(AuthenticationError) as caught:
        make_adapter().check()
    error = caught.value
    assert API_KEY not in str(error)
    assert API_KEY.split("-")[0] not in repr(error.to_dict())
    assert API_KEY not in caplog.text
    assert "MAILCHIMP_API_KEY" in str(error.hint)
    assert error.code == "API Key Invalid"
    assert len(fake.requests) == 1  # a 401 is final: not retried


@pytest.mark.parametrize(
    ("status", "title", "expected"),
    [
        (403, "Forbidden", PermissionDenied),
        (404, "Resource Not Found", NotFound),
        (405, "Method Not Allowed", Conflict),
    ],
)
def test_status_table(
    adapter: MailchimpPlatform, fake: FakeMailchimp, status: int, title: str, expected: type
) -> None:
    fake.fail_next(status, title, "detail", method="GET")
    with pytest.raises(expected) as caught:
        adapter.get_status("c1")
    assert caught.value.code == title
    assert caught.value.platform == "mailchimp"


def test_429_is_retried_after_the_window(
    adapter: MailchimpPlatform, fake: FakeMailchimp, clock: FakeClock
) -> None:
    fake.fail_next(
        429,
        "Too Many Requests",
        "You have exceeded the limit of 10 simultaneous connections.",
        headers={"Retry-After": "3"},
        method="POST",
        path="/campaigns",
        times=2,
    )
    campaign = adapter.create_campaign(CampaignSpec(name="Retried"))
    assert campaign.external_id
    assert len(fake.calls("POST", "/campaigns")) == 3
    assert clock.total_slept >= 6


def test_429_until_attempts_run_out_is_a_rate_limit_error(
    adapter: MailchimpPlatform, fake: FakeMailchimp
) -> None:
    fake.fail_next(429, "Too Many Requests", "slow down", method="GET", times=99)
    with pytest.raises(RateLimitError) as caught:
        adapter.check()
    assert caught.value.scope == "window"
    assert caught.value.retry_after == 1.0
    assert caught.value.retryable


def test_5xx_is_retried_then_unavailable(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    fake.fail_next(503, "Service Unavailable", "down", method="GET", path="/ping", times=2)
    assert adapter.check().ok
    fake.fail_next(500, method="GET", path="/ping", times=99)
    with pytest.raises(PlatformUnavailable):
        adapter.check()


def test_a_create_answered_500_is_not_sent_again(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    # Mailchimp may have created the campaign before failing: a second POST could make a
    # duplicate. The activation fails with a replay hint; replay looks the title up first.
    fake.fail_next(500, method="POST", path="/campaigns", times=99)

    with pytest.raises(PlatformUnavailable) as caught:
        adapter.create_campaign(CampaignSpec(name="Launch / launch-1"))

    assert len(fake.calls("POST", "/campaigns")) == 1
    assert not caught.value.retryable
    assert "mplat replay" in str(caught.value.hint)

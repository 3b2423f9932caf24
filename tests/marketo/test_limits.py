"""Rate window, 606 bursts, 607 daily quota, 5xx and the error table."""

from __future__ import annotations

import threading

import httpx
import pytest

from marketing_platform.errors import (
    ContentRejected,
    MarketingPlatformError,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.http import TokenExpired
from marketing_platform.models import CampaignSpec
from marketing_platform_marketo.errors import CODES, from_marketo_error
from marketing_platform_marketo.platform import MarketoPlatform

from .conftest import settings
from .fake_marketo import FakeClock, FakeMarketo

FACT_SHEET_CODES = [
    "601",
    "602",
    "603",
    "604",
    "606",
    "607",
    "608",
    "609",
    "610",
    "611",
    "612",
    "613",
    "615",
    "701",
    "702",
    "703",
    "704",
    "709",
    "710",
    "711",
    "713",
    "719",
]


def test_every_fact_sheet_code_is_mapped() -> None:
    assert set(FACT_SHEET_CODES) <= set(CODES)
    retryable = {c for c in FACT_SHEET_CODES if from_marketo_error({"code": c}).retryable}
    assert retryable == {"604", "606", "608", "611", "615", "713", "719"}
    assert isinstance(from_marketo_error({"code": "601"}), TokenExpired)
    assert isinstance(from_marketo_error({"code": "603"}), PermissionDenied)
    assert isinstance(from_marketo_error({"code": "709"}), ContentRejected)
    assert getattr(from_marketo_error({"code": "611"}), "max_attempts", None) == 2
    daily = from_marketo_error({"code": "607"}, request_id="r1")
    assert isinstance(daily, RateLimitError)
    assert (daily.scope, daily.retryable, daily.request_id) == ("daily", False, "r1")
    unknown = from_marketo_error({"code": "1099", "message": "odd"})
    assert type(unknown) is MarketingPlatformError
    assert unknown.hint


def test_606_burst_recovered_and_window_respected(make_platform, fake: FakeMarketo, clock) -> None:
    fake.window_calls, fake.window_seconds = 5, 1.0
    platform = make_platform(rate_limit="5/1")
    fake.fail("606", times=3)

    for i in range(6):
        platform.create_campaign(CampaignSpec(name=f"P{i}"))

    assert len(fake.programs) == 6
    assert fake.rejected_606 == 0  # only the injected burst was answered 606
    assert sum(c.code == "606" for c in fake.calls) == 3
    assert fake.max_calls_in_any_window() <= 5
    # every retry after a 606 went out only once the window (1 s here) had passed
    for index, call in enumerate(fake.calls):
        if call.code == "606":
            retry = next(c for c in fake.calls[index + 1 :] if c.rest)
            assert retry.at - call.at >= 1.0, "a request followed a 606 before the window passed"


def test_a_606_pauses_every_caller_for_the_whole_window(fake: FakeMarketo, clock: FakeClock) -> None:
    # Caller A is answered 606 and waits to retry. Caller B, on the same adapter, sends
    # its next request only when Marketo's 20 s window has passed: a 606 means the
    # instance's budget is spent for everyone, not only for the caller that got it.
    a_waiting, release_a = threading.Event(), threading.Event()
    held: list[float] = []

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "caller-a" and not held:
            held.append(seconds)
            a_waiting.set()
            assert release_a.wait(timeout=10), "caller A was never released"
        clock.sleep(seconds)

    platform = MarketoPlatform(settings(), transport=httpx.WSGITransport(app=fake), clock=clock, sleep=sleep)
    platform.tokens.token()  # both callers share one token
    fake.fail("606", times=1, path="/program/byName.json")
    caller_a = threading.Thread(target=platform.find_campaign, args=("A",), name="caller-a", daemon=True)
    caller_a.start()
    try:
        assert a_waiting.wait(timeout=10), "caller A never got its 606"
        refused = next(c for c in fake.calls if c.code == "606")
        platform.find_campaign("B")  # caller B, while A waits
    finally:
        release_a.set()
        caller_a.join(timeout=10)
    platform.close()

    b_call = next(c for c in fake.calls if c.rest and c.query.get("name") == ["B"])
    assert b_call.at - refused.at >= 20.0, (
        f"caller B went out {b_call.at - refused.at:.1f} s after another caller's 606; "
        "Marketo's 20 s window must pause every caller"
    )
    assert held[0] >= 20.0, "caller A retried before the window passed"
    assert fake.rejected_606 == 0


def test_real_606_from_an_over_eager_budget_is_recovered(make_platform, fake: FakeMarketo) -> None:
    fake.window_calls, fake.window_seconds = 3, 1.0
    platform = make_platform(rate_limit="10/1")  # configured above what the instance allows

    for i in range(4):
        platform.create_campaign(CampaignSpec(name=f"P{i}"))

    assert len(fake.programs) == 4
    assert fake.rejected_606 >= 1


def test_607_fails_fast(platform, fake: FakeMarketo) -> None:
    fake.fail("607", times=5)

    with pytest.raises(RateLimitError) as info:
        platform.create_campaign(CampaignSpec(name="x"))

    assert info.value.scope == "daily"
    assert info.value.retryable is False
    assert len(fake.rest_calls()) == 1


def test_non_json_5xx_retried_then_unavailable(platform, fake: FakeMarketo) -> None:
    fake.fail("500-html", times=10)

    with pytest.raises(PlatformUnavailable):
        platform.create_campaign(CampaignSpec(name="x"))

    assert len(fake.rest_calls()) == 5  # PlatformHTTP's max attempts, then give up


def test_non_json_5xx_recovers(platform, fake: FakeMarketo) -> None:
    fake.fail("500-html", times=2)
    assert platform.create_campaign(CampaignSpec(name="x")).reused is False


def test_5xx_on_create_is_not_retried(platform, fake: FakeMarketo) -> None:
    fake.fail("500-html", times=1, path="/programs.json")

    with pytest.raises(PlatformUnavailable) as info:
        platform.create_campaign(CampaignSpec(name="x"))

    assert info.value.retryable is False
    assert sum(c.path.endswith("/programs.json") for c in fake.calls) == 1


def test_611_retried_once(platform, fake: FakeMarketo) -> None:
    fake.fail("611", times=5)
    with pytest.raises(PlatformUnavailable):
        platform.check()
    assert len(fake.rest_calls()) == 2


@pytest.mark.parametrize("code", ["604", "608", "713", "719", "615"])
def test_transient_codes_retried(platform, fake: FakeMarketo, code: str) -> None:
    fake.fail(code, times=2)
    assert platform.check().ok


def test_413_is_content_rejected(platform, fake: FakeMarketo) -> None:
    fake.fail("http-413", path="/programs.json")
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(CampaignSpec(name="x"))
    assert "1 MB" in str(info.value)

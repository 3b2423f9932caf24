"""RateBudget: spread calls evenly, cap concurrency, daily quota, vendor pauses. Fake time."""

from __future__ import annotations

import itertools
import threading

import pytest

from marketing_platform.errors import ConfigurationError, RateLimitError
from marketing_platform.ratelimit import RateBudget, RateLimits

from .helpers import FakeClock


def _budget(limits: RateLimits, clock: FakeClock) -> RateBudget:
    return RateBudget(limits, name="test", clock=clock, sleep=clock.sleep)


def test_budget_spreads_calls_evenly_over_the_window(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)
    stamps: list[float] = []

    for _ in range(30):
        with budget.slot():
            stamps.append(clock())

    assert stamps[-1] - stamps[0] >= 2.9 - 1e-6
    for start in stamps:
        in_window = [s for s in stamps if start <= s < start + 1 - 1e-9]
        assert len(in_window) <= 10, f"{len(in_window)} calls within one second from {start}"
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) < 0.5, "calls are spread, not sent in bursts with long pauses"


def test_budget_does_not_sleep_while_calls_are_naturally_spaced(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)

    for _ in range(20):
        with budget.slot():
            pass
        clock.advance(0.2)

    assert clock.sleeps == []


def test_daily_quota_raises_at_once_without_sleeping(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100, per_seconds=1, daily_quota=5), clock)
    for _ in range(5):
        with budget.slot():
            clock.advance(1)

    with pytest.raises(RateLimitError) as caught, budget.slot():
        pass

    assert caught.value.scope == "daily"
    assert "TEST_DAILY_QUOTA" in str(caught.value)
    assert clock.sleeps == []
    assert budget.in_flight == 0


def test_pause_makes_the_next_call_wait_at_least_that_long(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100, per_seconds=1), clock)
    with budget.slot():
        pass
    start = clock()

    budget.pause(7)
    with budget.slot():
        admitted = clock()

    assert admitted - start >= 7


def test_a_shorter_pause_never_shortens_a_longer_one(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100, per_seconds=1), clock)
    start = clock()

    budget.pause(10)
    budget.pause(2)
    with budget.slot():
        admitted = clock()

    assert admitted - start >= 10


def test_vendor_reporting_almost_no_calls_left_pauses_the_budget(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100, per_seconds=1), clock)
    start = clock()

    budget.observe(remaining=1, interval_seconds=10)
    with budget.slot():
        admitted = clock()

    assert admitted - start >= 10


def test_concurrency_cap_holds_across_threads(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100_000, per_seconds=1, max_concurrent=2), clock)
    peak = 0
    lock = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def worker() -> None:
        nonlocal peak
        with budget.slot():
            with lock:
                peak = max(peak, budget.in_flight)
            entered.release()
            release.wait(5)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert entered.acquire(timeout=5)
    assert entered.acquire(timeout=5)
    assert not entered.acquire(timeout=0.05), "a third caller got in while two were in flight"
    release.set()
    for thread in threads:
        thread.join()

    assert peak == 2
    assert budget.in_flight == 0


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="calls >= 1"):
        RateLimits(calls=0, per_seconds=1)


def test_unknown_rate_store_is_a_configuration_error(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="MARKETING_PLATFORM_RATE_STORE"):
        RateBudget(RateLimits(calls=1, per_seconds=1), store="redis://x", clock=clock, sleep=clock.sleep)

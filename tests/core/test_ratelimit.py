"""RateBudget: spread calls evenly, cap concurrency, daily quota, vendor pauses. Fake time."""

from __future__ import annotations

import bisect
import itertools
import math
import random
import threading
from pathlib import Path

import pytest

from marketing_platform.errors import ConfigurationError, RateLimitError
from marketing_platform.ratelimit import RateBudget, RateLimits, parse_rate_limit

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


def test_vendor_counting_calls_we_did_not_make_pauses_the_budget(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=100, per_seconds=1), clock)
    start = clock()

    paused = budget.observe(remaining=1, interval_seconds=10)  # 999 calls by someone else
    with budget.slot():
        admitted = clock()

    assert paused == pytest.approx(9.99)
    assert admitted - start >= 9.99


def test_a_low_remaining_that_our_own_calls_explain_does_not_pause(clock: FakeClock) -> None:
    """Even pacing brings the vendor's remaining near 0 at every window's end: that is
    the budget working, and pausing a whole interval then halved the rate (HubSpot)."""
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)
    for _ in range(98):
        with budget.slot():
            pass
    stamp = clock()

    paused = budget.observe(remaining=1, interval_seconds=10, limit=100)
    with budget.slot():
        pass

    assert paused == 0
    assert clock() - stamp < 0.2, "the next call waited although the vendor's count matched ours"


def test_none_left_by_our_own_calls_does_not_pause_either(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)
    sent = []
    for _ in range(100):
        with budget.slot() as admitted:
            sent.append(admitted)

    # the answer to the 100th call, counted by the vendor when that call arrived
    assert budget.observe(remaining=0, interval_seconds=10, limit=100, sent_at=sent[-1]) == 0


def test_a_vendor_limit_below_our_budget_holds_us_back_at_its_last_call(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=50, per_seconds=10), clock)  # we think 50 per 10 s
    for _ in range(4):
        with budget.slot():
            pass

    paused = budget.observe(remaining=1, interval_seconds=10, limit=5)  # the vendor allows 5

    assert paused == 10


def test_a_shared_budget_pauses_only_when_the_vendor_has_none_left(tmp_path: Path) -> None:
    budget = RateBudget(
        RateLimits(calls=10, per_seconds=1), name="shared", store=f"sqlite:///{tmp_path / 'rate.db'}"
    )
    try:
        assert budget.observe(remaining=3, interval_seconds=10, limit=100) == 0  # others' calls: shared
        assert budget.observe(remaining=0, interval_seconds=10, limit=100, reset_after=0.25) == 0.25
    finally:
        budget.close()


def test_others_using_the_account_pause_only_for_the_calls_we_are_short_of(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)
    for _ in range(50):
        with budget.slot():
            pass

    paused = budget.observe(remaining=10, interval_seconds=10, limit=100)  # 40 calls not ours

    assert paused == pytest.approx(4.0)


def test_no_calls_left_waits_for_the_vendors_reset(clock: FakeClock) -> None:
    budget = _budget(RateLimits(calls=10, per_seconds=1), clock)

    assert budget.observe(remaining=0, interval_seconds=10, limit=100, reset_after=1.5) == 1.5
    start = clock()
    with budget.slot():
        pass
    assert clock() - start >= 1.5


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


#: Delay between our admission and the vendor counting the call that the window guard
#: must absorb (half its 10 ms minimum).
JITTER = 0.005


def _most_in_any_window(stamps: list[float], length: float) -> tuple[int, float]:
    """The most stamps inside one closed interval ``[t, t + length]``, for any ``t`` (a
    sliding window: the busiest one starts at a stamp), and where it starts."""
    ordered = sorted(stamps)
    return max((bisect.bisect_right(ordered, start + length) - i, start) for i, start in enumerate(ordered))


@pytest.mark.parametrize(("calls", "per_seconds"), [(10, 1.0), (3, 0.2), (100, 20.0), (1, 1.0), (50, 0.05)])
@pytest.mark.parametrize("pattern", ["back-to-back", "bursts-and-pauses"])
def test_no_sliding_window_of_the_vendor_ever_sees_more_than_its_calls(
    clock: FakeClock, calls: int, per_seconds: float, pattern: str
) -> None:
    """The vendor counts calls in *any* interval of ``per_seconds`` (not in fixed windows
    aligned on our first call), and sees each call a little after we admit it: even
    with that jitter, no interval may hold ``calls + 1`` arrivals."""
    budget = _budget(RateLimits(calls=calls, per_seconds=per_seconds), clock)
    rng = random.Random(calls)
    stamps: list[float] = []

    for _ in range(4 * calls + 20):
        with budget.slot():
            stamps.append(clock())
        if pattern == "bursts-and-pauses":
            clock.advance(rng.choice([0.0, 0.0, 0.0, rng.uniform(0, per_seconds)]))

    # An interval JITTER longer than the window: a call admitted at t + per_seconds may
    # arrive up to JITTER earlier, relative to the first, than it was admitted.
    most, start = _most_in_any_window(stamps, per_seconds + JITTER)
    assert most <= calls, (
        f"{most} calls within {per_seconds} s (+{JITTER * 1000:.0f} ms of network jitter) from "
        f"t={start - stamps[0]:.4f} s: the window guard is missing or too small"
    )


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="calls >= 1"):
        RateLimits(calls=0, per_seconds=1)


@pytest.mark.parametrize(
    "fields",
    [
        {"calls": 5, "per_seconds": math.inf},
        {"calls": 5, "per_seconds": math.nan},
        {"calls": 5, "per_seconds": -1.0},
        {"calls": 5, "per_seconds": 1e300},
        {"calls": 10**20, "per_seconds": 1.0},
        {"calls": 5, "per_seconds": 1.0, "max_concurrent": 0},
        {"calls": 5, "per_seconds": 1.0, "max_concurrent": 10**9},
        {"calls": 5, "per_seconds": 1.0, "daily_quota": 0},
        {"calls": 5, "per_seconds": 1.0, "daily_quota": 10**20},
    ],
)
def test_limits_out_of_range_are_refused_when_made_not_when_used(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"rate limit|max_concurrent|daily_quota"):
        RateLimits(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0/20", "CALLS must be from 1"),
        ("5/inf", "SECONDS must be a number"),
        ("5/nan", "SECONDS must be a number"),
        ("5/1e400", "SECONDS must be a number"),
        ("5/0", "SECONDS must be a number"),
        ("5/-20", "SECONDS must be a number"),
        ("-5/20", "CALLS must be a whole number"),
        ("1_000/20", "CALLS must be a whole number"),
        ("5.5/20", "CALLS must be a whole number"),
        ("50", "slash"),
        ("fifty per second", "slash"),
        ("9" * 5000 + "/1", "CALLS must be from 1"),
        ("5/" + "9" * 400, "SECONDS must be a number"),
    ],
)
def test_rate_limit_text_is_parsed_strictly(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_rate_limit(text)


def test_rate_limit_text_within_bounds_is_parsed() -> None:
    assert parse_rate_limit("50/20") == (50, 20.0)
    assert parse_rate_limit(" 100 / 0.5 ") == (100, 0.5)


def test_unknown_rate_store_is_a_configuration_error(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RateBudget(RateLimits(calls=1, per_seconds=1), store="memcached://x", clock=clock, sleep=clock.sleep)

    assert caught.value.message == "unknown rate store 'memcached://x'"
    assert caught.value.code == "rate_store"
    assert "MARKETING_PLATFORM_RATE_STORE" in (caught.value.hint or "")


def test_unknown_rate_store_error_does_not_show_its_password(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RateBudget(
            RateLimits(calls=1, per_seconds=1),
            store="memcached://admin:hunter2@cache:11211",
            clock=clock,
            sleep=clock.sleep,
        )

    assert "hunter2" not in str(caught.value)
    assert "unknown rate store 'memcached://admin:***@cache:11211'" in str(caught.value)

"""The rate budget: calls per window, concurrent calls and a daily quota, enforced
*ahead* of the vendor so its limit is never tripped.

The bucket arithmetic is pyrate-limiter's (a sliding-window log); this module adds what
an HTTP client needs around it: an even spread of the window's budget (one call every
``window / calls`` seconds instead of a burst at the window's start), a cap on calls in
flight, a daily quota that fails fast instead of sleeping until tomorrow, a shared
"not before" time that a vendor's rate-limit answer (606, 429 + Retry-After) pushes out
for every caller, and injected ``clock`` / ``sleep`` so tests never wait.

Stores (``MARKETING_PLATFORM_RATE_STORE``): ``memory`` (per process, default),
``sqlite:///path`` (processes on one machine share a budget).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, RateLimitError

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket

    from .settings import PlatformSettings

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class RateLimits:
    """A vendor's documented budget, declared by each adapter as ``rate_limits``."""

    calls: int
    per_seconds: float
    max_concurrent: int | None = None
    daily_quota: int | None = None

    def __post_init__(self) -> None:
        if self.calls < 1 or self.per_seconds <= 0:
            raise ValueError("a rate limit needs calls >= 1 and per_seconds > 0")

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.per_seconds

    def overridden_by(self, settings: PlatformSettings) -> RateLimits:
        """These limits with the ``<NAME>_RATE_LIMIT`` / ``_MAX_CONCURRENT`` /
        ``_DAILY_QUOTA`` overrides from ``settings`` applied."""
        limits = self
        if settings.rate_limit:
            calls, _, seconds = settings.rate_limit.partition("/")
            limits = replace(limits, calls=int(calls), per_seconds=float(seconds))
        if settings.max_concurrent:
            limits = replace(limits, max_concurrent=settings.max_concurrent)
        if settings.daily_quota:
            limits = replace(limits, daily_quota=settings.daily_quota)
        return limits


def _make_bucket(limits: RateLimits, store: str, key: str) -> tuple[AbstractBucket, AbstractBucket | None]:
    """(window bucket, daily bucket) for ``store``; the daily one is None without a quota."""
    from pyrate_limiter import InMemoryBucket, Rate, SQLiteBucket

    window_ms = max(1, int(limits.per_seconds * 1000))
    spacing_ms = max(1, window_ms // limits.calls)
    rates = [Rate(1, spacing_ms), Rate(limits.calls, window_ms)] if limits.calls > 1 else [Rate(1, window_ms)]
    daily_rates = [Rate(limits.daily_quota, int(_DAY_SECONDS * 1000))] if limits.daily_quota else None

    if store in ("", "memory"):
        return InMemoryBucket(rates), InMemoryBucket(daily_rates) if daily_rates else None
    if store.startswith("sqlite:///"):
        path = store.removeprefix("sqlite:///")
        table = "rate_" + "".join(c if c.isalnum() else "_" for c in key)
        window = SQLiteBucket.init_from_file(rates, table=table, db_path=path, use_file_lock=True)
        daily = (
            SQLiteBucket.init_from_file(daily_rates, table=table + "_daily", db_path=path, use_file_lock=True)
            if daily_rates
            else None
        )
        return window, daily
    raise ConfigurationError(
        f"unknown rate store {store!r}",
        hint="set MARKETING_PLATFORM_RATE_STORE to memory or sqlite:///path/to/file.db",
    )


class RateBudget:
    """Admission control for one platform's calls. Thread-safe.

    Use ``with budget.slot(): send()``. A slot waits (with the injected ``sleep``) for the
    window and the concurrency cap, and raises ``RateLimitError(scope="daily")`` at once
    when the daily quota is spent.
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        name: str = "platform",
        store: str = "memory",
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limits = limits
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._window, self._daily = _make_bucket(limits, store, name)
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._in_flight = 0
        self._concurrency = (
            threading.BoundedSemaphore(limits.max_concurrent) if limits.max_concurrent else None
        )

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one call's place in the budget for the duration of the call."""
        if self._concurrency is not None:
            self._concurrency.acquire()
        try:
            self._admit()
            with self._lock:
                self._in_flight += 1
            try:
                yield
            finally:
                with self._lock:
                    self._in_flight -= 1
        finally:
            if self._concurrency is not None:
                self._concurrency.release()

    def _admit(self) -> None:
        from pyrate_limiter import RateItem

        while True:
            with self._lock:
                now = self._clock()
                wait = self._not_before - now
                if wait <= 0:
                    stamp = int(now * 1000)
                    self._window.leak(stamp)
                    item = RateItem(self.name, stamp)
                    if self._window.put(item):
                        self._count_daily(stamp)
                        return
                    waited = self._window.waiting(item)
                    wait = max(int(waited), 1) / 1000  # type: ignore[arg-type]
            self._sleep(wait)

    def _count_daily(self, stamp: int) -> None:
        from pyrate_limiter import RateItem

        if self._daily is None:
            return
        self._daily.leak(stamp)
        if not self._daily.put(RateItem(self.name, stamp)):
            raise RateLimitError(
                f"the daily quota of {self.limits.daily_quota} calls is spent",
                platform=self.name,
                scope="daily",
                hint="wait for the vendor's daily reset (or raise the budget with "
                f"{self.name.upper()}_DAILY_QUOTA if your contract allows more)",
            )

    def pause(self, seconds: float) -> None:
        """Make every caller wait ``seconds`` from now (a vendor said "too many")."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + max(0.0, seconds))

    def observe(self, remaining: int | None, interval_seconds: float | None) -> None:
        """Feed a vendor's "calls remaining in this interval" header: when the vendor
        counts fewer left than we think (other integrations share the account), hold
        back until its interval has passed."""
        if remaining is not None and interval_seconds and remaining <= 1:
            self.pause(interval_seconds)


def describe(limits: RateLimits) -> dict[str, Any]:
    return {
        "calls": limits.calls,
        "per_seconds": limits.per_seconds,
        "max_concurrent": limits.max_concurrent,
        "daily_quota": limits.daily_quota,
    }

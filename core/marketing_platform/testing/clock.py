"""A fake clock for adapters under test: ``sleep`` advances time instead of waiting."""

from __future__ import annotations

import threading

#: 2026-01-01T00:00:00Z: a fixed, timezone-free starting point for reproducible tests.
DEFAULT_START = 1_767_225_600.0


class FakeClock:
    """Pass ``clock=fake`` and ``sleep=fake.sleep`` to an adapter: nothing ever waits.

    Thread-safe. ``slept`` records every requested wait, for asserting backoff.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` (negative waits count as zero)."""
        with self._lock:
            self.slept.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        with self._lock:
            self._now += max(0.0, seconds)

    @property
    def total_slept(self) -> float:
        with self._lock:
            return sum(max(0.0, s) for s in self.slept)

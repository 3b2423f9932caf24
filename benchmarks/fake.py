"""A generic vendor fake (WSGI) that enforces a scaled-down vendor budget.

Every request is counted on arrival: when ``calls`` requests already arrived in the
last ``per_seconds`` seconds, or ``max_concurrent`` are in flight, it answers
``429 Too Many Requests`` (``Retry-After``) and counts a violation, like HubSpot's 429
or Marketo's 606/615. Accepted requests wait ``latency`` seconds (the vendor's work)
and answer JSON ``{"id": ...}``.

Every answer carries HubSpot's rate headers for the window, as the real vendor sends
them: ``X-HubSpot-RateLimit-Max`` (``calls``), ``X-HubSpot-RateLimit-Remaining`` (the
calls left in the sliding window once this one is counted: 0 when it took the last
place) and ``X-HubSpot-RateLimit-Interval-Milliseconds``. A client that ignores them
is unaffected; one that reacts to them wrongly (pausing a whole window whenever few
are left) shows up as a lower achieved rate.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any


class VendorFake:
    def __init__(
        self,
        *,
        calls: int | None = None,
        per_seconds: float = 1.0,
        max_concurrent: int | None = None,
        latency: float = 0.0,
    ) -> None:
        self.calls = calls
        self.per_seconds = per_seconds
        self.max_concurrent = max_concurrent
        self.latency = latency
        self.accepted: list[float] = []  # monotonic arrival times
        self.window_violations = 0
        self.concurrency_violations = 0
        self.peak_concurrency = 0
        self._recent: deque[float] = deque()
        self._in_flight = 0
        self._ids = 0
        self._lock = threading.Lock()
        #: Remaining-header values answered (one per request), for inspection.
        self.remaining_sent: list[int] = []

    @property
    def violations(self) -> int:
        return self.window_violations + self.concurrency_violations

    def reset(self) -> None:
        with self._lock:
            self.accepted.clear()
            self._recent.clear()
            self.remaining_sent.clear()
            self.window_violations = self.concurrency_violations = self.peak_concurrency = 0

    def _admit(self) -> str | None:
        """None when the request is within the budget, else the violated scope."""
        return self._admit_counted()[0]

    def _admit_counted(self) -> tuple[str | None, list[tuple[str, str]]]:
        """:meth:`_admit`, and the rate headers to answer with (counted in the same
        critical section, so Remaining is exact)."""
        with self._lock:
            now = time.monotonic()
            if self.calls is not None:
                while self._recent and self._recent[0] <= now - self.per_seconds:
                    self._recent.popleft()
                if len(self._recent) >= self.calls:
                    self.window_violations += 1
                    return "window", self._rate_headers()
            if self.max_concurrent is not None and self._in_flight >= self.max_concurrent:
                self.concurrency_violations += 1
                return "concurrency", self._rate_headers()
            self._recent.append(now)
            self.accepted.append(now)
            self._in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self._in_flight)
            self._ids += 1
            return None, self._rate_headers()

    def _rate_headers(self) -> list[tuple[str, str]]:
        """HubSpot's rate headers for the window as it stands (call with the lock held)."""
        if self.calls is None:
            return []
        remaining = max(0, self.calls - len(self._recent))
        self.remaining_sent.append(remaining)
        return [
            ("X-HubSpot-RateLimit-Max", str(self.calls)),
            ("X-HubSpot-RateLimit-Remaining", str(remaining)),
            ("X-HubSpot-RateLimit-Interval-Milliseconds", str(round(self.per_seconds * 1000))),
        ]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        stream.read(int(environ.get("CONTENT_LENGTH") or 0))
        violated, rate_headers = self._admit_counted()
        if violated is not None:
            body = json.dumps({"error": f"rate limit ({violated})"}).encode()
            start_response(
                "429 Too Many Requests",
                [("Content-Type", "application/json"), ("Retry-After", "1"), *rate_headers],
            )
            return [body]
        try:
            if self.latency:
                time.sleep(self.latency)
            body = json.dumps({"id": f"obj-{self._ids}", "status": "published"}).encode()
        finally:
            with self._lock:
                self._in_flight -= 1
        start_response("200 OK", [("Content-Type", "application/json"), *rate_headers])
        return [body]

    def achieved_rate(self) -> float:
        """Accepted calls per second between the first and the last arrival."""
        if len(self.accepted) < 2:
            return 0.0
        return (len(self.accepted) - 1) / (self.accepted[-1] - self.accepted[0])

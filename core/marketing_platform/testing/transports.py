"""httpx transports for conformance tests: record what an adapter sends, or make
chosen requests fail the way a vendor fails.

Both wrap the author's own fake transport (an ``httpx.WSGITransport`` over a fake
vendor app, an ``httpx.MockTransport``, ...), so everything not overridden still
reaches the fake.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ..errors import MarketingPlatformError

if TYPE_CHECKING:
    from ..ratelimit import Clock, RateLimits

#: Given a request, return the response to send instead, or None to pass it on.
Responder = Callable[[httpx.Request], "httpx.Response | None"]

Operation = Literal["auto", "check", "create_campaign", "publish_content", "upload_assets"]


def _not_found_transport() -> httpx.BaseTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "no fake behind the conformance transport"})

    return httpx.MockTransport(handler)


_context = threading.local()


def current_operation() -> str | None:
    """The adapter operation running on this thread, as labelled by :func:`operation`."""
    return getattr(_context, "operation", None)


@contextmanager
def operation(name: str) -> Iterator[None]:
    """Label the requests sent on this thread as made by the adapter operation ``name``
    (the outermost label wins: ``publish_content`` calling ``create_campaign`` stays
    ``publish_content``)."""
    outer = current_operation()
    if outer is None:
        _context.operation = name
    try:
        yield
    finally:
        if outer is None:
            _context.operation = None


@dataclass(frozen=True)
class SentRequest:
    """One request as a :class:`RecordingTransport` saw it."""

    method: str
    path: str
    url: str
    at: float | None = None
    """When it was sent, by the transport's clock (None without one)."""
    operation: str | None = None
    """The adapter operation that sent it (see :func:`operation`), when labelled."""

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _exempt(path: str, exempt: frozenset[str]) -> bool:
    return any(path.endswith(suffix) for suffix in exempt)


class RecordingTransport(httpx.BaseTransport):
    """Passes every request to ``inner`` and remembers ``(method, path)`` of each in
    ``requests``, and in ``sent`` a :class:`SentRequest` with its URL, its time by
    ``clock`` (when given) and the adapter operation that sent it."""

    def __init__(self, inner: httpx.BaseTransport | None, *, clock: Clock | None = None) -> None:
        self.inner = inner if inner is not None else _not_found_transport()
        self.requests: list[tuple[str, str]] = []
        self.sent: list[SentRequest] = []
        self._clock = clock
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        at = self._clock() if self._clock is not None else None
        entry = SentRequest(request.method, request.url.path, str(request.url), at, current_operation())
        with self._lock:
            self.requests.append((request.method, request.url.path))
            self.sent.append(entry)
        return self.inner.handle_request(request)

    def written(self, exempt: frozenset[str] = frozenset()) -> list[SentRequest]:
        """Like :meth:`writes`, as :class:`SentRequest` s."""
        return [
            sent
            for sent in self.sent
            if sent.method not in {"GET", "HEAD", "OPTIONS"} and not _exempt(sent.path, exempt)
        ]

    def close(self) -> None:
        """Leave ``inner`` open: it belongs to the test (one fake serves many adapters)."""

    def writes(self, exempt: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
        """Recorded requests that could change state (not GET/HEAD/OPTIONS), except
        those whose path ends with one of ``exempt`` (e.g. an OAuth token endpoint)."""
        return [
            (method, path)
            for method, path in self.requests
            if method not in {"GET", "HEAD", "OPTIONS"} and not any(path.endswith(e) for e in exempt)
        ]


class FailingTransport(httpx.BaseTransport):
    """Answers with ``responder(request)`` when it returns a response; otherwise the
    request goes on to ``inner``. ``hits`` counts the overridden answers."""

    def __init__(self, inner: httpx.BaseTransport | None, responder: Responder) -> None:
        self.inner = inner if inner is not None else _not_found_transport()
        self.responder = responder
        self.hits = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.responder(request)
        if response is None:
            return self.inner.handle_request(request)
        with self._lock:
            self.hits += 1
        return response

    def close(self) -> None:
        """Leave ``inner`` open: it belongs to the test."""


def respond_with(
    status: int,
    json: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    when: Callable[[httpx.Request], bool] | None = None,
) -> Responder:
    """A :data:`Responder` answering ``status`` (with a JSON body) to every request for
    which ``when(request)`` is true (default: every request)."""

    def responder(request: httpx.Request) -> httpx.Response | None:
        if when is not None and not when(request):
            return None
        return httpx.Response(status, json=json if json is not None else {}, headers=dict(headers or {}))

    return responder


@dataclass(frozen=True)
class ErrorCase:
    """One vendor failure and the core error it must become.

    Make the failure either with ``respond`` (the kit wraps your fake transport in a
    :class:`FailingTransport`) or with ``env`` (settings that make a non-HTTP adapter
    fail, e.g. the mock's ``MOCK_FAILURES``). ``operation`` is the call expected to
    raise; ``auto`` means ``create_campaign`` when the adapter declares the PROGRAM
    capability, else ``publish_content`` of the first sample.
    """

    name: str
    expected: type[MarketingPlatformError]
    respond: Responder | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    operation: Operation = "auto"
    retryable: bool | None = None

    def __str__(self) -> str:
        return f"{self.name} -> {self.expected.__name__}"


def default_error_cases() -> list[ErrorCase]:
    """Plain HTTP failures with an empty JSON body. Override the ``error_cases``
    fixture with your vendor's real error bodies when it answers differently."""
    from ..errors import AuthenticationError, PermissionDenied, PlatformUnavailable, RateLimitError

    return [
        ErrorCase("http-401", AuthenticationError, respond_with(401), retryable=False),
        ErrorCase("http-403", PermissionDenied, respond_with(403), retryable=False),
        ErrorCase(
            "http-429", RateLimitError, respond_with(429, headers={"Retry-After": "2"}), retryable=True
        ),
        ErrorCase("http-503", PlatformUnavailable, respond_with(503), retryable=True),
    ]


class FailNthTransport(httpx.BaseTransport):
    """Answers the ``index``-th request (0-based) with ``failure(request)`` and passes
    every other request to ``inner``: an error on one step of an operation.
    ``failed`` is the request that got the failure (None until it came), ``status``
    the status it was answered."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None,
        index: int,
        failure: Callable[[httpx.Request], httpx.Response],
    ) -> None:
        self.inner = inner if inner is not None else _not_found_transport()
        self.index = index
        self.failure = failure
        self.failed: SentRequest | None = None
        self.status: int | None = None
        self._seen = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            position = self._seen
            self._seen += 1
        if position == self.index:
            self.failed = SentRequest(
                request.method, request.url.path, str(request.url), operation=current_operation()
            )
            response = self.failure(request)
            self.status = response.status_code
            return response
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Leave ``inner`` open: it belongs to the test."""


@dataclass(frozen=True)
class Violation:
    """A request a :class:`LimitingTransport` refused: over the window or the cap."""

    request: SentRequest
    kind: Literal["window", "concurrency"]
    count: int
    """Requests in the window (or in flight) with this one."""
    allowed: int

    def __str__(self) -> str:
        where = "in flight at once" if self.kind == "concurrency" else "in one window"
        return f"{self.request} was request {self.count} {where} (allowed: {self.allowed})"


class LimitingTransport(httpx.BaseTransport):
    """A vendor's rate limit in front of ``inner``: at most ``limits.calls`` requests in
    any ``limits.per_seconds`` window (by ``clock``: pass the adapter's fake clock) and
    at most ``limits.max_concurrent`` in flight. A request over either limit is
    recorded in ``violations`` and answered with ``answer(request, limits)`` (default:
    429 with ``Retry-After`` = the window) instead of reaching ``inner``.

    ``hold`` keeps each request in flight that many real seconds (so threads overlap
    and a concurrency excess shows); ``check_window=False`` checks the cap only (for
    threads sharing a fake clock, whose sleeps move every thread's time). Paths ending
    with one of ``exempt`` (an OAuth token endpoint the vendor meters apart) are passed
    on uncounted."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None,
        limits: RateLimits,
        clock: Clock,
        *,
        exempt: frozenset[str] = frozenset(),
        hold: float = 0.0,
        check_window: bool = True,
        answer: Callable[[httpx.Request, RateLimits], httpx.Response] | None = None,
    ) -> None:
        self.inner = inner if inner is not None else _not_found_transport()
        self.limits = limits
        self.clock = clock
        self.exempt = exempt
        self.hold = hold
        self.check_window = check_window
        self.answer = answer or _too_many
        self.violations: list[Violation] = []
        self.count = 0
        self.most_in_flight = 0
        self._recent: deque[float] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _exempt(request.url.path, self.exempt):
            return self.inner.handle_request(request)
        now = self.clock()
        sent = SentRequest(request.method, request.url.path, str(request.url), now, current_operation())
        with self._lock:
            self.count += 1
            violation = None
            cap = self.limits.max_concurrent
            if cap is not None and self._in_flight >= cap:
                violation = Violation(sent, "concurrency", self._in_flight + 1, cap)
            if self.check_window:
                while self._recent and self._recent[0] <= now - self.limits.per_seconds:
                    self._recent.popleft()
                if violation is None and len(self._recent) >= self.limits.calls:
                    violation = Violation(sent, "window", len(self._recent) + 1, self.limits.calls)
                self._recent.append(now)
            if violation is not None:
                self.violations.append(violation)
                return self.answer(request, self.limits)
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if self.hold:
                time.sleep(self.hold)
            return self.inner.handle_request(request)
        finally:
            with self._lock:
                self._in_flight -= 1

    def close(self) -> None:
        """Leave ``inner`` open: it belongs to the test."""


def _too_many(request: httpx.Request, limits: RateLimits) -> httpx.Response:
    wait = str(max(1, math.ceil(limits.per_seconds)))
    return httpx.Response(429, json={"message": "rate limit exceeded"}, headers={"Retry-After": wait})


def retry_after_answer(seconds: float) -> httpx.Response:
    """The kit's default vendor limit answer: ``429`` with ``Retry-After: seconds``."""
    return httpx.Response(
        429,
        json={"message": "Too Many Requests (injected by the conformance kit)"},
        headers={"Retry-After": str(math.ceil(seconds))},
    )


def forbidden_answer(request: httpx.Request) -> httpx.Response:
    """The kit's default failure for one step: ``403`` with a JSON message (not
    retryable, and no vendor answers a 403 to mean "not found")."""
    return httpx.Response(403, json={"message": "Forbidden (injected by the conformance kit)"})

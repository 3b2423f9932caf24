"""httpx transports for conformance tests: record what an adapter sends, or make
chosen requests fail the way a vendor fails.

Both wrap the author's own fake transport (an ``httpx.WSGITransport`` over a fake
vendor app, an ``httpx.MockTransport``, ...), so everything not overridden still
reaches the fake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from ..errors import MarketingPlatformError

#: Given a request, return the response to send instead, or None to pass it on.
Responder = Callable[[httpx.Request], "httpx.Response | None"]

Operation = Literal["auto", "check", "create_campaign", "publish_content", "upload_assets"]


def _not_found_transport() -> httpx.BaseTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "no fake behind the conformance transport"})

    return httpx.MockTransport(handler)


class RecordingTransport(httpx.BaseTransport):
    """Passes every request to ``inner`` and remembers ``(method, path)`` of each."""

    def __init__(self, inner: httpx.BaseTransport | None) -> None:
        self.inner = inner if inner is not None else _not_found_transport()
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

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

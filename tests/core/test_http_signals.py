"""What the HTTP layer reads from and tells about each request: a vendor's rate headers
fed to the budget, Retry-After in both forms, an unresolvable host named at once, the
request log of -v / -vv, and an OpenTelemetry client span per attempt."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from marketing_platform.errors import PlatformUnavailable
from marketing_platform.http import RateHeaders, retry_after
from marketing_platform.ratelimit import RateLimits
from marketing_platform.redaction import register_secret

from .test_http import Server, _http, parse

HUBSPOT_HEADERS = RateHeaders(
    remaining="X-HubSpot-RateLimit-Remaining",
    limit="X-HubSpot-RateLimit-Max",
    interval_ms="X-HubSpot-RateLimit-Interval-Milliseconds",
)


def _answer(remaining: int) -> httpx.Response:
    return httpx.Response(
        200,
        json={"ok": True},
        headers={
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        },
    )


def test_rate_headers_our_own_calls_explain_cost_nothing() -> None:
    left = iter(range(99, -1, -1))
    server = Server(lambda request: _answer(next(left)))
    http, clock = _http(server, limits=RateLimits(calls=10, per_seconds=1), rate_headers=HUBSPOT_HEADERS)

    for _ in range(98):
        http.call("GET", "/x", parse)

    assert max(clock.sleeps, default=0) < 0.2, "a vendor count our own calls explain paused the budget"


def test_rate_headers_showing_other_callers_pause_every_caller() -> None:
    server = Server(lambda request: _answer(5))  # 95 used in the window, one of them ours
    http, clock = _http(server, limits=RateLimits(calls=10, per_seconds=1), rate_headers=HUBSPOT_HEADERS)

    http.call("GET", "/x", parse)
    before = clock()
    http.call("GET", "/y", parse)

    assert clock() - before >= 9.0, "the next call did not wait for the calls others made"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)

    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": later}), now=now.timestamp()) == 30.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None


def test_an_unresolvable_host_is_named_and_not_retried() -> None:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    server = Server(error)
    http, clock = _http(server)

    with pytest.raises(PlatformUnavailable) as caught:
        http.call("GET", "/x", parse)

    assert len(server.requests) == 1
    assert caught.value.code == "dns"
    assert not caught.value.retryable
    assert "cannot resolve the host 127.0.0.1" in caught.value.message
    assert clock.sleeps == []


def test_each_request_is_logged_with_status_and_time_and_bodies_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret("sk-very-secret-42")
    server = Server(lambda request: httpx.Response(200, json={"token": "sk-very-secret-42", "id": 1}))
    http, _ = _http(server)

    with caplog.at_level(logging.INFO, logger="marketing_platform.http"):
        http.call("POST", "/things", parse, json={"name": "x"})
    info = [r.getMessage() for r in caplog.records]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="marketing_platform.http"):
        http.call("POST", "/things", parse, json={"name": "x"})
    debug = " ".join(r.getMessage() for r in caplog.records)

    assert len(info) == 1
    assert info[0].startswith("test POST /things -> 200 in ")
    assert info[0].endswith(" ms")
    assert '{"name": "x"}' in debug
    assert '"id": 1' in debug
    assert '"token": "***"' in debug
    assert "sk-very-secret-42" not in debug

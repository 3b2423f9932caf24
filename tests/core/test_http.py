"""PlatformHTTP: retries, re-authentication, idempotency of retries, rate budget,
concurrency, file handles and timeouts. httpx.MockTransport only; fake time only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.errors import (
    ConfigurationError,
    ContentRejected,
    MarketingPlatformError,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.http import PlatformHTTP, TokenExpired
from marketing_platform.ratelimit import RateBudget, RateLimits
from marketing_platform.registry import Registry

from .helpers import AdapterPlugin, FakeClock, make_recorder

BASE = "http://127.0.0.1:9"


def parse(response: httpx.Response) -> Any:
    """A vendor error table in miniature."""
    if response.status_code == 401:
        raise TokenExpired("token expired", platform="test", code="401")
    if response.status_code == 429:
        raise RateLimitError(
            "slow down", platform="test", retry_after=float(response.headers.get("Retry-After", "1"))
        )
    if response.status_code == 400:
        raise ContentRejected("bad request", platform="test", code="400")
    if response.status_code >= 500:
        raise PlatformUnavailable("server error", platform="test", code=str(response.status_code))
    return response.json()


class Server:
    """A scripted MockTransport: answers (or raises) in turn, records every request."""

    def __init__(self, *script: int | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.clock: Callable[[], float] | None = None
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            if self.clock is not None:
                self.times.append(self.clock())
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return httpx.Response(step, json={"ok": step < 400})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def _http(
    server: Server,
    *,
    clock: FakeClock | None = None,
    limits: RateLimits | None = None,
    sleep: Callable[[float], None] | None = None,
    **options: Any,
) -> tuple[PlatformHTTP, FakeClock]:
    clock = clock or FakeClock()
    server.clock = clock
    budget = RateBudget(
        limits or RateLimits(calls=1000, per_seconds=1), name="test", clock=clock, sleep=clock.sleep
    )
    http = PlatformHTTP(
        platform="test",
        base_url=BASE,
        budget=budget,
        transport=server.transport,
        sleep=sleep or clock.sleep,
        seed=1,
        **options,
    )
    return http, clock


def test_retryable_server_error_is_retried_with_backoff_through_the_injected_sleep() -> None:
    server = Server(503, 502, 200)
    recorded: list[float] = []
    http, _ = _http(server, sleep=recorded.append)

    assert http.call("GET", "/things", parse) == {"ok": True}

    assert len(server.requests) == 3
    assert len(recorded) == 2
    assert 0.5 <= recorded[0] <= 1.0
    assert 0.5 <= recorded[1] <= 2.0


def test_retries_stop_after_max_attempts_with_the_last_error() -> None:
    server = Server(503)
    recorded: list[float] = []
    http, _ = _http(server, sleep=recorded.append, max_attempts=4)

    with pytest.raises(PlatformUnavailable, match="server error"):
        http.call("GET", "/things", parse)

    assert len(server.requests) == 4
    assert len(recorded) == 3


def test_backoff_is_capped() -> None:
    server = Server(503)
    recorded: list[float] = []
    http, _ = _http(server, sleep=recorded.append, max_attempts=8, backoff_cap=3.0)

    with pytest.raises(PlatformUnavailable):
        http.call("GET", "/things", parse)

    assert max(recorded) <= 3.0


def test_non_retryable_error_is_raised_at_once() -> None:
    server = Server(400)
    recorded: list[float] = []
    http, _ = _http(server, sleep=recorded.append)

    with pytest.raises(ContentRejected):
        http.call("POST", "/things", parse, json={"a": 1})

    assert len(server.requests) == 1
    assert recorded == []


class Tokens:
    def __init__(self) -> None:
        self.generation = 1
        self.invalidations = 0

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer token-{self.generation}"}

    def invalidate(self) -> None:
        self.invalidations += 1
        self.generation += 1


def test_expired_token_is_invalidated_and_the_request_retried_once_with_a_fresh_one() -> None:
    server = Server(401, 200)
    tokens = Tokens()
    http, _ = _http(server, tokens=tokens)

    assert http.call("POST", "/things", parse, json={}) == {"ok": True}

    assert tokens.invalidations == 1
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer token-1", "Bearer token-2"]


def test_token_still_expired_after_refresh_is_raised_after_exactly_one_retry() -> None:
    server = Server(401)
    tokens = Tokens()
    http, _ = _http(server, tokens=tokens)

    with pytest.raises(TokenExpired):
        http.call("GET", "/things", parse)

    assert tokens.invalidations == 1
    assert len(server.requests) == 2


def test_post_whose_read_timed_out_is_not_retried() -> None:
    server = Server(httpx.ReadTimeout("slow"), 200)
    http, _ = _http(server)

    with pytest.raises(PlatformUnavailable) as caught:
        http.call("POST", "/campaigns", parse, json={"name": "x"})

    assert len(server.requests) == 1
    assert type(caught.value) is PlatformUnavailable
    assert caught.value.code == "timeout"
    assert not caught.value.retryable  # repeating it blindly could create a duplicate
    assert "mplat replay" in str(caught.value.hint)


def test_get_whose_read_timed_out_is_retried() -> None:
    server = Server(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"), 200)
    http, _ = _http(server)

    assert http.call("GET", "/campaigns", parse) == {"ok": True}
    assert len(server.requests) == 3


def test_post_declared_idempotent_is_retried_after_a_read_timeout() -> None:
    server = Server(httpx.ReadTimeout("slow"), 200)
    http, _ = _http(server)

    assert http.call("POST", "/search", parse, json={}, idempotent=True) == {"ok": True}
    assert len(server.requests) == 2


def test_post_that_could_not_connect_is_retried() -> None:
    server = Server(httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer"), 200)
    http, _ = _http(server)

    assert http.call("POST", "/campaigns", parse, json={}) == {"ok": True}
    assert len(server.requests) == 3


def test_post_whose_connection_dropped_after_sending_is_not_retried() -> None:
    server = Server(httpx.RemoteProtocolError("server hung up"), 200)
    http, _ = _http(server)

    with pytest.raises(PlatformUnavailable):
        http.call("POST", "/campaigns", parse, json={})
    assert len(server.requests) == 1


def test_rate_limit_answer_pauses_the_budget_for_retry_after() -> None:
    def too_many(_: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    server = Server(too_many, 200)
    http_sleeps: list[float] = []  # the retry's own wait does not move the fake clock...
    http, _clock = _http(server, sleep=http_sleeps.append)

    assert http.call("GET", "/things", parse) == {"ok": True}

    # ... so only the budget's pause can have made the second request wait.
    assert server.times[1] - server.times[0] >= 7
    assert http_sleeps[0] >= 7


def test_rate_limit_pause_holds_back_the_next_independent_call() -> None:
    def too_many(_: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    server = Server(too_many, 200)
    http, clock = _http(server, sleep=lambda _: None, max_attempts=1)
    with pytest.raises(RateLimitError):
        http.call("GET", "/things", parse)
    started = clock()

    http.call("GET", "/other", parse)

    assert server.times[-1] - started >= 7


def test_spent_daily_quota_raises_without_sleeping_or_sending() -> None:
    server = Server(200)
    recorded: list[float] = []
    clock = FakeClock()
    http, _ = _http(
        server, clock=clock, limits=RateLimits(calls=100, per_seconds=1, daily_quota=3), sleep=recorded.append
    )
    for _ in range(3):
        http.call("GET", "/things", parse)
        clock.advance(1)
    sleeps_before = list(clock.sleeps)

    with pytest.raises(RateLimitError) as caught:
        http.call("GET", "/things", parse)

    assert caught.value.scope == "daily"
    assert not caught.value.retryable
    assert len(server.requests) == 3
    assert recorded == []
    assert clock.sleeps == sleeps_before


def test_max_concurrent_requests_is_never_exceeded_across_threads() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def slow(_: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.003)  # a short real pause so that requests overlap
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={"ok": True})

    server = Server(slow)
    http, _ = _http(server, limits=RateLimits(calls=10_000, per_seconds=1, max_concurrent=3))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(4):
                http.call("GET", "/things", parse)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(server.requests) == 40
    assert 2 <= peak <= 3


def test_file_handles_from_a_files_callable_are_closed_after_every_attempt(tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    handles: list[Any] = []
    open_during_request: list[bool] = []

    def files() -> dict[str, Any]:
        handle = (tmp_path / "hero.png").open("rb")
        handles.append(handle)
        return {"file": ("hero.png", handle, "image/png")}

    def check_open(status: int) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            request.read()
            open_during_request.append(not handles[-1].closed)
            return httpx.Response(status, json={"ok": status < 400})

        return answer

    server = Server(check_open(503), check_open(200))
    http, _ = _http(server)

    http.call("POST", "/files", parse, files=files, idempotent=True)

    assert len(handles) == 2, "each attempt opens fresh handles"
    assert open_during_request == [True, True]
    assert all(handle.closed for handle in handles)


def test_file_handles_are_closed_when_the_request_fails(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"data")
    handles: list[Any] = []

    def files() -> dict[str, Any]:
        handles.append((tmp_path / "a.bin").open("rb"))
        return {"file": ("a.bin", handles[-1])}

    http, _ = _http(Server(400))
    with pytest.raises(ContentRejected):
        http.call("POST", "/files", parse, files=files)

    assert handles
    assert all(handle.closed for handle in handles)


def test_every_request_has_the_configured_timeout() -> None:
    server = Server(200)
    http, _ = _http(server, timeout=12.5)

    http.call("GET", "/a", parse)
    http.call("POST", "/b", parse, json={})

    for request in server.requests:
        assert request.extensions["timeout"] == {"connect": 12.5, "read": 12.5, "write": 12.5, "pool": 12.5}


@pytest.mark.parametrize(("env", "expected"), [(None, 30.0), ("7", 7.0)])
def test_adapter_http_clients_take_the_timeout_from_marketing_platform_timeout(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, env: str | None, expected: float
) -> None:
    if env is not None:
        monkeypatch.setenv("MARKETING_PLATFORM_TIMEOUT", env)
    registry.register_plugin(AdapterPlugin(make_recorder("web")))
    server = Server(200)

    with registry.create("web", transport=server.transport) as adapter:
        adapter.make_http(BASE).call("GET", "/ping", parse)

    assert server.requests[0].extensions["timeout"]["read"] == expected
    assert all(value == expected for value in server.requests[0].extensions["timeout"].values())


def test_retry_log_never_shows_a_query_string_or_secret(caplog: pytest.LogCaptureFixture) -> None:
    from marketing_platform.redaction import register_secret

    register_secret("s3cr3t-query-token")
    server = Server(503, 200)
    http, _ = _http(server)

    with caplog.at_level("DEBUG", logger="marketing_platform"):
        http.call("GET", "/things", parse, params={"access_token": "s3cr3t-query-token"})

    assert "retrying" in caplog.text
    assert "s3cr3t-query-token" not in caplog.text
    assert "access_token" not in caplog.text


def test_errors_raised_are_framework_errors_not_httpx_ones() -> None:
    http, _ = _http(Server(httpx.ConnectError("refused")), sleep=lambda _: None, max_attempts=2)

    with pytest.raises(MarketingPlatformError) as caught:
        http.call("GET", "/things", parse)

    assert isinstance(caught.value, PlatformUnavailable)
    assert caught.value.hint


def test_gateway_error_marked_after_send_is_retried_only_for_idempotent_requests() -> None:
    from marketing_platform.http import after_send

    def gateway(response: httpx.Response) -> dict[str, object]:
        if response.status_code == 504:
            raise after_send(PlatformUnavailable("gateway timeout", platform="test", code="504"))
        return parse(response)

    server = Server(504, 200)
    http, _ = _http(server)
    with pytest.raises(PlatformUnavailable) as caught:
        http.call("POST", "/campaigns", gateway, json={"name": "x"})
    assert len(server.requests) == 1
    assert not caught.value.retryable
    assert "mplat replay" in str(caught.value.hint)

    server = Server(504, 200)
    http, _ = _http(server)
    http.call("POST", "/campaigns/1/publish", gateway, idempotent=True)
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_create_answered_with_a_server_error_is_not_repeated_whatever_the_adapter(status: int) -> None:
    # The adapter's table only says "PlatformUnavailable": the HTTP layer knows a 500 or
    # a gateway error may come after the vendor applied the create.
    server = Server(status, 200)
    http, _ = _http(server)

    with pytest.raises(PlatformUnavailable) as caught:
        http.call("POST", "/campaigns", parse, json={"name": "x"})

    assert len(server.requests) == 1
    assert not caught.value.retryable
    assert "mplat replay" in str(caught.value.hint)


def test_server_errors_of_reads_and_503_of_creates_are_still_retried() -> None:
    server = Server(500, 502, 200)
    http, _ = _http(server)
    assert http.call("GET", "/campaigns", parse) == {"ok": True}
    assert len(server.requests) == 3

    server = Server(503, 200)  # "not processed": safe to send again
    http, _ = _http(server)
    assert http.call("POST", "/campaigns", parse, json={"name": "x"}) == {"ok": True}
    assert len(server.requests) == 2


def test_an_absurd_retry_after_is_capped() -> None:
    def limited(response: httpx.Response) -> dict[str, object]:
        if response.status_code == 429:
            raise RateLimitError("slow down", platform="test", retry_after=86_400)
        return parse(response)

    server = Server(429, 200)
    http, clock = _http(server)
    http.call("GET", "/things", limited)
    assert len(server.requests) == 2
    assert sum(clock.sleeps) < 120


def test_base_url_carrying_credentials_is_refused_without_showing_them() -> None:
    server = Server(200)
    budget = RateBudget(RateLimits(calls=10, per_seconds=1), name="test")

    with pytest.raises(ConfigurationError) as caught:
        PlatformHTTP(
            platform="test",
            base_url="https://user:pa55-w0rd-xyzzy@127.0.0.1:9",
            budget=budget,
            transport=server.transport,
        )

    assert "must not carry credentials" in caught.value.message
    assert "pa55-w0rd-xyzzy" not in str(caught.value)
    assert server.requests == []

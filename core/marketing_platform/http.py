"""PlatformHTTP: the one HTTP layer every adapter uses.

One ``httpx.Client`` per adapter instance (keep-alive, pool sized to the concurrency
budget, a timeout on every request), every attempt admitted by the shared
:class:`~marketing_platform.ratelimit.RateBudget`, tenacity retries for what is
retryable, one re-authentication when the token provider says the token went stale,
and request logging that never shows a query string or a header value (bodies only at
DEBUG level, redacted).

Adapters supply two things:

* ``parse(response) -> T``: turns a response into a value or raises a
  :class:`~marketing_platform.errors.MarketingPlatformError` from the vendor's error
  table. Raising :class:`TokenExpired` asks for one fresh token and one more attempt.
* an optional :class:`TokenProvider` for the ``Authorization`` header: a static key is
  :class:`HeaderToken` (any header, e.g. ``HeaderToken("X-Api-Key", settings.api_key)``),
  :class:`BearerToken` or :class:`BasicToken`; OAuth adapters write their own.

The base URL must be ``https://`` (plain ``http://`` only for a loopback host, as tests
use) and carry no credentials: :class:`PlatformHTTP` refuses anything else with a
:class:`~marketing_platform.errors.ConfigurationError` before a request is sent, and
refuses an absolute request URL that breaks the same rule, so no adapter can skip it.

A vendor's rate headers are read declaratively: give :class:`RateHeaders` (which header
says how many calls are left, the limit, the window, the reset) and every response is
fed to the budget (:meth:`RateBudget.observe`); :func:`retry_after` reads a
``Retry-After`` (seconds or an HTTP date) for an adapter's rate-limit error. Every
attempt is an OpenTelemetry CLIENT span (see :mod:`marketing_platform.telemetry`); ``-v``
logs each request (method, path, status, ms), ``-vv`` also the redacted bodies.

Retrying a request that may have reached the vendor (a read timeout, a dropped
connection after sending) is only done when the caller says the request is idempotent:
GET/PUT/DELETE are, a POST is not unless ``idempotent=True``. A create that times out
therefore fails, and replay looks the object up by name before creating it again.
"""

from __future__ import annotations

import functools
import json as jsonlib
import logging
import math
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception

from .errors import (
    AuthenticationError,
    ConfigurationError,
    MarketingPlatformError,
    PlatformUnavailable,
    RateLimitError,
)
from .ratelimit import RateBudget, Sleep
from .redaction import mask_secret_fields, mask_secret_text, redact
from .settings import check_base_url, is_loopback_host

log = logging.getLogger("marketing_platform.http")

T = TypeVar("T")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_MAY_HAVE_APPLIED = (
    "the platform may have applied the request before the answer was lost; "
    "`mplat replay` looks the object up before trying again, so nothing is created twice"
)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TokenExpired(AuthenticationError):
    """Raised by a ``parse`` function when the vendor says the token is invalid or
    expired: PlatformHTTP invalidates the token and retries the request once."""


class TokenProvider(Protocol):
    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate the next request (fetching a token if needed)."""

    def invalidate(self) -> None:
        """Forget the current token; the next ``auth_headers`` fetches a fresh one."""


class HeaderToken:
    """A static credential sent in one header on every request (a :class:`TokenProvider`).

    ``HeaderToken("api-key", settings.api_key)`` sends ``api-key: <key>``; with
    ``scheme`` the value is prefixed: ``HeaderToken("Authorization", token,
    scheme="Bearer")`` sends ``Authorization: Bearer <token>``. The value is read from
    the ``SecretStr`` per request and never shown (``repr`` prints ``***``). A static key
    cannot be refreshed: :meth:`invalidate` does nothing, so a 401 is final.
    """

    #: False: the vendor refusing this credential is final (no fresh token to fetch).
    refreshable = False

    def __init__(self, header: str, token: SecretStr, *, scheme: str | None = None) -> None:
        self.header = header
        self.scheme = scheme
        self._token = token

    def auth_headers(self) -> dict[str, str]:
        value = self._token.get_secret_value()
        return {self.header: f"{self.scheme} {value}" if self.scheme else value}

    def invalidate(self) -> None:
        """Nothing to forget: a static key does not expire (the user replaces it)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(header={self.header!r}, token='***')"


class BearerToken(HeaderToken):
    """``Authorization: Bearer <token>`` for a static token (a private app token, a
    personal access token)."""

    def __init__(self, token: SecretStr) -> None:
        super().__init__("Authorization", token, scheme="Bearer")


class BasicToken(HeaderToken):
    """HTTP basic authentication: ``Authorization: Basic base64(username:password)``
    (Mailchimp takes any user name with the API key as the password)."""

    def __init__(self, username: str, password: SecretStr) -> None:
        super().__init__("Authorization", password, scheme="Basic")
        self.username = username

    def auth_headers(self) -> dict[str, str]:
        import base64

        pair = f"{self.username}:{self._token.get_secret_value()}".encode()
        return {self.header: "Basic " + base64.b64encode(pair).decode("ascii")}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, password='***')"


def require_safe_url(url: str, what: str, *, platform: str | None = None) -> None:
    """Raise :class:`~marketing_platform.errors.ConfigurationError` unless ``url`` is
    ``https://`` (plain ``http://`` only for a loopback host) without credentials.

    ``what`` names the URL in the message (a variable such as ``ACME_BASE_URL``); the
    message never shows a ``user:password@`` part. Base URLs get the full
    :func:`~marketing_platform.settings.check_base_url` rule (no query, no fragment);
    this is the part of it that holds for any URL a request goes to."""
    try:
        parsed = httpx.URL(url)
        problem = None
        if parsed.userinfo:
            problem = f"{what} must not carry credentials (user:password@); set them in their own variables"
        elif parsed.scheme not in {"http", "https"} or not parsed.host:
            problem = f"{what} must be a URL like https://host"
        elif parsed.scheme == "http" and not is_loopback_host(parsed.host):
            problem = f"{what} must use https:// (plain http is allowed only for loopback hosts)"
    except httpx.InvalidURL:
        problem = f"{what} must be a URL like https://host"
    if problem:
        raise ConfigurationError(problem, platform=platform, code="settings", hint=_URL_HINT)


_URL_HINT = (
    "use the vendor's https:// address; plain http:// is only for a fake on 127.0.0.1 / localhost, "
    "and credentials go in their own settings, never in a URL"
)


@dataclass(frozen=True)
class RateHeaders:
    """Where a vendor's responses say how much of its rate limit is left.

    Give it to :meth:`MarketingPlatform.make_http` (``rate_headers=``): after every
    response the values are fed to the budget, which pauses every caller only when the
    vendor counts calls this process did not make, or none are left (see
    :meth:`RateBudget.observe`). Header names are case-insensitive. Example (HubSpot)::

        RateHeaders(
            remaining="X-HubSpot-RateLimit-Remaining",
            limit="X-HubSpot-RateLimit-Max",
            interval_ms="X-HubSpot-RateLimit-Interval-Milliseconds",
        )
    """

    remaining: str
    """The header holding the calls left in the vendor's window."""
    limit: str | None = None
    """The header holding the calls allowed per window (else the budget's own figure)."""
    interval_seconds: float | None = None
    """The vendor's window in seconds, when no header says it."""
    interval_ms: str | None = None
    """The header holding the window in milliseconds."""
    reset: str | None = None
    """The header saying when the window resets: seconds from now, or a Unix time
    (with ``reset_is_epoch``)."""
    reset_is_epoch: bool = False

    def read(
        self, headers: httpx.Headers, now: float
    ) -> tuple[int | None, float | None, int | None, float | None]:
        """``(remaining, interval_seconds, limit, reset_after)`` from ``headers``;
        a missing or malformed header is None."""
        interval = _number(headers.get(self.interval_ms)) if self.interval_ms else None
        reset = _number(headers.get(self.reset)) if self.reset else None
        if reset is not None and self.reset_is_epoch:
            reset = max(reset - now, 0.0)
        remaining = _number(headers.get(self.remaining))
        limit = _number(headers.get(self.limit)) if self.limit else None
        return (
            None if remaining is None else int(remaining),
            interval / 1000 if interval is not None else self.interval_seconds,
            None if limit is None or limit < 1 else int(limit),
            reset,
        )


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP
    date), or None when it is missing or malformed."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max((moment - datetime.fromtimestamp(current, UTC)).total_seconds(), 0.0)


@dataclass(frozen=True)
class _Request:
    """One logical request, as given to :meth:`PlatformHTTP.call`."""

    method: str
    path: str
    params: Mapping[str, Any] | None
    data: Mapping[str, Any] | None
    json: Any
    files: Any
    headers: Mapping[str, str] | None
    authenticated: bool
    counted: bool


def after_send(error: MarketingPlatformError) -> MarketingPlatformError:
    """Mark ``error`` as raised after the vendor may have applied the request (a read
    timeout, a dropped connection, a gateway error after a create). PlatformHTTP retries
    such an error only when the request is idempotent; otherwise it is raised as not
    retryable, with a hint that replay looks the object up first. Returns ``error``."""
    error.after_send = True
    return error


def _retry_after_wait(
    base: float, cap: float, longest: float, rng: random.Random
) -> Callable[[RetryCallState], float]:
    """Full-jitter exponential backoff, or the vendor's Retry-After (at most ``longest``
    seconds) when it gave one."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            return min(float(exc.retry_after), longest) + rng.uniform(0, base)
        ceiling = min(cap, base * (2 ** (state.attempt_number - 1)))
        return rng.uniform(base / 2, ceiling)

    return wait


class PlatformHTTP:
    """An adapter's HTTP client. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        budget: RateBudget,
        timeout: float = 30.0,
        tokens: TokenProvider | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        sleep: Sleep = time.sleep,
        seed: int | None = None,
        http2: bool = False,
        rate_headers: RateHeaders | None = None,
        setting: str | None = None,
    ) -> None:
        # The core's rule, whatever the adapter's settings checked: https (http only for
        # loopback), no credentials (httpx would send them as Basic auth and show them in
        # every URL it prints), no query or fragment. ``setting`` names the variable.
        try:
            check_base_url(base_url, setting or f"the base URL of {platform}")
        except ValueError as exc:
            raise ConfigurationError(str(exc), platform=platform, code="settings", hint=_URL_HINT) from None
        self.platform = platform
        self.budget = budget
        self.tokens = tokens
        self.rate_headers = rate_headers
        self.max_attempts = max_attempts
        # A vendor's Retry-After is honoured up to a window (or the backoff cap): a bogus
        # "wait a day" must not freeze every caller.
        self._longest_pause = max(backoff_cap, budget.limits.per_seconds)
        # One Retrying per client: tenacity keeps its per-call state thread-local.
        self._retrying = Retrying(
            stop=self._stop,
            wait=_retry_after_wait(backoff_base, backoff_cap, self._longest_pause, random.Random(seed)),
            retry=retry_if_exception(self._should_retry),
            sleep=sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        concurrency = budget.limits.max_concurrent or 10
        self.client = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
            headers={"User-Agent": "marketing-platform", **(headers or {})},
            follow_redirects=False,
            verify=_ssl_context(),
            http2=http2 and transport is None and _h2_available(),
        )

    # ------------------------------------------------------------------ public
    def call(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
        counted: bool = True,
    ) -> T:
        """Send one logical request and return ``parse(response)``.

        Retries retryable errors (rate limits, 5xx, timeouts when idempotent) with
        backoff, waits out a vendor's rate-limit answer for every caller, and
        re-authenticates once on :class:`TokenExpired`. ``files`` may be a callable
        returning the ``files`` argument, so each attempt opens fresh file handles.

        A transport failure after the request may have reached the vendor, or a 5xx answer
        other than 503 that ``parse`` maps to :class:`PlatformUnavailable`, is raised as
        not retryable unless the request is idempotent.
        """
        method = method.upper()
        if "://" in path.partition("?")[0]:  # an absolute URL replaces the base URL: same rule
            require_safe_url(path, f"the URL of a {method} request", platform=self.platform)
        request = _Request(method, path, params, data, json, files, headers, authenticated, counted)
        safe_to_repeat = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        reauthenticated = False

        def attempt(request: _Request) -> T:  # the argument is for the retry log (state.args)
            nonlocal reauthenticated
            try:
                try:
                    return _parsed(self._send_once(request), parse)
                except TokenExpired:
                    if reauthenticated or self.tokens is None:
                        raise
                    reauthenticated = True
                    self.tokens.invalidate()
                    return _parsed(self._send_once(request), parse)
            except MarketingPlatformError as exc:
                if exc.after_send and exc.retryable and not safe_to_repeat:
                    exc.retryable = False
                    exc.hint = _MAY_HAVE_APPLIED
                raise

        return self._retrying(attempt, request)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> PlatformHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PlatformHTTP(platform={self.platform!r}, base_url={str(self.client.base_url)!r})"

    # ----------------------------------------------------------------- helpers
    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        limit = exc.max_attempts if isinstance(exc, MarketingPlatformError) else None
        if limit is not None and state.attempt_number >= limit:
            return True
        return state.attempt_number >= self.max_attempts

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitError) and exc.retry_after is not None and exc.retryable:
            self.budget.pause(min(exc.retry_after, self._longest_pause))
        return isinstance(exc, MarketingPlatformError) and exc.retryable

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        (request,) = state.args
        log.warning(
            "%s %s %s attempt %d failed (%s); retrying in %.2fs",
            self.platform,
            request.method,
            request.path,
            state.attempt_number,
            redact(str(exc)),
            state.upcoming_sleep,
        )

    def _send_once(self, request: _Request) -> httpx.Response:
        headers = dict(request.headers or {})
        if request.authenticated and self.tokens is not None:
            headers.update(self.tokens.auth_headers())
        files = request.files() if callable(request.files) else request.files
        try:
            if request.counted:
                with self.budget.slot() as admitted:
                    return self._transmit(request, headers, files, admitted)
            return self._transmit(request, headers, files, None)
        finally:
            _close_files(files)

    def _transmit(
        self, request: _Request, headers: dict[str, str], files: Any, admitted: float | None
    ) -> httpx.Response:
        from .telemetry import record_retry, request_span

        method, path = request.method, request.path
        attempt = int(self._retrying.statistics.get("attempt_number", 1) or 1)
        if attempt > 1:
            record_retry(self.platform)
        url = self.client.base_url
        started = time.perf_counter()
        with request_span(
            method=method, host=url.host, port=url.port, resend_count=attempt - 1, clock=time.perf_counter
        ) as span:
            try:
                response = self.client.request(
                    method,
                    path,
                    params=request.params,
                    data=request.data,
                    json=request.json,
                    files=files,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                span.failed(type(exc).__name__)
                raise self._transport_error(method, path, exc) from exc
            span.answered(response.status_code)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %s -> %d in %.0f ms", self.platform, method, path, response.status_code, elapsed)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %s request body: %s", self.platform, method, path, _shown(request.json or request.data)
            )
            log.debug("%s %s %s response body: %s", self.platform, method, path, _shown(response.text))
        if self.rate_headers is not None:
            remaining, interval, limit, reset = self.rate_headers.read(response.headers, time.time())
            self.budget.observe(remaining, interval, limit=limit, reset_after=reset, sent_at=admitted)
        return response

    def _transport_error(self, method: str, path: str, exc: httpx.TransportError) -> MarketingPlatformError:
        """The taxonomy's error for a failed transmission. A host that does not resolve
        is named and not retried (it will not resolve a second later)."""
        host = self.client.base_url.host
        if _unresolvable(exc):
            return PlatformUnavailable(
                f"cannot resolve the host {host} of {self.platform}",
                platform=self.platform,
                code="dns",
                retryable=False,
                hint="check the base URL setting (a typo?) and the machine's DNS / network",
            )
        timed_out = isinstance(exc, httpx.TimeoutException)
        error = PlatformUnavailable(
            f"{method} {path} timed out" if timed_out else f"{method} {path} failed: {type(exc).__name__}",
            platform=self.platform,
            code="timeout" if timed_out else "network",
            hint="the platform is slow or unreachable; raise MARKETING_PLATFORM_TIMEOUT or retry later"
            if timed_out
            else "check the base URL and network connectivity",
        )
        return error if isinstance(exc, _NOT_SENT) else after_send(error)


def _unresolvable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is a failed host-name look-up."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror) or "Name or service not known" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _shown(body: Any, limit: int = 2000) -> str:
    """A body for the DEBUG log: JSON or text with every credential masked (by key, and
    every registered secret), at most ``limit`` characters."""
    if body is None or body == "":
        return "-"
    text = (
        mask_secret_text(body)
        if isinstance(body, str)
        else jsonlib.dumps(mask_secret_fields(body), default=str)
    )
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _parsed(response: httpx.Response, parse: Callable[[httpx.Response], T]) -> T:
    """``parse(response)``; a :class:`PlatformUnavailable` for a 5xx other than 503 is
    marked :func:`after_send`: a 500 or a gateway error (502, 504, ...) may come after
    the vendor applied the request, so only an idempotent request is repeated. A 503
    means the request was not processed, and stays plainly retryable."""
    try:
        return parse(response)
    except PlatformUnavailable as exc:
        if response.status_code >= 500 and response.status_code != 503:
            after_send(exc)
        raise


def _close_files(files: Any) -> None:
    """Close every file object inside an httpx ``files`` argument."""
    if not files:
        return
    entries = files.values() if isinstance(files, Mapping) else [v for _, v in files]
    for entry in entries:
        handle = entry[1] if isinstance(entry, tuple) and len(entry) > 1 else entry
        close = getattr(handle, "close", None)
        if callable(close):
            close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client (loading the CA bundle is slow)."""
    return httpx.create_ssl_context()


def _h2_available() -> bool:
    try:
        import h2  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def json_body(response: httpx.Response) -> Any | None:
    """The response's JSON, or None when the body is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None

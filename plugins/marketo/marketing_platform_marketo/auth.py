"""The Marketo access token: fetched with client credentials, cached, refreshed on 601/602.

Contract (a :class:`~marketing_platform.http.TokenProvider`):

* ``auth_headers()`` returns ``{"Authorization": "Bearer <token>"}``, fetching a token
  with ``POST /identity/oauth/token`` (form body ``grant_type=client_credentials``,
  ``client_id``, ``client_secret``; credentials never go in a URL) when none is cached
  or the cached one has expired by the injected clock.
* One token per ``(base_url, client_id)`` for the whole process, shared by every
  adapter instance and thread; a lock makes concurrent callers wait for one fetch.
* ``invalidate()`` forgets the token *this thread* last used, and only if the cache
  still holds it: many threads seeing 601 at once cause one fetch, not one each.
* Marketo returns the *same* token with its remaining life when asked before expiry.
  A token that comes back with less than ``min_life`` seconds left is waited out (with
  the injected sleep) and fetched again, so a refresh really renews it.
* Identity calls do not count against Marketo's limits (``counted=False``).
* HTTP 401 (or any error answer) from identity is an :class:`AuthenticationError`
  naming ``MARKETO_CLIENT_ID`` / ``MARKETO_CLIENT_SECRET``; it never contains the secret
  and an unexpected body never raises ``KeyError``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from marketing_platform.errors import (
    AuthenticationError,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.http import PlatformHTTP, json_body
from marketing_platform.ratelimit import Clock, Sleep
from marketing_platform.redaction import redact, register_secret

from .errors import PLATFORM

IDENTITY_PATH = "/identity/oauth/token"
_CHECK = "check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET (Admin > LaunchPoint > View Details)"


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float

    def __repr__(self) -> str:
        return f"_Token(value='***', expires_at={self.expires_at})"


_cache: dict[tuple[str, str], _Token] = {}
_locks: dict[tuple[str, str], threading.Lock] = {}
_registry_lock = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token (tests; after rotating credentials)."""
    with _registry_lock:
        _cache.clear()


def _lock_for(key: tuple[str, str]) -> threading.Lock:
    with _registry_lock:
        return _locks.setdefault(key, threading.Lock())


def _error_detail(body: Any, default: str = "") -> str:
    """The identity answer's ``error_description`` (else ``error``, else ``default``)."""
    if not isinstance(body, dict):
        return default
    return str(body.get("error_description") or body.get("error") or default)


def parse_token(response: httpx.Response) -> tuple[str, float]:
    """``(access_token, expires_in)`` from an identity answer, or a core error."""
    body = json_body(response)
    if response.status_code == 403:
        raise PermissionDenied(
            "Marketo identity refused access (HTTP 403)",
            platform=PLATFORM,
            code="identity_403",
            hint="check the instance's IP allow-list (Admin > Web Services) and that the API user is active",
        )
    if response.status_code in (400, 401):
        detail = _error_detail(body)
        raise AuthenticationError(
            "Marketo identity refused the client credentials"
            + (f": {redact(detail)}" if detail else f" (HTTP {response.status_code})"),
            platform=PLATFORM,
            code=f"identity_{response.status_code}",
            hint=_CHECK,
        )
    if response.status_code == 429:
        raise RateLimitError(
            "Marketo identity answered HTTP 429",
            platform=PLATFORM,
            code="identity_429",
            scope="window",
            hint="too many token requests; the adapter caches its token, so check for other integrations",
        )
    if response.status_code >= 500 or not isinstance(body, dict):
        raise PlatformUnavailable(
            f"Marketo identity answered HTTP {response.status_code} without a token",
            platform=PLATFORM,
            code="identity_unavailable",
            hint="retry later; check MARKETO_BASE_URL is https://<munchkin-id>.mktorest.com",
        )
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        detail = _error_detail(body, "no access_token in the answer")
        raise AuthenticationError(
            f"Marketo identity did not issue a token: {redact(detail)}",
            platform=PLATFORM,
            code="identity_error",
            hint=_CHECK,
        )
    register_secret(token)  # an access token is a secret too: mask it wherever it is echoed
    try:
        expires_in = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600.0
    return token, expires_in


class MarketoTokenProvider:
    """Thread-safe client-credentials token provider (see the module docstring)."""

    def __init__(
        self,
        http: PlatformHTTP,
        *,
        base_url: str,
        client_id: str,
        client_secret: SecretStr,
        clock: Clock,
        sleep: Sleep,
        min_life: float = 30.0,
    ) -> None:
        self._http = http
        self._key = (base_url, client_id)
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._sleep = sleep
        self.min_life = min_life
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"MarketoTokenProvider(base_url={self._key[0]!r}, client_id={self._client_id!r})"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def token(self) -> str:
        """The cached token, or a freshly fetched one."""
        with _lock_for(self._key):
            cached = _cache.get(self._key)
            if cached is None or cached.expires_at <= self._clock():
                cached = self._fetch()
                _cache[self._key] = cached
        self._local.token = cached.value
        return cached.value

    def invalidate(self) -> None:
        used = getattr(self._local, "token", None)
        with _lock_for(self._key):
            cached = _cache.get(self._key)
            if cached is not None and (used is None or cached.value == used):
                del _cache[self._key]

    def _fetch(self) -> _Token:
        value, expires_in = self._request()
        if expires_in < self.min_life:
            # Asking early returns the same token: wait it out, then ask again once.
            self._sleep(max(expires_in, 0.0) + 1.0)
            value, expires_in = self._request()
        return _Token(value, self._clock() + expires_in)

    def _request(self) -> tuple[str, float]:
        form: dict[str, Any] = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        return self._http.call(
            "POST",
            IDENTITY_PATH,
            parse_token,
            data=form,
            idempotent=True,
            authenticated=False,
            counted=False,
        )

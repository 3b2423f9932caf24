"""Token providers for :class:`~marketing_platform.http.PlatformHTTP`.

* :class:`PrivateAppToken`: a static private app token (cannot be refreshed).
* :class:`OAuthRefresh`: exchanges the refresh token at ``POST /oauth/v1/token`` for an
  access token, refreshes it ahead of ``expires_in`` (by the adapter's injected clock)
  and again when HubSpot answers 401 ``EXPIRED_AUTHENTICATION`` (PlatformHTTP calls
  :meth:`OAuthRefresh.invalidate`). Both are thread-safe and never show a secret in
  their ``repr``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from marketing_platform.errors import AuthenticationError
from marketing_platform.http import BearerToken
from marketing_platform.ratelimit import Clock
from marketing_platform.redaction import register_secret

from .errors import PLATFORM, error_from_response

if TYPE_CHECKING:
    from marketing_platform.http import PlatformHTTP

TOKEN_PATH = "/oauth/v1/token"  # noqa: S105 (a path, not a secret)
#: Refresh this many seconds before HubSpot's ``expires_in`` runs out.
REFRESH_MARGIN_SECONDS = 300.0


class PrivateAppToken(BearerToken):
    """``Authorization: Bearer <private app token>`` (the core's static
    :class:`~marketing_platform.http.BearerToken`). ``refreshable`` is False: a 401 is
    final, a private app token can only be replaced by the user."""


@dataclass(frozen=True)
class _Grant:
    access_token: str
    refresh_token: str | None
    expires_in: float


def _parse_grant(response: httpx.Response) -> _Grant:
    if response.status_code >= 400:
        raise error_from_response(response)
    try:
        data: Any = response.json()
        token = str(data["access_token"])
        expires_in = float(data.get("expires_in") or 1800)
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError(
            "HubSpot's token endpoint gave an unexpected answer",
            platform=PLATFORM,
            code="oauth",
            hint="check HUBSPOT_BASE_URL points at HubSpot's API",
        ) from None
    refresh = data.get("refresh_token")
    return _Grant(token, str(refresh) if refresh else None, expires_in)


class OAuthRefresh:
    """OAuth access tokens from a refresh token. Bind the HTTP client with :meth:`bind`
    before the first :meth:`auth_headers` call."""

    refreshable = True

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: SecretStr,
        refresh_token: SecretStr,
        clock: Clock,
        margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._access: SecretStr | None = None
        self._expires_at = 0.0
        self._http: PlatformHTTP | None = None
        self._used = threading.local()  # the access token this thread last sent
        self.refreshes = 0

    def bind(self, http: PlatformHTTP) -> None:
        """Use ``http`` (unauthenticated calls) for the token endpoint."""
        self._http = http

    def auth_headers(self) -> dict[str, str]:
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at:
                self._refresh()
            assert self._access is not None
            token = self._access.get_secret_value()
        self._used.token = token
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        """Forget the cached token if it is the one this thread sent (another thread may
        have refreshed it already after the same 401: then keep the new one)."""
        used = getattr(self._used, "token", None)
        with self._lock:
            if self._access is not None and (used is None or self._access.get_secret_value() == used):
                self._access = None

    def _refresh(self) -> None:
        if self._http is None:
            raise RuntimeError("OAuthRefresh.bind(http) was not called")
        grant = self._http.call(
            "POST",
            TOKEN_PATH,
            _parse_grant,
            data={
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret.get_secret_value(),
                "refresh_token": self._refresh_token.get_secret_value(),
            },
            authenticated=False,
            idempotent=True,
        )
        register_secret(grant.access_token)
        self._access = SecretStr(grant.access_token)
        # Refresh ahead of expiry: by the margin, or halfway through a very short life.
        lead = min(self._margin, grant.expires_in / 2)
        self._expires_at = self._clock() + grant.expires_in - lead
        if grant.refresh_token and grant.refresh_token != self._refresh_token.get_secret_value():
            register_secret(grant.refresh_token)
            self._refresh_token = SecretStr(grant.refresh_token)
        self.refreshes += 1

    def __repr__(self) -> str:
        return f"OAuthRefresh(client_id={self._client_id!r}, client_secret=***, refresh_token=***)"

"""Server-to-server OAuth (client credentials) as a core ``TokenProvider``.

``POST {auth}/v2/token`` with ``{"grant_type": "client_credentials", "client_id",
"client_secret"[, "account_id": MID][, "scope"]}`` answers ``access_token``,
``expires_in`` (a bit under 20 minutes), ``scope`` and ``rest_instance_url``, the REST
host of the tenant. The token is reused until shortly before it expires (by the
adapter's clock; Marketing Cloud asks for about one token request per 20 minutes), and
fetched again once when a REST call answers 401 (PlatformHTTP calls :meth:`invalidate`
and retries). One provider per adapter instance: one token per (client id, MID).
Thread-safe; its ``repr`` never shows a secret.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from marketing_platform.errors import AuthenticationError, ConfigurationError
from marketing_platform.ratelimit import Clock
from marketing_platform.redaction import register_secret
from marketing_platform.settings import check_base_url

from .errors import PLATFORM, token_error

if TYPE_CHECKING:
    from marketing_platform.http import PlatformHTTP

    from .settings import SfmcSettings

TOKEN_PATH = "/v2/token"  # noqa: S105 (a path, not a secret)
#: Fetch a new token this many seconds before ``expires_in`` runs out.
REFRESH_MARGIN_SECONDS = 60.0
#: When the answer gives no ``expires_in``: Marketing Cloud tokens live 20 minutes.
DEFAULT_EXPIRES_IN = 1080.0


@dataclass(frozen=True)
class Grant:
    """One token answer: the token, its life, the scopes granted and the REST host."""

    access_token: str
    expires_in: float
    scopes: frozenset[str] | None
    rest_instance_url: str | None


def parse_grant(response: httpx.Response) -> Grant:
    if response.status_code >= 400:
        raise token_error(response)
    try:
        data: Any = response.json()
        token = str(data["access_token"])
        expires_in = float(data.get("expires_in") or DEFAULT_EXPIRES_IN)
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError(
            "Marketing Cloud's token endpoint gave an unexpected answer",
            platform=PLATFORM,
            code="oauth",
            hint="check SFMC_SUBDOMAIN / SFMC_AUTH_BASE_URL point at the tenant's auth host",
        ) from None
    scope = data.get("scope")
    scopes = frozenset(str(scope).split()) if isinstance(scope, str) and scope.strip() else None
    rest = data.get("rest_instance_url")
    return Grant(token, expires_in, scopes, str(rest) if rest else None)


class ClientCredentials:
    """Access tokens from the client id and secret. Call :meth:`bind` with the
    (unauthenticated) auth-host client before the first :meth:`auth_headers`."""

    refreshable = True

    def __init__(
        self, settings: SfmcSettings, *, clock: Clock, margin: float = REFRESH_MARGIN_SECONDS
    ) -> None:
        self._client_id = settings.client_id
        self._client_secret: SecretStr = settings.client_secret
        self._account_id = settings.account_id
        self._scope = settings.scope
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._access: SecretStr | None = None
        self._expires_at = 0.0
        self._grant: Grant | None = None
        self._http: PlatformHTTP | None = None
        self._used = threading.local()  # the token this thread last sent
        self.fetches = 0

    def bind(self, http: PlatformHTTP) -> None:
        self._http = http

    def auth_headers(self) -> dict[str, str]:
        token = self._current()
        self._used.token = token
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        """Forget the token this thread sent (another thread may have replaced it
        already after the same 401: then keep the new one)."""
        used = getattr(self._used, "token", None)
        with self._lock:
            if self._access is not None and (used is None or self._access.get_secret_value() == used):
                self._access = None

    def grant(self) -> Grant:
        """The current token answer (fetching a token when there is none)."""
        self._current()
        assert self._grant is not None
        return self._grant

    def rest_base_url(self) -> str:
        """The REST host from the token answer, checked like any base URL."""
        url = self.grant().rest_instance_url
        if not url:
            raise ConfigurationError(
                "Marketing Cloud's token answer names no rest_instance_url",
                platform=PLATFORM,
                code="rest_instance_url",
                hint="set SFMC_REST_BASE_URL to the tenant's REST host (https://<subdomain>.rest.marketingcloudapis.com)",
            )
        try:
            return check_base_url(url, "rest_instance_url")
        except ValueError as exc:
            raise ConfigurationError(
                f"Marketing Cloud's token answer names an unusable REST host: {exc}",
                platform=PLATFORM,
                code="rest_instance_url",
                hint="set SFMC_REST_BASE_URL to the tenant's REST host",
            ) from None

    def _current(self) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at:
                self._fetch()
            assert self._access is not None
            return self._access.get_secret_value()

    def _fetch(self) -> None:
        if self._http is None:
            raise RuntimeError("ClientCredentials.bind(http) was not called")
        body: dict[str, Any] = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        if self._account_id:
            body["account_id"] = self._account_id
        if self._scope:
            body["scope"] = self._scope
        grant = self._http.call(
            "POST", TOKEN_PATH, parse_grant, json=body, authenticated=False, idempotent=True
        )
        register_secret(grant.access_token)
        self._grant = grant
        self._access = SecretStr(grant.access_token)
        # Shortly before expiry: by the margin, or halfway through a very short life.
        lead = min(self._margin, grant.expires_in / 2)
        self._expires_at = self._clock() + grant.expires_in - lead
        self.fetches += 1

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(client_id={self._client_id!r}, client_secret=***, "
            f"account_id={self._account_id!r})"
        )

"""Salesforce OAuth access tokens as a core ``TokenProvider``.

``POST <token host>/services/oauth2/token`` (form-encoded) with either

* ``grant_type=client_credentials`` + the connected app's consumer key and secret (the
  app needs a "Run As" user; Salesforce documents this flow on the org's My Domain), or
* ``grant_type=refresh_token`` + key, secret and ``PARDOT_REFRESH_TOKEN``.

Salesforce answers ``{access_token, instance_url, id, token_type, issued_at, signature,
scope}`` **without** ``expires_in`` (a token lives as long as the org's session
timeout), so the token is kept until Account Engagement refuses it (code 184): the HTTP
layer then calls :meth:`SalesforceOAuth.invalidate` and repeats the call once with a new
token. Thread-safe; the repr shows no secret; tokens are registered for redaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from marketing_platform.errors import AuthenticationError
from marketing_platform.redaction import register_secret

from .errors import error_for
from .settings import PLATFORM, AuthMode

if TYPE_CHECKING:
    from marketing_platform.http import PlatformHTTP


@dataclass(frozen=True)
class Grant:
    """The useful, non-secret parts of a token answer, plus the token itself."""

    access_token: SecretStr
    scope: str | None
    instance_url: str | None


def parse_grant(response: httpx.Response) -> Grant:
    """A token endpoint answer; raises AuthenticationError (or the mapped error)."""
    if not response.is_success:
        raise error_for(response, refreshable=False)
    try:
        data: Any = response.json()
        token = str(data["access_token"])
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError(
            "the Salesforce token endpoint gave an unexpected answer (no access_token)",
            platform=PLATFORM,
            code="oauth",
            hint="check PARDOT_TOKEN_URL: the org's My Domain (https://<domain>.my.salesforce.com) "
            "or https://login.salesforce.com",
        ) from None
    register_secret(token)
    scope = data.get("scope")
    instance = data.get("instance_url")
    return Grant(SecretStr(token), str(scope) if scope else None, str(instance) if instance else None)


class SalesforceOAuth:
    """Access tokens for Account Engagement. :meth:`bind` the token endpoint's HTTP
    client before the first :meth:`auth_headers` call."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: SecretStr,
        refresh_token: SecretStr | None,
        token_path: str,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._token_path = token_path
        self._lock = threading.Lock()
        self._grant: Grant | None = None
        self._http: PlatformHTTP | None = None
        self._used = threading.local()  # the access token this thread last sent
        self.fetches = 0

    @property
    def mode(self) -> AuthMode:
        return "refresh_token" if self._refresh_token is not None else "client_credentials"

    def bind(self, http: PlatformHTTP) -> None:
        """Use ``http`` (the token host; unauthenticated, uncounted calls)."""
        self._http = http

    def form(self, *, masked: bool = False) -> dict[str, str]:
        """The token request's form (secrets as ``***`` when ``masked``)."""

        def secret(value: SecretStr) -> str:
            return "***" if masked else value.get_secret_value()

        form = {"grant_type": self.mode, "client_id": self._client_id}
        form["client_secret"] = secret(self._client_secret)
        if self._refresh_token is not None:
            form["refresh_token"] = secret(self._refresh_token)
        return form

    def grant(self) -> Grant:
        """The current grant, fetched when there is none."""
        with self._lock:
            if self._grant is None:
                self._grant = self._fetch()
            return self._grant

    def auth_headers(self) -> dict[str, str]:
        token = self.grant().access_token.get_secret_value()
        self._used.token = token
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        """Forget the token if it is the one this thread sent (another thread may have
        replaced it already after the same refusal: then keep the new one)."""
        used = getattr(self._used, "token", None)
        with self._lock:
            grant = self._grant
            if grant is not None and (used is None or grant.access_token.get_secret_value() == used):
                self._grant = None

    def _fetch(self) -> Grant:
        if self._http is None:
            raise RuntimeError("SalesforceOAuth.bind(http) was not called")
        grant = self._http.call(
            "POST",
            self._token_path,
            parse_grant,
            data=self.form(),
            authenticated=False,
            idempotent=True,  # asking for a token twice changes nothing
            counted=False,  # the token host is Salesforce's, not the business unit's budget
        )
        self.fetches += 1
        return grant

    def __repr__(self) -> str:
        return f"SalesforceOAuth(client_id={self._client_id!r}, mode={self.mode!r}, client_secret=***)"

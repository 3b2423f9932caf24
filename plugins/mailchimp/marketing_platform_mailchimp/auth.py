"""HTTP basic authentication with the API key, as a core ``TokenProvider``.

Mailchimp accepts any user name with the API key as the password. The header is built
per request from the ``SecretStr``; nothing here prints the key.
"""

from __future__ import annotations

import base64

from pydantic import SecretStr


class BasicAuth:
    """``Authorization: Basic base64(user:key)``; there is no token to refresh."""

    def __init__(self, api_key: SecretStr, username: str = "marketing-platform") -> None:
        self._api_key = api_key
        self._username = username

    def auth_headers(self) -> dict[str, str]:
        pair = f"{self._username}:{self._api_key.get_secret_value()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def invalidate(self) -> None:
        """Nothing to forget: an API key does not expire (a 401 is final)."""

    def __repr__(self) -> str:
        return f"BasicAuth(username={self._username!r}, api_key='***')"

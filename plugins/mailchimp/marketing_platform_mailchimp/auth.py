"""HTTP basic authentication with the API key: the core's :class:`BasicToken`.

Mailchimp accepts any user name with the API key as the password. The header is built
per request from the ``SecretStr``; nothing here prints the key.
"""

from __future__ import annotations

from pydantic import SecretStr

from marketing_platform.http import BasicToken


class BasicAuth(BasicToken):
    """``Authorization: Basic base64(user:key)``; there is no token to refresh."""

    def __init__(self, api_key: SecretStr, username: str = "marketing-platform") -> None:
        super().__init__(username, api_key)

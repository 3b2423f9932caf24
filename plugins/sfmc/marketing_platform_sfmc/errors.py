"""Marketing Cloud's error answers mapped onto the core taxonomy, in two tables.

REST errors look like ``{"message": .., "errorcode": <int>, "documentation": <url>}``;
the casing varies (``errorcode`` in live answers, ``errorCode`` in Salesforce's OpenAPI,
``Message`` / ``ErrorCode`` on the category pages), so every key is read
case-insensitively. Asset validation adds ``validationErrors: [{message, errorcode}]``,
some answers ``errors: [..]``; transactional answers carry ``requestId``. Business errors
often come back as a plain 400, so the vendor's code is looked up first
(:data:`CODE_RULES`), then the HTTP status (:data:`STATUS_RULES`), then its class. The
token endpoint speaks OAuth (``{"error": "invalid_client", "error_description": ..}``):
:func:`token_error`.

Codes whose HTTP status is not documented (118039 name taken, the customerKey clash)
are recognised by code or message whatever the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from marketing_platform.errors import (
    AuthenticationError,
    Conflict,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.http import TokenExpired, json_body
from marketing_platform.redaction import redact

PLATFORM = "sfmc"
#: Seconds to wait on a 429 that names no ``Retry-After`` / ``retryAfter``.
DEFAULT_RETRY_AFTER = 5.0

#: The vendor code for an asset name already used in the folder (for its asset type).
NAME_TAKEN = "118039"
#: Our code for a customerKey already used in the enterprise (Marketing Cloud documents
#: no code for it; it is recognised by its message).
KEY_TAKEN = "customer_key_taken"
#: A bad asset query (e.g. a ``$filter`` the tenant does not accept).
BAD_QUERY = "30001"


@dataclass(frozen=True)
class Rule:
    """How one answer maps: the core error class, the hint, and whether retrying can
    help (None = the class default)."""

    kind: type[MarketingPlatformError]
    hint: str
    retryable: bool | None = None


_SCOPES_HINT = (
    "the installed package lacks a scope or the business unit is not the one it may act in: "
    "add the scopes (Content Builder, Documents and Images, Email, Campaign: read and write) to "
    "the package's API integration, and check SFMC_ACCOUNT_ID; `mplat check -p sfmc` lists what is missing"
)

#: Marketing Cloud ``errorcode`` values (as strings).
CODE_RULES: Mapping[str, Rule] = {
    "0": Rule(TokenExpired, "the access token expired or is invalid; a new one is fetched once"),
    "20002": Rule(PermissionDenied, _SCOPES_HINT),
    "30003": Rule(NotFound, "the object does not exist (or not in this business unit)"),
    "404": Rule(NotFound, "the object does not exist (or not in this business unit)"),
    NAME_TAKEN: Rule(
        Conflict,
        "an asset of that name and type exists in the folder already; rename the content or the asset",
    ),
    BAD_QUERY: Rule(
        MarketingPlatformError,
        "Marketing Cloud refused an asset query; this is a bug in the sfmc adapter, please report it",
        retryable=False,
    ),
    "109110": Rule(Conflict, "this message key was sent in the last two days"),
    "50100": Rule(RateLimitError, "Marketing Cloud's rate limit was hit; lower SFMC_RATE_LIMIT"),
    "50200": Rule(
        RateLimitError,
        "Marketing Cloud temporarily blocked this client for excess traffic: wait a few minutes, "
        "lower SFMC_RATE_LIMIT / SFMC_MAX_CONCURRENT, then `mplat replay --failed`",
        retryable=False,
    ),
    "10000": Rule(PlatformUnavailable, "Marketing Cloud failed to answer; try again later", True),
}

#: HTTP statuses (and status classes 4 / 5) that no code above names.
STATUS_RULES: Mapping[int, Rule] = {
    400: Rule(ContentRejected, "Marketing Cloud rejected the request; fix the content and activate again"),
    401: Rule(TokenExpired, "the access token expired or is invalid; a new one is fetched once"),
    403: Rule(PermissionDenied, _SCOPES_HINT),
    404: Rule(NotFound, "the object does not exist (or not in this business unit)"),
    409: Rule(Conflict, "the object exists already"),
    413: Rule(ContentRejected, "the request is too large (images: at most 5 MB)"),
    429: Rule(RateLimitError, "Marketing Cloud's rate limit was hit; lower SFMC_RATE_LIMIT"),
    4: Rule(MarketingPlatformError, "Marketing Cloud refused the request", retryable=False),
    5: Rule(PlatformUnavailable, "Marketing Cloud failed to answer; it was retried, try again later", True),
}

#: OAuth ``error`` values of ``POST /v2/token``.
OAUTH_RULES: Mapping[str, Rule] = {
    "invalid_client": Rule(
        AuthenticationError,
        "check SFMC_CLIENT_ID and SFMC_CLIENT_SECRET, and that the installed package (server-to-server "
        "API integration) is installed and enabled in this tenant (SFMC_SUBDOMAIN)",
    ),
    "unauthorized_client": Rule(
        AuthenticationError,
        "the package may not use the client_credentials grant: give it a server-to-server API integration",
    ),
    "invalid_grant": Rule(AuthenticationError, "Marketing Cloud refused the grant; check SFMC_ACCOUNT_ID"),
    "invalid_scope": Rule(
        PermissionDenied,
        "SFMC_SCOPE asks for a scope the package does not have; widen the package or unset SFMC_SCOPE",
    ),
    "invalid_request": Rule(
        AuthenticationError, "Marketing Cloud refused the token request; check SFMC_ACCOUNT_ID (a MID)"
    ),
}


def field(body: Mapping[str, Any], name: str) -> Any:
    """``body[name]`` whatever its casing (``errorcode`` / ``errorCode`` / ``ErrorCode``)."""
    wanted = name.lower()
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def _code(body: Mapping[str, Any]) -> str | None:
    code = field(body, "errorcode")
    return None if code is None or code == "" else str(code)


def _problems(body: Mapping[str, Any], message: str) -> list[Problem]:
    problems = []
    for key in ("validationErrors", "errors"):
        for entry in field(body, key) or []:
            if isinstance(entry, Mapping):
                text = field(entry, "message") or field(entry, "errorMessage") or message
                where = field(entry, "property") or field(entry, "field") or ""
                problems.append(Problem(redact(str(where)), redact(str(text))))
            elif isinstance(entry, str):
                problems.append(Problem("", redact(entry)))
    return problems or [Problem("", message)]


def _retry_after(response: httpx.Response, body: Mapping[str, Any]) -> float:
    for value in (response.headers.get("Retry-After"), field(body, "retryAfter")):
        if value is None or value == "":
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER


def key_taken(message: str) -> bool:
    """A message saying a customerKey is in use (no documented code exists for it)."""
    text = message.lower().replace(" ", "")
    return ("customerkey" in text or "externalkey" in text) and any(
        word in text for word in ("already", "unique", "exists", "inuse", "taken", "duplicate")
    )


def _rule(status: int, code: str | None, message: str) -> tuple[Rule, str | None]:
    if code is not None and code in CODE_RULES:
        rule = CODE_RULES[code]
        # errorcode 0 means "not authorised" only on a 401; elsewhere go by the status.
        if code != "0" or status == 401:
            return rule, code
    if status < 500 and key_taken(message):
        return Rule(Conflict, "an asset with this customerKey exists already; it is looked up"), KEY_TAKEN
    if status in STATUS_RULES:
        return STATUS_RULES[status], code
    return STATUS_RULES[5 if status >= 500 else 4], code


def error_from_response(response: httpx.Response) -> MarketingPlatformError:
    """The core error for a failed REST answer (status >= 400). A 401 becomes
    :class:`TokenExpired`: the HTTP layer fetches one fresh token and retries once."""
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    message = redact(str(field(body, "message") or f"Marketing Cloud answered HTTP {status}"))
    rule, code = _rule(status, _code(body), message)
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "code": code or str(status),
        "request_id": field(body, "requestId") or response.headers.get("X-Request-Id"),
        "hint": rule.hint,
    }
    if rule.retryable is not None:
        common["retryable"] = rule.retryable
    if rule.kind is RateLimitError:
        blocked = code == "50200"
        retry_after = None if blocked else _retry_after(response, body)
        return RateLimitError(message, scope="window", retry_after=retry_after, **common)
    if "all shards failed" in message.lower():
        common.update(hint="an asset query paged too deep; narrow it", retryable=False)
        return MarketingPlatformError(message, **common)
    if rule.kind is ContentRejected:
        return ContentRejected(message, problems=_problems(body, message), **common)
    return rule.kind(message, **common)


def token_error(response: httpx.Response) -> MarketingPlatformError:
    """The core error for a failed ``POST /v2/token`` (never :class:`TokenExpired`:
    new credentials cannot come from retrying)."""
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    oauth = str(body.get("error") or "")
    if status == 429 or status >= 500 or (not oauth and _code(body)):
        error = error_from_response(response)
        if not isinstance(error, TokenExpired):
            return error
    rule = OAUTH_RULES.get(oauth) or Rule(
        AuthenticationError,
        "Marketing Cloud refused the credentials: check SFMC_CLIENT_ID / SFMC_CLIENT_SECRET",
    )
    description = redact(str(body.get("error_description") or field(body, "message") or ""))
    message = f"the token request was refused ({oauth or status})" + (
        f": {description}" if description else ""
    )
    return rule.kind(message, platform=PLATFORM, code=oauth or str(status), hint=rule.hint, retryable=False)


def parse(response: httpx.Response) -> Any:
    """A successful answer's JSON (None when empty); raises the mapped error."""
    if response.status_code >= 400:
        raise error_from_response(response)
    if response.status_code == 204 or not response.content:
        return None
    return json_body(response)

"""Mailchimp's error body (RFC 7807 problem+json) mapped onto the core taxonomy.

Mailchimp answers every failure with
``{"type", "title", "status", "detail", "instance", "errors": [{"field", "message"}]}``;
``title`` works as the vendor's error code and ``instance`` identifies the request for
support. One table, by HTTP status:

=========  ==========================================================
status     core error
=========  ==========================================================
400, 422   ContentRejected (``errors`` become ``problems``)
401        AuthenticationError
403        PermissionDenied
404        NotFound
405, 409   Conflict (e.g. acting on a campaign that was already sent)
429        RateLimitError (window; ``Retry-After`` or 1 s), retryable
5xx        PlatformUnavailable, retryable
other      MarketingPlatformError
=========  ==========================================================
"""

from __future__ import annotations

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
from marketing_platform.http import json_body

PLATFORM = "mailchimp"
DEFAULT_RETRY_AFTER = 1.0

_HINTS = {
    401: "check MAILCHIMP_API_KEY: the whole key including its -dc suffix, not revoked",
    403: "the API key's user lacks the role for this (Manager or Admin), or the account is disabled",
    404: "the referenced Mailchimp object does not exist (was it deleted?)",
    409: "the campaign is in a state that forbids this (already sent or scheduled?)",
    429: "Mailchimp allows 10 simultaneous connections per key; lower MAILCHIMP_MAX_CONCURRENT",
}


def problems_of(body: dict[str, Any]) -> list[Problem]:
    """The field errors of a problem+json body (or its detail when it lists none)."""
    problems = [
        Problem(str(item.get("field") or ""), str(item.get("message") or ""))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    if not problems and body.get("detail"):
        problems.append(Problem("", str(body["detail"])))
    return problems


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def error_for(response: httpx.Response) -> MarketingPlatformError:
    """The core error for a failed Mailchimp response."""
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    title = str(body.get("title") or response.reason_phrase or f"HTTP {status}")
    detail = str(body.get("detail") or "")
    message = f"{title}: {detail}" if detail else title
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "code": title,
        "request_id": response.headers.get("X-Request-Id") or body.get("instance"),
        "hint": _HINTS.get(status),
    }
    if status in (400, 422):
        return ContentRejected(message, problems=problems_of(body), **common)
    if status == 401:
        return AuthenticationError(message, **common)
    if status == 403:
        return PermissionDenied(message, **common)
    if status == 404:
        return NotFound(message, **common)
    if status in (405, 409):
        return Conflict(message, **common)
    if status == 429:
        return RateLimitError(message, scope="window", retry_after=_retry_after(response), **common)
    if status >= 500:
        common["hint"] = "Mailchimp is having trouble; the request is retried, or replay it later"
        return PlatformUnavailable(message, **common)
    return MarketingPlatformError(message, **common)


def parse(response: httpx.Response) -> Any:
    """A successful response's JSON (None for 204 No Content); raises the mapped error."""
    if response.is_success:
        return None if response.status_code == 204 or not response.content else json_body(response)
    raise error_for(response)

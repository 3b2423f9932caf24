"""HubSpot's error answers mapped onto the core taxonomy, in one table.

HubSpot error bodies look like ``{status, message, correlationId, category,
subCategory, context, errors: [{message, code, in, context}]}`` (every field optional);
429s carry ``policyName`` (``TEN_SECONDLY_ROLLING``, ``SECONDLY``, ``DAILY``). The
lookup order is: 429 policy, then ``category``, then HTTP status, then status class.
:func:`error_from_response` builds the exception; it never puts a header value or a
request body in a message, and redacts registered secrets from the vendor's message.
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
    RateLimitScope,
)
from marketing_platform.http import TokenExpired, after_send, json_body
from marketing_platform.redaction import redact

PLATFORM = "hubspot"
_TEN_SECONDS = 10.0
#: The longest ``Retry-After`` the adapter waits out; a longer one fails fast.
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Rule:
    """How one HubSpot answer maps: the core error class, whether retrying can help
    (None = the class default) and what the user should do."""

    kind: type[MarketingPlatformError]
    hint: str
    retryable: bool | None = None


#: THE table. Keys are 429 policy names, error categories (str) and HTTP statuses (int).
ERROR_TABLE: Mapping[str | int, Rule] = {
    # 429 policies
    "TEN_SECONDLY_ROLLING": Rule(
        RateLimitError, "HubSpot's per-10-second limit was hit; set HUBSPOT_RATE_TIER to your tier"
    ),
    "SECONDLY": Rule(RateLimitError, "HubSpot's per-second limit (search endpoints) was hit"),
    "DAILY": Rule(
        RateLimitError,
        "HubSpot's daily API limit is spent; it resets at midnight in the account's time zone",
        retryable=False,
    ),
    # categories
    "VALIDATION_ERROR": Rule(ContentRejected, "fix the fields HubSpot named and activate again"),
    "EXPIRED_AUTHENTICATION": Rule(
        AuthenticationError, "the access token expired; create a new private app token or re-authorise"
    ),
    "INVALID_AUTHENTICATION": Rule(
        AuthenticationError,
        "HubSpot refused the token: check HUBSPOT_ACCESS_TOKEN (or the OAuth app credentials)",
    ),
    "MISSING_SCOPES": Rule(PermissionDenied, "add the missing scopes to the private app or OAuth app"),
    "OBJECT_NOT_FOUND": Rule(NotFound, "check the id (blog, list, campaign) in the content or settings"),
    "OBJECT_ALREADY_EXISTS": Rule(Conflict, "an object of that name exists already; rename or reuse it"),
    "CONFLICT": Rule(Conflict, "an object of that name exists already; rename or reuse it"),
    "BAD_REFRESH_TOKEN": Rule(
        AuthenticationError, "HUBSPOT_REFRESH_TOKEN is invalid or revoked; re-install the OAuth app"
    ),
    "BAD_CLIENT_ID": Rule(AuthenticationError, "check HUBSPOT_CLIENT_ID"),
    "BAD_CLIENT_SECRET": Rule(AuthenticationError, "check HUBSPOT_CLIENT_SECRET"),
    # statuses
    400: Rule(ContentRejected, "HubSpot rejected the request; fix the content and activate again"),
    401: Rule(AuthenticationError, "HubSpot refused the credentials: check HUBSPOT_ACCESS_TOKEN"),
    403: Rule(
        PermissionDenied,
        "the account's HubSpot tier or the app's scopes do not allow this; check both in HubSpot",
    ),
    404: Rule(NotFound, "check the id in the content or settings"),
    409: Rule(Conflict, "an object of that name exists already; rename or reuse it"),
    429: Rule(RateLimitError, "HubSpot's rate limit was hit; lower HUBSPOT_RATE_LIMIT"),
    500: Rule(PlatformUnavailable, "HubSpot failed to answer; it was retried, try again later", True),
    502: Rule(PlatformUnavailable, "HubSpot is briefly unavailable; it was retried, try again later", True),
    503: Rule(PlatformUnavailable, "HubSpot is briefly unavailable; it was retried, try again later", True),
    504: Rule(PlatformUnavailable, "HubSpot timed out; it was retried, try again later", True),
    521: Rule(PlatformUnavailable, "HubSpot is down; it was retried, try again later", True),
    # status classes (4xx / 5xx that none of the above name)
    4: Rule(ContentRejected, "HubSpot rejected the request"),
    5: Rule(PlatformUnavailable, "HubSpot failed to answer; try again later", True),
}

#: What publishing a marketing email needs when HubSpot answers 403 without a scope.
EMAIL_PUBLISH_TIER = "Marketing Hub Enterprise (or the transactional email add-on)"


class MissingScopes(PermissionDenied):
    """A 403 ``MISSING_SCOPES``: ``scopes`` are the scopes the app must be granted."""

    def __init__(self, message: str, *, scopes: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scopes = list(scopes)


def _rule_for(status: int, category: str | None, policy: str | None) -> Rule:
    if status == 429 and policy is not None and policy in ERROR_TABLE:
        return ERROR_TABLE[policy]
    if category and category in ERROR_TABLE:
        return ERROR_TABLE[category]
    if status in ERROR_TABLE:
        return ERROR_TABLE[status]
    return ERROR_TABLE[5 if status >= 500 else 4]


def _problems(body: Mapping[str, Any], message: str) -> list[Problem]:
    problems = []
    for entry in body.get("errors") or []:
        if not isinstance(entry, Mapping):
            continue
        context = entry.get("context") if isinstance(entry.get("context"), Mapping) else {}
        field = entry.get("in") or ""
        if not field and context:
            names = context.get("propertyName") or context.get("field") or context.get("fieldName")
            field = names[0] if isinstance(names, list) and names else str(names or "")
        problems.append(Problem(redact(str(field)), redact(str(entry.get("message") or message))))
    return problems or [Problem("", message)]


def _missing_scopes(body: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    contexts = [body.get("context")] + [
        e.get("context") for e in body.get("errors") or [] if isinstance(e, Mapping)
    ]
    for context in contexts:
        if isinstance(context, Mapping):
            for scope in context.get("missingScopes") or context.get("requiredScopes") or []:
                if str(scope) not in found:
                    found.append(str(scope))
    return found


def _category(body: Mapping[str, Any]) -> str | None:
    """``category``, or the OAuth endpoint's code in ``status`` (e.g. BAD_REFRESH_TOKEN)."""
    category = body.get("category") or body.get("errorType")
    if not category and body.get("status") not in (None, "error"):
        category = body.get("status")
    return str(category) if category else None


def _retry_after(response: httpx.Response) -> float:
    """Seconds HubSpot asks to wait: ``Retry-After``, else its interval header, else 10 s."""
    for header, scale in (("Retry-After", 1.0), ("X-HubSpot-RateLimit-Interval-Milliseconds", 0.001)):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return _TEN_SECONDS


def _too_long_to_wait(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    spelled = " ".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if n)
    return (
        f"HubSpot asked to wait {seconds:.0f} s (Retry-After), longer than the adapter waits "
        f"({MAX_RETRY_AFTER:.0f} s): try again in {spelled or '0s'} (replay the activation then)"
    )


def error_from_response(
    response: httpx.Response, *, refreshable: bool = False, tier: str | None = None
) -> MarketingPlatformError:
    """The core error for a HubSpot error ``response`` (status >= 400).

    ``refreshable``: the token provider can fetch a new token, so a 401
    ``EXPIRED_AUTHENTICATION`` becomes :class:`TokenExpired` (PlatformHTTP refreshes and
    retries once). ``tier``: the product tier this call needs, named in the error when
    HubSpot answers 403 for a reason other than missing scopes.
    """
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    category = _category(body)
    policy = str(body.get("policyName")) if body.get("policyName") else None
    rule = _rule_for(status, category, policy)
    message = redact(str(body.get("message") or f"HubSpot answered HTTP {status}"))
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "code": policy or category or str(status),
        "request_id": body.get("correlationId") or response.headers.get("X-HubSpot-Correlation-Id"),
        "hint": rule.hint,
    }
    if rule.retryable is not None:  # else the class default (RateLimitError: by scope)
        common["retryable"] = rule.retryable
    if rule.kind is RateLimitError:
        scope: RateLimitScope = "daily" if policy == "DAILY" else "window"
        retry_after = None if scope == "daily" else _retry_after(response)
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            # Fail fast rather than hold every caller (the budget pause is shared).
            common.update(retryable=False, hint=_too_long_to_wait(retry_after))
            retry_after = None
        return RateLimitError(message, scope=scope, retry_after=retry_after, **common)
    if rule.kind is ContentRejected:
        return ContentRejected(message, problems=_problems(body, message), **common)
    if rule.kind is PermissionDenied:
        scopes = _missing_scopes(body)
        if scopes:
            common["code"] = "MISSING_SCOPES"
            common["hint"] = (
                f"the HubSpot app lacks the scope(s) {', '.join(scopes)}: add them to the private app "
                "(or the OAuth app's scopes, then re-authorise) and try again"
            )
            return MissingScopes(message, scopes=scopes, **common)
        if tier:
            common["code"] = "tier"
            common["hint"] = f"this needs {tier}; upgrade the HubSpot account or publish it in HubSpot"
        return PermissionDenied(message, **common)
    if rule.kind is AuthenticationError and category == "EXPIRED_AUTHENTICATION" and refreshable:
        return TokenExpired(message, **common)
    error = rule.kind(message, **common)
    if rule.kind is PlatformUnavailable and status >= 500 and status != 503:
        # A 500 or a gateway error (502/504/521) may come after HubSpot applied the change.
        # Retryable, but marked ``after_send``: PlatformHTTP repeats it only when the call
        # is idempotent (reads, PUTs, push-live, schedule, publish); a create is not
        # repeated blindly, and replay looks it up first. 503 means the request was not
        # processed, so it is plainly retryable.
        return after_send(error)
    return error

"""Account Engagement's error answers mapped onto the core taxonomy, in one table.

A v5 error body is ``{"code": 184, "message": "..."}``; the HTTP status is coarse (400,
404, 405 and 429 are seen for very different things), so the numeric ``code`` decides
and the status is the fallback when a body has no code (a proxy, a gateway, the
Salesforce token endpoint). :func:`error_for` builds the exception; messages are the
vendor's, redacted, never a header value or a request body.

Codes that ask for a different action than their class's default:

* 184 (token invalid/expired) -> :class:`TokenExpired`: PlatformHTTP fetches one new
  token and repeats the call once; a second 184 is an AuthenticationError naming the
  ``pardot_api`` scope and the user's sync with Salesforce.
* 66 (more than 5 concurrent calls) -> RateLimitError ``concurrency``, retried after 1 s.
* 202 (minute limit / query timed out) -> RateLimitError ``window``, retried after 60 s.
* 122 (daily limit) or HTTP 429 "Daily API rate limit met" -> RateLimitError ``daily``,
  not retried: the quota resets the next day in the account's time zone.
* 183, 214 (internal error / request timed out) -> PlatformUnavailable marked
  ``after_send``: a read is repeated, a create is not (a list email create *is* a send).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from marketing_platform.errors import (
    AuthenticationError,
    ConfigurationError,
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

from .settings import BUSINESS_UNIT_HINT, PLATFORM

#: Seconds to wait after code 66 (another call finishes within a second or so).
CONCURRENCY_WAIT = 1.0
#: Seconds to wait after code 202 (the minute limit) or an HTTP 429 without Retry-After.
MINUTE_WAIT = 60.0
#: Codes whose answer says "this query shape is not supported" (an unknown filter or
#: field): callers with a fallback (a filter that may not exist) use it.
UNSUPPORTED_QUERY_CODES = frozenset({"154", "180", "224"})
TOKEN_EXPIRED_CODE = "184"  # noqa: S105 (a v5 error code, not a secret)

_FIX_REQUEST = "the request was malformed (a bug in the adapter?); please report it with the activation id"


@dataclass(frozen=True)
class Rule:
    """How one code maps: the core error class, what to do, and (for rate limits) the
    scope and wait; ``retryable`` None = the class default."""

    kind: type[MarketingPlatformError]
    hint: str
    retryable: bool | None = None
    scope: RateLimitScope | None = None
    wait: float | None = None


#: THE table: v5 ``code`` (as a string) -> rule. Sources: the v5 error-code page.
ERROR_TABLE: Mapping[str, Rule] = {
    # authentication and configuration
    "184": Rule(
        AuthenticationError,
        "the access token was refused: the connected app needs the pardot_api scope, and the "
        "Salesforce user behind the token must be an Account Engagement user synced with Salesforce "
        "with access to the business unit",
    ),
    "181": Rule(ConfigurationError, BUSINESS_UNIT_HINT),
    "182": Rule(ConfigurationError, BUSINESS_UNIT_HINT),
    "201": Rule(
        ConfigurationError,
        "the business unit is unknown or inactive on this host: production orgs use "
        "PARDOT_BASE_URL=https://pi.pardot.com, developer/training/sandbox orgs "
        "https://pi.demo.pardot.com; check PARDOT_BUSINESS_UNIT_ID",
    ),
    "126": Rule(
        ConfigurationError, "Account Engagement accepts only Salesforce OAuth; set PARDOT_CLIENT_ID etc."
    ),
    "199": Rule(
        ConfigurationError, "Account Engagement accepts only Salesforce OAuth; set PARDOT_CLIENT_ID etc."
    ),
    "49": Rule(PermissionDenied, "the Salesforce user lacks access to this object in Account Engagement"),
    "46": Rule(PermissionDenied, "the Salesforce user lacks the Account Engagement permission for this"),
    "190": Rule(PermissionDenied, "sending is blocked for this Account Engagement account; contact support"),
    # limits
    "66": Rule(
        RateLimitError,
        "more than 5 concurrent calls for this business unit (other integrations count too); "
        "lower PARDOT_MAX_CONCURRENT",
        scope="concurrency",
        wait=CONCURRENCY_WAIT,
    ),
    "202": Rule(
        RateLimitError,
        "Account Engagement's per-minute limit was met; lower PARDOT_RATE_LIMIT",
        scope="window",
        wait=MINUTE_WAIT,
    ),
    "122": Rule(
        RateLimitError,
        "the business unit's daily API calls are spent (shared with every integration); they reset "
        "tomorrow in the account's time zone: replay the activation then",
        retryable=False,
        scope="daily",
    ),
    # the platform
    "183": Rule(PlatformUnavailable, "Account Engagement failed internally; try again later", True),
    "214": Rule(PlatformUnavailable, "Account Engagement timed out; try again later", True),
    "62": Rule(Conflict, "another update of this record was in progress; it was retried", True),
    # objects
    "109": Rule(NotFound, "the referenced Account Engagement record does not exist"),
    "192": Rule(NotFound, "the referenced Account Engagement object does not exist"),
    "219": Rule(
        NotFound, "the record is in the recycle bin: restore it in Account Engagement or use another"
    ),
    "108": Rule(Conflict, "the asset is in use and cannot be deleted"),
    # content
    "64": Rule(
        ContentRejected,
        "the email lacks a required variable such as the unsubscribe link "
        "(%%unsubscribe%% in PML, {{Unsubscribe}} in HML)",
    ),
    "65": Rule(ContentRejected, "fix the sender or recipient e-mail address"),
    "93": Rule(ContentRejected, "the email template lacks send options (sender, reply-to)"),
    "98": Rule(ContentRejected, "the prospect is not mailable"),
    "95": Rule(ContentRejected, "the folder name is invalid; check PARDOT_FOLDER"),
    "96": Rule(ContentRejected, "the user has no access to the folder; check PARDOT_FOLDER"),
    "97": Rule(ContentRejected, "the folder does not exist; check PARDOT_FOLDER"),
    "216": Rule(ContentRejected, "the folder is full; use another PARDOT_FOLDER"),
    "137": Rule(ContentRejected, "a URL in the content is invalid"),
    "138": Rule(ContentRejected, "a name is too long; shorten the content id"),
    "139": Rule(ContentRejected, "a name is invalid; change the content id"),
    "194": Rule(ContentRejected, "Account Engagement does not accept this file type"),
    "204": Rule(ContentRejected, "the file is empty or larger than 50 MB"),
    "67": Rule(ContentRejected, "the account's object limit is reached; delete unused objects"),
    "128": Rule(
        ContentRejected,
        "campaigns come from Salesforce (Connected Campaigns): create the Campaign in Salesforce",
    ),
    "129": Rule(ContentRejected, "a connected campaign's name and cost are changed in Salesforce"),
    "218": Rule(ContentRejected, "Connected Campaigns are off for this account; turn them on in Setup"),
    "220": Rule(
        ContentRejected,
        "an email template must be usable for at least one of one-to-one, list, autoresponder or drip emails",
    ),
    "150": Rule(ContentRejected, _FIX_REQUEST),
    "151": Rule(ContentRejected, _FIX_REQUEST),
    "152": Rule(ContentRejected, _FIX_REQUEST),
    "153": Rule(ContentRejected, "a required property is missing"),
    "154": Rule(ContentRejected, "a property is invalid"),
    "180": Rule(ContentRejected, _FIX_REQUEST),
    "224": Rule(ContentRejected, _FIX_REQUEST),
    "209": Rule(MarketingPlatformError, _FIX_REQUEST),
    "210": Rule(MarketingPlatformError, "a query's page token expired (4 h); run the activation again"),
    "211": Rule(MarketingPlatformError, _FIX_REQUEST),
    "60": Rule(MarketingPlatformError, _FIX_REQUEST),
}

#: Answers without a v5 code (token endpoint, gateways): by HTTP status.
STATUS_TABLE: Mapping[int, Rule] = {
    400: Rule(ContentRejected, "Account Engagement rejected the request"),
    401: Rule(AuthenticationError, ERROR_TABLE["184"].hint),
    403: Rule(PermissionDenied, "the Salesforce user or connected app lacks a permission for this"),
    404: Rule(NotFound, "the referenced Account Engagement record does not exist"),
    405: Rule(MarketingPlatformError, _FIX_REQUEST),
    409: Rule(Conflict, "the record is in a state that forbids this change"),
    429: Rule(
        RateLimitError, "Account Engagement's rate limit was met; lower PARDOT_RATE_LIMIT", scope="window"
    ),
}

#: Salesforce OAuth errors (``{"error", "error_description"}``) from the token endpoint.
OAUTH_HINTS: Mapping[str, str] = {
    "invalid_client_id": "check PARDOT_CLIENT_ID (the connected app's consumer key)",
    "invalid_client": "check PARDOT_CLIENT_ID and PARDOT_CLIENT_SECRET (the connected app's consumer "
    "key and secret)",
    "invalid_grant": "the refresh token is invalid, expired or revoked, or (client credentials) the app "
    "has no Run As user: re-authorise and set PARDOT_REFRESH_TOKEN, or fix the app's policies",
    "unsupported_grant_type": "this token endpoint does not offer the flow: client credentials need "
    "the org's My Domain in PARDOT_TOKEN_URL (https://<domain>.my.salesforce.com) and the flow enabled "
    "on the connected app",
    "inactive_user": "the Salesforce user behind the token is inactive",
    "inactive_org": "the Salesforce org is inactive or locked",
}

DAILY_MESSAGE = "daily api rate limit"


def _code(body: Mapping[str, Any]) -> str | None:
    code = body.get("code")
    if isinstance(code, bool) or code is None:
        return None
    return str(code).strip() or None


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _problems(message: str) -> list[Problem]:
    return [Problem("", message)]


def error_for(response: httpx.Response, *, refreshable: bool = True) -> MarketingPlatformError:
    """The core error for a failed Account Engagement (or Salesforce OAuth) response.

    ``refreshable``: a 184 (or a bare 401) becomes :class:`TokenExpired`, so the HTTP
    layer fetches one new token and repeats the call."""
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    code = _code(body)
    oauth = str(body.get("error") or "") if "error" in body and code is None else ""
    message = redact(
        str(
            body.get("message")
            or body.get("error_description")
            or oauth
            or f"Account Engagement answered HTTP {status}"
        )
    )
    if oauth:
        return _oauth_error(status, oauth, message, response)
    rule = ERROR_TABLE.get(code) if code else None
    if rule is None:
        rule = STATUS_TABLE.get(status) or (
            Rule(PlatformUnavailable, "Account Engagement failed to answer; try again later", True)
            if status >= 500
            else Rule(ContentRejected, "Account Engagement rejected the request")
        )
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "code": code or str(status),
        "request_id": response.headers.get("X-Request-Id"),
        "hint": rule.hint,
    }
    if rule.retryable is not None:
        common["retryable"] = rule.retryable
    if rule.kind is RateLimitError:
        daily = rule.scope == "daily" or DAILY_MESSAGE in message.lower()
        if daily:
            common.update(retryable=False, hint=ERROR_TABLE["122"].hint)
            return RateLimitError(message, scope="daily", **common)
        wait = _retry_after(response, rule.wait if rule.wait is not None else MINUTE_WAIT)
        return RateLimitError(message, scope=rule.scope or "window", retry_after=wait, **common)
    if rule.kind is AuthenticationError and refreshable and (code == TOKEN_EXPIRED_CODE or code is None):
        return TokenExpired(message, **common)
    if rule.kind is ContentRejected:
        return ContentRejected(message, problems=_problems(message), **common)
    error = rule.kind(message, **common)
    if rule.kind is PlatformUnavailable and (code in {"183", "214"} or status >= 500):
        # The call may have been applied (an internal error, a timeout): PlatformHTTP
        # repeats it only when it is idempotent. A list email create is never repeated.
        return after_send(error)
    return error


def _oauth_error(status: int, oauth: str, message: str, response: httpx.Response) -> MarketingPlatformError:
    """An error from the Salesforce token endpoint."""
    common: dict[str, Any] = {"platform": PLATFORM, "code": oauth, "request_id": None}
    if status >= 500:
        return PlatformUnavailable(
            f"the Salesforce token endpoint failed: {message}", hint="try again later", **common
        )
    if status == 429:
        return RateLimitError(
            f"the Salesforce token endpoint limited the request: {message}",
            scope="window",
            retry_after=_retry_after(response, MINUTE_WAIT),
            hint="too many token requests; try again later",
            **common,
        )
    hint = OAUTH_HINTS.get(oauth, "check PARDOT_CLIENT_ID, PARDOT_CLIENT_SECRET and PARDOT_TOKEN_URL")
    return AuthenticationError(f"Salesforce refused the OAuth request: {message}", hint=hint, **common)


def parse_json(response: httpx.Response) -> Any:
    """A successful response's JSON (None when empty); raises the mapped error."""
    if response.is_success:
        return None if response.status_code == 204 or not response.content else json_body(response)
    raise error_for(response)

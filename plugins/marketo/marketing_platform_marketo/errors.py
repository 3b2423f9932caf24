"""The one table mapping Marketo's error codes onto the core error taxonomy.

Marketo answers HTTP 200 with ``{"success": false, "errors": [{"code": "606", ...}]}``:
the envelope, not the HTTP status, decides. :func:`from_marketo_error` turns one entry
of ``errors[]`` into the matching :class:`~marketing_platform.errors.MarketingPlatformError`
carrying Marketo's code, the ``requestId`` and a hint saying what to do. Codes 601/602
become :class:`~marketing_platform.http.TokenExpired` so the HTTP layer fetches a fresh
token and retries once. Messages come from Marketo's public ``message`` field and are
redacted; no credential is ever formatted into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketing_platform.errors import (
    ConfigurationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.http import TokenExpired
from marketing_platform.redaction import redact

PLATFORM = "marketo"

_OUR_BUG = "this is a bug in marketing-platform-marketo; please report it with the request id"


@dataclass(frozen=True)
class CodeRule:
    """How one Marketo code is handled: the core error class, whether retrying can help,
    the hint, and (for 611) a cap on attempts."""

    error: type[MarketingPlatformError]
    retryable: bool
    hint: str
    max_attempts: int | None = None


#: Every code in the vendor fact sheet. 606/607/615 are built by :func:`from_marketo_error`
#: as RateLimitError with their scope; the entries here give their hints.
CODES: Mapping[str, CodeRule] = {
    "601": CodeRule(TokenExpired, False, "the access token was rejected; a fresh one is fetched once"),
    "602": CodeRule(TokenExpired, False, "the access token expired; a fresh one is fetched once"),
    "603": CodeRule(
        PermissionDenied,
        False,
        "give the API user's role the 'Read-Write Assets' permission and check the instance's "
        "IP allow-list (Admin > Web Services)",
    ),
    "604": CodeRule(PlatformUnavailable, True, "Marketo timed out; retried with backoff"),
    "606": CodeRule(
        RateLimitError,
        True,
        "more than 100 calls in 20 s on this instance (shared by every integration); "
        "lower MARKETO_RATE_LIMIT, e.g. 50/20",
    ),
    "607": CodeRule(
        RateLimitError,
        False,
        "the instance's daily API quota is spent; it resets at 00:00 US Central time",
    ),
    "608": CodeRule(PlatformUnavailable, True, "Marketo's API is temporarily unavailable; retried"),
    "609": CodeRule(MarketingPlatformError, False, f"Marketo could not parse the JSON body; {_OUR_BUG}"),
    "610": CodeRule(
        ConfigurationError,
        False,
        "Marketo does not know this URL; check MARKETO_BASE_URL is https://<munchkin-id>.mktorest.com",
    ),
    "611": CodeRule(PlatformUnavailable, True, "Marketo reported a system error; retried once", 2),
    "612": CodeRule(MarketingPlatformError, False, f"Marketo rejected the Content-Type; {_OUR_BUG}"),
    "613": CodeRule(MarketingPlatformError, False, f"Marketo rejected the multipart body; {_OUR_BUG}"),
    "615": CodeRule(
        RateLimitError,
        True,
        "more than 10 concurrent calls on this instance; lower MARKETO_MAX_CONCURRENT (Adobe advises 5)",
    ),
    "701": CodeRule(ContentRejected, False, "a required field is blank; fill it in the content file"),
    "702": CodeRule(NotFound, False, "Marketo found no such record; check the name or id"),
    "703": CodeRule(
        ContentRejected, False, "this feature is not enabled on the instance; ask your Marketo admin"
    ),
    "704": CodeRule(ContentRejected, False, "a date is invalid; use YYYY-MM-DD (UTC)"),
    "709": CodeRule(
        ContentRejected,
        False,
        "Marketo refused a business rule: approve requires a draft (the asset may be approved "
        "already), and names must be unique in their folder",
    ),
    "710": CodeRule(
        ContentRejected,
        False,
        "the parent folder was not found; create it in Marketo or set MARKETO_PROGRAM_FOLDER / "
        "MARKETO_FILES_FOLDER / MARKETO_TEMPLATE_FOLDER",
    ),
    "711": CodeRule(
        ContentRejected,
        False,
        "the folder has an incompatible type (programs go in Marketing Activities folders, files "
        "and templates in Design Studio folders); choose another folder",
    ),
    "713": CodeRule(PlatformUnavailable, True, "Marketo had a transient error; retried"),
    "719": CodeRule(PlatformUnavailable, True, "Marketo hit a lock wait timeout; retried"),
}

_UNKNOWN = CodeRule(MarketingPlatformError, False, "see Marketo's error-code reference for this code")


def from_marketo_error(
    entry: Mapping[str, Any],
    *,
    request_id: str | None = None,
    hints: Mapping[str, str] | None = None,
    window_seconds: float = 20.0,
) -> MarketingPlatformError:
    """The core error for one ``errors[]`` entry of a Marketo envelope.

    ``hints`` overrides the table's hint per code with one that names the object
    involved (e.g. the folder that was not found). ``window_seconds`` is how long a 606
    makes every caller wait (the rate window).
    """
    code = str(entry.get("code", "")).strip() or "unknown"
    message = redact(str(entry.get("message") or "Marketo reported an error"))
    rule = CODES.get(code, _UNKNOWN)
    hint = (hints or {}).get(code, rule.hint)
    common: dict[str, Any] = {"platform": PLATFORM, "code": code, "request_id": request_id, "hint": hint}
    error: MarketingPlatformError
    if code == "606":
        error = RateLimitError(message, scope="window", retry_after=window_seconds, **common)
    elif code == "607":
        error = RateLimitError(message, scope="daily", **common)
    elif code == "615":
        error = RateLimitError(message, scope="concurrency", **common)
    elif rule.error is ContentRejected:
        error = ContentRejected(message, problems=[Problem("", f"{message} (code {code})")], **common)
    else:
        error = rule.error(message, retryable=rule.retryable, **common)
    if rule.max_attempts is not None:
        error.max_attempts = rule.max_attempts  # type: ignore[attr-defined]
    return error


def first_error(
    errors: Any,
    *,
    request_id: str | None,
    hints: Mapping[str, str] | None = None,
    window_seconds: float = 20.0,
) -> MarketingPlatformError:
    """The error for an envelope's ``errors`` list (the first entry decides; the rest
    are appended to the message)."""
    entries = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
    if not entries:
        return MarketingPlatformError(
            "Marketo answered success=false without an error code",
            platform=PLATFORM,
            request_id=request_id,
            retryable=False,
            hint="retry later; if it persists, contact Marketo support with the request id",
        )
    error = from_marketo_error(entries[0], request_id=request_id, hints=hints, window_seconds=window_seconds)
    if len(entries) > 1:
        others = "; ".join(f"{e.get('code')}: {redact(str(e.get('message')))}" for e in entries[1:])
        error.message = f"{error.message} (also: {others})"
        error.args = (error.message,)
    return error

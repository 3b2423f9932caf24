"""The error taxonomy every adapter maps its vendor's failures onto.

Callers catch these types, never a vendor's: ``RateLimitError`` means "wait and try
again", ``ContentRejected`` means "fix the content", ``ConfigurationError`` means
"fix the settings". Every error carries the platform, the vendor's code and request id
(for support tickets), whether retrying can help, and a hint saying what to do.
Messages and hints must never contain secrets: adapters build them from public fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

RateLimitScope = Literal["window", "concurrency", "daily"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a piece of content: where (a dotted field path), what, and
    (when known) how to fix it."""

    field: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        if not self.hint:
            return text
        return f"{text}{'' if text.endswith(('.', '?', '!')) else '.'} Hint: {self.hint}"


class MarketingPlatformError(Exception):
    """Base of every error the framework raises on purpose."""

    default_retryable = False
    #: Set (by :func:`marketing_platform.http.after_send`) when the request may have
    #: reached the vendor: the HTTP layer then repeats it only if it is idempotent.
    after_send: bool = False
    #: Attempts the HTTP layer may make for this error, when tighter than its own limit.
    max_attempts: int | None = None

    def __init__(
        self,
        message: str,
        *,
        platform: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.code = code
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        if self.platform:
            parts.append(f"[{self.platform}]")
        parts.append(self.message)
        if self.code:
            parts.append(f"(code {self.code})")
        text = " ".join(parts)
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of the ``--json`` output and of the activation log."""
        return {
            "type": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "request_id": self.request_id,
            "retryable": self.retryable,
        }


class ConfigurationError(MarketingPlatformError):
    """Unknown or broken platform, missing or malformed settings or credentials."""


class AuthenticationError(MarketingPlatformError):
    """The platform refused the credentials."""


class PermissionDenied(MarketingPlatformError):
    """The credentials are valid but lack a permission, scope or product tier."""


class RateLimitError(MarketingPlatformError):
    """A rate budget is exhausted: per window, concurrent calls, or the daily quota.

    ``window`` and ``concurrency`` are retryable after ``retry_after`` seconds;
    ``daily`` is not retryable until the vendor's quota resets.
    """

    def __init__(
        self,
        message: str,
        *,
        scope: RateLimitScope = "window",
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("retryable") is None:
            kwargs["retryable"] = scope != "daily"
        super().__init__(message, **kwargs)
        self.scope: RateLimitScope = scope
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(scope=self.scope, retry_after=self.retry_after)
        return data


class ContentRejected(MarketingPlatformError):
    """The content is wrong for this platform; retrying or falling back cannot help."""

    def __init__(self, message: str, *, problems: list[Problem] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        text = super().__str__()
        extra = [str(p) for p in self.problems if p.message not in self.message]
        if extra:
            text += " Problems: " + "; ".join(extra)
        return text

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["problems"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return data


class AlreadySent(ContentRejected):
    """The email was sent (or its send time has passed): it is immutable, and
    activating it again sends nothing. The activation ends ``blocked``."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", "already_sent")
        kwargs.setdefault("hint", "give the content a new id to send a new email")
        super().__init__(message, **kwargs)


class NotFound(MarketingPlatformError):
    """A referenced object (template, folder, list, activation) does not exist."""


class Conflict(MarketingPlatformError):
    """The object exists already or is in a state that forbids the change."""


class PlatformUnavailable(MarketingPlatformError):
    """Timeouts, connection errors, 5xx: the platform could not answer. Retryable."""

    default_retryable = True


class InvalidContent(ContentRejected):
    """The content file or model is invalid before any platform is involved (exit code 2)."""

"""Keep secrets out of everything we print, log or store.

Settings register their secret values here when they are created; :func:`redact`
replaces any registered value in a string with ``***``, and :class:`RedactingFilter`
does the same for every record logged under the ``marketing_platform`` loggers. This is
a second line of defence: secrets are ``SecretStr`` and code never formats them, but a
vendor echoing a token back in an error body must not leak it either.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "***"
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so :func:`redact` masks it wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    if not _secrets:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_obj(value: Any) -> Any:
    """Recursively redact the strings inside JSON-like data."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(logger_name: str = "marketing_platform") -> None:
    """Attach :class:`RedactingFilter` to ``logger_name`` (idempotent)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())

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
#: Registered secrets, longest first (a secret containing another is masked whole).
#: Replaced, never mutated, so readers need no lock.
_secrets: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so :func:`redact` masks it wherever it appears."""
    global _secrets
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            if value not in _secrets:
                _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))
        install_log_redaction()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _secrets:
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
    """A logging filter that masks registered secrets in the final message.

    Attach it to a handler to clean everything that handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        _clean(record)
        return True


def _clean(record: logging.LogRecord) -> None:
    if not _secrets:
        return
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


_factory_installed = False


def install_log_redaction(prefix: str = "marketing_platform") -> None:
    """Mask registered secrets in every record logged by a logger whose name starts
    with ``prefix`` (the core's and the adapters' ``marketing_platform_*`` loggers),
    whatever handler writes it. Idempotent.

    Logger filters do not see records propagated from child loggers, so this wraps the
    log-record factory instead of filtering one logger.
    """
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if record.name.startswith(prefix):
                _clean(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True

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
#: Registered secrets, longest first. Replaced, never mutated, so readers need no lock.
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
    """``text`` with every registered secret replaced by ``***``.

    Every occurrence of every secret is found in the original text first, then each run
    of overlapping occurrences is masked whole: a secret containing another, or two
    secrets overlapping, never leave a piece of either in clear."""
    spans: list[tuple[int, int]] = []
    for secret in _secrets:
        start = text.find(secret)
        while start != -1:
            spans.append((start, start + len(secret)))
            start = text.find(secret, start + 1)
    if not spans:
        return text
    spans.sort()
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    run_start, run_end = spans[0]
    for start, end in spans[1:]:
        if start < run_end:  # overlaps the current run
            run_end = max(run_end, end)
            continue
        pieces += [text[done:run_start], MASK]
        done, run_start, run_end = run_end, start, end
    pieces += [text[done:run_start], MASK, text[run_end:]]
    return "".join(pieces)


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
    """A logging filter that masks registered secrets in the final message, the
    exception's traceback and the stack information of each record it passes (it never
    drops one).

    Attach it to a handler to clean everything that handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        _clean(record)
        return True


_formatter = logging.Formatter()


def _clean(record: logging.LogRecord) -> None:
    if not _secrets:
        return
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    # A formatter writes exc_text as it is when set (and formats exc_info only when not):
    # an exception whose message echoes a token must not print it in the traceback.
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


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

"""Keep secrets out of everything we print, log or store.

Settings register their secret values here when they are created; :func:`redact`
replaces any registered value in a string with ``***``, and :class:`RedactingFilter`
does the same for every record logged under the ``marketing_platform`` loggers. This is
a second line of defence: secrets are ``SecretStr`` and code never formats them, but a
vendor echoing a token back in an error body must not leak it either.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import unquote

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


#: Keys whose values are credentials wherever they appear (a token answer, a form body).
SECRET_KEY = re.compile(r"token|secret|passw|api[_-]?key|authori[sz]ation|credential|signature|cookie", re.I)
_SECRET_PAIR = re.compile(
    r"(?P<key>[\w.-]*(?:token|secret|passw|api[_-]?key|authori[sz]ation|credential|signature|cookie)[\w.-]*)"
    r"(?P<sep>\s*[=:]\s*\"?)(?P<value>[^\s&\",}]+)",
    re.I,
)


def mask_secret_fields(value: Any) -> Any:
    """JSON-like ``value`` with the value of every credential-like key (``access_token``,
    ``client_secret``, ``password``, ``Authorization``...) replaced by ``***``, and
    registered secrets masked everywhere else. For bodies that carry secrets nobody
    registered: a token a vendor just issued, a client secret in a form."""
    if isinstance(value, dict):
        return {
            k: (
                MASK
                if isinstance(k, str) and SECRET_KEY.search(k) and v not in (None, "")
                else mask_secret_fields(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secret_fields(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _secret_key(key: object, value: object) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY.search(key)) and value not in (None, "")


def mask_secret_text(text: str) -> str:
    """A body as text with credentials masked: JSON by key (see
    :func:`mask_secret_fields`), anything else by ``key=value`` / ``"key": "value"``
    pairs whose key looks like a credential, and every registered secret."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return redact(_SECRET_PAIR.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text))
    return json.dumps(mask_secret_fields(parsed))


_URL_USERINFO = re.compile(r"(?P<scheme>[^:/?#]+://)(?P<userinfo>.*)@(?P<rest>[^@]*)", re.DOTALL)
_URL_QUERY_PASSWORD = re.compile(r"(?P<name>[?&][^&=#]*password)=(?P<value>[^&#]*)", re.IGNORECASE)


def mask_url(url: str) -> tuple[str, str | None, list[str]]:
    """``url`` with its password shown as ``***``, the password of its user info as
    written, and every form of every password in it (to register as secrets).

    The user info is read up to the last ``@``, whatever libpq makes of it: a password
    that was not percent-encoded is still masked whole."""
    masked, password, secrets = url, None, []
    match = _URL_USERINFO.fullmatch(url)
    if match:
        user, colon, password = match["userinfo"].partition(":")
        if colon:
            secrets += [password, unquote(password)]
            masked = f"{match['scheme']}{user}:***@{match['rest']}"
        else:
            password = None

    def hide(found: re.Match[str]) -> str:
        secrets.extend([found["value"], unquote(found["value"])])
        return f"{found['name']}=***"

    return _URL_QUERY_PASSWORD.sub(hide, masked), password, secrets


def register_url_secrets(url: str | None) -> str | None:
    """Register every password ``url`` carries (user info or a ``password`` query
    parameter) as a secret; returns the URL with them shown as ``***``."""
    if not url:
        return url
    masked, _, secrets = mask_url(url)
    for secret in secrets:
        register_secret(secret)
    return masked


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

"""Opening the SQLite files several processes share (activation log, rate store, mock state).

SQLite serialises writers with a busy timeout, but switching a file to WAL is the one
step its busy handler does not cover: when two processes open a new file at the same
instant, both hold a shared lock and want an exclusive one, and SQLite answers
"database is locked" at once instead of waiting. :func:`connect` therefore checks the
journal mode first (WAL is persistent: once set, later openers skip the switch) and
retries the switch with jittered backoff until ``timeout``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential

__all__ = ["connect", "transaction"]


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc).lower() or "busy" in str(exc).lower()
    )


def connect(
    path: Path | str,
    *,
    timeout: float = 30.0,
    wal: bool = True,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode that waits up to ``timeout`` seconds for
    other writers, with ``synchronous=NORMAL``; with ``wal`` (the default) the file is
    switched to WAL mode first.

    WAL mode is stored in the file, so a caller that opens the same file many times
    (the activation log opens one connection per operation) passes ``wal=True`` once,
    when it first opens the file, and ``wal=False`` afterwards.

    Safe to call from many processes at once on a file that does not exist yet.
    Raises :class:`sqlite3.Error` when the file cannot be opened or stays locked for
    longer than ``timeout`` seconds; the connection is closed in that case.
    """
    conn = sqlite3.connect(
        str(path), timeout=timeout, isolation_level=None, check_same_thread=check_same_thread
    )
    try:
        if wal:
            for attempt in Retrying(
                retry=retry_if_exception(_is_busy),
                stop=stop_after_delay(timeout),
                wait=wait_random_exponential(multiplier=0.01, max=0.25),
                reraise=True,
            ):
                with attempt:
                    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
                    if str(mode).lower() != "wal":
                        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error) on an autocommit
    connection: the write lock is taken up front, so a read-then-write inside the block
    is atomic across processes. Tolerates a body that already committed."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    if conn.in_transaction:
        conn.commit()

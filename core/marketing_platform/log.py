"""ActivationLog: the write-ahead audit trail of every activation (SQLite, WAL).

An activation is recorded ``pending`` before its first request, each finished step
(``assets``, ``campaign``, ``publish``) is recorded with its response (external ids and
the ``action`` taken) as soon as the platform answers, and the final state is
``succeeded``, ``failed``, ``degraded`` or ``blocked`` (a sent email left alone). The log
also remembers each file uploaded per platform account (by SHA-256), so an identical
file is uploaded once. Replay reads the finished steps and resumes after them, so nothing is
created twice. A lease (``claim``) keeps two replays of one activation from running at
once, across processes.

Every connection is opened per operation: the log is safe to share between threads and
processes. Secrets never reach it: responses and errors are redacted before writing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

from .errors import ConfigurationError, NotFound, PlatformUnavailable
from .redaction import redact_obj
from .sqlite import connect as connect_sqlite
from .sqlite import transaction

_logger = logging.getLogger(__name__)

State = Literal["pending", "in_progress", "succeeded", "failed", "degraded", "blocked"]
STATES: tuple[State, ...] = ("pending", "in_progress", "succeeded", "failed", "degraded", "blocked")
STEPS = ("assets", "campaign", "publish")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS activations (
    id TEXT PRIMARY KEY,
    content_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    state TEXT NOT NULL,
    degraded INTEGER NOT NULL DEFAULT 0,
    steps TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    content TEXT NOT NULL,
    source TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    lease_owner TEXT,
    lease_until TEXT
);
CREATE INDEX IF NOT EXISTS activations_state ON activations(state, started_at);
CREATE INDEX IF NOT EXISTS activations_content ON activations(content_id, platform);
CREATE TABLE IF NOT EXISTS locks (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    platform TEXT NOT NULL,
    account TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    result TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (platform, account, sha256)
);
"""


def _now() -> datetime:
    return datetime.now(UTC)


class ActivationRecord(BaseModel):
    """One activation as stored: what, where, how far it got, and how it ended."""

    model_config = ConfigDict(frozen=True)

    id: str
    content_id: str
    platform: str
    state: State
    degraded: bool = False
    steps: dict[str, Any] = Field(default_factory=dict)
    error: dict[str, Any] | None = None
    attempts: int = 0
    content: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    started_at: datetime
    finished_at: datetime | None = None

    def to_dict(self, *, include_content: bool = False) -> dict[str, Any]:
        """The ``mplat log --json`` shape."""
        data: dict[str, Any] = {
            "id": self.id,
            "content_id": self.content_id,
            "platform": self.platform,
            "state": self.state,
            "degraded": self.degraded,
            "steps": self.steps,
            "error": self.error,
            "attempts": self.attempts,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
        if include_content:
            data["content"] = self.content
        return data


class ActivationLog:
    """The SQLite activation log at ``path`` (created with its folder on first use)."""

    def __init__(self, path: Path | str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path)
        self._sleep = sleep
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect(first=True) as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"the activation log {self.path} cannot be opened ({exc})",
                code="log",
                hint="set MARKETING_PLATFORM_LOG to a writable file path (its folder is created)",
            ) from None

    @contextmanager
    def _connect(self, *, first: bool = False) -> Iterator[sqlite3.Connection]:
        db = connect_sqlite(self.path, wal=first)  # WAL is in the file once set
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db, transaction(db):
            yield db

    # ------------------------------------------------------------------ writes
    def start(
        self,
        *,
        content_id: str,
        platform: str,
        content: dict[str, Any],
        source: str | None = None,
    ) -> ActivationRecord:
        """Record a new activation as ``pending`` (before any request is sent)."""
        now = _now().isoformat()
        activation_id = uuid.uuid4().hex
        with self._transaction() as db:
            db.execute(
                "INSERT INTO activations (id, content_id, platform, state, content,"
                " source, started_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
                (
                    activation_id,
                    content_id,
                    platform,
                    json.dumps(redact_obj(content), default=str),
                    source,
                    now,
                    now,
                ),
            )
        return self.get(activation_id)

    def begin_attempt(self, activation_id: str) -> None:
        """Mark an attempt as running (``in_progress``, attempts + 1)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE activations SET state='in_progress', attempts=attempts+1, error=NULL,"
                " finished_at=NULL, updated_at=? WHERE id=?",
                (_now().isoformat(), activation_id),
            )

    def record_step(self, activation_id: str, step: str, result: dict[str, Any]) -> None:
        """Store a finished step's response; replay skips steps recorded here."""
        with self._transaction() as db:
            row = db.execute("SELECT steps FROM activations WHERE id=?", (activation_id,)).fetchone()
            if row is None:
                raise NotFound(f"no activation {activation_id}")
            steps = json.loads(row["steps"])
            steps[step] = redact_obj(result)
            db.execute(
                "UPDATE activations SET steps=?, updated_at=? WHERE id=?",
                (json.dumps(steps, default=str), _now().isoformat(), activation_id),
            )

    def finish(
        self,
        activation_id: str,
        state: State,
        *,
        error: dict[str, Any] | None = None,
        degraded: bool = False,
    ) -> ActivationRecord:
        """Record the final state (and the error that caused a failure or fallback)."""
        now = _now().isoformat()
        with self._transaction() as db:
            db.execute(
                "UPDATE activations SET state=?, error=?, degraded=?,"
                " finished_at=?, updated_at=?, lease_owner=NULL, lease_until=NULL WHERE id=?",
                (
                    state,
                    json.dumps(redact_obj(error)) if error else None,
                    int(degraded),
                    now,
                    now,
                    activation_id,
                ),
            )
        return self.get(activation_id)

    def claim(self, activation_id: str, *, owner: str | None = None, ttl: float = 900) -> bool:
        """Take the activation's lease; False when another live process holds it."""
        owner = owner or _owner_id()
        now = _now()
        with self._transaction() as db:
            row = db.execute(
                "SELECT lease_owner, lease_until FROM activations WHERE id=?", (activation_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no activation {activation_id}", hint="list activations with `mplat log`")
            held = (
                row["lease_owner"] and row["lease_until"] and datetime.fromisoformat(row["lease_until"]) > now
            )
            if held and _owner_alive(row["lease_owner"]):
                return False
            db.execute(
                "UPDATE activations SET lease_owner=?, lease_until=? WHERE id=?",
                (owner, (now + timedelta(seconds=ttl)).isoformat(), activation_id),
            )
        return True

    @contextmanager
    def hold(self, key: str, *, ttl: float = 60, wait: float = 300) -> Iterator[None]:
        """Hold the named lock ``key`` for the block, across threads and processes
        sharing this log.

        Used so that one find-or-create of a shared object (a campaign by name) runs at
        a time. While the block runs, the lease is renewed every ``ttl / 3`` seconds, so
        a slow holder keeps it; a holder that dies is taken over at once on this host
        and once its lease runs out (``ttl``) elsewhere. Raises
        :class:`PlatformUnavailable` (retryable: the activation is recorded for replay)
        when the lock stays taken for ``wait`` seconds or the log cannot be written.
        """
        owner = _owner_id()
        acquiring = Retrying(
            retry=retry_if_result(lambda taken: not taken),
            wait=wait_exponential(multiplier=0.01, max=0.5),
            stop=stop_after_delay(wait),
            sleep=self._sleep,
            retry_error_callback=lambda _: False,
        )
        try:
            taken = acquiring(self._try_lock, key, owner, ttl)
        except sqlite3.Error as exc:
            raise PlatformUnavailable(
                f"cannot take the lock on {key} in the activation log {self.path}: {exc}",
                code="locked",
                hint="check that the activation log is on a local, writable disk, then replay",
            ) from None
        if not taken:
            raise PlatformUnavailable(
                f"{key} stayed locked by another activation for {wait:.0f} s",
                code="locked",
                hint="replay this activation once the other one has finished (`mplat replay --failed`)",
            )
        pid = os.getpid()
        try:
            with self._renewing(key, owner, ttl):
                yield
        finally:
            if os.getpid() == pid:  # not in a child forked inside the block: the lease is ours
                self._release(key, owner, ttl)

    def _release(self, key: str, owner: str, ttl: float) -> None:
        try:
            with self._transaction() as db:
                db.execute("DELETE FROM locks WHERE key=? AND owner=?", (key, owner))
        except sqlite3.Error as exc:  # the lease runs out by itself
            _logger.warning("could not release the lock on %s (it expires in %.0f s): %s", key, ttl, exc)

    def _try_lock(self, key: str, owner: str, ttl: float) -> bool:
        now = _now()
        with self._transaction() as db:
            row = db.execute("SELECT owner, until FROM locks WHERE key=?", (key,)).fetchone()
            if row and datetime.fromisoformat(row["until"]) > now and _owner_alive(row["owner"]):
                return False
            db.execute(
                "INSERT OR REPLACE INTO locks (key, owner, until) VALUES (?, ?, ?)",
                (key, owner, (now + timedelta(seconds=ttl)).isoformat()),
            )
        return True

    @contextmanager
    def _renewing(self, key: str, owner: str, ttl: float) -> Iterator[None]:
        """Push the lease on ``key`` out to ``ttl`` from now every ``ttl / 3`` seconds
        while the block runs (wall time: other processes read the lease)."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(ttl / 3):
                try:
                    with self._transaction() as db:
                        db.execute(
                            "UPDATE locks SET until=? WHERE key=? AND owner=?",
                            ((_now() + timedelta(seconds=ttl)).isoformat(), key, owner),
                        )
                except sqlite3.Error as exc:
                    _logger.warning("could not renew the lock on %s: %s", key, exc)

        renewer = threading.Thread(target=renew, name=f"renew lock {key}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()

    # ---------------------------------------------------------------- uploads
    def uploaded(self, platform: str, account: str, sha256: str) -> dict[str, Any] | None:
        """The result of an earlier upload of the file ``sha256`` to ``account`` on
        ``platform``, or None."""
        with self._connect() as db:
            row = db.execute(
                "SELECT result FROM uploads WHERE platform=? AND account=? AND sha256=?",
                (platform, account, sha256),
            ).fetchone()
        return json.loads(row["result"]) if row else None

    def remember_upload(self, platform: str, account: str, sha256: str, result: dict[str, Any]) -> None:
        """Remember that the file ``sha256`` is on ``account`` (its AssetResult)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (platform, account, sha256, result, uploaded_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (platform, account, sha256, json.dumps(redact_obj(result), default=str), _now().isoformat()),
            )

    # ------------------------------------------------------------------- reads
    def get(self, activation_id: str) -> ActivationRecord:
        """The activation ``activation_id``, or the one whose id starts with it (6+ hex
        digits). Raises NotFound, or ConfigurationError listing the matches when the
        prefix is ambiguous."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM activations WHERE id=?", (activation_id,)).fetchone()
            if row is None:
                row = self._by_prefix(db, activation_id)
        if row is None:
            raise NotFound(
                f"no activation with id {activation_id!r}",
                hint="list activations with `mplat log` and copy an id from there",
            )
        return _record(row)

    @staticmethod
    def _by_prefix(db: sqlite3.Connection, prefix: str) -> sqlite3.Row | None:
        if len(prefix) < 6 or not all(c in "0123456789abcdef" for c in prefix):
            return None
        rows = db.execute(
            "SELECT * FROM activations WHERE id LIKE ? ORDER BY started_at DESC LIMIT 6", (prefix + "%",)
        ).fetchall()
        if len(rows) > 1:
            shown = ", ".join(f"{row['id']} ({row['content_id']} on {row['platform']})" for row in rows[:5])
            more = " and more" if len(rows) > 5 else ""
            raise ConfigurationError(
                f"activation id prefix {prefix!r} is ambiguous: it matches {shown}{more}",
                code="ambiguous_id",
                hint="give more characters of the id (or the whole id)",
            )
        return rows[0] if rows else None

    def ids(self, *states: State) -> list[str]:
        """The ids of every activation in ``states``: state by state in the order given,
        newest first within each."""
        with self._connect() as db:
            return [
                row["id"]
                for state in states
                for row in db.execute(
                    "SELECT id FROM activations WHERE state=? ORDER BY started_at DESC, rowid DESC", (state,)
                )
            ]

    def list(self, *, limit: int | None = 50, state: State | None = None) -> list[ActivationRecord]:
        """Newest first; ``state`` filters."""
        query = "SELECT * FROM activations"
        args: list[Any] = []
        if state:
            query += " WHERE state=?"
            args.append(state)
        query += " ORDER BY started_at DESC, rowid DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._connect() as db:
            return [_record(row) for row in db.execute(query, args).fetchall()]


def _owner_id() -> str:
    """``host:pid:nonce``: unique per holder, and says which process to check for life."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    """False only when the lease owner is a process on this host that has died."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _record(row: sqlite3.Row) -> ActivationRecord:
    return ActivationRecord(
        id=row["id"],
        content_id=row["content_id"],
        platform=row["platform"],
        state=row["state"],
        degraded=bool(row["degraded"]),
        steps=json.loads(row["steps"]),
        error=json.loads(row["error"]) if row["error"] else None,
        attempts=row["attempts"],
        content=json.loads(row["content"]),
        source=row["source"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
    )

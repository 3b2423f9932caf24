"""The activation log: the write-ahead audit trail of every activation.

An activation is recorded ``pending`` before its first request, each finished step
(``assets``, ``campaign``, ``publish``) is recorded with its response (external ids and
the ``action`` taken) as soon as the platform answers, and the final state is
``succeeded``, ``failed``, ``degraded`` or ``blocked`` (a sent email left alone). The log
also remembers each file uploaded per platform account (by SHA-256), so an identical
file is uploaded once. Replay reads the finished steps and resumes after them, so nothing is
created twice.

Two kinds of lease live in the log, both rows with an owner and an expiry that the holder
renews every ``ttl / 3`` seconds while it works: the activation's lease (:meth:`lease
<BaseActivationLog.lease>`) keeps two runs of one activation from overlapping, and named
locks (:meth:`hold <BaseActivationLog.hold>`) let one activation at a time find-or-create
a shared vendor object. A holder that stops renewing (a dead worker) loses its lease after
``ttl`` (``MARKETING_PLATFORM_LEASE_SECONDS``, 60 s by default); a dead process on this
host loses it at once. A live, renewing holder never does.

:class:`BaseActivationLog` is the contract and every piece of logic that does not depend
on the database (records, redaction before writing, the lock wait and renewal loops,
schema migrations); :class:`ActivationLog` stores it in SQLite (WAL; the embedded
default, shared by the processes of one machine) and
:class:`~marketing_platform.pglog.PostgresActivationLog` in PostgreSQL (shared across
machines). :func:`open_activation_log` picks one from ``MARKETING_PLATFORM_LOG``.
Secrets never reach the log: responses and errors are redacted before writing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

from .errors import ConfigurationError, MarketingPlatformError, NotFound, PlatformUnavailable
from .redaction import redact, redact_obj
from .sqlite import connect as connect_sqlite
from .sqlite import transaction

if TYPE_CHECKING:
    from .pglog import PostgresActivationLog

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "LEASE_SECONDS_ENV",
    "STATES",
    "STEPS",
    "ActivationLeased",
    "ActivationLog",
    "ActivationRecord",
    "BaseActivationLog",
    "Migration",
    "State",
    "default_lease_seconds",
    "open_activation_log",
]

_logger = logging.getLogger(__name__)

State = Literal["pending", "in_progress", "succeeded", "failed", "degraded", "blocked", "abandoned"]
STATES: tuple[State, ...] = (
    "pending",
    "in_progress",
    "succeeded",
    "failed",
    "degraded",
    "blocked",
    "abandoned",
)
STEPS = ("assets", "campaign", "publish")
#: The states of an activation that has not ended (``mplat replay --stale`` looks there).
UNFINISHED: tuple[State, ...] = ("pending", "in_progress")

LEASE_SECONDS_ENV = "MARKETING_PLATFORM_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 60.0

#: What a lease is on: a named lock (``locks`` table) or an activation (its own row).
LeaseKind = Literal["lock", "activation"]


def default_lease_seconds() -> float:
    """``MARKETING_PLATFORM_LEASE_SECONDS`` (a positive number of seconds), else 60."""
    text = os.environ.get(LEASE_SECONDS_ENV, "").strip()
    if not text:
        return DEFAULT_LEASE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise ConfigurationError(
            f"{LEASE_SECONDS_ENV}={text!r} is not a positive number of seconds",
            code="invalid_setting",
            hint=f"set {LEASE_SECONDS_ENV} to e.g. 60 (or unset it)",
        )
    return seconds


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


class LogQuery(NamedTuple):
    """Filters of :meth:`BaseActivationLog.list` (None: any)."""

    state: State | None = None
    platform: str | None = None
    content_id: str | None = None
    since: datetime | None = None


class ActivationLeased(MarketingPlatformError):
    """Another live process holds the activation's lease: it is running it right now."""


# ------------------------------------------------------------------ migrations
class Migration(NamedTuple):
    """One step of a log's schema: ``apply`` is SQL statements run in order, or a
    function given the connection (for data migrations). Versions start at 1 and
    increase by one; a shipped migration is never edited, a change is a new one."""

    version: int
    description: str
    apply: Sequence[str] | Callable[[Any], None]


class Row(Protocol):
    """A stored activation: its columns by name (``sqlite3.Row``, a psycopg dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


class _Executes(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...


SCHEMA_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""


def run_migrations(
    db: _Executes, migrations: Sequence[Migration], *, location: str, param: str = "?"
) -> list[int]:
    """Bring the schema of ``db`` up to the last of ``migrations``; the versions applied.

    The caller runs this in one transaction holding a lock that serialises every process
    migrating the same database (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    lock), so two processes starting at once apply each migration once. ``param`` is the
    driver's placeholder.
    """
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3, ... in order, not {versions}")
    db.execute(SCHEMA_VERSION_TABLE)
    (current,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    if current > len(migrations):
        raise ConfigurationError(
            f"the activation log {location} has schema version {current}, newer than this"
            f" marketing-platform knows ({len(migrations)})",
            code="log",
            hint="upgrade marketing-platform on this machine to the version the other machines run",
        )
    applied = []
    for migration in migrations[current:]:
        if callable(migration.apply):
            migration.apply(db)
        else:
            for statement in migration.apply:
                db.execute(statement)
        db.execute(
            f"INSERT INTO schema_version (version, description) VALUES ({param}, {param})",  # noqa: S608
            (migration.version, migration.description),
        )
        applied.append(migration.version)
    if applied:
        _logger.info("activation log %s migrated to schema version %d", location, applied[-1])
    return applied


# ------------------------------------------------------------------- contract
class BaseActivationLog(ABC):
    """The activation log contract, and all of it that does not depend on the database.

    A backend implements the storage primitives (the ``_``-prefixed abstract methods: one
    or two statements each, in one transaction); redaction, records, id prefixes, lease
    decisions, the lock wait loop and lease renewal live here, once. Safe to share between
    threads; processes (and, for PostgreSQL, machines) share the database.
    """

    #: The storage errors of the backend's driver (wrapped where the contract says so).
    _errors: tuple[type[Exception], ...] = ()
    #: The backend's schema, in order (see :class:`Migration`); a change is appended.
    migrations: Sequence[Migration] = ()

    def __init__(
        self, *, sleep: Callable[[float], None] = time.sleep, lease_seconds: float | None = None
    ) -> None:
        self._sleep = sleep
        #: How long an unrenewed lease lives (``MARKETING_PLATFORM_LEASE_SECONDS``).
        self.lease_seconds = default_lease_seconds() if lease_seconds is None else float(lease_seconds)
        if not self.lease_seconds > 0:
            raise ValueError(f"lease_seconds must be positive, not {lease_seconds!r}")

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the log is, fit to print (a path, or a URL with its password masked)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    def close(self) -> None:  # noqa: B027 - only a backend holding connections has any to close
        """Release the connections the log holds (a closed PostgreSQL log reopens on use)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
        activation_id = uuid.uuid4().hex
        self._insert(activation_id, content_id, platform, _dumps(content), source)
        return self.get(activation_id)

    def begin_attempt(self, activation_id: str) -> None:
        """Mark an attempt as running (``in_progress``, attempts + 1)."""
        self._begin(activation_id)

    def record_step(self, activation_id: str, step: str, result: dict[str, Any]) -> None:
        """Store a finished step's response; replay skips steps recorded here."""
        if not self._set_step(activation_id, step, redact_obj(result)):
            raise NotFound(f"no activation {activation_id}")

    def finish(
        self,
        activation_id: str,
        state: State,
        *,
        error: dict[str, Any] | None = None,
        degraded: bool = False,
    ) -> ActivationRecord:
        """Record the final state (and the error that caused a failure or fallback); the
        activation's lease ends with it."""
        self._finish(activation_id, state, _dumps(error) if error else None, degraded)
        return self.get(activation_id)

    # ------------------------------------------------------------------ leases
    def claim(self, activation_id: str, *, owner: str | None = None, ttl: float | None = None) -> bool:
        """Take the activation's lease for ``ttl`` seconds (default: ``lease_seconds``)
        without renewing it; False when another live process holds it. Prefer
        :meth:`lease`, which renews it while the work runs and releases it after."""
        return self._acquire(
            "activation", activation_id, owner or _owner_id(), self.lease_seconds if ttl is None else ttl
        )

    @contextmanager
    def lease(self, activation_id: str, *, ttl: float | None = None) -> Iterator[str]:
        """Hold the activation's lease for the block (yields the owner id): taken at once
        or :class:`ActivationLeased` is raised when a live process holds it; renewed every
        ``ttl / 3`` seconds while the block runs; released at its end. If this process
        dies, the lease expires ``ttl`` seconds (default: ``lease_seconds``) after its
        last renewal and :meth:`stale` reports the activation."""
        ttl = self.lease_seconds if ttl is None else ttl
        owner = _owner_id()
        if not self.claim(activation_id, owner=owner, ttl=ttl):
            raise ActivationLeased(
                f"activation {activation_id} is being run by another process",
                code="locked",
                hint="wait for it to finish, then check `mplat status`",
            )
        with self._holding("activation", activation_id, owner, ttl):
            yield owner

    def stale(self, ttl: float | None = None) -> list[str]:
        """The ids of the activations a dead worker left behind, oldest first: ``pending``
        or ``in_progress``, with a lease that expired or was never taken, and not updated
        for ``ttl`` seconds (default: ``lease_seconds``). What ``mplat replay --stale``
        resumes; an activation whose owner is alive and renewing is never listed."""
        return [*self._stale(self.lease_seconds if ttl is None else ttl)]

    @contextmanager
    def hold(self, key: str, *, ttl: float | None = None, wait: float = 300) -> Iterator[None]:
        """Hold the named lock ``key`` for the block, across threads and processes
        sharing this log.

        Used so that one find-or-create of a shared object (a campaign by name) runs at
        a time. While the block runs, the lease is renewed every ``ttl / 3`` seconds
        (default ``ttl``: ``lease_seconds``), so a slow holder keeps it; a holder that dies
        is taken over at once on this host and once its lease runs out elsewhere. Raises
        :class:`PlatformUnavailable` (retryable: the activation is recorded for replay)
        when the lock stays taken for ``wait`` seconds or the log cannot be written.
        """
        ttl = self.lease_seconds if ttl is None else ttl
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
        except self._failures(PlatformUnavailable) as exc:
            raise PlatformUnavailable(
                f"cannot take the lock on {key} in the activation log {self.location}: {redact(str(exc))}",
                code="locked",
                hint="check that the activation log is reachable and writable, then replay",
            ) from None
        if not taken:
            raise PlatformUnavailable(
                f"{key} stayed locked by another activation for {wait:.0f} s",
                code="locked",
                hint="replay this activation once the other one has finished (`mplat replay --failed`)",
            )
        with self._holding("lock", key, owner, ttl):
            yield

    def _try_lock(self, key: str, owner: str, ttl: float) -> bool:
        return self._acquire("lock", key, owner, ttl)

    def _failures(self, *also: type[Exception]) -> tuple[type[Exception], ...]:
        """The backend's storage errors and ``also``: what a lease operation may raise."""
        return (*self._errors, *also)

    @contextmanager
    def _holding(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> Iterator[None]:
        """Renew the lease ``(kind, key)`` of ``owner`` every ``ttl / 3`` seconds while the
        block runs (wall time: other processes read the lease), release it afterwards."""
        done = threading.Event()
        pid = os.getpid()

        def renew() -> None:
            while not done.wait(ttl / 3):
                try:
                    if not self._renew(kind, key, owner, ttl):
                        # finished (``finish`` ends the activation's lease), or taken over
                        # after it expired (this process stalled for longer than ``ttl``)
                        _logger.log(
                            logging.DEBUG if kind == "activation" else logging.WARNING,
                            "the lease on %s %s is no longer held by this process",
                            kind,
                            key,
                        )
                        return
                except self._failures(MarketingPlatformError) as exc:
                    _logger.warning("could not renew the lease on %s %s: %s", kind, key, exc)

        renewer = threading.Thread(target=renew, name=f"renew {kind} {key}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            if os.getpid() == pid:  # not in a child forked inside the block: the lease is ours
                renewer.join()
                try:
                    self._release(kind, key, owner)
                except self._failures(MarketingPlatformError) as exc:  # it expires by itself
                    _logger.warning(
                        "could not release the lease on %s %s (it expires in %.0f s): %s", kind, key, ttl, exc
                    )

    # ---------------------------------------------------------------- uploads
    def uploaded(self, platform: str, account: str, sha256: str) -> dict[str, Any] | None:
        """The result of an earlier upload of the file ``sha256`` to ``account`` on
        ``platform``, or None."""
        result = self._get_upload(platform, account, sha256)
        return None if result is None else load_json(result)

    def remember_upload(self, platform: str, account: str, sha256: str, result: dict[str, Any]) -> None:
        """Remember that the file ``sha256`` is on ``account`` (its AssetResult)."""
        self._put_upload(platform, account, sha256, _dumps(result))

    # ------------------------------------------------------------------- reads
    def get(self, activation_id: str) -> ActivationRecord:
        """The activation ``activation_id``, or the one whose id starts with it (6+ hex
        digits). Raises NotFound, or ConfigurationError listing the matches when the
        prefix is ambiguous."""
        row = self._fetch(activation_id)
        if row is None and len(activation_id) >= 6 and _HEX.fullmatch(activation_id):
            rows = self._fetch_prefix(activation_id, 6)
            if len(rows) > 1:
                shown = ", ".join(f"{r['id']} ({r['content_id']} on {r['platform']})" for r in rows[:5])
                more = " and more" if len(rows) > 5 else ""
                raise ConfigurationError(
                    f"activation id prefix {activation_id!r} is ambiguous: it matches {shown}{more}",
                    code="ambiguous_id",
                    hint="give more characters of the id (or the whole id)",
                )
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(
                f"no activation with id {activation_id!r}",
                hint="list activations with `mplat log` and copy an id from there",
            )
        return _record(row)

    def ids(self, *states: State) -> list[str]:
        """The ids of every activation in ``states``: state by state in the order given,
        newest first within each."""
        return [activation_id for state in states for activation_id in self._ids(state)]

    def list(
        self,
        *,
        limit: int | None = 50,
        state: State | None = None,
        platform: str | None = None,
        content_id: str | None = None,
        since: datetime | None = None,
    ) -> list[ActivationRecord]:
        """Newest first; ``state``, ``platform``, ``content_id`` and ``since`` (started at
        or after, aware) filter."""
        query = LogQuery(state, platform, content_id, since.astimezone(UTC) if since else None)
        return [_record(row) for row in self._list(limit, query)]

    # ------------------------------------------------------ storage primitives
    # Rows hold the columns of ActivationRecord by name; JSON columns may come
    # back as text or parsed, timestamps as ISO text or datetimes.
    @abstractmethod
    def _insert(
        self, activation_id: str, content_id: str, platform: str, content: str, source: str | None
    ) -> None:
        """Insert a ``pending`` activation (``content`` is redacted JSON)."""

    @abstractmethod
    def _begin(self, activation_id: str) -> None:
        """``in_progress``, attempts + 1, error and finished_at cleared."""

    @abstractmethod
    def _set_step(self, activation_id: str, step: str, result: Any) -> bool:
        """Set ``steps[step] = result`` (redacted) atomically; False when no such activation."""

    @abstractmethod
    def _finish(self, activation_id: str, state: State, error: str | None, degraded: bool) -> None:
        """Set the final state, error (JSON) and finished_at; clear the lease."""

    @abstractmethod
    def _fetch(self, activation_id: str) -> Row | None: ...

    @abstractmethod
    def _fetch_prefix(self, prefix: str, limit: int) -> Sequence[Row]:
        """Up to ``limit`` activations whose id starts with ``prefix`` (hex), newest first."""

    @abstractmethod
    def _ids(self, state: State) -> Sequence[str]:
        """Ids in ``state``, newest first."""

    @abstractmethod
    def _list(self, limit: int | None, query: LogQuery) -> Sequence[Row]: ...

    @abstractmethod
    def _stale(self, ttl: float) -> Sequence[str]: ...

    @abstractmethod
    def _get_upload(self, platform: str, account: str, sha256: str) -> Any | None: ...

    @abstractmethod
    def _put_upload(self, platform: str, account: str, sha256: str, result: str) -> None: ...

    @abstractmethod
    def _acquire(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        """Atomically: read the lease's current ``(holder, unexpired)``; unless
        :func:`lease_is_free` says no, make ``owner`` the holder until ``ttl`` seconds from
        now. A lock row is created when missing; a missing activation raises NotFound."""

    @abstractmethod
    def _renew(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        """Push the lease out to ``ttl`` from now if ``owner`` still holds it; whether it did."""

    @abstractmethod
    def _release(self, kind: LeaseKind, key: str, owner: str) -> None:
        """End the lease if ``owner`` still holds it."""


def lease_is_free(holder: str | None, unexpired: bool) -> bool:
    """Whether a lease held by ``holder`` (None: nobody) may be taken: nobody holds it,
    it expired, or its holder is a process of this host that died."""
    return not holder or not unexpired or not _owner_alive(holder)


def no_activation(activation_id: str) -> NotFound:
    return NotFound(f"no activation {activation_id}", hint="list activations with `mplat log`")


# --------------------------------------------------------------------- SQLite
_SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "activations, locks, uploads",
        (
            """CREATE TABLE IF NOT EXISTS activations (
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
            )""",
            "CREATE INDEX IF NOT EXISTS activations_state ON activations(state, started_at)",
            "CREATE INDEX IF NOT EXISTS activations_content ON activations(content_id, platform)",
            "CREATE TABLE IF NOT EXISTS locks"
            " (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until TEXT NOT NULL)",
            """CREATE TABLE IF NOT EXISTS uploads (
                platform TEXT NOT NULL,
                account TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                result TEXT NOT NULL,
                uploaded_at TEXT NOT NULL,
                PRIMARY KEY (platform, account, sha256)
            )""",
        ),
    ),
)

#: (table, key column, owner column, expiry column) of each kind of lease.
_SQLITE_LEASES: dict[LeaseKind, tuple[str, str, str, str]] = {
    "lock": ("locks", "key", "owner", "until"),
    "activation": ("activations", "id", "lease_owner", "lease_until"),
}


def _ts(moment: datetime) -> str:
    """Fixed-width ISO text, so SQLite compares and sorts timestamps as strings."""
    return moment.isoformat(timespec="microseconds")


class ActivationLog(BaseActivationLog):
    """The SQLite activation log at ``path`` (created with its folder on first use).

    Every connection is opened per operation: the log is safe to share between threads
    and processes of one machine. Timestamps and lease expiries use this machine's clock.
    """

    _errors = (sqlite3.Error,)
    migrations = _SQLITE_MIGRATIONS

    def __init__(
        self,
        path: Path | str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        lease_seconds: float | None = None,
    ) -> None:
        super().__init__(sleep=sleep, lease_seconds=lease_seconds)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect(first=True) as db, transaction(db):
                run_migrations(db, self.migrations, location=self.location)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"the activation log {self.path} cannot be opened ({exc})",
                code="log",
                hint="set MARKETING_PLATFORM_LOG to a writable file path (its folder is created)",
            ) from None

    @property
    def location(self) -> str:
        return str(self.path)

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

    def _insert(
        self, activation_id: str, content_id: str, platform: str, content: str, source: str | None
    ) -> None:
        now = _ts(_now())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO activations (id, content_id, platform, state, content,"
                " source, started_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
                (activation_id, content_id, platform, content, source, now, now),
            )

    def _begin(self, activation_id: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE activations SET state='in_progress', attempts=attempts+1, error=NULL,"
                " finished_at=NULL, updated_at=? WHERE id=?",
                (_ts(_now()), activation_id),
            )

    def _set_step(self, activation_id: str, step: str, result: Any) -> bool:
        with self._transaction() as db:
            row = db.execute("SELECT steps FROM activations WHERE id=?", (activation_id,)).fetchone()
            if row is None:
                return False
            steps = {**json.loads(row["steps"]), step: result}
            db.execute(
                "UPDATE activations SET steps=?, updated_at=? WHERE id=?",
                (json.dumps(steps, default=str), _ts(_now()), activation_id),
            )
        return True

    def _finish(self, activation_id: str, state: State, error: str | None, degraded: bool) -> None:
        now = _ts(_now())
        with self._transaction() as db:
            db.execute(
                "UPDATE activations SET state=?, error=?, degraded=?,"
                " finished_at=?, updated_at=?, lease_owner=NULL, lease_until=NULL WHERE id=?",
                (state, error, int(degraded), now, now, activation_id),
            )

    def _fetch(self, activation_id: str) -> sqlite3.Row | None:
        with self._connect() as db:
            row: sqlite3.Row | None = db.execute(
                "SELECT * FROM activations WHERE id=?", (activation_id,)
            ).fetchone()
            return row

    def _fetch_prefix(self, prefix: str, limit: int) -> list[sqlite3.Row]:
        with self._connect() as db:
            return db.execute(
                "SELECT * FROM activations WHERE id LIKE ? ORDER BY started_at DESC, rowid DESC LIMIT ?",
                (prefix + "%", limit),
            ).fetchall()

    def _ids(self, state: State) -> list[str]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id FROM activations WHERE state=? ORDER BY started_at DESC, rowid DESC", (state,)
            ).fetchall()
        return [row["id"] for row in rows]

    def _list(self, limit: int | None, query: LogQuery) -> list[sqlite3.Row]:
        sql = (
            "SELECT * FROM activations WHERE (? IS NULL OR state=?) AND (? IS NULL OR platform=?)"
            " AND (? IS NULL OR content_id=?) AND (? IS NULL OR started_at >= ?)"
            " ORDER BY started_at DESC, rowid DESC LIMIT ?"
        )
        since = _ts(query.since) if query.since else None
        args = [
            *(query.state, query.state, query.platform, query.platform),
            *(query.content_id, query.content_id, since, since),
            -1 if limit is None else limit,
        ]
        with self._connect() as db:
            return db.execute(sql, args).fetchall()

    def _stale(self, ttl: float) -> list[str]:
        now = _now()
        with self._connect() as db:
            rows = db.execute(
                "SELECT id FROM activations WHERE state IN (?, ?)"
                " AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= ?)"
                " AND updated_at < ? ORDER BY started_at, rowid",
                (*UNFINISHED, _ts(now), _ts(now - timedelta(seconds=ttl))),
            ).fetchall()
        return [row["id"] for row in rows]

    def _get_upload(self, platform: str, account: str, sha256: str) -> str | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT result FROM uploads WHERE platform=? AND account=? AND sha256=?",
                (platform, account, sha256),
            ).fetchone()
        return row["result"] if row else None

    def _put_upload(self, platform: str, account: str, sha256: str, result: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (platform, account, sha256, result, uploaded_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (platform, account, sha256, result, _ts(_now())),
            )

    def _acquire(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        table, key_column, owner_column, until_column = _SQLITE_LEASES[kind]
        now = _now()
        with self._transaction() as db:  # BEGIN IMMEDIATE: read-then-write is atomic
            row = db.execute(
                f"SELECT {owner_column}, {until_column} FROM {table} WHERE {key_column}=?",  # noqa: S608
                (key,),
            ).fetchone()
            if row is None and kind == "activation":
                raise no_activation(key)
            if row is not None:
                holder, until = row
                if not lease_is_free(holder, bool(until) and datetime.fromisoformat(until) > now):
                    return False
            until = _ts(now + timedelta(seconds=ttl))
            if kind == "lock":
                db.execute(
                    "INSERT OR REPLACE INTO locks (key, owner, until) VALUES (?, ?, ?)", (key, owner, until)
                )
            else:
                db.execute(
                    "UPDATE activations SET lease_owner=?, lease_until=? WHERE id=?", (owner, until, key)
                )
        return True

    def _renew(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        table, key_column, owner_column, until_column = _SQLITE_LEASES[kind]
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE {table} SET {until_column}=? WHERE {key_column}=? AND {owner_column}=?",  # noqa: S608
                (_ts(_now() + timedelta(seconds=ttl)), key, owner),
            )
            return cursor.rowcount > 0

    def _release(self, kind: LeaseKind, key: str, owner: str) -> None:
        with self._transaction() as db:
            if kind == "lock":
                db.execute("DELETE FROM locks WHERE key=? AND owner=?", (key, owner))
            else:
                db.execute(
                    "UPDATE activations SET lease_owner=NULL, lease_until=NULL WHERE id=? AND lease_owner=?",
                    (key, owner),
                )


# -------------------------------------------------------------------- factory
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def open_activation_log(
    location: str | os.PathLike[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    lease_seconds: float | None = None,
) -> ActivationLog | PostgresActivationLog:
    """The activation log at ``location`` (``MARKETING_PLATFORM_LOG``): a
    ``postgresql://`` or ``postgres://`` URL gives :class:`PostgresActivationLog`
    (``pip install "marketing-platform[postgres]"``), a file path the SQLite
    :class:`ActivationLog`. Close it (or use it as a context manager) when done."""
    text = os.fspath(location)
    match = _URL.match(text)
    if match is None:
        return ActivationLog(text, sleep=sleep, lease_seconds=lease_seconds)
    if match["scheme"].lower() not in POSTGRES_SCHEMES:
        raise ConfigurationError(
            f"the activation log location {match['scheme']}://... is neither a file path"
            " nor a PostgreSQL URL",
            code="log",
            hint="set MARKETING_PLATFORM_LOG to a file path or to postgresql://user:password@host:5432/db",
        )
    try:
        from .pglog import PostgresActivationLog
    except ImportError as exc:
        raise ConfigurationError(
            f"a PostgreSQL activation log needs psycopg 3 and psycopg-pool ({exc.name or exc} is missing):"
            ' pip install "marketing-platform[postgres]"',
            code="log",
            hint='pip install "marketing-platform[postgres]"',
        ) from None
    return PostgresActivationLog(text, sleep=sleep, lease_seconds=lease_seconds)


# -------------------------------------------------------------------- helpers
_HEX = re.compile(r"[0-9a-f]+")


@cache
def _machine() -> str:
    """This machine and process namespace (boot id + pid namespace): two containers
    sharing a host name never take each other's processes for dead."""
    try:
        parts = (
            Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
            os.readlink("/proc/self/ns/pid"),
        )
    except OSError:
        return ""
    return uuid.uuid5(uuid.NAMESPACE_OID, "|".join(parts)).hex[:12]


def _owner_id() -> str:
    """``host:pid:nonce[:machine]``: unique per holder, and says which process to check
    for life."""
    machine = _machine()
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}" + (f":{machine}" if machine else "")


def _owner_alive(owner: str) -> bool:
    """False only when the lease owner is a process on this host that has died."""
    host, pid_text, _, machine = [*owner.split(":", 3), "", "", ""][:4]
    if host != socket.gethostname() or not pid_text.isdigit() or (machine and machine != _machine()):
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dumps(value: Any) -> str:
    """Redacted JSON: no secret is ever written to the log."""
    return json.dumps(redact_obj(value), default=str)


def load_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _timestamp(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC)


def _record(row: Row) -> ActivationRecord:
    return ActivationRecord(
        id=row["id"],
        content_id=row["content_id"],
        platform=row["platform"],
        state=row["state"],
        degraded=bool(row["degraded"]),
        steps=load_json(row["steps"]),
        error=load_json(row["error"]) if row["error"] else None,
        attempts=row["attempts"],
        content=load_json(row["content"]),
        source=row["source"],
        started_at=_timestamp(row["started_at"]),
        finished_at=_timestamp(row["finished_at"]) if row["finished_at"] else None,
    )

"""PostgresActivationLog: the activation log in PostgreSQL, shared by every machine.

``MARKETING_PLATFORM_LOG=postgresql://user:password@host:5432/db`` (``pip install
"marketing-platform[postgres]"``): the same contract as the SQLite log (see
:mod:`marketing_platform.log`) through psycopg 3 and a small ``psycopg_pool`` pool,
opened on first use and closed by :meth:`~PostgresActivationLog.close`.

**Schema.** Created on first use and versioned in ``schema_version``: :data:`MIGRATIONS`
is the ordered list of changes; the first use in each process applies the missing ones in
one transaction under a transaction-level advisory lock, so processes starting at once
migrate once (the others wait, then find the schema current).

**Leases and named locks** are rows with an owner and an expiry, taken with
``INSERT ... ON CONFLICT DO NOTHING`` / ``SELECT ... FOR UPDATE`` and renewed by their
holder every ``ttl / 3`` seconds. Why rows rather than advisory locks: an advisory lock
lives as long as its session, so each held lock would pin a pooled connection for the
whole find-or-create (minutes, across vendor requests), and it has no expiry: a
machine cut off by the network keeps its locks until TCP notices, hours by default, while
a lease row expires ``ttl`` seconds after its last renewal. Rows also say who holds them
(``host:pid``, which ``mplat replay --stale`` and dead-owner takeover read), and behave
exactly as the SQLite log does. Expiry is computed and compared with the server's clock
(``clock_timestamp()``), never a worker's, so clock skew between machines cannot end a
live lease early or keep a dead one.

The password is a secret: it is registered for redaction, kept out of ``repr``, errors and
logs, which show the URL with the password as ``***``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool
from pydantic import SecretStr

from .errors import ConfigurationError, PlatformUnavailable
from .log import (
    UNFINISHED,
    BaseActivationLog,
    LeaseKind,
    LogQuery,
    Migration,
    State,
    lease_is_free,
    load_json,
    no_activation,
    run_migrations,
)
from .redaction import mask_url, redact, register_secret

__all__ = ["MIGRATIONS", "PostgresActivationLog"]

#: The key of the advisory lock serialising schema migrations (per database).
MIGRATION_LOCK_KEY = 0x6D706C61745F6C67  # "mplat_lg"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "activations, locks, uploads",
        (
            """CREATE TABLE activations (
                id TEXT PRIMARY KEY,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                content_id TEXT NOT NULL,
                platform TEXT NOT NULL,
                state TEXT NOT NULL,
                degraded BOOLEAN NOT NULL DEFAULT FALSE,
                steps JSON NOT NULL DEFAULT '{}'::json,
                error JSON,
                attempts INTEGER NOT NULL DEFAULT 0,
                content JSON NOT NULL,
                source TEXT,
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                finished_at TIMESTAMPTZ,
                lease_owner TEXT,
                lease_until TIMESTAMPTZ
            )""",
            "CREATE INDEX activations_state ON activations (state, started_at)",
            "CREATE INDEX activations_content ON activations (content_id, platform)",
            "CREATE INDEX activations_id_prefix ON activations (id text_pattern_ops)",
            "CREATE TABLE locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until TIMESTAMPTZ NOT NULL)",
            """CREATE TABLE uploads (
                platform TEXT NOT NULL,
                account TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                result JSON NOT NULL,
                uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (platform, account, sha256)
            )""",
        ),
    ),
)

#: (table, key column, owner column, expiry column) of each kind of lease.
_LEASES: dict[LeaseKind, tuple[str, str, str, str]] = {
    "lock": ("locks", "key", "owner", "until"),
    "activation": ("activations", "id", "lease_owner", "lease_until"),
}
_EXPIRY = "clock_timestamp() + make_interval(secs => %s)"
#: libpq's words for settings that are wrong, not servers that are away.
_MISCONFIGURED = re.compile(
    r"authentication failed|password|no pg_hba\.conf entry|does not exist|permission denied|"
    r"invalid (?:dsn|connection option|integer value|port)|could not translate host name",
    re.IGNORECASE,
)


class PostgresActivationLog(BaseActivationLog):
    """The activation log in the PostgreSQL database at ``url``.

    Safe to share between threads; every process and machine pointing at the database
    shares the log, its leases and its locks. Nothing connects until the first use;
    ``max_connections`` bounds the pool (lease renewals take one briefly, every
    ``ttl / 3`` seconds, per held lease).
    """

    _errors = (psycopg.Error,)
    migrations = MIGRATIONS

    def __init__(
        self,
        url: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        lease_seconds: float | None = None,
        max_connections: int = 4,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(sleep=sleep, lease_seconds=lease_seconds)
        scheme, separator, rest = url.partition("://")
        if separator:  # libpq knows the schemes in lower case only
            url = f"{scheme.lower()}://{rest}"
        self._masked, password, secrets = mask_url(url)
        for secret in secrets:
            register_secret(secret)
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error:
            params = {}
        register_secret(str(params.get("password") or ""))
        if not separator:  # a "host=... password=..." connection string
            shown = (f"{name}={'***' if 'password' in name else value}" for name, value in params.items())
            self._masked = " ".join(shown) or "(a connection string libpq cannot read)"
        if not params or (password is not None and params.get("password") != unquote(password)):
            raise ConfigurationError(
                f"the activation log URL {self._masked} is not a valid PostgreSQL URL",
                code="log",
                hint="set MARKETING_PLATFORM_LOG to postgresql://user:password@host:5432/database,"
                " with @ : / ? # % in the password percent-encoded (%40 %3A %2F %3F %23 %25)",
            )
        self._url = SecretStr(url)
        self._connect_args: dict[str, Any] = {}
        if "connect_timeout" not in params:
            self._connect_args["connect_timeout"] = max(1, round(connect_timeout))
        self._max_connections = max_connections
        self._timeout = connect_timeout
        self._guard = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pid = os.getpid()
        self._migrated = False

    @property
    def location(self) -> str:
        return self._masked

    def close(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.close()

    # ------------------------------------------------------------- connections
    def _connections(self) -> ConnectionPool:
        """This process's pool, opened (and the schema migrated) on first use."""
        if self._pid != os.getpid():  # a forked child: the parent's connections are not ours
            self._guard, self._pool, self._pid = threading.Lock(), None, os.getpid()
        pool = self._pool
        if pool is not None:
            return pool
        with self._guard:
            if self._pool is None:
                if not self._migrated:
                    self.migrate()
                self._pool = ConnectionPool(
                    self._url.get_secret_value(),
                    min_size=1,
                    max_size=self._max_connections,
                    kwargs=self._connect_args,
                    timeout=max(self._timeout, 5.0),
                    check=ConnectionPool.check_connection,
                    name="marketing-platform activation log",
                    open=False,
                )
                self._pool.open(wait=False)
            return self._pool

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[DictRow]]:
        """A cursor in a transaction, committed at the end of the block (rolled back
        when it raises); an unreachable server is a retryable PlatformUnavailable."""
        pool = self._connections()
        try:
            with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                yield cursor
        except psycopg.OperationalError as exc:
            raise PlatformUnavailable(
                f"the activation log {self.location} cannot be reached: {redact(str(exc))}",
                code="log",
                hint="check that PostgreSQL is up and reachable from this machine, then replay",
            ) from None

    def migrate(self) -> list[int]:
        """Apply the missing migrations (done on first use); the versions applied."""
        try:
            with (
                psycopg.connect(self._url.get_secret_value(), autocommit=True, **self._connect_args) as conn,
                conn.transaction(),
            ):
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                applied = run_migrations(conn, self.migrations, location=self.location, param="%s")
        except psycopg.OperationalError as exc:
            message = redact(str(exc))
            if _MISCONFIGURED.search(message):
                raise ConfigurationError(
                    f"cannot open the activation log {self.location}: {message}",
                    code="log",
                    hint="check the user, password, host and database in MARKETING_PLATFORM_LOG",
                ) from None
            raise PlatformUnavailable(
                f"the activation log {self.location} cannot be reached: {message}",
                code="log",
                hint="check that PostgreSQL is up and reachable from this machine, then retry",
            ) from None
        except psycopg.Error as exc:
            raise ConfigurationError(
                f"cannot create the activation log's tables in {self.location}: {redact(str(exc))}",
                code="log",
                hint="give the log a database of its own (or a schema: ?options=-csearch_path%3Dmplat)"
                " where its user may create tables",
            ) from None
        self._migrated = True
        return applied

    # ------------------------------------------------------------------ writes
    def _insert(
        self, activation_id: str, content_id: str, platform: str, content: str, source: str | None
    ) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO activations (id, content_id, platform, state, content, source)"
                " VALUES (%s, %s, %s, 'pending', %s::json, %s)",
                (activation_id, content_id, platform, content, source),
            )

    def _begin(self, activation_id: str) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "UPDATE activations SET state='in_progress', attempts=attempts+1, error=NULL,"
                " finished_at=NULL, updated_at=now() WHERE id=%s",
                (activation_id,),
            )

    def _set_step(self, activation_id: str, step: str, result: Any) -> bool:
        with self._cursor() as cursor:
            cursor.execute("SELECT steps FROM activations WHERE id=%s FOR UPDATE", (activation_id,))
            row = cursor.fetchone()
            if row is None:
                return False
            steps = {**load_json(row["steps"]), step: result}
            cursor.execute(
                "UPDATE activations SET steps=%s::json, updated_at=now() WHERE id=%s",
                (json.dumps(steps, default=str), activation_id),
            )
        return True

    def _finish(self, activation_id: str, state: State, error: str | None, degraded: bool) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "UPDATE activations SET state=%s, error=%s::json, degraded=%s, finished_at=now(),"
                " updated_at=now(), lease_owner=NULL, lease_until=NULL WHERE id=%s",
                (state, error, degraded, activation_id),
            )

    def _put_upload(self, platform: str, account: str, sha256: str, result: str) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO uploads (platform, account, sha256, result) VALUES (%s, %s, %s, %s::json)"
                " ON CONFLICT (platform, account, sha256)"
                " DO UPDATE SET result=EXCLUDED.result, uploaded_at=EXCLUDED.uploaded_at",
                (platform, account, sha256, result),
            )

    # ------------------------------------------------------------------- reads
    def _all(self, query: str, params: Sequence[Any]) -> list[DictRow]:
        with self._cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def _fetch(self, activation_id: str) -> DictRow | None:
        rows = self._all("SELECT * FROM activations WHERE id=%s", (activation_id,))
        return rows[0] if rows else None

    def _fetch_prefix(self, prefix: str, limit: int) -> list[DictRow]:
        return self._all(
            "SELECT * FROM activations WHERE id LIKE %s ORDER BY started_at DESC, seq DESC LIMIT %s",
            (prefix + "%", limit),
        )

    def _ids(self, state: State) -> list[str]:
        rows = self._all(
            "SELECT id FROM activations WHERE state=%s ORDER BY started_at DESC, seq DESC", (state,)
        )
        return [row["id"] for row in rows]

    def _list(self, limit: int | None, query: LogQuery) -> list[DictRow]:
        return self._all(
            "SELECT * FROM activations WHERE (%s::text IS NULL OR state=%s)"
            " AND (%s::text IS NULL OR platform=%s) AND (%s::text IS NULL OR content_id=%s)"
            " AND (%s::timestamptz IS NULL OR started_at >= %s)"
            " ORDER BY started_at DESC, seq DESC LIMIT %s",
            (
                *(query.state, query.state, query.platform, query.platform),
                *(query.content_id, query.content_id, query.since, query.since),
                limit,
            ),
        )

    def _stale(self, ttl: float) -> list[str]:
        rows = self._all(
            "SELECT id FROM activations WHERE state = ANY(%s)"
            " AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= clock_timestamp())"
            " AND updated_at < clock_timestamp() - make_interval(secs => %s)"
            " ORDER BY started_at, seq",
            (list(UNFINISHED), ttl),
        )
        return [row["id"] for row in rows]

    def _get_upload(self, platform: str, account: str, sha256: str) -> Any | None:
        rows = self._all(
            "SELECT result FROM uploads WHERE platform=%s AND account=%s AND sha256=%s",
            (platform, account, sha256),
        )
        return rows[0]["result"] if rows else None

    # ------------------------------------------------------------------ leases
    def _acquire(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        table, key_column, owner_column, until_column = _LEASES[kind]
        with self._cursor() as cursor:
            for _ in range(3):  # a lock released between the two statements is taken next round
                if kind == "lock":
                    cursor.execute(
                        f"INSERT INTO locks (key, owner, until) VALUES (%s, %s, {_EXPIRY})"  # noqa: S608
                        " ON CONFLICT (key) DO NOTHING",
                        (key, owner, ttl),
                    )
                    if cursor.rowcount == 1:
                        return True
                cursor.execute(
                    f"SELECT {owner_column} AS holder, {until_column} > clock_timestamp() AS unexpired"  # noqa: S608
                    f" FROM {table} WHERE {key_column}=%s FOR UPDATE",
                    (key,),
                )
                row = cursor.fetchone()
                if row is None:
                    if kind == "activation":
                        raise no_activation(key)
                    continue
                if not lease_is_free(row["holder"], bool(row["unexpired"])):
                    return False
                cursor.execute(
                    f"UPDATE {table} SET {owner_column}=%s, {until_column}={_EXPIRY} WHERE {key_column}=%s",  # noqa: S608
                    (owner, ttl, key),
                )
                return True
        return False

    def _renew(self, kind: LeaseKind, key: str, owner: str, ttl: float) -> bool:
        table, key_column, owner_column, until_column = _LEASES[kind]
        with self._cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {until_column}={_EXPIRY} WHERE {key_column}=%s AND {owner_column}=%s",  # noqa: S608
                (ttl, key, owner),
            )
            return cursor.rowcount > 0

    def _release(self, kind: LeaseKind, key: str, owner: str) -> None:
        with self._cursor() as cursor:
            if kind == "lock":
                cursor.execute("DELETE FROM locks WHERE key=%s AND owner=%s", (key, owner))
            else:
                cursor.execute(
                    "UPDATE activations SET lease_owner=NULL, lease_until=NULL"
                    " WHERE id=%s AND lease_owner=%s",
                    (key, owner),
                )

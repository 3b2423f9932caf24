"""The rate budget: calls per window, concurrent calls and a daily quota, enforced
*ahead* of the vendor so its limit is never tripped.

The bucket arithmetic is pyrate-limiter's (a sliding-window log); this module adds what
an HTTP client needs around it:

* an even spread of the window's budget (one call every ``window / calls`` seconds
  instead of a burst at the window's start);
* a small guard on the window (2 %, at least 10 ms) so that network jitter between our
  admission and the vendor's arrival count cannot turn ``calls`` admissions into
  ``calls + 1`` arrivals inside the vendor's window;
* a cap on calls in flight, a daily quota that fails fast instead of sleeping until
  tomorrow, and a "not before" time that a vendor's rate-limit answer (606, 429 +
  Retry-After) pushes out for every caller in this process;
* injected ``clock`` / ``sleep`` so tests never wait.

Stores (``MARKETING_PLATFORM_RATE_STORE``):

``memory`` (default)
    Per process. The only store that honours an injected (fake) ``clock``.
``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
    Processes on one machine share one budget: each admission is one ``BEGIN
    IMMEDIATE`` transaction (count + insert), so two processes can never both take
    the last place in a window. Needs no extra package.
``redis://[:password@]host:port/db`` (also ``rediss://``)
    Workers on several machines share one budget: each admission is one atomic Lua
    script on the server (pyrate-limiter's ``RedisBucket``, its script made to count
    entries that arrive out of stamp order). Needs ``redis``
    (``pip install "marketing-platform[redis]"``), imported only when this store is
    used. The machines' clocks must be synchronised (NTP): timestamps are the
    workers' wall clocks, and a skew between two workers eats into the window guard.

With a shared store, admissions are stamped with **wall time** (``time.time``): the
store's other users can only agree on that clock. An injected ``clock`` is therefore
ignored for shared stores (a warning is logged); use the memory store with a fake clock.

The concurrency cap is shared too: a shared store keeps a table of *leases* (one per
call in flight, each expiring after ``lease_seconds`` so a crashed worker cannot hold a
place forever), and a call waits until fewer than ``max_concurrent`` leases are live.
The per-process cap still applies first, so a process never polls for a lease it could
not use. The "not before" pause (:meth:`RateBudget.pause`) stays per process: each
process learns of a vendor's rate-limit answer from its own responses.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, PlatformUnavailable, RateLimitError
from .redaction import mask_url
from .sqlite import transaction

if TYPE_CHECKING:
    import sqlite3

    from pyrate_limiter import AbstractBucket, Rate

    from .settings import PlatformSettings

Clock = Callable[[], float]
Sleep = Callable[[float], None]

log = logging.getLogger("marketing_platform.ratelimit")

_DAY_SECONDS = 86_400.0
#: Fraction of a window kept in reserve against jitter between admission and arrival.
_GUARD_FRACTION = 0.02
_MIN_GUARD_MS = 10
#: How long a shared store waits between polls for a free concurrency lease.
_LEASE_POLL_SECONDS = 0.01
#: Default lifetime of a concurrency lease (longer than any sane request timeout).
DEFAULT_LEASE_SECONDS = 300.0

#: Bounds of a budget (declared or overridden): beyond them the bucket arithmetic
#: overflows or a vendor's Retry-After could freeze callers for years.
MAX_CALLS = 1_000_000
MIN_WINDOW_SECONDS = 0.001
MAX_WINDOW_SECONDS = _DAY_SECONDS
MAX_CONCURRENT = 1_000
MAX_DAILY_QUOTA = 1_000_000_000

STORE_HINT = (
    "set MARKETING_PLATFORM_RATE_STORE to memory (one process), sqlite:///path/to/rates.db "
    "(processes on one machine) or redis://host:6379/0 (workers on several machines)"
)


@dataclass(frozen=True)
class RateLimits:
    """A vendor's documented budget, declared by each adapter as ``rate_limits``."""

    calls: int
    per_seconds: float
    max_concurrent: int | None = None
    daily_quota: int | None = None

    def __post_init__(self) -> None:
        if not (
            1 <= self.calls <= MAX_CALLS
            and math.isfinite(self.per_seconds)
            and MIN_WINDOW_SECONDS <= self.per_seconds <= MAX_WINDOW_SECONDS
        ):
            raise ValueError(
                f"a rate limit needs calls >= 1 (at most {MAX_CALLS:,}) and per_seconds > 0 "
                f"(from {MIN_WINDOW_SECONDS} to {MAX_WINDOW_SECONDS:,.0f}), "
                f"got calls={self.calls!r}, per_seconds={self.per_seconds!r}"
            )
        if self.max_concurrent is not None and not 1 <= self.max_concurrent <= MAX_CONCURRENT:
            raise ValueError(
                f"max_concurrent must be from 1 to {MAX_CONCURRENT:,}, got {self.max_concurrent!r}"
            )
        if self.daily_quota is not None and not 1 <= self.daily_quota <= MAX_DAILY_QUOTA:
            raise ValueError(f"daily_quota must be from 1 to {MAX_DAILY_QUOTA:,}, got {self.daily_quota!r}")

    def overridden_by(self, settings: PlatformSettings) -> RateLimits:
        """These limits with the ``<NAME>_RATE_LIMIT`` / ``_MAX_CONCURRENT`` /
        ``_DAILY_QUOTA`` overrides from ``settings`` applied."""
        limits = self
        if settings.rate_limit:
            calls, seconds = parse_rate_limit(settings.rate_limit)
            limits = replace(limits, calls=calls, per_seconds=seconds)
        if settings.max_concurrent:
            limits = replace(limits, max_concurrent=settings.max_concurrent)
        if settings.daily_quota:
            limits = replace(limits, daily_quota=settings.daily_quota)
        return limits


def parse_rate_limit(text: str) -> tuple[int, float]:
    """``(calls, seconds)`` from a ``CALLS/SECONDS`` override such as ``50/20``.

    Raises ValueError (saying what is wrong) for anything else: a missing slash, a count
    that is not a whole number, a window that is not a finite number of seconds, or
    values outside the bounds a budget can enforce (see :class:`RateLimits`)."""
    calls_text, sep, seconds_text = (part.strip() for part in text.partition("/"))
    if not sep:
        raise ValueError("the slash between CALLS and SECONDS is missing")
    # ASCII digits only: int() also takes "1_000" and other scripts' digits.
    if not (calls_text.isascii() and calls_text.isdigit()):
        raise ValueError("CALLS must be a whole number")
    try:
        # float() takes "inf", "nan" and "1e400" (infinite once parsed): refused below.
        seconds = float(seconds_text) if seconds_text.isascii() and "_" not in seconds_text else math.nan
    except ValueError:
        seconds = math.nan
    calls = int(calls_text) if len(calls_text) <= 12 else MAX_CALLS + 1  # no 10**4300 parsing
    if not 1 <= calls <= MAX_CALLS:
        raise ValueError(f"CALLS must be from 1 to {MAX_CALLS:,}")
    if not (math.isfinite(seconds) and MIN_WINDOW_SECONDS <= seconds <= MAX_WINDOW_SECONDS):
        raise ValueError(f"SECONDS must be a number from {MIN_WINDOW_SECONDS} to {MAX_WINDOW_SECONDS:,.0f}")
    return calls, seconds


def window_rates(limits: RateLimits) -> list[Rate]:
    """The pyrate-limiter rates that enforce ``limits``' window: at most ``calls`` in
    any ``per_seconds`` (plus the guard), and consecutive calls at least
    ``per_seconds / calls`` apart."""
    from pyrate_limiter import Rate

    window_ms = max(1, round(limits.per_seconds * 1000))
    guard_ms = max(_MIN_GUARD_MS, round(window_ms * _GUARD_FRACTION))
    rates = [Rate(limits.calls, window_ms + guard_ms)]
    spacing_ms = window_ms // limits.calls
    if limits.calls > 1 and spacing_ms >= 2:
        # The sliding-window log admits the next item one millisecond after the
        # interval has passed, so an interval of spacing - 1 spaces calls by spacing.
        rates.insert(0, Rate(1, spacing_ms - 1))
    return rates


def daily_rates(limits: RateLimits) -> list[Rate] | None:
    from pyrate_limiter import Rate

    return [Rate(limits.daily_quota, int(_DAY_SECONDS * 1000))] if limits.daily_quota else None


def store_kind(store: str) -> str:
    """``memory``, ``sqlite`` or ``redis`` for a store URL; ConfigurationError otherwise."""
    if store in ("", "memory"):
        return "memory"
    if store.startswith("sqlite:///") and len(store) > len("sqlite:///"):
        return "sqlite"
    if store.startswith(("redis://", "rediss://", "unix://")):
        return "redis"
    raise ConfigurationError(
        f"unknown rate store {_safe_url(store)!r}",
        code="rate_store",
        hint=STORE_HINT,
    )


def _safe_url(url: str) -> str:
    """``url`` without any password (store URLs may carry Redis credentials), however
    it is written (a password that was not percent-encoded is masked whole)."""
    return mask_url(url)[0]


def _key_part(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


# --------------------------------------------------------------------------- stores
class _Store:
    """Where one budget's buckets (and shared concurrency leases) live. Internal.

    The memory store: pyrate-limiter's InMemoryBucket, no leases (the per-process
    semaphore is the whole concurrency cap)."""

    shared = False

    def __init__(self, limits: RateLimits, key: str) -> None:
        from pyrate_limiter import InMemoryBucket

        day = daily_rates(limits)
        self.window: AbstractBucket = InMemoryBucket(window_rates(limits))
        self.daily: AbstractBucket | None = InMemoryBucket(day) if day else None

    def put(self, bucket: AbstractBucket, name: str, clock: Clock) -> tuple[bool, int, int]:
        """Stamp one call with ``clock`` and admit it into ``bucket`` atomically:
        (admitted, milliseconds to wait when not, the stamp in ms)."""
        from pyrate_limiter import RateItem

        item = RateItem(name, int(clock() * 1000))
        if bucket.put(item):
            return True, 0, item.timestamp
        return False, _wait_ms(bucket, item), item.timestamp

    def leak(self, bucket: AbstractBucket, stamp_ms: int) -> None:
        bucket.leak(stamp_ms)

    def try_lease(self, token: str, cap: int, now: float, lease_seconds: float) -> bool:
        """Take one of ``cap`` concurrency leases; False when all are taken."""
        return True

    def release(self, token: str) -> None:
        """Give a lease back (a no-op for a token that holds none)."""

    def close(self) -> None:
        """Release connections; the budget must not be used afterwards."""


def _wait_ms(bucket: AbstractBucket, item: Any) -> int:
    waited: Any = bucket.waiting(item)
    return max(int(waited), 1)


class _SQLiteStore(_Store):
    """Buckets in one SQLite file; every check-and-insert is one IMMEDIATE transaction,
    which SQLite serialises across processes (no lock file needed)."""

    shared = True

    def __init__(self, limits: RateLimits, key: str, path: str) -> None:
        import sqlite3
        from pathlib import Path

        from pyrate_limiter import SQLiteBucket
        from pyrate_limiter.buckets.sqlite_bucket import Queries

        from .sqlite import connect as connect_sqlite

        self._errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
        self.path = path
        try:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = connect_sqlite(Path(path).expanduser(), check_same_thread=False)
            table = "rate_" + _key_part(key)
            leases = table + "_leases"  # only [A-Za-z0-9_]: safe to interpolate
            self._sql_expire = f'DELETE FROM "{leases}" WHERE expires < ?'  # noqa: S608
            self._sql_count = f'SELECT COUNT(*) FROM "{leases}"'  # noqa: S608
            self._sql_take = f'INSERT INTO "{leases}" VALUES (?, ?)'  # noqa: S608
            self._sql_release = f'DELETE FROM "{leases}" WHERE token = ?'  # noqa: S608
            with transaction(conn):
                for name in (table, table + "_daily"):
                    conn.execute(Queries.CREATE_BUCKET_TABLE.format(table=name))
                    conn.execute(
                        Queries.CREATE_INDEX_ON_TIMESTAMP.format(index_name=f"idx_{name}_ts", table_name=name)
                    )
                conn.execute(f'CREATE TABLE IF NOT EXISTS "{leases}" (token TEXT PRIMARY KEY, expires REAL)')
        except (sqlite3.Error, OSError) as exc:
            raise ConfigurationError(
                f"cannot open the rate store sqlite:///{path}: {exc}", code="rate_store", hint=STORE_HINT
            ) from exc
        self.conn: sqlite3.Connection = conn
        self._lock = threading.RLock()
        day = daily_rates(limits)
        self.window = SQLiteBucket(window_rates(limits), conn, table)
        self.daily = SQLiteBucket(day, conn, table + "_daily") if day else None

    def put(self, bucket: AbstractBucket, name: str, clock: Clock) -> tuple[bool, int, int]:
        with self._lock, self._guard(), transaction(self.conn):
            # SQLiteBucket.put counts then inserts (and commits, ending our
            # transaction); IMMEDIATE makes the pair atomic across processes, and
            # stamping inside it keeps stamps in the order the calls were admitted.
            return super().put(bucket, name, clock)

    def leak(self, bucket: AbstractBucket, stamp_ms: int) -> None:
        # SQLiteBucket.leak counts the expired rows, then deletes that many of the
        # oldest: two processes leaking at once would delete live rows unless the
        # pair is one transaction.
        with self._lock, self._guard(), transaction(self.conn):
            bucket.leak(stamp_ms)

    def try_lease(self, token: str, cap: int, now: float, lease_seconds: float) -> bool:
        with self._lock, self._guard(), transaction(self.conn):
            self.conn.execute(self._sql_expire, (now,))
            (taken,) = self.conn.execute(self._sql_count).fetchone()
            if taken >= cap:
                return False
            self.conn.execute(self._sql_take, (token, now + lease_seconds))
            return True

    def release(self, token: str) -> None:
        with self._lock, self._guard():
            self.conn.execute(self._sql_release, (token,))

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise PlatformUnavailable(
                f"the rate store sqlite:///{self.path} failed: {exc}",
                code="rate_store",
                hint="check that the rate store file is on a local disk and writable",
            ) from exc


_LEASE_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local expires = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) >= cap then
    return 0
end
redis.call('ZADD', key, expires, ARGV[4])
redis.call('PEXPIREAT', key, math.ceil(expires))
return 1
"""


def _redis_put_script() -> str:
    """pyrate-limiter's check-and-insert script, counting every entry from the window's
    start on, not only those up to the caller's own stamp.

    Stamps are taken on the workers before the round trip, so they reach Redis slightly
    out of order; the original ``ZCOUNT key window_start now`` lets a late arrival with
    an earlier stamp overlook entries stamped after it and admit ``calls + 1`` in one
    window. Counting up to ``+inf`` keeps "at most ``calls`` stamps in any window"
    true in whatever order the calls arrive.
    """
    from pyrate_limiter.buckets.redis_bucket import LuaScript

    original = "redis.call('ZCOUNT', bucket, window_start, now)"
    if original not in LuaScript.PUT_ITEM:
        raise ConfigurationError(
            "this pyrate-limiter version's Redis script is not supported by the redis rate store",
            code="rate_store",
            hint='install pyrate-limiter 4.x (pip install "pyrate-limiter>=4.5,<5"), or ' + STORE_HINT,
        )
    return LuaScript.PUT_ITEM.replace(original, "redis.call('ZCOUNT', bucket, window_start, '+inf')")


class _RedisStore(_Store):
    """Buckets on a Redis server: pyrate-limiter's RedisBucket (one atomic Lua script
    per check-and-insert) and a sorted set of concurrency leases."""

    shared = True

    def __init__(self, limits: RateLimits, key: str, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigurationError(
                "the redis rate store needs the redis package",
                code="rate_store",
                hint='pip install "marketing-platform[redis]", or ' + STORE_HINT,
            ) from exc
        from pyrate_limiter import RedisBucket

        self.url = _safe_url(url)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)
        self._noscript: type[BaseException] = redis.exceptions.NoScriptError
        prefix = f"marketing_platform:rate:{key}"
        self._lease_key = prefix + ":in_flight"
        try:
            self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
            day = daily_rates(limits)
            script = self.client.script_load(_redis_put_script())
            self.window = RedisBucket(window_rates(limits), self.client, prefix + ":window", script)
            self.daily = RedisBucket(day, self.client, prefix + ":daily", script) if day else None
            self._lease = self.client.register_script(_LEASE_SCRIPT)
        except (redis.RedisError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot use the rate store {self.url}: {exc}",
                code="rate_store",
                hint="start that Redis server (or fix the URL); " + STORE_HINT,
            ) from exc

    def put(self, bucket: AbstractBucket, name: str, clock: Clock) -> tuple[bool, int, int]:
        with self._guard():
            try:
                return super().put(bucket, name, clock)
            except self._noscript:  # the server restarted and forgot the script
                bucket.script_hash = self.client.script_load(_redis_put_script())  # type: ignore[attr-defined]
                return super().put(bucket, name, clock)

    def leak(self, bucket: AbstractBucket, stamp_ms: int) -> None:
        with self._guard():
            bucket.leak(stamp_ms)

    def try_lease(self, token: str, cap: int, now: float, lease_seconds: float) -> bool:
        with self._guard():
            args: list[int | str] = [int(now * 1000), cap, int((now + lease_seconds) * 1000), token]
            return bool(self._lease(keys=[self._lease_key], args=args))

    def release(self, token: str) -> None:
        with self._guard():
            self.client.zrem(self._lease_key, token)

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise PlatformUnavailable(
                f"the rate store {self.url} failed: {type(exc).__name__}: {exc}",
                code="rate_store",
                hint="check that the Redis server in MARKETING_PLATFORM_RATE_STORE is up and reachable",
            ) from exc


def _open_store(limits: RateLimits, store: str, key: str) -> _Store:
    kind = store_kind(store)
    if kind == "sqlite":
        return _SQLiteStore(limits, key, store.removeprefix("sqlite:///"))
    if kind == "redis":
        return _RedisStore(limits, key, store)
    return _Store(limits, key)


# --------------------------------------------------------------------------- budget
class RateBudget:
    """Admission control for one platform's calls. Thread-safe.

    Use ``with budget.slot(): send()``. A slot waits (with the injected ``sleep``) for
    the concurrency cap and the window, and raises ``RateLimitError(scope="daily")`` at
    once when the daily quota is spent. ``store`` is a ``MARKETING_PLATFORM_RATE_STORE``
    value (see the module docstring); budgets with the same ``key`` (default: ``name``)
    on the same shared store share one budget: adapters key it by platform *and* vendor
    account, so two accounts never share one. An unknown store is a :class:`ConfigurationError`; a shared
    store that fails at run time raises :class:`PlatformUnavailable` (retryable).

    ``on_admit`` (optional) is called with each admission's timestamp in seconds (the
    clock the store uses), for metrics and tests.
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        name: str = "platform",
        key: str | None = None,
        store: str = "memory",
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        on_admit: Callable[[float], None] | None = None,
    ) -> None:
        self.limits = limits
        self.name = name
        self.key = key or name
        self._store = _open_store(limits, store, self.key)
        if self._store.shared and clock is not time.time:
            log.warning(
                "rate budget %s: the %s store shares timestamps with other processes, so it uses "
                "wall time; the injected clock is ignored (use the memory store with a fake clock)",
                name,
                store_kind(store),
            )
            clock = time.time
        self._clock = clock
        self._sleep = sleep
        self._lease_seconds = lease_seconds
        self._on_admit = on_admit
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._in_flight = 0
        self._next_leak = {"window": 0, "daily": 0}
        #: When this process's recent calls were admitted (seconds), to compare with
        #: what a vendor's rate headers count (see :meth:`observe`).
        self._recent: deque[float] = deque()
        self._concurrency = (
            threading.BoundedSemaphore(limits.max_concurrent) if limits.max_concurrent else None
        )

    @property
    def in_flight(self) -> int:
        """Calls of this process currently holding a slot."""
        return self._in_flight

    @property
    def shared(self) -> bool:
        """True when the budget lives in a store other processes can share."""
        return self._store.shared

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Hold one call's place in the budget for the duration of the call; yields the
        admission time (seconds, the budget's clock), for :meth:`observe`."""
        if self._concurrency is not None:
            self._concurrency.acquire()
        try:
            token = self._lease()
            try:
                admitted = self._admit()
                with self._lock:
                    self._in_flight += 1
                try:
                    yield admitted
                finally:
                    with self._lock:
                        self._in_flight -= 1
            finally:
                if token is not None:
                    self._store.release(token)
        finally:
            if self._concurrency is not None:
                self._concurrency.release()

    def _lease(self) -> str | None:
        """A concurrency lease in a shared store (None when the cap is per process)."""
        cap = self.limits.max_concurrent
        if not cap or not self._store.shared:
            return None
        token = uuid.uuid4().hex
        while not self._store.try_lease(token, cap, self._clock(), self._lease_seconds):
            self._sleep(_LEASE_POLL_SECONDS)
        return token

    def _admit(self) -> float:
        while True:
            with self._lock:
                now = self._clock()
                wait = self._not_before - now
                if wait <= 0:
                    self._maybe_leak("window", self._store.window, int(now * 1000))
                    admitted, wait_ms, stamp = self._store.put(self._store.window, self.key, self._clock)
                    if admitted:
                        self._count_daily(stamp)
                        self._recent.append(stamp / 1000)
                        if self._on_admit is not None:
                            self._on_admit(stamp / 1000)
                        return stamp / 1000
                    wait = wait_ms / 1000
            self._sleep(wait)

    def _maybe_leak(self, which: str, bucket: AbstractBucket, stamp: int) -> None:
        """Drop entries older than every window, at most once per window (a stale entry
        never affects a count, so leaking is only housekeeping)."""
        if stamp >= self._next_leak[which]:
            self._store.leak(bucket, stamp)
            interval = max(rate.interval for rate in bucket.rates)
            self._next_leak[which] = stamp + min(interval, 60_000)

    def _count_daily(self, stamp: int) -> None:
        daily = self._store.daily
        if daily is None:
            return
        self._maybe_leak("daily", daily, stamp)
        admitted, _, _ = self._store.put(daily, self.key, lambda: stamp / 1000)
        if not admitted:
            raise RateLimitError(
                f"the daily quota of {self.limits.daily_quota} calls is spent",
                platform=self.name,
                scope="daily",
                hint="wait for the vendor's daily reset (or raise the budget with "
                f"{self.name.upper()}_DAILY_QUOTA if your contract allows more)",
            )

    def pause(self, seconds: float) -> None:
        """Make every caller in this process wait ``seconds`` from now (a vendor said
        "too many")."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + max(0.0, seconds))

    def observe(
        self,
        remaining: int | None,
        interval_seconds: float | None,
        *,
        limit: int | None = None,
        reset_after: float | None = None,
        sent_at: float | None = None,
    ) -> float:
        """Feed a vendor's rate headers: ``remaining`` calls left in its window of
        ``interval_seconds`` (``limit`` calls per window, when it says; ``reset_after``
        seconds until the window resets, when it says), as counted when the request
        admitted at ``sent_at`` (what :meth:`slot` yielded; default: now) reached it.
        Returns the pause it caused.

        The budget already paces this process's calls under the vendor's limit, so a
        count our own calls explain changes nothing, even at 0 left: pausing then would
        only give up the allowed rate (even pacing brings every window's end to ~0).
        Every caller waits only when the vendor counted more calls than we sent in its
        window up to that request (other integrations share the account) — as long as
        its window needs to free the calls we are short of, or ``reset_after`` when none
        are left — or when the vendor's ``limit`` is below what our budget allows and at
        most one call is left (then its window decides: ``reset_after``, else a window).

        A shared store's budget spans processes whose calls this process does not see,
        so there only a vendor saying none are left pauses (until ``reset_after``, else
        one call's share of the window)."""
        if remaining is None or not interval_seconds or interval_seconds <= 0:
            return 0.0
        window_limit = limit or max(1, round(self.limits.calls * interval_seconds / self.limits.per_seconds))
        if self.shared:
            if remaining > 0:
                return 0.0
            wait = (
                reset_after
                if reset_after is not None and reset_after >= 0
                else interval_seconds / window_limit
            )
            self.pause(wait)
            return wait
        end = sent_at if sent_at is not None else self._clock()
        with self._lock:
            keep_from = self._clock() - 2 * interval_seconds
            while self._recent and self._recent[0] <= keep_from:
                self._recent.popleft()
            ours = sum(1 for stamp in self._recent if end - interval_seconds < stamp <= end)
        others = (window_limit - max(remaining, 0)) - ours  # calls the vendor counted that we did not make
        if others > max(1, window_limit // 50):  # beyond the budget's own guard: someone else's calls
            wait = min(interval_seconds, others * interval_seconds / window_limit)
        elif self.limits.calls * interval_seconds / self.limits.per_seconds > window_limit and remaining <= 1:
            wait = interval_seconds  # our budget allows more than the vendor: its window decides
        else:
            return 0.0  # our own pacing explains the count, even at 0 left
        if reset_after is not None and reset_after >= 0:
            wait = reset_after if remaining <= 0 else min(wait, reset_after)
        self.pause(wait)
        return wait

    def close(self) -> None:
        """Close the store's connections (SQLite file, Redis client). Idempotent for
        the memory store; a closed shared budget must not be used again."""
        self._store.close()

    def __repr__(self) -> str:
        return f"RateBudget(name={self.name!r}, limits={self.limits!r}, shared={self.shared})"


def describe(limits: RateLimits) -> dict[str, Any]:
    """``limits`` as JSON-able data (for ``check`` details)."""
    return asdict(limits)

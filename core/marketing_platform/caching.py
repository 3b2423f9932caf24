"""Look-ups that do not change within a run, remembered per adapter instance.

Folders, channels, templates, tags, audiences and campaigns are read by name before
almost every create; in a bulk activation they are a large share of all calls. A
:class:`TTLCache` keeps each answer for ``ttl`` seconds by the adapter's injected clock
(so tests move time with a fake clock), and :class:`FreshMarks` remembers what the
adapter itself created moments ago, each mark to be taken once.

Both are thread-safe and live on one adapter instance: nothing is shared between
processes or adapters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TTLCache:
    """A thread-safe ``key -> value`` memory whose entries expire ``ttl`` seconds after
    they were stored, by ``clock``.

    Contract:

    * An entry stored at ``t`` is fresh while ``clock() - t < ttl`` (expired exactly at
      ``t + ttl``); an expired entry is never returned and is dropped when met.
    * With ``ttl <= 0`` nothing is remembered.
    * :meth:`load` calls its loader outside the lock: two threads missing the same key
      at once may both load it (harmless for reads; the later answer is kept). The entry
      is stamped with the clock read *before* the loader ran, so it never outlives the
      answer's age by more than ``ttl``.
    * None is a miss: :meth:`get` and :meth:`pop` answer None for an absent or expired
      key, and :meth:`load` does not remember a None unless ``keep_none=True`` (an
      object created on the vendor a moment ago is found on the next look-up).
    """

    def __init__(self, clock: Callable[[], float], ttl: float) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def _fresh(self, stored: float, now: float) -> bool:
        return now - stored < self.ttl

    def get(self, key: Hashable) -> Any:
        """The value remembered for ``key``, or None when absent or expired."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not self._fresh(entry[0], now):
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Hashable, value: T) -> T:
        """Remember ``value`` for ``key`` from now on; returns ``value``."""
        self._store(key, self._clock(), value)
        return value

    def _store(self, key: Hashable, stored: float, value: Any) -> None:
        if self.ttl > 0:
            with self._lock:
                self._entries[key] = (stored, value)

    def pop(self, key: Hashable) -> Any:
        """The value of ``key`` (None when absent or expired), forgotten either way."""
        now = self._clock()
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is None or not self._fresh(entry[0], now):
            return None
        return entry[1]

    def load(self, key: Hashable, loader: Callable[[], T], *, keep_none: bool = False) -> T:
        """The fresh value of ``key``, else ``loader()``, remembered unless it is None
        (or remembered anyway with ``keep_none=True``)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._fresh(entry[0], now):
                return entry[1]  # type: ignore[no-any-return]
        value = loader()
        if value is not None or keep_none:
            self._store(key, now, value)
        return value

    def forget(self, key: Hashable) -> None:
        """Forget the entry ``key`` (nothing happens when there is none)."""
        with self._lock:
            self._entries.pop(key, None)

    def forget_where(self, predicate: Callable[[Hashable], bool]) -> None:
        """Forget every entry whose key satisfies ``predicate``."""
        with self._lock:
            for key in [k for k in self._entries if predicate(k)]:
                del self._entries[key]

    def forget_kind(self, kind: Hashable) -> None:
        """Forget every entry whose key is a tuple ``(kind, ...)``."""
        self.forget_where(lambda key: isinstance(key, tuple) and bool(key) and key[0] == kind)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


class FreshMarks:
    """Keys this adapter instance created moments ago, each to be *taken* once.

    ``mark(key)`` when the adapter creates an object (a program); ``take(key)`` is True
    only the first time it is asked within ``ttl`` seconds of the mark, so exactly one
    look-up may be skipped on the strength of "it was just created here": a retry or a
    replay in the same process asks again and finds it not fresh. A replay in another
    process (or of a campaign recorded in the activation log) never had the mark. Expired
    marks are dropped as new ones are made, so a long-running worker keeps few. With
    ``ttl <= 0`` nothing is marked. Thread-safe."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._marks: dict[Hashable, float] = {}

    def mark(self, key: Hashable) -> None:
        """Mark ``key`` fresh for ``ttl`` seconds from now."""
        now = self._clock()
        with self._lock:
            for old in [k for k, until in self._marks.items() if until <= now]:
                del self._marks[old]
            if self.ttl > 0:
                self._marks[key] = now + self.ttl

    def take(self, key: Hashable) -> bool:
        """True when ``key`` was marked less than ``ttl`` seconds ago and not yet taken;
        the mark is removed either way."""
        now = self._clock()
        with self._lock:
            until = self._marks.pop(key, None)
        return until is not None and now < until

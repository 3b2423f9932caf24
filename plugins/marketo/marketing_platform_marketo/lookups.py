"""Look-ups that do not change within a run, remembered per adapter instance.

Folders, the channel list and templates are read by name before almost every create;
in a bulk activation they were a third of all calls (``channels.json`` once per
program). A :class:`LookupCache` keeps each answer for ``ttl`` seconds by the adapter's
injected clock; a miss (None) is never remembered, so an object created in Marketo a
moment ago is found on the next look-up. The adapter forgets a kind of entry when it
creates or approves one of them itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class LookupCache:
    """Thread-safe ``key -> value`` memory with a time to live. Two threads missing the
    same key at once may both load it (a read; the later answer is kept)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The remembered value of ``key``, else ``load()`` (remembered unless None)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry[0]:
                return entry[1]  # type: ignore[no-any-return]
        value = load()
        if value is not None and self.ttl > 0:
            with self._lock:
                self._entries[key] = (self._clock() + self.ttl, value)
        return value

    def forget_key(self, key: Hashable) -> None:
        """Forget the entry ``key``."""
        with self._lock:
            self._entries.pop(key, None)

    def forget(self, kind: str) -> None:
        """Forget every entry whose key is ``(kind, ...)``."""
        with self._lock:
            for key in [k for k in self._entries if isinstance(k, tuple) and k and k[0] == kind]:
                del self._entries[key]


class FreshMarks:
    """Keys this adapter instance created moments ago, each to be *taken* once.

    ``mark(key)`` when the adapter creates an object (a program); ``take(key)`` is True
    only the first time it is asked within ``ttl`` seconds of the mark, so exactly one
    look-up may be skipped on the strength of "it was just created here": a retry or a
    replay in the same process asks again and finds it not fresh. A replay in another
    process (or of a campaign recorded in the activation log) never had the mark. Expired
    marks are dropped as new ones are made, so a long-running worker keeps few."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._marks: dict[Hashable, float] = {}

    def mark(self, key: Hashable) -> None:
        now = self._clock()
        with self._lock:
            for old in [k for k, until in self._marks.items() if until <= now]:
                del self._marks[old]
            if self.ttl > 0:
                self._marks[key] = now + self.ttl

    def take(self, key: Hashable) -> bool:
        now = self._clock()
        with self._lock:
            until = self._marks.pop(key, None)
        return until is not None and now < until

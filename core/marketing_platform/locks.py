"""Named locks around the find-or-create of objects shared on a vendor (a campaign, a
blog tag, a contact list): two activations needing the same new object must not each
create it.

:class:`NamedLocks` serialises the threads of this process, re-entrantly (an adapter
may take the lock of a campaign the pipeline already holds for it). Given a ``shared``
provider — the activation pipeline passes :meth:`ActivationLog.hold
<marketing_platform.log.ActivationLog.hold>` — it also serialises every process that
shares that provider. Adapters reach it through
:meth:`MarketingPlatform.exclusive <marketing_platform.platform.MarketingPlatform.exclusive>`.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["PROCESS_LOCKS", "LockProvider", "NamedLocks"]

#: Takes a lock name, returns a context manager that holds that lock.
LockProvider = Callable[[str], AbstractContextManager[None]]


class NamedLocks:
    """Re-entrant locks by name for this process, extended across processes by ``shared``.

    A name's lock exists only while some thread holds or waits for it, so activating a
    million contents with distinct campaigns does not keep a million locks. A forked
    child starts with none held (the parent's holders do not exist there).
    """

    def __init__(self, shared: LockProvider | None = None) -> None:
        self._shared = shared
        self._reset()
        _INSTANCES.add(self)

    def _reset(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.RLock, list[int]]] = {}  # name -> (lock, [users])
        self._depth = threading.local()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        lock = self._enter(name)
        try:
            with lock:
                depth: dict[str, int] = self._depth.__dict__.setdefault("by_name", {})
                if depth.get(name) or self._shared is None:
                    yield from _nested(depth, name)
                else:
                    with self._shared(name):
                        yield from _nested(depth, name)
        finally:
            self._leave(name)

    def _enter(self, name: str) -> threading.RLock:
        with self._guard:
            entry = self._locks.get(name)
            if entry is None:
                entry = self._locks[name] = (threading.RLock(), [0])
            entry[1][0] += 1
            return entry[0]

    def _leave(self, name: str) -> None:
        with self._guard:
            entry = self._locks.get(name)
            if entry is None:  # entered before a fork, left in the child: already forgotten
                return
            entry[1][0] -= 1
            if entry[1][0] == 0:
                del self._locks[name]


def _nested(depth: dict[str, int], name: str) -> Iterator[None]:
    depth[name] = depth.get(name, 0) + 1
    try:
        yield
    finally:
        depth[name] -= 1
        if not depth[name]:
            del depth[name]


_INSTANCES: weakref.WeakSet[NamedLocks] = weakref.WeakSet()


def _forget_parent_locks() -> None:
    """In a forked child, locks held by the parent's threads would never be released,
    and the parent's re-entrancy count would let the child skip the shared lock."""
    for locks in list(_INSTANCES):
        locks._reset()


os.register_at_fork(after_in_child=_forget_parent_locks)

#: The locks of adapters used outside the activation pipeline: this process only.
PROCESS_LOCKS = NamedLocks()

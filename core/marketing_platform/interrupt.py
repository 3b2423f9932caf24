"""Graceful stop for bulk runs: the first Ctrl-C (or SIGTERM) starts nothing new and
lets the running activations finish; the second aborts at once (the process exits
without waiting for its threads; what was running stays ``in_progress``, its lease
expires, and ``mplat replay --failed`` or ``--stale`` resumes it).

Used by ``mplat activate``: it counts what finished and failed and collects the jobs
that never started, so the CLI can record them ``pending`` and print how to resume.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from rich.console import Console

__all__ = ["GracefulStop"]

_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class GracefulStop:
    """Context manager installing the two-step SIGINT / SIGTERM handlers (main thread
    only; elsewhere it only counts)."""

    def __init__(self, console: Console | None = None) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._previous: dict[int, Any] = {}
        self._console = console or Console(stderr=True)
        self.signal: signal.Signals | None = None
        self.done = 0
        self.failed = 0
        self.not_started: list[Any] = []

    # ---------------------------------------------------------------- signals
    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for sig in _EXIT_CODES:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._event.is_set():  # the second one: abort now, without waiting for anything
            self._console.print(
                "aborted: running activations stay in_progress; `mplat replay --failed` resumes them",
                highlight=False,
            )
            os._exit(_EXIT_CODES[signal.Signals(signum)])
        self.signal = signal.Signals(signum)
        self._event.set()
        self._console.print(
            "stopping: no new activation starts; running ones finish (press Ctrl-C again to abort)",
            highlight=False,
        )

    # --------------------------------------------------------------- counting
    def is_set(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    def set(self, sig: signal.Signals = signal.SIGINT) -> None:
        """Ask for a stop as the first signal would (for programs and tests)."""
        self.signal = sig
        self._event.set()

    def count(self, result: Any) -> None:
        """Count a finished activation (``result.ok``)."""
        with self._lock:
            if result.ok:
                self.done += 1
            else:
                self.failed += 1

    def skipped(self, job: Any) -> None:
        """Remember a job that was never started."""
        with self._lock:
            self.not_started.append(job)

    @property
    def exit_code(self) -> int:
        """130 after SIGINT, 143 after SIGTERM."""
        return _EXIT_CODES.get(self.signal or signal.SIGINT, 130)

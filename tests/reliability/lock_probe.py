"""``mplat`` that writes down each time it finds a lock held by another process.

``python lock_probe.py FILE ARGS...`` runs ``mplat ARGS`` with the activation log's
lock attempt wrapped: every attempt that finds the lock taken appends the lock's key,
one line, to FILE. A test starting a second process that must wait for a lock then
waits for that line (a condition it can poll) instead of sleeping "long enough" and
hoping the process got there. Run by :func:`conftest.mplat_popen` (``lock_log=``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from marketing_platform.cli import main
from marketing_platform.log import ActivationLog

_attempt = ActivationLog._try_lock  # the one place a shared lock is tried


def _try_lock(self: ActivationLog, key: str, owner: str, ttl: float) -> bool:
    taken = _attempt(self, key, owner, ttl)
    if not taken:
        with LOCK_LOG.open("a", encoding="utf-8") as out:
            out.write(key.replace("\n", " ") + "\n")
    return taken


if __name__ == "__main__":
    LOCK_LOG = Path(sys.argv.pop(1))
    ActivationLog._try_lock = _try_lock  # type: ignore[method-assign]
    main(prog_name="mplat")

"""One "process" of the shared-store tests (run as a script, not collected).

    python budget_worker.py STORE NAME CALLS PER_SECONDS MAX_CONCURRENT N HOLD START OUT

Waits until wall time START (so several workers begin together), takes N slots of a
RateBudget(CALLS/PER_SECONDS, MAX_CONCURRENT) on STORE, holding each for HOLD seconds
from its own thread pool of MAX_CONCURRENT threads, and writes JSON to OUT:
``{"admitted": [seconds...], "held": [[start, end]...]}``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from marketing_platform.ratelimit import RateBudget, RateLimits


def main(argv: list[str]) -> None:
    store, name, calls, per_seconds, max_concurrent, n, hold, start, out = argv
    cap = int(max_concurrent) or None
    admitted: list[float] = []
    held: list[list[float]] = []
    lock = threading.Lock()

    def on_admit(stamp: float) -> None:
        admitted.append(stamp)

    budget = RateBudget(
        RateLimits(int(calls), float(per_seconds), max_concurrent=cap),
        name=name,
        store=store,
        on_admit=on_admit,
    )

    def one(_: int) -> None:
        with budget.slot():
            began = time.time()
            time.sleep(float(hold))
            ended = time.time()
        with lock:
            held.append([began, ended])

    time.sleep(max(0.0, float(start) - time.time()))
    with ThreadPoolExecutor(max_workers=cap or 4) as pool:
        list(pool.map(one, range(int(n))))
    budget.close()
    with open(out, "w") as handle:
        json.dump({"admitted": admitted, "held": held}, handle)


if __name__ == "__main__":
    main(sys.argv[1:])

"""The rate budget's stores: memory (per process), SQLite (processes on one machine),
Redis (workers on several machines).

The shared-store tests run real subprocesses and check *what was admitted* (the exact
admission timestamps each budget reports through ``on_admit``), never how long it took:
at most CALLS admissions in any PER_SECONDS window across every process, and never more
than MAX_CONCURRENT calls held at once across every process.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketing_platform.errors import ConfigurationError, RateLimitError
from marketing_platform.ratelimit import RateBudget, RateLimits, store_kind
from tests.conftest import require
from tests.core.helpers import FakeClock

WORKER = Path(__file__).with_name("budget_worker.py")
PROCESS_TIMEOUT = 20


def run_workers(
    store: str,
    tmp_path: Path,
    *,
    processes: int = 2,
    calls: int = 10,
    per_seconds: float = 1.0,
    max_concurrent: int = 0,
    each: int = 12,
    hold: float = 0.0,
) -> list[dict[str, list]]:
    """Run ``processes`` budget workers on ``store`` at once; their JSON reports."""
    start = time.time() + 0.8  # every worker has imported and opened the store by then
    outs = [tmp_path / f"worker-{i}.json" for i in range(processes)]
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                store,
                "shared-test",
                str(calls),
                str(per_seconds),
                str(max_concurrent),
                str(each),
                str(hold),
                str(start),
                str(out),
            ]
        )
        for out in outs
    ]
    for child in children:
        assert child.wait(timeout=PROCESS_TIMEOUT) == 0
    return [json.loads(out.read_text()) for out in outs]


def max_in_window(stamps: list[float], window: float) -> int:
    """The most stamps inside any half-open window [t, t + window)."""
    ordered = sorted(stamps)
    best, low = 0, 0
    for high, stamp in enumerate(ordered):
        while ordered[low] <= stamp - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def max_overlap(intervals: list[list[float]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    best = current = 0
    for _, step in events:  # an end sorts before a start at the same instant
        current += step
        best = max(best, current)
    return best


def assert_shared_window(
    reports: list[dict[str, list]], *, calls: int, per_seconds: float, total: int
) -> None:
    stamps = [stamp for report in reports for stamp in report["admitted"]]
    assert len(stamps) == total
    assert all(report["admitted"] for report in reports), "every process was admitted"
    assert max_in_window(stamps, per_seconds) <= calls


# ---------------------------------------------------------------- shared stores
def test_two_processes_share_one_sqlite_window(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rates.db'}"
    reports = run_workers(store, tmp_path, calls=10, per_seconds=1.0, each=9)
    assert_shared_window(reports, calls=10, per_seconds=1.0, total=18)


def test_two_processes_share_one_redis_window(redis_store: str, tmp_path: Path) -> None:
    reports = run_workers(redis_store, tmp_path, calls=10, per_seconds=1.0, each=9)
    assert_shared_window(reports, calls=10, per_seconds=1.0, total=18)


def test_concurrency_cap_is_shared_across_processes_with_sqlite(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rates.db'}"
    reports = run_workers(store, tmp_path, calls=200, per_seconds=1.0, max_concurrent=2, each=6, hold=0.1)
    held = [interval for report in reports for interval in report["held"]]
    assert len(held) == 12
    assert max_overlap(held) <= 2


def test_concurrency_cap_is_shared_across_processes_with_redis(redis_store: str, tmp_path: Path) -> None:
    reports = run_workers(
        redis_store, tmp_path, calls=200, per_seconds=1.0, max_concurrent=2, each=6, hold=0.1
    )
    held = [interval for report in reports for interval in report["held"]]
    assert len(held) == 12
    assert max_overlap(held) <= 2


def test_checking_the_window_would_catch_unshared_budgets() -> None:
    # The assertion above is meaningful: two independent budgets admitting 10/s each
    # put 20 admissions in one second.
    first = [i * 0.1 for i in range(10)]
    second = [0.05 + i * 0.1 for i in range(10)]
    assert max_in_window(first + second, 1.0) == 20


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_daily_quota_is_shared(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = (
        f"sqlite:///{tmp_path / 'rates.db'}" if kind == "sqlite" else request.getfixturevalue("redis_store")
    )
    limits = RateLimits(1000, 1.0, daily_quota=3)
    first = RateBudget(limits, name="daily", store=store)
    second = RateBudget(limits, name="daily", store=store)
    for budget in (first, second, first):
        with budget.slot():
            pass
    with pytest.raises(RateLimitError) as caught, second.slot():
        pass
    assert caught.value.scope == "daily"
    assert not caught.value.retryable
    first.close()
    second.close()


def test_shared_store_stamps_with_wall_time_and_warns_about_a_fake_clock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    stamps: list[float] = []
    with caplog.at_level(logging.WARNING, logger="marketing_platform.ratelimit"):
        budget = RateBudget(
            RateLimits(100, 1.0),
            name="wall",
            store=f"sqlite:///{tmp_path / 'rates.db'}",
            clock=clock,
            on_admit=stamps.append,
        )
    assert "wall time" in caplog.text
    with budget.slot():
        pass
    assert abs(stamps[0] - time.time()) < 60  # wall time, not the fake clock's 2023
    budget.close()


def test_sqlite_store_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "still" / "rates.db"
    budget = RateBudget(RateLimits(5, 1.0), name="x", store=f"sqlite:///{path}")
    with budget.slot():
        pass
    budget.close()
    assert path.exists()


# ----------------------------------------------------------------- memory store
def test_memory_budgets_are_isolated_from_each_other() -> None:
    clock = FakeClock()
    limits = RateLimits(3, 1.0)
    first = RateBudget(limits, name="same", clock=clock, sleep=clock.sleep)
    second = RateBudget(limits, name="same", clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with first.slot():
            pass
    waited_by_first = list(clock.sleeps)
    assert waited_by_first  # the second and third call were spread over the window
    with second.slot():
        pass
    assert clock.sleeps == waited_by_first  # the other budget did not wait at all


def test_memory_budget_spreads_calls_and_never_exceeds_the_window() -> None:
    clock = FakeClock()
    stamps: list[float] = []
    budget = RateBudget(RateLimits(10, 1.0), name="m", clock=clock, sleep=clock.sleep, on_admit=stamps.append)
    for _ in range(35):
        with budget.slot():
            pass
    assert max_in_window(stamps, 1.0) <= 10
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.1 - 1e-6  # spread evenly, never a burst
    assert stamps[-1] - stamps[0] < 34 * 0.1 * 1.1  # and not much slower than allowed


# ----------------------------------------------------------------- bad configuration
@pytest.mark.parametrize(
    "store", ["postgres://db/rates", "sqlite://relative.db", "sqlite:///", "memcached://x", "Memory"]
)
def test_unknown_store_is_a_configuration_error_with_a_hint(store: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RateBudget(RateLimits(5, 1.0), store=store)
    assert "MARKETING_PLATFORM_RATE_STORE" in (caught.value.hint or "")


def test_store_error_never_shows_a_redis_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        store_kind("redis+bad://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(caught.value)


def test_unreachable_redis_is_a_configuration_error_without_the_password() -> None:
    require(
        importlib.util.find_spec("redis") is not None,
        'the redis package is not installed (pip install "marketing-platform[redis]")',
    )
    from benchmarks._redis import free_port

    store = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(ConfigurationError) as caught:
        RateBudget(RateLimits(5, 1.0), store=store)
    assert "hunter2" not in str(caught.value)
    assert "MARKETING_PLATFORM_RATE_STORE" in (caught.value.hint or "")


def test_redis_is_imported_only_by_the_redis_store(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from marketing_platform.ratelimit import RateBudget, RateLimits\n"
        "for store in ('memory', 'sqlite:///' + sys.argv[1]):\n"
        "    with RateBudget(RateLimits(5, 1.0), store=store).slot():\n"
        "        pass\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.db")], check=True, timeout=PROCESS_TIMEOUT)

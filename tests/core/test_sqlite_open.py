"""Processes that open the same new SQLite file at the same instant all succeed.

Two ``mplat`` runs (or bulk workers sharing a rate store) started together used to
fail with "database is locked": SQLite does not wait for the WAL switch.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from marketing_platform.log import ActivationLog
from marketing_platform.ratelimit import RateBudget, RateLimits
from marketing_platform.sqlite import connect

PROCESSES = 6
ROUNDS = 8


def _open_log(path: str) -> None:
    ActivationLog(path).list()


def _open_rate_store(path: str) -> None:
    RateBudget(RateLimits(10, 1.0, max_concurrent=2), name="race", store=f"sqlite:///{path}").close()


def _open_plain(path: str) -> None:
    conn = connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    conn.close()


def _at(start: float, opener: Callable[[str], None], path: str) -> str:
    while time.time() < start:
        pass  # spin: every process starts within microseconds of the others
    try:
        opener(path)
    except Exception as exc:  # reported back to the test, not raised in the child
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@pytest.mark.parametrize("opener", [_open_log, _open_rate_store, _open_plain], ids=["log", "rates", "plain"])
def test_processes_opening_one_new_file_together_all_succeed(
    tmp_path: Path, opener: Callable[[str], None]
) -> None:
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        for round_ in range(ROUNDS):
            path = str(tmp_path / f"round-{round_}.db")
            start = time.time() + 0.1
            outcomes = pool.starmap(_at, [(start, opener, path)] * PROCESSES)
            assert outcomes == ["ok"] * PROCESSES, outcomes
    with sqlite3.connect(tmp_path / "round-0.db") as conn:  # not connect(): it would switch it
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

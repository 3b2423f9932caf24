"""The log's named locks: one find-or-create of a shared campaign at a time, across
processes sharing the log (the in-process thread lock alone cannot see other processes)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import PlatformUnavailable
from marketing_platform.log import ActivationLog
from marketing_platform.registry import Registry

from .helpers import RecordingPlatform, blog_post

OTHER_LIVE_PROCESS = "some-other-host.example:1:abc"  # another host: never presumed dead
CAMPAIGN_KEY = "campaign 'Launch' on recorder"


def _lock_as(log: ActivationLog, key: str, owner: str, *, ttl: float = 300) -> None:
    log._try_lock(key, owner, ttl)


def _holders(log: ActivationLog) -> list[tuple[str, str]]:
    with sqlite3.connect(log.path) as db:
        return db.execute("SELECT key, owner FROM locks").fetchall()


def test_lock_is_released_after_the_block_even_when_it_raises(activation_log: ActivationLog) -> None:
    held: list[list[tuple[str, str]]] = []

    def work() -> None:
        with activation_log.hold("k"):
            held.append(_holders(activation_log))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        work()

    assert [[key for key, _ in holders] for holders in held] == [["k"]]
    assert _holders(activation_log) == []


def test_a_lock_held_elsewhere_is_waited_for_then_taken(tmp_path: Path) -> None:
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # the other holder finishes during the third nap
        naps.append(seconds)
        if len(naps) == 3:
            with sqlite3.connect(log.path) as db:
                db.execute("DELETE FROM locks")

    log = ActivationLog(tmp_path / "log.sqlite3", sleep=sleep)
    _lock_as(log, "k", OTHER_LIVE_PROCESS)

    with log.hold("k"):
        (holder,) = _holders(log)
        assert holder[1].startswith(f"{socket.gethostname()}:{os.getpid()}:")

    assert len(naps) == 3


def test_a_lock_held_too_long_is_a_retryable_error_naming_the_way_out(activation_log: ActivationLog) -> None:
    _lock_as(activation_log, "k", OTHER_LIVE_PROCESS)

    with pytest.raises(PlatformUnavailable) as caught, activation_log.hold("k", wait=0):
        pytest.fail("the block must not run while another process holds the lock")

    assert caught.value.code == "locked"
    assert caught.value.retryable
    assert "mplat replay" in (caught.value.hint or "")
    assert _holders(activation_log) == [("k", OTHER_LIVE_PROCESS)]


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_at_once(activation_log: ActivationLog) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _lock_as(activation_log, "k", f"{socket.gethostname()}:{child.pid}:dead")

    with activation_log.hold("k", wait=0):
        pass


def test_an_expired_lock_is_taken_even_from_a_live_holder(activation_log: ActivationLog) -> None:
    _lock_as(activation_log, "k", OTHER_LIVE_PROCESS, ttl=-1)

    with activation_log.hold("k", wait=0):
        pass


def test_activation_waits_for_another_process_creating_its_campaign(
    tmp_path: Path, registry: Registry, recorder: type[RecordingPlatform]
) -> None:
    seen_while_waiting: list[list[str]] = []

    def sleep(_: float) -> None:  # the other process finishes creating the campaign
        seen_while_waiting.append(list(recorder.calls))
        with sqlite3.connect(log.path) as db:
            db.execute("DELETE FROM locks")

    log = ActivationLog(tmp_path / "log.sqlite3", sleep=sleep)
    _lock_as(log, CAMPAIGN_KEY, OTHER_LIVE_PROCESS)

    with Activator(registry=registry, activation_log=log, fallback=[]) as activator:
        result = activator.activate(blog_post(), "recorder")

    assert result.ok
    assert seen_while_waiting == [[]]  # nothing was created while the other held the name
    assert recorder.calls == ["create_campaign", "publish_content"]
    assert _holders(log) == []

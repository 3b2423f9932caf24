"""Named locks: one find-or-create of a shared vendor object (campaign, tag, list) at a
time, across the threads of a process and, through the activation log, across processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import PlatformUnavailable
from marketing_platform.locks import PROCESS_LOCKS, LockProvider, NamedLocks
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


def _recording_shared() -> tuple[list[str], LockProvider]:
    """A shared lock provider that only records the names it was asked to hold."""
    taken: list[str] = []

    @contextmanager
    def shared(name: str) -> Iterator[None]:
        taken.append(name)
        yield

    return taken, shared


def test_named_locks_are_reentrant_and_take_the_shared_lock_once() -> None:
    taken, shared = _recording_shared()
    locks = NamedLocks(shared=shared)
    with locks("campaign 'A'"), locks("campaign 'A'"), locks("tag 'b'"):
        pass

    assert taken == ["campaign 'A'", "tag 'b'"]
    assert locks._locks == {}  # nothing kept once nobody holds or waits


def test_named_locks_serialise_threads_per_name_only() -> None:
    locks = NamedLocks()
    holding, other_name_done, same_name_entered = threading.Event(), threading.Event(), threading.Event()
    release = threading.Event()

    def holder() -> None:
        with locks("a"):
            holding.set()
            release.wait(5)

    def same_name() -> None:
        with locks("a"):
            same_name_entered.set()

    def other_name() -> None:
        with locks("b"):
            other_name_done.set()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert holding.wait(5)
    threads += [threading.Thread(target=same_name), threading.Thread(target=other_name)]
    for thread in threads[1:]:
        thread.start()

    assert other_name_done.wait(5)
    assert not same_name_entered.wait(0.2)
    release.set()
    assert same_name_entered.wait(5)
    for thread in threads:
        thread.join(5)


def test_adapters_in_the_pipeline_lock_shared_objects_in_the_log(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    adapter = activator.platform("recorder")

    with adapter.exclusive("blog tag", "Product News"):
        held = _holders(activation_log)

    assert [key for key, _ in held] == ["blog tag 'Product News' on recorder"]
    assert _holders(activation_log) == []


def test_adapters_outside_the_pipeline_lock_within_the_process(
    activation_log: ActivationLog, registry: Registry, recorder: type[RecordingPlatform]
) -> None:
    adapter = registry.create("recorder")

    with adapter.exclusive("blog tag", "Product News"):
        assert "blog tag 'Product News' on recorder" in PROCESS_LOCKS._locks
        assert _holders(activation_log) == []  # the pipeline's log is not involved


def test_a_slow_holder_keeps_its_lease_past_the_ttl(activation_log: ActivationLog) -> None:
    taken_over: list[bool] = []
    with activation_log.hold("k", ttl=1.0):
        for _ in range(2):
            time.sleep(0.8)  # past the ttl by the second round, unless renewed
            taken_over.append(activation_log._try_lock("k", OTHER_LIVE_PROCESS, 1.0))

    assert taken_over == [False, False]
    assert _holders(activation_log) == []


def _in_child(body: Callable[[], bool]) -> bool:
    """Run ``body`` in a forked child; whether it returned True there."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        signal.alarm(10)  # a child stuck on a lock dies (and fails the test) instead of hanging
        ok = False
        try:
            ok = body()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def test_a_forked_child_does_not_inherit_locks_held_by_the_parent() -> None:
    shared_taken, shared = _recording_shared()
    locks = NamedLocks(shared=shared)
    other_thread_holds, release = threading.Event(), threading.Event()

    def hold_b() -> None:
        with locks("b"):
            other_thread_holds.set()
            release.wait(10)

    holder = threading.Thread(target=hold_b)
    holder.start()
    assert other_thread_holds.wait(5)

    def child() -> bool:
        shared_taken.clear()
        with locks("a"), locks("b"):  # "b" is held by a thread that does not exist here
            return shared_taken == ["a", "b"]  # "a" goes through the shared lock again

    with locks("a"):
        forked_ok = _in_child(child)
    release.set()
    holder.join(5)

    assert forked_ok


def test_a_log_that_cannot_be_written_is_a_retryable_error_not_a_traceback(
    activation_log: ActivationLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_: object) -> bool:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(activation_log, "_try_lock", locked)

    with pytest.raises(PlatformUnavailable) as caught, activation_log.hold("k"):
        pytest.fail("the block must not run without the lock")

    assert caught.value.code == "locked"
    assert caught.value.retryable
    assert "database is locked" in str(caught.value)

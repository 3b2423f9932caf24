"""Named locks: one find-or-create of a shared vendor object (campaign, tag, list) at a
time, across the threads of a process and, through the activation log, across processes.

The log's own lock and lease rules are in the contract suite (tests/log), which runs them
on SQLite and PostgreSQL; these tests cover the pipeline and the in-process locks."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from marketing_platform.activation import Activator
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

"""The activation log contract: every test runs on SQLite and on a real PostgreSQL.

Where wall time is inherent (a lease expires on the database's clock) the leases last
0.3 s and the tests wait, bounded, for conditions; nothing sleeps to synchronise.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from marketing_platform import log as log_module
from marketing_platform.errors import ConfigurationError, NotFound, PlatformUnavailable
from marketing_platform.log import STATES, ActivationLeased, BaseActivationLog, Migration
from marketing_platform.redaction import register_secret

from .conftest import OTHER_LIVE_PROCESS, Store, wait_until

TTL = 0.3
SECRET = "tok-contract-5ecret-value"


def start(log: BaseActivationLog, content_id: str = "launch", platform: str = "mock") -> str:
    return log.start(content_id=content_id, platform=platform, content={"id": content_id}).id


def dead_owner() -> str:
    """The owner id of a process of this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:dead"


# --------------------------------------------------------------------- records
def test_start_records_a_pending_activation_with_its_redacted_content(
    activation_log: BaseActivationLog,
) -> None:
    register_secret(SECRET)
    record = activation_log.start(
        content_id="launch", platform="mock", content={"id": "launch", "body": f"key {SECRET}"}, source="a.md"
    )

    assert record.state == "pending"
    assert (record.content_id, record.platform, record.source, record.attempts) == (
        "launch",
        "mock",
        "a.md",
        0,
    )
    assert record.content == {"id": "launch", "body": "key ***"}
    assert record.started_at.tzinfo is not None
    assert record.finished_at is None
    assert activation_log.get(record.id) == record


def test_attempts_steps_and_finish_are_recorded_redacted(activation_log: BaseActivationLog) -> None:
    register_secret(SECRET)
    activation_id = start(activation_log)
    activation_log.begin_attempt(activation_id)
    activation_log.record_step(activation_id, "assets", {"files": []})
    activation_log.record_step(activation_id, "campaign", {"id": "c1", "echo": SECRET})
    activation_log.record_step(activation_id, "publish", {"url": "https://x/1", "action": "created"})
    failed = activation_log.finish(activation_id, "failed", error={"message": f"bad {SECRET}"}, degraded=True)

    assert (failed.state, failed.degraded, failed.attempts) == ("failed", True, 1)
    assert list(failed.steps) == ["assets", "campaign", "publish"]  # in the order they finished
    assert failed.steps["campaign"] == {"id": "c1", "echo": "***"}
    assert failed.error == {"message": "bad ***"}
    assert failed.finished_at is not None

    activation_log.begin_attempt(activation_id)  # a replay
    again = activation_log.get(activation_id)
    assert (again.state, again.attempts, again.error, again.finished_at) == ("in_progress", 2, None, None)
    assert again.steps == failed.steps
    assert activation_log.finish(activation_id, "succeeded").state == "succeeded"


def test_every_state_can_be_recorded_including_blocked(activation_log: BaseActivationLog) -> None:
    assert "blocked" in STATES
    for state in STATES:
        assert activation_log.finish(start(activation_log), state).state == state


def test_a_step_of_an_unknown_activation_is_not_found(activation_log: BaseActivationLog) -> None:
    with pytest.raises(NotFound):
        activation_log.record_step("0" * 32, "assets", {})


def test_get_finds_an_id_or_a_unique_prefix_and_refuses_an_ambiguous_one(
    activation_log: BaseActivationLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abcdef01" + "0" * 24, "abcdef02" + "0" * 24, "12345678" + "0" * 24])
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(next(ids)))
    first, second, third = (start(activation_log, name) for name in ("one", "two", "three"))

    assert activation_log.get(third[:6]).content_id == "three"
    assert activation_log.get(first[:8]).id == first
    with pytest.raises(ConfigurationError) as caught:
        activation_log.get("abcdef")
    assert caught.value.code == "ambiguous_id"
    for expected in (first, second, "one on mock", "two on mock"):
        assert expected in str(caught.value)
    for unknown in ("abcde", "abcdef9", "ABCDEF", "zzzzzzzz", "0" * 32):
        with pytest.raises(NotFound):
            activation_log.get(unknown)


def test_ids_and_list_are_newest_first(activation_log: BaseActivationLog) -> None:
    a, b, c, d = (start(activation_log, name) for name in "abcd")
    activation_log.finish(a, "failed")
    activation_log.finish(c, "failed")
    activation_log.begin_attempt(d)

    assert activation_log.ids("failed", "in_progress", "pending") == [c, a, d, b]
    assert activation_log.ids("degraded") == []
    assert [r.id for r in activation_log.list()] == [d, c, b, a]
    assert [r.id for r in activation_log.list(limit=2)] == [d, c]
    assert [r.id for r in activation_log.list(limit=None, state="failed")] == [c, a]


def test_uploads_are_remembered_per_platform_and_account(activation_log: BaseActivationLog) -> None:
    register_secret(SECRET)
    assert activation_log.uploaded("mock", "acct", "f" * 64) is None
    activation_log.remember_upload("mock", "acct", "f" * 64, {"url": "https://cdn/1", "note": SECRET})
    activation_log.remember_upload("mock", "acct", "f" * 64, {"url": "https://cdn/2"})  # replaced

    assert activation_log.uploaded("mock", "acct", "f" * 64) == {"url": "https://cdn/2"}
    assert activation_log.uploaded("mock", "other", "f" * 64) is None
    assert activation_log.uploaded("hubspot", "acct", "f" * 64) is None
    activation_log.remember_upload("mock", "b", "e" * 64, {"note": SECRET})
    assert activation_log.uploaded("mock", "b", "e" * 64) == {"note": "***"}


def test_two_logs_on_one_store_see_each_other(activation_log: BaseActivationLog, store: Store) -> None:
    activation_id = start(activation_log)
    assert store.open().get(activation_id).content_id == "launch"


# ---------------------------------------------------------------------- leases
def test_a_claim_excludes_other_claims_until_it_ends(activation_log: BaseActivationLog) -> None:
    activation_id = start(activation_log)

    assert activation_log.claim(activation_id, owner=OTHER_LIVE_PROCESS)
    assert not activation_log.claim(activation_id)
    activation_log.finish(activation_id, "succeeded")  # the lease ends with the activation
    assert activation_log.claim(activation_id)


def test_claiming_an_unknown_activation_is_not_found(activation_log: BaseActivationLog) -> None:
    with pytest.raises(NotFound):
        activation_log.claim("0" * 32)
    with pytest.raises(NotFound), activation_log.lease("0" * 32):
        pytest.fail("no lease on an unknown activation")


def test_a_lease_left_by_a_dead_process_on_this_host_is_taken_at_once(
    activation_log: BaseActivationLog,
) -> None:
    activation_id = start(activation_log)
    assert activation_log.claim(activation_id, owner=dead_owner(), ttl=300)

    assert activation_log.claim(activation_id)


def test_a_lease_excludes_every_other_claimant_and_is_released_after_the_block(
    activation_log: BaseActivationLog, store: Store
) -> None:
    activation_id = start(activation_log)
    other = store.open()
    seen: list[object] = []

    def work() -> None:
        with activation_log.lease(activation_id, ttl=30) as owner:
            seen.append(owner.startswith(f"{socket.gethostname()}:{os.getpid()}:"))
            seen.append(other.claim(activation_id))
            try:
                with other.lease(activation_id):
                    seen.append("two leases on one activation")
            except ActivationLeased as exc:
                seen.append((exc.code, "mplat status" in (exc.hint or "")))
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        work()

    assert seen == [True, False, ("locked", True)]
    assert other.claim(activation_id, owner=OTHER_LIVE_PROCESS)  # released although it raised


def test_of_two_threads_leasing_one_activation_one_runs(
    activation_log: BaseActivationLog, store: Store
) -> None:
    activation_id = start(activation_log)
    logs = [activation_log, store.open()]
    ready, release = threading.Barrier(2), threading.Event()
    outcomes: list[str] = []

    def run(log: BaseActivationLog) -> None:
        ready.wait(5)
        try:
            with log.lease(activation_id, ttl=30):
                outcomes.append("ran")
                release.wait(5)
        except ActivationLeased:
            outcomes.append("refused")
            release.set()

    threads = [threading.Thread(target=run, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes) == ["ran", "refused"]


def test_two_claims_of_an_expired_lease_at_once_take_it_once(
    activation_log: BaseActivationLog, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read of the holder and the write of the new one are one atomic step: a
    second claimant cannot even read the lease while the first decides."""
    activation_id = start(activation_log)
    assert activation_log.claim(activation_id, owner=OTHER_LIVE_PROCESS, ttl=-1)  # expired
    deciding = threading.Barrier(2)
    real = log_module.lease_is_free

    def slow_decision(holder: str | None, unexpired: bool) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            deciding.wait(0.5)  # both claimants in here at once would be the bug
        return real(holder, unexpired)

    for module in (log_module, sys.modules[type(activation_log).__module__]):
        monkeypatch.setattr(module, "lease_is_free", slow_decision)
    logs = [activation_log, store.open()]
    taken: list[bool] = []
    threads = [
        threading.Thread(target=lambda log=log: taken.append(log.claim(activation_id))) for log in logs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(taken) == [False, True]


def test_a_renewed_lease_is_never_taken_over(activation_log: BaseActivationLog, store: Store) -> None:
    activation_id = start(activation_log)
    other = store.open()
    refusals = 0

    with activation_log.lease(activation_id, ttl=TTL):
        deadline = time.monotonic() + 3 * TTL  # well past the ttl: only renewal keeps it
        while time.monotonic() < deadline:
            assert not other.claim(activation_id, owner=OTHER_LIVE_PROCESS, ttl=TTL)
            refusals += 1
            threading.Event().wait(TTL / 10)

    assert refusals > 4
    assert other.claim(activation_id, owner=OTHER_LIVE_PROCESS)  # released at the end


def test_an_unrenewed_lease_expires_after_its_ttl(activation_log: BaseActivationLog, store: Store) -> None:
    activation_id = start(activation_log)
    other = store.open()
    claimed = time.monotonic()
    assert activation_log.claim(activation_id, owner=OTHER_LIVE_PROCESS, ttl=TTL)  # a worker that died

    assert not other.claim(activation_id)
    assert wait_until(lambda: other.claim(activation_id))
    assert time.monotonic() - claimed >= TTL * 0.9


def test_stale_lists_the_unfinished_work_of_dead_workers_only(
    activation_log: BaseActivationLog, store: Store
) -> None:
    log = store.open(lease_seconds=TTL)
    running = start(log, "running")  # the oldest: idle longest, but its worker is alive
    with log.lease(running):
        log.begin_attempt(running)
        never_leased = start(log, "never-leased")
        expired = start(log, "expired")
        log.begin_attempt(expired)
        assert log.claim(expired, owner=OTHER_LIVE_PROCESS)  # lease_seconds, not renewed: its worker died
        finished = start(log, "finished")
        log.finish(finished, "failed")
        assert log.stale() == []  # nothing is older than the ttl yet

        assert wait_until(lambda: log.stale() == [never_leased, expired])
        assert log.stale(ttl=60) == []  # not idle for a minute
    fresh = start(log, "fresh")
    assert fresh not in log.stale()


# ----------------------------------------------------------------- named locks
def test_a_lock_is_released_after_the_block_even_when_it_raises(
    activation_log: BaseActivationLog, store: Store
) -> None:
    held: list[list[str]] = []

    def work() -> None:
        with activation_log.hold("k"):
            held.append([key for key, _ in store.holders()])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        work()

    assert held == [["k"]]
    assert store.holders() == []


def test_a_lock_held_elsewhere_is_waited_for_then_taken(
    activation_log: BaseActivationLog, store: Store
) -> None:
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # the other holder finishes during the third nap
        naps.append(seconds)
        if len(naps) == 3:
            store.execute("DELETE FROM locks")

    log = store.open(sleep=sleep)
    assert log._try_lock("k", OTHER_LIVE_PROCESS, 300)

    with log.hold("k"):
        ((_, holder),) = store.holders()
        assert holder.startswith(f"{socket.gethostname()}:{os.getpid()}:")

    assert len(naps) == 3


def test_a_lock_held_too_long_is_a_retryable_error_naming_the_way_out(
    activation_log: BaseActivationLog, store: Store
) -> None:
    assert activation_log._try_lock("k", OTHER_LIVE_PROCESS, 300)

    with pytest.raises(PlatformUnavailable) as caught, activation_log.hold("k", wait=0):
        pytest.fail("the block must not run while another process holds the lock")

    assert caught.value.code == "locked"
    assert caught.value.retryable
    assert "mplat replay" in (caught.value.hint or "")
    assert store.holders() == [("k", OTHER_LIVE_PROCESS)]


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_at_once(
    activation_log: BaseActivationLog,
) -> None:
    assert activation_log._try_lock("k", dead_owner(), 300)

    with activation_log.hold("k", wait=0):
        pass


def test_an_expired_lock_is_taken_even_from_a_live_holder(activation_log: BaseActivationLog) -> None:
    assert activation_log._try_lock("k", OTHER_LIVE_PROCESS, -1)

    with activation_log.hold("k", wait=0):
        pass


def test_a_slow_holder_keeps_its_lock_past_the_ttl(activation_log: BaseActivationLog, store: Store) -> None:
    other = store.open()
    with activation_log.hold("k", ttl=TTL):
        deadline = time.monotonic() + 3 * TTL
        while time.monotonic() < deadline:
            assert not other._try_lock("k", OTHER_LIVE_PROCESS, TTL)
            threading.Event().wait(TTL / 10)

    assert store.holders() == []


def test_a_lock_waited_for_by_another_thread_is_taken_once_released(
    activation_log: BaseActivationLog, store: Store
) -> None:
    waiting, release, entered = threading.Event(), threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:  # the waiter found the lock taken
        waiting.set()
        threading.Event().wait(min(seconds, 0.02))

    waiter_log = store.open(sleep=sleep)

    def waiter() -> None:
        with waiter_log.hold("k", ttl=30, wait=10):
            entered.set()

    with activation_log.hold("k", ttl=30):
        thread = threading.Thread(target=waiter)
        thread.start()
        assert waiting.wait(5)
        assert not entered.is_set()
        release.set()
    assert entered.wait(5)
    thread.join(5)
    assert store.holders() == []


def test_named_locks_exclude_each_other_across_threads_and_logs(
    activation_log: BaseActivationLog, store: Store
) -> None:
    logs = [
        activation_log,
        *(store.open(sleep=lambda s: threading.Event().wait(min(s, 0.01))) for _ in range(3)),
    ]
    guard = threading.Lock()
    inside, overlaps, entries = [0], [0], [0]
    start_together = threading.Barrier(len(logs))

    def work(log: BaseActivationLog) -> None:
        start_together.wait(5)
        for _ in range(4):
            with log.hold("campaign 'Launch'", ttl=30, wait=20):
                with guard:
                    inside[0] += 1
                    entries[0] += 1
                    overlaps[0] += inside[0] > 1
                threading.Event().wait(0.005)  # widen the window a second holder would need
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=work, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert entries[0] == 4 * len(logs)
    assert overlaps[0] == 0


def test_a_log_that_cannot_be_written_is_a_retryable_error_not_a_traceback(
    activation_log: BaseActivationLog, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> bool:
        raise store.error("database is locked")

    monkeypatch.setattr(activation_log, "_try_lock", broken)

    with pytest.raises(PlatformUnavailable) as caught, activation_log.hold("k"):
        pytest.fail("the block must not run without the lock")

    assert caught.value.code == "locked"
    assert caught.value.retryable
    assert "database is locked" in str(caught.value)


# ------------------------------------------------------------------ migrations
def _versions(store: Store, location: str | None = None) -> list[int]:
    return [
        version
        for (version,) in store.execute("SELECT version FROM schema_version ORDER BY 1", location=location)
    ]


def test_the_schema_is_versioned_and_migrating_again_changes_nothing(
    activation_log: BaseActivationLog, store: Store
) -> None:
    activation_id = start(activation_log)
    expected = list(range(1, len(type(activation_log).migrations) + 1))
    assert _versions(store) == expected

    again = store.open()
    assert again.get(activation_id).content_id == "launch"
    assert _versions(store) == expected


def test_a_schema_newer_than_this_version_is_refused(activation_log: BaseActivationLog, store: Store) -> None:
    activation_log.ids("pending")  # created on first use
    store.execute("INSERT INTO schema_version (version, description) VALUES (99, 'from the future')")

    with pytest.raises(ConfigurationError) as caught:
        store.open().ids("pending")
    assert "schema version 99" in str(caught.value)
    assert "upgrade" in (caught.value.hint or "")


def test_logs_opening_one_empty_store_at_once_create_the_schema_once(
    activation_log: BaseActivationLog, store: Store
) -> None:
    location = store.new_location()
    together = threading.Barrier(4)
    errors: list[BaseException] = []

    def first_use() -> None:
        together.wait(5)
        try:
            store.open(location).ids("pending")
        except BaseException as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert _versions(store, location) == list(range(1, len(type(activation_log).migrations) + 1))


@pytest.fixture
def probe_migration(
    activation_log: BaseActivationLog, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A next migration that counts its runs and, on its first, waits for ``release``."""
    state: dict[str, Any] = {"runs": 0, "inside": threading.Event(), "release": threading.Event()}

    def apply(_: object) -> None:
        state["runs"] += 1
        state["inside"].set()
        state["release"].wait(10)

    cls = type(activation_log)
    known = list(cls.migrations)
    monkeypatch.setattr(cls, "migrations", (*known, Migration(len(known) + 1, "probe", apply)))
    state["version"] = len(known) + 1
    yield state
    state["release"].set()


def test_a_new_migration_runs_once_when_two_processes_start_together(
    activation_log: BaseActivationLog,
    store: Store,
    probe_migration: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cls = type(activation_log)
    with monkeypatch.context() as old:  # the store at the previous version
        old.setattr(cls, "migrations", cls.migrations[:-1])
        store.open().ids("pending")
    done: list[str] = []

    def first_use(name: str) -> None:
        store.open().ids("pending")
        done.append(name)

    first = threading.Thread(target=first_use, args=("first",))
    first.start()
    assert probe_migration["inside"].wait(10)
    second = threading.Thread(target=first_use, args=("second",))
    second.start()
    second.join(0.3)  # it must wait for the first to commit
    assert done == []
    probe_migration["release"].set()
    first.join(10)
    second.join(10)

    assert sorted(done) == ["first", "second"]
    assert probe_migration["runs"] == 1
    assert _versions(store)[-1] == probe_migration["version"]

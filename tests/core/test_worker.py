"""Celery workers, without a broker: enqueueing records first, a task is a replay, and
retryable errors (only those) are retried after the error's delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketing_platform.activation import Activator, Job
from marketing_platform.errors import ContentRejected, RateLimitError
from marketing_platform.models import Capability
from marketing_platform.worker import TASK_NAME, enqueue, make_app, run_activation

from .helpers import RecordingPlatform, blog_post


def _pending(activator: Activator) -> Any:
    content = blog_post().model_dump()
    return activator.log.start(content_id="hello-world", platform="recorder", content=content)


class _Sent:
    """Stands in for a Celery app: remembers what would reach the broker."""

    def __init__(self, log: Any) -> None:
        self.calls: list[tuple[list[str], Any, list[str]]] = []
        self._log = log
        self.tasks = {TASK_NAME: self}

    def apply_async(self, args: list[str], eta: Any = None) -> None:
        states = [r.state for r in self._log.list(limit=None)]
        self.calls.append((args, eta, states))


def test_enqueue_records_every_activation_pending_before_sending_it(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    jobs = [Job(blog_post(id=f"post-{i}"), "recorder", source=f"{i}.md") for i in range(3)]
    app = _Sent(activator.log)

    ids = enqueue(activator, jobs, app)  # type: ignore[arg-type]

    assert [args for args, _, _ in app.calls] == [[i] for i in ids]
    assert [len(states) for _, _, states in app.calls] == [1, 2, 3], "recorded before each send"
    assert all(r.state == "pending" for r in activator.log.list(limit=None))
    assert recorder.calls == [], "enqueueing sends nothing to the platform"


def test_a_future_schedule_is_the_tasks_eta_only_where_the_platform_cannot_schedule(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    app = _Sent(activator.log)
    recorder.capabilities = frozenset(Capability) - {Capability.SCHEDULING}
    enqueue(activator, [Job(blog_post(schedule_at=later), "recorder")], app)  # type: ignore[arg-type]
    recorder.capabilities = frozenset(Capability)
    enqueue(activator, [Job(blog_post(id="native", schedule_at=later), "recorder")], app)  # type: ignore[arg-type]

    assert [eta for _, eta, _ in app.calls] == [later, None]


def test_a_task_is_a_replay_and_running_it_twice_creates_nothing_twice(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    record = activator.log.start(
        content_id="hello-world", platform="recorder", content=blog_post().model_dump()
    )

    first = run_activation(record.id, activator)
    second = run_activation(record.id, activator)  # a redelivered task

    assert first["state"] == second["state"] == "succeeded"
    assert recorder.calls.count("publish_content") == 1


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch, activator: Activator) -> Any:
    monkeypatch.setattr("marketing_platform.worker._activator", activator)
    app = make_app("memory://")
    app.conf.task_always_eager = True
    return app


def test_retryable_errors_are_retried_after_their_delay(
    eager: Any, activator: Activator, recorder: type[RecordingPlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    failures = [RateLimitError("slow down", retry_after=7.0), RateLimitError("slow down", retry_after=3.0)]

    def fail_twice() -> None:
        if failures:
            raise failures.pop(0)

    recorder.before["publish_content"] = fail_twice
    task = eager.tasks[TASK_NAME]
    original = task.retry

    def retry(*args: Any, countdown: float, **kwargs: Any) -> Any:
        delays.append(countdown)
        return original(*args, countdown=countdown, **kwargs)

    monkeypatch.setattr(task, "retry", retry)
    record = activator.log.start(
        content_id="hello-world", platform="recorder", content=blog_post().model_dump()
    )

    task.apply_async(args=[record.id])

    assert delays == [7.0, 3.0]
    assert activator.log.get(record.id).state == "succeeded"


def test_content_errors_are_never_retried(
    eager: Any, activator: Activator, recorder: type[RecordingPlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder.fail["publish_content"] = ContentRejected("no")
    task = eager.tasks[TASK_NAME]
    retried: list[Any] = []
    monkeypatch.setattr(task, "retry", lambda *a, **k: retried.append(k))
    record = activator.log.start(
        content_id="hello-world", platform="recorder", content=blog_post().model_dump()
    )

    task.apply_async(args=[record.id])

    assert retried == []
    assert activator.log.get(record.id).state == "failed"


def test_a_scheduled_activation_is_neither_stale_nor_run_before_its_time(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    """`mplat replay --stale` resumes unfinished records without a live lease: a
    scheduled one (its task waits for the ETA in a worker) must not be published early."""
    later = datetime.now(UTC) + timedelta(hours=1)
    recorder.capabilities = frozenset(Capability) - {Capability.SCHEDULING}
    app = _Sent(activator.log)
    [scheduled] = enqueue(activator, [Job(blog_post(schedule_at=later), "recorder")], app)  # type: ignore[arg-type]
    [now] = enqueue(activator, [Job(blog_post(id="now"), "recorder")], app)  # type: ignore[arg-type]

    assert activator.log.stale(ttl=0) == [now], "only the unscheduled record is resumable"
    early = run_activation(scheduled, activator)  # a worker whose clock runs ahead

    assert early == {"id": scheduled, "state": "not_run", "retryable": True, "retry_after": None}
    assert recorder.calls == []
    assert activator.log.get(scheduled).state == "pending"


def test_a_task_for_an_activation_leased_elsewhere_is_retried_not_dropped(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    """A redelivered task whose activation another machine holds (running it, or dead
    with its lease not yet expired) retries later instead of being acknowledged."""
    record = _pending(activator)
    assert activator.log.claim(record.id, owner="other-machine.example:1:abc", ttl=60)

    outcome = run_activation(record.id, activator)

    assert outcome["retryable"] is True
    assert outcome["state"] == "not_run"
    assert recorder.calls == []


def test_an_activation_abandoned_while_queued_is_not_run(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    record = _pending(activator)
    activator.abandon(record.id)

    outcome = run_activation(record.id, activator)

    assert outcome["state"] == "abandoned"
    assert outcome["retryable"] is False
    assert recorder.calls == []
    assert activator.log.get(record.id).state == "abandoned"

"""Celery workers: activations run by a pool of workers on any number of machines.

``pip install "marketing-platform[celery]"``. Every activation is recorded in the
activation log (``pending``) *before* its task is enqueued, so nothing is lost if the
broker is; the task carries only the activation id, and running it is a replay: it
resumes after the last recorded step and looks every object up before writing, so a
task run twice (a killed worker's task delivered again) creates nothing twice.

* ``acks_late`` + ``reject_on_worker_lost``: a task whose worker died is delivered again.
* A retryable error (rate limit, unavailable, a lock held elsewhere) becomes a Celery
  retry delayed by the error's ``retry_after`` (else an exponential backoff); content
  errors are never retried. So does finding the activation leased by another process
  (a second delivery of the task, or a worker dead elsewhere whose lease has not run
  out): a later attempt finds it finished, or resumes it. An activation abandoned
  (``mplat abandon``) while its task was queued is not run.
* ``schedule_at`` on a platform that cannot schedule natively (no
  ``Capability.SCHEDULING``, e.g. Marketo) becomes the task's ETA, and the record holds
  a lease until then, so ``mplat replay --stale`` does not publish it early.

The broker is ``MARKETING_PLATFORM_BROKER`` (e.g. ``redis://127.0.0.1:6379/0``); the
activation log every worker shares is ``MARKETING_PLATFORM_LOG`` (PostgreSQL across
machines).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from celery import Celery, Task

    from .activation import Activator, Job

__all__ = ["TASK_NAME", "enqueue", "make_app", "run_activation", "scheduled_owner"]

TASK_NAME = "mplat.activate"
#: Retries of one activation before it is left ``failed`` (``mplat replay`` resumes it).
MAX_RETRIES = 12
BROKER_VARIABLE = "MARKETING_PLATFORM_BROKER"
#: Seconds before its ETA that a scheduled activation's lease ends, so the task finds it
#: free at the ETA although the lease was written a moment after its length was computed.
SCHEDULE_MARGIN = 1.0

_activator: Activator | None = None
_activator_lock = threading.Lock()


def broker_url(url: str | None = None) -> str:
    """The broker URL: ``url`` or ``MARKETING_PLATFORM_BROKER`` (environment or ``.env``)."""
    from .settings import load_core_settings

    found = url or load_core_settings().broker
    if not found:
        raise ConfigurationError(
            f"no broker: {BROKER_VARIABLE} is not set",
            code="broker",
            hint=f"set {BROKER_VARIABLE}=redis://127.0.0.1:6379/0 (a Redis server every worker reaches)",
        )
    return found


def make_app(broker: str | None = None, *, visibility_timeout: float | None = None) -> Celery:
    """The Celery application with the activation task registered.

    ``visibility_timeout`` (Redis brokers): seconds before an unacknowledged task of a
    dead worker is delivered again (default: the broker's, one hour)."""
    try:
        from celery import Celery
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "Celery is not installed", code="celery", hint='pip install "marketing-platform[celery]"'
        ) from None
    app = Celery("marketing_platform", broker=broker_url(broker))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if visibility_timeout is not None:
        app.conf.broker_transport_options = {"visibility_timeout": visibility_timeout}
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)(
        _task
    )
    return app


def _shared_activator() -> Activator:
    """One Activator per worker process (its adapters keep connections and budgets)."""
    global _activator
    with _activator_lock:
        if _activator is None:
            from .activation import Activator

            _activator = Activator()
        return _activator


def run_activation(activation_id: str, activator: Activator | None = None) -> dict[str, Any]:
    """Run (resume) the recorded activation ``activation_id``; the task's body.

    Returns ``{"id", "state", "retry_after", "retryable"}``: ``retryable`` is true when
    the activation failed for a reason a later attempt can overcome."""
    from .errors import MarketingPlatformError
    from .log import ActivationLeased

    activator = activator or _shared_activator()
    try:
        if activator.log.get(activation_id).state == "abandoned":  # given up while queued
            return {"id": activation_id, "state": "abandoned", "retryable": False, "retry_after": None}
        result = activator.replay(activation_id)
    except ActivationLeased:
        # Another process holds the lease: it is running the activation (this is a
        # redelivered copy), or it died on another machine and its lease has not run
        # out yet, or the lease is a schedule's (this worker's clock is a little ahead).
        # A later attempt finds it finished, or resumes it once the lease is free.
        return {"id": activation_id, "state": "not_run", "retryable": True, "retry_after": None}
    except MarketingPlatformError as exc:
        return {"id": activation_id, "state": "not_run", "retryable": exc.retryable, "retry_after": None}
    error = result.error or {}
    return {
        "id": activation_id,
        "state": result.record.state,
        "retryable": result.record.state == "failed" and bool(error.get("retryable")),
        "retry_after": error.get("retry_after"),
    }


def _task(task: Task, activation_id: str) -> str:
    outcome = run_activation(activation_id)
    if outcome["retryable"]:
        retries = task.request.retries
        delay = outcome["retry_after"] or min(2 ** (retries + 1), 300)
        raise task.retry(countdown=float(delay))
    return str(outcome["state"])


def enqueue(activator: Activator, jobs: Iterable[Job], app: Celery) -> list[str]:
    """Record each job ``pending`` (write-ahead) and enqueue its task; the ids in order.

    A job whose platform cannot schedule natively and whose content has a future
    ``schedule_at`` runs at that time (the task's ETA). Until just before then
    (``SCHEDULE_MARGIN``) its record holds a lease owned by ``scheduled-for-<UTC
    time>``: ``mplat replay --stale`` (and ``--failed``) resume unfinished records
    without a live lease, and must not publish a scheduled one early."""
    from .models import Capability

    ids: list[str] = []
    for job in jobs:
        record = activator.log.start(
            content_id=job.content.id,
            platform=job.platform,
            content=job.content.model_dump(mode="json"),
            source=job.source,
        )
        eta = job.content.schedule_at
        native = Capability.SCHEDULING in activator.platform(job.platform).capabilities
        ahead = (eta - datetime.now(UTC)).total_seconds() if eta is not None else 0.0
        if eta is None or native or ahead <= 0:
            eta = None
        elif ahead > SCHEDULE_MARGIN:
            activator.log.claim(record.id, owner=scheduled_owner(eta), ttl=ahead - SCHEDULE_MARGIN)
        app.tasks[TASK_NAME].apply_async(args=[record.id], eta=eta)
        ids.append(record.id)
    return ids


def scheduled_owner(eta: datetime) -> str:
    """The lease owner that keeps a scheduled activation until ``eta`` (never a process:
    no colon, so no host of this machine matches it and it is never presumed dead)."""
    return f"scheduled-for-{eta.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def worker_argv(*, concurrency: int, loglevel: str, hostname: str | None) -> Sequence[str]:
    """The ``celery worker`` arguments ``mplat worker`` runs with: a thread pool (the
    work is waiting on vendors), one task prefetched at a time."""
    argv = ["worker", "--pool=threads", f"--concurrency={concurrency}", f"--loglevel={loglevel}"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv

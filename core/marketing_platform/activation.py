"""The activation pipeline: validate -> map -> upload assets -> campaign -> publish -> record.

Promises, whatever fails:

* Bad content is rejected before the log is written or a request is sent.
* The activation is in the log (``pending``) before the first request; each finished
  step is recorded with its external ids the moment the platform answers.
* A failure leaves a ``failed`` record; :meth:`Activator.replay` resumes after the last
  recorded step and asks the adapter to look the object up before creating it, so a
  crash between the vendor's success and our log write does not duplicate it.
* A fallback platform runs only when configured, never for ``ContentRejected``; its
  result is ``degraded`` and the record stays replayable to the primary platform.
* One platform's failure never stops or rolls back another's success.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .assets import load_assets
from .errors import ConfigurationError, ContentRejected, MarketingPlatformError, Problem
from .locks import NamedLocks
from .log import ActivationLog, ActivationRecord
from .models import AssetsResponse, CampaignResponse, Content, PlatformResponse, PublishResponse
from .platform import MarketingPlatform
from .registry import Registry, default_registry

log = logging.getLogger("marketing_platform.activation")

PlatformFactory = Callable[[str], MarketingPlatform]

#: Upper bound on concurrent activations when no platform declares a smaller one.
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Job:
    """One activation to run: which content, on which platform, assets resolved where."""

    content: Content
    platform: str
    asset_root: Path | None = None
    source: str | None = None
    #: True when ``content`` is the output of :meth:`Activator.prepare` for this platform
    #: (assets loaded): it is not validated again, so a batch checked up front cannot
    #: fail half-way on a time-dependent rule.
    prepared: bool = False


@dataclass
class ActivationResult:
    """The outcome of one activation on one platform (one row of ``--json`` output)."""

    record: ActivationRecord
    campaign: CampaignResponse | None = None
    assets: AssetsResponse | None = None
    publish: PublishResponse | None = None
    error: dict[str, Any] | None = None
    fallback: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.record.state == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        def dump(model: Any) -> Any:
            return model.model_dump(mode="json") if model is not None else None

        return {
            "id": self.record.id,
            "content_id": self.record.content_id,
            "platform": self.record.platform,
            "state": self.record.state,
            "degraded": self.record.degraded,
            "campaign": dump(self.campaign),
            "assets": dump(self.assets),
            "publish": dump(self.publish),
            "error": self.error,
            "fallback": self.fallback,
        }


def error_dict(exc: BaseException) -> dict[str, Any]:
    """The ``error`` object for any exception (unexpected ones included)."""
    if isinstance(exc, MarketingPlatformError):
        return exc.to_dict()
    return {
        "type": type(exc).__name__,
        "code": "internal",
        "message": str(exc) or type(exc).__name__,
        "hint": "this is a bug in the adapter or the framework; please report it with the activation id",
        "request_id": None,
        "retryable": False,
    }


class Activator:
    """Runs activations and replays, writing the :class:`ActivationLog`."""

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        activation_log: ActivationLog | None = None,
        platform_factory: PlatformFactory | None = None,
        fallback: Sequence[str] | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        settings = self.registry.core_settings
        self.log = activation_log or ActivationLog(settings.log_path)
        self._factory = platform_factory or self.registry.create
        self.fallback = list(settings.fallbacks if fallback is None else fallback)
        installed = self.registry.names()
        unknown = [name for name in self.fallback if name not in installed]
        if unknown:
            raise ConfigurationError(
                f"unknown fallback platform(s): {', '.join(unknown)}; installed: {', '.join(installed)}",
                code="unknown_platform",
                hint="set MARKETING_PLATFORM_FALLBACK to installed platform names (or unset it)",
            )
        self._instances: dict[str, MarketingPlatform] = {}
        self._instances_lock = threading.Lock()
        self._locks = NamedLocks(shared=self.log.hold)

    # ----------------------------------------------------------------- plumbing
    def platform(self, name: str) -> MarketingPlatform:
        """The adapter instance for ``name``, created once per Activator."""
        with self._instances_lock:
            if name not in self._instances:
                adapter = self._factory(name)
                adapter.bind_locks(self._locks)
                self._instances[name] = adapter
            return self._instances[name]

    def close(self) -> None:
        for instance in self._instances.values():
            instance.close()
        self._instances.clear()

    def __enter__(self) -> Activator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- validation
    def prepare(self, content: Content, platform: MarketingPlatform, asset_root: Path | None) -> Content:
        """``content`` validated for ``platform`` with its assets loaded; raises
        ContentRejected listing every problem. Sends nothing, writes nothing."""
        problems: list[Problem] = list(platform.mapper.problems(content))
        problems += self.registry.hooks.validate_content(content, platform.name)
        loaded = content
        if content.assets:
            try:
                assets = load_assets(
                    list(content.assets), asset_root or Path.cwd(), max_bytes=platform.max_asset_bytes
                )
                loaded = content.model_copy(update={"assets": assets})
            except ContentRejected as exc:
                problems += exc.problems
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be activated on {platform.name}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                platform=platform.name,
                problems=problems,
                hint="fix the content file; nothing was sent",
            )
        return loaded

    def plan(
        self, content: Content, platform_name: str, *, asset_root: Path | None = None
    ) -> list[dict[str, Any]]:
        """What :meth:`activate` would send (``--dry-run``); validates, sends nothing."""
        platform = self.platform(platform_name)
        prepared = self.prepare(content, platform, asset_root)
        return platform.plan(prepared)

    # --------------------------------------------------------------- activation
    def activate(
        self,
        content: Content,
        platform: str | None = None,
        *,
        asset_root: Path | None = None,
        source: str | None = None,
        prepared: bool = False,
    ) -> ActivationResult:
        """Activate ``content`` on one platform (default ``MARKETING_PLATFORM``).

        Raises ConfigurationError / ContentRejected for problems found before anything
        is recorded; any failure after that is returned as a ``failed`` (or, with a
        fallback, ``degraded``) result, never raised. ``prepared``: ``content`` already
        went through :meth:`prepare` for this platform.
        """
        name = platform or self.registry.core_settings.platform
        adapter = self.platform(name)
        if not prepared:
            content = self.prepare(content, adapter, asset_root)
        record = self.log.start(
            content_id=content.id,
            platform=name,
            content=content.model_dump(mode="json"),
            source=source,
        )
        return self._run(record, content)

    def activate_many(
        self,
        content: Content,
        platforms: Sequence[str],
        *,
        asset_root: Path | None = None,
        source: str | None = None,
    ) -> list[ActivationResult]:
        """Activate on each platform in turn; each has its own record and outcome, and
        one platform's failure never stops another. The content is validated for every
        platform first: a ContentRejected / ConfigurationError is raised before anything
        is sent anywhere."""
        ready = [(name, self.prepare(content, self.platform(name), asset_root)) for name in platforms]
        return [self.activate(prepared, name, source=source, prepared=True) for name, prepared in ready]

    def activate_all(
        self,
        jobs: Sequence[Job],
        *,
        max_workers: int | None = None,
        on_done: Callable[[ActivationResult], None] | None = None,
    ) -> list[ActivationResult]:
        """Run many activations concurrently; the results in the order of ``jobs``.

        Concurrency is bounded by ``max_workers``, else by the concurrent-call budgets the
        involved platforms declare. Each job is validated by :meth:`activate` (a bad job
        raises); prepare them first to refuse a batch before anything is sent.
        """
        if max_workers is None and jobs:
            max_workers = self._workers_for({job.platform for job in jobs})
        return list(self.activate_iter(jobs, max_workers=max_workers, on_done=on_done))

    def activate_iter(
        self,
        jobs: Iterable[Job],
        *,
        max_workers: int | None = None,
        on_done: Callable[[ActivationResult], None] | None = None,
    ) -> Iterator[ActivationResult]:
        """Like :meth:`activate_all`, but streaming: ``jobs`` is consumed lazily and each
        result is yielded (in job order) as soon as it is ready, with at most
        ``2 * max_workers`` activations in hand, so memory stays flat however many jobs
        there are. Without ``max_workers`` the first job's platform sets the bound."""
        iterator = iter(jobs)
        first = next(iterator, None)
        if first is None:
            return
        workers = max_workers or self._workers_for({first.platform})

        def run(job: Job) -> ActivationResult:
            result = self.activate(
                job.content, job.platform, asset_root=job.asset_root, source=job.source, prepared=job.prepared
            )
            if on_done is not None:
                on_done(result)
            return result

        everything = itertools.chain([first], iterator)
        if workers == 1:
            yield from map(run, everything)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mplat-activate") as pool:
            in_hand: deque[Future[ActivationResult]] = deque()
            for job in everything:
                in_hand.append(pool.submit(run, job))
                if len(in_hand) >= 2 * workers:
                    yield in_hand.popleft().result()
            while in_hand:
                yield in_hand.popleft().result()

    def _workers_for(self, platforms: set[str]) -> int:
        """Worker threads for activations on ``platforms``: a couple beyond the smallest
        concurrent-call budget keep it busy while others validate and write the log (the
        rate budget itself enforces the cap)."""
        adapters = [self.platform(name) for name in sorted(platforms)]  # made before threads start
        budgets = [a.effective_rate_limits().max_concurrent or DEFAULT_WORKERS for a in adapters]
        return max(1, min([DEFAULT_WORKERS, *budgets]) + 2)

    def replay(self, activation_id: str) -> ActivationResult:
        """Resume a failed, degraded or interrupted activation on its primary platform."""
        record = self.log.get(activation_id)
        if record.state == "succeeded":
            return ActivationResult(record=record, **_responses(record.steps))
        content = Content.model_validate(record.content)
        return self._run(record, content)

    def _run(self, record: ActivationRecord, content: Content) -> ActivationResult:
        if not self.log.claim(record.id):
            raise MarketingPlatformError(
                f"activation {record.id} is being run by another process",
                code="locked",
                hint="wait for it to finish, then check `mplat status`",
            )
        adapter = self.platform(record.platform)
        resuming = record.attempts > 0
        self.log.begin_attempt(record.id)
        result = ActivationResult(record=record, **_responses(record.steps))

        def save(step: str, response: PlatformResponse) -> None:
            self.log.record_step(record.id, step, response.model_dump(mode="json"))

        try:
            self._steps(adapter, content, record.steps, result, save, resuming=resuming)
        except Exception as exc:  # every failure ends in the log, never lost
            if not isinstance(exc, MarketingPlatformError):
                log.exception("activation %s failed unexpectedly", record.id)
            result.error = error_dict(exc)
            if self._fallback(record, content, exc, result):
                result.record = self.log.finish(record.id, "degraded", error=result.error, degraded=True)
            else:
                result.record = self.log.finish(record.id, "failed", error=result.error)
        else:
            result.record = self.log.finish(record.id, "succeeded")
        self.registry.hooks.activation_finished(result.record)
        return result

    def _steps(
        self,
        adapter: MarketingPlatform,
        content: Content,
        done: dict[str, Any],
        result: ActivationResult,
        save: Callable[[str, PlatformResponse], None],
        *,
        resuming: bool,
    ) -> None:
        """Run the steps not yet in ``done`` on ``adapter``, ``save``-ing each as it
        finishes. When ``resuming`` an earlier attempt may have created the content
        without recording it, so the adapter looks it up first."""
        if content.assets and "assets" not in done:
            result.assets = adapter.upload_assets(content.assets)
            save("assets", result.assets)
        spec = adapter.mapper.campaign_spec(content)
        if spec is not None and "campaign" not in done:
            # One find-or-create per campaign name at a time, across the threads and
            # processes sharing the log: activations sharing a new campaign create it once.
            with adapter.exclusive("campaign", spec.name):
                result.campaign = adapter.create_campaign(spec)
            save("campaign", result.campaign)
        if "publish" not in done:
            existing = adapter.find_content(content, result.campaign) if resuming else None
            result.publish = existing or adapter.publish_content(
                content, campaign=result.campaign, assets=result.assets
            )
            save("publish", result.publish)

    def _fallback(
        self, record: ActivationRecord, content: Content, exc: Exception, result: ActivationResult
    ) -> bool:
        """Run the configured fallback platforms in order until one succeeds; its
        responses (marked ``degraded``) go into ``result`` and the record's ``fallback``
        step. A fallback already run for this activation is resumed, not repeated."""
        if isinstance(exc, ContentRejected) or not self.fallback:
            return False
        earlier = record.steps.get("fallback") or {}
        for name in self.fallback:
            if name == record.platform:
                continue
            done = dict(earlier) if earlier.get("platform") == name else {}
            outcome = ActivationResult(record=record, **_responses(done))

            def save(
                step: str, response: PlatformResponse, done: dict[str, Any] = done, name: str = name
            ) -> None:
                done[step] = response.model_copy(update={"degraded": True}).model_dump(mode="json")
                self.log.record_step(record.id, "fallback", {**done, "platform": name})

            try:
                self._steps(self.platform(name), content, done, outcome, save, resuming=bool(done))
            except Exception as fallback_exc:
                log.warning("fallback %s failed for %s: %s", name, record.id, fallback_exc)
                continue
            result.campaign = _degraded(outcome.campaign)
            result.assets = _degraded(outcome.assets)
            result.publish = _degraded(outcome.publish)
            result.fallback = {**done, "platform": name}
            return True
        return False


R = TypeVar("R", bound=PlatformResponse)


def _degraded(response: R | None) -> R | None:
    return None if response is None else response.model_copy(update={"degraded": True})


def _responses(steps: dict[str, Any]) -> dict[str, Any]:
    """Typed responses for the steps already recorded (replay starts from these)."""
    out: dict[str, Any] = {}
    if "assets" in steps:
        out["assets"] = AssetsResponse.model_validate(steps["assets"])
    if "campaign" in steps:
        out["campaign"] = CampaignResponse.model_validate(steps["campaign"])
    if "publish" in steps:
        out["publish"] = PublishResponse.model_validate(steps["publish"])
    return out


def activate(
    content: Content,
    platform: str | None = None,
    *,
    platforms: Sequence[str] | None = None,
    asset_root: Path | None = None,
) -> ActivationResult | list[ActivationResult]:
    """Activate ``content`` on ``platform`` (or on each of ``platforms``) and record it.

    The programmatic entry point; uses the default registry and activation log.
    """
    with Activator() as activator:
        if platforms is not None:
            return activator.activate_many(content, platforms, asset_root=asset_root)
        return activator.activate(content, platform, asset_root=asset_root)

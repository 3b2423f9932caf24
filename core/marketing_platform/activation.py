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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assets import load_assets
from .errors import ContentRejected, MarketingPlatformError, Problem
from .log import ActivationLog, ActivationRecord
from .models import AssetsResponse, CampaignResponse, Content, PublishResponse
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


@dataclass
class ActivationResult:
    """The outcome of one activation on one platform (one row of ``--json`` output)."""

    record: ActivationRecord
    campaign: CampaignResponse | None = None
    assets: AssetsResponse | None = None
    publish: PublishResponse | None = None
    error: dict[str, Any] | None = None
    fallback: dict[str, Any] | None = field(default=None)

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
        self._instances: dict[str, MarketingPlatform] = {}
        self._instances_lock = threading.Lock()

    # ----------------------------------------------------------------- plumbing
    def platform(self, name: str) -> MarketingPlatform:
        """The adapter instance for ``name``, created once per Activator."""
        with self._instances_lock:
            if name not in self._instances:
                self._instances[name] = self._factory(name)
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
    ) -> ActivationResult:
        """Activate ``content`` on one platform (default ``MARKETING_PLATFORM``).

        Raises ConfigurationError / ContentRejected for problems found before anything
        is recorded; any failure after that is returned as a ``failed`` (or, with a
        fallback, ``degraded``) result, never raised.
        """
        name = platform or self.registry.core_settings.platform
        adapter = self.platform(name)
        prepared = self.prepare(content, adapter, asset_root)
        record = self.log.start(
            content_id=prepared.id,
            platform=name,
            content=prepared.model_dump(mode="json"),
            source=source,
        )
        return self._run(record, prepared)

    def activate_many(
        self,
        content: Content,
        platforms: Sequence[str],
        *,
        asset_root: Path | None = None,
        source: str | None = None,
    ) -> list[ActivationResult]:
        """Activate on each platform in turn; each has its own record and outcome."""
        results: list[ActivationResult] = []
        for name in platforms:
            results.append(self.activate(content, name, asset_root=asset_root, source=source))
        return results

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
            result = self.activate(job.content, job.platform, asset_root=job.asset_root, source=job.source)
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
        steps = dict(record.steps)
        resuming = record.attempts > 0
        self.log.begin_attempt(record.id)
        result = ActivationResult(record=record, **_responses(steps))
        try:
            self._steps(record.id, adapter, content, steps, result, resuming=resuming)
        except Exception as exc:  # every failure ends in the log, never lost
            if not isinstance(exc, MarketingPlatformError):
                log.exception("activation %s failed unexpectedly", record.id)
            result.error = error_dict(exc)
            fallback = self._fallback(record, content, exc)
            if fallback is not None:
                result.fallback = fallback
                self.log.record_step(record.id, "fallback", fallback)
                result.record = self.log.finish(record.id, "degraded", error=result.error, degraded=True)
            else:
                result.record = self.log.finish(record.id, "failed", error=result.error)
        else:
            result.record = self.log.finish(record.id, "succeeded")
        self.registry.hooks.activation_finished(result.record)
        return result

    def _steps(
        self,
        activation_id: str,
        adapter: MarketingPlatform,
        content: Content,
        steps: dict[str, Any],
        result: ActivationResult,
        *,
        resuming: bool,
    ) -> None:
        """Run the steps not yet in ``steps``. When ``resuming`` an earlier attempt may
        have created the content without recording it, so the adapter looks first."""
        if content.assets and "assets" not in steps:
            result.assets = adapter.upload_assets(content.assets)
            self.log.record_step(activation_id, "assets", result.assets.model_dump(mode="json"))
        spec = adapter.mapper.campaign_spec(content)
        if spec is not None and "campaign" not in steps:
            result.campaign = adapter.create_campaign(spec)
            self.log.record_step(activation_id, "campaign", result.campaign.model_dump(mode="json"))
        if "publish" not in steps:
            existing = adapter.find_content(content, result.campaign) if resuming else None
            result.publish = existing or adapter.publish_content(
                content, campaign=result.campaign, assets=result.assets
            )
            self.log.record_step(activation_id, "publish", result.publish.model_dump(mode="json"))

    def _fallback(self, record: ActivationRecord, content: Content, exc: Exception) -> dict[str, Any] | None:
        """Run the configured fallback platforms in order; the first success wins."""
        if isinstance(exc, ContentRejected) or not self.fallback:
            return None
        for name in self.fallback:
            if name == record.platform:
                continue
            try:
                outcome = ActivationResult(record=record)
                _run_unrecorded(self.platform(name), content, outcome)
            except Exception as fallback_exc:
                log.warning("fallback %s failed for %s: %s", name, record.id, fallback_exc)
                continue
            return {
                "platform": name,
                "campaign": _dump(outcome.campaign, degraded=True),
                "assets": _dump(outcome.assets, degraded=True),
                "publish": _dump(outcome.publish, degraded=True),
            }
        return None


def _run_unrecorded(adapter: MarketingPlatform, content: Content, outcome: ActivationResult) -> None:
    """All steps on a fallback platform; its results go to the record's ``fallback``."""
    if content.assets:
        outcome.assets = adapter.upload_assets(content.assets)
    spec = adapter.mapper.campaign_spec(content)
    if spec is not None:
        outcome.campaign = adapter.create_campaign(spec)
    outcome.publish = adapter.publish_content(content, campaign=outcome.campaign, assets=outcome.assets)


def _dump(model: Any, *, degraded: bool) -> Any:
    if model is None:
        return None
    return model.model_copy(update={"degraded": degraded}).model_dump(mode="json")


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

"""The activation pipeline: validate -> map -> upload assets -> campaign -> publish -> record.

An activation is a *sync* of the content to the platform, and re-running it converges:

* Every object is looked up before it is written (the content by its id, the campaign
  by its name, files by their SHA-256): what exists is updated in place when it differs
  (``updated``, with the changed fields), left alone when it does not (``unchanged``: no
  write request at all), and created only when missing (``created``).
* An email that was sent, or whose send time has passed, is never touched again: the
  activation ends ``blocked``.
* Images referenced in the body are uploaded like assets (once per file and account)
  and the body sent points at their platform URLs; no local path reaches a vendor.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .assets import load_asset, load_assets
from .errors import (
    AlreadySent,
    ConfigurationError,
    ContentRejected,
    InvalidContent,
    MarketingPlatformError,
    Problem,
)
from .inline import local_images, local_path, rewrite_images
from .locks import NamedLocks
from .log import ActivationRecord, BaseActivationLog, open_activation_log
from .mapping import placeholder
from .models import (
    Action,
    Asset,
    AssetResult,
    AssetsResponse,
    CampaignResponse,
    Content,
    PlatformResponse,
    PublishResponse,
)
from .platform import MarketingPlatform
from .registry import Registry, default_registry
from .sync import Changes, already_sent, sent_line

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
        activation_log: BaseActivationLog | None = None,
        platform_factory: PlatformFactory | None = None,
        fallback: Sequence[str] | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        settings = self.registry.core_settings
        self._owns_log = activation_log is None
        self.log: BaseActivationLog = activation_log or open_activation_log(
            settings.log_location, lease_seconds=settings.lease_seconds
        )
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
        if self._owns_log:
            self.log.close()

    def __enter__(self) -> Activator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- validation
    def prepare(self, content: Content, platform: MarketingPlatform, asset_root: Path | None) -> Content:
        """``content`` validated for ``platform`` with its assets (declared ones and the
        images its body references) loaded; raises ContentRejected listing every problem.
        Writes nothing anywhere; only a past ``schedule_at`` costs a read-only look-up
        (refused for content not created yet, accepted for content that exists)."""
        problems: list[Problem] = list(platform.mapper.problems(content))
        problems += self.registry.hooks.validate_content(content, platform.name)
        root = asset_root or Path.cwd()
        declared = [asset for asset in content.assets if asset.inline_ref is None]
        assets: list[Asset] = []
        if declared:
            try:
                assets = load_assets(declared, root, max_bytes=platform.max_asset_bytes)
            except ContentRejected as exc:
                problems += exc.problems
        for ref in local_images(content.body):
            image = Asset(path=Path(local_path(ref) or ref), role="inline", inline_ref=ref)
            try:
                assets.append(
                    load_asset(image, root, max_bytes=platform.max_asset_bytes, field=f"body image {ref!r}")
                )
            except ContentRejected as exc:
                problems += exc.problems
        loaded = content.model_copy(update={"assets": assets}) if assets or content.assets else content
        past = content.schedule_at is not None and content.schedule_at <= _now(platform)
        if past and not self._exists(platform, loaded):
            problems.append(
                Problem(
                    "schedule_at",
                    f"{content.schedule_at} is in the past; a platform schedules only for later",
                    "remove schedule_at to publish now, or set a later time like 2026-12-01T09:00:00Z",
                )
            )
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be activated on {platform.name}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                platform=platform.name,
                problems=problems,
                hint="fix the content file; nothing was sent",
            )
        return loaded

    @staticmethod
    def _exists(platform: MarketingPlatform, content: Content) -> bool:
        """Whether ``content`` was created on ``platform`` already (a read-only look-up;
        True when the look-up fails: the activation looks again before writing). A past
        ``schedule_at`` is no problem for content that exists: re-running it converges."""
        try:
            spec = platform.mapper.campaign_spec(content)
            campaign = platform.find_campaign(spec.name) if spec is not None else None
            return platform.find_content(content, campaign) is not None
        except MarketingPlatformError:
            return True

    def plan(self, content: Content, platform_name: str, *, asset_root: Path | None = None) -> dict[str, Any]:
        """What :meth:`activate` would do (``--dry-run``): per object (``files``,
        ``campaign``, ``content``) the action (create / update with the field diff /
        unchanged / blocked / reuse), and the exact requests a create would send.

        Validates and looks objects up (read-only requests); writes nothing anywhere. A
        look-up that fails is shown as action ``unknown`` with its error."""
        adapter = self.platform(platform_name)
        prepared = self.prepare(content, adapter, asset_root)
        objects: list[dict[str, Any]] = []
        remembered = self._remembered_uploads(adapter, prepared.assets)
        if prepared.assets:
            objects.append(
                {
                    "object": "files",
                    "files": [
                        {"file": str(a.inline_ref or a.filename), "action": "unchanged" if r else "upload"}
                        for a, r in zip(prepared.assets, remembered, strict=True)
                    ],
                }
            )
        urls = {
            a.inline_ref: (r.url if r and r.url else placeholder(f"URL of the uploaded {a.inline_ref}"))
            for a, r in zip(prepared.assets, remembered, strict=True)
            if a.inline_ref
        }
        linked = _with_body(prepared, urls)
        spec = adapter.mapper.campaign_spec(linked)
        campaign: CampaignResponse | None = None
        if spec is not None:
            entry: dict[str, Any] = {"object": "campaign", "name": spec.name}
            try:
                campaign = adapter.find_campaign(spec.name)
                if campaign is None:
                    entry["action"] = "create"
                else:
                    entry.update(_planned(adapter.campaign_changes(spec, campaign)))
            except MarketingPlatformError as exc:
                entry.update(action="unknown", error=str(exc))
            objects.append(entry)
        entry = {"object": "content", "kind": linked.kind.value, "content_id": linked.id}
        try:
            existing = adapter.find_content(linked, campaign)
            if existing is None:
                entry["action"] = "create"
            elif already_sent(linked, existing, now=_now(adapter)):
                entry.update(action="blocked", reason=sent_line(existing))
            else:
                entry["external_id"] = existing.external_id
                assets = AssetsResponse(
                    platform=adapter.name, results=[r for r in remembered if r is not None]
                )
                entry.update(
                    _planned(adapter.content_changes(linked, existing, campaign=campaign, assets=assets))
                )
        except MarketingPlatformError as exc:
            entry.update(action="unknown", error=str(exc))
        objects.append(entry)
        return {"objects": objects, "requests": adapter.plan(linked)}

    def _remembered_uploads(
        self, adapter: MarketingPlatform, assets: Sequence[Asset]
    ) -> list[AssetResult | None]:
        """For each asset, its earlier upload to this account (from the log), or None."""
        if not assets:
            return []
        account = adapter.account_key()
        found: list[AssetResult | None] = []
        for asset in assets:
            data = self.log.uploaded(adapter.name, account, asset.sha256) if asset.sha256 else None
            found.append(_as_asset(asset, AssetResult.model_validate(data)) if data else None)
        return found

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
        check_unique_ids(jobs)
        if max_workers is None and jobs:
            max_workers = self._workers_for({job.platform for job in jobs})
        return list(self.activate_iter(jobs, max_workers=max_workers, on_done=on_done))

    def activate_iter(
        self,
        jobs: Iterable[Job],
        *,
        max_workers: int | None = None,
        on_done: Callable[[ActivationResult], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_skip: Callable[[Job], None] | None = None,
    ) -> Iterator[ActivationResult]:
        """Like :meth:`activate_all`, but streaming: ``jobs`` is consumed lazily and each
        result is yielded (in job order) as soon as it is ready, with at most
        ``2 * max_workers`` activations in hand, so memory stays flat however many jobs
        there are. Without ``max_workers`` the first job's platform sets the bound.

        Once ``should_stop()`` is true no new activation starts: the running ones finish
        and every job not started is passed to ``on_skip`` (nothing recorded for it)."""
        iterator = iter(jobs)
        first = next(iterator, None)
        if first is None:
            return

        def stopped(job: Job) -> bool:
            if should_stop is None or not should_stop():
                return False
            if on_skip is not None:
                on_skip(job)
            return True

        workers = max_workers or self._workers_for({first.platform})

        def run(job: Job) -> ActivationResult | None:
            if stopped(job):
                return None
            result = self.activate(
                job.content, job.platform, asset_root=job.asset_root, source=job.source, prepared=job.prepared
            )
            if on_done is not None:
                on_done(result)
            return result

        everything = itertools.chain([first], iterator)
        if workers == 1:
            yield from (result for result in map(run, everything) if result is not None)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mplat-activate") as pool:
            in_hand: deque[Future[ActivationResult | None]] = deque()
            for job in everything:
                if stopped(job):
                    continue
                in_hand.append(pool.submit(run, job))
                if len(in_hand) >= 2 * workers:
                    done = in_hand.popleft().result()
                    if done is not None:
                        yield done
            while in_hand:
                done = in_hand.popleft().result()
                if done is not None:
                    yield done

    def _workers_for(self, platforms: set[str]) -> int:
        """Worker threads for activations on ``platforms``: a couple beyond the smallest
        concurrent-call budget keep it busy while others validate and write the log (the
        rate budget itself enforces the cap)."""
        adapters = [self.platform(name) for name in sorted(platforms)]  # made before threads start
        budgets = [a.effective_rate_limits().max_concurrent or DEFAULT_WORKERS for a in adapters]
        return max(1, min([DEFAULT_WORKERS, *budgets]) + 2)

    def replay(self, activation_id: str, *, reload: bool = False) -> ActivationResult:
        """Resume a failed, degraded or interrupted activation on its primary platform.

        ``reload``: read the content again from its source file (validated again, so a
        fixed file can be replayed); refused when the record has no source file or the
        file now holds another content id."""
        record = self.log.get(activation_id)
        if record.state in {"succeeded", "blocked"}:
            return ActivationResult(record=record, **_responses(record.steps))
        if reload:  # the file changed: sync every step again (files, campaign, content)
            return self._run(record.model_copy(update={"steps": {}}), self._reloaded(record))
        content = Content.model_validate(record.content)
        return self._run(record, content)

    def stale(self) -> list[str]:
        """Unfinished activations whose runner is gone: their lease ran out (or was never
        taken) and nothing was written for a lease period. :meth:`replay` resumes them."""
        return self.log.stale()

    def abandon(self, activation_id: str) -> ActivationRecord:
        """Give an unfinished or failed activation up: kept in the log as ``abandoned``,
        never picked up by ``replay --failed`` or ``--stale``."""
        record = self.log.get(activation_id)
        if record.state in {"succeeded", "blocked", "abandoned"}:
            raise ConfigurationError(
                f"activation {record.id} is {record.state}: there is nothing to give up",
                code="not_abandonable",
                hint="only failed, degraded or unfinished activations can be abandoned",
            )
        with self.log.lease(record.id):
            return self.log.finish(record.id, "abandoned", error=record.error)

    def _reloaded(self, record: ActivationRecord) -> Content:
        from .contentfile import load_content_file

        if not record.source:
            raise ConfigurationError(
                f"activation {record.id} has no source file to reload",
                code="no_source",
                hint="replay it without --reload, or activate the fixed file again",
            )
        item = load_content_file(Path(record.source), platform_names=self.registry.names())
        if item.content.id != record.content_id:
            raise InvalidContent(
                f"{record.source} now holds content {item.content.id!r}, not {record.content_id!r}",
                hint="activate the file as a new content, or restore its id",
            )
        return self.prepare(item.content, self.platform(record.platform), item.asset_root)

    def _run(self, record: ActivationRecord, content: Content) -> ActivationResult:
        """Run ``record`` holding its lease (renewed while it runs: a second process
        cannot run it at the same time; a dead runner's lease expires and the record can
        be resumed, see :meth:`stale`). Raises ActivationLeased when a live process
        holds it."""
        from .telemetry import activation_span, record_activation

        with (
            self.log.lease(record.id),
            activation_span(
                platform=record.platform,
                content_id=record.content_id,
                kind=content.kind.value,
                activation_id=record.id,
            ) as span,
        ):
            result = self._attempt(record, content)
            action = result.publish.action if result.publish is not None else None
            record_activation(span, platform=record.platform, state=result.record.state, action=action)
        return result

    def _attempt(self, record: ActivationRecord, content: Content) -> ActivationResult:
        """One attempt of a claimed activation: every outcome ends in the log."""
        adapter = self.platform(record.platform)
        self.log.begin_attempt(record.id)
        result = ActivationResult(record=record, **_responses(record.steps))

        def save(step: str, response: PlatformResponse) -> None:
            self.log.record_step(record.id, step, response.model_dump(mode="json"))

        try:
            self._steps(adapter, content, record.steps, result, save)
        except AlreadySent as exc:  # a sent email is left alone: nothing failed, nothing to retry
            result.error = error_dict(exc)
            result.record = self.log.finish(record.id, "blocked", error=result.error)
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
    ) -> None:
        """Sync the steps not yet in ``done`` on ``adapter``, ``save``-ing each as it
        finishes. Every object is looked up before it is written, so a first run, a
        re-run, a replay after a crash and a run with a lost log all converge."""
        if content.assets and "assets" not in done:
            result.assets = self._sync_files(adapter, content.assets)
            save("assets", result.assets)
        content = _linked(content, result.assets)
        spec = adapter.mapper.campaign_spec(content)
        if spec is not None and "campaign" not in done:
            # One find-or-create per campaign name at a time, across the threads and
            # processes sharing the log: activations sharing a new campaign create it once.
            with adapter.exclusive("campaign", spec.name):
                result.campaign = self._sync_campaign(adapter, spec)
            save("campaign", result.campaign)
        if "publish" not in done:
            with adapter.exclusive("content", content.id):
                result.publish = self._sync_content(adapter, content, result)
            save("publish", result.publish)
        if result.publish is not None and result.publish.action == "blocked":
            raise AlreadySent(f"{content.id} was {sent_line(result.publish)}", platform=adapter.name)

    def _sync_files(self, adapter: MarketingPlatform, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each file not yet on this account (by SHA-256, remembered in the log;
        one upload per file at a time across the processes sharing the log). The
        response holds one result per asset, in order."""
        account = adapter.account_key()
        results = self._remembered_uploads(adapter, assets)
        responses: list[AssetsResponse] = []
        for index, asset in enumerate(assets):
            if results[index] is not None:
                continue
            key = asset.sha256 or str(asset.path)
            earlier = next((r for a, r in zip(assets, results, strict=True) if r and a.sha256 == key), None)
            if earlier is not None:  # the same file twice in one content
                results[index] = _as_asset(asset, earlier)
                continue
            with adapter.exclusive("file", key):
                data = self.log.uploaded(adapter.name, account, key) if asset.sha256 else None
                if data is not None:
                    results[index] = _as_asset(asset, AssetResult.model_validate(data))
                    continue
                response = adapter.upload_assets([asset])
                responses.append(response)
                uploaded = response.results[0] if response.results else None
                if uploaded is None or not uploaded.success:
                    raise MarketingPlatformError(
                        f"{adapter.name} did not upload {asset.filename}"
                        + (f": {uploaded.error}" if uploaded and uploaded.error else ""),
                        platform=adapter.name,
                        code="upload_failed",
                        retryable=True,
                        hint="replay the activation once the platform accepts the file",
                    )
                results[index] = uploaded.model_copy(update={"action": uploaded.action or "created"})
                if asset.sha256:
                    self.log.remember_upload(
                        adapter.name, account, asset.sha256, uploaded.model_dump(mode="json")
                    )
        created = any(result is not None and result.action == "created" for result in results)
        return AssetsResponse(
            platform=adapter.name,
            results=[r for r in results if r is not None],
            status="uploaded",
            request_id=responses[-1].request_id if responses else None,
            warnings=[w for r in responses for w in r.warnings],
            action="created" if created else "unchanged",
        )

    def _sync_campaign(self, adapter: MarketingPlatform, spec: Any) -> CampaignResponse:
        """Find-or-create the campaign, then bring an existing one up to ``spec``."""
        campaign = adapter.create_campaign(spec)  # returns the existing one (reused) if any
        if not campaign.reused:
            return _acted(campaign, "created")
        changes = adapter.campaign_changes(spec, campaign)
        if changes is None:
            return _acted(campaign, "reused")
        if not changes:
            return _acted(campaign, "unchanged")
        return _acted(adapter.update_campaign(spec, campaign, changes), "updated", changes)

    def _sync_content(
        self, adapter: MarketingPlatform, content: Content, result: ActivationResult
    ) -> PublishResponse:
        """Create the content, or bring the existing object up to date, or leave it."""
        existing = adapter.find_content(content, result.campaign)
        if existing is None:
            created = adapter.publish_content(content, campaign=result.campaign, assets=result.assets)
            return _acted(created, "created")
        if already_sent(content, existing, now=_now(adapter)):
            if _sent_by_an_earlier_attempt(result.record, existing):
                note = "an earlier attempt of this activation sent it (its answer was lost); not sent again"
                return _acted(existing.model_copy(update={"warnings": [*existing.warnings, note]}), "created")
            return _acted(existing, "blocked")
        changes = adapter.content_changes(content, existing, campaign=result.campaign, assets=result.assets)
        if changes is None:
            return _acted(existing, "reused")
        if not changes:
            return _acted(existing, "unchanged")
        updated = adapter.update_content(
            content, existing, changes, campaign=result.campaign, assets=result.assets
        )
        return _acted(updated, "updated", changes)

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
                self._steps(self.platform(name), content, done, outcome, save)
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


def check_unique_ids(jobs: Iterable[Job]) -> None:
    """Refuse a batch holding two contents with one id for one platform (they would
    overwrite each other); raises InvalidContent naming both sources."""
    seen: dict[tuple[str, str], Job] = {}
    clashes: list[Problem] = []
    for job in jobs:
        key = (job.content.id, job.platform)
        first = seen.setdefault(key, job)
        if first is not job:
            clashes.append(
                Problem(
                    "id",
                    f"{job.content.id!r} is the id of both {first.source or 'an earlier content'}"
                    f" and {job.source or 'a later content'}",
                )
            )
    if clashes:
        raise InvalidContent(
            f"two contents in one batch share an id: {clashes[0].message}"
            + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""),
            problems=clashes,
            hint="give each content its own `id:` (e.g. id: spring-launch-2026); nothing was sent",
        )


def _now(adapter: MarketingPlatform) -> datetime:
    return datetime.fromtimestamp(adapter.clock(), UTC)


def _acted(response: R, action: Action, changes: Changes | None = None) -> R:
    """``response`` marked with the step's action (and the fields it changed)."""
    return response.model_copy(update={"action": action, "changed": sorted(changes or {})})


def _sent_by_an_earlier_attempt(record: ActivationRecord, existing: PublishResponse) -> bool:
    """Whether a sent email is this activation's own send, by an attempt that crashed
    before recording it: the record ran before and the send is not older than it."""
    sent = existing.sent_at or existing.scheduled_at
    return record.attempts > 0 and sent is not None and sent >= record.started_at


def _planned(changes: Changes | None) -> dict[str, Any]:
    """A dry-run entry's action for an existing object."""
    if changes is None:
        return {"action": "reuse"}
    if not changes:
        return {"action": "unchanged"}
    return {"action": "update", "changes": changes}


def _as_asset(asset: Asset, uploaded: AssetResult) -> AssetResult:
    """An earlier upload of the same bytes, as the result for ``asset``."""
    return uploaded.model_copy(
        update={"name": asset.filename, "alt_text": asset.alt_text, "role": asset.role, "action": "unchanged"}
    )


def _with_body(content: Content, urls: dict[str, str]) -> Content:
    if not urls or not content.body:
        return content
    return content.model_copy(update={"body": rewrite_images(content.body, urls)})


def _linked(content: Content, uploaded: AssetsResponse | None) -> Content:
    """``content`` with every local image in its body pointing at its uploaded URL."""
    refs = [(asset.inline_ref, index) for index, asset in enumerate(content.assets) if asset.inline_ref]
    if not refs:
        return content
    results = uploaded.results if uploaded else []
    urls = {ref: results[index].url for ref, index in refs if index < len(results) and results[index].url}
    missing = [ref for ref, _ in refs if ref not in urls]
    if missing:
        raise MarketingPlatformError(
            f"no platform URL for the body image(s) {', '.join(missing)}; the body was not sent",
            code="upload_failed",
            retryable=True,
            hint="replay the activation once the images are uploaded",
        )
    linked = _with_body(content, {ref: url for ref, url in urls.items() if url})
    left = local_images(linked.body)
    if left:  # never send a local path: a reference the rewrite could not reach
        raise MarketingPlatformError(
            f"the body still refers to the local image(s) {', '.join(left)}; the body was not sent",
            code="upload_failed",
            hint='write the image as <img src="path"> or ![alt](path) and replay the activation',
        )
    return linked


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

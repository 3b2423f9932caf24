"""The Python API on several platforms (validated everywhere before anything is sent),
fallback lists that name the primary platform, and replay looking up before creating."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import marketing_platform
from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.errors import ContentRejected, PlatformUnavailable
from marketing_platform.log import ActivationLog
from marketing_platform.models import PublishResponse
from marketing_platform.registry import Registry, default_registry

from .helpers import AdapterPlugin, RecordingPlatform, blog_post, make_recorder


def _unavailable(platform: str = "recorder") -> PlatformUnavailable:
    return PlatformUnavailable("the platform is down", platform=platform, code="503", hint="retry later")


def _default_log() -> ActivationLog:
    """The activation log the Python API writes (the root conftest points it at a
    fresh file for each test)."""
    return ActivationLog(Path(os.environ["MARKETING_PLATFORM_LOG"]))


# ------------------------------------------------------------- activate(platforms=)
def test_api_on_several_platforms_validates_every_platform_before_sending_anything() -> None:
    accepting = make_recorder("alpha")
    rejecting = make_recorder("beta", capabilities=frozenset({"email", "program"}))  # no blog posts
    default_registry().register_plugin(AdapterPlugin(accepting, rejecting))

    with pytest.raises(ContentRejected) as caught:
        marketing_platform.activate(blog_post(), platforms=["alpha", "beta"])

    assert caught.value.platform == "beta"
    assert [p.field for p in caught.value.problems] == ["kind"]
    assert accepting.events == [], "alpha was sent requests although beta rejects the content"
    assert rejecting.events == []
    assert _default_log().list() == [], "an activation was recorded although the content was rejected"


def test_api_on_several_platforms_activates_on_each_when_all_accept() -> None:
    alpha, gamma = make_recorder("alpha"), make_recorder("gamma")
    default_registry().register_plugin(AdapterPlugin(alpha, gamma))

    results = marketing_platform.activate(blog_post(), platforms=["alpha", "gamma"])

    assert isinstance(results, list)
    assert [(r.record.platform, r.record.state) for r in results] == [
        ("alpha", "succeeded"),
        ("gamma", "succeeded"),
    ]
    assert alpha.calls == gamma.calls == ["create_campaign", "publish_content"]


# --------------------------------------------------------------------------- fallback
def test_fallback_list_naming_the_primary_does_not_run_the_primary_again(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    backup = make_recorder("backup")
    registry.register_plugin(AdapterPlugin(backup))
    recorder.fail["publish_content"] = _unavailable()

    with Activator(
        registry=registry, activation_log=activation_log, fallback=["recorder", "backup"]
    ) as activator:
        result = activator.activate(blog_post(), "recorder")

    assert recorder.calls.count("publish_content") == 1, (
        f"the primary was run again as its own fallback: {recorder.calls}"
    )
    assert recorder.calls == ["create_campaign", "publish_content"]
    assert backup.calls == ["create_campaign", "publish_content"]
    assert result.record.state == "degraded"
    assert result.fallback is not None
    assert result.fallback["platform"] == "backup"


# ----------------------------------------------------------------------------- replay
def _failed_then_replayed(
    registry: Registry,
    activation_log: ActivationLog,
    recorder: type[RecordingPlatform],
    *,
    vendor_kept: PublishResponse | None = None,
) -> tuple[ActivationResult, ActivationResult]:
    """An activation whose publish failed, then its replay; ``vendor_kept``: what the
    vendor created anyway (its answer was lost). ``recorder.events`` holds only the
    replay's operations."""
    recorder.fail["publish_content"] = _unavailable()
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as first:
        failed = first.activate(blog_post(), "recorder")
    assert failed.record.state == "failed"
    del recorder.fail["publish_content"]
    if vendor_kept is not None:
        recorder.found[vendor_kept.content_id or ""] = vendor_kept
    recorder.calls.clear()
    recorder.events.clear()
    recorder.lookups.clear()
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as second:
        return failed, second.replay(failed.record.id)


def test_replay_looks_the_content_up_before_publishing_it(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    _, replayed = _failed_then_replayed(registry, activation_log, recorder)

    assert replayed.ok
    assert "find_content" in recorder.events, f"replay published without a look-up: {recorder.events}"
    assert recorder.events.index("find_content") < recorder.events.index("publish_content"), (
        f"find_content was not called before publish_content: {recorder.events}"
    )
    assert recorder.lookups[0] == "hello-world"


def test_replay_reuses_content_the_vendor_already_created_instead_of_publishing_again(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    kept = PublishResponse(
        platform="recorder", external_id="already-there", content_id="hello-world", status="published"
    )

    failed, replayed = _failed_then_replayed(registry, activation_log, recorder, vendor_kept=kept)

    assert "publish_content" not in recorder.calls, f"replay created the content twice: {recorder.calls}"
    assert replayed.ok
    assert replayed.publish is not None
    assert replayed.publish.external_id == "already-there"
    assert activation_log.get(failed.record.id).steps["publish"]["external_id"] == "already-there"

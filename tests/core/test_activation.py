"""The activation pipeline and its write-ahead log: records before requests, steps with
external ids, failures, replay without duplicates, leases, and fallback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import (
    ConfigurationError,
    ContentRejected,
    MarketingPlatformError,
    PlatformUnavailable,
    Problem,
)
from marketing_platform.hookspecs import hookimpl
from marketing_platform.log import ActivationLog
from marketing_platform.registry import Registry

from .helpers import RecordingPlatform, blog_post, png_bytes


def _unavailable() -> PlatformUnavailable:
    return PlatformUnavailable(
        "the platform is down", platform="recorder", code="503", request_id="req-42", hint="retry later"
    )


def test_record_is_in_the_log_before_the_first_platform_operation(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    seen: list[list[tuple[str, str]]] = []
    recorder.before["create_campaign"] = lambda: seen.append(
        [(r.state, r.content_id) for r in activation_log.list()]
    )

    result = activator.activate(blog_post(), "recorder")

    assert recorder.calls[0] == "create_campaign"
    assert len(seen) == 1
    ((state, content_id),) = seen[0]
    assert state in {"pending", "in_progress"}
    assert content_id == "hello-world"
    assert result.record.state == "succeeded"


def test_each_finished_step_is_recorded_with_its_external_id(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform], tmp_path: Path
) -> None:
    (tmp_path / "hero.png").write_bytes(png_bytes())
    steps_when_publishing: list[list[str]] = []
    recorder.before["publish_content"] = lambda: steps_when_publishing.append(
        sorted(activation_log.list()[0].steps)
    )

    result = activator.activate(blog_post(assets=[{"path": "hero.png"}]), "recorder", asset_root=tmp_path)

    assert recorder.calls == ["upload_assets", "create_campaign", "publish_content"]
    assert steps_when_publishing == [["assets", "campaign"]]
    record = activation_log.get(result.record.id)
    assert record.state == "succeeded"
    assert record.steps["assets"]["results"][0]["external_id"] == "recorder-asset-0"
    assert record.steps["campaign"]["external_id"] == "recorder-campaign-1"
    assert record.steps["publish"]["external_id"] == "recorder-content-1"
    assert record.attempts == 1
    assert record.finished_at is not None


def test_publish_failure_leaves_a_failed_record_with_the_campaign_step_and_the_error(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()

    result = activator.activate(blog_post(), "recorder")

    assert not result.ok
    record = activation_log.get(result.record.id)
    assert record.state == "failed"
    assert set(record.steps) == {"campaign"}
    assert record.steps["campaign"]["external_id"] == "recorder-campaign-1"
    assert record.error is not None
    assert {k: record.error[k] for k in ("type", "code", "message", "hint", "request_id")} == {
        "type": "PlatformUnavailable",
        "code": "503",
        "message": "the platform is down",
        "hint": "retry later",
        "request_id": "req-42",
    }
    assert result.error == record.error


def test_unexpected_exception_in_an_adapter_is_recorded_as_failed(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = KeyError("oops")

    result = activator.activate(blog_post(), "recorder")

    record = activation_log.get(result.record.id)
    assert record.state == "failed"
    assert record.error is not None
    assert record.error["type"] == "KeyError"
    assert record.error["code"] == "internal"


def test_replay_resumes_after_the_last_finished_step_and_creates_nothing_twice(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as first:
        failed = first.activate(blog_post(), "recorder")
    assert recorder.calls == ["create_campaign", "publish_content"]

    del recorder.fail["publish_content"]
    recorder.calls.clear()
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as second:
        replayed = second.replay(failed.record.id)

    assert recorder.calls == ["publish_content"]
    assert replayed.ok
    record = activation_log.get(failed.record.id)
    assert record.state == "succeeded"
    assert record.attempts == 2
    assert record.error is None
    assert record.steps["publish"]["external_id"] == "recorder-content-1"
    assert replayed.campaign is not None
    assert replayed.campaign.external_id == "recorder-campaign-1"


def test_replaying_a_succeeded_activation_sends_nothing(
    activator: Activator, recorder: type[RecordingPlatform]
) -> None:
    done = activator.activate(blog_post(), "recorder")
    recorder.calls.clear()

    again = activator.replay(done.record.id)

    assert recorder.calls == []
    assert again.ok
    assert again.record.attempts == 1


class _PublishOutage:
    """A transform hook that fails every publish while ``down`` is set."""

    down = True

    @hookimpl
    def mplat_transform_payload(self, platform: str, operation: str, payload: dict) -> None:  # type: ignore[type-arg]
        if self.down and operation == "publish_content":
            raise PlatformUnavailable("publish endpoint down", platform=platform, code="503")


def test_replay_on_the_mock_after_a_publish_outage_creates_each_object_once(
    registry: Registry, activation_log: ActivationLog
) -> None:
    outage = _PublishOutage()
    registry.register_plugin(outage)
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as first:
        failed = first.activate(blog_post(), "mock")
    assert failed.record.state == "failed"
    assert set(failed.record.steps) == {"campaign"}

    outage.down = False
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as second:
        replayed = second.replay(failed.record.id)
        state = second.platform("mock").state  # type: ignore[attr-defined]

    assert replayed.ok
    assert replayed.record.attempts == 2
    assert state.count("campaign") == 1
    assert state.count("blog_post") == 1
    assert replayed.publish is not None
    assert replayed.publish.metadata["campaign_id"] == failed.record.steps["campaign"]["external_id"]


def test_replay_is_refused_while_another_live_process_holds_the_lease(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()
    failed = activator.activate(blog_post(), "recorder")
    del recorder.fail["publish_content"]
    recorder.calls.clear()

    assert activation_log.claim(failed.record.id, owner=f"{socket.gethostname()}:{os.getpid()}:other")
    assert activation_log.claim(failed.record.id) is False
    with pytest.raises(MarketingPlatformError) as caught:
        activator.replay(failed.record.id)

    assert caught.value.code == "locked"
    assert recorder.calls == []
    assert activation_log.get(failed.record.id).attempts == 1


def test_lease_held_by_a_dead_process_on_this_host_is_taken_over(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()
    failed = activator.activate(blog_post(), "recorder")
    del recorder.fail["publish_content"]
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert activation_log.claim(failed.record.id, owner=f"{socket.gethostname()}:{child.pid}:dead")

    replayed = activator.replay(failed.record.id)

    assert replayed.ok


def test_lease_held_by_a_process_on_another_host_is_respected(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()
    failed = activator.activate(blog_post(), "recorder")
    assert activation_log.claim(failed.record.id, owner="some-other-host.example:1:abc")

    assert activation_log.claim(failed.record.id) is False


def test_invalid_content_is_rejected_before_any_record_or_request(
    activator: Activator, activation_log: ActivationLog, registry: Registry, tmp_path: Path
) -> None:
    from .helpers import AdapterPlugin, make_recorder

    blog_only = make_recorder("blogonly", capabilities=frozenset({"blog_post"}))
    registry.register_plugin(AdapterPlugin(blog_only))
    email = blog_post(kind="email", assets=[{"path": "../outside.png"}])

    with pytest.raises(ContentRejected) as caught:
        activator.activate(email, "blogonly", asset_root=tmp_path)

    assert {p.field for p in caught.value.problems} == {"kind", "assets[0].path"}
    assert "nothing was sent" in str(caught.value)
    assert blog_only.calls == []
    assert activation_log.list() == []


def test_unknown_platform_is_a_configuration_error_with_no_record(
    activator: Activator, activation_log: ActivationLog
) -> None:
    with pytest.raises(ConfigurationError):
        activator.activate(blog_post(), "nosuchplatform")

    assert activation_log.list() == []


def test_fallback_on_platform_unavailable_yields_a_degraded_record(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()

    with Activator(registry=registry, activation_log=activation_log, fallback=["mock"]) as activator:
        result = activator.activate(blog_post(), "recorder")

    record = activation_log.get(result.record.id)
    assert record.state == "degraded"
    assert record.degraded
    assert record.platform == "recorder"
    assert record.error is not None
    assert record.error["type"] == "PlatformUnavailable"
    assert record.error["message"] == "the platform is down"
    assert record.steps["campaign"]["external_id"] == "recorder-campaign-1"
    fallback = record.steps["fallback"]
    assert fallback["platform"] == "mock"
    assert fallback["publish"]["degraded"] is True
    assert fallback["publish"]["external_id"].startswith("mock-")
    assert not result.ok
    assert result.to_dict()["degraded"] is True


def test_degraded_activation_stays_replayable_to_the_primary(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()
    with Activator(registry=registry, activation_log=activation_log, fallback=["mock"]) as activator:
        degraded = activator.activate(blog_post(), "recorder")
        del recorder.fail["publish_content"]
        recorder.calls.clear()
        replayed = activator.replay(degraded.record.id)

    assert recorder.calls == ["publish_content"]
    record = activation_log.get(degraded.record.id)
    assert (record.state, record.degraded, record.platform) == ("succeeded", False, "recorder")
    assert replayed.publish is not None
    assert replayed.publish.platform == "recorder"


def test_fallback_is_read_from_marketing_platform_fallback(
    activation_log: ActivationLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .helpers import AdapterPlugin, make_recorder

    monkeypatch.setenv("MARKETING_PLATFORM_FALLBACK", "mock")
    registry = Registry()
    down = make_recorder("down")
    down.fail["create_campaign"] = _unavailable()
    registry.register_plugin(AdapterPlugin(down))

    with Activator(registry=registry, activation_log=activation_log) as activator:
        result = activator.activate(blog_post(), "down")

    assert result.record.state == "degraded"


def test_content_rejected_by_the_platform_never_falls_back(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = ContentRejected(
        "title too long", platform="recorder", problems=[Problem("title", "too long")]
    )

    with Activator(registry=registry, activation_log=activation_log, fallback=["mock"]) as activator:
        result = activator.activate(blog_post(), "recorder")
        mock_state = activator.platform("mock").state  # type: ignore[attr-defined]

    record = activation_log.get(result.record.id)
    assert record.state == "failed"
    assert not record.degraded
    assert "fallback" not in record.steps
    assert record.error is not None
    assert record.error["problems"] == [{"field": "title", "message": "too long"}]
    assert mock_state.count() == 0


def test_without_fallback_configured_nothing_falls_back(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    recorder.fail["publish_content"] = _unavailable()

    result = activator.activate(blog_post(), "recorder")

    record = activation_log.get(result.record.id)
    assert record.state == "failed"
    assert "fallback" not in record.steps
    assert result.fallback is None


def test_failing_fallback_leaves_the_activation_failed(
    registry: Registry,
    activation_log: ActivationLog,
    recorder: type[RecordingPlatform],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")
    recorder.fail["publish_content"] = _unavailable()

    with Activator(registry=registry, activation_log=activation_log, fallback=["mock"]) as activator:
        result = activator.activate(blog_post(), "recorder")

    assert activation_log.get(result.record.id).state == "failed"


def test_log_lists_newest_first_and_filters_by_state(
    activator: Activator, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    ok = activator.activate(blog_post(id="first"), "recorder")
    recorder.fail["publish_content"] = _unavailable()
    bad = activator.activate(blog_post(id="second"), "recorder")

    assert [r.id for r in activation_log.list()] == [bad.record.id, ok.record.id]
    assert [r.id for r in activation_log.list(state="failed")] == [bad.record.id]
    assert [r.id for r in activation_log.list(limit=1)] == [bad.record.id]
    assert activation_log.get(bad.record.id[:8]).id == bad.record.id


def test_activate_iter_streams_results_in_job_order_and_reads_jobs_lazily(tmp_path: Path) -> None:
    from marketing_platform.activation import Job
    from marketing_platform.models import Content

    taken: list[int] = []

    def jobs() -> Iterator[Job]:
        for index in range(40):
            taken.append(index)
            yield Job(Content(kind="blog_post", title=f"Post {index}", body="<p>x</p>"), "mock")

    with Activator(registry=Registry(), activation_log=ActivationLog(tmp_path / "log.db")) as activator:
        stream = activator.activate_iter(jobs(), max_workers=2)
        first = next(stream)
        assert first.record.content_id == "post-0"
        assert len(taken) <= 2 * 2 + 1  # only a bounded window of jobs was read ahead
        rest = list(stream)

    assert [r.record.content_id for r in [first, *rest]] == [f"post-{i}" for i in range(40)]
    assert all(r.ok for r in rest)


def test_replaying_a_degraded_activation_does_not_repeat_the_fallback(
    registry: Registry, activation_log: ActivationLog, recorder: type[RecordingPlatform]
) -> None:
    from .helpers import AdapterPlugin, make_recorder

    backup = make_recorder("backup")
    registry.register_plugin(AdapterPlugin(backup))
    recorder.fail["publish_content"] = _unavailable()

    with Activator(registry=registry, activation_log=activation_log, fallback=["backup"]) as activator:
        first = activator.activate(blog_post(), "recorder")
        again = activator.replay(first.record.id)  # the primary is still down

    assert first.record.state == again.record.state == "degraded"
    assert backup.calls == ["create_campaign", "publish_content"]  # once, not once per replay
    assert again.publish is not None
    assert (again.publish.platform, again.publish.degraded) == ("backup", True)


def test_concurrent_activations_sharing_a_campaign_create_it_once(
    registry: Registry, activation_log: ActivationLog
) -> None:
    import threading
    import time

    from marketing_platform.activation import Job
    from marketing_platform.models import CampaignResponse, CampaignSpec

    from .helpers import AdapterPlugin, make_recorder

    created: list[str] = []
    guard = threading.Lock()

    def create_campaign(self: RecordingPlatform, campaign: CampaignSpec) -> CampaignResponse:
        with guard:
            exists = campaign.name in created
        time.sleep(0.01)  # a vendor round trip: a racing thread would not see the campaign yet
        if not exists:
            with guard:
                created.append(campaign.name)
        return CampaignResponse(platform=self.name, external_id="c-1", name=campaign.name, reused=exists)

    shared = make_recorder("shared", create_campaign=create_campaign)
    registry.register_plugin(AdapterPlugin(shared))
    jobs = [Job(blog_post(id=f"post-{i}", title=f"Post {i}"), "shared") for i in range(6)]
    with Activator(registry=registry, activation_log=activation_log) as activator:
        results = activator.activate_all(jobs, max_workers=6)

    assert all(r.ok for r in results)
    assert created == ["Launch"]

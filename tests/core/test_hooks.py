"""The pluggy hooks: validation stops activations, payload transforms chain, observers
see the final record and cannot break an activation."""

from __future__ import annotations

from typing import Any

import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import ContentRejected, Problem
from marketing_platform.hookspecs import hookimpl
from marketing_platform.log import ActivationLog, ActivationRecord
from marketing_platform.models import Content
from marketing_platform.registry import Registry

from .helpers import RecordingPlatform, blog_post


class NoShouting:
    @hookimpl
    def mplat_validate_content(self, content: Content, platform: str) -> list[Problem]:
        return [Problem("title", "no shouting")] if content.title.isupper() else []


class NeedsSummary:
    @hookimpl
    def mplat_validate_content(self, content: Content, platform: str) -> list[Problem] | None:
        return None if content.summary else [Problem("summary", f"{platform} needs a summary")]


def test_validation_hook_problems_stop_the_activation_before_any_request_or_record(
    activator: Activator,
    activation_log: ActivationLog,
    registry: Registry,
    recorder: type[RecordingPlatform],
) -> None:
    registry.register_plugin(NoShouting())
    registry.register_plugin(NeedsSummary())

    with pytest.raises(ContentRejected) as caught:
        activator.activate(blog_post(title="HELLO"), "recorder")

    assert sorted(str(p) for p in caught.value.problems) == [
        "summary: recorder needs a summary",
        "title: no shouting",
    ]
    assert recorder.calls == []
    assert activation_log.list() == []


def test_content_passing_every_validation_hook_is_activated(
    activator: Activator, registry: Registry, recorder: type[RecordingPlatform]
) -> None:
    registry.register_plugin(NoShouting())
    registry.register_plugin(NeedsSummary())

    result = activator.activate(blog_post(title="Hello", summary="One line"), "recorder")

    assert result.ok


class Stamp:
    """A transform plugin appending ``mark:operation`` to ``payload["stamps"]``."""

    def __init__(self, mark: str, **order: bool) -> None:
        self.seen: list[list[str]] = []

        def mplat_transform_payload(platform: str, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
            stamps = list(payload.get("stamps", []))
            self.seen.append(stamps)
            return {**payload, "stamps": [*stamps, f"{mark}:{operation}"]}

        # pluggy reads the ordering options from the function, so build one per instance
        self.mplat_transform_payload = hookimpl(**order)(mplat_transform_payload)


class Ignore:
    @hookimpl
    def mplat_transform_payload(self, platform: str, operation: str, payload: dict[str, Any]) -> None:
        return None


def test_transform_hooks_are_chained_in_pluggy_order_and_the_mock_stores_the_result(
    activator: Activator, registry: Registry
) -> None:
    first = Stamp("first", tryfirst=True)
    last = Stamp("last", trylast=True)
    registry.register_plugin(last)
    registry.register_plugin(Ignore())
    registry.register_plugin(first)

    result = activator.activate(blog_post(), "mock")

    assert result.ok
    assert last.seen[0] == ["first:create_campaign"], "each transform sees the previous one's result"
    state = activator.platform("mock").state  # type: ignore[attr-defined]
    assert result.campaign is not None
    assert result.campaign.external_id is not None
    stored = state.get(result.campaign.external_id)["data"]
    assert stored["stamps"] == ["first:create_campaign", "last:create_campaign"]
    assert stored["name"] == "Launch"
    assert result.publish is not None
    assert result.publish.external_id is not None
    published = state.get(result.publish.external_id)["data"]["payload"]
    assert published["stamps"] == ["first:publish_content", "last:publish_content"]


def test_transform_hooks_without_ordering_run_last_registered_first(registry: Registry) -> None:
    a, b = Stamp("a"), Stamp("b")
    registry.register_plugin(a)
    registry.register_plugin(b)

    payload = registry.hooks.transform_payload("mock", "publish_content", {"title": "T"})

    assert payload == {"title": "T", "stamps": ["b:publish_content", "a:publish_content"]}


def test_no_transform_hooks_leave_the_payload_alone(registry: Registry) -> None:
    payload = {"title": "T"}

    assert registry.hooks.transform_payload("mock", "create_campaign", payload) == {"title": "T"}


class Observer:
    def __init__(self) -> None:
        self.records: list[ActivationRecord] = []

    @hookimpl
    def mplat_activation_finished(self, record: ActivationRecord) -> None:
        self.records.append(record)


def test_activation_finished_hook_receives_the_final_record(
    activator: Activator, registry: Registry, recorder: type[RecordingPlatform]
) -> None:
    observer = Observer()
    registry.register_plugin(observer)

    result = activator.activate(blog_post(), "recorder")

    (record,) = observer.records
    assert record.id == result.record.id
    assert record.state == "succeeded"
    assert record.finished_at is not None
    assert record.steps["publish"]["external_id"] == "recorder-content-1"


def test_activation_finished_hook_sees_failures_too(
    activator: Activator, registry: Registry, recorder: type[RecordingPlatform]
) -> None:
    from marketing_platform.errors import PlatformUnavailable

    observer = Observer()
    registry.register_plugin(observer)
    recorder.fail["create_campaign"] = PlatformUnavailable("down")

    activator.activate(blog_post(), "recorder")

    (record,) = observer.records
    assert record.state == "failed"
    assert record.error is not None
    assert record.error["message"] == "down"


class Explodes:
    @hookimpl
    def mplat_activation_finished(self, record: ActivationRecord) -> None:
        raise RuntimeError("the audit sink is down")


def test_a_raising_activation_finished_hook_does_not_fail_the_activation(
    activator: Activator,
    activation_log: ActivationLog,
    registry: Registry,
    recorder: type[RecordingPlatform],
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry.register_plugin(Explodes())

    result = activator.activate(blog_post(), "recorder")

    assert result.ok
    assert activation_log.get(result.record.id).state == "succeeded"
    assert "mplat_activation_finished hook failed" in caplog.text


def test_loaded_adapters_are_registered_in_the_plugin_manager(registry: Registry) -> None:
    registry.create("mock").close()

    assert registry.pm.has_plugin("adapter:mock")

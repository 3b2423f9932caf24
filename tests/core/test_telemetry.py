"""OpenTelemetry: a span per activation (and per vendor request), metrics, no secrets.

The SDK is configured here as an application would; the core only uses the API."""

from __future__ import annotations

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from marketing_platform.activation import Activator

from .helpers import RecordingPlatform, blog_post

_SPANS = InMemorySpanExporter()
_METRICS = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def sdk() -> None:
    """Install the SDK once per process (OpenTelemetry allows one global provider)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_SPANS))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[_METRICS]))


@pytest.fixture
def spans() -> InMemorySpanExporter:
    _SPANS.clear()
    return _SPANS


def _points(name: str) -> list[tuple[dict[str, object], float]]:
    data = _METRICS.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found += [(dict(p.attributes or {}), p.value) for p in metric.data.data_points]  # type: ignore[union-attr]
    return found


def test_an_activation_is_a_span_with_its_outcome(
    activator: Activator, recorder: type[RecordingPlatform], spans: InMemorySpanExporter
) -> None:
    result = activator.activate(blog_post(), "recorder")

    (span,) = [s for s in spans.get_finished_spans() if s.name == "mplat.activate"]
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "mplat.platform": "recorder",
        "mplat.content.id": "hello-world",
        "mplat.content.kind": "blog_post",
        "mplat.activation.id": result.record.id,
        "mplat.state": "succeeded",
        "mplat.action": "created",
    }
    assert any(
        attrs == {"mplat.platform": "recorder", "mplat.state": "succeeded"} and value >= 1
        for attrs, value in _points("mplat.activations")
    ), _points("mplat.activations")


def test_a_failed_activation_marks_its_span_as_an_error(
    activator: Activator, recorder: type[RecordingPlatform], spans: InMemorySpanExporter
) -> None:
    from marketing_platform.errors import PlatformUnavailable

    recorder.fail["publish_content"] = PlatformUnavailable("down")
    activator.activate(blog_post(), "recorder")

    (span,) = [s for s in spans.get_finished_spans() if s.name == "mplat.activate"]
    assert span.attributes is not None
    assert span.attributes["mplat.state"] == "failed"
    assert not span.status.is_ok

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


def test_each_request_attempt_is_a_client_span_with_the_http_conventions(spans: InMemorySpanExporter) -> None:
    from opentelemetry.trace import SpanKind

    from .test_http import Server, _http, parse

    server = Server(503, 200)
    http, _ = _http(server)
    http.call("GET", "/things?token=secret-in-query", parse)

    attempts = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert [s.name for s in attempts] == ["GET", "GET"]
    first, second = (dict(s.attributes or {}) for s in attempts)
    assert first == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": 9,
        "http.response.status_code": 503,
        "error.type": "503",
    }
    assert second["http.request.resend_count"] == 1
    assert second["http.response.status_code"] == 200
    assert "error.type" not in second
    assert not any("secret" in str(v) for s in attempts for v in (s.attributes or {}).values())

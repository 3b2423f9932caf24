"""OpenTelemetry traces and metrics, through ``opentelemetry-api`` only.

Nothing is exported until the application configures the OpenTelemetry SDK (a tracer
and meter provider); until then every call here is a cheap no-op. What is emitted:

* a span per activation (``mplat.activate``) with ``mplat.platform``,
  ``mplat.content.id``, ``mplat.content.kind``, ``mplat.action`` and ``mplat.state``;
* a span per vendor request attempt (kind CLIENT, named after the method), with the
  HTTP client semantic conventions: ``http.request.method``, ``server.address``,
  ``server.port``, ``http.response.status_code``, ``http.request.resend_count`` (on a
  retry) and ``error.type``. The URL is never recorded (it may carry ids a vendor
  treats as secret; credentials never appear in any attribute);
* metrics: ``mplat.activations`` (by platform and state), ``http.client.request.duration``
  (seconds), ``mplat.http.retries`` and ``mplat.rate_limit.wait`` (seconds spent waiting
  for the rate budget).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .__about__ import __version__

__all__ = [
    "RequestTelemetry",
    "activation_span",
    "record_activation",
    "record_rate_wait",
    "record_retry",
    "request_span",
]

_SCOPE = "marketing_platform"
#: The HTTP semantic conventions' buckets for durations in seconds (the SDK's default
#: buckets are for milliseconds and would put every request in the first one).
_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]


def _tracer() -> trace.Tracer:
    return trace.get_tracer(_SCOPE, __version__)


@dataclass
class _Instruments:
    meter: metrics.Meter = field(default_factory=lambda: metrics.get_meter(_SCOPE, __version__))

    def __post_init__(self) -> None:
        self.activations = self.meter.create_counter(
            "mplat.activations",
            unit="{activation}",
            description="Activations finished, by platform and state",
        )
        self.duration = self.meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of vendor HTTP requests",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )
        self.retries = self.meter.create_counter(
            "mplat.http.retries", unit="{retry}", description="Vendor requests sent again after a failure"
        )
        self.rate_waits = self.meter.create_histogram(
            "mplat.rate_limit.wait",
            unit="s",
            description="Time spent waiting for the rate budget",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )


_instruments: _Instruments | None = None


def _metrics() -> _Instruments:
    """The instruments, made on first use (after the application set its providers)."""
    global _instruments
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


@contextmanager
def activation_span(*, platform: str, content_id: str, kind: str, activation_id: str) -> Iterator[trace.Span]:
    """The span of one activation; end it with :func:`record_activation`'s attributes."""
    attributes = {
        "mplat.platform": platform,
        "mplat.content.id": content_id,
        "mplat.content.kind": kind,
        "mplat.activation.id": activation_id,
    }
    with _tracer().start_as_current_span("mplat.activate", attributes=attributes) as span:
        yield span


def record_activation(span: trace.Span, *, platform: str, state: str, action: str | None) -> None:
    """Finish an activation: its state and action on the span, and the counter."""
    span.set_attribute("mplat.state", state)
    if action:
        span.set_attribute("mplat.action", action)
    if state not in {"succeeded", "blocked"}:
        span.set_status(Status(StatusCode.ERROR, state))
    _metrics().activations.add(1, {"mplat.platform": platform, "mplat.state": state})


@dataclass
class RequestTelemetry:
    """What :func:`request_span` yields: report the answer (or failure) of the attempt."""

    span: trace.Span
    attributes: dict[str, Any]
    status_code: int | None = None

    def answered(self, status_code: int) -> None:
        self.status_code = status_code
        self.span.set_attribute("http.response.status_code", status_code)
        self.attributes["http.response.status_code"] = status_code
        if status_code >= 400:
            self.failed(str(status_code))

    def failed(self, error_type: str) -> None:
        self.span.set_attribute("error.type", error_type)
        self.attributes["error.type"] = error_type
        self.span.set_status(Status(StatusCode.ERROR))


@contextmanager
def request_span(
    *, method: str, host: str, port: int | None, resend_count: int, clock: Any
) -> Iterator[RequestTelemetry]:
    """A CLIENT span for one attempt of a vendor request, and its duration metric.

    ``resend_count`` is the attempt number minus one (only set on a retry); ``clock``
    is a monotonic clock in seconds."""
    attributes: dict[str, Any] = {"http.request.method": method, "server.address": host}
    if port is not None:
        attributes["server.port"] = port
    if resend_count:
        attributes["http.request.resend_count"] = resend_count
    started = clock()
    with _tracer().start_as_current_span(method, kind=SpanKind.CLIENT, attributes=attributes) as span:
        telemetry = RequestTelemetry(span, dict(attributes))
        try:
            yield telemetry
        except BaseException as exc:
            if "error.type" not in telemetry.attributes:
                telemetry.failed(type(exc).__name__)
            raise
        finally:
            _metrics().duration.record(max(clock() - started, 0.0), telemetry.attributes)


def record_retry(platform: str) -> None:
    """Count a vendor request sent again."""
    _metrics().retries.add(1, {"mplat.platform": platform})


def record_rate_wait(platform: str, seconds: float) -> None:
    """Record time spent waiting for the rate budget."""
    if seconds > 0:
        _metrics().rate_waits.record(seconds, {"mplat.platform": platform})

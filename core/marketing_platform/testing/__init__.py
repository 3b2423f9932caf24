"""The conformance kit for adapter authors (also a pytest plugin, see :mod:`.plugin`).

Subclass :class:`AdapterConformance` in a ``Test...`` class of your adapter's tests and
override its fixtures (see :mod:`marketing_platform.testing.conformance`). Helpers:

* :class:`FakeClock` - pass ``clock=clock, sleep=clock.sleep``: nothing really waits;
* :class:`ErrorCase`, :func:`respond_with`, :func:`default_error_cases`,
  :class:`FailingTransport`, :class:`FailNthTransport`, :class:`RecordingTransport`,
  :class:`LimitingTransport` - inject vendor failures, enforce a rate limit and record
  requests around your fake's transport;
* :func:`serve`, :func:`serve_asgi`, :func:`asgi_to_wsgi` - run a WSGI (or ASGI) fake
  on a loopback port;
* :func:`sample_content`, :func:`sample_campaign`, :func:`sample_asset`, :func:`png_bytes`;
* :func:`fake_install`, :func:`fake_install_project` - make a distribution's entry
  points discoverable without ``pip install``;
* :func:`secret_values` - the plain values of a settings object's secrets.

Importing this package is cheap: names are imported on first use, so the pytest plugin
costs nothing in test runs that do not use the kit.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import FakeClock
    from .conformance import AdapterConformance, AdapterFactory, Kit, Snapshot, labelled, secret_values
    from .install import fake_install, fake_install_project
    from .samples import (
        SAMPLE_LIST,
        SAMPLE_TEMPLATE,
        png_bytes,
        sample_asset,
        sample_campaign,
        sample_content,
    )
    from .server import asgi_to_wsgi, serve, serve_asgi
    from .transports import (
        ErrorCase,
        FailingTransport,
        FailNthTransport,
        LimitingTransport,
        RecordingTransport,
        Responder,
        SentRequest,
        default_error_cases,
        forbidden_answer,
        respond_with,
        retry_after_answer,
    )

_EXPORTS = {
    "AdapterConformance": "conformance",
    "AdapterFactory": "conformance",
    "Kit": "conformance",
    "Snapshot": "conformance",
    "labelled": "conformance",
    "secret_values": "conformance",
    "FakeClock": "clock",
    "fake_install": "install",
    "fake_install_project": "install",
    "SAMPLE_LIST": "samples",
    "SAMPLE_TEMPLATE": "samples",
    "png_bytes": "samples",
    "sample_asset": "samples",
    "sample_campaign": "samples",
    "sample_content": "samples",
    "asgi_to_wsgi": "server",
    "serve": "server",
    "serve_asgi": "server",
    "ErrorCase": "transports",
    "FailingTransport": "transports",
    "FailNthTransport": "transports",
    "LimitingTransport": "transports",
    "RecordingTransport": "transports",
    "Responder": "transports",
    "SentRequest": "transports",
    "default_error_cases": "transports",
    "forbidden_answer": "transports",
    "respond_with": "transports",
    "retry_after_answer": "transports",
}

__all__ = [
    "SAMPLE_LIST",
    "SAMPLE_TEMPLATE",
    "AdapterConformance",
    "AdapterFactory",
    "ErrorCase",
    "FailNthTransport",
    "FailingTransport",
    "FakeClock",
    "Kit",
    "LimitingTransport",
    "RecordingTransport",
    "Responder",
    "SentRequest",
    "Snapshot",
    "asgi_to_wsgi",
    "default_error_cases",
    "fake_install",
    "fake_install_project",
    "forbidden_answer",
    "labelled",
    "png_bytes",
    "respond_with",
    "retry_after_answer",
    "sample_asset",
    "sample_campaign",
    "sample_content",
    "secret_values",
    "serve",
    "serve_asgi",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

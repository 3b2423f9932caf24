"""The conformance kit for adapter authors (also a pytest plugin, see :mod:`.plugin`).

Subclass :class:`AdapterConformance` in a ``Test...`` class of your adapter's tests and
override its fixtures (see :mod:`marketing_platform.testing.conformance`). Helpers:

* :class:`FakeClock` - pass ``clock=clock, sleep=clock.sleep``: nothing really waits;
* :class:`ErrorCase`, :func:`respond_with`, :func:`default_error_cases`,
  :class:`FailingTransport`, :class:`RecordingTransport` - inject vendor failures and
  record requests around your fake's transport;
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
    from .conformance import AdapterConformance, AdapterFactory, Kit, Snapshot, secret_values
    from .install import fake_install, fake_install_project
    from .samples import SAMPLE_LIST, png_bytes, sample_asset, sample_campaign, sample_content
    from .transports import (
        ErrorCase,
        FailingTransport,
        RecordingTransport,
        Responder,
        default_error_cases,
        respond_with,
    )

_EXPORTS = {
    "AdapterConformance": "conformance",
    "AdapterFactory": "conformance",
    "Kit": "conformance",
    "Snapshot": "conformance",
    "secret_values": "conformance",
    "FakeClock": "clock",
    "fake_install": "install",
    "fake_install_project": "install",
    "SAMPLE_LIST": "samples",
    "png_bytes": "samples",
    "sample_asset": "samples",
    "sample_campaign": "samples",
    "sample_content": "samples",
    "ErrorCase": "transports",
    "FailingTransport": "transports",
    "RecordingTransport": "transports",
    "Responder": "transports",
    "default_error_cases": "transports",
    "respond_with": "transports",
}

__all__ = [
    "SAMPLE_LIST",
    "AdapterConformance",
    "AdapterFactory",
    "ErrorCase",
    "FailingTransport",
    "FakeClock",
    "Kit",
    "RecordingTransport",
    "Responder",
    "Snapshot",
    "default_error_cases",
    "fake_install",
    "fake_install_project",
    "png_bytes",
    "respond_with",
    "sample_asset",
    "sample_campaign",
    "sample_content",
    "secret_values",
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

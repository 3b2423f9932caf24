"""The pluggy hook specifications and the ``hookimpl`` marker.

Adapters (every loaded adapter class) and extensions (distributions under the
entry-point group ``marketing_platform.plugins``) implement these with ``@hookimpl``.
Callers go through :class:`marketing_platform.registry.Hooks`, a typed facade over the
untyped ``pm.hook``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .errors import Problem
    from .log import ActivationRecord
    from .models import Content
    from .platform import MarketingPlatform

PROJECT = "marketing_platform"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mplat_validate_content(content: Content, platform: str) -> list[Problem] | None:  # type: ignore[empty-body]
    """Return the problems this plugin finds in ``content`` bound for ``platform``.

    Every implementation runs; all problems are collected. Return an empty list (or
    None) when the content is fine. Any problem stops the activation before a request.
    """


@hookspec
def mplat_transform_payload(platform: str, operation: str, payload: dict[str, Any]) -> dict[str, Any] | None:  # type: ignore[empty-body]
    """Return a changed copy of ``payload`` (the body an adapter is about to send for
    ``operation``, e.g. ``create_campaign``), or None to leave it alone. Implementations
    are applied in turn, each seeing the previous one's result."""


@hookspec
def mplat_activation_finished(record: ActivationRecord) -> None:
    """Observe an activation's final record (audit sinks, alerting). Must not raise."""


@hookspec
def mplat_register_adapters() -> list[type[MarketingPlatform]] | None:  # type: ignore[empty-body]
    """Return adapter classes to make available without packaging (apps and tests)."""

"""Every test runs isolated: its own activation log and mock state, no platform
settings leaking in from the developer's environment, a fresh default registry.

Tests that need something the machine may lack (a ``redis-server``, Adobe's Marketo
specs) call :func:`require`: outside CI a missing prerequisite skips the test with the
reason shown; in CI (``CI=true``) it fails the test, so nothing goes untested silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_platform.registry import reset_default_registry

_PREFIXES = ("MARKETING_PLATFORM", "MARKETO_", "HUBSPOT_", "MOCK_", "MAILCHIMP_", "SFMC_", "PARDOT_")


def in_ci() -> bool:
    """True when running in CI (``CI`` set to ``true``, ``1`` or ``yes``, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require(condition: object, reason: str) -> None:
    """Go on when ``condition`` holds; else skip the test with ``reason`` or, in CI,
    fail it: a prerequisite missing in CI is a broken pipeline, not a test to leave out."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing prerequisite fails the test instead of skipping it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("mplat-home")
    monkeypatch.setenv("MARKETING_PLATFORM_LOG", str(home / "activations.sqlite3"))
    reset_default_registry()
    yield home
    reset_default_registry()

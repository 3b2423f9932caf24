"""Every test runs isolated: its own activation log and mock state, no platform
settings leaking in from the developer's environment, a fresh default registry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_platform.registry import reset_default_registry

_PREFIXES = ("MARKETING_PLATFORM", "MARKETO_", "HUBSPOT_", "MOCK_", "MAILCHIMP_")


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

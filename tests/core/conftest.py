"""Fixtures of the core suite (the root conftest already isolates env and the log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog
from marketing_platform.registry import Registry

from .helpers import AdapterPlugin, FakeClock, RecordingPlatform, make_recorder

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def activation_log(tmp_path: Path) -> ActivationLog:
    return ActivationLog(tmp_path / "activations.sqlite3")


@pytest.fixture
def recorder(registry: Registry) -> type[RecordingPlatform]:
    """A recording adapter named ``recorder``, registered in-process in ``registry``."""
    cls = make_recorder("recorder")
    registry.register_plugin(AdapterPlugin(cls))
    return cls


@pytest.fixture
def activator(registry: Registry, activation_log: ActivationLog) -> Iterator[Activator]:
    with Activator(registry=registry, activation_log=activation_log, fallback=[]) as instance:
        yield instance

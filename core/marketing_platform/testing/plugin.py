"""The kit's pytest plugin (entry point ``pytest11`` named ``marketing_platform``).

Loaded by every pytest run in an environment where the core is installed, so it stays
cheap and inert: it imports nothing heavy, registers the ``mplat_conformance`` marker,
asks pytest to rewrite the kit's asserts (readable failures), marks the tests that come
from :class:`~marketing_platform.testing.AdapterConformance` (``-m mplat_conformance``
selects them) and offers two fixtures:

* ``mplat_clock`` - a :class:`~marketing_platform.testing.FakeClock`;
* ``mplat_site`` - a folder on ``sys.path`` where ``mplat_site.install(project_dir)``
  makes a project's entry points discoverable without ``pip install``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .clock import FakeClock

pytest.register_assert_rewrite("marketing_platform.testing.conformance")

MARKER = "mplat_conformance"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a marketing-platform adapter conformance kit test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    kit = sys.modules.get("marketing_platform.testing.conformance")
    if kit is None:  # nobody imported the kit: nothing to mark
        return
    base = kit.AdapterConformance
    for item in items:
        cls = getattr(item, "cls", None)
        if isinstance(cls, type) and issubclass(cls, base):
            item.add_marker(MARKER)


@pytest.fixture
def mplat_clock() -> FakeClock:
    """A fake clock; pass ``clock=mplat_clock, sleep=mplat_clock.sleep`` to adapters."""
    from .clock import FakeClock

    return FakeClock()


class Site:
    """A throw-away ``site-packages``: :meth:`install` writes a project's dist-info."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = path
        self._monkeypatch = monkeypatch

    def install(self, project: Path, *, package_root: Path | None = None) -> Path:
        """Make ``project`` (a folder with a pyproject.toml) importable and its entry
        points discoverable; returns the dist-info path."""
        from ..registry import reset_default_registry
        from .install import fake_install_project

        info = fake_install_project(project, self.path)
        self._monkeypatch.syspath_prepend(str(package_root or project))
        importlib.invalidate_caches()
        reset_default_registry()
        return info


@pytest.fixture
def mplat_site(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A temporary site folder on ``sys.path`` (removed again after the test)."""
    path = tmp_path_factory.mktemp("mplat-site")
    monkeypatch.syspath_prepend(str(path))
    yield Site(path, monkeypatch)
    from ..registry import reset_default_registry

    reset_default_registry()

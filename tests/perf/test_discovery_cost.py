"""Discovery stays cheap: importing the package loads no adapter and no HTTP stack,
creating one platform imports only that adapter, and the entry-point table is read once
per registry. (Behaviour only; the timings live in ``benchmarks/discovery``.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from marketing_platform import registry as registry_module
from marketing_platform.registry import ADAPTER_GROUP, PLUGIN_GROUP, Registry
from marketing_platform.testing import fake_install

PROCESS_TIMEOUT = 30
SPY_MODULE = "mplat_perf_spy_adapter"


def run_python(code: str, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter; it prints JSON, which is returned."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def spy_site(tmp_path: Path) -> dict[str, str]:
    """An installed-looking distribution whose adapter module must never be imported by
    ``create("mock")``: importing it would show up in ``sys.modules``."""
    (tmp_path / f"{SPY_MODULE}.py").write_text(
        "raise RuntimeError('the spy adapter was imported')\n", encoding="utf-8"
    )
    fake_install(tmp_path, "mplat-perf-spy", "0.1", {ADAPTER_GROUP: {"spy": f"{SPY_MODULE}:SpyPlatform"}})
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path}


def test_importing_the_package_imports_no_adapter_no_http_stack_no_stevedore() -> None:
    loaded = run_python(
        """
        import json, sys
        import marketing_platform
        print(json.dumps(sorted(sys.modules)))
        """
    )
    top = {name.split(".")[0] for name in loaded}
    assert "httpx" not in top
    assert "httpcore" not in top
    assert "stevedore" not in top
    assert "redis" not in top
    assert not [name for name in top if name.startswith("marketing_platform_")]


def test_create_imports_only_the_adapter_asked_for(spy_site: dict[str, str]) -> None:
    loaded = run_python(
        """
        import json, sys
        from importlib.metadata import entry_points
        from marketing_platform.registry import ADAPTER_GROUP, Registry

        installed = sorted(ep.name for ep in entry_points(group=ADAPTER_GROUP))
        registry = Registry()
        registry.create("mock").close()
        adapters = sorted(m for m in sys.modules if m.startswith(("marketing_platform_", "mplat_perf_spy")))
        print(json.dumps({"installed": installed, "adapters": adapters}))
        """,
        env=spy_site,
    )
    assert "spy" in loaded["installed"]  # the spy really is discoverable
    top = {name.split(".")[0] for name in loaded["adapters"]}
    assert top == {"marketing_platform_mock"}, loaded


def test_listing_names_imports_no_adapter(spy_site: dict[str, str]) -> None:
    loaded = run_python(
        """
        import json, sys
        from marketing_platform.registry import Registry

        names = Registry().names()
        adapters = sorted(m for m in sys.modules if m.startswith(("marketing_platform_", "mplat_perf_spy")))
        print(json.dumps({"names": names, "adapters": adapters}))
        """,
        env=spy_site,
    )
    assert {"mock", "spy"} <= set(loaded["names"])
    assert loaded["adapters"] == []


def test_entry_points_are_read_once_per_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs.get("group"))
        return metadata.entry_points(**kwargs)

    monkeypatch.setattr(registry_module, "entry_points", counting)
    registry = Registry()
    for _ in range(3):
        registry.create("mock").close()
        registry.names()
        registry.adapter_class("mock")
    assert calls.count(ADAPTER_GROUP) == 1
    assert calls.count(PLUGIN_GROUP) <= 1
    assert len(calls) <= 2

    Registry().names()  # a new registry reads the table again
    assert calls.count(ADAPTER_GROUP) == 2


def test_loaded_adapter_class_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    import stevedore

    loads: list[str] = []
    real = stevedore.DriverManager

    def counting(namespace: str, name: str, **kwargs: Any) -> Any:
        loads.append(name)
        return real(namespace, name, **kwargs)

    monkeypatch.setattr(stevedore, "DriverManager", counting)
    registry = Registry()
    first = registry.adapter_class("mock")
    for _ in range(3):
        registry.create("mock").close()
    assert registry.adapter_class("mock") is first
    assert loads == ["mock"]

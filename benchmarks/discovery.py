"""discovery: what choosing a platform costs.

* cold: ``mplat platforms`` in a fresh interpreter (it imports every installed adapter,
  since it must report broken ones) vs ``python -c "import httpx"`` - the ratio says how
  much discovery costs beyond importing the HTTP stack itself. ``import
  marketing_platform`` alone is printed too. Best of ROUNDS each.
* warm: ``create_platform(name)`` + ``close()`` cycling through three platforms (mock and
  two in-process adapters) once each has been loaded: the cost of switching platforms
  (seed target: under 50 ms).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import marketing_platform
from marketing_platform.registry import default_registry, reset_default_registry

from . import adapter

ROUNDS = 3
SWITCH_CYCLES = 50


def _best_wall(command: list[str], env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def _mplat() -> list[str]:
    script = Path(sys.executable).with_name("mplat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "marketing_platform.cli"]


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MARKETING_PLATFORM_LOG": str(Path(tmp) / "activations.sqlite3")}
        httpx_import = _best_wall([sys.executable, "-c", "import httpx"], env)
        package_import = _best_wall([sys.executable, "-c", "import marketing_platform"], env)
        platforms = _best_wall([*_mplat(), "platforms"], env)
        print(f"   python -c 'import httpx':              {httpx_import * 1000:6.0f} ms (best of {ROUNDS})")
        print(f"   python -c 'import marketing_platform': {package_import * 1000:6.0f} ms")
        print(f"   mplat platforms (cold):               {platforms * 1000:6.0f} ms")
        print(f"   ratio mplat platforms / import httpx: {platforms / httpx_import:.2f}")

        saved = dict(os.environ)
        os.environ["MARKETING_PLATFORM_LOG"] = env["MARKETING_PLATFORM_LOG"]
        try:
            reset_default_registry()
            adapter.register(default_registry(), adapter.variant("bench_a"), adapter.variant("bench_b"))
            names = ["mock", "bench_a", "bench_b"]
            first: dict[str, float] = {}
            for name in names:
                started = time.perf_counter()
                marketing_platform.create_platform(name).close()
                first[name] = time.perf_counter() - started
            switches: list[float] = []
            for _ in range(SWITCH_CYCLES):
                for name in names:
                    started = time.perf_counter()
                    marketing_platform.create_platform(name).close()
                    switches.append(time.perf_counter() - started)
        finally:
            reset_default_registry()
            os.environ.clear()
            os.environ.update(saved)
    print(
        "   first create_platform in this process: "
        + ", ".join(f"{n} {t * 1000:.1f} ms" for n, t in first.items())
    )
    print(
        f"   warm switch across {', '.join(names)}: mean {statistics.mean(switches) * 1000:.2f} ms, "
        f"max {max(switches) * 1000:.2f} ms over {len(switches)} switches (target < 50 ms)"
    )

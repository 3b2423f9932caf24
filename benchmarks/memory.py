"""memory: peak RSS of a bulk activation of N contents on the mock platform, each N in
a fresh interpreter (``VmHWM`` of ``/proc/self/status``: on Linux ``ru_maxrss`` of an
exec'd child starts at its parent's RSS at fork time, so a benchmark runner grown by an
earlier benchmark would inflate every figure; ``ru_maxrss`` elsewhere). The growth from
1,000 to 2,000 contents is the cost per 1,000 (goal: flat - it should be small next to
the baseline). Contents are generated and results consumed as a stream
(``Activator.activate_iter``), as a pipeline feeding a bulk activation would do.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from marketing_platform.activation import Activator, Job
from marketing_platform.registry import Registry

from . import adapter

SIZES = (10, 1000, 2000)
ROOT = Path(__file__).resolve().parent.parent


def activate(count: int) -> float:
    """Activate ``count`` contents on mock; peak RSS in MiB."""
    jobs = (Job(adapter.content(i), "mock") for i in range(count))
    with Activator(registry=Registry()) as activator:
        failed = sum(not result.ok for result in activator.activate_iter(jobs))
    assert failed == 0, f"{failed} activations failed"
    return peak_rss_mib()


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes there, KiB elsewhere


def run() -> None:
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            env = {**os.environ, "MARKETING_PLATFORM_LOG": str(Path(tmp) / f"log-{size}.sqlite3")}
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.memory", "--worker", str(size)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            peaks[size] = float(out.strip().splitlines()[-1])
            print(f"   {size:5d} contents: peak RSS {peaks[size]:6.1f} MiB", flush=True)
    per_thousand = (peaks[2000] - peaks[1000]) / 1
    print(
        f"   growth 1,000 -> 2,000 contents: {per_thousand:.1f} MiB per 1,000 "
        f"(baseline with {SIZES[0]} contents: {peaks[SIZES[0]]:.1f} MiB)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        print(activate(int(sys.argv[2])))
    else:
        run()

"""throughput: 300 activations against a loopback fake that enforces a scaled-down
vendor window, in one process (memory store), then in 3 processes sharing a SQLite
store, then 3 processes sharing a Redis store, then in one process again with the
adapter reading the fake's HubSpot rate headers.

The fake allows WINDOW_CALLS calls per WINDOW_SECONDS and MAX_CONCURRENT in flight,
answering 429 (a violation) beyond either; each accepted call takes LATENCY seconds.
Every activation is one publish call through the real Activator -> adapter ->
PlatformHTTP -> RateBudget path, with the adapter's budget set to the fake's limits
through BENCH_RATE_LIMIT / BENCH_MAX_CONCURRENT. Printed: achieved rate / allowed rate
(goal >= 0.95) and violations (goal 0).

The fake answers with HubSpot's ``X-HubSpot-RateLimit-Remaining`` / ``-Max`` /
``-Interval-Milliseconds``. The "HubSpot headers" variant runs ``bench_hubspot``, which
feeds them to its budget through ``RateHeaders`` as the HubSpot adapter does: even
pacing brings Remaining to 0-1 in every window, so a budget that pauses on a low
Remaining its own calls explain (the "HubSpot at half its quota" bug) drops to ~0.5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from marketing_platform.activation import Activator, Job
from marketing_platform.registry import Registry

from . import adapter
from ._redis import missing, redis_server
from ._server import serve
from .fake import VendorFake

ACTIVATIONS = 300
PROCESSES = 3
WINDOW_CALLS = 40
WINDOW_SECONDS = 2.0
MAX_CONCURRENT = 5
LATENCY = 0.2
ROOT = Path(__file__).resolve().parent.parent


def _environment(base_url: str, store: str, log: Path) -> dict[str, str]:
    return {
        "BENCH_BASE_URL": base_url,
        "BENCH_RATE_LIMIT": f"{WINDOW_CALLS}/{WINDOW_SECONDS:g}",
        "BENCH_MAX_CONCURRENT": str(MAX_CONCURRENT),
        "MARKETING_PLATFORM_RATE_STORE": store,
        "MARKETING_PLATFORM_LOG": str(log),
    }


def activate(first: int, count: int, platform: str = "bench") -> int:
    """Run ``count`` activations on ``platform`` (``bench`` or ``bench_hubspot``;
    settings from the environment); the number that failed."""
    registry = Registry()
    adapter.register(registry, adapter.BenchPlatform, adapter.HubSpotHeadersPlatform)
    jobs = [Job(adapter.content(i), platform) for i in range(first, first + count)]
    with Activator(registry=registry) as activator:
        results = activator.activate_all(jobs)
    return sum(1 for result in results if not result.ok)


def _report(label: str, fake: VendorFake, elapsed: float, failed: int, *, headers: bool = False) -> None:
    allowed = WINDOW_CALLS / WINDOW_SECONDS
    achieved = fake.achieved_rate()
    low = sum(1 for remaining in fake.remaining_sent if remaining <= 1)
    print(
        f"   {label:<28} {len(fake.accepted)} calls in {elapsed:5.1f} s: achieved {achieved:5.2f}/s "
        f"of allowed {allowed:.2f}/s = {achieved / allowed:.3f} (goal >= 0.95); "
        f"violations {fake.violations} (window {fake.window_violations}, concurrency "
        f"{fake.concurrency_violations}; goal 0); peak concurrency {fake.peak_concurrency}/{MAX_CONCURRENT}; "
        f"failed activations {failed}"
        + (f"; answers with Remaining <= 1: {low} of {len(fake.remaining_sent)}" if headers else ""),
        flush=True,
    )


def _in_process(
    base_url: str,
    fake: VendorFake,
    folder: Path,
    label: str = "1 process, memory store",
    platform: str = "bench",
) -> None:
    saved = dict(os.environ)
    os.environ.update(_environment(base_url, "memory", folder / f"{platform}.sqlite3"))
    try:
        fake.reset()
        started = time.perf_counter()
        failed = activate(0, ACTIVATIONS, platform)
        _report(label, fake, time.perf_counter() - started, failed, headers=platform != "bench")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def hubspot_headers(base_url: str, fake: VendorFake, folder: Path) -> None:
    """The in-process run with the adapter feeding the fake's HubSpot rate headers to
    its budget (``bench_hubspot``)."""
    _in_process(base_url, fake, folder, "1 process, HubSpot headers", "bench_hubspot")


def _processes(label: str, store: str, base_url: str, fake: VendorFake, folder: Path) -> None:
    fake.reset()
    each = ACTIVATIONS // PROCESSES
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.throughput", "--worker", str(i * each), str(each)],
            cwd=ROOT,
            env={**os.environ, **_environment(base_url, store, folder / f"log-{label[:6]}-{i}.sqlite3")},
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    failed = 0
    for child in children:
        out, _ = child.communicate(timeout=600)
        failed += int(out.strip().splitlines()[-1]) if child.returncode == 0 else each
    _report(label, fake, time.perf_counter() - started, failed)


def run() -> None:
    fake = VendorFake(
        calls=WINDOW_CALLS, per_seconds=WINDOW_SECONDS, max_concurrent=MAX_CONCURRENT, latency=LATENCY
    )
    print(
        f"   fake window: {WINDOW_CALLS} calls / {WINDOW_SECONDS:g} s, {MAX_CONCURRENT} concurrent, "
        f"{LATENCY * 1000:.0f} ms per call; {ACTIVATIONS} activations (1 call each) per variant",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp, serve(fake) as base_url:
        folder = Path(tmp)
        _in_process(base_url, fake, folder)
        _processes(
            f"{PROCESSES} processes, SQLite store", f"sqlite:///{folder / 'rates.db'}", base_url, fake, folder
        )
        reason = missing()
        if reason:
            print(f"   {PROCESSES} processes, Redis store: skipped: {reason}")
        else:
            redis_folder = folder / "redis"
            redis_folder.mkdir()
            with redis_server(redis_folder) as url:
                _processes(f"{PROCESSES} processes, Redis store", url, base_url, fake, folder)
        hubspot_headers(base_url, fake, folder)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        print(activate(int(sys.argv[2]), int(sys.argv[3])))
    else:
        run()

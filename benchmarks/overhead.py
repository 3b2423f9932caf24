"""overhead: create+publish pairs through the adapter (mapping, payload hooks, the
PlatformHTTP retry layer, the RateBudget, response models) vs raw httpx sending the same
requests (payloads prepared in advance) over one keep-alive connection each to the same
loopback server, which runs in its own process.

The rate budget is generous (it never waits), so the difference is the framework's own
cost. The machine is shared and loopback timings wander by tens of microseconds, so the
two sides run in many small batches, paired back to back with alternating order, and
the median of the pairs' ratios is reported (goal: ratio <= 1.10). Also printed: the
framework's cost per request measured without any I/O (the adapter on a stub client),
which does not depend on the load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from statistics import median
from typing import Any

import httpx

from marketing_platform.models import Content
from marketing_platform.registry import Registry

from . import adapter
from ._server import serve_in_subprocess

BATCH_PAIRS = 20
BATCHES = 61
Payloads = list[tuple[dict[str, Any], dict[str, Any]]]


def _raw(client: httpx.Client, payloads: Payloads) -> None:
    for campaign, content in payloads:
        client.post("/campaigns", json=campaign).raise_for_status().json()
        client.post("/content", json=content).raise_for_status().json()


def _through_adapter(platform: adapter.BenchPlatform, contents: list[Content]) -> None:
    for content in contents:
        assert content.campaign is not None
        campaign = platform.create_campaign(content.campaign)
        platform.publish_content(content, campaign=campaign)


def _paired(sides: dict[str, Callable[[], None]], batches: int, requests: int) -> dict[str, float]:
    """Median seconds per request of each side, and the median of the per-batch ratios
    (key ``ratio``, second side over first).

    Each batch runs both sides back to back, alternating which goes first, so drift in
    the machine's load hits both sides of a pair alike; the median of the pairs' ratios
    ignores the batches a neighbour's burst landed on.
    """
    (first, first_side), (second, second_side) = sides.items()
    times: dict[str, list[float]] = {first: [], second: []}
    ratios: list[float] = []
    for batch in range(batches):
        order = [(first, first_side), (second, second_side)]
        pair: dict[str, float] = {}
        for name, side in order if batch % 2 == 0 else reversed(order):
            started = time.perf_counter()
            side()
            pair[name] = (time.perf_counter() - started) / requests
            times[name].append(pair[name])
        ratios.append(pair[second] / pair[first])
    return {first: median(times[first]), second: median(times[second]), "ratio": median(ratios)}


class _StubClient:
    """Stands in for httpx.Client: answers at once, so only the framework's work is timed."""

    def __init__(self) -> None:
        self.response = httpx.Response(
            200, json={"id": "obj-1", "status": "published"}, request=httpx.Request("POST", "http://stub/")
        )

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        return self.response

    def post(self, *args: Any, **kwargs: Any) -> httpx.Response:
        return self.response

    def close(self) -> None:
        pass


def _bench_platform(registry: Registry) -> adapter.BenchPlatform:
    platform = registry.create("bench")
    assert isinstance(platform, adapter.BenchPlatform)
    return platform


def run() -> None:
    contents = [adapter.content(i, with_campaign=True) for i in range(BATCH_PAIRS)]
    requests = 2 * BATCH_PAIRS
    saved = dict(os.environ)
    with serve_in_subprocess() as base_url:
        os.environ.update(
            {"BENCH_BASE_URL": base_url, "BENCH_RATE_LIMIT": "1000000/1", "BENCH_MAX_CONCURRENT": "100"}
        )
        try:
            registry = Registry()
            adapter.register(registry)
            platform = _bench_platform(registry)
            payloads = [
                ({"name": c.campaign.name if c.campaign else ""}, platform.mapper.generic_payload(c))
                for c in contents
            ]
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                client.get("/health")  # both sides connect before the timing
                platform.check()
                wire = _paired(
                    {
                        "raw": lambda: _raw(client, payloads),
                        "adapter": lambda: _through_adapter(platform, contents),
                    },
                    BATCHES,
                    requests,
                )
            platform.close()

            stubbed = _bench_platform(registry)
            stub = _StubClient()
            stubbed.http.client = stub  # type: ignore[assignment]
            no_io = _paired(
                {"raw": lambda: _raw(stub, payloads), "adapter": lambda: _through_adapter(stubbed, contents)},  # type: ignore[arg-type]
                BATCHES,
                requests,
            )
        finally:
            os.environ.clear()
            os.environ.update(saved)
    framework = no_io["adapter"] - no_io["raw"]
    print(f"   {BATCHES} paired batches of {BATCH_PAIRS} create+publish pairs; medians")
    print(f"   raw httpx   {wire['raw'] * 1e6:6.0f} us/request")
    print(f"   adapter     {wire['adapter'] * 1e6:6.0f} us/request")
    print(f"   ratio adapter/raw over loopback: {wire['ratio']:.3f} (goal <= 1.10)")
    print(
        f"   framework cost without I/O: {framework * 1e6:.0f} us/request "
        f"= {(wire['raw'] + framework) / wire['raw']:.3f} x the raw loopback request"
    )

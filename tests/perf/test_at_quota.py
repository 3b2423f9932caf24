"""HubSpot at its quota, end to end and without timing anything: the HubSpot adapter
publishes blog posts one after another against the fake HubSpot (in-process, on a fake
clock), which answers every call with ``X-HubSpot-RateLimit-Remaining`` / ``-Max`` /
``-Interval-Milliseconds`` counted over its rolling window. The adapter feeds them to its
rate budget; the budget already paces the calls under the same limit, so a Remaining
that our own calls explain must cost nothing.

Before the fix of issue 15 the budget paused a whole interval whenever Remaining <= 1,
which even pacing makes happen in every window: HubSpot ran at half its quota. Each
figure here is read from the fake clock and the fake's log (deterministic): the pauses
the budget made, the rate the fake saw, the 429s it answered.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from marketing_platform.models import Content
from marketing_platform.testing import FakeClock
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings
from tests.hubspot.fake_hubspot import FakeHubSpot

POSTS = 150  # two calls each (create, push live): three windows of 100 calls / 10 s
QUOTA = 100 / 10.0  # the starter tier, the fake's default window


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeHubSpot:
    fake = FakeHubSpot(clock=clock)
    assert fake.send_rate_headers
    assert (fake.window_calls, fake.window_seconds) == (100, 10.0)
    return fake


@pytest.fixture
def adapter(fake: FakeHubSpot, clock: FakeClock) -> Iterator[HubSpotPlatform]:
    settings = HubSpotSettings(
        base_url="http://127.0.0.1:9", blog_id="1234567", access_token=SecretStr("pat-na1-test-token")
    )
    with HubSpotPlatform(
        settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
    ) as adapter:
        yield adapter


def post(i: int) -> Content:
    return Content.model_validate(
        {"id": f"quota-{i:03d}", "kind": "blog_post", "title": f"Post {i}", "body": f"<p>Post {i}.</p>"}
    )


def test_hubspot_rate_headers_cost_no_pause_at_the_quota(
    adapter: HubSpotPlatform, fake: FakeHubSpot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = adapter.api.http.budget
    pauses: list[float] = []
    fed: list[int | None] = []
    pause, observe = budget.pause, budget.observe

    def paused(seconds: float) -> None:
        pauses.append(seconds)
        pause(seconds)

    def observed(remaining: int | None, *args: object, **kwargs: object) -> float:
        fed.append(remaining)
        return observe(remaining, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(budget, "pause", paused)
    monkeypatch.setattr(budget, "observe", observed)

    for i in range(POSTS):
        adapter.publish_content(post(i))

    stamps = [call.at for call in fake.calls]
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert len(stamps) == len(fed) == 2 * POSTS
    assert fake.window_rejections == 0
    assert sum(pauses) < 0.5, (
        f"the rate headers paused the budget {len(pauses)} times for {sum(pauses):.1f} s in all "
        f"({len(stamps)} calls at {rate:.2f}/s of the quota {QUOTA:.0f}/s = {rate / QUOTA:.2f})"
    )
    assert rate >= 0.95 * QUOTA
    assert min(r for r in fed if r is not None) <= 1, "the fake never said its window was (nearly) full"

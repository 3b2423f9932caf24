"""Fixtures: a fake Marketo (in-process through httpx.WSGITransport) and adapters bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform
from marketing_platform_marketo.settings import MarketoSettings

from .fake_marketo import FakeClock, FakeMarketo, fake_with_templates

SECRET = "s3cret-value-never-shown"


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeMarketo:
    return fake_with_templates(clock=clock, client_secret=SECRET)


def settings(base_url: str = "http://127.0.0.1:9", **overrides: Any) -> MarketoSettings:
    values: dict[str, Any] = {"base_url": base_url, "client_id": "test-client-id", "client_secret": SECRET}
    values.update(overrides)
    return MarketoSettings(**values)


MakePlatform = Callable[..., MarketoPlatform]


@pytest.fixture
def make_platform(fake: FakeMarketo, clock: FakeClock) -> Iterator[MakePlatform]:
    made: list[MarketoPlatform] = []

    def make(**overrides: Any) -> MarketoPlatform:
        platform = MarketoPlatform(
            settings(**overrides), transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close()


@pytest.fixture
def platform(make_platform: MakePlatform) -> MarketoPlatform:
    return make_platform()

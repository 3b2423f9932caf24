"""Fixtures for the HubSpot adapter tests: a fake clock, the fake HubSpot, adapters
wired to it in-process (``httpx.WSGITransport``), and small content/asset builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.assets import load_asset
from marketing_platform.models import Asset, Content
from marketing_platform.testing import png_bytes
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings

from . import vendor_schema
from .fake_hubspot import FakeClock, FakeHubSpot

TOKEN = "pat-na1-test-token"
LOOPBACK = "http://127.0.0.1:9"
BLOG_ID = "1234567"

AdapterFactory = Callable[..., HubSpotPlatform]


@pytest.fixture(autouse=True)
def hubspot_wire_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request the adapter sends to a fake in any test here must be one HubSpot's
    own types accept (see :mod:`.vendor_schema`); checked when hubspot-api-client is
    installed (``test_contract_schema`` says when it is not)."""
    FakeHubSpot.created.clear()
    yield
    fakes, FakeHubSpot.created[:] = list(FakeHubSpot.created), []
    if request.node.get_closest_marker("off_contract") or not vendor_schema.installed():
        return
    problems = vendor_schema.check_calls([call for fake in fakes for call in fake.calls])
    assert not problems, "requests HubSpot's own types reject:\n" + vendor_schema.describe(problems)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeHubSpot:
    return FakeHubSpot(clock=clock)


@pytest.fixture
def make_adapter(fake: FakeHubSpot, clock: FakeClock) -> Iterator[AdapterFactory]:
    """``make_adapter(**settings)``: a HubSpotPlatform talking to ``fake`` in-process."""
    made: list[HubSpotPlatform] = []

    def factory(*, transport: httpx.BaseTransport | None = None, **settings: Any) -> HubSpotPlatform:
        values: dict[str, Any] = {"base_url": LOOPBACK, "blog_id": BLOG_ID}
        if not {"access_token", "api_key", "client_id"} & set(settings):
            values["access_token"] = TOKEN
        values.update(settings)
        adapter = HubSpotPlatform(
            HubSpotSettings(**values),
            transport=transport or httpx.WSGITransport(app=fake),
            clock=clock,
            sleep=clock.sleep,
        )
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> HubSpotPlatform:
    return make_adapter()


@pytest.fixture
def hero(tmp_path: Path) -> Asset:
    """A loaded featured PNG asset (mime type and size filled in)."""
    (tmp_path / "hero.png").write_bytes(png_bytes())
    asset = Asset(path=Path("hero.png"), alt_text="A rocket lifting off", role="featured")
    return load_asset(asset, tmp_path, max_bytes=1_000_000)


def blog_post(**overrides: Any) -> Content:
    data: dict[str, Any] = {
        "kind": "blog_post",
        "title": "Spring launch",
        "summary": "Everything new this spring",
        "body": "<p>Hello</p>",
        "topics": ["Product News", "Launch"],
        "campaign": {"name": "Spring Launch 2026", "description": "Q2 launch"},
    }
    data.update(overrides)
    return Content.model_validate(data)


def email(**overrides: Any) -> Content:
    data: dict[str, Any] = {
        "kind": "email",
        "title": "April newsletter",
        "body": "<p>News</p>",
        "email": {
            "template": "@hubspot/email/dnd/welcome.html",
            "subject": "What's new in April",
            "from_name": "Acme Marketing",
            "from_email": "news@acme.example",
            "reply_to": "support@acme.example",
        },
        "audience": {"lists": ["Newsletter subscribers"], "create_missing": True},
        "campaign": {"name": "Newsletter 2026"},
    }
    data.update(overrides)
    return Content.model_validate(data)

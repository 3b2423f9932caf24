"""The core conformance kit run against the HubSpot adapter and the fake HubSpot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

from marketing_platform.testing import SAMPLE_LIST, AdapterConformance
from marketing_platform_hubspot.platform import HubSpotPlatform

from .conftest import BLOG_ID, TOKEN
from .fake_hubspot import FakeHubSpot


@pytest.fixture
def kit_fake() -> FakeHubSpot:
    fake = FakeHubSpot()
    fake.lists["501"] = {
        "listId": "501",
        "name": SAMPLE_LIST,
        "objectTypeId": "0-1",
        "processingType": "MANUAL",
    }
    return fake


class TestHubSpotConformance(AdapterConformance):
    adapter_class: ClassVar[Any] = HubSpotPlatform
    read_only_exempt_paths = frozenset({"/oauth/v1/token"})

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_BASE_URL": "http://127.0.0.1:9",
            "HUBSPOT_BLOG_ID": BLOG_ID,
        }

    @pytest.fixture
    def fake_transport(self, kit_fake: FakeHubSpot) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=kit_fake)

    @pytest.fixture
    def fake_snapshot(self, kit_fake: FakeHubSpot) -> Callable[[], dict[str, int]]:
        def counts() -> dict[str, int]:
            return {
                "campaigns": len(kit_fake.campaigns),
                "posts": len(kit_fake.posts),
                "emails": len(kit_fake.emails),
                "files": len(kit_fake.files),
                "lists": len(kit_fake.lists),
                "tags": len(kit_fake.tags),
            }

        return counts

"""The conformance kit against the HubSpot adapter and its fake, with HubSpot's own
error bodies (``status, message, correlationId, category, errors``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    Conflict,
    ContentRejected,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.testing import (
    SAMPLE_LIST,
    AdapterConformance,
    ErrorCase,
    FakeClock,
    Snapshot,
    respond_with,
)
from marketing_platform_hubspot.platform import HubSpotPlatform

from .conftest import BLOG_ID, TOKEN
from .fake_hubspot import FakeHubSpot


def _body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "kit-0001", "category": category, **extra}


class TestHubSpotKit(AdapterConformance):
    adapter_class = HubSpotPlatform
    read_only_exempt_paths = frozenset({"/oauth/v1/token"})

    @pytest.fixture
    def fake(self, kit_clock: FakeClock) -> FakeHubSpot:
        fake = FakeHubSpot(clock=kit_clock)  # its rate limits count on the adapter's clock
        fake.lists["501"] = {
            "listId": "501",
            "name": SAMPLE_LIST,
            "objectTypeId": "0-1",
            "processingType": "MANUAL",
        }
        return fake

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_BASE_URL": "http://127.0.0.1:9",
            "HUBSPOT_BLOG_ID": BLOG_ID,
        }

    @pytest.fixture
    def fake_transport(self, fake: FakeHubSpot) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakeHubSpot) -> Snapshot:
        def counts() -> dict[str, int]:
            return {
                "campaigns": len(fake.campaigns),
                "posts": len(fake.posts),
                "emails": len(fake.emails),
                "files": len(fake.files),
                "lists": len(fake.lists),
            }

        return counts

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        invalid = _body(
            "VALIDATION_ERROR",
            "Property values were not valid",
            errors=[{"message": "name is required", "context": {"propertyName": ["name"]}}],
        )
        is_write = lambda request: request.method != "GET"  # noqa: E731
        limited = _body("RATE_LIMITS", "You have reached your secondly limit.", policyName="SECONDLY")
        return [
            ErrorCase(
                "401", AuthenticationError, respond_with(401, _body("INVALID_AUTHENTICATION", "bad token"))
            ),
            ErrorCase("403", PermissionDenied, respond_with(403, _body("MISSING_SCOPES", "missing scopes"))),
            ErrorCase("404", NotFound, respond_with(404, _body("OBJECT_NOT_FOUND", "not found"))),
            ErrorCase("409", Conflict, respond_with(409, _body("CONFLICT", "exists"), when=is_write)),
            ErrorCase("400", ContentRejected, respond_with(400, invalid, when=is_write), retryable=False),
            ErrorCase("429", RateLimitError, respond_with(429, limited), retryable=True),
            ErrorCase(
                "502", PlatformUnavailable, respond_with(502, _body("", "Bad gateway")), retryable=True
            ),
        ]

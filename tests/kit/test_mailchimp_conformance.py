"""The Mailchimp adapter passes the conformance kit, against its fake."""

from __future__ import annotations

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.ratelimit import RateLimits
from marketing_platform.testing import AdapterConformance, ErrorCase, Snapshot, respond_with
from marketing_platform_mailchimp import MailchimpPlatform

from ..mailchimp.fake_mailchimp import API_KEY, FakeMailchimp, problem


def _problem(status: int, title: str, **extra: object) -> dict[str, object]:
    return {**problem(status, title, f"{title} (injected by the conformance kit)"), **extra}


class TestMailchimpConformance(AdapterConformance):
    adapter_class = MailchimpPlatform

    @pytest.fixture
    def fake(self) -> FakeMailchimp:
        return FakeMailchimp()

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {"MAILCHIMP_API_KEY": API_KEY}

    @pytest.fixture
    def fake_transport(self, fake: FakeMailchimp) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakeMailchimp) -> Snapshot:
        return fake.counts

    @pytest.fixture
    def vendor_limits(self) -> RateLimits:
        # Mailchimp documents 10 simultaneous connections per key and no per-second quota.
        return RateLimits(calls=10, per_seconds=1, max_concurrent=10)

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        invalid = _problem(400, "Invalid Resource", errors=[{"field": "type", "message": "bad"}])
        is_post = lambda request: request.method == "POST"  # noqa: E731
        return [
            ErrorCase("401", AuthenticationError, respond_with(401, _problem(401, "API Key Invalid"))),
            ErrorCase("403", PermissionDenied, respond_with(403, _problem(403, "Forbidden"))),
            ErrorCase("404", NotFound, respond_with(404, _problem(404, "Resource Not Found"))),
            ErrorCase("400", ContentRejected, respond_with(400, invalid, when=is_post), retryable=False),
            ErrorCase(
                "429", RateLimitError, respond_with(429, _problem(429, "Too Many Requests")), retryable=True
            ),
            ErrorCase("500", PlatformUnavailable, respond_with(500, _problem(500, "Internal Server Error"))),
            ErrorCase(
                "check-401",
                AuthenticationError,
                respond_with(401, _problem(401, "API Key Invalid")),
                operation="check",
            ),
            ErrorCase(
                "upload-400",
                ContentRejected,
                respond_with(400, invalid, when=is_post),
                operation="upload_assets",
            ),
        ]

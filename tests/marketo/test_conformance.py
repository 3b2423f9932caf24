"""The conformance kit against the Marketo adapter and its fake, with Marketo's own
failure shapes: HTTP 200 envelopes carrying error codes, and identity errors."""

from __future__ import annotations

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.models import Content
from marketing_platform.testing import (
    AdapterConformance,
    ErrorCase,
    FakeClock,
    Responder,
    Snapshot,
    respond_with,
)
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform

from .conftest import SECRET
from .fake_marketo import FakeMarketo, fake_with_templates


def _rest(request: httpx.Request) -> bool:
    return "/identity/" not in request.url.path


def _envelope(code: str, message: str) -> Responder:
    """Marketo's way to fail: HTTP 200, ``success: false`` and an error code."""
    body = {"requestId": "kit#1", "success": False, "errors": [{"code": code, "message": message}]}
    return respond_with(200, body, when=_rest)


class TestMarketoKit(AdapterConformance):
    adapter_class = MarketoPlatform
    read_only_exempt_paths = frozenset({"/identity/oauth/token"})

    def reset_process_state(self) -> None:
        clear_token_cache()  # tokens are shared by every adapter instance in a process

    @pytest.fixture
    def fake(self, kit_clock: FakeClock) -> FakeMarketo:
        # its rate window counts on the adapter's clock
        return fake_with_templates(clock=kit_clock, client_secret=SECRET)

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {
            "MARKETO_BASE_URL": "http://127.0.0.1:9",
            "MARKETO_CLIENT_ID": "test-client-id",
            "MARKETO_CLIENT_SECRET": SECRET,
            # the samples name no sender: the documented defaults give Adobe's required fields
            "MARKETO_FROM_NAME": "Kit",
            "MARKETO_FROM_EMAIL": "kit@example.com",
            "MARKETO_REPLY_EMAIL": "replies@example.com",
        }

    @pytest.fixture
    def fake_transport(self, fake: FakeMarketo) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakeMarketo) -> Snapshot:
        def counts() -> dict[str, int]:
            return {
                "programs": len(fake.programs),
                "emails": len(fake.emails),
                "landing_pages": len(fake.landing_pages),
                "files": len(fake.files),
            }

        return counts

    @pytest.fixture
    def sample_content(self) -> list[Content]:
        email = {"template": "Monthly Newsletter", "subject": "Kit"}
        return [
            Content.model_validate(
                {"kind": "email", "title": "Kit email", "body": "<p>Hi</p>", "email": email}
            ),
            Content(kind="event", title="Kit event", summary="Join us"),
            Content.model_validate(
                {
                    "kind": "landing_page",
                    "title": "Kit page",
                    "body": "<p>Page</p>",
                    "landing_page": {"template": "Basic Page"},
                }
            ),
        ]

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        identity = {"error": "invalid_client", "error_description": "Bad client credentials"}
        return [
            ErrorCase("identity-401", AuthenticationError, respond_with(401, identity)),
            ErrorCase(
                "606", RateLimitError, _envelope("606", "Max rate limit '100' exceeded with in '20' secs")
            ),
            ErrorCase("615", RateLimitError, _envelope("615", "Concurrent access limit reached")),
            ErrorCase("603", PermissionDenied, _envelope("603", "Access denied"), retryable=False),
            ErrorCase("611", PlatformUnavailable, _envelope("611", "System error"), retryable=True),
            ErrorCase("709", ContentRejected, _envelope("709", "Program name already exists")),
            ErrorCase("http-503", PlatformUnavailable, respond_with(503, when=_rest)),
        ]

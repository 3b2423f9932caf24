"""The conformance kit against the Pardot adapter and its fake, with Account
Engagement's own error bodies (``{"code", "message"}``).

PROGRAM is not declared (v5 cannot create campaigns), so the kit's campaign checks
are skipped; campaigns are covered in test_email.py."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ConfigurationError,
    ContentRejected,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.testing import AdapterConformance, ErrorCase, Responder, Snapshot, respond_with
from marketing_platform.testing.samples import SAMPLE_TEMPLATE
from marketing_platform_pardot import PardotPlatform

from .conftest import seed
from .fake_pardot import BUSINESS_UNIT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_PATH, FakePardot


def _api(request: httpx.Request) -> bool:
    return request.url.path.startswith("/api/v5")


def _api_write(request: httpx.Request) -> bool:
    return _api(request) and request.method != "GET"


def _v5(status: int, code: int, message: str, *, when: Callable[[httpx.Request], bool] = _api) -> Responder:
    return respond_with(status, {"code": code, "message": message}, when=when)


class TestPardotKit(AdapterConformance):
    adapter_class = PardotPlatform
    read_only_exempt_paths = frozenset({TOKEN_PATH})

    @pytest.fixture
    def fake(self) -> FakePardot:
        fake = seed(FakePardot())
        fake.add("email-templates", name=SAMPLE_TEMPLATE, subject="Kit", isListEmail=True)
        return fake

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        # The URLs stay at their defaults (https://login.salesforce.com, https://pi.pardot.com):
        # the kit's transport reaches the fake in-process, whatever the host.
        return {
            "PARDOT_CLIENT_ID": CLIENT_ID,
            "PARDOT_CLIENT_SECRET": CLIENT_SECRET,
            "PARDOT_REFRESH_TOKEN": REFRESH_TOKEN,
            "PARDOT_BUSINESS_UNIT_ID": BUSINESS_UNIT,
            "PARDOT_CAMPAIGN_ID": "11",
        }

    @pytest.fixture
    def fake_transport(self, fake: FakePardot) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakePardot) -> Snapshot:
        return fake.counts

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        return [
            ErrorCase("184", AuthenticationError, _v5(401, 184, "access_token is invalid"), retryable=False),
            ErrorCase("181", ConfigurationError, _v5(400, 181, "Required header missing"), retryable=False),
            ErrorCase("201", ConfigurationError, _v5(400, 201, "Business Unit not found"), retryable=False),
            ErrorCase("49", PermissionDenied, _v5(403, 49, "Access denied"), retryable=False),
            ErrorCase("109", NotFound, _v5(404, 109, "Record does not exist"), retryable=False),
            ErrorCase(
                "64",
                ContentRejected,
                _v5(400, 64, "Missing %%unsubscribe%%", when=_api_write),
                retryable=False,
            ),
            ErrorCase("66", RateLimitError, _v5(429, 66, "Too many concurrent requests"), retryable=True),
            ErrorCase("122", RateLimitError, _v5(429, 122, "Daily API rate limit met"), retryable=False),
            ErrorCase("183", PlatformUnavailable, _v5(500, 183, "Internal error"), retryable=True),
            ErrorCase(
                "token-invalid-client",
                AuthenticationError,
                respond_with(
                    400,
                    {"error": "invalid_client", "error_description": "invalid client credentials"},
                    when=lambda request: request.url.path == TOKEN_PATH,
                ),
                retryable=False,
            ),
        ]

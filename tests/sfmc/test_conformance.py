"""The conformance kit against the Marketing Cloud adapter and its fake, with Marketing
Cloud's own error bodies (``{message, errorcode, documentation}``)."""

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
from marketing_platform.testing import AdapterConformance, ErrorCase, FakeClock, Snapshot, respond_with
from marketing_platform_sfmc import SfmcPlatform

from .conftest import sfmc_env
from .fake_sfmc import DOCS, FakeSfmc


def _body(message: str, code: int, **extra: Any) -> dict[str, Any]:
    return {"message": message, "errorcode": code, "documentation": DOCS, **extra}


def _rest(request: httpx.Request) -> bool:
    return request.url.path != "/v2/token"


def _rest_write(request: httpx.Request) -> bool:
    return _rest(request) and request.method != "GET"


class TestSfmcConformance(AdapterConformance):
    adapter_class = SfmcPlatform
    read_only_exempt_paths = frozenset({"/v2/token"})

    @pytest.fixture
    def fake(self, kit_clock: FakeClock) -> FakeSfmc:
        return FakeSfmc(clock=kit_clock)

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return sfmc_env()

    @pytest.fixture
    def fake_transport(self, fake: FakeSfmc) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakeSfmc) -> Snapshot:
        return fake.counts

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        invalid_client = {
            "error": "invalid_client",
            "error_description": "Client authentication failed.",
            "error_uri": "https://developer.salesforce.com",
        }
        invalid = _body(
            "Invalid", 10001, validationErrors=[{"message": "name is required", "errorcode": 10001}]
        )
        return [
            ErrorCase("token-401", AuthenticationError, respond_with(401, invalid_client), retryable=False),
            ErrorCase(
                "rest-401-twice",
                AuthenticationError,
                respond_with(401, _body("Not Authorized", 0), when=_rest),
            ),
            ErrorCase(
                "403-20002",
                PermissionDenied,
                respond_with(403, _body("Insufficient privileges", 20002), when=_rest),
            ),
            ErrorCase("404-30003", NotFound, respond_with(404, _body("Object not found", 30003), when=_rest)),
            ErrorCase(
                "400-validation",
                ContentRejected,
                respond_with(400, invalid, when=_rest_write),
                retryable=False,
            ),
            ErrorCase(
                "118039",
                Conflict,
                respond_with(400, _body("Asset names ... must be unique.", 118039), when=_rest_write),
                operation="upload_assets",
            ),
            ErrorCase(
                "429-50100",
                RateLimitError,
                respond_with(
                    429, _body("Rate limit exceeded", 50100, retryAfter=5), headers={"Retry-After": "5"}
                ),
                retryable=True,
            ),
            ErrorCase(
                "429-50200",
                RateLimitError,
                respond_with(429, _body("Your requests are temporarily blocked.", 50200), when=_rest),
                retryable=False,
            ),
            ErrorCase(
                "500-10000",
                PlatformUnavailable,
                respond_with(500, _body("Internal error", 10000), when=_rest),
            ),
            ErrorCase(
                "check-token-401", AuthenticationError, respond_with(401, invalid_client), operation="check"
            ),
        ]

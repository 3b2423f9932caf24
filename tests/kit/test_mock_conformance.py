"""The mock adapter passes the conformance kit."""

from __future__ import annotations

import sqlite3

import pytest

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.settings import CoreSettings
from marketing_platform.testing import AdapterConformance, ErrorCase, Snapshot
from marketing_platform_mock import MockPlatform


class TestMockConformance(AdapterConformance):
    adapter_class = MockPlatform

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {"MOCK_SEED": "7"}

    @pytest.fixture
    def fake_snapshot(self, kit_env: dict[str, str]) -> Snapshot:
        state = CoreSettings().log_path.parent / "mock-state.sqlite3"

        def counts() -> dict[str, int]:
            if not state.exists():
                return {}
            with sqlite3.connect(state) as db:
                rows = db.execute("SELECT type, COUNT(*) FROM objects GROUP BY type").fetchall()
            return {str(kind): int(count) for kind, count in rows}

        return counts

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        return [
            ErrorCase("auth", AuthenticationError, env={"MOCK_FAILURES": "auth:1"}),
            ErrorCase("rate", RateLimitError, env={"MOCK_FAILURES": "rate_limit:1"}, retryable=True),
            ErrorCase("down", PlatformUnavailable, env={"MOCK_FAILURES": "unavailable:1"}, retryable=True),
            ErrorCase("invalid", ContentRejected, env={"MOCK_FAILURES": "validation:1"}, retryable=False),
        ]

"""The kit fails adapters that break the contract (each violation its own test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BAD_ADAPTERS = '''
from __future__ import annotations

import sqlite3

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.models import CampaignResponse, CampaignSpec, CheckResponse
from marketing_platform.settings import CoreSettings
from marketing_platform.testing import AdapterConformance
from marketing_platform_mock import MockPlatform, MockSettings


class LeakySettings(MockSettings):
    model_config = SettingsConfigDict(env_prefix="LEAKY_", extra="ignore")
    api_token: SecretStr


class Leaky(MockPlatform):
    """Puts its token in repr and errors; writes in check(); creates campaigns twice."""

    name = "leaky"
    settings_model = LeakySettings

    def __repr__(self) -> str:
        return f"Leaky(token={self.settings.api_token.get_secret_value()})"

    def check(self) -> CheckResponse:
        self.create_campaign(CampaignSpec(name=f"check-{self.clock()}"))
        return super().check()

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        if campaign.name == "Conformance Kit Campaign":
            raise RuntimeError("unmapped vendor failure " + self.settings.api_token.get_secret_value())
        return super().create_campaign(campaign)


class WrongPrefixSettings(MockSettings):
    model_config = SettingsConfigDict(env_prefix="OTHER_", extra="ignore")
    api_key: str


class PlainSecret(MockPlatform):
    name = "plain_secret"
    settings_model = WrongPrefixSettings


class Duplicating(MockPlatform):
    name = "duplicating"

    def find_campaign(self, name: str) -> CampaignResponse | None:
        return None


def _counts() -> dict[str, int]:
    path = CoreSettings().log_path.parent / "mock-state.sqlite3"
    if not path.exists():
        return {}
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT type, COUNT(*) FROM objects GROUP BY type").fetchall())


class TestLeaky(AdapterConformance):
    adapter_class = Leaky

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {"LEAKY_API_TOKEN": "tok-very-secret-1234"}

    @pytest.fixture
    def fake_snapshot(self, kit_env: dict[str, str]) -> object:
        return _counts


class TestPlainSecret(AdapterConformance):
    adapter_class = PlainSecret

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {"OTHER_API_KEY": "plain-secret-5678"}


class TestDuplicating(AdapterConformance):
    adapter_class = Duplicating

    @pytest.fixture
    def fake_snapshot(self, kit_env: dict[str, str]) -> object:
        return _counts
'''

EXPECTED_FAILURES = {
    "TestLeaky::test_secrets_are_secret",
    "TestLeaky::test_check_has_no_side_effects",
    "TestLeaky::test_errors_map_onto_the_taxonomy",
    "TestLeaky::test_create_campaign_is_idempotent",
    "TestPlainSecret::test_settings_come_from_the_environment",
    "TestPlainSecret::test_secrets_are_secret",
    "TestDuplicating::test_create_campaign_is_idempotent",
    # MOCK_ is the wrong prefix for a platform called "duplicating"
    "TestDuplicating::test_settings_come_from_the_environment",
    # the default (HTTP) error cases cannot make an adapter without HTTP fail
    "TestPlainSecret::test_errors_map_onto_the_taxonomy",
    "TestDuplicating::test_errors_map_onto_the_taxonomy",
}


def test_the_kit_reports_each_violation(tmp_path: Path) -> None:
    (tmp_path / "test_bad_adapters.py").write_text(BAD_ADAPTERS)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "test_bad_adapters.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    failed = {
        line.split("::", 1)[1].split(" ")[0]
        for line in completed.stdout.splitlines()
        if line.startswith("FAILED ")
    }
    assert failed == EXPECTED_FAILURES, completed.stdout[-4000:]

"""The kit fails adapters that break the contract (each violation its own test).

Two sets of broken adapters: mock-based ones below (secrets leaking, a writing
``check()``, a wrong env prefix), and broken copies of the Sendly sample adapter in
``broken_sendly.py``, one bug each of those a third-party adapter shipped while an older
kit passed it. Each must fail exactly the checks that catch it, with the message that
says what to fix and where the guide explains it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent

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


def _run(folder: Path, test_file: str) -> dict[str, str]:
    """Run pytest on ``test_file`` in ``folder``; ``{Class::test: failure message}`` of
    every failed test."""
    report = folder / "report.xml"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            test_file,
        ],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), completed.stdout[-4000:] + completed.stderr[-4000:]
    failed: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
            failed[name] = problem.get("message") or ""
    return failed


def test_the_kit_reports_each_violation(tmp_path: Path) -> None:
    (tmp_path / "test_bad_adapters.py").write_text(BAD_ADAPTERS)
    failed = _run(tmp_path, "test_bad_adapters.py")
    assert set(failed) == EXPECTED_FAILURES, failed


#: Broken Sendly adapter -> {kit check that fails: words its message must hold}.
SENDLY_BUGS: dict[str, dict[str, tuple[str, ...]]] = {
    # publish without a look-up: a second activation sends the email again
    "TestSendTwice": {
        "test_reactivation_writes_nothing_and_creates_nothing": (
            "publish_content sent a second POST /v3/emailCampaigns on re-activation; "
            "look the object up by its content id first (docs/adapters.md#identity)",
        ),
        "test_an_edit_updates_the_object_in_place": (
            "publish_content sent a second POST /v3/emailCampaigns",
            "docs/adapters.md#identity",
        ),
    },
    # create_campaign duplicating, on an adapter that does not declare PROGRAM
    "TestDuplicatingCampaigns": {
        "test_create_campaign_is_idempotent": (
            "a second create_campaign of the same name made another campaign",
            "look it up by name first (find_campaign) and return it with reused=True",
            "docs/adapters.md#identity",
        ),
    },
    # a declared budget 100x above the vendor's limit
    "TestBudget100x": {
        "test_declared_budget_fits_the_vendor": (
            "allows 1000 calls per 1 s",
            "the vendor allows 10 calls per 1 s",
            "100x too many",
            "docs/adapters.md#limits",
        ),
    },
    # the vendor's Retry-After / reset header ignored
    "TestResetIgnored": {
        "test_a_rate_limit_answer_is_waited_out": (
            "after a limit answer asking to wait 7 s",
            "RateLimitError(retry_after=SECONDS)",
            "docs/adapters.md#limits",
        ),
    },
    # one step's error swallowed: the send failed, success was reported
    "TestStepSwallowed": {
        "test_a_failed_request_fails_the_operation": (
            "publish_content reported success although request",
            "/sendNow) failed",
            "docs/adapters.md#errors",
        ),
    },
    # a credential with a default instead of required
    "TestCredentialDefault": {
        "test_credentials_have_no_default": (
            "DefaultKeySettings.api_key (SENDLY_API_KEY) is a credential with a default value",
            "docs/adapters.md#settings",
        ),
    },
    # the https check removed from the settings: the core still refuses (no failure)
    "TestUrlCheckRemoved": {},
    # ... and the core's client skipped too: caught by the kit
    "TestUrlCheckBypassed": {
        "test_base_urls_must_be_https": (
            "with SENDLY_BASE_URL=http://kit-plain-http.example the adapter sent GET "
            "http://kit-plain-http.example/v3/account",
            "docs/adapters.md#base-urls",
        ),
        "test_a_burst_stays_within_the_declared_budget": (
            "11 requests reached the vendor within 1 s where UrlCheckBypassed.rate_limits allows 10",
            "docs/adapters.md#limits",
        ),
    },
}


@pytest.fixture(scope="module")
def sendly_failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("broken-sendly")
    shutil.copy(HERE / "sendly.py", folder / "sendly.py")
    shutil.copy(HERE / "broken_sendly.py", folder / "test_broken_sendly.py")
    return _run(folder, "test_broken_sendly.py")


@pytest.mark.parametrize("bug", sorted(SENDLY_BUGS))
def test_each_broken_sendly_fails_the_kit_saying_what_to_fix(
    bug: str, sendly_failures: dict[str, str]
) -> None:
    failed = {
        name.split("::", 1)[1]: message
        for name, message in sendly_failures.items()
        if name.startswith(f"{bug}::")
    }
    assert set(failed) == set(SENDLY_BUGS[bug]), failed
    for test, words in SENDLY_BUGS[bug].items():
        for text in words:
            assert text in failed[test], f"{bug}::{test}: {text!r} not in {failed[test]!r}"


def test_only_the_broken_sendly_classes_fail(sendly_failures: dict[str, str]) -> None:
    assert {name.split("::", 1)[0] for name in sendly_failures} <= set(SENDLY_BUGS), sendly_failures

"""An adapter built for another plugin API major version is listed as broken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from marketing_platform.platform import PLUGIN_API_VERSION
from marketing_platform.testing import fake_install
from marketing_platform.testing.plugin import Site

ADAPTERS = """
from marketing_platform_mock import MockPlatform


class Old(MockPlatform):
    name = "old_api"
    plugin_api_version = "0.1"


class Future(MockPlatform):
    name = "future_api"
    plugin_api_version = "2.0"


class Minor(MockPlatform):
    name = "minor_api"
    plugin_api_version = "1.7"
"""


@pytest.fixture
def installed(tmp_path: Path, mplat_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "compat_adapters.py").write_text(ADAPTERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    targets = {
        n: f"compat_adapters:{c}"
        for n, c in [("old_api", "Old"), ("future_api", "Future"), ("minor_api", "Minor")]
    }
    fake_install(
        mplat_site.path, "marketing-platform-compat", "3.1.0", {"marketing_platform.adapters": targets}
    )


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(("name", "wanted"), [("old_api", "0.1"), ("future_api", "2.0")])
def test_other_major_version_is_broken_with_the_versions_that_fit(name: str, wanted: str) -> None:
    result = CliRunner().invoke(main, ["platforms", "--json"])
    assert result.exit_code == 0, result.output
    row = {r["name"]: r for r in json.loads(result.output)}[name]
    assert row["status"] == "broken"
    assert row["distribution"] == "marketing-platform-compat"
    assert f"plugin API {wanted}" in row["error"]
    assert f"plugin API {PLUGIN_API_VERSION}" in row["error"]
    assert f"{PLUGIN_API_VERSION.split('.')[0]}.x" in row["error"]


@pytest.mark.usefixtures("installed")
def test_same_major_version_fits_and_others_still_work() -> None:
    result = CliRunner().invoke(main, ["platforms", "--json"])
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["minor_api"]["status"] == "ok"
    assert rows["mock"]["status"] == "ok"
    assert rows["mailchimp"]["status"] == "ok"


@pytest.mark.usefixtures("installed")
def test_using_a_broken_adapter_fails_before_any_call() -> None:
    result = CliRunner().invoke(main, ["check", "--platform", "old_api"])
    assert result.exit_code == 2
    assert "plugin API 0.1" in result.output

"""`mplat new-adapter` writes a distribution that installs, is listed, and passes the kit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from marketing_platform.errors import ConfigurationError
from marketing_platform.scaffold import create_adapter
from marketing_platform.testing.plugin import Site


def test_new_adapter_writes_the_skeleton(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["new-adapter", "acme", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    project = tmp_path / "marketing-platform-acme"
    for relative in (
        "pyproject.toml",
        "README.md",
        "marketing_platform_acme/__init__.py",
        "marketing_platform_acme/platform.py",
        "marketing_platform_acme/settings.py",
        "marketing_platform_acme/mapping.py",
        "marketing_platform_acme/errors.py",
        "marketing_platform_acme/py.typed",
        "tests/fake_acme.py",
        "tests/test_conformance.py",
    ):
        assert (project / relative).is_file(), relative
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "marketing-platform-acme"
    assert meta["entry-points"]["marketing_platform.adapters"] == {
        "acme": "marketing_platform_acme.platform:AcmePlatform"
    }
    assert 'env_prefix="ACME_"' in (project / "marketing_platform_acme/settings.py").read_text()
    assert "AdapterConformance" in (project / "tests/test_conformance.py").read_text()


def test_installed_skeleton_is_listed(tmp_path: Path, mplat_site: Site) -> None:
    project = create_adapter("acme_listed", tmp_path)
    mplat_site.install(project)
    result = CliRunner().invoke(main, ["platforms", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    row = rows["acme_listed"]
    assert row["status"] == "ok", row["error"]
    assert row["distribution"] == "marketing-platform-acme-listed"
    assert row["version"] == "0.1.0"
    assert row["capabilities"] == ["blog_post", "files", "program"]


def test_generated_conformance_test_passes(tmp_path: Path) -> None:
    project = create_adapter("acme_kit", tmp_path)
    env = {**os.environ, "PYTHONPATH": str(project)}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "20 passed" in completed.stdout


@pytest.mark.parametrize("name", ["Acme", "1acme", "acme-cloud", "acme__x", "class", "a" * 41, ""])
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid platform name"):
        create_adapter(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_existing_target_is_refused(tmp_path: Path) -> None:
    create_adapter("acme", tmp_path)
    result = CliRunner().invoke(main, ["new-adapter", "acme", "--dest", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exists" in result.output

"""``mplat`` against the fake on a loopback port: platforms, check (read-only, reports
missing scopes), the dry run, and the examples activated three times."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from marketing_platform.cli import main

from .fake_sfmc import FakeSfmc

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def mplat(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_platforms_lists_sfmc() -> None:
    result = mplat("platforms", "--json")
    assert result.exit_code == 0, result.output
    (row,) = [row for row in json.loads(result.output) if row["name"] == "sfmc"]
    assert row["status"] == "ok"
    assert row["distribution"] == "marketing-platform-sfmc"
    assert set(row["capabilities"]) == {"email", "landing_page", "program", "files"}


def test_check_is_read_only(live: str, fake: FakeSfmc) -> None:
    result = mplat("check", "-p", "sfmc", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["details"]["missing_scopes"] == []
    assert data["details"]["rest_base_url"] == live
    assert fake.writes() == []
    assert [r.method for r in fake.requests if r.method != "GET"] == ["POST"]  # the token
    assert fake.counts() == {"emails": 0, "web_pages": 0, "files": 0, "campaigns": 0, "links": 0}


def test_check_reports_missing_scopes(live: str, fake: FakeSfmc) -> None:
    fake.scopes = "saved_content_read email_read campaign_read"
    result = mplat("check", "-p", "sfmc", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["details"]["missing_scopes"] == [
        "campaign_write",
        "documents_and_images_read",
        "documents_and_images_write",
        "email_write",
        "saved_content_write",
    ]
    assert any("lacks the scope(s)" in warning for warning in data["warnings"])
    assert fake.writes() == []


def test_check_reports_a_forbidden_read_and_a_missing_folder(
    live: str, fake: FakeSfmc, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.scopes = fake.scopes.replace("campaign_read", "")
    monkeypatch.setenv("SFMC_CATEGORY_ID", "424242")
    result = mplat("check", "-p", "sfmc", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["details"]["errors"]["campaigns"]["type"] == "PermissionDenied"
    assert data["details"]["errors"]["category"]["type"] == "NotFound"
    assert data["details"]["missing_scopes"] == ["campaign_read"]


def test_check_with_a_wrong_secret_fails_cleanly(live: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFMC_CLIENT_SECRET", "not-the-secret-0123456789")
    result = mplat("check", "-p", "sfmc", "--json")
    assert result.exit_code == 1, result.output
    data, _ = json.JSONDecoder().raw_decode(result.output)  # then the one-line error
    assert data["ok"] is False
    assert data["error"]["type"] == "AuthenticationError"
    assert data["error"]["code"] == "invalid_client"
    assert "not-the-secret-0123456789" not in result.output


def test_dry_run_writes_nothing(live: str, fake: FakeSfmc) -> None:
    path = EXAMPLES / "monthly-newsletter.yaml"
    assert mplat("activate", str(path), "-p", "sfmc").exit_code == 0
    mark = len(fake.requests)
    result = mplat("activate", str(path), "-p", "sfmc", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.output)["plans"]
    actions = {entry["object"]: entry["action"] for entry in plan["objects"]}
    assert actions == {"campaign": "unchanged", "content": "unchanged"}
    assert fake.writes(mark) == []
    fresh = mplat("activate", str(EXAMPLES / "emea-roadshow.json"), "-p", "sfmc", "--dry-run", "--json")
    assert fresh.exit_code == 0, fresh.output
    assert "fake-sfmc-client-secret" not in fresh.output
    assert fake.writes(mark) == []


def test_examples_three_times_leave_one_object_per_content(live: str, fake: FakeSfmc, tmp_path: Path) -> None:
    """``mplat activate examples/ -p sfmc`` (the email and the landing page; SFMC has no
    blog, see the next test) three times: one asset per content, zero sends."""
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ("monthly-newsletter.yaml", "emea-roadshow.json"):
        shutil.copy(EXAMPLES / name, folder / name)
    for attempt in range(3):
        mark = len(fake.requests)
        result = mplat("activate", str(folder), "-p", "sfmc", "--json")
        assert result.exit_code == 0, result.output
        actions = {a["content_id"]: a["publish"]["action"] for a in json.loads(result.output)["activations"]}
        expected = "created" if attempt == 0 else "unchanged"
        assert actions == {"newsletter-2026-12": expected, "emea-roadshow-2026": expected}
        if attempt:
            assert fake.writes(mark) == []
    assert fake.counts() == {"emails": 1, "web_pages": 1, "files": 0, "campaigns": 2, "links": 2}
    assert not [r for r in fake.requests if r.path.startswith("/messaging")]


def test_examples_folder_with_a_blog_post_is_refused_before_sending(live: str, fake: FakeSfmc) -> None:
    result = mplat("activate", str(EXAMPLES), "-p", "sfmc")
    assert result.exit_code == 2
    assert "blog_post" in result.output
    assert fake.requests == []

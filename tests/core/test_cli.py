"""`mplat`: exit codes, --json shapes, one-line errors, dry runs, log, status, replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner, Result

from marketing_platform.cli import main
from marketing_platform.errors import PlatformUnavailable
from marketing_platform.hookspecs import hookimpl
from marketing_platform.log import ActivationLog
from marketing_platform.registry import default_registry
from marketing_platform_mock.state import MockState

from .conftest import EXAMPLES

SPRING = str(EXAMPLES / "spring-launch.md")
ACTIVATION_KEYS = {
    "id",
    "content_id",
    "platform",
    "state",
    "degraded",
    "campaign",
    "assets",
    "publish",
    "error",
}
ERROR_KEYS = {"type", "code", "message", "hint", "request_id"}
LOG_KEYS = {
    "id",
    "content_id",
    "platform",
    "state",
    "steps",
    "error",
    "attempts",
    "started_at",
    "finished_at",
}


def mplat(*args: str) -> Result:
    # wide enough that a header line holding an absolute path never wraps or truncates
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))


def _json(result: Result) -> Any:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return json.loads(result.stdout)


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    text = result.stderr.strip()
    assert "Traceback" not in result.output
    assert len(text.splitlines()) == 1, text
    return text


def _mock_state(home: Path) -> MockState:
    return MockState(home / "mock-state.sqlite3")


def _log(home: Path) -> ActivationLog:
    return ActivationLog(home / "activations.sqlite3")


def test_platforms_json_lists_every_adapter_with_its_status(isolated_environment: Path) -> None:
    result = mplat("platforms", "--json")

    assert result.exit_code == 0
    rows = _json(result)
    assert rows
    for row in rows:
        assert set(row) >= {"name", "distribution", "version", "status", "error", "capabilities"}
        assert row["status"] in {"ok", "broken", "disabled"}
    mock = next(row for row in rows if row["name"] == "mock")
    assert mock["distribution"] == "marketing-platform-mock"
    assert mock["status"] == "ok"
    assert mock["error"] is None
    assert "blog_post" in mock["capabilities"]


def test_activate_json_succeeds_with_the_documented_shape(isolated_environment: Path) -> None:
    result = mplat("activate", SPRING, "--json")

    assert result.exit_code == 0, result.output
    data = _json(result)
    (activation,) = data["activations"]
    assert set(activation) >= ACTIVATION_KEYS
    assert activation["content_id"] == "spring-launch-2026"
    assert activation["platform"] == "mock"
    assert activation["state"] == "succeeded"
    assert activation["degraded"] is False
    assert activation["error"] is None
    assert activation["campaign"]["external_id"].startswith("mock-campaign-")
    assert activation["assets"]["results"][0]["alt_text"] == "A rocket lifting off"
    assert activation["publish"]["status"] == "published"
    assert _log(isolated_environment).get(activation["id"]).state == "succeeded"


def test_activate_exits_1_with_the_error_object_when_an_activation_fails(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")

    result = mplat("activate", SPRING, "--json")

    assert result.exit_code == 1
    (activation,) = _json(result)["activations"]
    assert activation["state"] == "failed"
    assert set(activation["error"]) >= ERROR_KEYS
    assert activation["error"]["type"] == "PlatformUnavailable"
    assert activation["error"]["hint"]


def test_activate_without_json_prints_a_table(isolated_environment: Path) -> None:
    result = mplat("activate", SPRING)

    assert result.exit_code == 0
    assert "spring-launch-2026" in result.stdout
    assert "succeeded" in result.stdout


def test_unknown_platform_is_a_one_line_error_exit_2(isolated_environment: Path) -> None:
    line = _one_line_error(mplat("activate", SPRING, "--platform", "nosuchplat"))

    assert "unknown platform 'nosuchplat'" in line
    assert "pip install marketing-platform-nosuchplat" in line
    assert _log(isolated_environment).list() == []


def test_bad_content_file_is_a_one_line_error_exit_2(isolated_environment: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: blog_post\ntitle: T\ntitel: typo\n")

    line = _one_line_error(mplat("activate", str(bad), SPRING))

    assert str(bad) in line
    assert "titel" in line
    assert _log(isolated_environment).list() == [], "one bad file means nothing is sent"


def test_missing_file_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.md"

    line = _one_line_error(mplat("activate", str(missing)))

    assert str(missing) in line


def test_asset_outside_the_content_folder_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    content = tmp_path / "post.md"
    content.write_text("---\nkind: blog_post\ntitle: T\nassets: [{path: ../secret.png}]\n---\nHi\n")

    line = _one_line_error(mplat("activate", str(content)))

    assert "outside the content folder" in line


def test_bad_mock_configuration_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "explode:1")

    line = _one_line_error(mplat("activate", SPRING))

    assert "MOCK_FAILURES" in line


def test_dry_run_prints_the_plan_and_sends_nothing(isolated_environment: Path) -> None:
    result = mplat("activate", SPRING, "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    data = _json(result)
    assert data["dry_run"] is True
    (plan,) = data["plans"]
    assert plan["content_id"] == "spring-launch-2026"
    operations = [step["operation"] for step in plan["requests"]]
    assert operations == ["upload_assets", "create_campaign", "publish_content"]
    assert plan["requests"][1]["payload"]["name"] == "Spring Launch 2026"
    assert _mock_state(isolated_environment).count() == 0
    assert _log(isolated_environment).list() == []


def test_dry_run_for_people_says_nothing_was_sent(isolated_environment: Path) -> None:
    result = mplat("activate", SPRING, "--dry-run")

    assert result.exit_code == 0
    assert "nothing sent" in result.stdout
    assert "Spring Launch 2026" in result.stdout
    assert _mock_state(isolated_environment).count() == 0


def test_log_json_has_the_documented_shape_and_filters(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mplat("activate", SPRING).exit_code == 0
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")
    assert mplat("activate", SPRING).exit_code == 1
    monkeypatch.delenv("MOCK_FAILURES")

    everything = _json(mplat("log", "--json"))
    failed = _json(mplat("log", "--json", "--state", "failed"))
    newest = _json(mplat("log", "--json", "--limit", "1"))

    assert len(everything) == 2
    for row in everything:
        assert set(row) >= LOG_KEYS
        assert row["attempts"] == 1
        assert row["started_at"]
        assert row["finished_at"]
    assert [row["state"] for row in failed] == ["failed"]
    assert set(failed[0]["error"]) >= ERROR_KEYS
    assert newest == [everything[0]]
    assert everything[0]["state"] == "failed", "newest first"
    assert everything[1]["steps"]["publish"]["external_id"]


def test_log_rejects_an_unknown_state(isolated_environment: Path) -> None:
    assert mplat("log", "--state", "weird").exit_code == 2


def test_status_json_includes_the_platform_status(isolated_environment: Path) -> None:
    (activation,) = _json(mplat("activate", SPRING, "--json"))["activations"]

    data = _json(mplat("status", activation["id"], "--json"))

    assert data["id"] == activation["id"]
    assert data["state"] == "succeeded"
    assert data["platform_status"]["status"] == "published"
    assert data["platform_status"]["external_id"] == activation["publish"]["external_id"]


def test_status_of_an_unknown_activation_is_exit_2(isolated_environment: Path) -> None:
    line = _one_line_error(mplat("status", "0123456789abcdef"))

    assert "no activation" in line


class _PublishOutage:
    down = True

    @hookimpl
    def mplat_transform_payload(self, platform: str, operation: str, payload: dict[str, Any]) -> None:
        if self.down and operation == "publish_content":
            raise PlatformUnavailable("publish endpoint down", platform=platform, code="503")


def test_replay_after_a_failure_succeeds_and_creates_nothing_twice(isolated_environment: Path) -> None:
    outage = _PublishOutage()
    default_registry().register_plugin(outage)
    failed_run = mplat("activate", SPRING, "--json")
    assert failed_run.exit_code == 1
    (failed,) = _json(failed_run)["activations"]
    state = _mock_state(isolated_environment)
    assert (state.count("campaign"), state.count("asset"), state.count("blog_post")) == (1, 1, 0)

    outage.down = False
    replayed = mplat("replay", failed["id"], "--json")

    assert replayed.exit_code == 0, replayed.output
    (activation,) = _json(replayed)["activations"]
    assert activation["state"] == "succeeded"
    assert activation["campaign"]["external_id"] == failed["campaign"]["external_id"]
    assert (state.count("campaign"), state.count("asset"), state.count("blog_post")) == (1, 1, 1)
    assert _log(isolated_environment).get(failed["id"]).attempts == 2


def test_replay_without_an_id_or_flag_is_a_usage_error() -> None:
    assert mplat("replay").exit_code == 2


def test_an_ambiguous_id_prefix_is_refused_and_lists_the_matches(isolated_environment: Path) -> None:
    log = _log(isolated_environment)
    ids = ["abcdef01" + "0" * 24, "abcdef02" + "0" * 24, "12345678" + "0" * 24]
    with mock.patch("uuid.uuid4", side_effect=[uuid.UUID(hex=i) for i in ids]):
        for index in range(3):  # fixed ids: two of them share the prefix abcdef
            log.start(content_id=f"content-{index}", platform="mock", content={})

    for command in (("replay", "abcdef"), ("status", "abcdef")):
        result = mplat(*command)
        line = _one_line_error(result)
        assert "ambiguous" in line
        assert ids[0] in line
        assert ids[1] in line
        assert ids[2] not in line
    assert _log(isolated_environment).get(ids[0]).attempts == 0, "an ambiguous prefix replayed something"
    assert mplat("status", "123456", "--json").exit_code == 0


def test_check_exits_0_for_the_mock(isolated_environment: Path) -> None:
    result = mplat("check")

    assert result.exit_code == 0
    assert "mock" in result.stdout
    assert _json(mplat("check", "--json"))["ok"] is True


def test_check_on_an_unknown_platform_is_exit_2() -> None:
    _one_line_error(mplat("check", "--platform", "nosuchplat"))


def test_no_content_files_in_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    assert mplat("activate", str(tmp_path)).exit_code == 2


@pytest.mark.slow
def test_console_script_activates_every_example_end_to_end(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("mplat")
    assert script.exists(), "the mplat console script is installed beside the interpreter"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETING_PLATFORM", "MOCK_"))}
    env["MARKETING_PLATFORM_LOG"] = str(tmp_path / "activations.sqlite3")

    completed = subprocess.run(
        [str(script), "activate", str(EXAMPLES), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    activations = json.loads(completed.stdout)["activations"]
    assert sorted(a["content_id"] for a in activations) == [
        "emea-roadshow-2026",
        "newsletter-2026-12",
        "spring-launch-2026",
    ]
    assert all(a["state"] == "succeeded" for a in activations)
    assert len(ActivationLog(tmp_path / "activations.sqlite3").list()) == 3


def test_activation_delivered_only_by_a_fallback_is_degraded_and_exits_1(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .helpers import AdapterPlugin, make_recorder

    down = make_recorder("down")
    down.fail["create_campaign"] = PlatformUnavailable("down for maintenance", platform="down")
    monkeypatch.setenv("MARKETING_PLATFORM_FALLBACK", "mock")
    default_registry().register_plugin(AdapterPlugin(down))

    result = mplat("activate", SPRING, "--platform", "down", "--json")

    assert result.exit_code == 1
    (activation,) = _json(result)["activations"]
    assert activation["state"] == "degraded"
    assert activation["degraded"] is True
    assert activation["platform"] == "down"
    assert activation["error"]["message"] == "down for maintenance"
    assert _mock_state(isolated_environment).count("blog_post") == 1


def test_replay_failed_resumes_every_failed_activation(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")
    assert mplat("activate", SPRING, str(EXAMPLES / "emea-roadshow.json")).exit_code == 1
    monkeypatch.delenv("MOCK_FAILURES")

    result = mplat("replay", "--failed", "--json")

    assert result.exit_code == 0, result.output
    activations = _json(result)["activations"]
    assert sorted(a["content_id"] for a in activations) == ["emea-roadshow-2026", "spring-launch-2026"]
    assert all(a["state"] == "succeeded" for a in activations)
    assert _json(mplat("log", "--json", "--state", "failed")) == []


def test_error_text_in_brackets_is_printed_whole_not_taken_for_markup() -> None:
    result = mplat("check", "--platform", "marketo")

    assert result.exit_code == 2
    line = _one_line_error(result)
    assert "[marketo] marketo is not configured" in line
    assert "MARKETO_BASE_URL" in line


def test_folder_without_content_files_is_a_one_line_error(tmp_path: Path) -> None:
    result = mplat("activate", str(tmp_path))

    assert result.exit_code == 2
    assert "no content files found" in _one_line_error(result)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MARKETING_PLATFORM_TIMEOUT", "abc", "MARKETING_PLATFORM_TIMEOUT"),
        ("MARKETING_PLATFORM_FALLBACK", "nosuch", "MARKETING_PLATFORM_FALLBACK"),
    ],
)
def test_bad_core_settings_are_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = mplat("activate", "examples/spring-launch.md")

    assert expected in _one_line_error(result)


def test_unwritable_activation_log_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MARKETING_PLATFORM_LOG", str(tmp_path))  # a folder, not a file
    result = mplat("activate", "examples/spring-launch.md")

    assert "MARKETING_PLATFORM_LOG" in _one_line_error(result)


@pytest.mark.parametrize(
    "text",
    ['{"kind": "email", "title": "x", "platform_options": [1, 2]}', "[" * 5000 + "]" * 5000],
)
def test_odd_content_is_a_one_line_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(text)

    _one_line_error(mplat("activate", str(path)))

"""`mplat` as a person meets it: every problem at once, mixed batches, routes, folders,
interrupts, and output that reads at 80 columns in a pipe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from marketing_platform.cli import main
from marketing_platform.errors import ContentRejected
from marketing_platform.hookspecs import hookimpl
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.registry import default_registry
from marketing_platform_mock.state import MockState

from .conftest import EXAMPLES
from .helpers import AdapterPlugin, make_recorder

GOOD = "---\nid: {id}\nkind: blog_post\ntitle: {title}\n---\nHello\n"


def mplat(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"COLUMNS": "80", **(env or {})}).invoke(main, list(args))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def log_of(home: Path) -> ActivationLog:
    return ActivationLog(home / "activations.sqlite3")


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A folder with one good file and two bad ones (three problems in all)."""
    folder = tmp_path / "content"
    write(folder, "good.md", GOOD.format(id="good", title="Good"))
    write(folder, "typos.yaml", "kind: blog_post\ntitle: T\nsumary: x\nschedule_at: tomorrow\n")
    write(folder, "untitled.json", '{"kind": "email"}')
    return folder


# ----------------------------------------------------------- all problems


def test_validate_lists_every_problem_of_every_file(mixed: Path, isolated_environment: Path) -> None:
    result = mplat("validate", str(mixed))

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    typos, untitled = mixed / "typos.yaml", mixed / "untitled.json"
    assert f"error: {typos}: sumary: is not a known key. Hint: did you mean 'summary'?" in lines
    assert any(
        line.startswith(f"error: {typos}: schedule_at:") and "2026-12-01T09:00:00Z" in line for line in lines
    ), lines
    assert f"error: {untitled}: title: is required. Hint: add title:" in lines
    assert lines[-1] == "3 problems in 2 of 3 file(s); nothing was sent"
    assert log_of(isolated_environment).list() == []


def test_validate_says_so_when_all_is_well(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.format(id="a", title="A"))

    result = mplat("validate", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 file(s) valid for mock"


def test_activate_refuses_a_bad_batch_with_the_same_full_list(
    mixed: Path, isolated_environment: Path
) -> None:
    result = mplat("activate", str(mixed))

    assert result.exit_code == 2
    assert result.stderr.count("error: ") == 3
    assert log_of(isolated_environment).list() == []
    assert not (isolated_environment / "mock-state.sqlite3").exists() or (
        MockState(isolated_environment / "mock-state.sqlite3").count("blog_post") == 0
    )


def test_keep_going_activates_the_valid_files_and_reports_the_rest(
    mixed: Path, isolated_environment: Path
) -> None:
    result = mplat("activate", str(mixed), "--keep-going")

    assert result.exit_code == 1
    assert "succeeded" in result.stdout
    assert result.stdout.count("rejected") == 2
    assert "1 of 3 activations succeeded" in result.stdout
    assert [r.content_id for r in log_of(isolated_environment).list()] == ["good"]

    as_json = json.loads(mplat("activate", str(mixed), "--keep-going", "--json").stdout)
    assert [a["state"] for a in as_json["activations"]] == ["succeeded"]
    assert sorted(Path(r["file"]).name for r in as_json["rejected"]) == ["typos.yaml", "untitled.json"]
    assert all(r["state"] == "rejected" for r in as_json["rejected"])


# -------------------------------------------------------- routes, folders


def test_routes_send_each_kind_to_its_platform(tmp_path: Path, isolated_environment: Path) -> None:
    recorder = make_recorder("recorder")
    default_registry().register_plugin(AdapterPlugin(recorder))
    write(tmp_path, "post.md", GOOD.format(id="post", title="Post"))
    write(
        tmp_path,
        "page.md",
        "---\nid: page\nkind: landing_page\ntitle: Page\nlanding_page: {template: Event}\n---\nHi\n",
    )

    result = mplat(
        "activate",
        str(tmp_path),
        "--json",
        env={"MARKETING_PLATFORM_ROUTES": "blog_post=recorder"},
    )

    assert result.exit_code == 0, result.output
    placed = {a["content_id"]: a["platform"] for a in json.loads(result.stdout)["activations"]}
    assert placed == {"post": "recorder", "page": "mock"}

    routed = mplat("activate", str(tmp_path / "page.md"), "--route", "landing_page=recorder", "--json")
    assert json.loads(routed.stdout)["activations"][0]["platform"] == "recorder"


def test_a_malformed_route_is_a_one_line_error() -> None:
    result = mplat("activate", str(EXAMPLES), "--route", "blogpost=mock")

    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "blog_post=hubspot" in result.stderr


def test_a_folder_skips_hidden_files_readmes_and_excluded_globs(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.format(id="a", title="A"))
    write(tmp_path, "README.md", "# notes, not content\n")
    write(tmp_path, ".draft.md", "not: [valid")
    write(tmp_path, ".hidden/b.md", "not: [valid")
    write(tmp_path, "drafts/c.md", "not: [valid")
    write(tmp_path, "d.wip.md", "not: [valid")

    result = mplat("activate", str(tmp_path), "--exclude", "drafts/*", "--exclude", "*.wip.md", "--json")

    assert result.exit_code == 0, result.output
    assert [a["content_id"] for a in json.loads(result.stdout)["activations"]] == ["a"]


def test_a_platform_named_twice_runs_once(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.format(id="a", title="A"))

    result = mplat("activate", str(tmp_path), "-p", "mock", "-p", "mock", "--json")

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["activations"]) == 1


def test_asset_root_must_exist(tmp_path: Path) -> None:
    result = mplat("activate", str(EXAMPLES), "--asset-root", str(tmp_path / "nowhere"))

    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def test_a_typo_of_an_installed_platform_suggests_it_without_pip(tmp_path: Path) -> None:
    result = mplat("activate", str(EXAMPLES), "-p", "mokc")

    assert result.exit_code == 2
    assert "did you mean 'mock'?" in result.stderr
    assert "pip install" not in result.stderr


# ------------------------------------------------------- reading at 80


def _run_cli(*args: str, home: Path, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETING_PLATFORM", "MOCK_"))}
    env.update({"COLUMNS": "80", "MARKETING_PLATFORM_LOG": str(home / "log.sqlite3"), **(extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "marketing_platform.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_activate_log_and_status_read_whole_at_80_columns(tmp_path: Path) -> None:
    first = _run_cli("activate", str(EXAMPLES), home=tmp_path)
    again = _run_cli("activate", str(EXAMPLES), home=tmp_path)
    shown = _run_cli("log", home=tmp_path)
    records = json.loads(_run_cli("log", "--json", home=tmp_path).stdout)

    assert first.returncode == 0, first.stderr
    assert again.returncode == 1  # the newsletter was sent: blocked
    for record in records:
        assert record["id"][:12] in shown.stdout, "an id is cut in `mplat log`"
        assert f"{record['id'][:12]}  {record['state']}" in shown.stdout
    assert "blocked  " in again.stdout
    assert "already sent on" in again.stdout
    assert "unchanged" in again.stdout
    for line in (first.stdout + shown.stdout).splitlines():
        longest = max(line.split(), key=len, default="")
        assert len(line) <= 80 or len(longest) > 60, f"a line wider than 80 columns: {line!r}"
    status = _run_cli("status", records[0]["id"][:8], home=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"activation {records[0]['id']}" in status.stdout
    assert "on the platform now:" in status.stdout
    filtered = json.loads(_run_cli("log", "--json", "--state", "blocked", home=tmp_path).stdout)
    assert [r["content_id"] for r in filtered] == ["newsletter-2026-12"]
    by_content = json.loads(
        _run_cli("log", "--json", "--content", "spring-launch-2026", home=tmp_path).stdout
    )
    assert len(by_content) == 2


def test_log_since_takes_dates_and_ages_and_explains_a_bad_one(isolated_environment: Path) -> None:
    mplat("activate", str(EXAMPLES / "spring-launch.md"))

    assert len(json.loads(mplat("log", "--json", "--since", "1h").stdout)) == 1
    assert json.loads(mplat("log", "--json", "--since", "2999-01-01").stdout) == []
    bad = mplat("log", "--since", "yesterday-ish")
    assert bad.exit_code == 2
    assert "2026-12-01T09:00:00Z" in bad.output


def test_check_prints_a_table_not_a_dict() -> None:
    result = mplat("check")

    assert result.exit_code == 0
    assert "{" not in result.stdout
    assert "seed" in result.stdout


# --------------------------------------------------------------- interrupts


@pytest.mark.slow
def test_ctrl_c_finishes_running_work_and_replay_failed_does_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    for index in range(30):
        write(folder, f"post-{index:02}.md", GOOD.format(id=f"post-{index:02}", title=f"Post {index}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETING_PLATFORM", "MOCK_"))}
    env.update(
        {
            "COLUMNS": "80",
            "MARKETING_PLATFORM_LOG": str(tmp_path / "log.sqlite3"),
            "MOCK_LATENCY": "realistic",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "marketing_platform.cli", "activate", str(folder), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    # Wait for the first finished activation on the streamed JSON, then press Ctrl-C.
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if '"state":' in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)

    assert process.returncode == 130, errors
    summary = next(line for line in errors.splitlines() if line.startswith("interrupted:"))
    done, failed, not_started = (
        int(part.split()[0]) for part in summary.removeprefix("interrupted: ").split(", ")
    )
    assert done >= 1
    assert not_started >= 1, summary
    assert done + failed + not_started == 30
    assert "resume the rest with: mplat replay --failed" in errors

    env["MOCK_LATENCY"] = "none"
    replayed = subprocess.run(
        [sys.executable, "-m", "marketing_platform.cli", "replay", "--failed", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert replayed.returncode == 0, replayed.stderr
    state = MockState(tmp_path / "mock-state.sqlite3")
    assert state.count("blog_post") == 30, "after the replay every post exists once"
    records = ActivationLog(tmp_path / "log.sqlite3").list(limit=None)
    assert sorted({r.content_id for r in records}) == [f"post-{i:02}" for i in range(30)]
    assert all(r.state == "succeeded" for r in records)


# ------------------------------------------------------------ replay, abandon


class _RejectsDrafts:
    """A platform-side rule the file only meets after a fix: no "Draft" in titles."""

    @hookimpl
    def mplat_transform_payload(self, platform: str, operation: str, payload: dict[str, Any]) -> None:
        if operation == "publish_content" and "Draft" in str(payload.get("title", "")):
            raise ContentRejected("titles may not say Draft", platform=platform, code="draft")


def test_replay_reload_reads_the_fixed_file(tmp_path: Path, isolated_environment: Path) -> None:
    default_registry().register_plugin(_RejectsDrafts())
    path = write(tmp_path, "post.md", GOOD.format(id="post", title="Draft title"))
    failed = json.loads(mplat("activate", str(path), "--json").stdout)["activations"][0]
    assert failed["state"] == "failed"

    stale = mplat("replay", failed["id"], "--json")
    assert json.loads(stale.stdout)["activations"][0]["state"] == "failed"
    path.write_text(GOOD.format(id="post", title="Final title"))
    fixed = mplat("replay", failed["id"], "--reload", "--json")

    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["activations"][0]["state"] == "succeeded"
    state = MockState(isolated_environment / "mock-state.sqlite3")
    assert state.count("blog_post") == 1
    assert log_of(isolated_environment).get(failed["id"]).attempts == 3


def test_replay_reload_refuses_a_file_that_now_holds_another_content(tmp_path: Path) -> None:
    default_registry().register_plugin(_RejectsDrafts())
    path = write(tmp_path, "post.md", GOOD.format(id="post", title="Draft"))
    failed = json.loads(mplat("activate", str(path), "--json").stdout)["activations"][0]
    path.write_text(GOOD.format(id="renamed", title="Final"))

    result = mplat("replay", failed["id"], "--reload")

    assert result.exit_code == 2
    assert "now holds content 'renamed', not 'post'" in result.stderr


def test_replay_of_an_id_with_failed_is_a_usage_error() -> None:
    result = mplat("replay", "abcdef12", "--failed")

    assert result.exit_code == 2
    assert "not both" in result.output


def test_abandon_keeps_the_record_and_replay_failed_skips_it(
    tmp_path: Path, isolated_environment: Path
) -> None:
    default_registry().register_plugin(_RejectsDrafts())
    path = write(tmp_path, "post.md", GOOD.format(id="post", title="Draft"))
    failed = json.loads(mplat("activate", str(path), "--json").stdout)["activations"][0]

    result = mplat("abandon", failed["id"][:10])

    assert result.exit_code == 0, result.output
    assert "abandoned" in result.stdout
    assert log_of(isolated_environment).get(failed["id"]).state == "abandoned"
    assert json.loads(mplat("replay", "--failed", "--json").stdout)["activations"] == []
    again = mplat("abandon", failed["id"])
    assert again.exit_code == 2
    assert "nothing to give up" in again.stderr


def test_replay_stale_resumes_work_whose_runner_died(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETING_PLATFORM_LEASE_SECONDS", "0.05")
    log = log_of(isolated_environment)
    content = Content.model_validate(
        {"id": "orphan", "kind": "blog_post", "title": "Orphan", "body": "<p>x</p>"}
    )
    record = log.start(content_id="orphan", platform="mock", content=content.model_dump(mode="json"))
    log.begin_attempt(record.id)  # a worker began it, then died without a lease renewal
    deadline = time.monotonic() + 10  # poll the condition: stale needs a lease period to pass
    while not log.stale(0.05) and time.monotonic() < deadline:
        time.sleep(0.01)

    result = mplat("replay", "--stale", "--json")

    assert result.exit_code == 0, result.output
    assert [a["content_id"] for a in json.loads(result.stdout)["activations"]] == ["orphan"]
    assert log.get(record.id).state == "succeeded"


def test_an_asset_error_names_the_full_path(tmp_path: Path) -> None:
    text = "---\nid: p\nkind: blog_post\ntitle: P\nassets: [{path: images/missing.png}]\n---\nHello\n"
    write(tmp_path, "post.md", text)

    result = mplat("validate", str(tmp_path))

    assert result.exit_code == 2
    assert str(tmp_path / "images" / "missing.png") in result.stderr
    assert "does not exist" in result.stderr


@pytest.mark.slow
def test_a_second_ctrl_c_aborts_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    for index in range(30):
        write(folder, f"post-{index:02}.md", GOOD.format(id=f"post-{index:02}", title=f"Post {index}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETING_PLATFORM", "MOCK_"))}
    env.update({"MARKETING_PLATFORM_LOG": str(tmp_path / "log.sqlite3"), "MOCK_LATENCY": "realistic"})
    process = subprocess.Popen(
        [sys.executable, "-m", "marketing_platform.cli", "activate", str(folder), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    for line in process.stdout:  # the first finished activation: others are running now
        if '"state":' in line:
            break
    process.send_signal(signal.SIGINT)
    assert process.stderr.readline().startswith("stopping:")  # the first one was taken
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)

    assert process.returncode == 130
    assert "aborted:" in errors
    assert "interrupted:" not in errors, "the second Ctrl-C waited for the summary"


def test_an_absurd_since_is_a_one_line_error() -> None:
    result = mplat("log", "--since", "1000000d")

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "30d" in result.output


def test_a_rate_store_password_is_never_shown_however_it_is_written() -> None:
    result = mplat(
        "check",
        "-p",
        "hubspot",
        env={
            "MARKETING_PLATFORM_RATE_STORE": "redis://:ab/Secret99@127.0.0.1:6390/1",
            "HUBSPOT_ACCESS_TOKEN": "pat-na1-test",
            "HUBSPOT_BLOG_ID": "1",
        },
    )

    assert result.exit_code == 2
    assert "rate store" in result.output
    assert "Secret99" not in result.output
    assert "ab/" not in result.output


def test_replay_failed_exits_1_when_it_had_to_skip_one(tmp_path: Path) -> None:
    default_registry().register_plugin(_RejectsDrafts())
    path = write(tmp_path, "post.md", GOOD.format(id="post", title="Draft"))
    mplat("activate", str(path))
    path.unlink()

    result = mplat("replay", "--failed", "--reload")

    assert "skipped" in result.stderr
    assert result.exit_code == 1

"""``mplat activate`` against the fake over a socket, as a user runs it: the examples
activated three times leave one object per content and one send per email; a sent
email re-activated is ``blocked`` (exit 1) with one line saying so; ``--dry-run`` shows
an edit as an update with its field diff and writes nothing."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from marketing_platform.cli import main
from tests.fakes.server import serve

from .conftest import TOKEN
from .fake_hubspot import Call, FakeHubSpot

EXAMPLES = Path(__file__).parents[2] / "examples"
HUBSPOT_FILES = ("monthly-newsletter.yaml", "spring-launch.md")


@pytest.fixture
def fake() -> FakeHubSpot:
    fake = FakeHubSpot(clock=time.time, window_calls=10_000, window_seconds=1.0)
    fake.blogs.add("1234567890")  # the blog spring-launch.md names
    return fake


@pytest.fixture
def hubspot_env(fake: FakeHubSpot, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve(fake) as url:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_BASE_URL", url)
        monkeypatch.setenv("HUBSPOT_RATE_LIMIT", "10000/1")
        yield url


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """The HubSpot examples (and their images) in a folder the test may edit."""
    shutil.copytree(EXAMPLES / "images", tmp_path / "images")
    for name in HUBSPOT_FILES:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def _activate(fake: FakeHubSpot, *args: str) -> tuple[Result, list[Call]]:
    mark = len(fake.calls)
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["activate", *args, "-p", "hubspot"])
    return result, [c for c in fake.calls[mark:] if c.method != "GET"]


@pytest.mark.usefixtures("hubspot_env")
def test_the_examples_activated_three_times_leave_one_object_each_and_one_send(
    fake: FakeHubSpot, examples: Path
) -> None:
    files = [str(examples / name) for name in HUBSPOT_FILES]
    first, _ = _activate(fake, *files)
    assert first.exit_code == 0, first.output
    for _run in range(2):
        again, writes = _activate(fake, *files)
        assert again.exit_code == 1, again.output  # the newsletter went out: blocked
        assert writes == [], f"a re-run wrote {[(c.method, c.path) for c in writes]}"
        assert "blocked" in again.output
        assert "unchanged" in again.output
    assert len(fake.emails) == 1
    assert len(fake.posts) == 1
    assert sorted(c["properties"]["hs_name"] for c in fake.campaigns.values()) == [
        "Newsletter 2026-12",
        "Spring Launch 2026",
    ]
    assert len(fake.files) == 1
    assert len(fake.sends) == 1


@pytest.mark.usefixtures("hubspot_env")
def test_the_examples_folder_with_the_landing_page_routed_elsewhere(fake: FakeHubSpot) -> None:
    """HubSpot has no landing pages here: ``examples/`` needs that one routed to a
    platform that has them (the mock); HubSpot's own contents converge as above."""
    runs = [_activate(fake, str(EXAMPLES), "--route", "landing_page=mock") for _ in range(3)]
    assert runs[0][0].exit_code == 0, runs[0][0].output
    assert all(writes == [] for _, writes in runs[1:])
    assert (len(fake.emails), len(fake.posts), len(fake.sends)) == (1, 1, 1)


@pytest.mark.usefixtures("hubspot_env")
def test_a_sent_email_is_blocked_with_one_line_and_exit_1(fake: FakeHubSpot, examples: Path) -> None:
    newsletter = str(examples / "monthly-newsletter.yaml")
    assert _activate(fake, newsletter)[0].exit_code == 0
    again, writes = _activate(fake, newsletter)
    assert again.exit_code == 1
    assert writes == []
    assert len(fake.sends) == 1
    lines = [line for line in again.output.splitlines() if "already sent on" in line]
    assert len(lines) == 1, again.output
    assert "to Newsletter subscribers; give the content a new id to send a new email" in lines[0]


@pytest.mark.usefixtures("hubspot_env")
def test_dry_run_shows_an_edit_as_an_update_and_writes_nothing(fake: FakeHubSpot, examples: Path) -> None:
    post = examples / "spring-launch.md"
    assert _activate(fake, str(post))[0].exit_code == 0
    post.write_text(post.read_text().replace("The spring release is here.", "The spring release is out."))
    mark = len(fake.calls)
    result = CliRunner().invoke(main, ["activate", str(post), "-p", "hubspot", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert [c for c in fake.calls[mark:] if c.method != "GET"] == []
    (plan,) = json.loads(result.output)["plans"]
    objects = {entry["object"]: entry for entry in plan["objects"]}
    assert objects["content"]["action"] == "update"
    assert list(objects["content"]["changes"]) == ["body"]
    assert "is out." in objects["content"]["changes"]["body"]["to"]
    assert objects["campaign"]["action"] == "unchanged"
    applied, writes = _activate(fake, str(post))
    assert applied.exit_code == 0, applied.output
    assert sorted(c.method for c in writes) == ["PATCH", "POST"]  # the draft, then push-live
    assert "updated (body)" in applied.output
    (stored,) = fake.posts.values()
    assert "is out." in stored["postBody"]

"""``mplat activate examples/ -p marketo`` against the fake across a real socket: three
runs leave one program, one email and one landing page, send nothing, and an edit in the
file reaches Marketo's approved email. (The folder's blog post is Marketo-incompatible:
``--keep-going`` activates the others and reports it rejected, exit 1.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from tests.fakes.server import serve

from .conftest import SECRET
from .fake_marketo import FakeMarketo, fake_with_templates

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def served() -> Iterator[tuple[FakeMarketo, dict[str, str]]]:
    fake = fake_with_templates(client_secret=SECRET, window_calls=10_000)
    fake.add_lp_template("Event Landing Page")
    with serve(fake) as url:
        yield (
            fake,
            {
                "MARKETO_BASE_URL": url,
                "MARKETO_CLIENT_ID": "test-client-id",
                "MARKETO_CLIENT_SECRET": SECRET,
                "MARKETO_RATE_LIMIT": "1000/1",
            },
        )


def mplat(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner(env=env).invoke(main, ["activate", *args, "-p", "marketo", "--keep-going", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_examples_three_times_make_one_object_each_then_an_edit_lands(
    served: tuple[FakeMarketo, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = served
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)

    for run in range(3):
        calls_before = len(fake.calls)
        code, output = mplat(env, f"{folder}/")

        assert code == 1  # the blog post is rejected on Marketo; the others succeed
        assert [r["content_id"] for r in output["rejected"]] == ["spring-launch-2026"]
        actions = {a["content_id"]: (a["state"], a["publish"]["action"]) for a in output["activations"]}
        expected = "created" if run == 0 else "unchanged"
        assert actions == {
            "emea-roadshow-2026": ("succeeded", expected),
            "newsletter-2026-12": ("succeeded", expected),
        }
        if run:
            written = [c.path for c in fake.calls[calls_before:] if c.rest and c.method != "GET"]
            assert written == [], f"run {run + 1} wrote {written}"
    assert sorted(p["name"] for p in fake.programs.values()) == ["EMEA Roadshow 2026", "Newsletter 2026-12"]
    assert [e["name"] for e in fake.emails.values()] == ["newsletter-2026-12"]
    assert [p["name"] for p in fake.landing_pages.values()] == ["emea-roadshow-2026"]
    assert not any("send" in c.path.lower() or c.path.endswith("/approve.json") for c in fake.calls)

    newsletter = folder / "monthly-newsletter.yaml"
    newsletter.write_text(
        newsletter.read_text().replace("<h1>December at a glance</h1>", "<h1>December, at a glance</h1>")
    )
    code, output = mplat(env, f"{folder}/")

    edited = next(a for a in output["activations"] if a["content_id"] == "newsletter-2026-12")
    assert (edited["state"], edited["publish"]["action"], edited["publish"]["changed"]) == (
        "succeeded",
        "updated",
        ["body"],
    )
    email_id = next(iter(fake.emails))
    assert fake.live_email(email_id)["body"]["main"].startswith("<h1>December, at a glance</h1>")
    assert len(fake.emails) == 1

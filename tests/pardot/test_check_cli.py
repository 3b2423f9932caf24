"""``check`` (read-only, reports a missing business unit / scope), the ``mplat`` CLI over
a real socket (check, platforms, dry run, blocked re-activation, the examples run three
times) and the entry point."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from marketing_platform.registry import Registry
from marketing_platform_pardot import PardotPlatform

from ..fakes.server import serve
from .conftest import AdapterFactory, seed
from .fake_pardot import BUSINESS_UNIT, CLIENT_ID, CLIENT_SECRET, FakePardot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _only_reads(fake: FakePardot) -> None:
    assert fake.writes() == []
    assert {c.method for c in fake.requests if c.path.startswith("/api")} <= {"GET"}


# ----------------------------------------------------------------- check()
def test_check_reports_usage_with_reads_only(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    result = make_adapter(folder="/Marketing/Emails").check()
    assert result.ok, result
    assert result.details["business_unit_id"] == BUSINESS_UNIT
    assert result.details["daily_api_calls"] == {"used": 1, "maximum": 25_000}
    assert result.details["campaign"] == "Default campaign"
    assert result.details["folder_id"] == next(iter(fake.data["folders"]))
    assert "pardot_api" in result.details["scopes"]
    assert any("My Domain" in w for w in result.warnings)  # client credentials on login.salesforce.com
    _only_reads(fake)
    assert CLIENT_SECRET not in result.model_dump_json()


def test_check_reports_a_missing_business_unit_without_calling(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    result = make_adapter(business_unit_id=None).check()
    assert not result.ok
    assert result.details["business_unit"] == "missing"
    assert result.details["business_unit_id"] == "missing"
    assert "Business Unit Setup" in result.details["error"]["hint"]
    assert fake.requests == []


def test_check_reports_a_refused_business_unit(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    result = make_adapter(business_unit_id="0Uv5e0000000009ZZZ").check()
    assert not result.ok
    assert result.details["business_unit"] == "refused"
    assert result.details["error"]["code"] == "201"
    assert "pi.demo.pardot.com" in result.details["error"]["hint"]
    _only_reads(fake)


def test_check_reports_the_missing_pardot_api_scope(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    fake.scope = "api refresh_token"
    result = make_adapter().check()
    assert not result.ok
    assert result.details["missing_scopes"] == ["pardot_api"]
    assert any("pardot_api" in w for w in result.warnings)
    _only_reads(fake)


def test_check_without_access_to_the_account_object(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    fake.account_readable = False
    result = make_adapter().check()
    assert result.ok, result
    assert any("API usage" in w for w in result.warnings)
    assert fake.calls_to("GET", "/api/v5/objects/campaigns")
    _only_reads(fake)


def test_check_names_the_edition_when_the_quota_differs(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    fake.daily_calls = 100_000
    result = make_adapter().check()
    assert any("PARDOT_EDITION" in w and "100,000" in w for w in result.warnings)
    assert not any("100,000" in w for w in make_adapter(edition="premium").check().warnings)


def test_check_reports_a_missing_folder(make_adapter: AdapterFactory, fake: FakePardot) -> None:
    result = make_adapter(folder="/Nowhere").check()
    assert not result.ok
    assert "PARDOT_FOLDER" in result.details["error"]["hint"]


def test_registered_as_the_pardot_entry_point() -> None:
    assert Registry().adapter_class("pardot") is PardotPlatform


# ---------------------------------------------------------------------- CLI
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePardot]:
    """The fake on a loopback socket (real time), and PARDOT_* pointing at it."""
    fake = seed(FakePardot(clock=time.time))
    with serve(fake) as base_url:
        for name, value in {
            "PARDOT_CLIENT_ID": CLIENT_ID,
            "PARDOT_CLIENT_SECRET": CLIENT_SECRET,
            "PARDOT_BUSINESS_UNIT_ID": BUSINESS_UNIT,
            "PARDOT_BASE_URL": base_url,
            "PARDOT_TOKEN_URL": base_url,
            "PARDOT_RATE_LIMIT": "1000/1",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def mplat(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_cli_check_is_read_only(served: FakePardot) -> None:
    code, output = mplat("check", "-p", "pardot", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert data["ok"] is True
    assert data["details"]["daily_api_calls"]["maximum"] == 25_000
    _only_reads(served)
    assert CLIENT_SECRET not in output


def test_cli_check_reports_a_missing_business_unit(
    served: FakePardot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARDOT_BUSINESS_UNIT_ID")
    code, output = mplat("check", "-p", "pardot")
    assert code == 1
    assert "business_unit_id" in output
    assert "missing" in output
    assert "PARDOT_BUSINESS_UNIT_ID" in output
    assert served.requests == []


def test_cli_platforms_lists_pardot() -> None:
    code, output = mplat("platforms", "--json")
    assert code == 0, output
    (row,) = [r for r in json.loads(output) if r["name"] == "pardot"]
    assert row["status"] == "ok"
    assert row["distribution"] == "marketing-platform-pardot"
    assert set(row["capabilities"]) >= {"email", "landing_page", "files"}


def test_cli_dry_run_sends_nothing(served: FakePardot) -> None:
    code, output = mplat(
        "activate", str(EXAMPLES / "monthly-newsletter.yaml"), "-p", "pardot", "--dry-run", "--json"
    )
    assert code == 0, output
    (plan,) = json.loads(output)["plans"]
    assert [o["action"] for o in plan["objects"]] == ["unchanged", "create"]  # campaign, content
    create = next(s for s in plan["requests"] if s["operation"] == "create_list_email")
    assert "THIS SENDS THE EMAIL" in create["when"]
    assert create["json"]["name"] == "newsletter-2026-12"
    assert CLIENT_SECRET not in output
    _only_reads(served)


def test_cli_examples_three_times_make_one_object_each_and_one_send(
    served: FakePardot, tmp_path: Path
) -> None:
    """The "done when" of the sync issue, for the examples Pardot can publish (the
    blog post example is refused: see the next test)."""
    files = [str(EXAMPLES / "monthly-newsletter.yaml"), str(EXAMPLES / "emea-roadshow.json")]
    code, output = mplat("activate", *files, "-p", "pardot", "--json")
    assert code == 0, output
    first = json.loads(output)["activations"]
    assert [a["publish"]["action"] for a in first] == ["created", "created"]
    for _ in range(2):
        writes = len(served.writes())
        code, output = mplat("activate", *files, "-p", "pardot", "--json")
        assert code == 1, output  # the newsletter went out: blocked
        again = {a["content_id"]: a for a in json.loads(output)["activations"]}
        assert again["newsletter-2026-12"]["state"] == "blocked"
        assert "already sent on" in again["newsletter-2026-12"]["error"]["message"]
        assert again["emea-roadshow-2026"]["publish"]["action"] == "unchanged"
        assert len(served.writes()) == writes
    assert len(served.objects("list-emails")) == 1
    assert len(served.sends) == 1
    assert len(served.objects("landing-pages")) == 1
    assert len(served.objects("layout-templates")) == 1
    (sent,) = served.objects("list-emails")
    assert sent["emailTemplateId"] == 71  # email.template: Monthly Newsletter


def test_cli_blocked_email_prints_the_line(served: FakePardot) -> None:
    newsletter = str(EXAMPLES / "monthly-newsletter.yaml")
    assert mplat("activate", newsletter, "-p", "pardot")[0] == 0
    code, output = mplat("activate", newsletter, "-p", "pardot")
    assert code == 1
    assert "already sent on" in " ".join(output.split())
    assert len(served.sends) == 1


def test_cli_examples_folder_is_refused_before_anything_is_sent(served: FakePardot) -> None:
    code, output = mplat("activate", str(EXAMPLES), "-p", "pardot")
    assert code == 2
    assert "blog_post" in output
    assert served.requests == []

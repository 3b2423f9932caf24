"""Dry-run plan, the `marketo templates` CLI, and check()."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from marketing_platform.models import Content
from marketing_platform_marketo.platform import MarketoPlatform

from .conftest import SECRET
from .fake_marketo import TEMPLATE_HTML, FakeMarketo


def test_plan_shows_requests_without_secrets(platform, fake: FakeMarketo) -> None:
    content = Content.model_validate(
        {
            "kind": "email",
            "title": "News",
            "summary": "s",
            "body": "<p>Hi</p>",
            "campaign": {"name": "News program", "tags": {"Region": "EMEA"}},
            "email": {"template": "Monthly Newsletter", "subject": "Hi"},
        }
    )
    steps = platform.plan(content)

    text = json.dumps(steps)
    assert SECRET not in text
    assert fake.calls == []
    paths = [(s["method"], s["path"]) for s in steps]
    assert paths[0] == ("POST", "/identity/oauth/token")
    assert steps[0]["form"]["client_secret"] == "***"
    assert ("POST", "/rest/asset/v1/programs.json") in paths
    assert ("POST", "/rest/asset/v1/emails.json") in paths
    create = next(s for s in steps if s["operation"] == "create_program")
    assert json.loads(create["form"]["tags"]) == [{"tagType": "Region", "tagValue": "EMEA"}]
    assert "<resolved at run time: id of folder 'Marketing Activities'>" in create["form"]["folder"]
    assert any("<resolved at run time" in s["path"] for s in steps)
    create_email = next(s for s in steps if s["operation"] == "create_email")
    assert create_email["form"]["name"] == content.id == "news"
    find_email = next(s for s in steps if s["operation"] == "find_email")
    assert find_email["params"]["name"] == "news"


def test_template_created_concurrently_is_reused(platform, fake: FakeMarketo) -> None:
    # Another user creates the template between our lookup and our create: its 709 is
    # answered by returning that template (reused), not a ContentRejected.
    fake.before(
        "POST", "/emailTemplates.json", lambda: fake.add_email_template("Promo", TEMPLATE_HTML, "draft")
    )

    template = platform.create_email_template("Promo", TEMPLATE_HTML)

    assert template.reused is True
    assert [t["name"] for t in fake.email_templates.values()].count("Promo") == 1
    assert template.id == next(t["id"] for t in fake.email_templates.values() if t["name"] == "Promo")


def test_existing_template_is_reported_reused(platform, fake: FakeMarketo) -> None:
    assert platform.create_email_template("Monthly Newsletter", TEMPLATE_HTML).reused is True
    assert not any(c.method == "POST" for c in fake.rest_calls())


def test_cli_templates(platform, fake: FakeMarketo, tmp_path: Path) -> None:
    group = MarketoPlatform.cli_commands()
    runner = CliRunner()
    obj = {"marketo_factory": lambda: platform}
    html = tmp_path / "t.html"
    html.write_text(TEMPLATE_HTML)

    listed = runner.invoke(group, ["templates", "list", "--json"], obj=obj)
    assert listed.exit_code == 0, listed.output
    assert [t["name"] for t in json.loads(listed.output)] == ["Monthly Newsletter"]

    created = runner.invoke(group, ["templates", "create", "Promo", "--file", str(html)], obj=obj)
    assert created.exit_code == 0, created.output
    assert "draft\tPromo" in created.output
    call = next(c for c in fake.calls if c.path.endswith("/emailTemplates.json") and c.method == "POST")
    assert call.files["content"].filename == "t.html"
    assert call.files["content"].content_type == "text/html"

    approved = runner.invoke(group, ["templates", "approve", "Promo"], obj=obj)
    assert approved.exit_code == 0, approved.output
    assert "approved\tPromo" in approved.output

    again = runner.invoke(group, ["templates", "approve", "Promo"], obj=obj)
    assert again.exit_code == 1
    assert "approve requires a draft" in again.output


def test_check(platform, fake: FakeMarketo) -> None:
    result = platform.check()
    assert result.ok
    assert result.details["program_folder_id"] == fake.folder_id("Marketing Activities")
    assert all(c.method == "GET" for c in fake.rest_calls())


def test_check_reports_missing_folder(make_platform) -> None:
    result = make_platform(program_folder="Nowhere").check()
    assert not result.ok
    assert "MARKETO_PROGRAM_FOLDER" in result.warnings[0]

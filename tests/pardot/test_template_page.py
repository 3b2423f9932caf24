"""Email templates (``pardot: {as_template: true}``) and landing pages (a layout
template holding the HTML + the page): created once, unchanged re-runs write nothing,
edits are applied in place where v5 allows, refused where it does not."""

from __future__ import annotations

import pytest

from marketing_platform.errors import MarketingPlatformError
from marketing_platform.models import Content
from marketing_platform.testing import FakeClock
from marketing_platform_pardot.platform import CAMPAIGN_TTL

from .conftest import AdapterFactory, Run, email, page
from .fake_pardot import FakePardot


def template(**overrides: object) -> Content:
    return email(
        id="welcome-template", platform_options={"pardot": {"as_template": True}}, audience=None, **overrides
    )


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_email_template_is_synced_in_place(run: Run, fake: FakePardot, log: str) -> None:
    first = run(template())
    assert first.ok, first.error
    assert first.publish is not None
    assert first.publish.action == "created"
    assert first.publish.status == "draft"
    (created,) = fake.named("email-templates", "welcome-template")
    assert created["isListEmail"] is True
    assert created["campaignId"] == 12
    assert "%%unsubscribe%%" in created["htmlMessage"]
    assert fake.sends == []  # a template is never sent

    writes = len(fake.writes())
    again = run(template(), log=log)
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert len(fake.writes()) == writes

    edited = run(
        template(
            body="<p>Welcome aboard</p>", email={"subject": "Welcome!", "from_email": "hi@acme.example"}
        ),
        log=log,
    )
    assert edited.ok, edited.error
    assert edited.publish is not None
    assert edited.publish.action == "updated"
    assert edited.publish.changed == ["body", "from", "reply_to", "subject", "text"]
    assert [c.method for c in fake.writes()[writes:]] == ["PATCH"]
    (updated,) = fake.named("email-templates", "welcome-template")
    assert updated["id"] == created["id"]
    assert updated["subject"] == "Welcome!"
    assert updated["htmlMessage"].startswith("<p>Welcome aboard</p>")
    assert updated["senderOptions"] == [{"type": "general_user", "address": "hi@acme.example"}]
    assert len(fake.named("email-templates", "welcome-template")) == 1


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_landing_page_created_once_then_unchanged_then_updated_in_place(
    run: Run, fake: FakePardot, log: str
) -> None:
    first = run(page())
    assert first.ok, first.error
    assert first.publish is not None
    assert first.publish.action == "created"
    assert first.publish.status == "published"
    assert first.publish.url == "https://go.acme.example/l/1001/emea-roadshow-2026"
    (layout,) = fake.objects("layout-templates")
    (landing,) = fake.objects("landing-pages")
    assert landing["layoutTemplateId"] == layout["id"]
    assert landing["campaignId"] == 13
    assert "<title>EMEA roadshow 2026</title>" in layout["layoutContent"]
    assert 'content="Meet the team in London, Berlin and Madrid."' in layout["layoutContent"]
    assert "<h1>EMEA roadshow</h1>" in layout["layoutContent"]

    writes = len(fake.writes())
    again = run(page(), log=log)
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert again.campaign is not None
    assert again.campaign.action == "unchanged"
    assert len(fake.writes()) == writes

    edited = run(page(title="EMEA roadshow 2027", summary="Four cities.", body="<p>Lisbon too</p>"), log=log)
    assert edited.ok, edited.error
    assert edited.publish is not None
    assert edited.publish.action == "updated"
    assert edited.publish.changed == ["body", "summary", "title"]
    assert [(c.method, c.path) for c in fake.writes()[writes:]] == [
        ("PATCH", f"/api/v5/objects/layout-templates/{layout['id']}")
    ]
    assert len(fake.objects("landing-pages")) == 1
    (layout,) = fake.objects("layout-templates")
    assert "<title>EMEA roadshow 2027</title>" in layout["layoutContent"]
    assert "<p>Lisbon too</p>" in layout["layoutContent"]


def test_moving_a_landing_page_to_another_campaign_is_refused(run: Run, fake: FakePardot) -> None:
    assert run(page()).ok
    writes = len(fake.writes())
    moved = run(page(campaign={"name": "Spring Launch 2026"}, body="<p>new</p>"))
    assert moved.record.state == "failed"
    assert moved.error is not None
    assert moved.error["type"] == "Conflict"
    assert "campaign" in moved.error["message"]
    assert "cannot be updated through the v5 API" in moved.error["hint"]
    assert len(fake.writes()) == writes  # nothing half-applied


def test_a_page_whose_layout_was_made_by_an_interrupted_run_is_completed(run: Run, fake: FakePardot) -> None:
    """A crash after the layout template's create: the next run reuses (and updates) it
    and makes only the landing page."""
    fake.add(
        "layout-templates", name="emea-roadshow-2026", layoutContent="<p>old</p>", isIncludeDefaultCss=False
    )
    result = run(page())
    assert result.ok, result.error
    (layout,) = fake.objects("layout-templates")
    assert "<h1>EMEA roadshow</h1>" in layout["layoutContent"]
    (landing,) = fake.objects("landing-pages")
    assert landing["layoutTemplateId"] == layout["id"]


def test_a_layout_reshaped_in_pardot_is_compared_whole(run: Run, fake: FakePardot) -> None:
    assert run(page()).ok
    (layout,) = fake.objects("layout-templates")
    layout["layoutContent"] = "<html><body>edited by hand</body></html>"
    again = run(page())
    assert again.publish is not None
    assert again.publish.action == "updated"
    assert "body" in again.publish.changed
    assert "<h1>EMEA roadshow</h1>" in fake.objects("layout-templates")[0]["layoutContent"]


def test_landing_page_template_name_is_reported_unused(run: Run, fake: FakePardot) -> None:
    result = run(page(landing_page={"template": "Event Landing Page", "title": "Roadshow"}))
    assert result.ok, result.error
    assert result.publish is not None
    assert any("Event Landing Page" in w for w in result.publish.warnings)
    assert "<title>Roadshow</title>" in fake.objects("layout-templates")[0]["layoutContent"]


def test_landing_pages_cannot_be_patched_on_the_fake(make_adapter: AdapterFactory) -> None:
    """The fake keeps v5's rule the adapter works around: no PATCH on landing pages."""
    with pytest.raises(MarketingPlatformError) as caught:
        make_adapter().api.update("landing-pages", 1, {"name": "x"}, "id")
    assert caught.value.code == "60"


def test_a_campaign_found_by_name_is_remembered_briefly(
    make_adapter: AdapterFactory, fake: FakePardot, clock: FakeClock
) -> None:
    """Issue 15: contents sharing a campaign look it up once per CAMPAIGN_TTL (v5 cannot
    create, rename or delete campaigns); a miss is never remembered."""
    adapter = make_adapter()
    for _ in range(3):
        found = adapter.find_campaign("Newsletter 2026-12")
        assert found is not None
        assert found.external_id == "12"
    assert len(fake.calls_to("GET", "/api/v5/objects/campaigns")) == 1
    assert adapter.find_campaign("Autumn 2026") is None
    fake.add_campaign("Autumn 2026", id=15)  # made in Salesforce meanwhile
    autumn = adapter.find_campaign("Autumn 2026")
    assert autumn is not None
    assert autumn.external_id == "15"
    clock.advance(CAMPAIGN_TTL + 1)
    assert adapter.find_campaign("Newsletter 2026-12") is not None
    assert len(fake.calls_to("GET", "/api/v5/objects/campaigns")) == 4

"""Dry-run plan, check(), mapper rules, registry entry point, and end to end over a socket."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog
from marketing_platform.models import Asset
from marketing_platform.registry import Registry
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings
from tests.fakes.server import serve

from .conftest import TOKEN, AdapterFactory, blog_post, email, png_bytes
from .fake_hubspot import FakeClock, FakeHubSpot

OAUTH = {"client_id": "client-id-1", "client_secret": "client-secret-1", "refresh_token": "rt-test-refresh"}


def test_plan_for_a_blog_post_shows_requests_without_secrets(
    make_adapter: AdapterFactory, fake: FakeHubSpot, hero: Asset
) -> None:
    adapter = make_adapter()
    steps = adapter.plan(blog_post(assets=[hero]))
    assert fake.calls == []  # a plan sends nothing
    operations = [s["operation"] for s in steps]
    assert operations == [
        "connection",
        "find_file",
        "upload_file",
        "find_campaign",
        "create_campaign",
        "find_blog_tag",
        "create_blog_tag",
        "find_blog_tag",
        "create_blog_tag",
        "create_blog_post",
        "attach_to_campaign",
        "publish_blog_post",
    ]
    post = next(s for s in steps if s["operation"] == "create_blog_post")
    assert post["method"] == "POST"
    assert post["path"] == "/cms/v3/blogs/posts"
    assert post["json"]["contentGroupId"] == "1234567"
    assert post["json"]["tagIds"] == [  # placeholders; the live run sends int64 ids
        "<resolved at run time: tag id of 'Product News'>",
        "<resolved at run time: tag id of 'Launch'>",
    ]
    assert post["json"]["featuredImage"] == "<resolved at run time: hosted URL of hero.png>"
    assert post["json"]["campaign"].startswith("<resolved at run time:")
    upload = next(s for s in steps if s["operation"] == "upload_file")
    assert upload["form"]["folderPath"] == "/marketing-platform"
    assert upload["file"]["content_type"] == "image/png"
    text = json.dumps(steps)
    assert TOKEN not in text
    assert "Bearer ***" in text


def test_plan_for_a_scheduled_email_with_oauth(make_adapter: AdapterFactory, clock: FakeClock) -> None:
    when = datetime.fromtimestamp(clock(), UTC) + timedelta(days=1)
    adapter = make_adapter(**OAUTH)
    steps = adapter.plan(email(schedule_at=when.isoformat()))
    operations = [s["operation"] for s in steps]
    assert operations[:2] == ["connection", "oauth_token"]
    assert "create_list" in operations
    assert operations[-1] == "publish_marketing_email"
    create = next(s for s in steps if s["operation"] == "create_marketing_email")
    assert create["json"]["to"]["contactIlsLists"]["include"] == [
        "<resolved at run time: list id of 'Newsletter subscribers'>"
    ]
    assert create["json"]["publishDate"].endswith("Z")
    text = json.dumps(steps)
    for secret in ("client-secret-1", "rt-test-refresh"):
        assert secret not in text


def test_check_ok_is_one_cheap_read(adapter: HubSpotPlatform, fake: FakeHubSpot) -> None:
    result = adapter.check()
    assert result.ok
    assert [(c.method, c.path, c.query) for c in fake.calls] == [
        ("GET", "/marketing/v3/campaigns", {"limit": "1"})
    ]
    assert result.details["auth"] == "private_app"
    assert result.details["rate_limits"]["calls"] == 100


def test_check_reports_missing_scopes(adapter: HubSpotPlatform, fake: FakeHubSpot) -> None:
    fake.granted_scopes = {"content"}
    result = adapter.check()
    assert not result.ok
    assert result.details["missing_scopes"] == ["marketing.campaigns.read"]
    assert any("marketing.campaigns.read" in w for w in result.warnings)


def test_check_reports_a_bad_token(make_adapter: AdapterFactory) -> None:
    result = make_adapter(access_token="pat-wrong").check()
    assert not result.ok
    assert result.details["error"]["type"] == "AuthenticationError"


def test_mapper_rules(make_adapter: AdapterFactory, clock: FakeClock) -> None:
    adapter = make_adapter(blog_id=None)
    past = datetime.fromtimestamp(clock(), UTC) - timedelta(hours=1)
    fields = {
        p.field for p in adapter.mapper.problems(blog_post(schedule_at=past.isoformat(), hubspot={"x": 1}))
    }
    assert fields == {"hubspot.blog_id", "hubspot.x"}  # a past schedule_at: the core's (new content only)
    no_subject = email(email={"from_email": "a@b.example"})
    assert {p.field for p in adapter.mapper.problems(no_subject)} == {"email.subject"}
    assert adapter.mapper.problems(email()) == []
    landing = blog_post(kind="landing_page")
    assert [p.field for p in adapter.mapper.problems(landing)] == ["kind"]


def test_registered_as_the_hubspot_entry_point() -> None:
    assert Registry().adapter_class("hubspot") is HubSpotPlatform


def test_activation_end_to_end_over_a_real_socket(tmp_path: Path, clock: FakeClock) -> None:
    fake = FakeHubSpot(clock=clock)
    (tmp_path / "hero.png").write_bytes(png_bytes())
    content = blog_post(assets=[{"path": "hero.png", "alt_text": "Rocket", "role": "featured"}])
    with serve(fake) as base_url:
        settings = HubSpotSettings(access_token=TOKEN, base_url=base_url, blog_id="1234567")

        def factory(name: str) -> HubSpotPlatform:
            return HubSpotPlatform(settings, clock=clock, sleep=clock.sleep)

        with Activator(
            activation_log=ActivationLog(tmp_path / "log.sqlite3"), platform_factory=factory
        ) as run:
            result = run.activate(content, "hubspot", asset_root=tmp_path)
            assert result.ok, result.error
            again = run.activate(
                content.model_copy(update={"title": "Second"}), "hubspot", asset_root=tmp_path
            )
            assert again.ok, again.error
    assert result.campaign is not None
    assert again.campaign is not None
    assert again.campaign.reused
    assert again.campaign.action == "unchanged"
    assert len(fake.campaigns) == 1
    assert len(fake.posts) == 1  # the same content id: the post is edited, not copied
    assert len(fake.tags) == 2
    assert len(fake.files) == 1
    assert result.publish is not None
    assert result.publish.status == "published"
    assert again.publish is not None
    assert (again.publish.action, again.publish.changed) == ("updated", ["title"])
    post = fake.posts[str(result.publish.external_id)]
    assert post["featuredImageAltText"] == "Rocket"
    assert post["name"] == post["htmlTitle"] == "Second"


def test_transform_hook_changes_the_body(fake: FakeHubSpot, clock: FakeClock) -> None:
    from marketing_platform.hookspecs import hookimpl

    class Tagger:
        @hookimpl
        def mplat_transform_payload(
            self, platform: str, operation: str, payload: dict[str, object]
        ) -> object:
            if operation == "create_blog_post":
                return {**payload, "language": "de"}
            return None

    registry = Registry()
    registry.register_plugin(Tagger())
    adapter = HubSpotPlatform(
        HubSpotSettings(access_token=TOKEN, base_url="http://127.0.0.1:9", blog_id="1234567"),
        transport=httpx.WSGITransport(app=fake),
        clock=clock,
        sleep=clock.sleep,
        hooks=registry.hooks,
    )
    with adapter:
        result = adapter.publish_content(blog_post(campaign=None))
    assert fake.posts[str(result.external_id)]["language"] == "de"


@pytest.mark.parametrize("ref", ["campaign:", ""])
def test_status_of_a_campaign(make_adapter: AdapterFactory, ref: str) -> None:
    adapter = make_adapter()
    campaign = adapter.create_campaign(blog_post().campaign)  # type: ignore[arg-type]
    assert adapter.get_status(f"{ref}{campaign.external_id}").metadata["type"] == "CAMPAIGN"

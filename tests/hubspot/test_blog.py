"""Blog posts end to end against the fake: tags, featured image, campaign, publish/schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketing_platform.errors import ContentRejected
from marketing_platform.models import Asset

from .conftest import BLOG_ID, AdapterFactory, blog_post
from .fake_hubspot import FakeClock, FakeHubSpot


def test_blog_post_published_now_with_tags_image_and_campaign(
    make_adapter: AdapterFactory, fake: FakeHubSpot, hero: Asset
) -> None:
    adapter = make_adapter()
    content = blog_post(assets=[hero])
    assets = adapter.upload_assets(content.assets)
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    result = adapter.publish_content(content, campaign=campaign, assets=assets)

    assert result.status == "published"
    assert result.url == "https://blog.example.com/spring-launch"
    post = fake.posts[str(result.external_id)]
    assert post["state"] == "PUBLISHED"
    assert post["contentGroupId"] == BLOG_ID
    assert post["campaign"] == campaign.external_id
    assert post["featuredImage"] == assets.results[0].url
    assert post["featuredImageAltText"] == "A rocket lifting off"
    assert post["useFeaturedImage"] is True
    assert post["postSummary"] == post["metaDescription"] == "Everything new this spring"
    assert sorted(t["name"] for t in fake.tags.values()) == ["Launch", "Product News"]
    assert sorted(post["tagIds"]) == sorted(int(t) for t in fake.tags)  # int64, as HubSpot types them
    assert fake.campaign_assets[str(campaign.external_id)]["BLOG_POST"] == [result.external_id]
    assert len(fake.calls_to("PUT", r"/marketing/v3/campaigns/.*/assets/BLOG_POST/.*")) == 1
    assert len(fake.calls_to("POST", r"/cms/v3/blogs/posts/.*/draft/push-live")) == 1
    assert not fake.calls_to("POST", r"/cms/v3/blogs/posts/schedule")


def test_tags_are_reused_by_a_second_post(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    first = make_adapter()
    first.publish_content(blog_post())
    assert len(fake.calls_to("POST", "/cms/v3/blogs/tags")) == 2
    second = make_adapter()  # a new adapter has no cache: the tags are found by name
    result = second.publish_content(blog_post(title="Summer launch", topics=["Launch"]))
    assert len(fake.calls_to("POST", "/cms/v3/blogs/tags")) == 2
    assert len(fake.tags) == 2
    launch = next(t["id"] for t in fake.tags.values() if t["name"] == "Launch")
    assert fake.posts[str(result.external_id)]["tagIds"] == [int(launch)]


def test_tag_lookups_are_cached_within_one_adapter(adapter: object, fake: FakeHubSpot) -> None:
    from marketing_platform_hubspot.platform import HubSpotPlatform

    assert isinstance(adapter, HubSpotPlatform)
    adapter.publish_content(blog_post())
    adapter.publish_content(blog_post(title="Again"))
    assert len(fake.calls_to("GET", "/cms/v3/blogs/tags")) == 2


def test_scheduled_post_uses_schedule_with_publish_date(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    when = datetime.fromtimestamp(clock(), UTC) + timedelta(days=3)
    adapter = make_adapter()
    result = adapter.publish_content(blog_post(schedule_at=when.isoformat()))
    assert result.status == "scheduled"
    assert result.scheduled_at == when
    (call,) = fake.calls_to("POST", "/cms/v3/blogs/posts/schedule")
    assert call.json == {"id": result.external_id, "publishDate": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert fake.posts[str(result.external_id)]["state"] == "SCHEDULED"
    assert not fake.calls_to("POST", r"/cms/v3/blogs/posts/.*/draft/push-live")


def test_first_image_is_featured_when_none_has_the_role(
    make_adapter: AdapterFactory, fake: FakeHubSpot, hero: Asset
) -> None:
    inline = hero.model_copy(update={"role": "inline", "alt_text": "Inline"})
    adapter = make_adapter()
    assets = adapter.upload_assets([inline])
    result = adapter.publish_content(blog_post(campaign=None), assets=assets)
    post = fake.posts[str(result.external_id)]
    assert post["featuredImage"] == assets.results[0].url
    assert post["featuredImageAltText"] == "Inline"
    assert "campaign" not in post


def test_blog_id_from_content_overrides_the_setting(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.blogs.add("999")
    adapter = make_adapter()
    result = adapter.publish_content(blog_post(hubspot={"blog_id": "999", "blog_author_id": 7}))
    post = fake.posts[str(result.external_id)]
    assert post["contentGroupId"] == "999"
    assert post["blogAuthorId"] == "7"


def test_get_status_reports_the_post_state(adapter: object, fake: FakeHubSpot) -> None:
    from marketing_platform_hubspot.platform import HubSpotPlatform

    assert isinstance(adapter, HubSpotPlatform)
    result = adapter.publish_content(blog_post())
    status = adapter.get_status(str(result.external_id))
    assert status.status == "published"
    assert adapter.get_status(f"blog_post:{result.external_id}").metadata["type"] == "BLOG_POST"


def test_replay_finishes_a_draft_instead_of_creating_a_second_post(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    content = blog_post()
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    fake.inject("POST", "/cms/v3/blogs/posts/", 400, {"category": "VALIDATION_ERROR", "message": "nope"})
    with pytest.raises(ContentRejected, match="nope"):  # push-live failed after the create
        adapter.publish_content(content, campaign=campaign)
    assert len(fake.posts) == 1
    found = adapter.find_content(content, campaign)
    assert found is not None
    assert found.status == "draft"  # find_content only reads
    changes = adapter.content_changes(content, found, campaign=campaign)
    assert changes == {"status": {"from": "DRAFT", "to": "PUBLISHED"}}
    finished = adapter.update_content(content, found, changes, campaign=campaign)
    assert finished.status == "published"
    assert len(fake.posts) == 1
    assert next(iter(fake.posts.values()))["state"] == "PUBLISHED"
    again = adapter.find_content(content, campaign)
    assert again is not None
    assert adapter.content_changes(content, again, campaign=campaign) == {}


def test_unknown_blog_named_in_the_content_is_content_rejected(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    fake.inject("POST", "/cms/v3/blogs/posts", 404, {"category": "OBJECT_NOT_FOUND", "message": "no blog"})
    content = blog_post(campaign=None, topics=[], hubspot={"blog_id": "999", "blog_author_id": "42"})
    with pytest.raises(ContentRejected) as caught:
        make_adapter().publish_content(content)
    assert [p.field for p in caught.value.problems] == ["hubspot.blog_id", "hubspot.blog_author_id"]
    assert "999" in caught.value.message


def test_unknown_blog_from_settings_is_a_configuration_error(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    from marketing_platform.errors import ConfigurationError

    fake.inject("POST", "/cms/v3/blogs/posts", 404, {"category": "OBJECT_NOT_FOUND", "message": "no blog"})
    with pytest.raises(ConfigurationError, match="HUBSPOT_BLOG_ID"):
        make_adapter().publish_content(blog_post(campaign=None, topics=[]))


def test_blog_settings_tags_and_lists_are_looked_up_once_per_adapter_for_a_while(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    from .conftest import email

    adapter = make_adapter()
    for index in range(3):
        content = blog_post(id=f"post-{index}", campaign=None, topics=["Launch"])
        assert adapter.find_content(content, None) is None
        adapter.publish_content(content)
        mail = email(id=f"mail-{index}", campaign=None, hubspot={"publish_email": False})
        adapter.publish_content(mail)
    assert len(fake.calls_to("GET", r"/cms/v3/blog-settings/settings/.*")) == 1
    assert len(fake.calls_to("GET", "/cms/v3/blogs/tags")) == 1
    assert len(fake.calls_to("GET", r"/crm/v3/lists/object-type-id/.*")) == 1  # then created: remembered
    assert len(fake.calls_to("POST", "/crm/v3/lists")) == 1
    clock.advance(301)  # the look-ups are trusted for five minutes only
    adapter.find_content(blog_post(id="post-9", campaign=None), None)
    assert len(fake.calls_to("GET", r"/cms/v3/blog-settings/settings/.*")) == 2

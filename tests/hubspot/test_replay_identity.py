"""Replay finds what an earlier attempt created by the content's identity (its id), not
its title: a post by its slug in its blog, an email by its unique name, with or without
a campaign."""

from __future__ import annotations

from typing import Any

import pytest

from marketing_platform.errors import PermissionDenied
from marketing_platform.models import Content

from .conftest import BLOG_ID, AdapterFactory, blog_post, email
from .fake_hubspot import FakeHubSpot


def _post(content_id: str, body: str, **overrides: Any) -> Content:
    return blog_post(id=content_id, title="Weekly update", body=body, campaign=None, **overrides)


def test_blog_post_slug_is_the_content_id_unless_given(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    first = adapter.publish_content(_post("week-1", "<p>1</p>"))
    second = adapter.publish_content(_post("week-2", "<p>2</p>", hubspot={"slug": "news/second"}))
    assert fake.posts[str(first.external_id)]["slug"] == "week-1"
    assert fake.posts[str(second.external_id)]["slug"] == "news/second"


def test_replay_does_not_take_another_contents_post_of_the_same_title(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    adapter.publish_content(_post("week-1", "<p>week 1</p>"))
    week_2 = _post("week-2", "<p>week 2</p>")
    assert adapter.find_content(week_2, None) is None
    result = adapter.publish_content(week_2)
    assert len(fake.posts) == 2
    assert fake.posts[str(result.external_id)]["postBody"] == "<p>week 2</p>"


def test_replay_finds_the_post_by_slug_and_blog_and_finishes_it(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    content = _post("week-3", "<p>3</p>", hubspot={"slug": "weekly/week-3"})
    adapter.publish_content(content)
    (created,) = fake.posts.values()
    created["state"] = "DRAFT"  # as if the attempt stopped before push-live
    # A post of the same slug in another blog is not ours.
    fake.posts["9999"] = {**created, "id": "9999", "contentGroupId": "7654321"}
    found = adapter.find_content(content, None)
    assert found is not None
    assert found.external_id == created["id"]
    assert found.status == "published"
    assert created["state"] == "PUBLISHED"
    assert fake.posts["9999"]["state"] == "DRAFT"
    lookups = fake.calls_to("GET", "/cms/v3/blogs/posts")
    assert lookups[-1].query["contentGroupId"] == BLOG_ID


def test_email_names_are_unique_per_content(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    adapter = make_adapter()
    one = adapter.publish_content(email(id="april-a", campaign=None, audience=None))
    two = adapter.publish_content(email(id="april-b", campaign=None, audience=None))
    names = {fake.emails[str(one.external_id)]["name"], fake.emails[str(two.external_id)]["name"]}
    assert len(names) == 2
    assert all("April newsletter" in name for name in names)
    named = adapter.publish_content(
        email(id="april-c", campaign=None, audience=None, hubspot={"email_name": "Internal: April C"})
    )
    assert fake.emails[str(named.external_id)]["name"] == "Internal: April C"


def test_replay_does_not_take_another_contents_email_of_the_same_title(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    first = email(id="april-a")
    assert first.campaign is not None
    campaign = adapter.create_campaign(first.campaign)
    adapter.publish_content(first, campaign=campaign)
    assert adapter.find_content(email(id="april-b"), campaign) is None
    assert adapter.find_content(email(id="april-b"), None) is None


def test_email_without_campaign_is_found_on_replay_not_duplicated(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    content = email(id="no-campaign-mail", campaign=None, audience=None)
    fake.email_publish_allowed = False
    with pytest.raises(PermissionDenied):  # the draft stays
        adapter.publish_content(content)
    (draft,) = fake.emails.values()
    # Many newer emails: the lookup has to page through GET /marketing/v3/emails.
    for index in range(150):
        fake.emails[str(50_000 + index)] = {"id": str(50_000 + index), "name": f"Other {index}"}
    fake.email_publish_allowed = True
    found = adapter.find_content(content, None)
    assert found is not None
    assert found.external_id == draft["id"]
    assert found.status == "published"
    assert len([e for e in fake.emails.values() if e["name"] == draft["name"]]) == 1
    pages = fake.calls_to("GET", "/marketing/v3/emails/?")
    assert len(pages) >= 2
    assert all(page.query.get("limit") for page in pages)


def test_email_with_campaign_is_found_by_name_even_if_not_attached(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    content = email(id="april-d", audience=None)
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    created = adapter.publish_content(content, campaign=campaign)
    fake.campaign_assets.clear()  # HubSpot lost the association
    found = adapter.find_content(content, campaign)
    assert found is not None
    assert found.external_id == created.external_id
    assert len(fake.emails) == 1

"""A re-activation (or a replay) finds what an earlier run created by the content's
identity (its id), never its title: a post by its slug in its blog (exactly the slug, or
exactly the blog's path + ``/`` + the slug, never by containment), an email by its name
ending in ``[CONTENT ID]`` (so a title edit still finds it), with or without a campaign.
Finding only reads; finishing what an attempt left half-done is an update."""

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
    assert found.status == "draft"
    changes = adapter.content_changes(content, found)
    assert set(changes or {}) == {"status"}
    assert adapter.update_content(content, found, changes or {}).status == "published"
    assert created["state"] == "PUBLISHED"
    assert fake.posts["9999"]["state"] == "DRAFT"
    lookups = fake.calls_to("GET", "/cms/v3/blogs/posts")
    assert lookups[-1].query["contentGroupId__eq"] == BLOG_ID


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
    assert found.status == "draft"
    changes = adapter.content_changes(content, found)
    assert adapter.update_content(content, found, changes or {}).status == "sent"
    assert len([e for e in fake.emails.values() if e["name"] == draft["name"]]) == 1
    assert [email_id for email_id, _ in fake.sends] == [draft["id"]]
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


def _stored_post(fake: FakeHubSpot, post_id: str, slug: str, blog: str = BLOG_ID) -> None:
    fake.posts[post_id] = {
        "id": post_id,
        "name": f"Post {slug}",
        "slug": slug,
        "contentGroupId": blog,
        "state": "PUBLISHED",
        "postBody": "<p>someone else's</p>",
    }


@pytest.mark.parametrize(
    ("blog_path", "stored", "found"),
    [
        ("blog", "launch", True),  # the slug exactly
        ("blog", "blog/launch", True),  # the blog's path + / + the slug
        ("news", "news/launch", True),
        ("", "launch", True),  # a blog at the domain's root
        ("blog", "spring-launch", False),  # containment is not identity
        ("blog", "blog/2023/launch", False),  # ends with /launch: not ours either
        ("blog", "launch-2", False),
        ("news", "blog/launch", False),  # another path than this blog's
    ],
)
def test_a_post_is_ours_only_by_its_exact_slug(
    make_adapter: AdapterFactory, fake: FakeHubSpot, blog_path: str, stored: str, found: bool
) -> None:
    fake.blog_paths[BLOG_ID] = blog_path
    _stored_post(fake, "5001", stored)
    result = make_adapter().find_content(_post("launch", "<p>ours</p>"), None)
    assert (result is not None) is found, f"a post with slug {stored!r} in a blog at {blog_path!r} " + (
        "is content 'launch''s post" if found else "must not be taken as content 'launch''s post"
    )
    if found:
        assert result is not None
        assert result.external_id == "5001"


def test_launch_does_not_take_over_spring_launch_nor_an_older_launch(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    _stored_post(fake, "5001", "spring-launch")
    _stored_post(fake, "5002", "blog/2023/launch")
    adapter = make_adapter()
    content = _post("launch", "<p>ours</p>", topics=[])
    assert adapter.find_content(content, None) is None
    created = adapter.publish_content(content)
    assert created.external_id not in {"5001", "5002"}
    assert fake.posts["5001"]["postBody"] == fake.posts["5002"]["postBody"] == "<p>someone else's</p>"
    assert not fake.calls_to("PATCH", r"/cms/v3/blogs/posts/500[12].*")
    # The look-up used HubSpot's documented filters, and only narrowed with them.
    (lookup, *_) = fake.calls_to("GET", "/cms/v3/blogs/posts")
    assert lookup.query == {"slug__icontains": "launch", "contentGroupId__eq": BLOG_ID, "limit": "100"}


def test_a_post_hubspot_stored_under_the_blog_path_is_found_again(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    fake.slug_with_blog_path = True  # HubSpot answers slug "blog/launch" for slug "launch"
    adapter = make_adapter()
    content = _post("launch", "<p>ours</p>", topics=[])
    created = adapter.publish_content(content)
    assert fake.posts[str(created.external_id)]["slug"] == "blog/launch"
    found = make_adapter().find_content(content, None)
    assert found is not None
    assert found.external_id == created.external_id
    assert make_adapter().content_changes(content, found) == {}


def test_an_email_is_found_by_its_content_id_after_a_title_edit(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    fake.emails["7001"] = {"id": "7001", "name": "Spring newsletter [spring-launch]", "state": "DRAFT"}
    first = email(id="launch", campaign=None, audience=None, hubspot={"publish_email": False})
    created = adapter.publish_content(first)
    assert fake.emails[str(created.external_id)]["name"] == "April newsletter [launch]"
    retitled = first.model_copy(update={"title": "May newsletter"})
    found = make_adapter().find_content(retitled, None)
    assert found is not None
    assert found.external_id == created.external_id  # not 7001: [launch] is not [spring-launch]
    changes = make_adapter().content_changes(retitled, found)
    assert changes == {"title": {"from": "April newsletter [launch]", "to": "May newsletter [launch]"}}


def test_an_email_of_another_content_is_not_ours(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.emails["7001"] = {"id": "7001", "name": "Launch news [spring-launch]", "state": "PUBLISHED"}
    fake.emails["7002"] = {"id": "7002", "name": "Launch [launch] old copy", "state": "PUBLISHED"}
    assert make_adapter().find_content(email(id="launch", campaign=None, audience=None), None) is None

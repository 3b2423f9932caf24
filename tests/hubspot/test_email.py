"""Marketing email end to end: lists resolved/created, sender fields, campaign, publish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketing_platform.errors import ContentRejected, PermissionDenied, PlatformUnavailable

from .conftest import AdapterFactory, email
from .fake_hubspot import FakeClock, FakeHubSpot


def _existing_list(fake: FakeHubSpot, name: str) -> str:
    list_id = "777"
    fake.lists[list_id] = {
        "listId": list_id,
        "name": name,
        "objectTypeId": "0-1",
        "processingType": "DYNAMIC",
    }
    return list_id


def test_email_end_to_end_with_existing_and_created_lists(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    existing = _existing_list(fake, "Newsletter subscribers")
    content = email(audience={"lists": ["Newsletter subscribers", "Spring leads"], "create_missing": True})
    adapter = make_adapter()
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    result = adapter.publish_content(content, campaign=campaign)

    assert result.status == "sent"  # sendOnPublish: publishing sends it
    assert result.sent_at is not None
    assert result.recipients == ["Newsletter subscribers", "Spring leads"]
    created = next(i for i in fake.lists.values() if i["name"] == "Spring leads")
    assert created["processingType"] == "MANUAL"
    assert created["objectTypeId"] == "0-1"
    (create_list,) = fake.calls_to("POST", "/crm/v3/lists")
    assert create_list.json == {"name": "Spring leads", "objectTypeId": "0-1", "processingType": "MANUAL"}

    sent = fake.emails[str(result.external_id)]
    assert sent["subject"] == "What's new in April"
    assert sent["from"] == {
        "fromName": "Acme Marketing",
        "replyTo": "news@acme.example",
        "customReplyTo": "support@acme.example",
    }
    assert sent["content"]["templatePath"] == "@hubspot/email/dnd/welcome.html"
    assert "<p>News</p>" in str(sent["content"]["widgets"])
    assert sent["campaign"] == campaign.external_id
    assert sent["to"]["contactIlsLists"]["include"] == [existing, created["listId"]]
    assert sent["state"] == "PUBLISHED"
    attached = fake.campaign_assets[str(campaign.external_id)]
    assert attached["MARKETING_EMAIL"] == [result.external_id]
    assert attached["OBJECT_LIST"] == [existing, created["listId"]]
    assert len(fake.calls_to("POST", r"/marketing/v3/emails/.*/publish")) == 1
    assert [email_id for email_id, _ in fake.sends] == [result.external_id]


def test_same_reply_to_is_not_sent_as_custom_reply_to(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    content = email(
        email={"subject": "Hi", "from_email": "news@acme.example", "reply_to": "news@acme.example"},
        campaign=None,
    )
    result = make_adapter().publish_content(content)
    assert fake.emails[str(result.external_id)]["from"] == {"replyTo": "news@acme.example"}


def test_missing_list_without_create_missing_names_the_list(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    content = email(audience={"lists": ["Newsletter subscribers", "VIP customers"], "create_missing": False})
    _existing_list(fake, "Newsletter subscribers")
    with pytest.raises(ContentRejected, match="VIP customers") as caught:
        make_adapter().publish_content(content)
    assert "create_missing" in str(caught.value.hint)
    assert [p.field for p in caught.value.problems] == ["audience.lists[1]"]
    assert not fake.emails
    assert not fake.calls_to("POST", "/crm/v3/lists")


def test_publish_403_names_the_tier_and_leaves_a_draft(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    fake.email_publish_allowed = False
    with pytest.raises(PermissionDenied) as caught:
        make_adapter().publish_content(email())
    error = caught.value
    assert error.code == "tier"
    assert "Marketing Hub Enterprise" in str(error.hint)
    assert "draft" in error.message
    assert error.request_id
    (draft,) = fake.emails.values()
    assert draft["state"] == "DRAFT"


def test_publish_email_false_keeps_a_draft(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    result = make_adapter().publish_content(email(hubspot={"publish_email": False}))
    assert result.status == "draft"
    assert not fake.calls_to("POST", r"/marketing/v3/emails/.*/publish")


def test_scheduled_email_sets_publish_date(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    when = datetime.fromtimestamp(clock(), UTC) + timedelta(hours=5)
    result = make_adapter().publish_content(email(schedule_at=when.isoformat()))
    sent = fake.emails[str(result.external_id)]
    assert sent["publishDate"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sent["state"] == "SCHEDULED"
    assert result.status == "scheduled"


def test_replay_finds_the_email_through_the_campaign(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    adapter = make_adapter()
    content = email()
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    fake.inject("POST", "/marketing/v3/emails/", 503, {"message": "down"}, times=5)
    with pytest.raises(PlatformUnavailable, match="down"):  # created, then publish kept failing
        adapter.publish_content(content, campaign=campaign)
    writes = len([c for c in fake.calls if c.method != "GET"])
    found = adapter.find_content(content, campaign)
    assert found is not None
    assert found.status == "draft"  # looked up only: finding writes nothing
    assert len([c for c in fake.calls if c.method != "GET"]) == writes
    changes = adapter.content_changes(content, found, campaign=campaign)
    assert set(changes or {}) == {"status"}
    finished = adapter.update_content(content, found, changes or {}, campaign=campaign)
    assert finished.status == "sent"
    assert len(fake.emails) == 1
    assert len(fake.sends) == 1


def test_unknown_template_is_content_rejected(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    fake.inject(
        "POST", "/marketing/v3/emails", 404, {"category": "OBJECT_NOT_FOUND", "message": "no template"}
    )
    with pytest.raises(ContentRejected) as caught:
        make_adapter().publish_content(email(campaign=None, audience=None))
    assert [p.field for p in caught.value.problems] == ["email.template"]

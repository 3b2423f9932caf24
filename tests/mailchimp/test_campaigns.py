"""Campaigns: created, filled, sent or scheduled; found again by title; never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketing_platform.errors import ContentRejected, PlatformUnavailable
from marketing_platform.models import CampaignSpec
from marketing_platform_mailchimp import MailchimpPlatform

from .conftest import MakeAdapter, email
from .fake_mailchimp import FakeMailchimp


def test_campaign_created_filled_and_sent(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    content = email(campaign={"name": "March 2026 newsletter"})
    campaign = adapter.create_campaign(adapter.mapper.campaign_spec(content))
    result = adapter.publish_content(content, campaign=campaign)

    assert result.status == "sent"
    assert result.sent_at is not None
    assert result.recipients == ["Newsletter subscribers"]
    assert result.external_id == campaign.external_id
    created = fake.calls("POST", "/campaigns")[0].body
    title = "March 2026 newsletter / march-newsletter"
    # one create with the recipients and settings (no PATCH after it), nothing read back
    list_id = next(k for k, v in fake.lists.items() if v["name"] == "Newsletter subscribers")
    assert created == {
        "type": "regular",
        "recipients": {"list_id": list_id},
        "settings": {
            "title": title,
            "subject_line": "March news",
            "from_name": "Acme",
            "reply_to": "news@acme.example",
            "preview_text": "What is new in March",
        },
    }
    assert fake.calls("PATCH") == []
    assert [r.path for r in fake.calls("GET", "/campaigns")] == ["/campaigns"]  # the look-up by title
    stored = fake.campaigns[str(campaign.external_id)]
    assert stored["status"] == "sent"
    assert fake.lists[stored["recipients"]["list_id"]]["name"] == "Newsletter subscribers"
    assert stored["settings"] == {
        "title": title,
        "subject_line": "March news",
        "from_name": "Acme",
        "reply_to": "news@acme.example",
        "preview_text": "What is new in March",
    }
    assert fake.contents[stored["id"]]["html"] == "<h1>March</h1><p>News.</p>"
    assert fake.sends == [stored["id"]]
    assert adapter.get_status(stored["id"]).status == "sent"


def test_recipients_are_the_named_audience(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    result = adapter.publish_content(email())
    list_id = next(k for k, v in fake.lists.items() if v["name"] == "Newsletter subscribers")
    assert fake.campaigns[str(result.external_id)]["recipients"] == {"list_id": list_id}
    assert result.metadata["list_id"] == list_id


def test_without_a_campaign_the_content_id_titles_it(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    result = adapter.publish_content(email())
    assert fake.campaigns[str(result.external_id)]["settings"]["title"] == "march-newsletter"


def test_scheduled_send(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    when = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    result = adapter.publish_content(email(schedule_at=when.isoformat()))
    assert result.status == "scheduled"
    assert result.scheduled_at == when
    schedule = fake.calls("POST", f"/campaigns/{result.external_id}/actions/schedule")
    assert schedule[0].body == {"schedule_time": "2026-03-02T09:15:00+00:00"}
    assert not fake.sends
    assert adapter.get_status(str(result.external_id)).status == "scheduled"


def test_schedule_off_the_quarter_hour_is_refused_before_any_request(
    adapter: MailchimpPlatform, fake: FakeMailchimp
) -> None:
    content = email(schedule_at="2026-03-02T09:10:00Z")
    problems = adapter.mapper.problems(content)
    assert [p.field for p in problems] == ["schedule_at"]
    with pytest.raises(ContentRejected):
        adapter.publish_content(content)
    assert not fake.requests


def test_campaign_is_found_by_title_not_created_twice(make_adapter: MakeAdapter, fake: FakeMailchimp) -> None:
    spec = CampaignSpec(name="Spring Launch 2026")
    first = make_adapter().create_campaign(spec)
    again = make_adapter().create_campaign(spec)
    assert again.reused
    assert again.external_id == first.external_id
    assert fake.counts()["campaigns"] == 1


def test_finding_pages_through_campaigns(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    adapter.create_campaign(CampaignSpec(name="one"))
    adapter.create_campaign(CampaignSpec(name="two"))
    lookups = fake.calls("GET", "/campaigns")
    assert lookups[0].query["count"] == ["1000"]
    assert lookups[0].query["offset"] == ["0"]


def test_a_sent_campaign_is_not_sent_again(make_adapter: MakeAdapter, fake: FakeMailchimp) -> None:
    content = email()
    first = make_adapter().publish_content(content)
    replayed = make_adapter()
    assert replayed.find_content(content, None) is not None
    second = replayed.publish_content(content)
    assert second.external_id == first.external_id
    assert second.warnings
    assert len(fake.sends) == 1


def test_a_draft_is_completed_on_replay(make_adapter: MakeAdapter, fake: FakeMailchimp) -> None:
    content = email()
    fake.fail_next(503, method="PUT", times=5)  # every attempt of one PUT
    with pytest.raises(PlatformUnavailable):
        make_adapter().publish_content(content)
    again = make_adapter()
    found = again.find_content(content, None)
    assert found is not None
    assert found.status == "draft"  # filled in part, not yet sent
    changes = again.content_changes(content, found)
    assert changes is not None
    assert sorted(changes) == ["body", "status"]
    result = again.update_content(content, found, changes)
    assert result.status == "sent"
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}
    assert fake.html(str(result.external_id)) == content.body


def test_segment_narrows_the_audience(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    list_id = fake.add_audience("Customers", segments=["VIP"])
    segment_id = fake.lists[list_id]["segments"][0]["id"]
    content = email(audience={"lists": ["Customers"]}, platform_options={"mailchimp": {"segment": "VIP"}})
    result = adapter.publish_content(content)
    recipients = fake.campaigns[str(result.external_id)]["recipients"]
    assert recipients == {"list_id": list_id, "segment_opts": {"saved_segment_id": segment_id}}

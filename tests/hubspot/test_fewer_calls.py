"""Issue 15: a bulk of emails sharing a campaign and a list costs fewer calls per email,
without giving up identity. A campaign found by name is remembered briefly (forgotten
when the adapter creates or updates one); a list is linked to a campaign once per
adapter; a campaign the adapter just created has its email list left unread; and the
account's emails are paged once (kept as an index), later look-ups reading only the
emails created since. An email of the content anywhere in the account is still found."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import ContentRejected
from marketing_platform.log import ActivationLog
from marketing_platform.models import CampaignSpec, Content
from marketing_platform_hubspot.platform import HubSpotPlatform

from .conftest import AdapterFactory, email
from .fake_hubspot import FakeClock, FakeHubSpot

EMAILS = "/marketing/v3/emails"


def _listings(fake: FakeHubSpot) -> list[dict[str, str]]:
    return [c.query for c in fake.calls_to("GET", EMAILS + "/?")]


def _newsletters(count: int, **overrides: object) -> list[Content]:
    return [email(id=f"issue-{i:02d}", title=f"Issue {i}", **overrides) for i in range(count)]


def _activate_all(adapter: HubSpotPlatform, contents: list[Content], tmp_path: Path) -> None:
    """One after the other through one adapter and log (a bulk, in a countable order)."""
    log = ActivationLog(tmp_path / f"log-{len(list(tmp_path.iterdir()))}.sqlite3")
    with Activator(activation_log=log, platform_factory=lambda _name: adapter, fallback=[]) as activator:
        results = [activator.activate(content, "hubspot") for content in contents]
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]


def test_a_bulk_reads_the_campaign_once_and_links_its_list_once(
    make_adapter: AdapterFactory, fake: FakeHubSpot, tmp_path: Path
) -> None:
    _activate_all(make_adapter(), _newsletters(6), tmp_path)
    (guid,) = fake.campaigns
    assert len(fake.emails) == 6
    assert len(fake.sends) == 6
    assert sorted(fake.campaign_assets[guid]["MARKETING_EMAIL"]) == sorted(fake.emails)
    (list_id,) = fake.campaign_assets[guid]["OBJECT_LIST"]
    # one look-up that missed, the create, then one that found it and was remembered
    assert len(fake.calls_to("GET", "/marketing/v3/campaigns/?")) == 2
    assert len(fake.calls_to("PUT", f"/marketing/v3/campaigns/{guid}/assets/OBJECT_LIST/{list_id}")) == 1
    # the first email's campaign was just made: its email list was not read
    assert len(fake.calls_to("GET", f"/marketing/v3/campaigns/{guid}/assets/MARKETING_EMAIL")) == 5
    # one listing of the account per email: whole (empty, then one email), then since
    listed = _listings(fake)
    assert len(listed) == 6
    assert [("createdAfter" in q) for q in listed] == [False, False, True, True, True, True]


def test_a_campaign_remembered_by_name_is_forgotten_when_the_adapter_changes_one(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    adapter = make_adapter()
    spec = CampaignSpec(name="Spring 2026", description="first")
    assert adapter.find_campaign(spec.name) is None  # a miss is not remembered
    created = adapter.create_campaign(spec)
    found = adapter.find_campaign(spec.name)
    assert found is not None
    assert found.external_id == created.external_id
    assert adapter.find_campaign(spec.name) is found  # remembered: no request
    lookups = len(fake.calls_to("GET", "/marketing/v3/campaigns/?"))
    edited = spec.model_copy(update={"description": "second"})
    adapter.update_campaign(edited, found, adapter.campaign_changes(edited, found) or {})
    again = adapter.find_campaign(spec.name)
    assert again is not None
    assert again.metadata["properties"]["hs_notes"] == "second"
    assert len(fake.calls_to("GET", "/marketing/v3/campaigns/?")) == lookups + 1


def _old_email(fake: FakeHubSpot, content_id: str, *, newer: int) -> str:
    """An email of ``content_id`` made long ago under another campaign, and ``newer``
    emails of other contents made after it (so it is not on the listing's first page)."""
    email_id = "40000"
    fake.emails[email_id] = {
        "id": email_id,
        "name": f"Old title [{content_id}]",
        "state": "DRAFT",
        "createdAt": "2025-06-01T00:00:00.000Z",
        "subject": "old",
    }
    for index in range(newer):
        other = str(41_000 + index)
        fake.emails[other] = {
            "id": other,
            "name": f"Other {index}",
            "state": "PUBLISHED",
            "createdAt": f"2025-07-{1 + index // 24:02d}T{index % 24:02d}:00:00.000Z",
        }
    return email_id


@pytest.mark.parametrize("campaign", ["reused", "created here"])
def test_an_email_made_under_another_campaign_is_found_through_the_index(
    make_adapter: AdapterFactory, fake: FakeHubSpot, campaign: str
) -> None:
    """The content moved to another campaign: its email (older than the newest 150, in
    no campaign asked) is found, from the index a bulk's earlier miss built."""
    old = _old_email(fake, "moved-mail", newer=150)
    adapter = make_adapter()
    spec = CampaignSpec(name="Newsletter 2027")
    if campaign == "reused":
        adapter.create_campaign(spec)
        adapter = make_adapter()
    made = adapter.create_campaign(spec)
    assert made.reused is (campaign == "reused")
    # an earlier content of the bulk: nothing found, the listing is kept
    assert adapter.find_content(email(id="another-mail"), made) is None
    pages = len(_listings(fake))
    found = adapter.find_content(email(id="moved-mail", campaign={"name": spec.name}), made)
    assert found is not None
    assert found.external_id == old
    assert [("createdAfter" in q) for q in _listings(fake)[pages:]] == [True]
    assert len(fake.calls_to("GET", f"{EMAILS}/{old}")) == 1


def test_an_email_created_by_someone_else_since_the_listing_is_found(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock
) -> None:
    _old_email(fake, "unrelated", newer=3)
    adapter = make_adapter()
    campaign = adapter.create_campaign(CampaignSpec(name="Newsletter 2026"))
    assert adapter.find_content(email(id="first-mail"), campaign) is None  # builds the index
    clock.advance(30)
    # another process activating the same content made its email meanwhile, unattached
    fake.emails["42000"] = {
        "id": "42000",
        "name": "Late [late-mail]",
        "state": "DRAFT",
        "createdAt": "2026-01-01T00:00:30.000Z",
    }
    found = adapter.find_content(email(id="late-mail"), campaign)
    assert found is not None
    assert found.external_id == "42000"


def test_an_email_deleted_since_the_listing_is_not_taken(
    make_adapter: AdapterFactory, fake: FakeHubSpot
) -> None:
    old = _old_email(fake, "gone-mail", newer=3)
    adapter = make_adapter()
    assert adapter.find_content(email(id="first-mail", campaign=None), None) is None  # the index
    del fake.emails[old]
    assert adapter.find_content(email(id="gone-mail", campaign=None), None) is None
    assert adapter.find_content(email(id="gone-mail", campaign=None), None) is None
    assert len(fake.calls_to("GET", f"{EMAILS}/{old}")) == 1  # then forgotten


@pytest.mark.parametrize("replay", ["same adapter", "new adapter"])
def test_an_email_created_but_never_attached_is_found_on_replay(
    make_adapter: AdapterFactory, fake: FakeHubSpot, replay: str
) -> None:
    """The campaign was created by this activation (``reused`` False, as the log keeps
    it), the email created, its attachment refused: a replay finds that email."""
    adapter = make_adapter()
    content = email(id="unattached-mail", audience=None)
    assert content.campaign is not None
    campaign = adapter.create_campaign(content.campaign)
    assert adapter.find_content(content, campaign) is None
    fake.inject(
        "PUT", "/marketing/v3/campaigns/", 400, {"message": "refused", "category": "VALIDATION_ERROR"}
    )
    with pytest.raises(ContentRejected):
        adapter.publish_content(content, campaign=campaign)
    (created,) = fake.emails
    again = adapter if replay == "same adapter" else make_adapter()
    found = again.find_content(content, campaign)  # the campaign step from the log
    assert found is not None
    assert found.external_id == created
    assert found.status == "draft"

"""Activation is a sync (issue 10), through the real pipeline against the fake: activating
again creates nothing and writes nothing, an edit updates the one object in place, a sent
email is never touched again, a scheduled one is updated and rescheduled, and images in
the body are uploaded once and linked. Each test asserts what the fake holds and the
write requests it received; "fresh" runs use a new activation log (found on HubSpot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.errors import ContentRejected
from marketing_platform.log import ActivationLog
from marketing_platform.models import CampaignSpec, Content
from marketing_platform.registry import Registry
from marketing_platform.testing import png_bytes
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings

from .conftest import BLOG_ID, LOOPBACK, TOKEN
from .fake_hubspot import Call, FakeClock, FakeHubSpot

SENT_LINE = "give the content a new id to send a new email"


@dataclass
class Run:
    result: ActivationResult
    writes: list[Call]

    @property
    def publish(self) -> Any:
        assert self.result.publish is not None, self.result.error
        return self.result.publish

    def written(self) -> list[tuple[str, str]]:
        return [(c.method, c.path) for c in self.writes]


Activate = Callable[..., Run]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "hero.png").write_bytes(png_bytes(2, 2))
    (tmp_path / "images" / "chart.png").write_bytes(png_bytes(3, 1))
    return tmp_path


@pytest.fixture
def activate(fake: FakeHubSpot, clock: FakeClock, folder: Path) -> Activate:
    """``activate(content, log="main")``: one activation through the pipeline (a new
    adapter each time, like a new ``mplat`` process) with the activation log ``log``."""

    def run(content: Content, log: str = "main") -> Run:
        settings = HubSpotSettings(access_token=TOKEN, base_url=LOOPBACK, blog_id=BLOG_ID)

        def factory(name: str) -> HubSpotPlatform:
            transport = httpx.WSGITransport(app=fake)
            return HubSpotPlatform(settings, transport=transport, clock=clock, sleep=clock.sleep)

        mark = len(fake.calls)
        with Activator(
            registry=Registry(),
            activation_log=ActivationLog(folder / f"{log}.sqlite3"),
            platform_factory=factory,
            fallback=[],
        ) as activator:
            result = activator.activate(content, "hubspot", asset_root=folder)
        return Run(result, [c for c in fake.calls[mark:] if c.method != "GET"])

    return run


def _post(**overrides: Any) -> Content:
    data: dict[str, Any] = {
        "id": "spring-launch-2026",
        "kind": "blog_post",
        "title": "Spring launch",
        "summary": "Everything new this spring",
        "body": "<p>Hello</p>",
        "topics": ["Product News", "Launch"],
        "assets": [{"path": "images/hero.png", "alt_text": "A rocket", "role": "featured"}],
        "campaign": {
            "name": "Spring Launch 2026",
            "description": "Q2 launch",
            "start_date": "2026-04-01",
            "end_date": "2026-04-30",
            "costs": [{"start_date": "2026-04-01", "amount": 2000, "note": "Paid social"}],
        },
    }
    data.update(overrides)
    return Content.model_validate(data)


def _email(**overrides: Any) -> Content:
    data: dict[str, Any] = {
        "id": "newsletter-2026-04",
        "kind": "email",
        "title": "April newsletter",
        "body": "<p>News</p>",
        "email": {
            "template": "@hubspot/email/dnd/welcome.html",
            "subject": "What's new in April",
            "from_name": "Acme Marketing",
            "from_email": "news@acme.example",
        },
        "audience": {"lists": ["Newsletter subscribers"], "create_missing": True},
        "campaign": {"name": "Newsletter 2026"},
    }
    data.update(overrides)
    return Content.model_validate(data)


def _later(clock: FakeClock, **delta: float) -> str:
    return (datetime.fromtimestamp(clock(), UTC) + timedelta(**delta)).isoformat()


# --------------------------------------------------------------------- twice
@pytest.mark.parametrize("log", ["main", "fresh"])
def test_a_blog_post_activated_twice_is_one_post_and_the_second_run_writes_nothing(
    activate: Activate, fake: FakeHubSpot, log: str
) -> None:
    first = activate(_post())
    assert first.result.ok, first.result.error
    assert first.publish.action == "created"
    again = activate(_post(), log=log)
    assert again.result.ok, again.result.error
    assert again.written() == [], "an unchanged re-activation must send no write request"
    assert again.publish.action == "unchanged"
    assert again.publish.external_id == first.publish.external_id
    assert again.result.campaign is not None
    assert again.result.campaign.action == "unchanged"
    assert again.result.assets is not None
    assert again.result.assets.results[0].url == first.result.assets.results[0].url  # type: ignore[union-attr]
    assert again.result.assets.action == "unchanged"  # a fresh log: found on HubSpot by MD5
    assert (len(fake.posts), len(fake.campaigns), len(fake.files), len(fake.tags)) == (1, 1, 1, 2)
    assert len(next(iter(fake.budget.values()))) == 1


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_a_sent_email_is_blocked_and_never_sent_again(
    activate: Activate, fake: FakeHubSpot, log: str
) -> None:
    first = activate(_email())
    assert first.publish.status == "sent"
    assert len(fake.sends) == 1
    again = activate(_email(), log=log)
    assert again.result.record.state == "blocked"
    assert again.written() == []
    assert len(fake.sends) == 1
    assert len(fake.emails) == 1
    assert again.result.error is not None
    message = again.result.error["message"]
    assert "already sent on" in message
    assert "to Newsletter subscribers" in message
    assert SENT_LINE in message
    # An edit to a sent email is refused the same way: nothing written, nothing sent.
    edited = activate(_email(body="<p>Corrected</p>"), log=log)
    assert edited.result.record.state == "blocked"
    assert edited.written() == []
    assert len(fake.sends) == 1


@pytest.mark.parametrize("log", ["main", "fresh"])
@pytest.mark.parametrize("kind", ["draft", "scheduled"])
def test_an_email_not_sent_activated_twice_writes_nothing(
    activate: Activate, fake: FakeHubSpot, clock: FakeClock, log: str, kind: str
) -> None:
    content = (
        _email(hubspot={"publish_email": False})
        if kind == "draft"
        else _email(schedule_at=_later(clock, days=2))
    )
    first = activate(content)
    assert first.publish.status == kind
    again = activate(content, log=log)
    assert again.result.ok, again.result.error
    assert again.written() == []
    assert again.publish.action == "unchanged"
    assert again.publish.status == kind
    assert len(fake.emails) == 1
    assert fake.sends == []


# ---------------------------------------------------------------------- edits
@pytest.mark.parametrize("log", ["main", "fresh"])
def test_an_edited_blog_post_is_updated_in_place(activate: Activate, fake: FakeHubSpot, log: str) -> None:
    first = activate(_post())
    edited = _post(
        title="Spring launch, revised",
        body="<p>Hello again</p>",
        summary="All of spring",
        topics=["Product News", "Events"],
    )
    again = activate(edited, log=log)
    assert again.result.ok, again.result.error
    assert again.publish.action == "updated"
    assert again.publish.changed == ["body", "summary", "title", "topics"]
    assert again.publish.external_id == first.publish.external_id
    (post,) = fake.posts.values()
    assert (post["name"], post["htmlTitle"], post["postBody"]) == (
        "Spring launch, revised",
        "Spring launch, revised",
        "<p>Hello again</p>",
    )
    assert post["postSummary"] == post["metaDescription"] == "All of spring"
    names = {int(t["id"]): t["name"] for t in fake.tags.values()}
    assert sorted(names[t] for t in post["tagIds"]) == ["Events", "Product News"]
    assert post["state"] == "PUBLISHED"
    # HubSpot edits a post through its draft, then the draft goes live: nothing else.
    assert again.written() == [
        ("POST", "/cms/v3/blogs/tags"),
        ("PATCH", f"/cms/v3/blogs/posts/{post['id']}/draft"),
        ("POST", f"/cms/v3/blogs/posts/{post['id']}/draft/push-live"),
    ]
    patch = again.writes[1].json
    assert set(patch) == {"name", "htmlTitle", "postBody", "postSummary", "metaDescription", "tagIds"}
    third = activate(edited, log=log)
    assert (third.publish.action, third.written()) == ("unchanged", [])


def test_a_scheduled_post_moved_is_rescheduled(
    activate: Activate, fake: FakeHubSpot, clock: FakeClock
) -> None:
    when = _later(clock, days=3)
    first = activate(_post(schedule_at=when))
    assert first.publish.status == "scheduled"
    later = _later(clock, days=5)
    again = activate(_post(schedule_at=later, body="<p>Soon</p>"))
    assert again.publish.action == "updated"
    assert again.publish.changed == ["body", "schedule_at"]
    assert again.publish.status == "scheduled"
    (post,) = fake.posts.values()
    assert post["state"] == "SCHEDULED"
    assert post["publishDate"] == datetime.fromisoformat(later).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert post["postBody"] == "<p>Soon</p>"
    assert [m for m, _ in again.written()] == ["PATCH", "POST"]
    assert again.writes[-1].path == "/cms/v3/blogs/posts/schedule"
    assert not fake.calls_to("POST", r"/cms/v3/blogs/posts/.*/draft/push-live")


def test_a_campaign_edit_reaches_hubspot(activate: Activate, fake: FakeHubSpot) -> None:
    activate(_post())
    campaign = _post().campaign
    assert campaign is not None
    edited = CampaignSpec.model_validate(
        {
            **campaign.model_dump(),
            "description": "Q2 launch, extended",
            "end_date": "2026-05-31",
            "costs": [
                {**campaign.costs[0].model_dump(), "amount": 2500},
                {"start_date": "2026-05-01", "amount": 300, "note": "Venue"},
            ],
        }
    )
    again = activate(_post(campaign=edited.model_dump()))
    assert again.result.ok, again.result.error
    assert again.result.campaign is not None
    assert again.result.campaign.action == "updated"
    assert again.result.campaign.changed == ["campaign.costs", "campaign.description", "campaign.end_date"]
    assert again.publish.action == "unchanged"
    ((guid, stored),) = fake.campaigns.items()
    assert stored["properties"]["hs_notes"] == "Q2 launch, extended"
    assert stored["properties"]["hs_end_date"] == "2026-05-31"
    assert [(i["name"], i["amount"], i["order"]) for i in fake.budget[guid]] == [
        ("Paid social", 2500, 1),
        ("Venue", 300, 2),
    ]
    assert sorted(again.written()) == [
        ("PATCH", f"/marketing/v3/campaigns/{guid}"),
        ("POST", f"/marketing/v3/campaigns/{guid}/budget"),
        ("PUT", f"/marketing/v3/campaigns/{guid}/budget/{fake.budget[guid][0]['id']}"),
    ]
    # Costs dropped and the description removed: the extra budget item goes, the notes are cleared.
    trimmed = edited.model_copy(update={"description": None, "costs": edited.costs[:1]})
    third = activate(_post(campaign=trimmed.model_dump()))
    assert third.result.campaign is not None
    assert third.result.campaign.changed == ["campaign.costs", "campaign.description"]
    assert "hs_notes" not in stored["properties"]
    assert [i["name"] for i in fake.budget[guid]] == ["Paid social"]
    fourth = activate(_post(campaign=trimmed.model_dump()))
    assert fourth.written() == []
    assert fourth.result.campaign is not None
    assert fourth.result.campaign.action == "unchanged"


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_an_edited_draft_email_is_patched_and_stays_a_draft(
    activate: Activate, fake: FakeHubSpot, log: str
) -> None:
    first = activate(_email(hubspot={"publish_email": False}))
    edited = _email(
        title="April newsletter (final)",
        body="<p>Final news</p>",
        email={**_email().email.model_dump(), "subject": "April, final"},  # type: ignore[union-attr]
        hubspot={"publish_email": False},
    )
    again = activate(edited, log=log)
    assert again.publish.action == "updated"
    assert again.publish.changed == ["body", "email.subject", "title"]
    assert again.publish.external_id == first.publish.external_id
    (stored,) = fake.emails.values()
    assert stored["name"] == "April newsletter (final) [newsletter-2026-04]"
    assert stored["subject"] == "April, final"
    assert stored["content"]["widgets"]["main_body"]["body"]["html"] == "<p>Final news</p>"
    assert stored["state"] == "DRAFT"
    assert again.written() == [("PATCH", f"/marketing/v3/emails/{stored['id']}")]
    assert fake.sends == []


def test_a_scheduled_email_edited_is_updated_and_rescheduled_then_blocked_once_sent(
    activate: Activate, fake: FakeHubSpot, clock: FakeClock
) -> None:
    first = activate(_email(schedule_at=_later(clock, days=1)))
    assert first.publish.status == "scheduled"
    later = _later(clock, days=2)
    edited = _email(
        schedule_at=later,
        email={**_email().email.model_dump(), "subject": "April, revised"},  # type: ignore[union-attr]
    )
    again = activate(edited)
    assert again.result.ok, again.result.error
    assert again.publish.action == "updated"
    assert again.publish.changed == ["email.subject", "schedule_at"]
    assert again.publish.status == "scheduled"
    (stored,) = fake.emails.values()
    email_id = stored["id"]
    assert stored["state"] == "SCHEDULED"
    assert stored["subject"] == "April, revised"
    assert stored["publishDate"] == datetime.fromisoformat(later).strftime("%Y-%m-%dT%H:%M:%SZ")
    # HubSpot edits only an email that is not scheduled: cancel, edit, schedule again.
    assert again.written() == [
        ("POST", f"/marketing/v3/emails/{email_id}/unpublish"),
        ("PATCH", f"/marketing/v3/emails/{email_id}"),
        ("POST", f"/marketing/v3/emails/{email_id}/publish"),
    ]
    assert fake.sends == []
    clock.advance(3 * 86400)  # the send time passes: HubSpot sends it
    blocked = activate(edited)  # the same file (its schedule_at now past): found, sent
    assert len(fake.sends) == 1
    assert blocked.result.record.state == "blocked"
    assert blocked.written() == []
    assert blocked.result.error is not None
    assert SENT_LINE in blocked.result.error["message"]
    moved = activate(_email(schedule_at=_later(clock, days=1)))  # moved again: too late
    assert (moved.result.record.state, moved.written(), len(fake.sends)) == ("blocked", [], 1)


def test_a_past_schedule_is_refused_for_a_new_email_before_any_write(
    activate: Activate, fake: FakeHubSpot, clock: FakeClock
) -> None:
    with pytest.raises(ContentRejected, match="schedule_at"):
        activate(_email(schedule_at=_later(clock, hours=-1)))
    assert [c for c in fake.calls if c.method != "GET"] == []
    assert fake.emails == {}


def test_a_scheduled_email_whose_time_passed_is_blocked(
    activate: Activate, fake: FakeHubSpot, clock: FakeClock
) -> None:
    activate(_email(schedule_at=_later(clock, hours=1)))
    clock.advance(7200)
    again = activate(_email(schedule_at=_later(clock, hours=1)))
    assert again.result.record.state == "blocked"
    assert again.written() == []


# ---------------------------------------------------------------- body images
def test_body_images_are_uploaded_once_and_linked(
    activate: Activate, fake: FakeHubSpot, folder: Path
) -> None:
    body = (
        "Our numbers:\n\n![chart](images/chart.png)\n\n"
        '<p><img src="images/chart.png" alt="again"></p>\n\n<img src="images/hero.png">\n'
    )
    post = _post(body=None, body_markdown=body, assets=[], topics=[])
    mail = _email(body='<p><img src="images/chart.png"></p>')
    for content in (post, mail, post):
        result = activate(content)
        assert result.result.ok or result.result.record.state == "blocked", result.result.error
    activate(post, log="fresh")
    uploads = fake.calls_to("POST", "/files/v3/files")
    assert sorted(c.files["file"]["filename"] for c in uploads) == ["chart.png", "hero.png"]
    assert len(fake.files) == 2
    urls = {f["name"]: f["url"] for f in fake.files.values()}
    (stored_post,) = fake.posts.values()
    (stored_email,) = fake.emails.values()
    html = stored_email["content"]["widgets"]["main_body"]["body"]["html"]
    for text in (stored_post["postBody"], html):
        assert "images/" not in text.replace(urls["chart.png"], "").replace(urls["hero.png"], "")
    assert stored_post["postBody"].count(urls["chart.png"]) == 2
    assert urls["hero.png"] in stored_post["postBody"]
    assert urls["chart.png"] in html

"""List emails through the real pipeline: creating one sends it, so it is looked up by
name before every create, never created twice (re-runs, fresh logs, lagging reads,
lost answers), and a sent one is blocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketing_platform.errors import ContentRejected
from marketing_platform.testing import FakeClock

from .conftest import AdapterFactory, Run, email
from .fake_pardot import BUSINESS_UNIT, FakePardot

LIST_EMAILS = "/api/v5/objects/list-emails"


def _later(clock: FakeClock, days: int = 1) -> datetime:
    return datetime.fromtimestamp(clock(), UTC) + timedelta(days=days)


def test_a_list_email_is_created_once_and_sent_to_the_named_lists(run: Run, fake: FakePardot) -> None:
    result = run(email())
    assert result.ok, result.error
    assert result.publish is not None
    assert result.publish.action == "created"
    assert result.publish.status == "sent"
    assert result.campaign is not None
    assert result.campaign.action == "unchanged"
    (sent,) = fake.objects("list-emails")
    assert sent["name"] == "newsletter-2026-12"
    assert sent["campaignId"] == 12
    assert sent["subject"] == "December: what's new"
    assert sent["htmlMessage"].startswith("<h1>December</h1><p>News.</p>")
    assert "%%unsubscribe%%" in sent["htmlMessage"]  # Account Engagement refuses an email without (64)
    assert "%%unsubscribe%%" in sent["textMessage"]
    assert "December" in sent["textMessage"]
    assert sent["senderOptions"] == [
        {"type": "general_user", "address": "news@acme.example", "name": "The Product Team"}
    ]
    assert sent["replyToOptions"] == [{"type": "general_user", "address": "replies@acme.example"}]
    assert [(s["listEmailId"], s["recipientListIds"]) for s in fake.sends] == [(sent["id"], [45])]
    assert [c.json.get("scheduledTime") for c in fake.calls_to("POST", LIST_EMAILS)] == [None]
    for call in fake.requests:
        if call.path.startswith("/api/v5"):
            assert call.headers["Pardot-Business-Unit-Id"] == BUSINESS_UNIT
            assert call.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_a_sent_email_is_blocked_and_never_sent_again(run: Run, fake: FakePardot, log: str) -> None:
    assert run(email()).ok
    writes = len(fake.writes())
    again = run(email(title="December newsletter (fixed)", body="<p>Changed</p>"), log=log)
    assert again.record.state == "blocked"
    assert again.publish is not None
    assert again.publish.action == "blocked"
    assert again.error is not None
    assert "already sent on 2026-01-01 00:00 UTC to Newsletter subscribers" in again.error["message"]
    assert "give the content a new id" in again.error["message"]
    assert len(fake.writes()) == writes  # zero writes
    assert len(fake.sends) == 1


def test_a_sent_email_in_the_recycle_bin_still_blocks(run: Run, fake: FakePardot) -> None:
    fake.add(
        "list-emails",
        name="newsletter-2026-12",
        isSent=True,
        sentAt="2025-12-24T09:00:00+00:00",
        isDeleted=True,
    )
    result = run(email())
    assert result.record.state == "blocked"
    assert fake.sends == []
    assert fake.writes() == []


def test_scheduled_email_uses_scheduled_time_and_reactivation_converges(
    run: Run, fake: FakePardot, clock: FakeClock
) -> None:
    when = _later(clock)
    content = email(schedule_at=when.isoformat())
    first = run(content)
    assert first.ok, first.error
    assert first.publish is not None
    assert first.publish.status == "scheduled"
    assert first.publish.scheduled_at == when
    (created,) = fake.objects("list-emails")
    assert fake.hidden("list-emails", created["id"])["scheduledTime"] == when.isoformat(timespec="seconds")

    for log in ("main", "fresh"):  # unchanged: nothing written, with the same or a new log
        writes = len(fake.writes())
        again = run(content, log=log)
        assert again.ok, again.error
        assert again.publish is not None
        assert again.publish.action == "unchanged"
        assert len(fake.writes()) == writes

    # an edit cannot reach a queued list email (v5 has no update): refused, nothing written
    writes = len(fake.writes())
    edited = run(email(schedule_at=when.isoformat(), body="<p>Edited</p>"))
    assert edited.record.state == "failed"
    assert edited.error is not None
    assert edited.error["type"] == "Conflict"
    assert edited.error["code"] == "list_email_immutable"
    assert "body" in edited.error["message"]
    assert "text" in edited.error["message"]
    assert "Account Engagement" in edited.error["hint"]
    assert len(fake.writes()) == writes
    assert len(fake.sends) == 1

    clock.advance(2 * 86_400)  # the send time passed: sent, blocked
    late = run(content, log="later")
    assert late.record.state == "blocked"
    assert len(fake.sends) == 1


def test_a_schedule_in_the_past_is_not_sent_as_scheduled_time(
    run: Run, make_adapter: AdapterFactory, fake: FakePardot, clock: FakeClock
) -> None:
    """The pipeline refuses a past ``schedule_at`` for new content (nothing sent); the
    adapter itself never sends a past ``scheduledTime`` (the email goes now)."""
    past = email(schedule_at=_later(clock, days=-1).isoformat())
    with pytest.raises(ContentRejected):
        run(past)
    assert fake.sends == []
    adapter = make_adapter()
    campaign = adapter.find_campaign("Newsletter 2026-12")
    adapter.publish_content(past, campaign=campaign)
    assert [c.json.get("scheduledTime") for c in fake.calls_to("POST", LIST_EMAILS)] == [None]


def test_lagging_reads_never_lead_to_a_second_send(run: Run, fake: FakePardot, clock: FakeClock) -> None:
    """Queries lag writes by up to 60 s: the create waits until the look-up sees the new
    list email, so an immediate re-run finds it."""
    fake.read_lag = 60.0
    first = run(email())
    assert first.ok, first.error
    assert clock.total_slept >= 60
    assert run(email()).record.state == "blocked"
    assert run(email(), log="fresh").record.state == "blocked"
    assert len(fake.sends) == 1
    assert len(fake.calls_to("POST", LIST_EMAILS)) == 1


@pytest.mark.parametrize(("status", "code"), [(500, 183), (400, 214), (504, 183)])
def test_a_lost_answer_is_looked_up_not_repeated(
    run: Run, fake: FakePardot, clock: FakeClock, status: int, code: int
) -> None:
    """The POST queued the send but its answer failed: the adapter looks the email up
    (past the read lag) instead of sending again."""
    fake.read_lag = 60.0
    fake.fail_next(code, "Internal error", status=status, method="POST", path=LIST_EMAILS, after=True)
    result = run(email())
    assert result.ok, result.error
    assert result.publish is not None
    assert result.publish.status == "sent"
    assert any("answer was lost" in w for w in result.publish.warnings)
    assert len(fake.calls_to("POST", LIST_EMAILS)) == 1
    assert len(fake.sends) == 1
    assert run(email()).record.state == "blocked"
    assert len(fake.sends) == 1


def test_a_create_that_did_not_happen_fails_then_replays_once(
    run: Run, fake: FakePardot, clock: FakeClock
) -> None:
    fake.fail_next(183, "Internal error", status=500, method="POST", path=LIST_EMAILS)
    failed = run(email())
    assert failed.record.state == "failed"
    assert failed.error is not None
    assert failed.error["type"] == "PlatformUnavailable"
    assert "replay" in failed.error["hint"]
    assert clock.total_slept >= 60  # looked for it past the read lag before giving up
    assert len(fake.calls_to("POST", LIST_EMAILS)) == 1
    assert fake.sends == []
    assert run(email()).ok
    assert len(fake.sends) == 1


def test_body_not_readable_by_id_means_reused_without_writes(
    run: Run, fake: FakePardot, clock: FakeClock
) -> None:
    """The other reading of "htmlMessage is not queryable": not readable by id either.
    A queued list email then cannot be compared and is reused as it is."""
    fake.list_email_body_readable = False
    content = email(schedule_at=_later(clock).isoformat())
    assert run(content).ok
    writes = len(fake.writes())
    again = run(email(schedule_at=_later(clock).isoformat(), body="<p>edited</p>"))
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "reused"
    assert any("queued to send" in w for w in again.publish.warnings)
    assert len(fake.writes()) == writes
    assert len(fake.sends) == 1


@pytest.mark.parametrize("mode", ["reject", "ignore", "honour"])
def test_lookup_by_name_works_whatever_the_name_filter_does(run: Run, fake: FakePardot, mode: str) -> None:
    fake.name_filter = mode
    fake.add("list-emails", name="newsletter-2026-11", isSent=True, sentAt="2025-11-24T09:00:00+00:00")
    assert run(email()).ok
    assert run(email()).record.state == "blocked"
    assert len(fake.sends) == 1


def test_folder_on_list_emails_is_dropped_when_refused(run: Run, fake: FakePardot) -> None:
    """``folderId`` on a list email is unverified: when refused (nothing was created) the
    email is created without it, once."""
    fake.list_email_folder_supported = False
    result = run(email(), folder="/Marketing/Emails")
    assert result.ok, result.error
    assert result.publish is not None
    assert any("folderId" in w for w in result.publish.warnings)
    posts = fake.calls_to("POST", LIST_EMAILS)
    assert [p.status for p in posts] == [400, 201]
    assert posts[0].json["folderId"] == next(iter(fake.data["folders"]))
    assert "folderId" not in posts[1].json
    assert len(fake.sends) == 1


def test_folder_is_sent_when_accepted(run: Run, fake: FakePardot) -> None:
    assert run(email(), folder="/Marketing/Emails/").ok
    (sent,) = fake.objects("list-emails")
    assert sent["folderId"] == next(iter(fake.data["folders"]))


def test_a_missing_folder_is_a_configuration_error(run: Run, fake: FakePardot) -> None:
    result = run(email(), folder="/Nowhere")
    assert result.record.state == "failed"
    assert result.error is not None
    assert result.error["type"] == "ConfigurationError"
    assert "PARDOT_FOLDER" in result.error["hint"]
    assert fake.sends == []


def test_template_lists_and_default_campaign(run: Run, fake: FakePardot) -> None:
    content = email(
        id="april",
        campaign=None,
        email={"template": "Monthly Newsletter", "subject": "April"},
        audience={"lists": ["Newsletter subscribers", "New readers"], "create_missing": True},
    )
    result = run(content)
    assert result.ok, result.error
    (created,) = fake.objects("list-emails")
    assert created["emailTemplateId"] == 71
    assert created["campaignId"] == 11  # PARDOT_CAMPAIGN_ID
    assert "senderOptions" not in created  # the template's sender is used
    (new_list,) = fake.named("lists", "New readers")
    assert fake.hidden("list-emails", created["id"])["recipientListIds"] == [45, new_list["id"]]
    second = run(email(id="may", campaign=None, audience={"lists": ["New readers"], "create_missing": True}))
    assert second.ok, second.error
    assert len(fake.named("lists", "New readers")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": {"template": "No such template", "subject": "x"}}, "email.template"),
        ({"audience": {"lists": ["Nobody"]}}, "audience.lists[0]"),
        ({"campaign": {"name": "Autumn 2026"}}, "campaign.name"),
    ],
)
def test_missing_references_are_rejected_before_any_write(
    run: Run, fake: FakePardot, change: dict[str, object], field: str
) -> None:
    result = run(email(**change))
    assert result.record.state == "failed"
    assert result.error is not None
    assert result.error["type"] == "ContentRejected"
    assert [p["field"] for p in result.error["problems"]] == [field]
    assert fake.writes() == []
    assert fake.sends == []


def test_missing_campaign_names_how_to_create_it_in_salesforce(run: Run) -> None:
    result = run(email(campaign={"name": "Autumn 2026"}))
    assert result.error is not None
    assert "cannot create campaigns" in result.error["message"]
    assert "Salesforce" in result.error["hint"]


def test_campaign_details_cannot_be_compared_so_it_is_reused(run: Run, fake: FakePardot) -> None:
    result = run(email(campaign={"name": "Newsletter 2026-12", "description": "Monthly", "tags": {"a": "b"}}))
    assert result.ok, result.error
    assert result.campaign is not None
    assert result.campaign.action == "reused"
    assert any("Salesforce Campaign record" in w for w in result.campaign.warnings)
    assert len(fake.objects("campaigns")) == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"audience": None}, "audience.lists"),
        ({"email": {"subject": "x"}}, "email.from_email"),
        ({"campaign": None}, "campaign.name"),
        ({"platform_options": {"pardot": {"as_templat": True}}}, "pardot"),
        ({"body": None}, "body"),
    ],
)
def test_mapper_rules(make_adapter: AdapterFactory, change: dict[str, object], field: str) -> None:
    adapter = make_adapter(campaign_id=None)
    problems = adapter.mapper.problems(email(**change))
    assert field in [p.field for p in problems]


def test_publish_refuses_invalid_content_without_requests(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    with pytest.raises(ContentRejected):
        make_adapter().publish_content(email(audience=None))
    assert fake.requests == []


def test_html_unsubscribe_variable_is_kept(run: Run, fake: FakePardot) -> None:
    body = '<p>Hi</p><p><a href="{{Unsubscribe}}">Leave</a></p>'
    assert run(email(body=body)).ok
    (sent,) = fake.objects("list-emails")
    assert sent["htmlMessage"] == body

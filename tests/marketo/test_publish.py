"""Emails and landing pages from templates, tokens, approval, replay, kinds Marketo cannot host."""

from __future__ import annotations

import json

import pytest

from marketing_platform.errors import ContentRejected, NotFound, PlatformUnavailable
from marketing_platform.models import Content

from .fake_marketo import Call, FakeMarketo


def email_content(**extra: object) -> Content:
    values: dict[str, object] = {
        "kind": "email",
        "title": "December Newsletter",
        "summary": "What is new",
        "url": "https://example.com/news",
        "body": "<h1>News</h1><p>Hello</p>",
        "campaign": {"name": "Newsletter Dec", "tags": {"Region": "EMEA"}},
        "email": {
            "template": "Monthly Newsletter",
            "subject": "Our news",
            "from_name": "Acme",
            "from_email": "news@example.com",
            "reply_to": "reply@example.com",
        },
    }
    values.update(extra)
    return Content.model_validate(values)


def test_email_from_template_with_body_and_approval(platform, fake: FakeMarketo) -> None:
    content = email_content()
    campaign = platform.create_campaign(platform.marketo_mapper.campaign_spec(content))
    response = platform.publish_content(content, campaign=campaign)

    email = fake.emails[response.metadata["id"]]
    assert response.status == "approved"
    assert response.external_id == f"email:{email['id']}"
    assert email["status"] == "approved"
    assert email["folder"] == {
        "type": "Program",
        "value": campaign.metadata["id"],
        "folderName": "Newsletter Dec",
    }
    assert email["subject"]["value"] == "Our news"
    assert email["replyEmail"]["value"] == "reply@example.com"
    main = next(s for s in email["sections"] if s["htmlId"] == "main")
    assert main["value"] == "<h1>News</h1><p>Hello</p>"
    tokens = fake.tokens[campaign.metadata["id"]]
    assert tokens["Content Title"]["value"] == "December Newsletter"
    assert tokens["Content Summary"]["value"] == "What is new"
    assert tokens["Content URL"]["value"] == "https://example.com/news"
    update = next(c for c in fake.calls if c.path.endswith("/content/main.json"))
    assert update.form == {"type": "Text", "value": "<h1>News</h1><p>Hello</p>"}
    token_call = next(c for c in fake.calls if c.path.endswith("/tokens.json"))
    assert token_call.form["folderType"] == "Program"


def test_publish_without_campaign_creates_the_program(platform, fake: FakeMarketo) -> None:
    # Named after the content id, not the title: an edited title must not move the
    # content into a new program.
    response = platform.publish_content(email_content(campaign=None))

    assert [p["name"] for p in fake.programs.values()] == ["december-newsletter"]
    assert response.metadata["program_id"] in fake.programs


def test_replay_finds_the_approved_email(platform, fake: FakeMarketo) -> None:
    content = email_content()
    campaign = platform.create_campaign(platform.marketo_mapper.campaign_spec(content))
    first = platform.publish_content(content, campaign=campaign)

    again = platform.find_content(content, campaign)
    assert again is not None
    assert again.external_id == first.external_id
    second = platform.publish_content(content, campaign=campaign)
    assert second.external_id == first.external_id
    assert len(fake.emails) == 1


def test_unknown_email_template_is_a_content_error(platform) -> None:
    # A name from the content file that does not exist: ContentRejected, so no fallback
    # platform is tried (NotFound would be).
    with pytest.raises(ContentRejected) as info:
        platform.publish_content(
            email_content(
                email={
                    "template": "Nope",
                    "subject": "s",
                    "from_name": "Acme",
                    "from_email": "news@example.com",
                    "reply_to": "reply@example.com",
                }
            )
        )
    assert not isinstance(info.value, NotFound)
    assert "templates create" in (info.value.hint or "")
    assert [p.field for p in info.value.problems] == ["email.template"]


def test_draft_only_email_template_is_a_content_error(platform, fake: FakeMarketo) -> None:
    fake.add_email_template("Draft Only", "<html></html>", status="draft")
    with pytest.raises(ContentRejected) as info:
        platform.publish_content(
            email_content(
                email={
                    "template": "Draft Only",
                    "subject": "s",
                    "from_name": "Acme",
                    "from_email": "news@example.com",
                    "reply_to": "reply@example.com",
                }
            )
        )
    assert "--approve" in (info.value.hint or "")


def test_unknown_landing_page_template_is_a_content_error(platform) -> None:
    content = Content(kind="landing_page", title="P", body="<p>x</p>", landing_page={"template": "Nope"})
    with pytest.raises(ContentRejected) as info:
        platform.publish_content(content)
    assert not isinstance(info.value, NotFound)
    assert [p.field for p in info.value.problems] == ["landing_page.template"]


def test_two_contents_with_one_title_get_two_emails(platform, fake: FakeMarketo) -> None:
    # The email's name is the content id, not the title: a second content with the same
    # title in the same program is its own email with its own body.
    january = email_content(id="update-2026-01", title="Monthly update", body="<p>January</p>")
    february = email_content(id="update-2026-02", title="Monthly update", body="<p>February</p>")
    campaign = platform.create_campaign(platform.marketo_mapper.campaign_spec(january))

    assert platform.find_content(february, campaign) is None
    first = platform.publish_content(january, campaign=campaign)
    assert platform.find_content(february, campaign) is None
    second = platform.publish_content(february, campaign=campaign)

    assert first.external_id != second.external_id
    assert second.metadata["reused"] is False
    bodies = {
        e["name"]: next(s["value"] for s in e["sections"] if s["htmlId"] == "main")
        for e in fake.emails.values()
    }
    assert bodies == {"update-2026-01": "<p>January</p>", "update-2026-02": "<p>February</p>"}
    found = platform.find_content(february, campaign)
    assert found is not None
    assert found.external_id == second.external_id


def test_two_landing_pages_with_one_title(platform, fake: FakeMarketo) -> None:
    def page(cid: str, body: str) -> Content:
        return Content(
            id=cid,
            kind="landing_page",
            title="Offer",
            body=body,
            campaign={"name": "Offers"},
            landing_page={"template": "Basic Page"},
        )

    first = platform.publish_content(page("offer-a", "<p>A</p>"))
    second = platform.publish_content(page("offer-b", "<p>B</p>"))

    assert first.external_id != second.external_id
    assert sorted(p["name"] for p in fake.landing_pages.values()) == ["offer-a", "offer-b"]
    assert fake.landing_pages[second.metadata["id"]]["sections"][0]["content"]["value"] == "<p>B</p>"


def test_name_overrides_are_kept(platform, fake: FakeMarketo) -> None:
    response = platform.publish_content(email_content(marketo={"email_name": "Custom name"}))
    assert fake.emails[response.metadata["id"]]["name"] == "Custom name"


def test_email_created_concurrently_is_reused(platform, fake: FakeMarketo) -> None:
    # Between our lookup and our create, another run creates the email: the 709 "name in
    # use" is answered by finding that email and filling it, not by a ContentRejected.
    content = email_content()
    campaign = platform.create_campaign(platform.marketo_mapper.campaign_spec(content))
    template_id = next(iter(fake.email_templates))

    def other_run() -> None:
        fake.create_email(
            _form_call(
                {
                    "name": content.id,
                    "folder": json.dumps({"id": campaign.metadata["id"], "type": "Program"}),
                    "template": str(template_id),
                    "fromName": "Other run",
                    "fromEmail": "other@example.com",
                    "replyEmail": "other@example.com",
                }
            )
        )

    fake.before("POST", "/emails.json", other_run)
    response = platform.publish_content(content, campaign=campaign)

    assert len(fake.emails) == 1
    email = fake.emails[response.metadata["id"]]
    assert email["status"] == "approved"
    assert email["sections"][0]["value"] == "<h1>News</h1><p>Hello</p>"
    assert response.metadata["reused"] is True
    assert any("already existed" in w for w in response.warnings)


def test_landing_page_created_concurrently_is_reused(platform, fake: FakeMarketo) -> None:
    content = Content(
        id="spring-offer",
        kind="landing_page",
        title="Spring",
        body="<p>Offer</p>",
        landing_page={"template": "Basic Page"},
    )
    campaign = platform.create_campaign(platform.marketo_mapper.campaign_spec(content))
    template_id = next(iter(fake.lp_templates))
    fake.before(
        "POST",
        "/landingPages.json",
        lambda: fake.create_lp(
            _form_call(
                {
                    "name": "spring-offer",
                    "folder": json.dumps({"id": campaign.metadata["id"], "type": "Program"}),
                    "template": str(template_id),
                }
            )
        ),
    )
    response = platform.publish_content(content, campaign=campaign)

    assert len(fake.landing_pages) == 1
    assert fake.landing_pages[response.metadata["id"]]["status"] == "approved"
    assert response.metadata["reused"] is True


def test_email_709_for_another_reason_is_still_rejected(platform, fake: FakeMarketo) -> None:
    fake.fail("709", path="/emails.json")
    with pytest.raises(ContentRejected) as info:
        platform.publish_content(email_content())
    assert info.value.code == "709"


def test_email_create_answered_604_after_commit_is_not_repeated(platform, fake: FakeMarketo) -> None:
    # 604 may come after Marketo created the email: the create is not sent again (it
    # would get 709); the run fails retryably-by-replay and a replay finds the email.
    content = email_content()
    fake.fail("604", path="/emails.json", after=True)
    with pytest.raises(PlatformUnavailable) as info:
        platform.publish_content(content)
    assert info.value.retryable is False
    assert sum(c.path.endswith("/emails.json") for c in fake.calls) == 1

    response = platform.publish_content(content)
    assert len(fake.emails) == 1
    assert fake.emails[response.metadata["id"]]["status"] == "approved"


def _form_call(form: dict[str, str]) -> Call:
    return Call("POST", "", {}, form, {}, {}, "application/x-www-form-urlencoded", 0.0)


def test_709_on_approve_is_actionable(platform, fake: FakeMarketo) -> None:
    fake.fail("709", path="/approveDraft.json")

    with pytest.raises(ContentRejected) as info:
        platform.publish_content(email_content())

    assert info.value.code == "709"
    assert "approve requires a draft" in (info.value.hint or "")


def test_landing_page_from_template(platform, fake: FakeMarketo) -> None:
    content = Content(
        kind="landing_page",
        title="Spring Offer",
        body="<p>Offer</p>",
        landing_page={"template": "Basic Page", "url_page_name": "spring-offer"},
    )
    response = platform.publish_content(content)

    page = fake.landing_pages[response.metadata["id"]]
    assert page["status"] == "approved"
    assert page["sections"][0]["content"] == {"type": "RichText", "value": "<p>Offer</p>"}
    assert page["URL"].endswith("/spring-offer")
    program = fake.programs[response.metadata["program_id"]]
    assert (program["type"], program["channel"]) == ("Default", "Content Syndication")


def test_event_program(platform, fake: FakeMarketo) -> None:
    response = platform.publish_content(Content(kind="event", title="Webinar: Spring", summary="Join us"))

    program = fake.programs[response.metadata["program_id"]]
    assert (program["type"], program["channel"]) == ("Event", "Webinar")
    assert response.external_id == f"program:{program['id']}"


def test_blog_post_rejected_before_any_request(platform, fake: FakeMarketo) -> None:
    content = Content(kind="blog_post", title="A post", body="<p>x</p>")

    problems = platform.mapper.problems(content)
    assert problems
    assert "email, event, landing_page" in problems[0].message
    with pytest.raises(ContentRejected):
        platform.publish_content(content)
    assert fake.calls == []


def test_mapper_problems(platform) -> None:
    content = Content.model_validate(
        {
            "kind": "email",
            "title": "t",
            "campaign": {
                "name": "p",
                "costs": [{"start_date": "2026-01-01", "amount": "10.5"}],
                "program_type": "Blog",
            },
            "email": {},
            "marketo": {"tokens": {"x" * 51: "v"}, "colour": "red"},
        }
    )
    fields = {p.field for p in platform.mapper.problems(content)}
    assert {
        "email.template",
        "email.subject",
        "body",
        "campaign.costs[0].amount",
        "campaign.program_type",
        "marketo.colour",
        f"marketo.tokens.{'x' * 51}",
    } <= fields


def test_get_status(platform, fake: FakeMarketo) -> None:
    response = platform.publish_content(email_content())
    status = platform.get_status(response.external_id)
    assert status.status == "published"
    assert (
        platform.get_status(f"program:{response.metadata['program_id']}").metadata["name"] == "Newsletter Dec"
    )
    with pytest.raises(NotFound):
        platform.get_status("email:999999")


# ---------------------------------------------------------------- sender (Adobe requires it)


def test_an_email_without_a_sender_is_refused_before_any_request(platform, fake: FakeMarketo) -> None:
    content = email_content(email={"template": "Monthly Newsletter", "subject": "Hi"})

    problems = platform.mapper.problems(content)
    assert [p.field for p in problems] == ["email.from_name", "email.from_email", "email.reply_to"]
    assert "MARKETO_FROM_NAME" in problems[0].message
    with pytest.raises(ContentRejected):
        platform.publish_content(content)
    assert fake.calls == []


def test_the_sender_defaults_come_from_the_settings_and_the_content_wins(make_platform, fake) -> None:
    platform = make_platform(
        from_name="Default Team", from_email="team@example.com", reply_email="replies@example.com"
    )
    content = email_content(
        email={"template": "Monthly Newsletter", "subject": "Hi", "from_email": "editor@example.com"}
    )

    assert platform.mapper.problems(content) == []
    platform.publish_content(content)

    create = next(c for c in fake.calls if c.path.endswith("/emails.json"))
    assert (create.form["fromName"], create.form["fromEmail"], create.form["replyEmail"]) == (
        "Default Team",
        "editor@example.com",
        "replies@example.com",
    )


def test_a_sender_default_must_be_an_address() -> None:
    from pydantic import ValidationError

    from .conftest import settings

    with pytest.raises(ValidationError, match="not an e-mail address"):
        settings(from_email="newsroom")

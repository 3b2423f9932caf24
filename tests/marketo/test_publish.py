"""Emails and landing pages from templates, tokens, approval, replay, kinds Marketo cannot host."""

from __future__ import annotations

import pytest

from marketing_platform.errors import ContentRejected, NotFound
from marketing_platform.models import Content

from .fake_marketo import FakeMarketo


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
    response = platform.publish_content(email_content(campaign=None))

    assert [p["name"] for p in fake.programs.values()] == ["December Newsletter"]
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


def test_unknown_template_is_not_found(platform) -> None:
    with pytest.raises(NotFound) as info:
        platform.publish_content(email_content(email={"template": "Nope", "subject": "s"}))
    assert "templates create" in (info.value.hint or "")


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

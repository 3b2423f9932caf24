"""Look-ups: folders, channels and templates are read once per adapter for
``MARKETO_LOOKUP_TTL`` (a bulk activation no longer spends a third of its calls on
``channels.json``), forgotten when the adapter makes or approves a template; every page
of a listing is read (channels and templates past 200); both forms of
``applicableProgramType`` are understood."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.activation import Activator
from marketing_platform.errors import ContentRejected
from marketing_platform.log import ActivationLog
from marketing_platform.models import CampaignSpec, Content
from marketing_platform.registry import Registry
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform

from .conftest import SECRET, MakePlatform, settings
from .fake_marketo import TEMPLATE_HTML, FakeClock, FakeMarketo, fake_with_templates

N = 12


def newsletter(index: int) -> Content:
    return Content.model_validate(
        {
            "id": f"news-{index:02d}",
            "kind": "email",
            "title": f"News {index}",
            "body": f"<p>Issue {index}</p>",
            "campaign": {"name": f"News program {index:02d}", "tags": {"Region": "EMEA"}},
            "email": {
                "template": "Monthly Newsletter",
                "subject": f"Issue {index}",
                "from_name": "Acme",
                "from_email": "news@example.com",
                "reply_to": "reply@example.com",
            },
        }
    )


def bulk(tmp_path: Path, **overrides: Any) -> tuple[FakeMarketo, Counter[str]]:
    """N email programs activated by one Activator (one adapter); the calls per path."""
    clear_token_cache()  # a new fake knows no token
    clock = FakeClock()
    fake = fake_with_templates(clock=clock, client_secret=SECRET)
    platform = MarketoPlatform(
        settings(**overrides), transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
    )
    log = ActivationLog(tmp_path / f"bulk-{len(list(tmp_path.iterdir()))}.sqlite3")
    with Activator(
        registry=Registry(), activation_log=log, platform_factory=lambda name: platform, fallback=[]
    ) as activator:
        results = [activator.activate(newsletter(i), "marketo") for i in range(N)]
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return fake, Counter(c.path.removeprefix("/rest/asset/v1") for c in fake.rest_calls())


def test_a_bulk_of_programs_reads_channels_folders_and_templates_once(tmp_path: Path) -> None:
    uncached_fake, uncached = bulk(tmp_path, lookup_ttl=0)  # how every program used to pay
    cached_fake, cached = bulk(tmp_path)

    assert uncached["/channels.json"] == N
    assert cached["/channels.json"] == 1, "channels.json must be read once for a bulk of programs"
    assert cached["/folder/byName.json"] == 1
    assert cached["/emailTemplate/byName.json"] == 1
    # A new email's sections are its template's: content.json is read for the first only.
    assert sum(n for path, n in uncached.items() if path.endswith("/content.json")) == N
    assert sum(n for path, n in cached.items() if path.endswith("/content.json")) == 1
    # Nothing can be in a program created moments ago: no email look-up in it.
    assert uncached["/email/byName.json"] == N
    assert cached["/email/byName.json"] == 0
    # 12 calls per program without the memory, 7 with it (plus the 4 first look-ups:
    # folder, channels, template, the template's sections)
    assert sum(uncached.values()) == 12 * N
    assert sum(cached.values()) == 7 * N + 4
    # identical results on the vendor
    for fake in (uncached_fake, cached_fake):
        assert len(fake.programs) == len(fake.emails) == N
        assert sorted(fake.live_email(i)["body"]["main"] for i in fake.emails) == sorted(
            f"<p>Issue {i}</p>" for i in range(N)
        )


def test_lookups_expire_after_the_ttl(
    make_platform: MakePlatform, fake: FakeMarketo, clock: FakeClock
) -> None:
    platform = make_platform(lookup_ttl=60)
    platform.create_campaign(CampaignSpec(name="P1", program_type="Default"))
    platform.create_campaign(CampaignSpec(name="P2", program_type="Default"))
    clock.advance(61)
    platform.create_campaign(CampaignSpec(name="P3", program_type="Default"))

    paths = Counter(c.path for c in fake.rest_calls())
    assert paths["/rest/asset/v1/channels.json"] == 2
    assert paths["/rest/asset/v1/folder/byName.json"] == 2


def test_a_missing_folder_is_not_remembered(make_platform: MakePlatform, fake: FakeMarketo) -> None:
    platform = make_platform()
    spec = CampaignSpec(name="P", program_type="Default", folder="Later")
    with pytest.raises(ContentRejected):
        platform.create_campaign(spec)
    fake.add_folder("Later")  # someone creates it in Marketo

    assert platform.create_campaign(spec).reused is False


def test_templates_are_forgotten_when_the_adapter_makes_or_approves_one(
    make_platform: MakePlatform, fake: FakeMarketo
) -> None:
    platform = make_platform()
    assert platform.find_email_template("Monthly Newsletter") is not None
    assert platform.find_email_template("Monthly Newsletter") is not None
    searches = sum(c.path.endswith("/emailTemplate/byName.json") for c in fake.calls)
    assert searches == 1

    made = platform.create_email_template("Promo", TEMPLATE_HTML)
    assert platform.find_email_template("Promo") is None  # a draft, not approved yet
    draft = platform.find_email_template("Promo", status=None)
    assert draft is not None
    assert draft.status == "draft"
    platform.approve_email_template(made.id)
    found = platform.find_email_template("Promo")
    again = platform.find_email_template("Promo", status=None)

    assert found is not None
    assert found.id == made.id
    assert again is not None
    assert again.status == "approved", "a template the adapter approved is still remembered as a draft"


def test_channels_past_the_first_page_are_found(make_platform: MakePlatform, fake: FakeMarketo) -> None:
    for index in range(450):
        fake.add_channel(f"Channel {index:03d}", "program")
    fake.add_channel("Podcast", "program")  # the 458th channel: on the third page

    response = make_platform().create_campaign(
        CampaignSpec(name="Pod", program_type="Default", channel="Podcast")
    )

    assert fake.programs[response.metadata["id"]]["channel"] == "Podcast"
    offsets = [c.query["offset"][0] for c in fake.calls if c.path.endswith("/channels.json")]
    assert offsets == ["0", "200", "400"]


def test_templates_past_the_first_page_are_listed(make_platform: MakePlatform, fake: FakeMarketo) -> None:
    for index in range(450):
        fake.add_email_template(f"Template {index:03d}", TEMPLATE_HTML)

    listed = make_platform().list_email_templates()

    assert len(listed) == 451
    assert listed[-1].name == "Template 449"


@pytest.mark.parametrize("style", ["api", "display"])
def test_both_forms_of_applicable_program_type_are_accepted(style: str) -> None:
    # Adobe's example answers "program" / "event"; instances also answer "Default" / "Event".
    clock = FakeClock()
    fake = fake_with_templates(clock=clock, client_secret=SECRET, channel_types=style)
    platform = MarketoPlatform(
        settings(), transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
    )
    for program_type, channel in (
        ("Default", "Content Syndication"),
        ("Event", "Webinar"),
        ("Email", "Email Send"),
    ):
        response = platform.create_campaign(CampaignSpec(name=program_type, program_type=program_type))
        assert fake.programs[response.metadata["id"]]["channel"] == channel
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(CampaignSpec(name="x", program_type="Default", channel="Webinar"))
    assert "Content Syndication, Online Advertising" in str(info.value.problems[0])
    platform.close()


# ---------------------------------------------------------------- issue 15: fewer calls
def _paths(fake: FakeMarketo) -> Counter[str]:
    return Counter(c.path.removeprefix("/rest/asset/v1") for c in fake.rest_calls())


def test_a_changed_template_is_read_again_when_its_remembered_section_is_refused(
    make_platform: MakePlatform, fake: FakeMarketo
) -> None:
    platform = make_platform()
    first = newsletter(1)
    platform.publish_content(first, campaign=platform.create_campaign(platform.mapper.campaign_spec(first)))
    # The template is edited in Marketo within the TTL: its editable section is renamed.
    (template,) = (t for t in fake.email_templates.values() if t["name"] == "Monthly Newsletter")
    template["html"] = TEMPLATE_HTML.replace('id="main"', 'id="body"')
    second = newsletter(2)
    response = platform.publish_content(
        second, campaign=platform.create_campaign(platform.mapper.campaign_spec(second))
    )
    assert response.metadata["section"] == "body"
    sections = {s["htmlId"]: s["value"] for s in fake.emails[response.metadata["id"]]["sections"]}
    assert sections["body"] == "<p>Issue 2</p>"
    refused = [
        c for c in fake.rest_calls() if c.path.endswith(f"/email/{response.metadata['id']}/content/main.json")
    ]
    assert len(refused) == 1  # the remembered section, refused (702), then the template's own read
    assert sum(n for path, n in _paths(fake).items() if path.endswith("/content.json")) == 2


def test_a_program_created_here_is_looked_into_once_only(
    make_platform: MakePlatform, fake: FakeMarketo
) -> None:
    """The email look-up is skipped for the activation that created the program, once: a
    replay in the same adapter (after a create whose answer was lost) or in another
    adapter (a campaign step recorded in the activation log, ``reused`` False) looks."""
    platform = make_platform()
    content = newsletter(3)
    campaign = platform.create_campaign(platform.mapper.campaign_spec(content))
    assert campaign.reused is False
    assert platform.find_content(content, campaign) is None
    assert _paths(fake)["/email/byName.json"] == 0
    first = platform.publish_content(content, campaign=campaign)
    # a replay with the campaign step from the log: same adapter, then a new one
    for adapter in (platform, make_platform()):
        again = adapter.find_content(content, campaign)
        assert again is not None
        assert again.external_id == first.external_id
    assert _paths(fake)["/email/byName.json"] == 2
    assert len(fake.emails) == 1


def test_publishing_into_a_program_created_here_ends_its_freshness(
    make_platform: MakePlatform, fake: FakeMarketo
) -> None:
    platform = make_platform()
    content = newsletter(4)
    campaign = platform.create_campaign(platform.mapper.campaign_spec(content))
    first = platform.publish_content(content, campaign=campaign)  # without a look-up first
    found = platform.find_content(content, campaign)
    assert found is not None
    assert found.external_id == first.external_id


def test_an_event_program_created_here_is_not_asked_for_its_tokens(
    make_platform: MakePlatform, fake: FakeMarketo
) -> None:
    platform = make_platform()
    event = Content.model_validate(
        {
            "id": "summit-2026",
            "kind": "event",
            "title": "Summit",
            "summary": "Our summit",
            "campaign": {"name": "Summit 2026", "start_date": "2026-12-01", "end_date": "2026-12-02"},
        }
    )
    campaign = platform.create_campaign(platform.mapper.campaign_spec(event))
    assert platform.find_content(event, campaign) is None
    platform.publish_content(event, campaign=campaign)
    assert not [c for c in fake.rest_calls() if c.method == "GET" and c.path.endswith("/tokens.json")]
    program_id = campaign.metadata["id"]
    assert fake.tokens[program_id]["Content Title"]["value"] == "Summit"
    # re-activation reads them (and finds nothing to change)
    found = platform.find_content(event, campaign)
    assert found is not None
    assert platform.content_changes(event, found, campaign=campaign) == {}

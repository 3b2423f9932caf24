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
    # 12 calls per program without the memory, 9 with it (plus the 3 first look-ups)
    assert sum(uncached.values()) == 12 * N
    assert sum(cached.values()) == 9 * N + 3
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

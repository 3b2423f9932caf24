"""One Mailchimp campaign per content: the content, not ``campaign.name``, is the key.

In Mailchimp a campaign is one email. Two contents sharing ``campaign.name`` (the March
and April issues of one newsletter) must be two campaigns and two sends; a replay of one
content must find its own campaign and never send it again, also when threads sharing
one adapter run it at the same time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog
from marketing_platform.models import CampaignResponse, CampaignSpec
from marketing_platform_mailchimp import MailchimpPlatform

from .conftest import MakeAdapter, email
from .fake_mailchimp import FakeMailchimp

NEWSLETTER = {"name": "Monthly newsletter"}
#: ``CampaignSpec.name``'s limit.
MAX_TITLE = 255


def march() -> Any:
    return email(id="march", body="<p>March</p>", campaign=NEWSLETTER)


def april() -> Any:
    return email(id="april", title="April newsletter", body="<p>April</p>", campaign=NEWSLETTER)


def titles(fake: FakeMailchimp) -> list[str]:
    return sorted(c["settings"]["title"] for c in fake.campaigns.values())


@pytest.fixture
def activator(make_adapter: MakeAdapter) -> Iterator[Callable[[], Activator]]:
    """Activators over the fake; each call a fresh adapter (a new process, say)."""
    made: list[Activator] = []

    def make() -> Activator:
        log = ActivationLog(Path(os.environ["MARKETING_PLATFORM_LOG"]))
        run = Activator(activation_log=log, platform_factory=lambda name: make_adapter())
        made.append(run)
        return run

    yield make
    for run in made:
        run.close()


# ------------------------------------------------------------------ titles
def test_title_is_the_campaign_name_and_the_content_id(adapter: MailchimpPlatform) -> None:
    assert adapter.mapper.campaign_title(march()) == "Monthly newsletter / march"
    assert adapter.mapper.campaign_spec(march()).name == "Monthly newsletter / march"
    assert adapter.mapper.campaign_title(email()) == "march-newsletter"  # no campaign


def test_spec_keeps_the_rest_of_the_campaign(adapter: MailchimpPlatform) -> None:
    content = email(campaign={"name": "Launch", "description": "Spring launch", "channel": "email"})
    spec = adapter.mapper.campaign_spec(content)
    assert spec.name == "Launch / march-newsletter"
    assert (spec.description, spec.channel) == ("Spring launch", "email")
    assert content.campaign is not None
    assert content.campaign.name == "Launch"  # the content itself is unchanged


def test_a_long_campaign_name_is_shortened_never_the_content_id(adapter: MailchimpPlatform) -> None:
    content = email(id="x" * 200, campaign={"name": "N" * 255})
    title = adapter.mapper.campaign_title(content)
    assert len(title) <= MAX_TITLE
    assert title.endswith(" / " + "x" * 200)
    assert title.startswith("N")


# ------------------------------------------------------- through the adapter
def test_contents_sharing_a_campaign_name_get_their_own_campaigns(
    adapter: MailchimpPlatform, fake: FakeMailchimp
) -> None:
    results = []
    for content in (march(), april()):
        campaign = adapter.create_campaign(adapter.mapper.campaign_spec(content))
        assert not campaign.reused
        results.append(adapter.publish_content(content, campaign=campaign))

    first, second = results
    assert first.external_id != second.external_id
    assert not first.warnings
    assert not second.warnings
    assert titles(fake) == ["Monthly newsletter / april", "Monthly newsletter / march"]
    assert sorted(fake.sends) == sorted([str(first.external_id), str(second.external_id)])
    assert fake.contents[str(first.external_id)]["html"] == "<p>March</p>"
    assert fake.contents[str(second.external_id)]["html"] == "<p>April</p>"


def test_find_content_does_not_take_another_contents_campaign(
    adapter: MailchimpPlatform, fake: FakeMailchimp
) -> None:
    adapter.publish_content(march())
    assert adapter.find_content(april(), None) is None
    named = CampaignResponse(platform="mailchimp", external_id="x", name="Monthly newsletter")
    assert adapter.find_content(april(), named) is None
    assert adapter.find_content(march(), None) is not None


def test_a_campaign_titled_only_by_the_campaign_name_is_not_reused(
    adapter: MailchimpPlatform, fake: FakeMailchimp
) -> None:
    """A campaign handed in under another title (e.g. recorded before titles were per
    content, then resumed) is another content's email: this content gets its own."""
    shared = adapter.create_campaign(CampaignSpec(name="Monthly newsletter"))
    adapter.publish_content(march(), campaign=shared)
    result = adapter.publish_content(april(), campaign=shared)
    assert result.external_id != shared.external_id
    assert not result.warnings
    assert fake.counts()["sends"] == 2
    assert fake.campaigns[str(result.external_id)]["settings"]["title"] == "Monthly newsletter / april"


def test_a_replayed_content_is_not_sent_again(make_adapter: MakeAdapter, fake: FakeMailchimp) -> None:
    content = march()
    first = make_adapter()
    sent = first.publish_content(content, campaign=first.create_campaign(first.mapper.campaign_spec(content)))

    again = make_adapter()  # a new process
    campaign = again.create_campaign(again.mapper.campaign_spec(content))
    assert campaign.reused
    assert campaign.external_id == sent.external_id
    found = again.find_content(content, campaign)
    assert found is not None
    assert found.external_id == sent.external_id
    replayed = again.publish_content(content, campaign=campaign)
    assert replayed.external_id == sent.external_id
    assert replayed.warnings
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}


# ------------------------------------------------------ through the pipeline
def test_pipeline_sends_both_issues_of_one_newsletter(
    activator: Callable[[], Activator], fake: FakeMailchimp
) -> None:
    with activator() as run:
        results = [run.activate(march(), "mailchimp"), run.activate(april(), "mailchimp")]
    for result in results:
        assert result.record.state == "succeeded"
        assert result.publish is not None
        assert result.publish.status == "sent"
        assert not result.publish.warnings
    ids = {str(r.publish.external_id) for r in results if r.publish}
    assert len(ids) == 2
    assert set(fake.sends) == ids
    assert titles(fake) == ["Monthly newsletter / april", "Monthly newsletter / march"]


def test_pipeline_replay_of_one_content_sends_once(
    activator: Callable[[], Activator], fake: FakeMailchimp
) -> None:
    with activator() as run:
        first = run.activate(march(), "mailchimp")
    with activator() as run:  # another run of the same content file
        second = run.activate(march(), "mailchimp")
    assert first.publish is not None
    assert second.publish is not None
    assert second.publish.external_id == first.publish.external_id
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}


def test_pipeline_in_threads_one_campaign_and_one_send_per_content(
    activator: Callable[[], Activator], fake: FakeMailchimp
) -> None:
    # One batch may not hold one id twice, so two activations of each content run at once
    # from threads sharing one Activator (two CI jobs, say).
    fake.hold = 0.01  # keep requests open so the threads overlap
    with activator() as run:
        results = in_threads(4, [lambda c=c: run.activate(c, "mailchimp") for c in (march(), april()) * 2])
    states = sorted(r.record.state for r in results)
    assert states == ["blocked", "blocked", "succeeded", "succeeded"], [r.error for r in results]
    assert titles(fake) == ["Monthly newsletter / april", "Monthly newsletter / march"]
    assert fake.counts()["sends"] == 2


# ------------------------------------------------------------ concurrency
@pytest.fixture
def shared(fake: FakeMailchimp, mailchimp_env: str) -> Iterator[MailchimpPlatform]:
    """One adapter on the real clock, shared by threads; the fake holds each request."""
    fake.hold = 0.05
    adapter = MailchimpPlatform(MailchimpPlatform.load_settings(), transport=httpx.WSGITransport(app=fake))
    yield adapter
    adapter.close()


def in_threads(count: int, work: Callable[[], Any] | Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``work`` (one callable, or one per thread) in ``count`` threads started together."""
    works = list(work) if isinstance(work, Sequence) else [work] * count
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = works[index]()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_threads_creating_one_title_make_one_campaign(shared: MailchimpPlatform, fake: FakeMailchimp) -> None:
    spec = shared.mapper.campaign_spec(march())
    results = in_threads(4, lambda: shared.create_campaign(spec))
    assert fake.counts()["campaigns"] == 1
    assert len({r.external_id for r in results}) == 1
    assert sum(not r.reused for r in results) == 1


def test_threads_publishing_one_content_send_it_once(shared: MailchimpPlatform, fake: FakeMailchimp) -> None:
    content = march()

    def activate() -> Any:
        campaign = shared.create_campaign(shared.mapper.campaign_spec(content))
        return shared.publish_content(content, campaign=campaign)

    results = in_threads(3, activate)
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}
    assert sum(not r.warnings for r in results) == 1

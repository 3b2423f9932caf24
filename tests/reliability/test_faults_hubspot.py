"""Fault injection against the fake HubSpot over a real loopback socket.

Every scenario runs one blog-post activation (a campaign with one budget item, a blog
tag, the post, its attachment to the campaign, push-live) while one fault hits one
request, then replays what did not succeed. The end state is checked on both sides:
one campaign with its budget, one tag, one published post attached to the campaign;
one ``succeeded`` record in the log whose steps carry the fake's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketing_platform.contentfile import parse_content
from marketing_platform.models import Content

from .conftest import PNG, TIMEOUT, HubSpotRig, hubspot_post, records

CAMPAIGN = "Reliability campaign"
POST = "Reliability post"
CAMPAIGNS = r"^/marketing/v3/campaigns$"
POSTS = r"^/cms/v3/blogs/posts$"
TAGS = r"^/cms/v3/blogs/tags$"


def content(**extra: object) -> Content:
    return parse_content({**hubspot_post(POST, CAMPAIGN), **extra})


@dataclass(frozen=True)
class Fault:
    id: str
    install: Callable[[HubSpotRig], object]
    first: str


FAULTS = [
    Fault(
        "reset-on-lookup-is-retried",
        lambda r: r.faults.add("reset", "GET", CAMPAIGNS, times=2),
        "succeeded",
    ),
    Fault(
        "reset-before-post-create-fails-then-replays",
        lambda r: r.faults.add("reset", "POST", POSTS),
        "failed",
    ),
    Fault(
        "post-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", POSTS),
        "failed",
    ),
    Fault(
        "post-created-but-answer-timed-out",
        lambda r: r.faults.add("stall_after", "POST", POSTS, delay=TIMEOUT + 0.3),
        "failed",
    ),
    Fault(
        "tag-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", TAGS),
        "failed",
    ),
    Fault(
        "read-timeout-on-lookup-is-retried",
        lambda r: r.faults.add("stall", "GET", TAGS, delay=TIMEOUT + 0.3),
        "succeeded",
    ),
    Fault(
        "503-on-create-is-retried",
        lambda r: r.fake.inject("POST", "/cms/v3/blogs/posts", 503, {"message": "down"}, times=2),
        "succeeded",
    ),
    Fault(
        "500-on-create-fails-then-replays",
        lambda r: r.fake.inject("POST", "/marketing/v3/campaigns", 500, {"message": "oops"}),
        "failed",
    ),
    Fault(
        "502-on-attach-is-retried",
        lambda r: r.fake.inject("PUT", "/marketing/v3/campaigns/", 502, {"message": "bad gateway"}, times=2),
        "succeeded",
    ),
    Fault(
        # push-live is idempotent: a 500 after HubSpot applied it is retried in the same run.
        "push-live-committed-but-answer-was-500",
        lambda r: r.faults.add("respond_after", "POST", r"/push-live$", status=500, body={"message": "x"}),
        "succeeded",
    ),
    Fault("429-burst-within-retries", lambda r: r.fake.inject_rate_limit(times=3), "succeeded"),
    Fault("429-burst-beyond-retries", lambda r: r.fake.inject_rate_limit(times=6), "failed"),
    Fault(
        "daily-limit-fails-then-replays",
        lambda r: r.faults.add(
            "respond",
            "POST",
            POSTS,
            status=429,
            body={"status": "error", "message": "daily", "policyName": "DAILY", "errorType": "RATE_LIMIT"},
        ),
        "failed",
    ),
]


def assert_fired(rig: HubSpotRig) -> None:
    for rule in rig.faults.rules:
        assert rule.hits > rule.skip, f"rule {rule.action} {rule.path} never matched"
    for injection in rig.fake.injections:
        assert injection.times == 0, f"injected {injection.status} not used up"


def assert_one_of_each(rig: HubSpotRig) -> None:
    campaigns = rig.campaigns(CAMPAIGN)
    posts = rig.posts(POST)
    assert len(campaigns) == 1, f"campaigns named {CAMPAIGN!r}: {len(campaigns)}"
    assert len(posts) == 1, f"posts named {POST!r}: {len(posts)}"
    assert [t["name"] for t in rig.fake.tags.values()] == ["Product News"]
    guid = campaigns[0]["id"]
    post = posts[0]
    assert post["state"] == "PUBLISHED"
    assert post["tagIds"] == [int(t) for t in rig.fake.tags]  # int64, as HubSpot types them
    assert rig.fake.campaign_assets[guid]["BLOG_POST"] == [post["id"]]
    budget = rig.fake.budget.get(guid, [])
    assert [(b["amount"], b["name"]) for b in budget] == [(250, "Paid social")]


def assert_log_succeeded(rig: HubSpotRig, attempts: int) -> None:
    (record,) = records()
    assert record.state == "succeeded"
    assert record.error is None
    assert record.attempts == attempts
    assert record.steps["campaign"]["external_id"] == rig.campaigns(CAMPAIGN)[0]["id"]
    assert record.steps["publish"]["external_id"] == rig.posts(POST)[0]["id"]


def run_and_replay(rig: HubSpotRig, item: Content, first_state: str, **activate: object) -> None:
    with rig.activator() as activator:
        first = activator.activate(item, "hubspot", **activate)  # type: ignore[arg-type]
        assert first.record.state == first_state, first.error
        if first_state == "failed":
            assert first.error is not None
            (failed,) = records()
            assert failed.state == "failed"
            assert failed.error == first.error
            replayed = activator.replay(first.record.id)
            assert replayed.ok, replayed.error


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_ends_published_once(hubspot: HubSpotRig, fault: Fault) -> None:
    fault.install(hubspot)
    run_and_replay(hubspot, content(), fault.first)
    assert_fired(hubspot)
    assert_one_of_each(hubspot)
    assert_log_succeeded(hubspot, attempts=1 if fault.first == "succeeded" else 2)


def test_oauth_token_expires_mid_run(hubspot: HubSpotRig) -> None:
    hubspot.faults.add("hook", "POST", POSTS, hook=hubspot.fake.expire_tokens)
    adapters = []

    def factory(name: str) -> object:
        adapters.append(hubspot.oauth_adapter(name))
        return adapters[-1]

    with hubspot.activator(factory) as activator:
        result = activator.activate(content(), "hubspot")
    assert result.ok, result.error
    assert adapters[0].tokens.refreshes == 2
    expired = [c for c in hubspot.fake.calls if c.status == 401]
    assert [(c.method, c.path) for c in expired] == [("POST", "/cms/v3/blogs/posts")]
    assert_one_of_each(hubspot)
    assert_log_succeeded(hubspot, attempts=1)


def test_campaign_created_but_answer_lost_keeps_its_budget(hubspot: HubSpotRig) -> None:
    """Replay reuses the campaign found by name and still adds its budget item."""
    hubspot.faults.add("reset_after", "POST", CAMPAIGNS)
    run_and_replay(hubspot, content(), "failed")
    assert_fired(hubspot)
    assert_one_of_each(hubspot)


def test_gateway_timeout_after_create_does_not_duplicate(hubspot: HubSpotRig) -> None:
    """A 504 after HubSpot committed a create is not blindly re-sent."""
    hubspot.faults.add("respond_after", "POST", POSTS, status=504, body={"message": "gateway timeout"})
    with hubspot.activator() as activator:
        first = activator.activate(content(), "hubspot")
        if not first.ok:
            assert activator.replay(first.record.id).ok
    assert_fired(hubspot)
    assert_one_of_each(hubspot)


def test_lost_file_upload_is_not_duplicated_on_replay(hubspot: HubSpotRig, tmp_path: Path) -> None:
    """An upload whose answer was lost is not uploaded a second time on replay."""
    (tmp_path / "hero.png").write_bytes(PNG)
    item = content(assets=[{"path": "hero.png", "role": "featured", "alt_text": "Hero"}])
    hubspot.faults.add("reset_after", "POST", r"^/files/v3/files$")
    run_and_replay(hubspot, item, "failed", asset_root=tmp_path)
    assert_fired(hubspot)
    assert len(hubspot.files("hero.png")) == 1
    assert_one_of_each(hubspot)

"""Fault injection against the fake Marketing Cloud over a real loopback socket.

Every scenario runs one email activation (the OAuth token, a campaign found by its code
or created, the Content Builder HTML email looked up by customerKey then created, its
association to the campaign) while one fault hits one request, then replays what did
not succeed. The end state is checked on both sides: the fake holds one campaign, one
email asset with the content's customerKey and one association (nothing is ever sent:
the adapter has no send); the log holds one ``succeeded`` record whose steps carry the
fake's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marketing_platform.contentfile import parse_content
from marketing_platform.models import Content
from tests.sfmc.fake_sfmc import DOCS, rate_limited

from .conftest import PNG, TIMEOUT, SfmcRig, records, sfmc_email

CAMPAIGN = "Reliability journey"
EMAIL = "Reliability mail"
TOKEN = r"^/v2/token$"
CAMPAIGNS = r"^/hub/v1/campaigns$"
LINKS = r"^/hub/v1/campaigns/\d+/assets$"
ASSETS = r"^/asset/v1/content/assets$"
ASSETS_PATH = "/asset/v1/content/assets"


def content(**extra: object) -> Content:
    return parse_content({**sfmc_email(EMAIL, CAMPAIGN), **extra})


def sfmc_error(message: str, code: int) -> dict[str, Any]:
    return {"message": message, "errorcode": code, "documentation": DOCS}


def throttle(rig: SfmcRig, times: int, method: str = "POST", path: str = ASSETS_PATH) -> None:
    """``times`` answers 429 / 50100 with ``Retry-After: 5``."""
    status, body, headers = rate_limited()
    rig.fake.fail_next(status, body, headers=headers, method=method, path=path, times=times)


@dataclass(frozen=True)
class Fault:
    id: str
    install: Callable[[SfmcRig], object]
    #: The state of the first attempt: "succeeded" when retries absorb the fault.
    first: str


FAULTS = [
    Fault(
        "reset-on-campaign-lookup-is-retried",
        lambda r: r.faults.add("reset", "GET", CAMPAIGNS, times=2),
        "succeeded",
    ),
    Fault(
        "reset-on-token-request-is-retried",
        lambda r: r.faults.add("reset", "POST", TOKEN),
        "succeeded",
    ),
    Fault(
        "read-timeout-on-asset-lookup-is-retried",
        lambda r: r.faults.add("stall", "GET", ASSETS, delay=TIMEOUT + 0.3),
        "succeeded",
    ),
    Fault(
        "campaign-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", CAMPAIGNS),
        "failed",
    ),
    Fault(
        "reset-before-email-create-fails-then-replays",
        lambda r: r.faults.add("reset", "POST", ASSETS),
        "failed",
    ),
    Fault(
        "email-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", ASSETS),
        "failed",
    ),
    Fault(
        "email-created-but-answer-timed-out",
        lambda r: r.faults.add("stall_after", "POST", ASSETS, delay=TIMEOUT + 0.3),
        "failed",
    ),
    Fault(
        "email-created-but-answer-was-500",
        lambda r: r.faults.add(
            "respond_after", "POST", ASSETS, status=500, body=sfmc_error("Internal error", 10000)
        ),
        "failed",
    ),
    Fault(
        "association-made-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", LINKS),
        "failed",
    ),
    Fault(
        "503-on-create-is-retried",
        lambda r: r.fake.fail_next(
            503, sfmc_error("Service unavailable", 10000), method="POST", path=ASSETS_PATH, times=2
        ),
        "succeeded",
    ),
    Fault(
        "500-on-create-fails-then-replays",
        lambda r: r.fake.fail_next(500, sfmc_error("Internal error", 10000), method="POST", path=ASSETS_PATH),
        "failed",
    ),
    Fault(
        "500-on-lookup-is-retried",
        lambda r: r.fake.fail_next(
            500, sfmc_error("Internal error", 10000), method="GET", path=ASSETS_PATH, times=2
        ),
        "succeeded",
    ),
    Fault("50100-burst-within-retries", lambda r: throttle(r, times=3), "succeeded"),
    Fault("50100-burst-beyond-retries", lambda r: throttle(r, times=5), "failed"),
    Fault("50100-on-token-request-is-waited-out", lambda r: throttle(r, 1, path="/v2/token"), "succeeded"),
    Fault(
        "50200-blocked-fails-then-replays",
        lambda r: r.fake.fail_next(*rate_limited(blocked=True)[:2], method="POST", path="/hub/v1/campaigns"),
        "failed",
    ),
    Fault(
        "token-revoked-mid-run",
        lambda r: r.faults.add("hook", "POST", ASSETS, hook=r.fake.revoke_tokens),
        "succeeded",
    ),
]


def assert_fired(rig: SfmcRig) -> None:
    """The injected fault really happened (else the scenario proves nothing)."""
    for rule in rig.faults.rules:
        assert rule.hits > rule.skip, f"rule {rule.action} {rule.path} never matched"
    for failure in rig.fake._failures:
        assert failure.times == 0, f"injected {failure.status} not used up"


def assert_one_of_each(rig: SfmcRig, item: Content | None = None) -> None:
    item = item or content()
    (campaign,) = rig.campaigns(CAMPAIGN)
    emails = rig.emails(EMAIL)
    assert len(emails) == 1, f"emails titled {EMAIL!r}: {len(emails)}"
    email = emails[0]
    adapter = rig.adapter()
    assert email["customerKey"] == adapter.sfmc_mapper.content_key(item)
    assert campaign["campaignCode"] == adapter.sfmc_mapper.campaign_code(CAMPAIGN)
    assert email["views"]["subjectline"]["content"] == "Hello"
    assert email["views"]["html"]["content"].endswith("<h1>News</h1><p>Hello</p>")
    links = rig.fake.links.get(campaign["id"], [])
    assert [(link["type"], link["itemID"]) for link in links] == [
        ("EMAIL", str(email["legacyData"]["legacyId"]))
    ]
    assert rig.fake.counts()["campaigns"] == 1
    assert not [r for r in rig.fake.requests if r.path.startswith("/messaging")]  # nothing sent


def assert_log_succeeded(rig: SfmcRig, attempts: int) -> None:
    (record,) = records()
    assert record.state == "succeeded"
    assert record.error is None
    assert record.attempts == attempts
    assert record.steps["campaign"]["external_id"] == rig.campaigns(CAMPAIGN)[0]["id"]
    assert record.steps["publish"]["external_id"] == str(rig.emails(EMAIL)[0]["id"])


def run_and_replay(rig: SfmcRig, item: Content, first_state: str, **activate: Any) -> None:
    with rig.activator() as activator:
        first = activator.activate(item, "sfmc", **activate)
        assert first.record.state == first_state, first.error
        if first_state == "failed":
            assert first.error is not None
            assert first.error["type"] in {"PlatformUnavailable", "RateLimitError"}, first.error
            (failed,) = records()
            assert failed.state == "failed"
            assert failed.error == first.error
            replayed = activator.replay(first.record.id)
            assert replayed.ok, replayed.error


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_ends_with_one_email_once(sfmc: SfmcRig, fault: Fault) -> None:
    fault.install(sfmc)
    run_and_replay(sfmc, content(), fault.first)
    assert_fired(sfmc)
    assert_one_of_each(sfmc)
    assert_log_succeeded(sfmc, attempts=1 if fault.first == "succeeded" else 2)


def test_a_lost_create_is_not_repeated_in_the_same_run(sfmc: SfmcRig) -> None:
    """The POST whose answer was lost is sent once; the replay looks the asset up by
    customerKey (one GET) and does not POST it again."""
    sfmc.faults.add("reset_after", "POST", ASSETS)
    run_and_replay(sfmc, content(), "failed")
    assert len(sfmc.fake.calls("POST", ASSETS_PATH)) == 1
    assert_one_of_each(sfmc)


def test_rate_limit_waits_the_retry_after(sfmc: SfmcRig) -> None:
    throttle(sfmc, times=3)
    run_and_replay(sfmc, content(), "succeeded")
    assert sum(1 for wait in sfmc.clock.slept if 5.0 <= wait <= 6.0) == 3, sfmc.clock.slept
    assert len(sfmc.fake.calls("POST", ASSETS_PATH)) == 4
    assert_one_of_each(sfmc)


def test_blocked_client_is_not_hammered(sfmc: SfmcRig) -> None:
    """50200 (blocked for excess traffic) fails at once: one request, no retry."""
    sfmc.fake.fail_next(*rate_limited(blocked=True)[:2], method="POST", path=ASSETS_PATH, times=5)
    with sfmc.activator() as activator:
        first = activator.activate(content(), "sfmc")
    assert first.record.state == "failed"
    assert first.error is not None
    assert (first.error["type"], first.error["code"], first.error["retryable"]) == (
        "RateLimitError",
        "50200",
        False,
    )
    assert len(sfmc.fake.calls("POST", ASSETS_PATH)) == 1
    assert sfmc.emails(EMAIL) == []


def test_token_revoked_mid_run_is_refreshed_once(sfmc: SfmcRig) -> None:
    """A 401 (errorcode 0) on the create: one new token, the create repeated once (it
    was refused, not applied), one email."""
    adapters = []

    def factory(name: str) -> Any:
        adapters.append(sfmc.adapter(name))
        return adapters[-1]

    sfmc.faults.add("hook", "POST", ASSETS, hook=sfmc.fake.revoke_tokens)
    with sfmc.activator(factory) as activator:
        result = activator.activate(content(), "sfmc")
    assert result.ok, result.error
    assert adapters[0].tokens.fetches == 2
    assert len(sfmc.fake.token_requests) == 2
    assert len(sfmc.fake.calls("POST", ASSETS_PATH)) == 2  # refused with 401, then created
    assert_one_of_each(sfmc)
    assert_log_succeeded(sfmc, attempts=1)


def test_token_expiring_by_the_clock_is_renewed_before_use(sfmc: SfmcRig) -> None:
    """Time passes mid-run to within a minute of the token's expiry: the adapter fetches
    a new one before the next call instead of being refused (no 401, one new token)."""
    sfmc.faults.add("hook", "GET", ASSETS, hook=lambda: sfmc.clock.advance(sfmc.fake.expires_in - 30))
    with sfmc.activator() as activator:
        result = activator.activate(content(), "sfmc")
    assert result.ok, result.error
    assert len(sfmc.fake.token_requests) == 2
    assert len(sfmc.fake.calls("POST", ASSETS_PATH)) == 1  # never refused
    assert_one_of_each(sfmc)


def test_lost_create_while_the_index_lags_is_adopted_not_duplicated(sfmc_rig_factory: Any) -> None:
    """The create's answer was lost and Content Builder's query index has not caught up:
    the replay's look-up misses the asset, its create is refused (the customerKey is
    taken) and the adapter adopts the asset holding the key."""
    rig: SfmcRig = sfmc_rig_factory(index_lag=3)
    rig.faults.add("reset_after", "POST", ASSETS)
    run_and_replay(rig, content(), "failed")
    assert_fired(rig)
    assert len(rig.fake.calls("POST", ASSETS_PATH)) == 2  # the replay's create: refused, key taken
    assert any(wait >= 1 for wait in rig.clock.slept)  # the adoption waited for the index
    assert_one_of_each(rig)
    assert_log_succeeded(rig, attempts=2)


def test_replay_twice_creates_nothing_more(sfmc: SfmcRig) -> None:
    sfmc.faults.add("reset_after", "POST", ASSETS)
    with sfmc.activator() as activator:
        first = activator.activate(content(), "sfmc")
        assert not first.ok
        assert activator.replay(first.record.id).ok
        calls_before = len(sfmc.fake.requests)
        again = activator.replay(first.record.id)
    assert again.ok
    assert len(sfmc.fake.requests) == calls_before  # a succeeded record is not re-run
    assert_one_of_each(sfmc)


def test_reactivation_after_a_fault_writes_nothing(sfmc: SfmcRig) -> None:
    """Once a faulted activation converged, activating the same content again finds
    everything unchanged: no write request at all."""
    sfmc.faults.add("reset_after", "POST", LINKS)
    run_and_replay(sfmc, content(), "failed")
    mark = len(sfmc.fake.requests)
    with sfmc.activator() as activator:
        again = activator.activate(content(), "sfmc")
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert sfmc.fake.writes(mark) == []
    assert_one_of_each(sfmc)


def test_lost_image_upload_is_reused_on_replay(sfmc: SfmcRig, tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(PNG)
    item = content(assets=[{"path": "hero.png", "role": "featured", "alt_text": "Hero"}])
    sfmc.faults.add("reset_after", "POST", ASSETS)  # the first asset POST is the image
    with sfmc.activator() as activator:
        first = activator.activate(item, "sfmc", asset_root=tmp_path)
        assert first.record.state == "failed"
        assert "assets" not in records()[0].steps
        assert len(sfmc.fake.of_type(28)) == 1  # Content Builder has it; we never heard back
        replayed = activator.replay(first.record.id)
    assert replayed.ok, replayed.error
    (image,) = sfmc.fake.of_type(28)
    (record,) = records()
    assert record.steps["assets"]["results"][0]["external_id"] == str(image["id"])
    url = image["fileProperties"]["publishedURL"]
    assert url in sfmc.emails(EMAIL)[0]["views"]["html"]["content"]
    assert_one_of_each(sfmc, item)

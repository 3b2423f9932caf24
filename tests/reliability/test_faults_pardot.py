"""Fault injection against the fake Account Engagement (Pardot) over a real loopback socket.

Every scenario runs one list email activation (a Salesforce OAuth token, the campaign
found by name, the list email looked up by name, the list found by name, the list email
created, the look-up until it is visible) while one fault hits one request, then
replays what did not succeed. Creating a list email **sends** it and v5 has no
idempotency key, so the one promise that matters: whatever fails, the fake holds one
list email and recorded one send. The log holds one record: ``succeeded`` with the
fake's ids, or ``blocked`` when the replay finds the email its first attempt sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marketing_platform.contentfile import parse_content
from marketing_platform.models import Content
from tests.pardot.fake_pardot import TOKEN_PATH

from .conftest import PARDOT_CAMPAIGN, PARDOT_LIST, PNG, TIMEOUT, PardotRig, pardot_email, records

NAME = "reliability-letter"
TOKEN = rf"^{TOKEN_PATH}$"
CAMPAIGNS = r"^/api/v5/objects/campaigns$"
LISTS = r"^/api/v5/objects/lists$"
LIST_EMAILS = r"^/api/v5/objects/list-emails$"
LIST_EMAILS_PATH = "/api/v5/objects/list-emails"
CAMPAIGNS_PATH = "/api/v5/objects/campaigns"
DAILY = "Daily API rate limit met."
#: The adapter looks a maybe-made list email up for this long (past the 60 s read lag).
LOOKUP_SECONDS = 65.0


def content(**extra: object) -> Content:
    return parse_content({**pardot_email(NAME), **extra})


@dataclass(frozen=True)
class Fault:
    id: str
    install: Callable[[PardotRig], object]
    #: The state of the first attempt: "succeeded" when the adapter absorbs the fault.
    first: str
    #: The state after the replay: "blocked" when the first attempt sent the email.
    final: str = "succeeded"


def lost_and_unseen(rig: PardotRig) -> None:
    """The create's answer is lost, then every look-up of the poll fails too."""
    rig.faults.add("reset_after", "POST", LIST_EMAILS)
    rig.faults.add("reset", "GET", LIST_EMAILS, skip=2, times=5)  # after the two before the create


FAULTS = [
    Fault(
        "reset-on-campaign-lookup-is-retried",
        lambda r: r.faults.add("reset", "GET", CAMPAIGNS, times=2),
        "succeeded",
    ),
    Fault("reset-on-token-request-is-retried", lambda r: r.faults.add("reset", "POST", TOKEN), "succeeded"),
    Fault(
        "read-timeout-on-list-lookup-is-retried",
        lambda r: r.faults.add("stall", "GET", LISTS, delay=TIMEOUT + 0.3),
        "succeeded",
    ),
    Fault(
        "reset-before-create-fails-then-replays",
        lambda r: r.faults.add("reset", "POST", LIST_EMAILS),
        "failed",
    ),
    Fault(
        "list-email-created-but-answer-reset-is-found",
        lambda r: r.faults.add("reset_after", "POST", LIST_EMAILS),
        "succeeded",
    ),
    Fault(
        "list-email-created-but-answer-timed-out-is-found",
        lambda r: r.faults.add("stall_after", "POST", LIST_EMAILS, delay=TIMEOUT + 0.3),
        "succeeded",
    ),
    Fault(
        "list-email-created-answer-lost-and-look-ups-fail-then-replay-finds-it",
        lost_and_unseen,
        "failed",
        "blocked",
    ),
    Fault(
        "183-before-create-fails-then-replays",
        lambda r: r.fake.fail_next(183, "Internal error", status=500, method="POST", path=LIST_EMAILS_PATH),
        "failed",
    ),
    Fault(
        "183-after-create-is-found",
        lambda r: r.fake.fail_next(
            183, "Internal error", status=500, method="POST", path=LIST_EMAILS_PATH, after=True
        ),
        "succeeded",
    ),
    Fault(
        "214-timeout-after-create-is-found",
        lambda r: r.fake.fail_next(
            214, "Request timed out", status=400, method="POST", path=LIST_EMAILS_PATH, after=True
        ),
        "succeeded",
    ),
    Fault(
        "502-html-after-create-is-found",
        lambda r: r.faults.add("respond_after", "POST", LIST_EMAILS, status=502, body=b"<html>Bad</html>"),
        "succeeded",
    ),
    Fault(
        "503-html-before-create-fails-then-replays",
        lambda r: r.faults.add("respond", "POST", LIST_EMAILS, status=503, body=b"<html>Down</html>"),
        "failed",
    ),
    Fault(
        "183-on-lookup-is-retried",
        lambda r: r.fake.fail_next(
            183, "Internal error", status=500, method="GET", path=CAMPAIGNS_PATH, times=2
        ),
        "succeeded",
    ),
    Fault(
        "66-concurrency-burst-on-create-within-retries",
        lambda r: r.fake.fail_next(
            66, "Too many concurrent requests", status=429, method="POST", path=LIST_EMAILS_PATH, times=3
        ),
        "succeeded",
    ),
    Fault(
        "66-concurrency-burst-beyond-retries",
        lambda r: r.fake.fail_next(
            66, "Too many concurrent requests", status=429, method="POST", path=LIST_EMAILS_PATH, times=5
        ),
        "failed",
    ),
    Fault(
        "202-minute-limit-on-lookup-is-waited-out",
        lambda r: r.fake.fail_next(
            202, "Minute rate limit met", status=429, method="GET", path=CAMPAIGNS_PATH
        ),
        "succeeded",
    ),
    Fault(
        "429-retry-after-burst-on-create-within-retries",
        lambda r: r.faults.add(
            "respond", "POST", LIST_EMAILS, status=429, headers={"Retry-After": "7"}, times=2
        ),
        "succeeded",
    ),
    Fault(
        "122-daily-limit-on-create-fails-then-replays",
        lambda r: r.fake.fail_next(122, DAILY, status=429, method="POST", path=LIST_EMAILS_PATH),
        "failed",
    ),
    Fault(
        "122-daily-limit-on-lookup-fails-then-replays",
        lambda r: r.fake.fail_next(122, DAILY, status=429, method="GET", path=CAMPAIGNS_PATH),
        "failed",
    ),
    Fault(
        "bare-429-daily-message-fails-then-replays",
        lambda r: r.faults.add("respond", "POST", LIST_EMAILS, status=429, body={"message": DAILY}),
        "failed",
    ),
    Fault(
        "token-expires-on-create",
        lambda r: r.faults.add("hook", "POST", LIST_EMAILS, hook=r.fake.expire_tokens),
        "succeeded",
    ),
    Fault(
        "token-expires-on-lookup",
        lambda r: r.faults.add("hook", "GET", LISTS, hook=r.fake.expire_tokens),
        "succeeded",
    ),
]


def assert_fired(rig: PardotRig) -> None:
    """The injected fault really happened (else the scenario proves nothing)."""
    for rule in rig.faults.rules:
        assert rule.hits > rule.skip, f"rule {rule.action} {rule.path} never matched"
    for failure in rig.fake._failures:
        assert failure.times == 0, f"injected code {failure.code} not used up"


def assert_sent_once(rig: PardotRig) -> dict[str, Any]:
    """One list email, one send, to the content's list, in the content's campaign."""
    emails = rig.list_emails(NAME)
    assert len(emails) == 1, f"list emails named {NAME!r}: {len(emails)}"
    assert len(rig.fake.sends) == 1, f"sends: {rig.fake.sends}"
    (email,) = emails
    (campaign,) = rig.fake.named("campaigns", PARDOT_CAMPAIGN)
    (recipients,) = rig.fake.named("lists", PARDOT_LIST)
    assert email["campaignId"] == campaign["id"]
    assert email["subject"] == "Hello"
    assert "%%unsubscribe%%" in email["htmlMessage"]
    (send,) = rig.fake.sends
    assert (send["listEmailId"], send["recipientListIds"]) == (email["id"], [recipients["id"]])
    return email


def assert_log(rig: PardotRig, state: str, attempts: int) -> None:
    (record,) = records()
    assert record.state == state
    assert record.attempts == attempts
    (campaign,) = rig.fake.named("campaigns", PARDOT_CAMPAIGN)
    (email,) = rig.list_emails(NAME)
    assert record.steps["campaign"]["external_id"] == str(campaign["id"])
    assert record.steps["publish"]["external_id"] == f"list_email:{email['id']}"
    if state == "succeeded":
        assert record.error is None
        assert record.steps["publish"]["action"] == "created"
    else:  # the replay found the email its first attempt sent: never sent again
        assert record.error is not None
        assert record.error["type"] == "AlreadySent"
        assert record.steps["publish"]["action"] == "blocked"


def run_and_replay(rig: PardotRig, item: Content, fault: Fault) -> None:
    with rig.activator() as activator:
        first = activator.activate(item, "pardot")
        assert first.record.state == fault.first, first.error
        if fault.first == "failed":
            assert first.error is not None
            assert first.error["type"] in {"PlatformUnavailable", "RateLimitError"}, first.error
            (failed,) = records()
            assert failed.state == "failed"
            assert failed.error == first.error
            replayed = activator.replay(first.record.id)
            assert replayed.record.state == fault.final, replayed.error


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_ends_with_one_list_email_sent_once(pardot: PardotRig, fault: Fault) -> None:
    fault.install(pardot)
    run_and_replay(pardot, content(), fault)
    assert_fired(pardot)
    assert_sent_once(pardot)
    assert_log(pardot, fault.final, attempts=1 if fault.first == "succeeded" else 2)


@pytest.mark.parametrize("lost", ["reset_after", "stall_after"])
def test_a_lost_answer_is_looked_up_past_the_read_lag_never_posted_again(
    pardot_rig_factory: Callable[..., PardotRig], lost: str
) -> None:
    """Reads lag writes by 60 s: after the lost answer the adapter keeps looking the
    email up (virtual time) until it shows, and never repeats the POST."""
    rig = pardot_rig_factory(read_lag=60.0)
    rig.faults.add(lost, "POST", LIST_EMAILS, delay=TIMEOUT + 0.3)
    with rig.activator() as activator:
        result = activator.activate(content(), "pardot")
    assert result.ok, result.error
    assert result.publish is not None
    assert any("answer was lost" in warning for warning in result.publish.warnings)
    assert rig.clock.total_slept >= 60
    assert len(rig.fake.calls_to("POST", LIST_EMAILS_PATH)) == 1
    assert_sent_once(rig)
    assert_log(rig, "succeeded", attempts=1)


def test_a_create_that_never_arrived_is_looked_for_then_sent_once_on_replay(pardot: PardotRig) -> None:
    pardot.faults.add("reset", "POST", LIST_EMAILS)
    with pardot.activator() as activator:
        first = activator.activate(content(), "pardot")
        assert first.record.state == "failed"
        assert first.error is not None
        assert "replay" in first.error["hint"]
        assert pardot.clock.total_slept >= LOOKUP_SECONDS  # looked past the read lag first
        assert pardot.fake.sends == []
        assert activator.replay(first.record.id).ok
    posts = [
        what for method, path, what in pardot.faults.seen if (method, path) == ("POST", LIST_EMAILS_PATH)
    ]
    assert posts == ["reset", "pass"]  # the first never reached Account Engagement
    assert_sent_once(pardot)


@pytest.mark.parametrize("mode", ["client_credentials", "refresh_token"])
def test_token_refused_mid_run_is_refreshed_once_and_sent_once(pardot: PardotRig, mode: str) -> None:
    """No expires_in: the token lives until Account Engagement refuses it (184). The
    refused create (not applied) is repeated once, with one new token."""
    adapters = []

    def factory(name: str) -> Any:
        adapters.append(pardot.refresh_adapter(name) if mode == "refresh_token" else pardot.adapter(name))
        return adapters[-1]

    pardot.faults.add("hook", "POST", LIST_EMAILS, hook=pardot.fake.expire_tokens)
    with pardot.activator(factory) as activator:
        result = activator.activate(content(), "pardot")
    assert result.ok, result.error
    assert adapters[0].tokens.fetches == 2
    assert [r["grant_type"] for r in pardot.fake.token_requests] == [mode, mode]
    assert [c.status for c in pardot.fake.calls_to("POST", LIST_EMAILS_PATH)] == [401, 201]
    assert_sent_once(pardot)
    assert_log(pardot, "succeeded", attempts=1)


def test_daily_limit_is_not_retried_and_replays_the_next_day(pardot: PardotRig) -> None:
    pardot.fake.fail_next(122, DAILY, status=429, method="POST", path=LIST_EMAILS_PATH, times=3)
    with pardot.activator() as activator:
        first = activator.activate(content(), "pardot")
        assert first.error is not None
        assert (first.error["type"], first.error["scope"], first.error["retryable"]) == (
            "RateLimitError",
            "daily",
            False,
        )
        assert [c.status for c in pardot.fake.calls_to("POST", LIST_EMAILS_PATH)] == [429]
        assert all(wait < 1 for wait in pardot.clock.slept)  # no retry wait
        assert pardot.fake.sends == []
        pardot.fake._failures.clear()  # the quota reset
        assert activator.replay(first.record.id).ok
    assert_sent_once(pardot)
    assert_log(pardot, "succeeded", attempts=2)


def test_concurrency_66_on_create_waits_and_sends_once(pardot: PardotRig) -> None:
    pardot.fake.fail_next(
        66, "Too many concurrent requests", status=429, method="POST", path=LIST_EMAILS_PATH
    )
    with pardot.activator() as activator:
        assert activator.activate(content(), "pardot").ok
    assert [c.status for c in pardot.fake.calls_to("POST", LIST_EMAILS_PATH)] == [429, 201]
    assert any(1.0 <= wait < 2.0 for wait in pardot.clock.slept), pardot.clock.slept
    assert_sent_once(pardot)


def test_reactivation_after_a_faulted_send_is_blocked_without_writes(pardot: PardotRig) -> None:
    pardot.faults.add("reset_after", "POST", LIST_EMAILS)
    with pardot.activator() as activator:
        assert activator.activate(content(), "pardot").ok
        writes = len(pardot.fake.writes())
        again = activator.activate(content(), "pardot")
    assert again.record.state == "blocked"
    assert len(pardot.fake.writes()) == writes
    assert_sent_once(pardot)


def test_replay_twice_sends_nothing_more(pardot: PardotRig) -> None:
    pardot.faults.add("reset", "POST", LIST_EMAILS)
    with pardot.activator() as activator:
        first = activator.activate(content(), "pardot")
        assert not first.ok
        assert activator.replay(first.record.id).ok
        calls = len(pardot.fake.requests)
        assert activator.replay(first.record.id).ok
    assert len(pardot.fake.requests) == calls  # a succeeded record is not re-run
    assert_sent_once(pardot)


#: Faults on the look-ups *after* the create (the two before it are skipped).
AFTER_THE_CREATE = {
    "daily-limit": lambda r: r.faults.add(
        "respond", "GET", LIST_EMAILS, skip=2, status=429, body={"code": 122, "message": DAILY}
    ),
    "network": lambda r: r.faults.add("reset", "GET", LIST_EMAILS, skip=2, times=5),
}


@pytest.mark.parametrize("fault", sorted(AFTER_THE_CREATE))
def test_a_confirmed_send_is_recorded_even_if_the_look_up_after_it_fails(
    pardot: PardotRig, fault: str
) -> None:
    """Account Engagement answered the create 201 with the list email's id: the send is
    done and its id known. A failure of the look-up that merely waits out the read lag
    must not turn that into a failed activation whose replay reports it "blocked"."""
    AFTER_THE_CREATE[fault](pardot)
    with pardot.activator() as activator:
        first = activator.activate(content(), "pardot")
        if not first.ok:
            activator.replay(first.record.id)
    assert_fired(pardot)
    assert_sent_once(pardot)  # holds today: never sent twice
    assert first.record.state == "succeeded", first.error
    assert_log(pardot, "succeeded", attempts=1)


# ------------------------------------------------------------------ landing pages
PAGE = "reliability-page"


def page(tmp_path: Path) -> Content:
    """A landing page (a layout template holding the HTML, then the page) showing an
    image (uploaded to the files object): three creates."""
    (tmp_path / "hero.png").write_bytes(PNG)
    return parse_content(
        {
            "id": PAGE,
            "kind": "landing_page",
            "title": "Reliability page",
            "summary": "Meet us",
            "body": '<h1>Roadshow</h1><img src="hero.png" alt="Hero">',
            "campaign": {"name": PARDOT_CAMPAIGN},
        }
    )


def assert_one_page(rig: PardotRig) -> None:
    counts = {c: len(rig.fake.objects(c)) for c in ("landing-pages", "layout-templates", "files")}
    assert counts == {"landing-pages": 1, "layout-templates": 1, "files": 1}
    (landing,) = rig.fake.objects("landing-pages")
    (layout,) = rig.fake.objects("layout-templates")
    (image,) = rig.fake.objects("files")
    assert landing["layoutTemplateId"] == layout["id"]
    assert image["url"] in layout["layoutContent"]
    (record,) = records()
    assert record.state == "succeeded"
    assert record.steps["publish"]["external_id"] == f"landing_page:{landing['id']}"


def collection_path(collection: str) -> str:
    return rf"^/api/v5/objects/{collection}$"


@pytest.mark.parametrize("collection", ["landing-pages", "layout-templates", "files"])
def test_lost_page_create_is_found_and_adopted(pardot: PardotRig, collection: str, tmp_path: Path) -> None:
    """v5 can neither update nor delete a landing page: publishing twice leaves two. A
    create whose answer is lost is looked up by name and adopted, never made again."""
    pardot.faults.add("reset_after", "POST", collection_path(collection))
    with pardot.activator() as activator:
        first = activator.activate(page(tmp_path), "pardot", asset_root=tmp_path)
    assert first.ok, first.error
    assert len(pardot.fake.calls_to("POST", f"/api/v5/objects/{collection}")) == 1
    assert_fired(pardot)
    assert_one_page(pardot)


@pytest.mark.parametrize("collection", ["landing-pages", "layout-templates", "files"])
def test_page_create_that_never_arrived_fails_then_replays_once(
    pardot: PardotRig, collection: str, tmp_path: Path
) -> None:
    """The connection reset before Account Engagement saw the create: the adapter looks
    for it past the read lag, finds nothing, fails saying to replay; the replay makes it."""
    pardot.faults.add("reset", "POST", collection_path(collection))
    item = page(tmp_path)
    with pardot.activator() as activator:
        first = activator.activate(item, "pardot", asset_root=tmp_path)
        assert first.record.state == "failed", first.error
        assert first.error is not None
        assert first.error["type"] == "PlatformUnavailable"
        assert "replay" in first.error["hint"]
        assert pardot.clock.total_slept >= LOOKUP_SECONDS
        replayed = activator.replay(first.record.id)
        assert replayed.ok, replayed.error
    assert_fired(pardot)
    assert_one_page(pardot)


@pytest.mark.parametrize("collection", ["landing-pages", "layout-templates", "files"])
def test_lost_page_create_within_the_read_lag_is_not_made_twice(
    pardot_rig_factory: Callable[..., PardotRig], collection: str, tmp_path: Path
) -> None:
    rig = pardot_rig_factory(read_lag=60.0)
    rig.faults.add("reset_after", "POST", collection_path(collection))
    item = page(tmp_path)
    with rig.activator() as activator:
        first = activator.activate(item, "pardot", asset_root=tmp_path)
        if not first.ok:
            activator.replay(first.record.id)  # `mplat replay --failed` right away
    assert_fired(rig)
    assert_one_page(rig)

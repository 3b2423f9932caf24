"""Fault injection against the fake Marketo over a real loopback socket.

Every scenario runs one email activation (program with a cost, my.tokens, an email made
from an approved template, filled and approved) while one fault hits one request, then
replays whatever did not succeed. The end state is checked on both sides: the fake
holds exactly one program and one approved email, and the log holds one ``succeeded``
record whose steps carry the fake's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketing_platform.contentfile import parse_content
from marketing_platform.models import Content

from .conftest import PNG, TIMEOUT, MarketoRig, marketo_email, records

PROGRAM = "Reliability program"
EMAIL = "Reliability news"
ASSET = "/rest/asset/v1"


def content() -> Content:
    return parse_content(marketo_email(EMAIL, PROGRAM))


@dataclass(frozen=True)
class Fault:
    id: str
    install: Callable[[MarketoRig], object]
    #: The state of the first attempt: "succeeded" when retries absorb the fault.
    first: str


FAULTS = [
    Fault(
        "reset-on-lookup-is-retried",
        lambda r: r.faults.add("reset", "GET", r"/program/byName\.json", times=2),
        "succeeded",
    ),
    Fault(
        "reset-before-program-create-fails-then-replays",
        lambda r: r.faults.add("reset", "POST", r"/programs\.json"),
        "failed",
    ),
    Fault(
        "program-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", r"/programs\.json"),
        "failed",
    ),
    Fault(
        "read-timeout-on-lookup-is-retried",
        lambda r: r.faults.add("stall", "GET", r"/channels\.json", delay=TIMEOUT + 0.3),
        "succeeded",
    ),
    Fault(
        "email-created-but-answer-timed-out",
        lambda r: r.faults.add("stall_after", "POST", r"/emails\.json", delay=TIMEOUT + 0.3),
        "failed",
    ),
    Fault(
        "email-created-but-answer-reset",
        lambda r: r.faults.add("reset_after", "POST", r"/emails\.json"),
        "failed",
    ),
    Fault(
        "non-json-5xx-on-lookup-is-retried",
        # (not email/byName: an email is not looked up in a program created moments ago)
        lambda r: r.fake.fail("500-html", times=3, path="emailTemplate/byName"),
        "succeeded",
    ),
    Fault(
        "5xx-on-create-fails-then-replays",
        lambda r: r.fake.fail("500-html", times=1, path="emails.json"),
        "failed",
    ),
    Fault(
        "approved-but-answer-was-5xx",
        lambda r: r.faults.add(
            "respond_after", "POST", r"/email/\d+/approveDraft\.json", status=502, body=b"<html>bad</html>"
        ),
        "failed",
    ),
    Fault("604-and-608-are-retried", lambda r: (r.fake.fail("604"), r.fake.fail("608")), "succeeded"),
    Fault("606-burst-within-retries", lambda r: r.fake.fail("606", times=3), "succeeded"),
    Fault("606-burst-beyond-retries", lambda r: r.fake.fail("606", times=6), "failed"),
    Fault("615-burst-is-retried", lambda r: r.fake.fail("615", times=2), "succeeded"),
    Fault(
        "token-expires-mid-run",
        lambda r: r.faults.add("hook", "POST", r"/emails\.json", hook=lambda: r.fake.revoke_tokens("602")),
        "succeeded",
    ),
    Fault(
        "token-revoked-mid-run",
        lambda r: r.faults.add("hook", "GET", r"/email/\d+/content\.json", hook=r.fake.revoke_tokens),
        "succeeded",
    ),
]


def assert_fired(rig: MarketoRig) -> None:
    """The injected fault really happened (else the scenario proves nothing)."""
    for rule in rig.faults.rules:
        assert rule.hits > rule.skip, f"rule {rule.action} {rule.path} never matched"
    for injected in rig.fake._injected:
        assert injected.times == 0, f"injected {injected.code} not used up"


def assert_one_of_each(rig: MarketoRig) -> None:
    programs = rig.programs(PROGRAM)
    emails = rig.emails(EMAIL)
    assert len(programs) == 1, f"programs named {PROGRAM!r}: {len(programs)}"
    assert len(emails) == 1, f"emails named {EMAIL!r}: {len(emails)}"
    email = emails[0]
    assert email["status"] == "approved"
    assert email["folder"] == {"type": "Program", "value": programs[0]["id"], "folderName": PROGRAM}
    assert programs[0]["costs"] == [{"startDate": "2026-01-01", "cost": 100}]
    assert rig.fake.tokens[programs[0]["id"]]["Content Title"]["value"] == EMAIL
    sections = {s["htmlId"]: s["value"] for s in email["sections"]}
    assert sections["main"] == "<p>News</p>"


def assert_log_succeeded(rig: MarketoRig, attempts: int) -> None:
    (record,) = records()
    assert record.state == "succeeded"
    assert record.error is None
    assert record.attempts == attempts
    program = rig.programs(PROGRAM)[0]
    email = rig.emails(EMAIL)[0]
    assert record.steps["campaign"]["external_id"] == f"program:{program['id']}"
    assert record.steps["publish"]["external_id"] == f"email:{email['id']}"


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_ends_published_once(marketo: MarketoRig, fault: Fault) -> None:
    fault.install(marketo)
    with marketo.activator() as activator:
        first = activator.activate(content(), "marketo")
        assert first.record.state == fault.first, first.error
        if fault.first == "failed":
            assert first.error is not None
            assert first.error["type"] in {"PlatformUnavailable", "RateLimitError"}, first.error
            (failed,) = records()
            assert failed.state == "failed"
            assert failed.error == first.error
            replayed = activator.replay(first.record.id)
            assert replayed.ok, replayed.error
    assert_fired(marketo)
    assert_one_of_each(marketo)
    assert_log_succeeded(marketo, attempts=1 if fault.first == "succeeded" else 2)


def test_token_refresh_fetches_one_new_token(marketo: MarketoRig) -> None:
    marketo.faults.add("hook", "POST", r"/emails\.json", hook=lambda: marketo.fake.revoke_tokens("602"))
    with marketo.activator() as activator:
        assert activator.activate(content(), "marketo").ok
    assert len(marketo.fake.identity_calls()) == 2
    codes = [c.code for c in marketo.fake.rest_calls() if c.code]
    assert codes == ["602"]
    assert_one_of_each(marketo)


def test_replay_twice_creates_nothing_more(marketo: MarketoRig) -> None:
    marketo.faults.add("reset_after", "POST", r"/emails\.json")
    with marketo.activator() as activator:
        first = activator.activate(content(), "marketo")
        assert not first.ok
        assert activator.replay(first.record.id).ok
        calls_before = len(marketo.fake.rest_calls())
        again = activator.replay(first.record.id)
    assert again.ok
    assert len(marketo.fake.rest_calls()) == calls_before  # a succeeded record is not re-run
    assert_one_of_each(marketo)


def test_lost_file_upload_is_reused_on_replay(marketo: MarketoRig, tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(PNG)
    data = marketo_email(EMAIL, PROGRAM)
    data["assets"] = [{"path": "hero.png", "role": "featured", "alt_text": "Hero"}]
    marketo.faults.add("reset_after", "POST", r"/files\.json")
    with marketo.activator() as activator:
        first = activator.activate(parse_content(data), "marketo", asset_root=tmp_path)
        assert first.record.state == "failed"
        assert "assets" not in records()[0].steps
        assert len(marketo.files("hero.png")) == 1  # Marketo has it; we never heard back
        replayed = activator.replay(first.record.id)
    assert replayed.ok, replayed.error
    assert len(marketo.files("hero.png")) == 1
    (record,) = records()
    file_id = marketo.files("hero.png")[0]["id"]
    assert record.steps["assets"]["results"][0]["external_id"] == f"file:{file_id}"
    assert_one_of_each(marketo)

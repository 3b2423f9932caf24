"""Re-activation on Mailchimp: an activation is a sync of the content to its campaign.

Through the real pipeline (Activator, and ``mplat`` over a loopback fake), each test
asserts what the fake holds afterwards and which write requests it received:

* twice -> one campaign, the second run ``unchanged`` everywhere and no write at all;
* an edit of a campaign not yet sent -> the same campaign, edited in place, ``updated``
  with the changed fields (a scheduled one is unscheduled, edited and scheduled again);
* the same with a fresh activation log: everything is found on Mailchimp;
* a sent email (or one whose scheduled time has passed) -> ``blocked``, nothing written;
* images in the body -> uploaded once, the body on Mailchimp holds their URLs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.cli import main
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.testing import FakeClock, png_bytes

from ..fakes.server import serve
from .conftest import MakeAdapter, email
from .fake_mailchimp import API_KEY, FakeMailchimp

EXAMPLES = Path(__file__).parents[2] / "examples"
#: Ahead of the FakeClock's start (2026-01-01), on a quarter hour.
LATER = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)
SENT_LINE = "give the content a new id to send a new email"

Run = Callable[[Content], ActivationResult]


@pytest.fixture
def logs(tmp_path: Path, make_adapter: MakeAdapter) -> Iterator[Callable[[str], Run]]:
    """``logs(name)``: a function activating content on Mailchimp with the activation
    log ``name``, each call as a new process would (a new Activator and adapter). A new
    name is a fresh log: another machine, a CI runner, a lost log."""
    made: list[Activator] = []

    def open_log(name: str) -> Run:
        def run(content: Content) -> ActivationResult:
            log = ActivationLog(tmp_path / "logs" / f"{name}.sqlite3")
            activator = Activator(activation_log=log, platform_factory=lambda _: make_adapter(), fallback=[])
            made.append(activator)
            return activator.activate(content, "mailchimp", asset_root=tmp_path)

        return run

    yield open_log
    for activator in made:
        activator.close()


@pytest.fixture
def run(logs: Callable[[str], Run]) -> Run:
    """Activations sharing one log."""
    return logs("main")


@pytest.fixture
def fresh(logs: Callable[[str], Run]) -> Callable[[], Run]:
    """A new, empty activation log each call."""
    names = iter(range(1000))
    return lambda: logs(f"fresh-{next(names)}")


def writes_during(
    fake: FakeMailchimp, action: Callable[[], ActivationResult]
) -> tuple[ActivationResult, list[str]]:
    before = len(fake.writes())
    result = action()
    return result, fake.writes()[before:]


def scheduled(**changes: Any) -> Content:
    return email(**{"schedule_at": LATER.isoformat(), **changes})


def actions(result: ActivationResult) -> dict[str, Any]:
    return {
        "assets": result.assets.action if result.assets else None,
        "campaign": result.campaign.action if result.campaign else None,
        "publish": result.publish.action if result.publish else None,
    }


def only_campaign(fake: FakeMailchimp) -> dict[str, Any]:
    assert len(fake.campaigns) == 1, list(fake.campaigns)
    return next(iter(fake.campaigns.values()))


# ------------------------------------------------------------------- twice
@pytest.mark.parametrize("content", [email(), scheduled()], ids=["sent", "scheduled"])
def test_twice_is_one_campaign_and_the_second_run_writes_nothing(
    run: Run, fresh: Callable[[], Run], fake: FakeMailchimp, content: Content
) -> None:
    first = run(content)
    assert first.ok, first.error
    assert actions(first) == {"assets": None, "campaign": "created", "publish": "created"}

    for again in (run, fresh()):  # the same log, then a fresh one: found on Mailchimp
        second, writes = writes_during(fake, lambda again=again: again(content))
        assert writes == []
        assert fake.counts()["campaigns"] == 1
        assert fake.counts()["sends"] == (1 if content.schedule_at is None else 0)
        if content.schedule_at is None:  # sent: never touched again
            assert second.record.state == "blocked"
            assert second.publish is not None
            assert second.publish.action == "blocked"
        else:
            assert second.ok, second.error
            assert actions(second) == {"assets": None, "campaign": "unchanged", "publish": "unchanged"}
            assert second.publish is not None
            assert second.publish.status == "scheduled"
            assert second.publish.scheduled_at == LATER


def test_twice_with_an_image_uploads_it_once_and_writes_nothing(
    run: Run, fresh: Callable[[], Run], fake: FakeMailchimp, tmp_path: Path
) -> None:
    (tmp_path / "hero.png").write_bytes(png_bytes(3, 2))
    content = scheduled(assets=[{"path": "hero.png", "alt_text": "Hero", "role": "featured"}])
    first = run(content)
    assert first.ok, first.error
    second, writes = writes_during(fake, lambda: run(content))
    assert second.ok, second.error
    assert writes == []
    assert actions(second) == {"assets": "unchanged", "campaign": "unchanged", "publish": "unchanged"}
    # A fresh log: the core's upload memory is empty, the file manager holds the file.
    third, writes = writes_during(fake, lambda: fresh()(content))
    assert third.ok, third.error
    assert writes == []
    assert actions(third) == {"assets": "unchanged", "campaign": "unchanged", "publish": "unchanged"}
    assert fake.counts() == {"campaigns": 1, "files": 1, "sends": 0}
    url = next(iter(fake.files.values()))["full_size_url"]
    assert fake.html(only_campaign(fake)["id"]).startswith(f'<img src="{url}" alt="Hero">')


# -------------------------------------------------------------------- edits
EDITS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("body", {"body": "<h1>March</h1><p>Fixed a typo.</p>"}, ["body"]),
    ("summary", {"summary": "What is new in March, revised"}, ["summary"]),
    (
        "subject",
        {"email": {"subject": "March news!", "from_name": "Acme", "reply_to": "news@acme.example"}},
        ["subject"],
    ),
    (
        "title as the subject",
        {
            "title": "March newsletter, revised",
            "email": {"from_name": "Acme", "reply_to": "news@acme.example"},
        },
        ["subject"],
    ),
    (
        "sender",
        {"email": {"subject": "March news", "from_name": "Acme Team", "reply_to": "hello@acme.example"}},
        ["from_name", "reply_to"],
    ),
    ("audience", {"audience": {"lists": ["Conformance Kit List"]}}, ["audience"]),
    ("segment", {"platform_options": {"mailchimp": {"segment": "VIP"}}}, ["segment"]),
    ("schedule_at", {"schedule_at": (LATER + timedelta(hours=1)).isoformat()}, ["schedule_at"]),
]


@pytest.mark.parametrize(("edit", "changes", "changed"), EDITS, ids=[e[0] for e in EDITS])
@pytest.mark.parametrize("log", ["same log", "fresh log"])
def test_an_edit_of_a_scheduled_email_updates_it_in_place_and_reschedules_it(
    run: Run,
    fresh: Callable[[], Run],
    fake: FakeMailchimp,
    edit: str,
    changes: dict[str, Any],
    changed: list[str],
    log: str,
) -> None:
    newsletter = next(k for k, v in fake.lists.items() if v["name"] == "Newsletter subscribers")
    fake.lists[newsletter]["segments"].append({"id": 777, "name": "VIP", "type": "static"})
    first = run(scheduled())
    assert first.ok, first.error
    campaign_id = only_campaign(fake)["id"]

    edited = scheduled(**changes)
    again = run if log == "same log" else fresh()
    second, writes = writes_during(fake, lambda: again(edited))

    assert second.ok, second.error
    assert second.publish is not None
    assert second.publish.action == "updated"
    assert second.publish.changed == changed
    assert second.publish.external_id == campaign_id
    assert second.campaign is not None
    assert second.campaign.action == "unchanged"
    stored = only_campaign(fake)
    assert stored["status"] == "schedule"
    assert fake.sends == []
    # Unscheduled (Mailchimp edits drafts only), edited where it changed, scheduled again.
    edits = [w for w in writes if w.endswith(("/unschedule", "/schedule"))]
    assert edits == [
        f"POST /campaigns/{campaign_id}/actions/unschedule",
        f"POST /campaigns/{campaign_id}/actions/schedule",
    ]
    assert (f"PUT /campaigns/{campaign_id}/content" in writes) == (changed == ["body"])
    settings_edit = bool(
        {"summary", "subject", "from_name", "reply_to", "audience", "segment"} & set(changed)
    )
    assert (f"PATCH /campaigns/{campaign_id}" in writes) == settings_edit
    assert not [w for w in writes if w == "POST /campaigns" or w.endswith("/send")]

    settings, recipients = stored["settings"], stored["recipients"]
    when = edited.schedule_at
    assert when is not None
    assert datetime.fromisoformat(stored["send_time"]) == when
    assert second.publish.scheduled_at == when
    assert fake.html(campaign_id) == edited.body
    assert settings["subject_line"] == (
        edited.email.subject if edited.email and edited.email.subject else edited.title
    )
    assert settings["preview_text"] == edited.summary
    assert (settings["from_name"], settings["reply_to"]) == (
        edited.email.from_name if edited.email else None,
        edited.email.reply_to if edited.email else None,
    )
    assert fake.lists[recipients["list_id"]]["name"] == (
        edited.audience.lists[0] if edited.audience else None
    )
    assert recipients.get("segment_opts", {}).get("saved_segment_id") == (777 if edit == "segment" else None)

    third, writes = writes_during(fake, lambda: run(edited))
    assert writes == []
    assert third.publish is not None
    assert third.publish.action == "unchanged"


def test_a_removed_schedule_sends_the_scheduled_email_now(run: Run, fake: FakeMailchimp) -> None:
    run(scheduled())
    result = run(email())
    assert result.ok, result.error
    assert result.publish is not None
    assert result.publish.action == "updated"
    assert result.publish.changed == ["schedule_at", "status"]
    assert result.publish.status == "sent"
    assert fake.sends == [only_campaign(fake)["id"]]


def test_tags_and_campaign_details_have_no_place_on_mailchimp(run: Run, fake: FakeMailchimp) -> None:
    """A Mailchimp campaign holds no description, dates, costs or tags, and an email no
    tags: editing them changes nothing there, so nothing is written."""
    run(scheduled(campaign={"name": "Newsletter"}))
    edited = scheduled(
        tags=["news"],
        campaign={
            "name": "Newsletter",
            "description": "The monthly newsletter",
            "start_date": "2026-01-01",
            "costs": [{"start_date": "2026-01-01", "amount": 10}],
            "tags": {"Region": "EMEA"},
        },
    )
    result, writes = writes_during(fake, lambda: run(edited))
    assert writes == []
    assert actions(result) == {"assets": None, "campaign": "unchanged", "publish": "unchanged"}


def test_a_renamed_campaign_keeps_the_contents_own_mailchimp_campaign(
    run: Run, fresh: Callable[[], Run], fake: FakeMailchimp
) -> None:
    run(scheduled(campaign={"name": "Newsletter"}))
    campaign_id = only_campaign(fake)["id"]
    result = fresh()(scheduled(campaign={"name": "Monthly newsletter"}))
    assert result.ok, result.error
    assert result.campaign is not None
    assert result.campaign.action == "reused"
    assert result.publish is not None
    assert result.publish.action == "updated"
    assert result.publish.changed == ["campaign.name"]
    assert only_campaign(fake)["id"] == campaign_id
    assert only_campaign(fake)["settings"]["title"] == "Monthly newsletter / march-newsletter"


def test_a_renamed_campaign_of_a_sent_email_is_blocked_not_sent_again(
    fresh: Callable[[], Run], fake: FakeMailchimp
) -> None:
    fresh()(email(campaign={"name": "Newsletter"}))
    result, writes = writes_during(fake, lambda: fresh()(email(campaign={"name": "Monthly newsletter"})))
    assert result.record.state == "blocked"
    assert writes == []
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}


def test_a_sent_campaign_wins_over_a_draft_carrying_the_same_content(
    fresh: Callable[[], Run], fake: FakeMailchimp
) -> None:
    """The content was sent under its old campaign name; a draft under the new name
    exists too (made by hand, or by an older version): the sent one is the content's."""
    fresh()(email(campaign={"name": "Newsletter"}))
    sent = fake.sends[0]
    fake.add_campaign("Monthly newsletter / march-newsletter", list_name="Newsletter subscribers")
    result, writes = writes_during(fake, lambda: fresh()(email(campaign={"name": "Monthly newsletter"})))
    assert result.record.state == "blocked"
    assert result.publish is not None
    assert result.publish.external_id == sent
    assert writes == []
    assert fake.sends == [sent]


# ----------------------------------------------------------------- blocked
@pytest.mark.parametrize("log", ["same log", "fresh log"])
def test_a_sent_email_is_blocked_with_zero_writes(
    run: Run, fresh: Callable[[], Run], fake: FakeMailchimp, clock: FakeClock, log: str
) -> None:
    first = run(email())
    assert first.publish is not None
    assert first.publish.status == "sent"
    clock.advance(3600)
    again = run if log == "same log" else fresh()
    second, writes = writes_during(fake, lambda: again(email(body="<p>A typo fixed</p>")))

    assert second.record.state == "blocked"
    assert not second.ok
    assert writes == []
    assert len(fake.sends) == 1
    assert fake.html(fake.sends[0]) == "<h1>March</h1><p>News.</p>"
    assert second.error is not None
    assert second.error["message"] == (
        "march-newsletter was already sent on 2026-01-01 00:00 UTC to Newsletter subscribers; " + SENT_LINE
    )


def test_the_blocked_line_names_the_segment(run: Run, fake: FakeMailchimp) -> None:
    list_id = fake.add_audience("Customers", segments=["VIP"])
    content = email(audience={"lists": ["Customers"]}, platform_options={"mailchimp": {"segment": "VIP"}})
    run(content)
    second = run(content)
    assert second.error is not None
    assert "to Customers (segment VIP);" in second.error["message"]
    assert fake.lists[list_id]["segments"]


def test_a_scheduled_email_whose_time_has_passed_is_blocked(
    run: Run, fake: FakeMailchimp, clock: FakeClock
) -> None:
    run(scheduled())
    clock.advance((LATER - datetime.fromtimestamp(clock(), UTC)).total_seconds() + 60)
    second, writes = writes_during(fake, lambda: run(scheduled(body="<p>Too late</p>")))
    assert second.record.state == "blocked"
    assert writes == []
    assert second.error is not None
    assert "already sent on 2026-01-05 09:15 UTC to Newsletter subscribers" in second.error["message"]
    assert len(fake.sends) == 1  # Mailchimp sent it at its time, once


def test_a_draft_left_by_a_failed_send_is_finished_by_the_next_run(run: Run, fake: FakeMailchimp) -> None:
    # The send fails (a POST answered 500 is not repeated: Mailchimp may have sent it).
    fake.fail_next(500, method="POST", path_suffix="/actions/send")
    first = run(email())
    assert first.record.state == "failed"
    assert fake.sends == []

    second = run(email())
    assert second.ok, second.error
    assert second.publish is not None
    assert second.publish.action == "updated"
    assert second.publish.changed == ["status"]
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}


# ------------------------------------------------------------ inline images
def test_body_images_are_uploaded_once_and_the_body_holds_their_urls(
    run: Run, fresh: Callable[[], Run], fake: FakeMailchimp, tmp_path: Path
) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "chart.png").write_bytes(png_bytes(4, 4))
    markdown = scheduled(
        id="chart-markdown",
        body=None,
        body_markdown="# Chart\n\n![chart](images/chart.png)\n\nAgain: ![chart](images/chart.png)\n",
    )
    html = scheduled(id="chart-html", body='<p><img src="images/chart.png" alt="chart"></p>')

    results = [run(markdown), run(html), run(markdown), fresh()(html)]

    assert all(r.ok for r in results), [r.error for r in results]
    assert fake.counts() == {"campaigns": 2, "files": 1, "sends": 0}
    assert len(fake.calls("POST", "/file-manager/files")) == 1
    url = next(iter(fake.files.values()))["full_size_url"]
    for campaign in fake.campaigns.values():
        body = fake.html(campaign["id"])
        assert f'src="{url}"' in body
        assert "images/chart.png" not in body
    assert fake.html(only_of(fake, "chart-markdown")).count(url) == 2
    assert [r.publish.action for r in results if r.publish] == [
        "created",
        "created",
        "unchanged",
        "unchanged",
    ]


def only_of(fake: FakeMailchimp, content_id: str) -> str:
    return next(c["id"] for c in fake.campaigns.values() if c["settings"]["title"] == content_id)


def test_with_a_fresh_log_a_file_already_in_the_file_manager_is_reused(
    fresh: Callable[[], Run], make_adapter: MakeAdapter, fake: FakeMailchimp, tmp_path: Path
) -> None:
    """An earlier run uploaded the image, then its log was lost (a CI runner, say)."""
    data = png_bytes(5, 5)
    (tmp_path / "chart.png").write_bytes(data)
    held = fake.add_file(
        make_adapter().mapper.upload_name("chart.png", hashlib.sha256(data).hexdigest()), data
    )
    fake.add_file("chart.png", png_bytes(6, 6))  # by hand: same name and size, another image
    result = fresh()(scheduled(body='<img src="chart.png">'))
    assert result.ok, result.error
    assert fake.calls("POST", "/file-manager/files") == []
    assert fake.counts()["files"] == 2
    assert f'<img src="{held["full_size_url"]}">' == fake.html(only_campaign(fake)["id"])


def test_a_file_of_the_same_name_holding_another_image_is_not_reused(
    fresh: Callable[[], Run], fake: FakeMailchimp, tmp_path: Path
) -> None:
    (tmp_path / "chart.png").write_bytes(png_bytes(5, 5))
    fake.add_file("chart.png", png_bytes(6, 6))  # same name and size, another image
    result = fresh()(scheduled(body='<img src="chart.png">'))
    assert result.ok, result.error
    assert len(fake.calls("POST", "/file-manager/files")) == 1
    uploaded = fake.files[str(result.assets.results[0].external_id)] if result.assets else {}
    assert uploaded["data"] == png_bytes(5, 5)
    assert uploaded["full_size_url"] in fake.html(only_campaign(fake)["id"])


# ---------------------------------------------------------------- dry run
def test_dry_run_shows_unchanged_update_and_blocked_and_writes_nothing(
    make_adapter: MakeAdapter, run: Run, fake: FakeMailchimp, tmp_path: Path
) -> None:
    run(scheduled(id="later"))
    run(email(id="now"))
    before = fake.writes()
    with Activator(
        activation_log=ActivationLog(tmp_path / "plan.sqlite3"), platform_factory=lambda _: make_adapter()
    ) as activator:
        same = activator.plan(scheduled(id="later"), "mailchimp")
        edited = activator.plan(scheduled(id="later", summary="Edited"), "mailchimp")
        sent = activator.plan(email(id="now"), "mailchimp")
    assert fake.writes() == before

    assert [(o["object"], o["action"]) for o in same["objects"]] == [
        ("campaign", "unchanged"),
        ("content", "unchanged"),
    ]
    content = edited["objects"][1]
    assert content["action"] == "update"
    assert content["changes"] == {"summary": {"from": "What is new in March", "to": "Edited"}}
    assert sent["objects"][1]["action"] == "blocked"
    assert SENT_LINE in sent["objects"][1]["reason"]


# ------------------------------------------------------------------- lookups
def test_audiences_and_segments_are_read_once_per_ttl(
    adapter: Any, fake: FakeMailchimp, clock: FakeClock
) -> None:
    list_id = fake.add_audience("Customers", segments=["VIP"])
    for _ in range(3):
        assert adapter.audience_id("Customers") == list_id
        assert adapter.segment_id(list_id, "VIP")
    assert len(fake.calls("GET", "/lists")) == 2  # the audiences, the segments
    clock.advance(adapter.lookup_ttl + 1)
    adapter.audience_id("Customers")
    adapter.segment_id(list_id, "VIP")
    assert len(fake.calls("GET", "/lists")) == 4


def test_an_audience_made_since_the_last_read_is_found(adapter: Any, fake: FakeMailchimp) -> None:
    adapter.audience_id("Newsletter subscribers")
    list_id = fake.add_audience("Made just now", segments=["New"])
    assert adapter.audience_id("Made just now") == list_id
    fake.lists[list_id]["segments"].append({"id": 999, "name": "Newer", "type": "static"})
    adapter.segment_id(list_id, "New")
    assert adapter.segment_id(list_id, "Newer") == 999


def test_the_account_key_is_the_mailchimp_account_not_the_sender_settings(
    make_adapter: MakeAdapter, fake: FakeMailchimp
) -> None:
    one = make_adapter()
    other = make_adapter(from_name="Someone else", audience="Newsletter subscribers")
    assert one.account_key() == other.account_key() == one.account_key()
    assert len(fake.calls("GET", "/")) == 2  # once per adapter
    fake_other_account = make_adapter(base_url="http://127.0.0.1:9/3.0")
    assert fake_other_account.settings.api_base_url != one.settings.api_base_url


# ---------------------------------------------------------------- the CLI
@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, mailchimp_env: str) -> Iterator[FakeMailchimp]:
    """A fake on the real clock behind a loopback socket, MAILCHIMP_BASE_URL set."""
    fake = FakeMailchimp()
    with serve(fake) as url:
        monkeypatch.setenv("MAILCHIMP_BASE_URL", f"{url}/3.0")
        yield fake


def test_cli_blocks_a_sent_email_with_one_line_and_exit_1(live: FakeMailchimp, tmp_path: Path) -> None:
    source = tmp_path / "newsletter.yaml"
    source.write_text((EXAMPLES / "monthly-newsletter.yaml").read_text())
    cli = CliRunner(env={"COLUMNS": "250"})
    first = cli.invoke(main, ["activate", str(source), "-p", "mailchimp"])
    assert first.exit_code == 0, first.output
    sends = len(live.sends)
    before = live.writes()

    second = cli.invoke(main, ["activate", str(source), "-p", "mailchimp"])
    assert second.exit_code == 1, second.output
    flat = re.sub(r"\s+", " ", second.output)
    assert re.search(
        r"newsletter-2026-12 was already sent on \d{4}-\d\d-\d\d \d\d:\d\d UTC to Newsletter subscribers; "
        + SENT_LINE,
        flat,
    ), second.output
    assert live.writes() == before
    assert len(live.sends) == sends == 1

    as_json = cli.invoke(main, ["activate", str(source), "-p", "mailchimp", "--json"])
    assert as_json.exit_code == 1
    activation = json.loads(as_json.output)["activations"][0]
    assert activation["state"] == "blocked"
    assert activation["publish"]["action"] == "blocked"
    assert activation["error"]["message"].endswith(SENT_LINE)


def test_done_when_the_example_newsletter_three_times_is_one_campaign_and_one_send(
    live: FakeMailchimp, tmp_path: Path
) -> None:
    codes = []
    for _ in range(3):
        result = CliRunner().invoke(
            main, ["activate", str(EXAMPLES / "monthly-newsletter.yaml"), "-p", "mailchimp", "--json"]
        )
        codes.append(result.exit_code)
    assert codes == [0, 1, 1]
    assert live.counts() == {"campaigns": 1, "files": 0, "sends": 1}
    assert API_KEY not in result.output


def test_the_examples_folder_is_refused_whole_on_mailchimp(live: FakeMailchimp) -> None:
    """examples/ holds a blog post and a landing page: Mailchimp sends emails only, and
    one content it cannot take refuses the batch before anything is sent."""
    result = CliRunner().invoke(main, ["activate", str(EXAMPLES), "-p", "mailchimp"])
    assert result.exit_code == 2
    assert "blog_post" in result.output
    assert live.requests == []


# ----------------------------------------------------------- issue 15: fewer calls
def test_a_new_email_is_created_with_its_settings_and_not_read_back(run: Run, fake: FakeMailchimp) -> None:
    result = run(email())
    assert result.ok, result.error
    assert result.publish is not None
    assert result.publish.action == "created"
    campaign_id = str(result.publish.external_id)
    assert [f"{r.method} {r.path}" for r in fake.requests] == [
        "GET /campaigns",  # the content's campaign, by title: none
        "GET /lists",  # the audience, for the create
        "POST /campaigns",  # with recipients and settings
        f"PUT /campaigns/{campaign_id}/content",
        f"POST /campaigns/{campaign_id}/actions/send",
    ]
    stored = fake.campaigns[campaign_id]
    assert stored["status"] == "sent"
    assert stored["settings"]["subject_line"] == "March news"
    assert fake.sends == [campaign_id]


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_a_campaign_made_before_a_failed_publish_is_filled_on_replay(
    logs: Callable[[str], Run], fake: FakeMailchimp, log: str
) -> None:
    """The campaign step made the campaign with its settings, the HTML was refused: the
    next activation (same log, or a fresh one) reads the campaign, fills and sends it."""
    fake.fail_next(500, method="PUT", path_suffix="/content", times=5)  # every retry
    first = logs("main")(email())
    assert not first.ok
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 0}
    again = logs(log)(email())
    assert again.ok, again.error
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}
    (stored,) = fake.campaigns.values()
    assert fake.contents[stored["id"]]["html"] == "<h1>March</h1><p>News.</p>"
    assert not fake.calls("PATCH")  # its settings were right from the create

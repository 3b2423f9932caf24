"""The mock is as strict as the real platforms and follows the same sync rules.

Every test asserts what the mock HOLDS afterwards (objects, stored payloads, sends) and
the writes it received (``MockState.writes``: the mock has no HTTP, so its write log is
the "write requests" of the real adapters' fakes). Activations go through the real
pipeline (:class:`Activator`, or ``mplat`` via click's runner) with a fake clock where
time matters."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.cli import main
from marketing_platform.errors import AlreadySent, ContentRejected, PlatformUnavailable
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.registry import Registry
from marketing_platform_mock import MockPlatform
from marketing_platform_mock.platform import CDN
from marketing_platform_mock.state import MockState

from .conftest import EXAMPLES
from .helpers import FakeClock, png_bytes

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SENT_LINE = re.compile(
    r"^\s*newsletter-12 was already sent on \d{4}-\d\d-\d\d \d\d:\d\d UTC to Newsletter subscribers;"
    r" give the content a new id to send a new email$"
)


# ------------------------------------------------------------------ the rig
class Rig:
    """One mock "vendor" (a state file) and activations against it, each in a new
    Activator and adapter, with the activation log of the caller's choice."""

    def __init__(self, root: Path, clock: FakeClock) -> None:
        self.root = root
        self.clock = clock
        self.state_path = root / "vendor" / "mock-state.sqlite3"
        self.state = MockState(self.state_path)

    def adapter(self) -> MockPlatform:
        adapter = Registry().create("mock", clock=self.clock, sleep=self.clock.sleep, state=self.state_path)
        assert isinstance(adapter, MockPlatform)
        return adapter

    def activate(self, content: Content, *, log: str = "main") -> ActivationResult:
        activation_log = ActivationLog(self.root / f"{log}.sqlite3")
        with Activator(
            registry=Registry(),
            activation_log=activation_log,
            platform_factory=lambda name: self.adapter(),
            fallback=[],
        ) as activator:
            return activator.activate(content, "mock", asset_root=self.root)

    def writes(self) -> list[tuple[str, str]]:
        return [(w["operation"], w["object_id"]) for w in self.state.writes()]

    def during(self, action: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]]:
        """``action()`` and the writes the mock received meanwhile."""
        before = len(self.state.writes())
        result = action()
        return result, self.writes()[before:]

    def stored(self, object_id: str | None) -> dict[str, Any]:
        assert object_id is not None
        row = self.state.get(object_id)
        assert row is not None, f"the mock holds no {object_id}"
        return row


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    (tmp_path / "hero.png").write_bytes(png_bytes(3, 2))
    return Rig(tmp_path, FakeClock(NOW.timestamp()))


CAMPAIGN = {
    "name": "Spring",
    "description": "The spring launch",
    "start_date": "2026-12-01",
    "end_date": "2026-12-31",
    "costs": [{"start_date": "2026-12-01", "amount": 2000, "note": "Paid social"}],
    "tags": {"Region": "EMEA"},
}


def post(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "launch",
        "kind": "blog_post",
        "title": "Launch",
        "summary": "Everything new",
        "body": "<p>Hello</p>",
        "tags": ["product", "launch"],
        "campaign": CAMPAIGN,
        "assets": [{"path": "hero.png", "alt_text": "A rocket", "role": "featured"}],
    }
    return Content.model_validate({**data, **fields})


def email(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "newsletter-12",
        "kind": "email",
        "title": "December newsletter",
        "summary": "The month in product",
        "body": "<p>News</p>",
        "tags": ["newsletter"],
        "campaign": {**CAMPAIGN, "name": "Newsletter 12"},
        "audience": {"lists": ["Newsletter subscribers"]},
        "email": {
            "template": "Monthly Newsletter",
            "subject": "December",
            "from_name": "The Team",
            "from_email": "team@example.com",
        },
    }
    return Content.model_validate({**data, **fields})


def page(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "roadshow",
        "kind": "landing_page",
        "title": "Roadshow",
        "summary": "Meet us",
        "body": "<h1>Roadshow</h1>",
        "tags": ["events"],
        "campaign": {**CAMPAIGN, "name": "Roadshow"},
        "landing_page": {"template": "Event Landing Page"},
    }
    return Content.model_validate({**data, **fields})


def event(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "summit",
        "kind": "event",
        "title": "Summit",
        "summary": "Our yearly summit",
        "tags": ["events"],
        "campaign": {**CAMPAIGN, "name": "Summit"},
    }
    return Content.model_validate({**data, **fields})


KINDS: dict[str, Callable[..., Content]] = {
    "blog_post": post,
    "email": email,
    "landing_page": page,
    "event": event,
}


# ------------------------------------------------------------- strictness
@pytest.mark.parametrize(
    ("make", "fields", "field"),
    [
        (
            email,
            {"email": {"template": "T", "from_name": "N", "from_email": "n@example.com"}},
            "email.subject",
        ),
        (
            email,
            {"email": {"subject": "S", "from_name": "N", "from_email": "n@example.com"}},
            "email.template",
        ),
        (
            email,
            {"email": {"subject": "S", "template": "T", "from_email": "n@example.com"}},
            "email.from_name",
        ),
        (email, {"email": {"subject": "S", "template": "T", "from_name": "N"}}, "email.from_email"),
        (email, {"email": None}, "email.template"),
        (email, {"body": None}, "body"),
        (post, {"body": None}, "body"),
        (page, {"body": None}, "body"),
        (page, {"landing_page": None}, "landing_page.template"),
        (post, {"schedule_at": (NOW - timedelta(minutes=1)).isoformat()}, "schedule_at"),
        (email, {"schedule_at": NOW.isoformat()}, "schedule_at"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", ""),
)
def test_the_mock_refuses_what_marketo_or_hubspot_refuse_before_anything_is_recorded(
    rig: Rig, make: Callable[..., Content], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ContentRejected) as caught:
        rig.activate(make(**fields))

    assert field in [p.field for p in caught.value.problems], caught.value.problems
    assert ActivationLog(rig.root / "main.sqlite3").list() == []
    assert rig.writes() == []
    assert rig.state.count() == 0


def test_files_over_marketos_one_megabyte_are_refused_and_one_at_the_limit_is_accepted(rig: Rig) -> None:
    padding = MockPlatform.max_asset_bytes - len(png_bytes())
    (rig.root / "limit.png").write_bytes(png_bytes() + b"\x00" * padding)
    (rig.root / "over.png").write_bytes(png_bytes() + b"\x00" * (padding + 1))
    assert MockPlatform.max_asset_bytes == 1_000_000

    with pytest.raises(ContentRejected) as caught:
        rig.activate(post(assets=[{"path": "over.png"}]))
    assert [p.field for p in caught.value.problems] == ["assets[0].path"]
    assert rig.writes() == []

    assert rig.activate(post(assets=[{"path": "limit.png"}])).ok


def test_a_file_over_the_limit_given_to_upload_assets_directly_is_refused(rig: Rig) -> None:
    from marketing_platform.models import Asset

    (rig.root / "over.png").write_bytes(png_bytes() + b"\x00" * MockPlatform.max_asset_bytes)
    big = Asset(path=rig.root / "over.png", mime_type="image/png")

    with pytest.raises(ContentRejected, match="up to 1000000 bytes"):
        rig.adapter().upload_assets([big])
    assert rig.writes() == []


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.iterdir() if p.is_file()), ids=lambda p: p.name)
def test_every_example_is_valid_on_the_mock(path: Path) -> None:
    from marketing_platform.contentfile import load_content_file

    content = load_content_file(path).content
    adapter = Registry().create("mock")
    assert adapter.mapper.problems(content) == []


# ------------------------------------------------------------ converge
@pytest.mark.parametrize("log", ["main", "fresh"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_activating_twice_holds_one_object_and_the_second_run_writes_nothing(
    rig: Rig, kind: str, log: str
) -> None:
    content = KINDS[kind]()
    first, created = rig.during(lambda: rig.activate(content))
    assert first.ok, first.error
    assert first.publish.action == "created"
    assert first.campaign.action == "created"
    assert [op for op, _ in created] == [
        *(["upload_asset"] if content.assets else []),
        "create_campaign",
        "publish_content",
    ]

    again, writes = rig.during(lambda: rig.activate(content, log=log))

    assert writes == [], f"an unchanged re-activation ({log} log) wrote {writes}"
    assert rig.state.count(kind) == 1
    assert rig.state.count("campaign") == 1
    assert again.campaign.action == "unchanged"
    assert again.publish.external_id == first.publish.external_id
    if kind == "email":  # sent when first activated: never touched again
        assert first.publish.status == "sent"
        assert again.record.state == "blocked"
        assert again.publish.action == "blocked"
        assert len(rig.state.sends()) == 1
    else:
        assert again.ok, again.error
        assert again.publish.action == "unchanged"
        assert again.record.steps["publish"]["action"] == "unchanged"
    if content.assets:
        assert rig.state.count("asset") == 1
        if log == "main":
            assert again.assets.action == "unchanged"


# A blog post, landing page and event edited in every field the issue names.
EDITS: dict[str, Any] = {
    "title": "Launch day",
    "summary": "Everything new, in five minutes",
    "body": "<p>Hello again</p>",
    "tags": ["product"],
}
CAMPAIGN_EDIT = {
    "description": "The spring launch, extended",
    "end_date": "2027-01-31",
    "costs": [{"start_date": "2026-12-01", "amount": 2500, "note": "Paid social"}],
    "tags": {"Region": "EMEA", "Tier": "1"},
}


@pytest.mark.parametrize("log", ["main", "fresh"])
@pytest.mark.parametrize("kind", ["blog_post", "event", "landing_page"])
def test_an_edit_updates_the_one_object_in_place_and_names_the_changed_fields(
    rig: Rig, kind: str, log: str
) -> None:
    make = KINDS[kind]
    first = rig.activate(make())
    campaign = {**make().campaign.model_dump(mode="json"), **CAMPAIGN_EDIT}  # type: ignore[union-attr]
    edits = {k: v for k, v in EDITS.items() if kind != "event" or k != "body"}
    edited = make(**edits, campaign=campaign)

    again, writes = rig.during(lambda: rig.activate(edited, log=log))

    assert again.ok, again.error
    object_id = first.publish.external_id
    campaign_id = first.campaign.external_id
    assert writes == [("update_campaign", campaign_id), ("update_content", object_id)]
    assert again.publish.action == "updated"
    assert again.publish.changed == sorted(edits)
    assert again.publish.external_id == object_id
    assert again.campaign.action == "updated"
    assert again.campaign.changed == ["costs", "description", "end_date", "tags.Tier"]
    assert rig.state.count(kind) == 1
    assert rig.state.count("campaign") == 1
    held = rig.stored(object_id)["data"]["payload"]
    assert {key: held[key] for key in edits} == edits
    assert rig.stored(campaign_id)["data"]["description"] == "The spring launch, extended"
    assert rig.stored(campaign_id)["data"]["tags"] == {"Region": "EMEA", "Tier": "1"}
    assert rig.stored(object_id)["created_at"] == NOW.timestamp()  # the same object, rewritten

    third, writes = rig.during(lambda: rig.activate(edited, log=log))
    assert writes == []
    assert third.publish.action == "unchanged"


def test_a_removed_summary_tag_or_campaign_field_is_a_change_too(rig: Rig) -> None:
    first = rig.activate(post())
    trimmed = post(summary=None, tags=["product"], campaign={**CAMPAIGN, "description": None, "tags": {}})

    again, writes = rig.during(lambda: rig.activate(trimmed))

    assert again.publish.changed == ["summary", "tags"]
    assert again.campaign.changed == ["description", "tags.Region"]
    held = rig.stored(first.publish.external_id)["data"]["payload"]
    assert "summary" not in held
    assert held["tags"] == ["product"]
    assert "description" not in rig.stored(first.campaign.external_id)["data"]
    assert len(writes) == 2


def test_a_scheduled_post_is_rescheduled_and_goes_live_when_its_time_comes(rig: Rig) -> None:
    first = rig.activate(post(schedule_at=NOW + timedelta(days=2)))
    assert first.publish.status == "scheduled"

    later = NOW + timedelta(days=3)
    moved, writes = rig.during(lambda: rig.activate(post(schedule_at=later)))

    assert moved.publish.action == "updated"
    assert moved.publish.changed == ["schedule_at"]
    assert moved.publish.status == "scheduled"
    assert moved.publish.scheduled_at == later
    assert rig.stored(first.publish.external_id)["schedule_at"] == later.timestamp()
    assert [op for op, _ in writes] == ["update_content"]

    rig.clock.advance(timedelta(days=3).total_seconds())
    status, writes = rig.during(lambda: rig.adapter().get_status(str(first.publish.external_id)))
    assert status.status == "published"
    assert writes == [], "going live at its time is the platform's move, not a write"


def test_a_dry_run_shows_the_diff_and_writes_nothing(rig: Rig) -> None:
    rig.activate(post())
    with Activator(
        registry=Registry(),
        activation_log=ActivationLog(rig.root / "main.sqlite3"),
        platform_factory=lambda name: rig.adapter(),
        fallback=[],
    ) as activator:
        plan, writes = rig.during(lambda: activator.plan(post(body="<p>v2</p>"), "mock", asset_root=rig.root))

    assert writes == []
    objects = {entry["object"]: entry for entry in plan["objects"]}
    assert objects["campaign"]["action"] == "unchanged"
    assert objects["content"]["action"] == "update"
    assert objects["content"]["changes"] == {"body": {"from": "<p>Hello</p>", "to": "<p>v2</p>"}}
    assert rig.stored(objects["content"]["external_id"])["data"]["payload"]["body"] == "<p>Hello</p>"


# --------------------------------------------------------------------- email
def test_an_email_is_sent_once_at_activation_to_its_lists(rig: Rig) -> None:
    first = rig.activate(email())

    assert first.publish.status == "sent"
    assert first.publish.sent_at == NOW
    assert first.publish.recipients == ["Newsletter subscribers"]
    (send,) = rig.state.sends()
    assert send == {
        "object_id": first.publish.external_id,
        "sent_at": NOW.timestamp(),
        "recipients": ["Newsletter subscribers"],
    }
    status = rig.adapter().get_status(str(first.publish.external_id))
    assert status.status == "sent"


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_an_edited_sent_email_is_blocked_and_nothing_is_written_or_sent(rig: Rig, log: str) -> None:
    first = rig.activate(email())

    again, writes = rig.during(lambda: rig.activate(email(body="<p>A typo fixed</p>"), log=log))

    assert again.record.state == "blocked"
    assert again.error["code"] == "already_sent"
    assert again.error["message"] == (
        "newsletter-12 was already sent on 2026-12-01 09:00 UTC to Newsletter subscribers;"
        " give the content a new id to send a new email"
    )
    assert writes == []
    assert len(rig.state.sends()) == 1
    assert rig.stored(first.publish.external_id)["data"]["payload"]["body"] == "<p>News</p>"


def test_a_scheduled_email_is_updated_and_rescheduled_then_sent_once_when_its_time_comes(rig: Rig) -> None:
    first = rig.activate(email(schedule_at=NOW + timedelta(days=2)))
    assert first.publish.status == "scheduled"
    assert rig.state.sends() == []

    later = NOW + timedelta(days=3)
    edited = email(schedule_at=later, email={**email().email.model_dump(), "subject": "December!"})  # type: ignore[union-attr]
    moved, writes = rig.during(lambda: rig.activate(edited))

    assert moved.ok, moved.error
    assert moved.publish.action == "updated"
    assert moved.publish.changed == ["email.subject", "schedule_at"]
    assert moved.publish.status == "scheduled"
    assert moved.publish.scheduled_at == later
    assert writes == [("update_content", first.publish.external_id)]
    assert rig.state.sends() == []
    assert rig.stored(first.publish.external_id)["schedule_at"] == later.timestamp()

    rig.clock.advance(timedelta(days=3, minutes=1).total_seconds())
    # its time came: sent once, at the scheduled time, by the platform (not a write)
    unscheduled = email(email=edited.email)
    blocked, writes = rig.during(lambda: rig.activate(unscheduled))
    assert blocked.record.state == "blocked"
    assert writes == []
    (send,) = rig.state.sends()
    assert send["sent_at"] == later.timestamp()
    assert send["recipients"] == ["Newsletter subscribers"]
    assert blocked.error["message"].startswith("newsletter-12 was already sent on 2026-12-04 09:00 UTC")


def test_a_scheduled_email_whose_schedule_is_dropped_is_sent_now(rig: Rig) -> None:
    first = rig.activate(email(schedule_at=NOW + timedelta(days=2)))

    now, writes = rig.during(lambda: rig.activate(email()))

    assert now.publish.action == "updated"
    assert now.publish.changed == ["schedule_at"]
    assert now.publish.status == "sent"
    assert writes == [("update_content", first.publish.external_id)]
    assert [s["sent_at"] for s in rig.state.sends()] == [NOW.timestamp()]


def test_update_content_refuses_a_sent_email_even_when_called_directly(rig: Rig) -> None:
    first = rig.activate(email())
    adapter = rig.adapter()
    found = adapter.find_content(email(), None)
    assert found is not None

    with pytest.raises(AlreadySent):
        rig.during(lambda: adapter.update_content(email(body="<p>v2</p>"), found, {"body": {}}))

    assert rig.writes()[-1] == ("publish_content", first.publish.external_id)
    assert len(rig.state.sends()) == 1


def test_a_due_email_goes_out_once_however_many_readers_see_it_due(rig: Rig) -> None:
    first = rig.activate(email(schedule_at=NOW + timedelta(hours=1)))
    object_id = str(first.publish.external_id)
    rig.clock.advance(7200)

    # two readers that both read the row while it was still "scheduled"
    moved = [rig.state.go_live(object_id, sent_to=["Newsletter subscribers"]) for _ in range(2)]

    assert moved == [True, False]
    assert len(rig.state.sends()) == 1
    assert rig.adapter().get_status(object_id).status == "sent"
    assert len(rig.state.sends()) == 1


# --------------------------------------------------------------- body images
def test_body_images_are_uploaded_once_and_the_stored_bodies_hold_the_platform_url(rig: Rig) -> None:
    (rig.root / "images").mkdir()
    (rig.root / "images" / "chart.png").write_bytes(png_bytes(4, 4))
    markdown = post(
        body=None,
        body_markdown="# Results\n\n![chart](images/chart.png)\n\nAgain: ![chart](images/chart.png)\n",
        assets=[],
    )
    html = page(body='<h1>Roadshow</h1><p><img src="images/chart.png" alt="chart"></p>')

    (first_post, first_page), writes = rig.during(lambda: (rig.activate(markdown), rig.activate(html)))

    assert first_post.ok, first_post.error
    assert first_page.ok, first_page.error
    assert [op for op, _ in writes].count("upload_asset") == 1
    assert rig.state.count("asset") == 1
    url = first_post.assets.results[0].url
    assert url is not None
    assert url.startswith(f"{CDN}/")
    for result in (first_post, first_page):
        body = rig.stored(result.publish.external_id)["data"]["payload"]["body"]
        assert url in body
        assert "images/chart.png" not in body
        assert "images/chart.png" not in json.dumps(rig.stored(result.publish.external_id)["data"])
    assert rig.stored(first_post.publish.external_id)["data"]["payload"]["body"].count(url) == 2

    for log in ("main", "fresh"):
        again, writes = rig.during(
            lambda log=log: (rig.activate(markdown, log=log), rig.activate(html, log=log))
        )
        assert writes == [], f"{log} log: {writes}"
        assert [r.publish.action for r in again] == ["unchanged", "unchanged"]
    assert rig.state.count("asset") == 1


# ------------------------------------------------ failures and latency on sync
def test_lookups_never_wait_and_updates_wait_like_writes(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_LATENCY", "realistic")
    rig.activate(post())
    rig.clock.sleeps.clear()

    unchanged = rig.activate(post())
    assert unchanged.publish.action == "unchanged"
    assert unchanged.assets.action == "unchanged"  # the account is the same whatever the latency
    assert rig.clock.sleeps == [], "a look-up waited"

    rig.activate(post(body="<p>v2</p>"))
    (slept,) = rig.clock.sleeps
    assert 1.2 * 0.7 <= slept <= 1.2 * 1.3


def test_lookups_fail_when_the_platform_is_down_but_never_reject_content(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig.activate(post())

    monkeypatch.setenv("MOCK_FAILURES", "validation:1")
    unchanged, writes = rig.during(lambda: rig.activate(post()))
    assert unchanged.ok, unchanged.error
    assert writes == []

    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")
    down, writes = rig.during(lambda: rig.activate(post()))
    assert down.record.state == "failed"
    assert down.error["type"] == PlatformUnavailable.__name__
    assert writes == []


# ---------------------------------------------------------------- the CLI
def mplat(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))


@pytest.fixture
def cli_state(isolated_environment: Path) -> MockState:
    return MockState(isolated_environment / "mock-state.sqlite3")


def test_a_sent_email_reactivated_from_the_cli_exits_1_with_one_line(
    tmp_path: Path, cli_state: MockState
) -> None:
    path = tmp_path / "newsletter.json"
    path.write_text(email().model_dump_json(exclude_none=True, exclude_defaults=True))
    assert mplat("activate", str(path)).exit_code == 0
    writes = len(cli_state.writes())
    path.write_text(email(body="<p>edited</p>").model_dump_json(exclude_none=True, exclude_defaults=True))

    again = mplat("activate", str(path))

    assert again.exit_code == 1, again.output
    assert len([line for line in again.stdout.splitlines() if SENT_LINE.match(line)]) == 1, again.stdout
    assert "blocked" in again.stdout
    assert len(cli_state.writes()) == writes
    assert len(cli_state.sends()) == 1


def test_the_examples_activated_three_times_leave_one_object_each_and_one_send(
    tmp_path: Path, cli_state: MockState
) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(EXAMPLES, examples)
    runs = [mplat("activate", f"{examples}/", "-p", "mock", "--json") for _ in range(3)]

    assert runs[0].exit_code == 0, runs[0].output
    first_writes = len(cli_state.writes())
    for again in runs[1:]:
        assert again.exit_code == 1, again.output  # the newsletter is blocked: it was sent
        actions = {
            a["content_id"]: (a["state"], a["publish"]["action"])
            for a in json.loads(again.stdout)["activations"]
        }
        assert actions == {
            "emea-roadshow-2026": ("succeeded", "unchanged"),
            "newsletter-2026-12": ("blocked", "blocked"),
            "spring-launch-2026": ("succeeded", "unchanged"),
        }
    assert len(cli_state.writes()) == first_writes
    counts = {
        kind: cli_state.count(kind) for kind in ("blog_post", "email", "landing_page", "campaign", "asset")
    }
    assert counts == {"blog_post": 1, "email": 1, "landing_page": 1, "campaign": 3, "asset": 1}
    assert len(cli_state.sends()) == 1

    spring = examples / "spring-launch.md"
    spring.write_text(spring.read_text().replace("The spring release is here.", "The spring release is out."))
    plan = mplat("activate", str(spring), "-p", "mock", "--dry-run", "--json")
    assert plan.exit_code == 0, plan.output
    (content,) = [
        o for p in json.loads(plan.stdout)["plans"] for o in p["objects"] if o["object"] == "content"
    ]
    assert content["action"] == "update"
    assert list(content["changes"]) == ["body"]
    assert len(cli_state.writes()) == first_writes

    edited = mplat("activate", str(spring), "-p", "mock", "--json")
    (activation,) = json.loads(edited.stdout)["activations"]
    assert (activation["publish"]["action"], activation["publish"]["changed"]) == ("updated", ["body"])
    assert cli_state.count("blog_post") == 1
    held = cli_state.get(activation["publish"]["external_id"])
    assert held is not None
    assert "The spring release is out." in held["data"]["payload"]["body"]

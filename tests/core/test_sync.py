"""The pipeline's sync rules, against an in-process platform that holds objects and
counts every write: re-running converges (nothing created twice, edits applied in
place, unchanged content writes nothing), a sent email is never touched again, images
in the body are uploaded once and linked, and one batch never holds one id twice."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from marketing_platform.activation import Activator, Job
from marketing_platform.cli import main
from marketing_platform.errors import ContentRejected, InvalidContent
from marketing_platform.log import ActivationLog
from marketing_platform.models import (
    Asset,
    AssetResult,
    AssetsResponse,
    CampaignResponse,
    CampaignSpec,
    Capability,
    CheckResponse,
    Content,
    PublishResponse,
    StatusResponse,
)
from marketing_platform.platform import MarketingPlatform
from marketing_platform.registry import Registry
from marketing_platform.sync import Changes, diff

from .helpers import AdapterPlugin, png_bytes

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CDN = "https://cdn.shelf.example"


class Shelf:
    """What the platform holds, and every write it received."""

    def __init__(self) -> None:
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, str] = {}  # sha256 -> url
        self.writes: list[str] = []
        self.sends: list[str] = []
        self.in_find = threading.Event()
        self.hold_find: threading.Event | None = None


class ShelfPlatform(MarketingPlatform):
    """A platform that implements the whole sync contract over a :class:`Shelf`."""

    name: ClassVar[str] = "shelf"
    capabilities = frozenset(Capability)
    shelf: ClassVar[Shelf]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = NOW.timestamp

    def _payload(self, content: Content) -> dict[str, Any]:
        return {
            "title": content.title,
            "body": content.body,
            "summary": content.summary,
            "tags": list(content.tags),
            "subject": content.email.subject if content.email else None,
            "schedule_at": content.schedule_at.isoformat() if content.schedule_at else None,
        }

    def _response(self, content_id: str) -> PublishResponse:
        stored = self.shelf.contents[content_id]
        return PublishResponse(
            platform=self.name,
            external_id=f"obj-{content_id}",
            content_id=content_id,
            status=stored["status"],
            sent_at=stored.get("sent_at"),
            scheduled_at=stored.get("scheduled_at"),
            recipients=stored.get("lists", []),
        )

    def _store(self, content: Content) -> PublishResponse:
        payload = self._payload(content)
        status, sent_at = "published", None
        if content.kind.value == "email":
            if content.schedule_at and content.schedule_at > NOW:
                status = "scheduled"
            else:
                status, sent_at = "sent", NOW
                self.shelf.sends.append(content.id)
        lists = content.audience.lists if content.audience else []
        self.shelf.contents[content.id] = {
            "payload": payload,
            "status": status,
            "sent_at": sent_at,
            "scheduled_at": content.schedule_at if status == "scheduled" else None,
            "lists": lists,
        }
        return self._response(content.id)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        if campaign.name in self.shelf.campaigns:
            return CampaignResponse(platform=self.name, name=campaign.name, reused=True)
        self.shelf.writes.append(f"create campaign {campaign.name}")
        self.shelf.campaigns[campaign.name] = {"description": campaign.description}
        return CampaignResponse(platform=self.name, name=campaign.name, external_id=campaign.name)

    def find_campaign(self, name: str) -> CampaignResponse | None:
        if name not in self.shelf.campaigns:
            return None
        return CampaignResponse(platform=self.name, name=name, reused=True)

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        return diff({"description": spec.description}, self.shelf.campaigns[spec.name])

    def update_campaign(
        self, spec: CampaignSpec, existing: CampaignResponse, changes: Changes
    ) -> CampaignResponse:
        self.shelf.writes.append(f"update campaign {spec.name}")
        self.shelf.campaigns[spec.name] = {"description": spec.description}
        return existing

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        self.shelf.in_find.set()
        if self.shelf.hold_find is not None:
            self.shelf.hold_find.wait(timeout=10)
        return self._response(content.id) if content.id in self.shelf.contents else None

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        return diff(self._payload(content), self.shelf.contents[content.id]["payload"])

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        self.shelf.writes.append(f"update {content.id}")
        return self._store(content)

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        self.shelf.writes.append(f"create {content.id}")
        return self._store(content)

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        results = []
        for asset in assets:
            assert asset.sha256
            if asset.sha256 not in self.shelf.files:  # the vendor keeps one copy of a file
                self.shelf.writes.append(f"upload {asset.filename}")
                self.shelf.files[asset.sha256] = f"{CDN}/{asset.sha256[:8]}/{asset.filename}"
            results.append(AssetResult(name=asset.filename, url=self.shelf.files[asset.sha256]))
        return AssetsResponse(platform=self.name, results=results)

    def get_status(self, ref: str) -> StatusResponse:
        return StatusResponse(platform=self.name, external_id=ref)

    def check(self) -> CheckResponse:
        return CheckResponse(platform=self.name)


@pytest.fixture
def shelf() -> Shelf:
    return Shelf()


@pytest.fixture
def shelf_registry(shelf: Shelf) -> Registry:
    registry = Registry()
    cls = type("ShelfOnTest", (ShelfPlatform,), {"shelf": shelf, "__module__": __name__})
    registry.register_plugin(AdapterPlugin(cls))
    return registry


@pytest.fixture
def run(shelf_registry: Registry, tmp_path: Path) -> Any:
    """``run(content, log=None)``: one activation on the shelf, in a fresh Activator."""
    logs: dict[str, ActivationLog] = {}

    def activate(content: Content, *, log: str = "main", root: Path = tmp_path) -> Any:
        activation_log = logs.setdefault(log, ActivationLog(tmp_path / f"{log}.sqlite3"))
        with Activator(registry=shelf_registry, activation_log=activation_log, fallback=[]) as activator:
            return activator.activate(content, "shelf", asset_root=root)

    return activate


def post(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "launch",
        "kind": "blog_post",
        "title": "Launch",
        "body": "<p>Hello</p>",
        "campaign": {"name": "Spring", "description": "The spring launch"},
    }
    data.update(fields)
    return Content.model_validate(data)


def email(**fields: Any) -> Content:
    data: dict[str, Any] = {
        "id": "newsletter-12",
        "kind": "email",
        "title": "December newsletter",
        "body": "<p>News</p>",
        "audience": {"lists": ["Newsletter subscribers"]},
        "email": {"subject": "December", "from_name": "Team", "from_email": "team@example.com"},
    }
    data.update(fields)
    return Content.model_validate(data)


def writes_during(shelf: Shelf, action: Any) -> tuple[Any, list[str]]:
    before = len(shelf.writes)
    result = action()
    return result, shelf.writes[before:]


# ---------------------------------------------------------------- converge


def test_a_second_activation_writes_nothing_and_says_unchanged(run: Any, shelf: Shelf) -> None:
    first = run(post())
    second, writes = writes_during(shelf, lambda: run(post()))

    assert first.publish.action == "created"
    assert first.campaign.action == "created"
    assert second.ok, second.error
    assert writes == [], f"an unchanged re-activation wrote {writes}"
    assert second.publish.action == "unchanged"
    assert second.campaign.action == "unchanged"
    assert list(shelf.contents) == ["launch"]
    assert second.record.steps["publish"]["action"] == "unchanged"


def test_an_edit_is_applied_in_place_and_names_the_changed_fields(run: Any, shelf: Shelf) -> None:
    run(post())
    edited, writes = writes_during(
        shelf, lambda: run(post(body="<p>Hello again</p>", title="Launch day", campaign={"name": "Spring"}))
    )

    assert edited.ok, edited.error
    assert writes == ["update campaign Spring", "update launch"]
    assert edited.publish.action == "updated"
    assert edited.publish.changed == ["body", "title"]
    assert edited.campaign.action == "updated"
    assert edited.campaign.changed == ["description"]
    assert shelf.contents["launch"]["payload"]["body"] == "<p>Hello again</p>"
    assert len(shelf.contents) == 1


def test_a_fresh_log_finds_the_objects_on_the_platform(run: Any, shelf: Shelf, tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(png_bytes())
    content = post(assets=[{"path": "hero.png", "role": "featured"}])
    run(content)

    again, writes = writes_during(shelf, lambda: run(content, log="fresh"))
    edited, edit_writes = writes_during(shelf, lambda: run(post(body="<p>v2</p>"), log="other"))

    assert again.ok, again.error
    assert writes == []
    assert again.publish.action == "unchanged"
    assert edit_writes == ["update launch"]
    assert edited.publish.action == "updated"
    assert len(shelf.contents) == 1


def test_a_replay_after_a_crash_between_create_and_log_finds_the_object(
    run: Any, shelf: Shelf, shelf_registry: Registry, tmp_path: Path
) -> None:
    log = ActivationLog(tmp_path / "crash.sqlite3")
    content = post()
    record = log.start(content_id=content.id, platform="shelf", content=content.model_dump(mode="json"))
    # the vendor got the create, the log never heard of it
    shelf.contents["launch"] = {"payload": {"title": "Launch", "body": "<p>Hello</p>"}, "status": "published"}
    shelf.campaigns["Spring"] = {"description": "The spring launch"}

    with Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator:
        result = activator.replay(record.id)

    assert result.ok, result.error
    assert [w for w in shelf.writes if w.startswith("create")] == []
    assert result.publish.action == "unchanged"
    assert len(shelf.contents) == 1


# -------------------------------------------------------------------- email


def test_a_sent_email_is_blocked_and_nothing_is_written(run: Any, shelf: Shelf) -> None:
    first = run(email())
    again, writes = writes_during(shelf, lambda: run(email(body="<p>A typo fixed</p>")))

    assert first.publish.status == "sent"
    assert again.record.state == "blocked"
    assert not again.ok
    assert writes == []
    assert shelf.sends == ["newsletter-12"]
    assert again.error["code"] == "already_sent"
    assert again.error["message"] == (
        "newsletter-12 was already sent on 2026-12-01 09:00 UTC to Newsletter subscribers;"
        " give the content a new id to send a new email"
    )
    assert again.record.steps["publish"]["action"] == "blocked"


def test_a_scheduled_email_is_updated_until_its_time_passes(run: Any, shelf: Shelf) -> None:
    later = NOW + timedelta(days=2)
    run(email(schedule_at=later))
    moved = run(email(schedule_at=later + timedelta(hours=1), email={"subject": "December!"}))

    assert moved.ok, moved.error
    assert moved.publish.action == "updated"
    assert moved.publish.changed == ["schedule_at", "subject"]
    assert shelf.sends == []

    shelf.contents["newsletter-12"]["scheduled_at"] = NOW - timedelta(minutes=1)  # its time came
    past, writes = writes_during(shelf, lambda: run(email(body="<p>late edit</p>")))
    assert past.record.state == "blocked"
    assert writes == []


def test_a_replay_that_finds_its_own_lost_send_succeeds_without_sending_again(
    shelf: Shelf, shelf_registry: Registry, tmp_path: Path
) -> None:
    log = ActivationLog(tmp_path / "crash.sqlite3")
    content = email()
    record = log.start(content_id=content.id, platform="shelf", content=content.model_dump(mode="json"))
    log.begin_attempt(record.id)  # the first attempt sent the email, then died before recording it
    log.finish(record.id, "failed", error={"type": "PlatformUnavailable", "message": "answer lost"})
    shelf.contents[content.id] = {
        "payload": {},
        "status": "sent",
        "sent_at": datetime.now(UTC),
        "lists": ["Newsletter subscribers"],
    }

    with Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator:
        result = activator.replay(record.id)

    assert result.record.state == "succeeded", result.error
    assert result.publish is not None
    assert result.publish.action == "created"
    assert any("earlier attempt" in w for w in result.publish.warnings)
    assert shelf.sends == []
    assert shelf.writes == []


def test_a_blocked_record_is_not_replayed_by_replay_failed(run: Any, shelf: Shelf, tmp_path: Path) -> None:
    run(email())
    run(email())
    log = ActivationLog(tmp_path / "main.sqlite3")

    assert log.ids("failed", "in_progress", "pending") == []
    assert [r.state for r in log.list()] == ["blocked", "succeeded"]


# ------------------------------------------------------------ inline images


def test_body_images_are_uploaded_once_and_the_body_points_at_the_platform(
    run: Any, shelf: Shelf, tmp_path: Path
) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "chart.png").write_bytes(png_bytes())
    markdown = post(
        body=None,
        body_markdown="Intro\n\n![chart](images/chart.png)\n\n"
        "<p><img src='images/chart.png' alt=again></p>\n\n![remote](https://example.com/x.png)\n",
    )
    html = post(id="other", body='<p><img src="images/chart.png"></p>')

    first = run(markdown)
    second = run(html)
    third, writes = writes_during(shelf, lambda: run(markdown))

    uploads = [w for w in shelf.writes if w.startswith("upload")]
    assert uploads == ["upload chart.png"]
    url = shelf.files[next(iter(shelf.files))]
    for content_id in ("launch", "other"):
        body = shelf.contents[content_id]["payload"]["body"]
        assert url in body
        assert "images/chart.png" not in body.replace(url, "")
    assert "https://example.com/x.png" in shelf.contents["launch"]["payload"]["body"]
    assert first.assets.action == "created"
    assert second.assets.action == "unchanged"
    assert third.assets.action == "unchanged"
    assert writes == []


def test_a_local_image_the_rewrite_misses_is_never_sent(
    run: Any, shelf: Shelf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "chart.png").write_bytes(png_bytes())
    monkeypatch.setattr("marketing_platform.activation.rewrite_images", lambda body, urls: body)

    result = run(post(body='<img src="chart.png">'))

    assert result.record.state == "failed"
    assert result.error["code"] == "upload_failed"
    assert "launch" not in shelf.contents


def test_replay_reload_uploads_the_images_of_the_fixed_file(
    shelf: Shelf, shelf_registry: Registry, tmp_path: Path
) -> None:
    from marketing_platform.errors import PlatformUnavailable

    (tmp_path / "a.png").write_bytes(png_bytes())
    (tmp_path / "b.png").write_bytes(png_bytes(2, 2))
    source = tmp_path / "post.md"
    source.write_text("---\nid: launch\nkind: blog_post\ntitle: Launch\n---\n![a](a.png)\n")
    log = ActivationLog(tmp_path / "reload.sqlite3")
    with Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator:
        adapter = activator.platform("shelf")
        original = adapter.publish_content
        adapter.publish_content = lambda *a, **k: (_ for _ in ()).throw(PlatformUnavailable("down"))  # type: ignore[method-assign]
        from marketing_platform.contentfile import load_content_file

        item = load_content_file(source)
        failed = activator.activate(item.content, "shelf", asset_root=tmp_path, source=str(source))
        assert failed.record.state == "failed"
        adapter.publish_content = original  # type: ignore[method-assign]
        source.write_text("---\nid: launch\nkind: blog_post\ntitle: Launch\n---\n![b](b.png)\n")

        fixed = activator.replay(failed.record.id, reload=True)

    assert fixed.ok, fixed.error
    body = shelf.contents["launch"]["payload"]["body"]
    b_url = next(url for url in shelf.files.values() if url.endswith("/b.png"))
    assert b_url in body
    assert "a.png" not in body


def test_the_upload_memory_skips_known_files_per_account(
    shelf_registry: Registry, shelf: Shelf, tmp_path: Path
) -> None:
    (tmp_path / "hero.png").write_bytes(png_bytes())
    log = ActivationLog(tmp_path / "log.sqlite3")
    content = post(assets=[{"path": "hero.png"}])
    with Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator:
        activator.activate(content, "shelf", asset_root=tmp_path)
        uploads: list[int] = []
        adapter = activator.platform("shelf")
        original = adapter.upload_assets

        def counting(assets: Sequence[Asset]) -> AssetsResponse:
            uploads.append(len(assets))
            return original(assets)

        adapter.upload_assets = counting  # type: ignore[method-assign]
        activator.activate(content, "shelf", asset_root=tmp_path)
        assert uploads == [], "a file uploaded before to this account was offered to the platform again"
        adapter.account_key = lambda: "another-account"  # type: ignore[method-assign]
        activator.activate(content, "shelf", asset_root=tmp_path)

    assert uploads == [1], "a file remembered for one account was not uploaded to another"


def test_a_missing_body_image_is_refused_before_anything_is_recorded(
    run: Any, shelf: Shelf, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected) as caught:
        run(post(body='<img src="images/missing.png"><img src="../outside.png">'))

    fields = [p.field for p in caught.value.problems]
    assert fields == ["body image 'images/missing.png'.path", "body image '../outside.png'.path"]
    assert shelf.writes == []
    assert ActivationLog(tmp_path / "main.sqlite3").list() == []


# ---------------------------------------------------------- batches, plans


def test_two_contents_with_one_id_in_a_batch_are_refused(shelf_registry: Registry, tmp_path: Path) -> None:
    log = ActivationLog(tmp_path / "log.sqlite3")
    jobs = [Job(post(), "shelf", source="a.md"), Job(post(title="Other"), "shelf", source="b.md")]
    with (
        Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator,
        pytest.raises(InvalidContent, match=r"'launch' is the id of both a.md and b.md"),
    ):
        activator.activate_all(jobs)
    assert log.list() == []


def test_the_cli_refuses_a_folder_holding_one_id_twice(tmp_path: Path, isolated_environment: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(f"---\nid: launch\nkind: blog_post\ntitle: {name}\n---\nHi\n")

    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["activate", str(tmp_path)])

    assert result.exit_code == 2
    assert f"'launch' is the id of both {tmp_path / 'a.md'} and {tmp_path / 'b.md'}" in result.stderr
    assert ActivationLog(isolated_environment / "activations.sqlite3").list() == []


def test_a_dry_run_shows_each_objects_action_and_writes_nothing(
    shelf_registry: Registry, shelf: Shelf, tmp_path: Path
) -> None:
    log = ActivationLog(tmp_path / "log.sqlite3")
    with Activator(registry=shelf_registry, activation_log=log, fallback=[]) as activator:
        fresh = activator.plan(post(), "shelf")
        activator.activate(post(), "shelf")
        activator.activate(email(), "shelf")
        before = list(shelf.writes)
        same = activator.plan(post(), "shelf")
        edited = activator.plan(post(body="<p>v2</p>"), "shelf")
        sent = activator.plan(email(), "shelf")

    actions = {entry["object"]: entry["action"] for entry in fresh["objects"]}
    assert actions == {"campaign": "create", "content": "create"}
    assert [e["action"] for e in same["objects"]] == ["unchanged", "unchanged"]
    content_entry = edited["objects"][-1]
    assert content_entry["action"] == "update"
    assert content_entry["changes"] == {"body": {"from": "<p>Hello</p>", "to": "<p>v2</p>"}}
    assert sent["objects"][-1]["action"] == "blocked"
    assert shelf.writes == before
    assert len(log.list()) == 2


class NoSync(ShelfPlatform):
    """An adapter written before sync existed: it cannot compare or update."""

    name: ClassVar[str] = "nosync"

    content_changes = MarketingPlatform.content_changes  # type: ignore[assignment]
    campaign_changes = MarketingPlatform.campaign_changes  # type: ignore[assignment]


def test_an_adapter_that_cannot_compare_reuses_what_it_finds(shelf: Shelf, tmp_path: Path) -> None:
    registry = Registry()
    registry.register_plugin(
        AdapterPlugin(type("NoSyncOnTest", (NoSync,), {"shelf": shelf, "__module__": __name__}))
    )
    with Activator(
        registry=registry, activation_log=ActivationLog(tmp_path / "l.sqlite3"), fallback=[]
    ) as activator:
        activator.activate(post(), "nosync")
        again = activator.activate(post(body="<p>edited</p>"), "nosync")

    assert again.publish.action == "reused"
    assert again.campaign.action == "reused"
    assert [w for w in shelf.writes if not w.startswith("create")] == []


def test_two_activations_of_one_content_at_once_create_one_object(
    shelf_registry: Registry, shelf: Shelf, tmp_path: Path
) -> None:
    """The second waits for the first's find-or-create (named locks), then finds it."""
    log_path = tmp_path / "shared.sqlite3"
    shelf.hold_find = threading.Event()
    results: list[Any] = []

    def one() -> None:
        with Activator(registry=shelf_registry, activation_log=ActivationLog(log_path), fallback=[]) as a:
            results.append(a.activate(post(), "shelf"))

    first = threading.Thread(target=one)
    first.start()
    assert shelf.in_find.wait(timeout=10)
    shelf.in_find.clear()
    second = threading.Thread(target=one)
    second.start()
    # Without the lock the second would reach find_content while the first is held in it.
    entered = shelf.in_find.wait(timeout=1.0)
    shelf.hold_find.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert not entered, "two activations of one content looked it up at the same time"
    assert [w for w in shelf.writes if w == "create launch"] == ["create launch"]
    assert sorted(r.publish.action for r in results) == ["created", "unchanged"]

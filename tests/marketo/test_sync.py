"""Re-activation on Marketo, through the real pipeline (Activator) against the fake:
an unchanged content writes nothing; an edit updates the email / landing page / program
in place and re-approves it so the edit goes live; a fresh activation log finds
everything by name; look-ups never take another program's asset; body images are
uploaded once. Each test asserts what the fake holds and which writes it received."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.registry import Registry
from marketing_platform.testing import png_bytes

from .conftest import MakePlatform
from .fake_marketo import FakeMarketo

Activate = Callable[..., ActivationResult]
#: Paths that would send an email or schedule a send (a smart campaign, an email
#: program's approval, a sample): this adapter must never call them.
SENDING = ("/sendSample.json", "/approve.json", "/smartCampaign", "/schedule.json", "/trigger.json")


@pytest.fixture
def activate(make_platform: MakePlatform, tmp_path: Path) -> Activate:
    """``activate(content, log="main", **settings)``: one activation in a new Activator
    (a new adapter) keeping its activation log in ``log``; a new ``log`` name is a fresh
    machine that only finds what Marketo holds."""
    logs: dict[str, ActivationLog] = {}

    def run(content: Content, *, log: str = "main", **settings: Any) -> ActivationResult:
        activation_log = logs.setdefault(log, ActivationLog(tmp_path / f"{log}.sqlite3"))
        with Activator(
            registry=Registry(),
            activation_log=activation_log,
            platform_factory=lambda name: make_platform(**settings),
            fallback=[],
        ) as activator:
            return activator.activate(content, "marketo", asset_root=tmp_path)

    return run


def writes(fake: FakeMarketo, since: int) -> list[str]:
    """The REST requests after ``since`` that may write (identity calls excluded)."""
    return [f"{c.method} {c.path}" for c in fake.calls[since:] if c.rest and c.method != "GET"]


def activate_counting(
    activate: Activate, fake: FakeMarketo, content: Content, **options: Any
) -> tuple[ActivationResult, list[str]]:
    before = len(fake.calls)
    result = activate(content, **options)
    return result, writes(fake, before)


def never_sent(fake: FakeMarketo) -> None:
    sending = [c.path for c in fake.calls if any(part in c.path for part in SENDING)]
    assert sending == [], f"the adapter called sending endpoints: {sending}"


def email(**changes: Any) -> Content:
    data: dict[str, Any] = {
        "id": "newsletter-12",
        "kind": "email",
        "title": "December newsletter",
        "summary": "The month in review",
        "body": "<h1>News</h1><p>Hello</p>",
        "campaign": {
            "name": "Newsletter Dec",
            "description": "Monthly newsletter",
            "costs": [{"start_date": "2026-12-01", "amount": 100, "note": "Design"}],
            "tags": {"Region": "EMEA"},
        },
        "email": {
            "template": "Monthly Newsletter",
            "subject": "Our news",
            "from_name": "Acme",
            "from_email": "news@example.com",
            "reply_to": "reply@example.com",
        },
    }
    data.update(changes)
    return Content.model_validate(data)


def page(**changes: Any) -> Content:
    data: dict[str, Any] = {
        "id": "spring-offer",
        "kind": "landing_page",
        "title": "Spring offer",
        "summary": "Twenty percent off",
        "body": "<p>Offer</p>",
        "campaign": {"name": "Offers", "description": "Seasonal offers"},
        "landing_page": {"template": "Basic Page", "title": "Spring offer page"},
    }
    data.update(changes)
    return Content.model_validate(data)


def event(**changes: Any) -> Content:
    data: dict[str, Any] = {
        "id": "webinar-spring",
        "kind": "event",
        "title": "Spring webinar",
        "summary": "Join us",
        "campaign": {"name": "Spring webinar", "start_date": "2026-12-01", "end_date": "2026-12-02"},
    }
    data.update(changes)
    return Content.model_validate(data)


def only(records: dict[int, dict[str, Any]], name: str) -> dict[str, Any]:
    found = [r for r in records.values() if r["name"] == name]
    assert len(found) == 1, f"{len(found)} objects named {name!r}: {found}"
    return found[0]


# ---------------------------------------------------------------- email


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_email_twice_is_one_email_and_the_second_run_writes_nothing(
    activate: Activate, fake: FakeMarketo, log: str
) -> None:
    first = activate(email())
    assert first.ok, first.error
    assert (first.campaign.action, first.publish.action) == ("created", "created")

    again, written = activate_counting(activate, fake, email(), log=log)

    assert again.ok, again.error
    assert written == [], f"an unchanged re-activation wrote {written}"
    assert again.campaign.action == "unchanged"
    assert again.publish.action == "unchanged"
    assert again.publish.external_id == first.publish.external_id
    assert len(fake.emails) == 1
    assert len(fake.programs) == 1
    never_sent(fake)


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_an_edited_email_is_updated_in_place_and_approved(
    activate: Activate, fake: FakeMarketo, log: str
) -> None:
    first = activate(email())
    edited = email(
        title="December newsletter, final",
        summary="The year in review",
        body="<h1>News</h1><p>Hello again</p>",
        campaign={
            "name": "Newsletter Dec",
            "description": "Monthly newsletter (final)",
            "costs": [{"start_date": "2026-12-01", "amount": 150, "note": "Design"}],
            "tags": {"Region": "APAC"},
        },
        email={
            "template": "Monthly Newsletter",
            "subject": "Our final news",
            "from_name": "Acme Team",
            "from_email": "news@example.com",
            "reply_to": "reply@example.com",
        },
    )

    again, written = activate_counting(activate, fake, edited, log=log)

    assert again.ok, again.error
    assert again.publish.action == "updated"
    assert again.publish.changed == ["body", "from_name", "subject", "summary", "title"]
    assert again.publish.external_id == first.publish.external_id
    assert again.campaign.action == "updated"
    assert again.campaign.changed == ["costs", "description", "tags.Region"]
    email_id = first.publish.metadata["id"]
    assert list(fake.emails) == [email_id]
    live = fake.live_email(email_id)  # what recipients get: the approved version
    assert live["body"]["main"] == "<h1>News</h1><p>Hello again</p>"
    assert (live["subject"], live["fromName"]) == ("Our final news", "Acme Team")
    assert fake.emails[email_id]["description"] == "The year in review"
    assert fake.emails[email_id]["draft"] is False
    program = only(fake.programs, "Newsletter Dec")
    assert program["description"] == "Monthly newsletter (final)"
    assert program["costs"] == [{"startDate": "2026-12-01", "cost": 150, "note": "Design"}]
    assert program["tags"] == [{"tagType": "Region", "tagValue": "APAC"}]
    tokens = fake.tokens[program["id"]]
    assert tokens["Content Title"]["value"] == "December newsletter, final"
    assert tokens["Content Summary"]["value"] == "The year in review"
    assert any(w.endswith(f"/email/{email_id}/approveDraft.json") for w in written)
    assert not any(w.endswith("/emails.json") or w.endswith("/programs.json") for w in written)
    never_sent(fake)

    settled, written = activate_counting(activate, fake, edited, log=log)
    assert (settled.campaign.action, settled.publish.action) == ("unchanged", "unchanged")
    assert written == []


def test_only_the_changed_parts_are_written(activate: Activate, fake: FakeMarketo) -> None:
    activate(email())
    _, written = activate_counting(activate, fake, email(body="<p>Only the body</p>"))

    email_id = next(iter(fake.emails))
    assert written == [
        f"POST /rest/asset/v1/email/{email_id}/content/main.json",
        f"POST /rest/asset/v1/email/{email_id}/approveDraft.json",
    ]


def test_a_draft_left_by_an_interrupted_run_is_approved(activate: Activate, fake: FakeMarketo) -> None:
    # The first run creates and fills the email, then approval keeps failing: the email
    # stays a draft. The next run finds it, fills nothing twice and approves it.
    fake.fail("611", times=2, path="/approveDraft.json")
    first = activate(email())
    assert not first.ok
    email_id = next(iter(fake.emails))
    assert fake.emails[email_id]["approved"] is None

    again, written = activate_counting(activate, fake, email())

    assert again.ok, again.error
    assert (again.publish.action, again.publish.changed) == ("updated", ["status"])
    assert written == [f"POST /rest/asset/v1/email/{email_id}/approveDraft.json"]
    assert list(fake.emails) == [email_id]
    assert fake.live_email(email_id)["body"]["main"] == "<h1>News</h1><p>Hello</p>"


def test_an_email_is_never_reported_sent_and_a_scheduled_one_is_updated(
    activate: Activate, fake: FakeMarketo
) -> None:
    # Sending is a smart campaign in Marketo: the adapter never sends, so an approved
    # email is never "sent" here and an edit reaches it (nothing is blocked).
    later = "2027-01-15T09:00:00+00:00"
    first = activate(email(schedule_at=later))
    assert first.publish.status == "approved"
    assert first.publish.sent_at is None
    assert any("schedule_at is not applied" in w for w in first.publish.warnings)

    again = activate(email(schedule_at=later, body="<p>Rescheduled copy</p>"))

    assert again.record.state == "succeeded"
    assert again.publish.action == "updated"
    assert fake.live_email(first.publish.metadata["id"])["body"]["main"] == "<p>Rescheduled copy</p>"
    never_sent(fake)


def test_an_email_of_that_name_in_another_program_is_never_reused(
    activate: Activate, fake: FakeMarketo
) -> None:
    other = activate(email(campaign={"name": "Other program"}, body="<p>Other</p>"))
    ours = activate(email())

    assert ours.publish.action == "created"
    assert ours.publish.external_id != other.publish.external_id
    assert len(fake.emails) == 2
    assert fake.live_email(other.publish.metadata["id"])["body"]["main"] == "<p>Other</p>"
    assert fake.live_email(ours.publish.metadata["id"])["body"]["main"] == "<h1>News</h1><p>Hello</p>"


def test_two_contents_sharing_a_program_settle(activate: Activate, fake: FakeMarketo) -> None:
    # An email and a landing page of one launch share its program, whose my. tokens hold
    # one content's title: the last one created owns them, and re-activating either one
    # does not take them back (which would rewrite them on every run).
    launch = {"name": "Launch", "description": "The launch"}
    news = email(campaign=launch, title="Launch newsletter")
    landing = page(campaign=launch, title="Launch page")
    activate(news)
    activate(landing)

    for content in (news, landing, news):
        again, written = activate_counting(activate, fake, content)
        assert (again.publish.action, written) == ("unchanged", [])
    program = only(fake.programs, "Launch")
    assert fake.tokens[program["id"]]["Content Title"]["value"] == "Launch page"
    assert fake.tokens[program["id"]]["Content Id"]["value"] == "spring-offer"
    edited, _ = activate_counting(activate, fake, landing.model_copy(update={"title": "Launch page!"}))
    assert (edited.publish.action, edited.publish.changed) == ("updated", ["title"])
    assert fake.tokens[program["id"]]["Content Title"]["value"] == "Launch page!"


# ---------------------------------------------------------------- landing pages


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_a_landing_page_twice_then_edited(activate: Activate, fake: FakeMarketo, log: str) -> None:
    first = activate(page())
    assert first.ok, first.error

    again, written = activate_counting(activate, fake, page(), log=log)
    assert written == []
    assert (again.campaign.action, again.publish.action) == ("unchanged", "unchanged")

    edited = page(
        body="<p>Offer, now 30% off</p>", landing_page={"template": "Basic Page", "title": "30% off"}
    )
    updated, written = activate_counting(activate, fake, edited, log=log)

    assert updated.ok, updated.error
    assert (updated.publish.action, updated.publish.changed) == ("updated", ["body", "landing_page.title"])
    page_id = first.publish.metadata["id"]
    assert list(fake.landing_pages) == [page_id]
    assert fake.live_page(page_id) == {"title": "30% off", "body": {"body": "<p>Offer, now 30% off</p>"}}
    assert written[-1] == f"POST /rest/asset/v1/landingPage/{page_id}/approveDraft.json"
    settled, written = activate_counting(activate, fake, edited, log=log)
    assert (settled.publish.action, written) == ("unchanged", [])


def test_a_landing_page_of_that_name_in_another_program_is_never_reused(
    activate: Activate, fake: FakeMarketo
) -> None:
    # landingPage/byName.json takes no folder: it answers the page of that name in
    # every program. Ours is the one in our program, or none (then it is created).
    other = activate(page(campaign={"name": "Last year's offers"}, body="<p>Last year</p>"))
    assert other.ok, other.error

    ours = activate(page())

    assert ours.ok, ours.error
    assert ours.publish.action == "created", "another program's landing page was taken for ours"
    assert ours.publish.external_id != other.publish.external_id
    assert sorted(p["folder"]["folderName"] for p in fake.landing_pages.values()) == [
        "Last year's offers",
        "Offers",
    ]
    assert fake.live_page(other.publish.metadata["id"])["body"] == {"body": "<p>Last year</p>"}
    assert fake.live_page(ours.publish.metadata["id"])["body"] == {"body": "<p>Offer</p>"}
    again, written = activate_counting(activate, fake, page())
    assert (again.publish.action, again.publish.external_id, written) == (
        "unchanged",
        ours.publish.external_id,
        [],
    )


def test_our_landing_page_is_found_past_the_first_page_of_results(
    activate: Activate, fake: FakeMarketo, make_platform: MakePlatform
) -> None:
    first = activate(page())
    ours = fake.landing_pages[first.publish.metadata["id"]]
    # 450 pages of the same name in other programs, listed before ours.
    program = make_platform().create_campaign(page(campaign={"name": "Archive"}).campaign)  # type: ignore[arg-type]
    archive = int(program.metadata["id"])
    copies = {
        10_000 + i: {**ours, "id": 10_000 + i, "folder": {**ours["folder"], "value": archive}}
        for i in range(450)
    }
    fake.landing_pages = {**copies, ours["id"]: ours}

    again, written = activate_counting(activate, fake, page())

    assert again.publish.action == "unchanged"
    assert again.publish.external_id == first.publish.external_id
    assert written == []
    searches = [c for c in fake.calls if c.path.endswith("/landingPage/byName.json")]
    assert [c.query["offset"] for c in searches[-3:]] == [["0"], ["200"], ["400"]]


# ---------------------------------------------------------------- programs (events)


@pytest.mark.parametrize("log", ["main", "fresh"])
def test_an_event_program_twice_then_edited(activate: Activate, fake: FakeMarketo, log: str) -> None:
    first = activate(event())
    assert first.ok, first.error
    program = only(fake.programs, "Spring webinar")
    assert (program["startDate"], program["endDate"]) == ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")

    again, written = activate_counting(activate, fake, event(), log=log)
    assert (again.campaign.action, again.publish.action, written) == ("unchanged", "unchanged", [])

    edited = event(
        title="Spring webinar (moved)",
        campaign={"name": "Spring webinar", "start_date": "2026-12-08", "end_date": "2026-12-09"},
    )
    updated, written = activate_counting(activate, fake, edited, log=log)

    assert (updated.campaign.action, updated.campaign.changed) == ("updated", ["end_date", "start_date"])
    assert (updated.publish.action, updated.publish.changed) == ("updated", ["title"])
    assert list(fake.programs) == [program["id"]]
    assert (program["startDate"], program["endDate"]) == ("2026-12-08T00:00:00Z", "2026-12-09T00:00:00Z")
    assert fake.tokens[program["id"]]["Content Title"]["value"] == "Spring webinar (moved)"
    assert written == [
        f"POST /rest/asset/v1/program/{program['id']}.json",
        f"POST /rest/asset/v1/folder/{program['id']}/tokens.json",
    ]


def test_a_channel_change_is_a_warning_not_a_failure(activate: Activate, fake: FakeMarketo) -> None:
    activate(email(campaign={"name": "Newsletter Dec", "channel": "Email Send"}))

    again, written = activate_counting(
        activate, fake, email(campaign={"name": "Newsletter Dec", "channel": "Email Blast"})
    )

    assert again.ok, again.error
    assert again.campaign.action == "unchanged"
    assert any("cannot change a program's channel" in w for w in again.campaign.warnings)
    assert only(fake.programs, "Newsletter Dec")["channel"] == "Email Send"
    assert written == []


def test_dates_on_a_default_program_are_a_warning_and_never_sent(
    activate: Activate, fake: FakeMarketo
) -> None:
    dated = page(campaign={"name": "Offers", "start_date": "2026-12-01", "end_date": "2026-12-31"})
    first = activate(dated)

    assert first.ok, first.error
    assert any("not applied" in w for w in first.campaign.warnings)
    assert not any(c.method == "POST" and "/program/" in c.path for c in fake.calls)
    again, written = activate_counting(activate, fake, dated)
    assert (again.campaign.action, written) == ("unchanged", [])


# ---------------------------------------------------------------- images in the body


def test_body_images_are_uploaded_once_and_linked(
    activate: Activate, fake: FakeMarketo, tmp_path: Path
) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "chart.png").write_bytes(png_bytes(2, 2))
    body = '![chart](images/chart.png)\n\nAgain: <img src="images/chart.png" alt="chart">\n'
    first = activate(email(body=None, body_markdown=body))
    second = activate(
        email(id="newsletter-12-bis", campaign={"name": "Newsletter bis"}, body=None, body_markdown=body)
    )
    assert first.ok, first.error
    assert second.ok, second.error

    again, written = activate_counting(activate, fake, email(body=None, body_markdown=body))
    fresh, fresh_written = activate_counting(
        activate, fake, email(body=None, body_markdown=body), log="fresh"
    )

    assert len(fake.files) == 1
    uploads = [c for c in fake.calls if c.path.endswith("/files.json")]
    assert len(uploads) == 1
    url = next(iter(fake.files.values()))["url"]
    for result in (first, second):
        html = fake.live_email(result.publish.metadata["id"])["body"]["main"]
        assert html.count(url) == 2
        assert "images/chart.png" not in html.replace(url, "")
    assert (again.assets.action, again.publish.action, written) == ("unchanged", "unchanged", [])
    # a fresh log forgets the upload: the file Marketo holds is found and reused, no write
    assert (fresh.publish.action, fresh_written) == ("unchanged", [])
    assert fresh.assets.results[0].url == url


def test_a_dry_run_after_an_edit_shows_the_diff_and_writes_nothing(
    make_platform: MakePlatform, activate: Activate, fake: FakeMarketo, tmp_path: Path
) -> None:
    activate(email())
    before = len(fake.calls)
    with Activator(
        registry=Registry(),
        activation_log=ActivationLog(tmp_path / "main.sqlite3"),
        platform_factory=lambda name: make_platform(),
        fallback=[],
    ) as activator:
        plan = activator.plan(email(body="<p>Draft of an edit</p>"), "marketo")

    objects = {o["object"]: o for o in plan["objects"]}
    assert objects["campaign"]["action"] == "unchanged"
    assert objects["content"]["action"] == "update"
    assert objects["content"]["changes"]["body"]["to"] == "<p>Draft of an edit</p>"
    assert writes(fake, before) == []

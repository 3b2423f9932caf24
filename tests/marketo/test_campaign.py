"""Programs: channel, costs, tags, folder by name, reuse, actionable folder/channel errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from marketing_platform.errors import ContentRejected, PlatformUnavailable
from marketing_platform.models import CampaignSpec, Content, Cost

from .fake_marketo import Call, FakeMarketo


def spec(**extra: object) -> CampaignSpec:
    values: dict[str, object] = {
        "name": "Spring Launch 2026",
        "description": "Launch",
        "channel": "Content Syndication",
        "program_type": "Default",
        "costs": [Cost(start_date=date(2026, 12, 1), amount=Decimal(2000), note="Paid social")],
        "tags": {"Region": "EMEA"},
    }
    values.update(extra)
    return CampaignSpec.model_validate(values)


def test_program_with_channel_costs_and_tags(platform, fake: FakeMarketo) -> None:
    response = platform.create_campaign(spec())

    assert response.reused is False
    assert response.external_id == f"program:{response.metadata['id']}"
    program = fake.programs[response.metadata["id"]]
    assert program["channel"] == "Content Syndication"
    assert program["folder"]["folderName"] == "Marketing Activities"
    create = next(c for c in fake.rest_calls() if c.path.endswith("/programs.json"))
    assert create.content_type.startswith("application/x-www-form-urlencoded")
    assert json.loads(create.form["costs"]) == [
        {"startDate": "2026-12-01", "cost": 2000, "note": "Paid social"}
    ]
    assert json.loads(create.form["tags"]) == [{"tagType": "Region", "tagValue": "EMEA"}]
    assert json.loads(create.form["folder"]) == {
        "id": fake.folder_id("Marketing Activities"),
        "type": "Folder",
    }
    assert "authorization" in create.headers
    assert "access_token" not in create.query


def test_existing_program_is_reused_not_duplicated(platform, fake: FakeMarketo) -> None:
    first = platform.create_campaign(spec())
    second = platform.create_campaign(spec())

    assert second.reused is True
    assert second.external_id == first.external_id
    assert len(fake.programs) == 1
    assert sum(c.path.endswith("/programs.json") for c in fake.calls) == 1


def test_channel_defaults_from_kind(platform, fake: FakeMarketo) -> None:
    content = Content(
        kind="email",
        title="Newsletter",
        body="<p>x</p>",
        email={"template": "Monthly Newsletter", "subject": "Hi"},
    )
    campaign = platform.marketo_mapper.campaign_spec(content)
    response = platform.create_campaign(campaign)

    program = fake.programs[response.metadata["id"]]
    assert (program["type"], program["channel"]) == ("Email", "Email Send")


def test_unknown_channel_lists_valid_ones_before_creating(platform, fake: FakeMarketo) -> None:
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(spec(channel="Carrier Pigeon"))

    assert "Content Syndication" in str(info.value)
    assert "Online Advertising" in str(info.value)
    assert "Email Send" not in str(info.value)  # belongs to Email programs
    assert not fake.programs


def test_missing_folder_is_actionable(platform, fake: FakeMarketo) -> None:
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(spec(folder="No Such Folder"))

    assert info.value.code == "710"
    assert "folder 'No Such Folder' not found; create it in Marketo or set MARKETO_PROGRAM_FOLDER" in str(
        info.value
    )
    assert not any(c.path.endswith("/programs.json") for c in fake.calls)


def test_710_from_marketo_is_actionable(platform, fake: FakeMarketo) -> None:
    fake.fail("710", path="/programs.json")

    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(spec())

    assert info.value.code == "710"
    assert info.value.request_id
    assert "create it in Marketo or set MARKETO_PROGRAM_FOLDER" in (info.value.hint or "")


def _other_integration_creates(fake: FakeMarketo, name: str) -> None:
    fake.create_program(
        Call(
            "POST",
            "",
            {},
            {
                "name": name,
                "folder": json.dumps({"id": fake.folder_id("Marketing Activities"), "type": "Folder"}),
                "type": "Default",
                "channel": "Content Syndication",
            },
            {},
            {},
            "application/x-www-form-urlencoded",
            0.0,
        )
    )


def test_program_created_concurrently_is_reused(platform, fake: FakeMarketo) -> None:
    # Another activation creates the program between our lookup and our create: its 709
    # "name already in use" is answered by finding the program, not a ContentRejected.
    fake.before("POST", "/programs.json", lambda: _other_integration_creates(fake, "Spring Launch 2026"))

    response = platform.create_campaign(spec())

    assert len(fake.programs) == 1
    assert response.reused is True
    assert response.external_id == f"program:{next(iter(fake.programs))}"
    assert any("already existed" in w for w in response.warnings)


def test_program_709_for_another_reason_is_still_rejected(platform, fake: FakeMarketo) -> None:
    fake.fail("709", path="/programs.json")
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(spec())
    assert info.value.code == "709"
    assert not fake.programs


@pytest.mark.parametrize("code", ["604", "713", "719"])
def test_create_answered_after_commit_is_not_repeated(platform, fake: FakeMarketo, code: str) -> None:
    # 604/713/719 may follow an applied create: not sent again; a replay reuses the program.
    fake.fail(code, path="/programs.json", after=True)

    with pytest.raises(PlatformUnavailable) as info:
        platform.create_campaign(spec())

    assert info.value.retryable is False
    assert info.value.code == code
    assert sum(c.path.endswith("/programs.json") for c in fake.calls) == 1
    replay = platform.create_campaign(spec())
    assert replay.reused is True
    assert len(fake.programs) == 1


@pytest.mark.parametrize("code", ["608", "606", "615"])
def test_create_refused_before_applying_is_retried(platform, fake: FakeMarketo, code: str) -> None:
    fake.fail(code, path="/programs.json")

    response = platform.create_campaign(spec())

    assert response.reused is False
    assert len(fake.programs) == 1
    assert sum(c.path.endswith("/programs.json") for c in fake.calls) == 2


def test_604_on_a_lookup_is_retried(platform, fake: FakeMarketo) -> None:
    fake.fail("604", path="/program/byName.json")
    platform.create_campaign(spec())
    assert len(fake.programs) == 1


def test_near_match_is_never_reused(platform, fake: FakeMarketo) -> None:
    # A byName search answering a differently named program first: not taken for ours.
    other = platform.create_campaign(spec(name="Spring Launch 2026 (copy)"))
    fake.loose_names = True

    assert platform.find_campaign("Spring Launch 2026") is None
    response = platform.create_campaign(spec())

    assert response.reused is False
    assert response.external_id != other.external_id
    assert len(fake.programs) == 2


def test_folder_near_match_is_not_found(platform, fake: FakeMarketo) -> None:
    fake.loose_names = True
    with pytest.raises(ContentRejected) as info:
        platform.create_campaign(spec(folder="Marketing"))
    assert info.value.code == "710"
    assert not fake.programs

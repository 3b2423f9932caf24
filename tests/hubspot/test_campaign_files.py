"""Campaigns (reuse by name, budget items) and file uploads (multipart body shape)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest

from marketing_platform.models import Asset, CampaignSpec, Cost

from .conftest import AdapterFactory, png_bytes
from .fake_hubspot import FakeHubSpot


def _spec(name: str = "Spring Launch 2026") -> CampaignSpec:
    return CampaignSpec(
        name=name,
        description="Q2 launch",
        start_date=date(2026, 4, 1),
        end_date=date(2026, 4, 30),
        costs=[
            Cost(start_date=date(2026, 4, 1), amount=Decimal(2000), note="Paid social"),
            Cost(start_date=date(2026, 4, 15), amount=Decimal("99.50")),
        ],
    )


def test_campaign_created_with_properties_and_budget(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    response = make_adapter().create_campaign(_spec())
    assert not response.reused
    assert response.status == "created"
    (create,) = fake.calls_to("POST", "/marketing/v3/campaigns")
    assert create.json == {
        "properties": {
            "hs_name": "Spring Launch 2026",
            "hs_start_date": "2026-04-01",
            "hs_end_date": "2026-04-30",
            "hs_notes": "Q2 launch",
        }
    }
    items = fake.budget[str(response.external_id)]
    assert [(i["amount"], i["name"], i["order"]) for i in items] == [
        (2000, "Paid social", 1),
        (99.5, "Cost from 2026-04-15", 2),
    ]
    assert len(response.metadata["budget_item_ids"]) == 2


def test_campaign_reused_by_name_without_duplicate(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    make_adapter().create_campaign(_spec("Spring"))
    first = make_adapter().create_campaign(_spec())
    again = make_adapter().create_campaign(_spec())
    assert again.reused
    assert again.external_id == first.external_id
    assert [c["properties"]["hs_name"] for c in fake.campaigns.values()] == ["Spring", "Spring Launch 2026"]
    assert len(fake.budget[str(first.external_id)]) == 2  # no budget items added on reuse
    lookup = fake.calls_to("GET", "/marketing/v3/campaigns")[-1]
    assert lookup.query["name"] == "Spring Launch 2026"


def test_campaign_lookup_follows_paging(make_adapter: AdapterFactory, fake: FakeHubSpot) -> None:
    adapter = make_adapter()
    for index in range(150):
        fake.campaigns[f"g{index}"] = {"id": f"g{index}", "properties": {"hs_name": f"Launch {index}"}}
    fake.campaigns["target"] = {"id": "target", "properties": {"hs_name": "Launch"}}
    found = adapter.find_campaign("Launch")
    assert found is not None
    assert found.external_id == "target"
    assert len(fake.calls_to("GET", "/marketing/v3/campaigns")) == 2


def test_file_upload_body_shape(
    make_adapter: AdapterFactory, fake: FakeHubSpot, hero: Asset, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[IO[Any]] = []
    real_open = Path.open

    def spying_open(self: Path, *args: Any, **kwargs: Any) -> IO[Any]:
        handle = real_open(self, *args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(Path, "open", spying_open)
    response = make_adapter(files_folder="campaign-images/").upload_assets([hero])

    (call,) = fake.calls_to("POST", "/files/v3/files")
    assert call.files["file"]["filename"] == "hero.png"
    assert call.files["file"]["content_type"] == "image/png"
    assert call.files["file"]["data"] == png_bytes()
    assert call.form["fileName"] == "hero.png"
    assert call.form["folderPath"] == "/campaign-images"
    assert (
        call.form["options"]
        == '{"access":"PUBLIC_INDEXABLE","overwrite":false,"duplicateValidationStrategy":"RETURN_EXISTING",'
        '"duplicateValidationScope":"EXACT_FOLDER"}'
    )
    assert json.loads(call.form["options"])["access"] == "PUBLIC_INDEXABLE"
    assert opened
    assert all(h.closed for h in opened)
    (result,) = response.results
    assert result.url == "https://files.example.com/hubfs/campaign-images/hero.png"
    assert result.external_id in fake.files
    assert result.role == "featured"
    assert result.alt_text == "A rocket lifting off"


def test_upload_retried_on_429_reopens_the_file(
    make_adapter: AdapterFactory, fake: FakeHubSpot, hero: Asset
) -> None:
    fake.inject_rate_limit(times=1, path="/files/v3/files", method="POST")
    response = make_adapter().upload_assets([hero])
    calls = fake.calls_to("POST", "/files/v3/files")
    assert [c.status for c in calls] == [429, 201]
    assert calls[1].files["file"]["data"] == png_bytes()
    assert response.results[0].url


def test_the_account_key_tells_portals_apart_without_holding_the_token(make_adapter: AdapterFactory) -> None:
    """Uploads are remembered per account; only the token tells HubSpot portals apart."""
    one = make_adapter(access_token="pat-na1-portal-one")
    again = make_adapter(access_token="pat-na1-portal-one")
    other = make_adapter(access_token="pat-na1-portal-two")
    assert one.account_key() == again.account_key()
    assert one.account_key() != other.account_key()
    assert "portal-one" not in one.account_key()
    oauth = make_adapter(client_id="client-id-1", client_secret="s", refresh_token="rt-a")
    assert (
        oauth.account_key()
        != make_adapter(client_id="client-id-1", client_secret="s", refresh_token="rt-b").account_key()
    )

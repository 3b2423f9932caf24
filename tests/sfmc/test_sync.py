"""Activation through the real pipeline against the fake: create, re-activate unchanged
(zero writes), edit (updated in place), the same with a fresh activation log, the
campaign found by code before it is created, and emails never sent."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from marketing_platform.activation import ActivationResult, Activator, Job
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform_sfmc.mapping import stable_key

from .conftest import MakeActivator, MakeAdapter, email, landing_page
from .fake_sfmc import FakeSfmc


def run(make_activator: MakeActivator, content: Content, log_name: str = "activations") -> ActivationResult:
    with make_activator(log_name) as activator:
        return activator.activate(content, "sfmc")


@pytest.mark.parametrize("make_content", [email, landing_page], ids=["email", "landing_page"])
def test_create_then_reactivate_writes_nothing(
    make_activator: MakeActivator, fake: FakeSfmc, make_content: type[Content]
) -> None:
    content = make_content()
    first = run(make_activator, content)
    assert first.ok, first.error
    assert first.publish.action == "created"
    assert first.campaign.action == "created"
    counts = fake.counts()
    assert counts["campaigns"] == 1
    assert counts["links"] == 1
    assert counts["emails"] + counts["web_pages"] == 1
    (asset,) = [a for a in fake.assets.values()]
    assert asset["customerKey"] == stable_key("content", content.kind.value, content.id)
    assert asset["views"]["html"]["content"] == content.body

    before = len(fake.requests)
    second = run(make_activator, content)
    assert second.ok, second.error
    assert second.publish.action == "unchanged"
    assert second.campaign.action == "unchanged"
    assert fake.writes(before) == []
    assert fake.counts() == counts


def test_email_asset_holds_the_mapped_fields(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    result = run(make_activator, email())
    (asset,) = fake.of_type(208)
    assert asset["name"] == "March newsletter [march-newsletter]"
    assert asset["assetType"]["id"] == 208
    assert asset["views"]["subjectline"]["content"] == "March news"
    assert asset["views"]["preheader"]["content"] == "What is new in March"
    assert asset["description"] == "What is new in March"
    assert asset["tags"] == ["newsletter"]
    assert asset["channels"] == {"email": True, "web": False}
    (campaign,) = fake.campaigns.values()
    assert campaign["campaignCode"] == stable_key("campaign", "Newsletter 2026")
    assert campaign["description"] == "Monthly newsletters"
    (link,) = fake.links[campaign["id"]]
    assert link["type"] == "EMAIL"
    assert link["itemID"] == str(asset["legacyData"]["legacyId"])
    publish = result.publish
    assert publish.status == "draft"
    assert any("not sent" in warning for warning in publish.warnings)
    assert not fake.calls("POST", "/messaging")


@pytest.mark.parametrize(
    ("edit", "changed", "check"),
    [
        ({"body": "<h1>March</h1><p>Edited.</p>"}, ["body"], lambda a: a["views"]["html"]["content"]),
        ({"title": "March issue"}, ["title"], lambda a: a["name"]),
        ({"summary": "New summary"}, ["email.preheader", "summary"], lambda a: a["description"]),
        ({"tags": ["newsletter", "march"]}, ["tags"], lambda a: sorted(a["tags"])),
        (
            {"email": {"subject": "Changed subject", "from_name": "Acme", "reply_to": "news@acme.example"}},
            ["subject"],
            lambda a: a["views"]["subjectline"]["content"],
        ),
    ],
    ids=["body", "title", "summary", "tags", "subject"],
)
@pytest.mark.parametrize("fresh_log", [False, True], ids=["same-log", "fresh-log"])
def test_an_edit_updates_the_asset_in_place(
    make_activator: MakeActivator,
    fake: FakeSfmc,
    edit: dict[str, object],
    changed: list[str],
    check: object,
    fresh_log: bool,
) -> None:
    run(make_activator, email())
    (asset_id,) = fake.assets
    before = fake.counts()
    edited = email(**edit)
    result = run(make_activator, edited, "fresh" if fresh_log else "activations")
    assert result.ok, result.error
    assert result.publish.action == "updated"
    assert result.publish.changed == changed
    assert result.publish.external_id == str(asset_id)
    assert fake.counts() == before
    asset = fake.assets[asset_id]
    expected = {
        "body": edited.body,
        "title": "March issue [march-newsletter]",
        "summary": "New summary",
        "tags": ["march", "newsletter"],
        "subject": "Changed subject",
    }[next(iter(edit)) if "email" not in edit else "subject"]
    assert check(asset) == expected  # type: ignore[operator]
    assert fake.calls("PATCH", f"/asset/v1/content/assets/{asset_id}")
    # ... and one more run changes nothing.
    mark = len(fake.requests)
    again = run(make_activator, edited, "fresh" if fresh_log else "activations")
    assert again.publish.action == "unchanged"
    assert fake.writes(mark) == []


def test_fresh_log_finds_everything_on_the_vendor(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    run(make_activator, email())
    counts = fake.counts()
    mark = len(fake.requests)
    result = run(make_activator, email(), "another-log")
    assert result.publish.action == "unchanged"
    assert result.campaign.action == "unchanged"
    assert result.campaign.reused
    assert fake.writes(mark) == []
    assert fake.counts() == counts


def test_web_page_asset_type_and_body(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    run(make_activator, landing_page())
    (page,) = fake.of_type(205)
    assert page["content"] == "<h1>Roadshow</h1>"
    assert page["views"]["html"]["content"] == "<h1>Roadshow</h1>"
    (link,) = next(iter(fake.links.values()))
    assert (link["type"], link["itemID"]) == ("CMS_asset", str(page["id"]))


def test_landingpage_asset_type_247_is_a_setting(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    with make_activator(web_page_asset_type=247) as activator:
        assert activator.activate(landing_page(), "sfmc").ok
    assert len(fake.of_type(247)) == 1


def test_web_page_body_read_from_content_when_views_are_absent(
    make_activator: MakeActivator, fake: FakeSfmc
) -> None:
    """Which field a tenant keeps a web page's HTML in is not documented: either counts."""
    run(make_activator, landing_page())
    (page,) = fake.of_type(205)
    page.pop("views")
    mark = len(fake.requests)
    assert run(make_activator, landing_page()).publish.action == "unchanged"
    assert fake.writes(mark) == []


def test_campaign_found_by_name_when_its_code_differs(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    """Campaigns made in Marketing Cloud have their own code: the exact name finds them."""
    fake.campaigns["77"] = {
        "id": "77",
        "name": "Newsletter 2026",
        "description": "Monthly newsletters",
        "campaignCode": "HANDMADE",
        "_mid": fake.mids[0],
    }
    result = run(make_activator, email())
    assert result.campaign.action == "unchanged"
    assert result.campaign.external_id == "77"
    assert len(fake.campaigns) == 1
    assert len(fake.links["77"]) == 1


def test_campaign_description_edit_is_reported_not_lost(
    make_activator: MakeActivator, fake: FakeSfmc
) -> None:
    """The Campaigns API documents no update: the campaign is reused with a warning."""
    run(make_activator, email())
    mark = len(fake.requests)
    edited = email(campaign={"name": "Newsletter 2026", "description": "Changed"})
    result = run(make_activator, edited)
    assert result.campaign.action == "reused"
    assert any("cannot update a campaign" in w for w in result.campaign.warnings)
    assert fake.writes(mark) == []


def test_moving_content_to_another_campaign_associates_it(
    make_activator: MakeActivator, fake: FakeSfmc
) -> None:
    run(make_activator, email())
    result = run(make_activator, email(campaign={"name": "Newsletter 2027"}))
    assert result.publish.action == "updated"
    assert result.publish.changed == ["campaign"]
    assert len(fake.campaigns) == 2
    assert fake.counts()["links"] == 2
    assert not fake.calls("PATCH")


def test_two_contents_of_one_title_are_two_assets(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    run(make_activator, email(id="issue-a"))
    run(make_activator, email(id="issue-b"))
    assert len(fake.of_type(208)) == 2
    assert fake.counts()["campaigns"] == 1


def test_mid_scopes_keys_and_data(make_activator: MakeActivator, fake: FakeSfmc) -> None:
    """customerKey is unique across the enterprise: the MID is part of it."""
    with make_activator("bu1", account_id=fake.mids[0]) as one:
        assert one.activate(email(), "sfmc").ok
    with make_activator("bu2", account_id=fake.mids[1]) as two:
        assert two.activate(email(), "sfmc").ok
    keys = {a["customerKey"] for a in fake.assets.values()}
    assert keys == {stable_key(mid, "content", "email", "march-newsletter") for mid in fake.mids[:2]}
    assert {a["memberId"] for a in fake.assets.values()} == {int(m) for m in fake.mids[:2]}
    assert fake.token_requests[-1]["account_id"] == fake.mids[1]


def test_create_answer_lost_then_replayed_adopts_the_asset(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    """A create whose answer was lost (the asset exists, the index has not caught up):
    the retried create is refused for its customerKey, and the asset is adopted."""
    adapter = make_adapter()
    content = email(campaign=None)
    adapter.publish_content(content)
    fake.index_lag = 2
    for asset in fake.assets.values():
        asset["_indexed_after"] = fake.queries + 2
    assert adapter.find_content(content, None) is None  # not indexed yet
    again = adapter.publish_content(content)
    assert len(fake.of_type(208)) == 1
    assert again.external_id == str(next(iter(fake.assets)))


def test_foreign_asset_of_the_same_name_is_not_taken(make_adapter: MakeAdapter, fake: FakeSfmc) -> None:
    from marketing_platform.errors import Conflict

    adapter = make_adapter()
    content = email(campaign=None)
    fake.assets[1] = {
        "id": 1,
        "customerKey": "someone-elses",
        "name": "March newsletter [march-newsletter]",
        "assetType": {"id": 208, "name": "htmlemail"},
        "category": {"id": 1},
        "memberId": int(fake.mids[0]),
        "_indexed_after": 0,
    }
    with pytest.raises(Conflict) as caught:
        adapter.publish_content(content)
    assert "already has an asset named" in caught.value.message
    assert len(fake.assets) == 1


def test_category_from_settings_and_content(
    make_activator: MakeActivator, fake: FakeSfmc, tmp_path: Path
) -> None:
    other = fake.add_category("other")
    with make_activator(category_id=fake.folder) as activator:
        activator.activate(email(), "sfmc")
        activator.activate(email(id="april", platform_options={"sfmc": {"category_id": other}}), "sfmc")
    folders = {a["customerKey"]: a["category"]["id"] for a in fake.assets.values()}
    assert sorted(folders.values()) == sorted([fake.folder, other])


class _OtherReadings(httpx.BaseTransport):
    """The fake's answers in the other documented/possible shapes: an empty 202 for a
    created campaign, the campaign list as a bare array, association lists as ``{items}``."""

    def __init__(self, fake: FakeSfmc) -> None:
        self.inner = httpx.WSGITransport(app=fake)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        path = request.url.path
        if request.method == "POST" and path == "/hub/v1/campaigns" and response.status_code == 202:
            return httpx.Response(202)
        if request.method == "GET" and path == "/hub/v1/campaigns":
            return httpx.Response(200, json=response.json()["items"])
        if request.method == "GET" and path.endswith("/assets") and path.startswith("/hub/"):
            return httpx.Response(200, json={"count": 1, "items": response.json()})
        return response


def test_other_readings_of_the_answers_converge(
    make_adapter: MakeAdapter, fake: FakeSfmc, tmp_path: Path
) -> None:
    def activator() -> Activator:
        log = ActivationLog(tmp_path / "log.sqlite3")
        return Activator(
            activation_log=log,
            platform_factory=lambda name: make_adapter(transport=_OtherReadings(fake)),
            fallback=[],
        )

    with activator() as run_:
        first = run_.activate(email(), "sfmc")
    assert first.ok, first.error
    assert first.campaign.action == "created"
    with activator() as run_:
        mark = len(fake.requests)
        second = run_.activate(email(), "sfmc")
    assert second.publish.action == "unchanged"
    assert fake.writes(mark) == []
    assert fake.counts()["campaigns"] == 1
    assert fake.counts()["links"] == 1


def test_a_bulk_pages_the_campaigns_once_and_links_new_assets_without_asking(
    make_activator: MakeActivator, fake: FakeSfmc
) -> None:
    """Issue 15: a campaign found by name is remembered (CAMPAIGN_TTL), and an asset the
    activation just created is associated without reading the campaign's associations."""
    contents = [email(id=f"issue-{i}", title=f"Issue {i}") for i in range(5)]
    with make_activator() as activator:
        results = activator.activate_all([Job(content, "sfmc") for content in contents])
    assert all(r.ok for r in results), [r.error for r in results]
    (campaign,) = fake.campaigns.values()
    # created (after one miss), then found once and remembered
    assert len(fake.calls("GET", "/hub/v1/campaigns")) - len(fake.calls("GET", "/hub/v1/campaigns/")) == 2
    assert fake.calls("GET", f"/hub/v1/campaigns/{campaign['id']}/assets") == []
    assert fake.counts()["links"] == 5
    # a re-activation still checks the association of what it finds
    again = run(make_activator, contents[0], log_name="fresh")
    assert again.publish.action == "unchanged"
    assert len(fake.calls("GET", f"/hub/v1/campaigns/{campaign['id']}/assets")) == 1


def test_a_campaign_remembered_by_name_is_forgotten_when_one_is_created(
    make_adapter: MakeAdapter, fake: FakeSfmc
) -> None:
    adapter = make_adapter()
    spec = email().campaign
    assert spec is not None
    assert adapter.find_campaign(spec.name) is None  # a miss is not remembered
    created = adapter.create_campaign(spec)
    assert created.reused is False
    found = adapter.find_campaign(spec.name)
    assert found is not None
    assert found.external_id == created.external_id
    pages = len(fake.calls("GET", "/hub/v1/campaigns"))
    assert adapter.create_campaign(spec).reused is True
    assert len(fake.calls("GET", "/hub/v1/campaigns")) == pages  # remembered

"""Contract: every request the HubSpot adapter sends matches HubSpot's own published types,
as the official ``hubspot-api-client`` package generates them (:mod:`.vendor_schema`).

Every test in this folder is checked (the ``hubspot_wire_contract`` fixture reads every
request the fakes received); here one run sends every kind of request the adapter has,
and the checker itself is shown to catch what issue 15 found: string tag ids, an
undeclared filter, a comma-joined array, an unknown field. The package is a test
dependency (``vendor_schema.REQUIREMENT``): without it these tests fail in CI
(``CI=true``) and skip, saying why, elsewhere.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketing_platform.models import Asset, CampaignSpec, Content

from . import vendor_schema
from .conftest import AdapterFactory, blog_post, email
from .fake_hubspot import Call, FakeClock, FakeHubSpot

if not vendor_schema.installed():
    reason = f"the HubSpot contract needs {vendor_schema.REQUIREMENT} (pip install it)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _call(method: str, path: str, query: list[tuple[str, str]] | None = None, body: Any = None) -> Call:
    items = query or []
    return Call(method=method, path=path, query=dict(items), headers={}, json=body, query_items=items)


def test_every_kind_of_request_the_adapter_sends_matches_hubspot_types(
    make_adapter: AdapterFactory, fake: FakeHubSpot, clock: FakeClock, hero: Asset
) -> None:
    adapter = make_adapter()
    later = datetime.fromtimestamp(clock(), UTC) + timedelta(days=2)
    adapter.check()
    assets = adapter.upload_assets([hero])
    adapter.upload_assets([hero])  # found by MD5: no upload
    post = blog_post(assets=[hero], schedule_at=later.isoformat())
    assert post.campaign is not None
    costs = [{"start_date": "2026-04-01", "amount": 10}]
    campaign = adapter.create_campaign(
        CampaignSpec.model_validate({**post.campaign.model_dump(), "costs": costs})
    )
    edited = {**post.campaign.model_dump(), "description": "new", "costs": [{**costs[0], "amount": 12.5}]}
    adapter.update_campaign(CampaignSpec.model_validate(edited), campaign, {"campaign.costs": {}})
    published = adapter.publish_content(post, campaign=campaign, assets=assets)
    moved = post.model_copy(update={"schedule_at": later + timedelta(days=1), "topics": ["Events"]})
    _sync(adapter, moved, campaign, assets)
    _sync(adapter, moved.model_copy(update={"schedule_at": None, "body": "<p>Now</p>"}), campaign, assets)
    mail = email(schedule_at=later.isoformat())
    _ = adapter.publish_content(mail, campaign=campaign)
    _sync(adapter, mail.model_copy(update={"title": "May newsletter"}), campaign, None)
    _sync(adapter, mail.model_copy(update={"schedule_at": None}), campaign, None)
    assert make_adapter().find_content(mail, campaign) is not None  # sent: reads its lists' names
    adapter.get_status(str(published.external_id))
    oauth = make_adapter(
        client_id="client-id-1", client_secret="client-secret-1", refresh_token="rt-test-refresh"
    )
    oauth.check()

    sent = {(c.method, _template(c)) for c in fake.calls}
    for expected in [
        ("POST", "/files/v3/files"),
        ("GET", "/files/v3/files/search"),
        ("POST", "/marketing/v3/campaigns"),
        ("PATCH", "/marketing/v3/campaigns/{campaignGuid}"),
        ("PUT", "/marketing/v3/campaigns/{campaignGuid}/budget/{budgetId}"),
        ("POST", "/cms/v3/blogs/posts"),
        ("PATCH", "/cms/v3/blogs/posts/{objectId}/draft"),
        ("POST", "/cms/v3/blogs/posts/schedule"),
        ("POST", "/cms/v3/blogs/posts/{objectId}/draft/push-live"),
        ("GET", "/cms/v3/blogs/posts"),
        ("GET", "/cms/v3/blogs/tags"),
        ("POST", "/cms/v3/blogs/tags"),
        ("POST", "/marketing/v3/emails"),
        ("PATCH", "/marketing/v3/emails/{emailId}"),
        ("POST", "/marketing/v3/emails/{emailId}/unpublish"),
        ("POST", "/marketing/v3/emails/{emailId}/publish"),
        ("POST", "/crm/v3/lists"),
        ("GET", "/crm/v3/lists"),
        ("POST", "/oauth/v1/token"),
    ]:
        assert expected in sent, f"the contract run never sent {expected}"
    problems = vendor_schema.check_calls(fake.calls)
    assert not problems, vendor_schema.describe(problems)


def _sync(adapter: Any, content: Content, campaign: Any, assets: Any) -> None:
    found = adapter.find_content(content, campaign)
    assert found is not None
    changes = adapter.content_changes(content, found, campaign=campaign, assets=assets)
    assert changes, "the contract run expected a change"
    adapter.update_content(content, found, changes, campaign=campaign, assets=assets)


def _template(call: Call) -> str:
    path = call.path.rstrip("/")
    for operation in vendor_schema.operations():
        if operation.method == call.method and operation.pattern.fullmatch(path):
            return operation.template.rstrip("/")
    return path


def test_tag_ids_sent_as_text_are_refused() -> None:
    (problem,) = vendor_schema.violations(
        _call("POST", "/cms/v3/blogs/posts", body={"name": "x", "tagIds": ["1003"]})
    )
    assert "tagIds[0]: expected int" in problem


def test_unknown_fields_and_wrong_types_are_refused() -> None:
    problems = vendor_schema.violations(
        _call(
            "POST",
            "/marketing/v3/emails",
            body={"name": "x", "publishDate": "tomorrow", "from": {"reply": "a@b.example"}},
        )
    )
    assert any("publishDate: expected datetime" in p for p in problems)
    assert any("from.reply: unknown field of PublicEmailFromDetails" in p for p in problems)
    (enum,) = vendor_schema.violations(
        _call("PATCH", "/cms/v3/blogs/posts/1/draft", body={"language": "klingon"})
    )
    assert "language" in enum


def test_undeclared_filters_are_refused_and_documented_ones_accepted() -> None:
    (problem,) = vendor_schema.violations(
        _call("GET", "/cms/v3/blogs/posts", [("slug__contains", "launch"), ("contentGroupId__eq", "1")])
    )
    assert "'slug__contains' is not declared" in problem
    assert not vendor_schema.violations(
        _call("GET", "/cms/v3/blogs/posts", [("slug__icontains", "launch"), ("contentGroupId__eq", "1")])
    )
    assert not vendor_schema.violations(_call("GET", "/cms/v3/blogs/tags", [("name__eq", "Launch")]))


def test_a_comma_joined_array_is_refused() -> None:
    joined = _call("GET", "/marketing/v3/campaigns", [("name", "x"), ("properties", "hs_name,hs_notes")])
    (problem,) = vendor_schema.violations(joined)
    assert "exploded array" in problem
    exploded = _call(
        "GET",
        "/marketing/v3/campaigns",
        [("name", "x"), ("properties", "hs_name"), ("properties", "hs_notes")],
    )
    assert not vendor_schema.violations(exploded)


def test_an_unknown_operation_is_refused() -> None:
    (problem,) = vendor_schema.violations(_call("POST", "/cms/v3/blogs/posts/1/publish"))
    assert "no such operation" in problem

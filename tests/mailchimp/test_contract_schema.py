"""Contract: every request the Mailchimp adapter sends is one Mailchimp's official client
(``mailchimp-marketing``) declares, with parameters of the declared names and types.

What the package declares, and so what is checked (see :mod:`.schema`): the method and
path template of each operation, its path parameters, its query parameters and their
types (``count``/``offset`` integers, ``fields`` one comma-joined list, ``count`` at
most the documented 1000), what is required, and whether the operation takes a body
(``POST .../actions/send`` takes none; ``PATCH /campaigns/{id}`` requires one). The
package has no models (a body is a plain dict), so the *fields* of a body cannot be
checked against it.

Every test of this folder is checked the same way after it runs (the conftest's
``requests_match_the_official_client``); the test here drives every operation the
adapter uses through one full run and asserts that it reached each of them. Without
the package this module fails in CI (``CI=true``) and skips elsewhere, naming why.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog
from marketing_platform.testing import sample_asset

from . import schema
from .conftest import MakeAdapter, email
from .fake_mailchimp import FakeMailchimp

if not schema.operations():
    reason = f"{schema.PACKAGE} is not installed (pip install mailchimp-marketing; it is a test dependency)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

#: The operations the adapter uses, by the official client's names.
USED = {
    "PingApi.get",
    "RootApi.get_root",
    "ListsApi.get_all_lists",
    "ListsApi.list_segments",
    "FileManagerApi.files",
    "FileManagerApi.upload",
    "CampaignsApi.list",
    "CampaignsApi.create",
    "CampaignsApi.get",
    "CampaignsApi.update",
    "CampaignsApi.get_content",
    "CampaignsApi.set_content",
    "CampaignsApi.send",
    "CampaignsApi.schedule",
    "CampaignsApi.unschedule",
}
LATER = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)


def test_every_request_of_a_full_run_is_declared_by_the_official_client(
    make_adapter: MakeAdapter, fake: FakeMailchimp, tmp_path: Path
) -> None:
    fake.add_audience("Customers", segments=["VIP"])
    (tmp_path / "images").mkdir()
    sample_asset(tmp_path / "images", "chart.png")
    adapter = make_adapter()
    adapter.check()
    adapter.upload_assets([sample_asset(tmp_path, "hero.png")])

    later = {"schedule_at": LATER.isoformat()}
    vip = {"audience": {"lists": ["Customers"]}, "platform_options": {"mailchimp": {"segment": "VIP"}}}
    contents = [
        email(id="sent-now", body='<p><img src="images/chart.png"></p>'),
        email(id="scheduled", **later, **vip),
        email(id="scheduled", **later, **vip, summary="Edited: unschedule, update, schedule"),
        email(id="scheduled", **later, **vip, summary="Edited: unschedule, update, schedule"),
        email(id="sent-now"),  # blocked: reads only
    ]
    with Activator(
        activation_log=ActivationLog(tmp_path / "log.sqlite3"), platform_factory=lambda _: make_adapter()
    ) as activator:
        activator.plan(contents[0], "mailchimp", asset_root=tmp_path)
        results = [activator.activate(c, "mailchimp", asset_root=tmp_path) for c in contents]
    assert [r.record.state for r in results] == ["succeeded"] * 4 + ["blocked"]
    assert [r.publish.action for r in results if r.publish] == [
        "created",
        "created",
        "updated",
        "unchanged",
        "blocked",
    ]
    adapter.get_status(str(results[0].publish.external_id if results[0].publish else ""))

    reached = {
        operation.name
        for request in fake.requests
        if (operation := schema.operation_for(request.method, request.path)) is not None
    }
    assert reached == USED
    wrong = [p for r in fake.requests for p in schema.problems(r.method, r.path, r.query, r.body)]
    assert wrong == []


# ------------------------------------------------------- the check itself
@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problem"),
    [
        ("GET", "/campaigns/c1/title", {}, None, "no operation"),
        ("DELETE", "/lists", {}, None, "no operation"),
        ("GET", "/campaigns", {"title": ["x"]}, None, "'title' is not one of CampaignsApi.list's"),
        ("GET", "/campaigns", {"count": ["ten"]}, None, "is not an integer"),
        ("GET", "/campaigns", {"count": ["5000"]}, None, "above the documented maximum 1000"),
        ("GET", "/campaigns", {"fields": ["id", "status"]}, None, "sent 2 times"),
        ("GET", "/lists", {"has_ecommerce_store": ["yes"]}, None, "is not true/false"),
        ("GET", "/campaigns", {"since_send_time": ["yesterday"]}, None, "is not an ISO 8601 time"),
        ("POST", "/campaigns/c1/actions/send", {}, {"now": True}, "takes no body"),
        ("PATCH", "/campaigns/c1", {}, None, "requires a body (Campaign2)"),
        ("PUT", "/campaigns/c1/content", {}, ["<p>x</p>"], "must be a JSON object"),
    ],
)
def test_the_check_refuses_what_the_client_does_not_declare(
    method: str, path: str, query: dict[str, list[str]], body: object, problem: str
) -> None:
    found = schema.problems(method, path, query, body)
    assert any(problem in p for p in found), found


def test_the_check_accepts_what_the_client_declares() -> None:
    query = {
        "count": ["1000"],
        "offset": ["0"],
        "fields": ["campaigns.id,campaigns.settings.title,total_items"],
    }
    assert schema.problems("GET", "/campaigns", query, None) == []
    assert schema.problems("POST", "/campaigns/c1/actions/unschedule", {}, None) == []
    assert schema.problems("PATCH", "/campaigns/c1", {}, {"settings": {"subject_line": "x"}}) == []

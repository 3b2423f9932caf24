"""Contract: every request the Marketo adapter sends matches Adobe's published Swagger spec.

A full run (upload, email, landing page, template create/approve, status, check, then a
re-activation that finds everything and updates the program, the email's header fields,
description and body, and the landing page's title, description and body) goes to the
fake Marketo; each recorded request must match a path template and method in
``swagger-asset.json`` / ``swagger-identity.json``, every query parameter must be one
the operation declares, and every form / multipart field must be a property of the
operation's body schema (the spec models form bodies as one JSON body parameter). The
identity credentials travel in the form body although the spec lists them as query
parameters: credentials never go in URLs, so the form location is accepted.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.models import Asset, Content, Cost
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform
from marketing_platform_marketo.settings import MarketoSettings
from tests.conftest import require
from tests.marketo.fake_marketo import Call, FakeClock, FakeMarketo

SPECS = Path(__file__).parents[2].parent / "shared" / "specs" / "marketo"
TEMPLATE = '<html><body><div class="mktEditable" id="main">x</div></body></html>'


@pytest.fixture(autouse=True)
def _specs_present() -> None:
    """Skipped without the specs on a developer's machine; a failure in CI."""
    require(
        all((SPECS / name).is_file() for name in ("swagger-asset.json", "swagger-identity.json")),
        f"Adobe's Marketo Swagger specs not found in {SPECS}",
    )


def _operations() -> list[tuple[str, re.Pattern[str], dict[str, Any], dict[str, Any]]]:
    out = []
    for name in ("swagger-asset.json", "swagger-identity.json"):
        spec = json.loads((SPECS / name).read_text())
        base = spec.get("basePath", "/").rstrip("/")
        for template, methods in spec["paths"].items():
            pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(base + template)) + "$")
            for method, operation in methods.items():
                out.append((method.upper(), pattern, operation, spec.get("definitions", {})))
    return out


def _body_fields(operation: dict[str, Any], definitions: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for parameter in operation.get("parameters", []):
        if parameter.get("in") in ("body", "formData"):
            schema = parameter.get("schema", {})
            while "$ref" in schema:
                schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
            fields |= set(schema.get("properties", {})) if parameter["in"] == "body" else {parameter["name"]}
    return fields


def _query_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}


@pytest.fixture
def recorded(tmp_path: Path) -> list[Call]:
    clear_token_cache()
    clock = FakeClock()
    fake = FakeMarketo(clock=clock, client_id="cid", client_secret="contract-secret")
    fake.add_email_template("Newsletter", TEMPLATE)
    fake.add_lp_template("Basic Page")
    image = tmp_path / "hero.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    html = tmp_path / "promo.html"
    html.write_text(TEMPLATE)
    settings = MarketoSettings(
        base_url="http://127.0.0.1:9", client_id="cid", client_secret="contract-secret"
    )
    email = Content.model_validate(
        {
            "kind": "email",
            "title": "News",
            "summary": "s",
            "url": "https://example.com",
            "body": "<p>x</p>",
            "campaign": {
                "name": "News",
                "description": "d",
                "channel": "Email Send",
                "folder": "Marketing Activities",
                "costs": [{"start_date": "2026-01-01", "amount": 5, "note": "n"}],
                "tags": {"Region": "EMEA"},
                "start_date": "2026-01-01",
                "end_date": "2026-01-31",
            },
            "email": {
                "template": "Newsletter",
                "subject": "s",
                "from_name": "A",
                "from_email": "a@example.com",
                "reply_to": "r@example.com",
            },
        }
    )
    page = Content.model_validate(
        {
            "kind": "landing_page",
            "title": "Page",
            "body": "<p>x</p>",
            "landing_page": {"template": "Basic Page", "title": "T", "url_page_name": "page"},
        }
    )
    edited_email = email.model_copy(
        update={
            "body": "<p>y</p>",
            "summary": "s2",
            "campaign": email.campaign.model_copy(  # type: ignore[union-attr]
                update={
                    "description": "d2",
                    "tags": {"Region": "APAC"},
                    "end_date": date(2026, 2, 28),
                    "costs": [Cost(start_date=date(2026, 1, 1), amount=Decimal(6))],
                }
            ),
            "email": email.email.model_copy(  # type: ignore[union-attr]
                update={"subject": "s2", "from_name": "B", "reply_to": "r2@example.com"}
            ),
        }
    )
    edited_page = page.model_copy(
        update={
            "body": "<p>y</p>",
            "summary": "new",
            "landing_page": page.landing_page.model_copy(update={"title": "T2"}),  # type: ignore[union-attr]
        }
    )
    with MarketoPlatform(
        settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
    ) as p:
        p.check()
        assets = p.upload_assets([Asset(path=image, alt_text="alt", role="featured", mime_type="image/png")])
        p.upload_assets([Asset(path=image, mime_type="image/png")])  # insertOnly conflict -> file/byName
        campaign = p.create_campaign(p.marketo_mapper.campaign_spec(email))
        p.create_campaign(p.marketo_mapper.campaign_spec(email))  # reuse
        published = p.publish_content(email, campaign=campaign, assets=assets)
        p.find_content(email, campaign)
        lp = p.publish_content(page)
        for content in (edited_email, edited_page):  # a re-activation that updates in place
            spec = p.marketo_mapper.campaign_spec(content)
            program = p.create_campaign(spec)
            changes = p.campaign_changes(spec, program)
            if changes:
                program = p.update_campaign(spec, program, changes)
            found = p.find_content(content, program)
            assert found is not None
            content_changes = p.content_changes(content, found, campaign=program, assets=assets)
            assert content_changes
            p.update_content(content, found, content_changes, campaign=program, assets=assets)
        template = p.create_email_template("Promo", html, description="d")
        p.approve_email_template(template.id)
        p.list_email_templates(status="approved")
        for ref in (
            published.external_id,
            lp.external_id,
            campaign.external_id,
            assets.results[0].external_id,
            f"emailTemplate:{template.id}",
        ):
            assert ref is not None
            p.get_status(ref)
    clear_token_cache()
    assert all(c.code is None or c.path.endswith("/files.json") for c in fake.calls)
    return fake.calls


def test_every_request_matches_the_spec(recorded: list[Call]) -> None:
    operations = _operations()
    seen_paths = set()
    for call in recorded:
        matches = [
            (op, defs)
            for method, pattern, op, defs in operations
            if method == call.method and pattern.match(call.path)
        ]
        assert matches, f"{call.method} {call.path} is not in Adobe's spec"
        # the most specific template wins (e.g. byName.json over {id}.json)
        operation, definitions = matches[0] if len(matches) == 1 else _most_specific(call.path, matches)
        queries = _query_names(operation)
        assert set(call.query) <= queries, (
            f"{call.method} {call.path}: undeclared query {set(call.query) - queries}"
        )
        fields = set(call.form) | set(call.files)
        allowed = _body_fields(operation, definitions)
        if call.path == "/identity/oauth/token":
            allowed |= queries  # credentials: in the form, never in the URL
            assert not call.query
        assert fields <= allowed, f"{call.method} {call.path}: undeclared fields {fields - allowed}"
        seen_paths.add((call.method, re.sub(r"/\d+", "/{id}", call.path)))
    assert len(seen_paths) >= 32
    for update in (
        ("POST", "/rest/asset/v1/program/{id}.json"),
        ("POST", "/rest/asset/v1/email/{id}.json"),
        ("POST", "/rest/asset/v1/email/{id}/content.json"),
        ("POST", "/rest/asset/v1/landingPage/{id}.json"),
        ("GET", "/rest/asset/v1/folder/{id}/tokens.json"),
    ):
        assert update in seen_paths, f"the run never sent {update}"


def _most_specific(
    path: str, matches: list[tuple[dict[str, Any], dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    literal = [m for m in matches if "byName" in path or "{" not in json.dumps(m[0].get("operationId", ""))]
    return literal[0]

"""The core's adapter conformance kit, run against the fake Marketo."""

from __future__ import annotations

import httpx
import pytest

from marketing_platform.models import Content
from marketing_platform.testing import AdapterConformance
from marketing_platform_marketo.platform import MarketoPlatform

from .conftest import SECRET, TEMPLATE_HTML
from .fake_marketo import FakeMarketo


class TestMarketoConformance(AdapterConformance):
    adapter_class = MarketoPlatform
    # the token request is a POST but changes nothing on the instance
    read_only_exempt_paths = frozenset({"/identity/oauth/token"})

    @pytest.fixture
    def fake_marketo(self) -> FakeMarketo:
        fake = FakeMarketo(client_secret=SECRET)
        fake.add_email_template("Monthly Newsletter", TEMPLATE_HTML)
        fake.add_lp_template("Basic Page")
        return fake

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {
            "MARKETO_BASE_URL": "http://127.0.0.1:9",
            "MARKETO_CLIENT_ID": "test-client-id",
            "MARKETO_CLIENT_SECRET": SECRET,
        }

    @pytest.fixture
    def fake_transport(self, fake_marketo: FakeMarketo) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake_marketo)

    @pytest.fixture
    def fake_snapshot(self, fake_marketo: FakeMarketo) -> object:
        def snapshot() -> dict[str, int]:
            return {
                "programs": len(fake_marketo.programs),
                "emails": len(fake_marketo.emails),
                "landing_pages": len(fake_marketo.landing_pages),
                "files": len(fake_marketo.files),
                "templates": len(fake_marketo.email_templates),
            }

        return snapshot

    @pytest.fixture
    def sample_content(self) -> list[Content]:
        return [
            Content.model_validate(
                {
                    "kind": "email",
                    "title": "Kit email",
                    "body": "<p>Hi</p>",
                    "email": {"template": "Monthly Newsletter", "subject": "Hi"},
                }
            ),
            Content(kind="event", title="Kit event", summary="Join us"),
            Content.model_validate(
                {
                    "kind": "landing_page",
                    "title": "Kit page",
                    "body": "<p>Page</p>",
                    "landing_page": {"template": "Basic Page"},
                }
            ),
        ]

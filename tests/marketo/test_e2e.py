"""Across a real loopback socket: a full run with a scaled-down window, and a timeout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from marketing_platform.errors import PlatformUnavailable
from marketing_platform.models import Asset, CampaignSpec, Content
from marketing_platform_marketo.platform import MarketoPlatform
from tests.fakes.server import serve

from .conftest import SECRET, settings
from .fake_marketo import TEMPLATE_HTML, FakeClock, FakeMarketo

pytestmark = pytest.mark.slow


def test_full_run_over_a_socket(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = FakeMarketo(clock=clock, client_secret=SECRET, window_calls=5, window_seconds=1.0)
    fake.add_email_template("Monthly Newsletter", TEMPLATE_HTML)
    image = tmp_path / "hero.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    content = Content.model_validate(
        {
            "kind": "email",
            "title": "News",
            "body": "<p>Hi</p>",
            "campaign": {"name": "News program", "costs": [{"start_date": "2026-01-01", "amount": 100}]},
            "email": {
                "template": "Monthly Newsletter",
                "subject": "Hi",
                "from_name": "News",
                "from_email": "news@example.com",
                "reply_to": "replies@example.com",
            },
        }
    )
    with (
        serve(fake) as url,
        MarketoPlatform(settings(url, rate_limit="5/1"), clock=clock, sleep=clock.sleep) as p,
    ):
        assets = p.upload_assets([Asset(path=image, role="featured", mime_type="image/png")])
        campaign = p.create_campaign(p.marketo_mapper.campaign_spec(content))
        published = p.publish_content(content, campaign=campaign, assets=assets)

    assert published.status == "approved"
    assert fake.rejected_606 == 0
    assert fake.max_calls_in_any_window() <= 5
    assert len(fake.identity_calls()) == 1


def test_timeout_is_platform_unavailable() -> None:
    fake = FakeMarketo(client_secret=SECRET, delay=0.5)
    slept: list[float] = []
    with serve(fake) as url:
        platform = MarketoPlatform(settings(url, timeout=0.1), sleep=slept.append)
        started = time.monotonic()
        with pytest.raises(PlatformUnavailable) as info:
            platform.create_campaign(CampaignSpec(name="slow"))
        platform.close()
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 5

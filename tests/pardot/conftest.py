"""Fixtures for the Pardot adapter tests: a fake clock, the fake Account Engagement
(seeded with campaigns, lists, a template and a folder), adapters wired to it
in-process (``httpx.WSGITransport``), the activation pipeline over them, and content
builders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.activation import ActivationResult, Activator
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.testing import SAMPLE_LIST, FakeClock
from marketing_platform_pardot import PardotPlatform, PardotSettings

from .fake_pardot import BUSINESS_UNIT, CLIENT_ID, CLIENT_SECRET, FakePardot

AdapterFactory = Callable[..., PardotPlatform]
Run = Callable[..., ActivationResult]


@pytest.fixture(autouse=True)
def _no_pardot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root conftest clears the other adapters' variables; clear PARDOT_* too."""
    for name in list(os.environ):
        if name.startswith("PARDOT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def seed(fake: FakePardot) -> FakePardot:
    """What the account holds before the tests: campaigns (v5 cannot create them),
    lists, the examples' email template, a folder."""
    fake.add_campaign("Default campaign", id=11)
    fake.add_campaign("Newsletter 2026-12", id=12)
    fake.add_campaign("EMEA Roadshow 2026", id=13)
    fake.add_campaign("Spring Launch 2026", id=14)
    fake.add_list("Newsletter subscribers", id=45)
    fake.add_list("Customers", id=46)
    fake.add_list(SAMPLE_LIST, id=47)
    fake.add(
        "email-templates",
        id=71,
        name="Monthly Newsletter",
        subject="Monthly news",
        htmlMessage="<p>%%unsubscribe%%</p>",
        isListEmail=True,
    )
    fake.add_folder("/Marketing/Emails")
    return fake


@pytest.fixture
def fake(clock: FakeClock) -> FakePardot:
    return seed(FakePardot(clock=clock))


def settings(**overrides: Any) -> PardotSettings:
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "business_unit_id": BUSINESS_UNIT,
        "campaign_id": 11,
    }
    values.update(overrides)
    return PardotSettings(**values)


@pytest.fixture
def make_adapter(fake: FakePardot, clock: FakeClock) -> Iterator[AdapterFactory]:
    """``make_adapter(**settings)``: a PardotPlatform talking to ``fake`` in-process."""
    made: list[PardotPlatform] = []

    def factory(*, transport: httpx.BaseTransport | None = None, **overrides: Any) -> PardotPlatform:
        adapter = PardotPlatform(
            settings(**overrides),
            transport=transport or httpx.WSGITransport(app=fake),
            clock=clock,
            sleep=clock.sleep,
        )
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> PardotPlatform:
    return make_adapter()


@pytest.fixture
def run(make_adapter: AdapterFactory, tmp_path: Path) -> Run:
    """``run(content, log="a", asset_root=..., **settings)``: one activation through the
    real pipeline (a new Activator and adapter each time); ``log`` names the
    activation log, so a new name is a fresh log."""

    def activate(
        content: Content, *, log: str = "main", asset_root: Path | None = None, **overrides: Any
    ) -> ActivationResult:
        with Activator(
            activation_log=ActivationLog(tmp_path / f"{log}.sqlite3"),
            platform_factory=lambda _name: make_adapter(**overrides),
        ) as activator:
            return activator.activate(content, "pardot", asset_root=asset_root or tmp_path)

    return activate


def email(**overrides: Any) -> Content:
    """A list email to "Newsletter subscribers" in the campaign "Newsletter 2026-12"."""
    data: dict[str, Any] = {
        "id": "newsletter-2026-12",
        "kind": "email",
        "title": "December newsletter",
        "summary": "The month in product",
        "body": "<h1>December</h1><p>News.</p>",
        "campaign": {"name": "Newsletter 2026-12"},
        "audience": {"lists": ["Newsletter subscribers"]},
        "email": {
            "subject": "December: what's new",
            "from_name": "The Product Team",
            "from_email": "news@acme.example",
            "reply_to": "replies@acme.example",
        },
    }
    data.update(overrides)
    return Content.model_validate(data)


def page(**overrides: Any) -> Content:
    """A landing page in the campaign "EMEA Roadshow 2026"."""
    data: dict[str, Any] = {
        "id": "emea-roadshow-2026",
        "kind": "landing_page",
        "title": "EMEA roadshow 2026",
        "summary": "Meet the team in London, Berlin and Madrid.",
        "body": "<h1>EMEA roadshow</h1><p>Register for a city near you.</p>",
        "campaign": {"name": "EMEA Roadshow 2026"},
    }
    data.update(overrides)
    return Content.model_validate(data)

"""Fixtures for the Mailchimp adapter tests: the fake, a fake clock, adapters over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from marketing_platform.models import Content
from marketing_platform.testing import FakeClock
from marketing_platform_mailchimp import MailchimpPlatform

from .fake_mailchimp import API_KEY, FakeMailchimp

MakeAdapter = Callable[..., MailchimpPlatform]


@pytest.fixture
def fake() -> FakeMailchimp:
    return FakeMailchimp()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mailchimp_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MAILCHIMP_API_KEY", API_KEY)
    return API_KEY


@pytest.fixture
def make_adapter(fake: FakeMailchimp, clock: FakeClock, mailchimp_env: str) -> Iterator[MakeAdapter]:
    """Adapters talking to the fake in-process (``httpx.WSGITransport``)."""
    made: list[MailchimpPlatform] = []

    def make(**overrides: Any) -> MailchimpPlatform:
        settings = MailchimpPlatform.load_settings(**overrides)
        adapter = MailchimpPlatform(
            settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(make_adapter: MakeAdapter) -> MailchimpPlatform:
    return make_adapter()


def email(**changes: Any) -> Content:
    """A valid newsletter email; ``changes`` override its fields."""
    data: dict[str, Any] = {
        "id": "march-newsletter",
        "kind": "email",
        "title": "March newsletter",
        "summary": "What is new in March",
        "body": "<h1>March</h1><p>News.</p>",
        "email": {"subject": "March news", "from_name": "Acme", "reply_to": "news@acme.example"},
        "audience": {"lists": ["Newsletter subscribers"]},
    }
    data.update(changes)
    return Content.model_validate(data)

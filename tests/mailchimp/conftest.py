"""Fixtures for the Mailchimp adapter tests: the fake, a fake clock, adapters over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from marketing_platform.models import Content
from marketing_platform.testing import FakeClock
from marketing_platform_mailchimp import MailchimpPlatform

from . import schema
from .fake_mailchimp import API_KEY, INSTANCES, FakeMailchimp

MakeAdapter = Callable[..., MailchimpPlatform]


@pytest.fixture(autouse=True)
def requests_match_the_official_client() -> Iterator[None]:
    """Every request a test of this folder sends to a fake Mailchimp is checked against
    the operations of Mailchimp's official client, ``mailchimp-marketing`` (see
    :mod:`.schema` and ``test_contract_schema.py``, which fails in CI without it)."""
    INSTANCES.clear()
    yield
    fakes = list(INSTANCES)
    INSTANCES.clear()
    if not schema.operations():
        return
    wrong = [
        problem
        for fake in fakes
        for request in fake.requests
        for problem in schema.problems(request.method, request.path, request.query, request.body)
    ]
    assert not wrong, "requests Mailchimp's official client does not declare:\n" + "\n".join(wrong)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeMailchimp:
    """The fake on the adapters' clock: sends are stamped, schedules come due, with it."""
    return FakeMailchimp(clock=clock)


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

"""Tokens: Bearer only, one cached token, one re-auth on 601/602, identity errors."""

from __future__ import annotations

import threading

import httpx
import pytest

from marketing_platform.errors import AuthenticationError, PlatformUnavailable
from marketing_platform.models import CampaignSpec

from .conftest import SECRET, settings
from .fake_marketo import FakeMarketo


@pytest.mark.parametrize("code", ["601", "602"])
def test_token_revoked_mid_run_recovers_with_one_reauth(platform, fake: FakeMarketo, code: str) -> None:
    platform.create_campaign(CampaignSpec(name="One"))
    assert len(fake.identity_calls()) == 1
    fake.revoke_tokens(code)

    platform.create_campaign(CampaignSpec(name="Two"))

    assert len(fake.identity_calls()) == 2
    rejected = [c for c in fake.rest_calls() if c.code == code]
    assert len(rejected) == 1
    retried = fake.rest_calls()[fake.rest_calls().index(rejected[0]) + 1]
    assert retried.path == rejected[0].path
    assert retried.headers["authorization"].startswith("Bearer ")


def test_expiry_by_clock_refetches_and_early_ask_is_waited_out(platform, fake: FakeMarketo, clock) -> None:
    platform.check()
    first = fake.identity_calls()[0]
    assert first.form["client_secret"] == SECRET
    assert first.query == {}  # credentials never in the URL
    clock.advance(3600 - 5)  # 5 s left: the adapter still uses the cached token
    platform.check()
    assert len(fake.identity_calls()) == 1
    clock.advance(10)
    platform.check()
    assert len(fake.identity_calls()) == 2


def test_token_with_little_life_left_is_waited_out(make_platform, fake: FakeMarketo, clock) -> None:
    fake.token_ttl = 10  # identity hands out a token about to expire
    platform = make_platform()
    token = platform.tokens.token()
    assert clock.slept
    assert clock.slept[0] >= 10
    assert len(fake.identity_calls()) == 2
    assert token.startswith("tok-")


def test_one_fetch_for_many_threads(platform, fake: FakeMarketo) -> None:
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(platform.tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1
    assert len(fake.identity_calls()) == 1


def test_identity_401_names_the_variables_without_the_secret(make_platform, fake: FakeMarketo) -> None:
    fake.client_secret = "another-secret"
    platform = make_platform()

    with pytest.raises(AuthenticationError) as info:
        platform.create_campaign(CampaignSpec(name="x"))

    text = str(info.value) + repr(info.value) + str(info.value.to_dict())
    assert "MARKETO_CLIENT_ID" in text
    assert "MARKETO_CLIENT_SECRET" in text
    assert SECRET not in text
    assert SECRET not in repr(platform)
    assert fake.rest_calls() == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, {"error": "unauthorized", "error_description": "nope"}, AuthenticationError),
        (200, {"unexpected": True}, AuthenticationError),
        (503, "<html>down</html>", PlatformUnavailable),
    ],
)
def test_identity_odd_answers_never_keyerror(
    clock, status: int, body: object, error: type[Exception]
) -> None:
    from marketing_platform_marketo.platform import MarketoPlatform

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    platform = MarketoPlatform(
        settings(), transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep
    )
    with pytest.raises(error):
        platform.tokens.token()
    platform.close()

"""Shared rate budgets are per vendor account: two accounts never share one, two
processes on one account always do."""

from __future__ import annotations

import pytest

from marketing_platform import create_platform


@pytest.fixture(autouse=True)
def hubspot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_BLOG_ID", "1234567")


def _key(**overrides: str) -> str:
    """The key of the budget the adapter's HTTP client uses."""
    with create_platform("hubspot", **overrides) as adapter:
        http = adapter.make_http("https://api.hubapi.com")
        return http.budget.key


def test_two_accounts_never_share_a_budget() -> None:
    first = _key(access_token="pat-na1-aaaaaaaa")
    second = _key(access_token="pat-na1-bbbbbbbb")

    assert first.startswith("hubspot:")
    assert first != second


def test_one_account_always_shares_its_budget_whatever_the_client_tuning() -> None:
    assert _key(access_token="pat-na1-aaaaaaaa") == _key(access_token="pat-na1-aaaaaaaa", timeout="5")


def test_the_key_never_holds_a_secret() -> None:
    assert "pat-na1-aaaaaaaa" not in _key(access_token="pat-na1-aaaaaaaa")

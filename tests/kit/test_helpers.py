"""The core helpers adapters build on: paging, static token providers, find-or-create,
the base-URL rule enforced by the HTTP layer, and serving a fake on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import ConfigurationError
from marketing_platform.http import BasicToken, BearerToken, HeaderToken, PlatformHTTP, json_body
from marketing_platform.paging import Page, cursor_items, cursor_pages, numbered_pages, offset_pages
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateBudget, RateLimits
from marketing_platform.settings import PlatformSettings
from marketing_platform.testing import FakeClock, LimitingTransport, asgi_to_wsgi, serve, serve_asgi
from marketing_platform_mock import MockPlatform

SECRET = "s3cr3t-key-for-helpers-0001"


# --------------------------------------------------------------------- paging
def test_offset_pages_follow_the_total_and_ask_only_as_far_as_the_caller_reads() -> None:
    items = list(range(7))
    asked: list[int] = []

    def fetch(offset: int) -> Page[int]:
        asked.append(offset)
        return Page(items[offset : offset + 3], total=len(items))

    pages = offset_pages(fetch, page_size=3)
    assert next(pages) == 0
    assert asked == [0]
    assert list(pages) == items[1:]
    assert asked == [0, 3, 6]


def test_offset_pages_without_a_total_stop_after_a_short_page_or_the_cap() -> None:
    asked: list[int] = []

    def fetch(offset: int) -> list[int]:
        asked.append(offset)
        return list(range(offset, min(offset + 2, 5)))

    assert list(offset_pages(fetch, page_size=2)) == [0, 1, 2, 3, 4]
    assert asked == [0, 2, 4]
    assert list(offset_pages(fetch, page_size=2, max_pages=1)) == [0, 1]
    assert list(offset_pages(lambda offset: [], page_size=2)) == []


def test_numbered_pages_count_pages_from_one() -> None:
    asked: list[int] = []

    def fetch(number: int) -> Page[str]:
        asked.append(number)
        data = ["a", "b", "c", "d"]
        return Page(data[(number - 1) * 2 : number * 2], total=len(data))

    assert list(numbered_pages(fetch, page_size=2)) == ["a", "b", "c", "d"]
    assert asked == [1, 2]


def test_cursor_pages_follow_the_cursor_until_it_ends_repeats_or_the_cap() -> None:
    pages = {None: ("p1", "c2"), "c2": ("p2", "c3"), "c3": ("p3", None)}
    asked: list[str | None] = []

    def fetch(cursor: str | None) -> tuple[str, str | None]:
        asked.append(cursor)
        return pages[cursor]

    assert [page for page, _ in cursor_pages(fetch, lambda page: page[1])] == ["p1", "p2", "p3"]
    assert asked == [None, "c2", "c3"]
    assert len(list(cursor_pages(fetch, lambda page: page[1], max_pages=2))) == 2
    stuck = list(cursor_pages(lambda cursor: {"next": "same"}, lambda page: page["next"]))
    assert len(stuck) == 2  # the first page, then the page the repeated cursor names once


def test_cursor_items_flatten_the_pages() -> None:
    replies = {None: {"values": [1, 2], "next": "x"}, "x": {"values": [3], "next": ""}}
    found = cursor_items(replies.__getitem__, lambda reply: reply["next"], lambda reply: reply["values"])
    assert list(found) == [1, 2, 3]


# --------------------------------------------------------------------- tokens
def test_static_tokens_send_their_header_and_never_show_the_secret() -> None:
    key = SecretStr(SECRET)
    assert HeaderToken("api-key", key).auth_headers() == {"api-key": SECRET}
    assert HeaderToken("X-Api-Key", key, scheme="Token").auth_headers() == {"X-Api-Key": f"Token {SECRET}"}
    assert BearerToken(key).auth_headers() == {"Authorization": f"Bearer {SECRET}"}
    basic = BasicToken("anyone", key).auth_headers()["Authorization"]
    assert basic.startswith("Basic ")
    for provider in (HeaderToken("api-key", key), BearerToken(key), BasicToken("anyone", key)):
        assert SECRET not in repr(provider)
        assert provider.refreshable is False
        provider.invalidate()  # nothing to forget


def test_a_header_token_authenticates_every_request() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("api-key"))
        return httpx.Response(200, json={"ok": True})

    budget = RateBudget(RateLimits(calls=100, per_seconds=1), name="t")
    with PlatformHTTP(
        platform="t",
        base_url="https://api.example",
        budget=budget,
        tokens=HeaderToken("api-key", SecretStr(SECRET)),
        transport=httpx.MockTransport(handler),
    ) as http:
        http.call("GET", "/a", json_body)
        http.call("GET", "/b", json_body)
    assert seen == [SECRET, SECRET]


# ------------------------------------------------------------- the URL rule
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://api.example", "must use https://"),
        ("https://user:pa55word-0001@api.example", "must not carry credentials"),
        ("ftp://api.example", "must be a URL like https://host"),
        ("https://api.example/?key=1", "must not carry a query string"),
    ],
)
def test_the_http_layer_refuses_an_unsafe_base_url(url: str, words: str) -> None:
    sent: list[httpx.Request] = []
    budget = RateBudget(RateLimits(calls=10, per_seconds=1), name="t")
    with pytest.raises(ConfigurationError) as caught:
        PlatformHTTP(platform="t", base_url=url, budget=budget, transport=httpx.MockTransport(sent.append))
    assert words in caught.value.message
    assert "pa55word-0001" not in str(caught.value)
    assert not sent


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9/api", "http://[::1]:9", "https://x.example"]
)
def test_https_and_loopback_http_base_urls_are_accepted(url: str) -> None:
    budget = RateBudget(RateLimits(calls=10, per_seconds=1), name="t")
    PlatformHTTP(platform="t", base_url=url, budget=budget).close()


def test_an_absolute_request_url_follows_the_same_rule() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json={})

    budget = RateBudget(RateLimits(calls=10, per_seconds=1), name="t")
    with PlatformHTTP(
        platform="t", base_url="https://api.example", budget=budget, transport=httpx.MockTransport(handler)
    ) as http:
        http.call("GET", "https://files.example/x", json_body)
        with pytest.raises(ConfigurationError, match="must use https://"):
            http.call("GET", "http://files.example/y", json_body)
        with pytest.raises(ConfigurationError, match="must not carry credentials"):
            http.call("GET", "https://u:p@files.example/z", json_body)
    assert sent == ["https://files.example/x"]


class _LaxSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="LAX_", extra="ignore")

    api_key: SecretStr
    base_url: str = "https://api.lax.example"  # no check_base_url: the core checks anyway


class _Lax(MarketingPlatform):
    name = "lax"
    settings_model = _LaxSettings

    def create_campaign(self, campaign: Any) -> Any:
        raise NotImplementedError

    def publish_content(self, content: Any, **options: Any) -> Any:
        raise NotImplementedError

    def upload_assets(self, assets: Any) -> Any:
        raise NotImplementedError

    def get_status(self, ref: str) -> Any:
        raise NotImplementedError

    def check(self) -> Any:
        raise NotImplementedError


def test_make_http_refuses_a_plain_http_base_url_naming_its_setting() -> None:
    adapter = _Lax(_LaxSettings(api_key=SecretStr(SECRET), base_url="http://api.lax.example"))
    with pytest.raises(ConfigurationError) as caught:
        adapter.make_http(adapter.settings.base_url)  # type: ignore[attr-defined]
    assert caught.value.message.startswith("LAX_BASE_URL must use https://")
    assert caught.value.platform == "lax"


# --------------------------------------------------------------- find-or-create
def test_find_or_create_creates_once_across_threads() -> None:
    adapter = MockPlatform(MockPlatform.load_settings(seed=1))
    made: list[str] = []
    store: dict[str, str] = {}

    def find() -> str | None:
        return store.get("tag")

    def create() -> str:
        time.sleep(0.01)  # a slow vendor: the race window
        made.append("tag")
        store["tag"] = "id-1"
        return "id-1"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(adapter.find_or_create("tag", "news", find, create)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == ["tag"]
    assert results == ["id-1"] * 8
    adapter.close()


# ------------------------------------------------------------ serving fakes
def _wsgi_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    data = json.dumps(
        {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"], "body": body.decode()}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


async def _asgi_echo(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    headers = dict(scope["headers"])
    data = json.dumps(
        {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "key": headers.get(b"api-key", b"").decode(),
            "body": message["body"].decode(),
        }
    ).encode()
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": data})


def test_serve_runs_a_wsgi_fake_on_loopback() -> None:
    with serve(_wsgi_echo) as url:
        assert url.startswith("http://127.0.0.1:")
        reply = httpx.post(f"{url}/v1/things", content=b"hello").json()
    assert reply == {"method": "POST", "path": "/v1/things", "body": "hello"}


def test_serve_asgi_runs_an_asgi_fake_on_loopback() -> None:
    with serve_asgi(_asgi_echo) as url:
        response = httpx.post(f"{url}/v3/x?a=1", content=b"hi", headers={"api-key": "k"})
    assert response.status_code == 201
    assert response.json() == {"method": "POST", "path": "/v3/x", "query": "a=1", "key": "k", "body": "hi"}


def test_an_asgi_fake_runs_in_process_too() -> None:
    transport = httpx.WSGITransport(app=asgi_to_wsgi(_asgi_echo))
    with httpx.Client(transport=transport, base_url="http://fake") as client:
        assert client.get("/ping").json()["path"] == "/ping"


def test_the_old_test_helper_still_serves() -> None:
    from tests.fakes.server import serve as old_serve

    assert old_serve is serve


# ------------------------------------------------------------ the fake limit
class _Clocked:
    limits: ClassVar[RateLimits] = RateLimits(calls=2, per_seconds=1, max_concurrent=1)


def test_the_limiting_transport_answers_and_records_an_excess() -> None:
    clock = FakeClock()
    ok = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    limiter = LimitingTransport(ok, _Clocked.limits, clock)
    with httpx.Client(transport=limiter, base_url="https://x.example") as client:
        statuses = [client.get("/a").status_code for _ in range(3)]
        clock.advance(1.0)
        statuses.append(client.get("/a").status_code)
    assert statuses == [200, 200, 429, 200]
    assert [str(v) for v in limiter.violations] == ["GET /a was request 3 in one window (allowed: 2)"]

"""Sendly: a small third-party email adapter written only against the public core API
and its helpers, and its WSGI fake. The kit's own tests run the conformance kit
against it, and against broken copies of it (``broken_sendly.py``), one bug each.

The vendor (fictional, shaped like a typical email-campaign API):

* ``api-key: <key>`` on every request (:class:`~marketing_platform.http.HeaderToken`);
* ``GET /v3/account``; ``GET /v3/contacts/lists?limit&offset`` -> ``{lists, count}``;
* programs (the campaign step): ``GET /v3/programs?cursor`` -> ``{programs, nextCursor}``,
  ``POST /v3/programs``;
* email campaigns: ``GET /v3/emailCampaigns?limit&offset`` -> ``{campaigns, count}``,
  ``GET|PUT /v3/emailCampaigns/{id}``, ``POST /v3/emailCampaigns``,
  ``POST /v3/emailCampaigns/{id}/sendNow``;
* 10 calls per second per key, answered ``429`` with ``Retry-After`` and
  ``X-RateLimit-Reset`` beyond it; every answer says ``X-RateLimit-Remaining``.

Self-contained (absolute imports only): the kit's tests also copy it next to a test
file in a temporary folder.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.http import HeaderToken, RateHeaders, json_body, retry_after
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import (
    Asset,
    AssetsResponse,
    CampaignResponse,
    CampaignSpec,
    Capability,
    CheckResponse,
    Content,
    PublishResponse,
    StatusResponse,
)
from marketing_platform.paging import Page, cursor_items, offset_pages
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits
from marketing_platform.settings import PlatformSettings, check_base_url
from marketing_platform.sync import Changes, diff
from marketing_platform.testing import AdapterConformance, FakeClock, Snapshot

API_KEY = "xkeysib-sendly-kit-0123456789"
#: Sendly's documented limit: 10 calls per second per key, 5 at a time.
VENDOR_LIMITS = RateLimits(calls=10, per_seconds=1, max_concurrent=5)
PAGE = 50


# ------------------------------------------------------------------- settings
class SendlySettings(PlatformSettings):
    """``SENDLY_API_KEY`` (required, secret) and ``SENDLY_BASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="SENDLY_", extra="ignore", validate_default=True)

    api_key: SecretStr
    base_url: str = "https://api.sendly.example"
    sender_email: str = "kit@example.com"

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str) -> str:
        return check_base_url(value, "SENDLY_BASE_URL")


# --------------------------------------------------------------------- errors
def error_for(response: httpx.Response) -> MarketingPlatformError:
    """Sendly's error answers (``{code, message}``) as core errors, in one table."""
    raw = json_body(response)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    status = response.status_code
    message = str(body.get("message") or f"HTTP {status}")
    common: dict[str, Any] = {"platform": "sendly", "code": str(body.get("code") or status)}
    if status == 429:
        wait = retry_after(response)
        if wait is None:  # the reset header: seconds until the window resets
            reset = response.headers.get("X-RateLimit-Reset")
            wait = float(reset) if reset else 1.0
        return RateLimitError(message, scope="window", retry_after=wait, **common)
    if status in (400, 422):
        return ContentRejected(message, problems=[Problem("", message)], **common)
    if status >= 500:
        return PlatformUnavailable(message, **common)
    kinds: dict[int, type[MarketingPlatformError]] = {
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
    }
    if status == 401:
        common["hint"] = "check SENDLY_API_KEY"
    return kinds.get(status, MarketingPlatformError)(message, **common)


def parse(response: httpx.Response) -> Any:
    if response.is_success:
        return json_body(response) if response.content else None
    raise error_for(response)


# -------------------------------------------------------------------- adapter
class SendlyMapper(ContentMapper):
    def problems(self, content: Content) -> list[Problem]:
        found = super().problems(content)
        if not found and not (content.audience and content.audience.lists):
            found.append(Problem("audience.lists", "Sendly sends to a contact list: name one"))
        return found

    def email_payload(self, content: Content, list_ids: list[int], program: str | None) -> dict[str, Any]:
        email = content.email
        return {
            "name": content.id,
            "subject": (email.subject if email else None) or content.title,
            "htmlContent": content.body or "",
            "recipients": {"listIds": list_ids},
            "program": program,
        }


class SendlyPlatform(MarketingPlatform):
    name: ClassVar[str] = "sendly"
    settings_model = SendlySettings
    capabilities = frozenset({Capability.EMAIL})
    rate_limits = VENDOR_LIMITS
    mapper_class = SendlyMapper

    settings: SendlySettings
    mapper: SendlyMapper
    #: Turns an answer into a value or a core error (one table: :func:`error_for`).
    parse = staticmethod(parse)

    def __init__(self, settings: SendlySettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        self.http = self.make_http(
            self.settings.base_url,
            tokens=HeaderToken("api-key", self.settings.api_key),
            rate_headers=RateHeaders(
                remaining="X-RateLimit-Remaining", limit="X-RateLimit-Limit", interval_seconds=1.0
            ),
        )

    def _call(self, method: str, path: str, **options: Any) -> Any:
        return self.http.call(method, path, self.parse, **options)

    # -------------------------------------------------------------- reading
    def _offset_listing(self, path: str, key: str) -> Iterator[dict[str, Any]]:
        def fetch(offset: int) -> Page[dict[str, Any]]:
            reply = self._call("GET", path, params={"limit": PAGE, "offset": offset}) or {}
            return Page(reply.get(key) or [], total=int(reply.get("count") or 0))

        return offset_pages(fetch, page_size=PAGE)

    def _programs(self) -> Iterator[dict[str, Any]]:
        def fetch(cursor: str | None) -> dict[str, Any]:
            params = {"cursor": cursor} if cursor else None
            return self._call("GET", "/v3/programs", params=params) or {}

        return cursor_items(
            fetch, lambda reply: reply.get("nextCursor"), lambda reply: reply.get("programs") or []
        )

    def _list_ids(self, content: Content) -> list[int]:
        wanted = list(content.audience.lists) if content.audience else []
        found = {
            item["name"]: int(item["id"]) for item in self._offset_listing("/v3/contacts/lists", "lists")
        }
        missing = [name for name in wanted if name not in found]
        if missing:
            raise ContentRejected(
                f"Sendly has no contact list named {missing[0]!r}",
                platform=self.name,
                problems=[Problem("audience.lists", f"no list named {missing[0]!r}")],
            )
        return [found[name] for name in wanted]

    # ------------------------------------------------------------ campaigns
    def find_campaign(self, name: str) -> CampaignResponse | None:
        for item in self._programs():
            if item.get("name") == name:
                return self._program(item, reused=True)
        return None

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        def create() -> CampaignResponse:
            body = self.transform("create_campaign", {"name": campaign.name})
            return self._program(self._call("POST", "/v3/programs", json=body), reused=False)

        return self.find_or_create(
            "campaign", campaign.name, lambda: self.find_campaign(campaign.name), create
        )

    def _program(self, item: dict[str, Any], *, reused: bool) -> CampaignResponse:
        return CampaignResponse(
            platform=self.name,
            external_id=str(item["id"]),
            name=item.get("name"),
            status="active",
            reused=reused,
        )

    # -------------------------------------------------------------- content
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        program = campaign.external_id if campaign else None
        payload = self.transform(
            "publish_content", self.mapper.email_payload(content, self._list_ids(content), program)
        )
        created = self._call("POST", "/v3/emailCampaigns", json=payload)
        return self._send(content, str(created["id"]))

    def _send(self, content: Content, campaign_id: str) -> PublishResponse:
        self._call("POST", f"/v3/emailCampaigns/{campaign_id}/sendNow")
        return self._response(content, self._call("GET", f"/v3/emailCampaigns/{campaign_id}"))

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        for item in self._offset_listing("/v3/emailCampaigns", "campaigns"):
            if item.get("name") == content.id:
                return self._response(content, item)
        return None

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        program = campaign.external_id if campaign else None
        desired = self.mapper.email_payload(content, self._list_ids(content), program)
        return diff(desired, existing.metadata.get("vendor", {}))

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """A draft left by a failed run: write the changes, then send it."""
        body = self.transform("update_content", {field: change["to"] for field, change in changes.items()})
        self._call("PUT", f"/v3/emailCampaigns/{existing.external_id}", json=body)
        return self._send(content, str(existing.external_id))

    def _response(self, content: Content, item: dict[str, Any]) -> PublishResponse:
        sent = item.get("sentDate")
        return PublishResponse(
            platform=self.name,
            external_id=str(item["id"]),
            content_id=content.id,
            status=str(item.get("status") or "draft"),
            sent_at=datetime.fromisoformat(sent) if sent else None,
            recipients=list(content.audience.lists) if content.audience else [],
            metadata={"vendor": item},
        )

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        raise NotImplementedError("Sendly has no file upload")

    def get_status(self, ref: str) -> StatusResponse:
        item = self._call("GET", f"/v3/emailCampaigns/{ref}") or {}
        return StatusResponse(platform=self.name, external_id=ref, status=str(item.get("status", "unknown")))

    def check(self) -> CheckResponse:
        account = self._call("GET", "/v3/account") or {}
        return CheckResponse(
            platform=self.name, ok=True, status="ok", details={"company": account.get("companyName")}
        )


# ----------------------------------------------------------------------- fake
class FakeSendly:
    """The Sendly API in memory, as a WSGI app; limits count on ``clock``."""

    def __init__(
        self, *, clock: Callable[[], float], key: str = API_KEY, limits: RateLimits = VENDOR_LIMITS
    ) -> None:
        self.clock = clock
        self.key = key
        self.limits = limits
        self.lists = [{"id": 7, "name": "Conformance Kit List"}, {"id": 8, "name": "Customers"}]
        self.programs: list[dict[str, Any]] = []
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.sends = 0
        self.limited = 0
        self._ids = itertools.count(1)
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()

    def counts(self) -> dict[str, int]:
        return {"programs": len(self.programs), "campaigns": len(self.campaigns), "sends": self.sends}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        with self._lock:
            status, body, headers = self._handle(
                method, path, query, json.loads(raw) if raw else None, environ
            )
        data = json.dumps(body).encode() if body is not None else b""
        start_response(f"{status} X", [("Content-Type", "application/json"), *headers.items()])
        return [data]

    def _handle(
        self, method: str, path: str, query: dict[str, str], body: Any, environ: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        if environ.get("HTTP_API_KEY") != self.key:
            return 401, {"code": "unauthorized", "message": "Key not found"}, {}
        now = self.clock()
        while self._recent and self._recent[0] <= now - self.limits.per_seconds:
            self._recent.popleft()
        if len(self._recent) >= self.limits.calls:
            self.limited += 1
            reset = str(max(1, round(self._recent[0] + self.limits.per_seconds - now)))
            return (
                429,
                {"code": "too_many_requests", "message": "Too many requests"},
                {
                    "Retry-After": reset,
                    "X-RateLimit-Reset": reset,
                },
            )
        self._recent.append(now)
        rate = {
            "X-RateLimit-Limit": str(self.limits.calls),
            "X-RateLimit-Remaining": str(self.limits.calls - len(self._recent)),
        }
        status, answer = self._route(method, path, query, body)
        return status, answer, rate

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if (method, path) == ("GET", "/v3/account"):
            return 200, {"companyName": "Kit Inc.", "email": "owner@example.com"}
        if (method, path) == ("GET", "/v3/contacts/lists"):
            return 200, self._page("lists", self.lists, query)
        if (method, path) == ("GET", "/v3/programs"):
            start = int(query.get("cursor") or 0)
            chunk = self.programs[start : start + 2]  # small pages: the cursor is used
            following = start + 2 if start + 2 < len(self.programs) else None
            return 200, {"programs": chunk, "nextCursor": str(following) if following else None}
        if (method, path) == ("POST", "/v3/programs"):
            program = {"id": next(self._ids), "name": body["name"]}
            self.programs.append(program)
            return 201, program
        if (method, path) == ("GET", "/v3/emailCampaigns"):
            return 200, self._page("campaigns", list(self.campaigns.values()), query)
        if (method, path) == ("POST", "/v3/emailCampaigns"):
            if not body.get("recipients", {}).get("listIds"):
                return 400, {"code": "invalid_parameter", "message": "recipients.listIds is required"}
            item = {**body, "id": next(self._ids), "status": "draft", "sentDate": None}
            self.campaigns[str(item["id"])] = item
            return 201, {"id": item["id"]}
        parts = path.removeprefix("/v3/emailCampaigns/").split("/")
        item = self.campaigns.get(parts[0]) if path.startswith("/v3/emailCampaigns/") else None
        if item is None:
            return 404, {"code": "document_not_found", "message": f"{method} {path}"}
        if method == "GET" and len(parts) == 1:
            return 200, item
        if method == "PUT" and len(parts) == 1:
            if item["status"] == "sent":
                return 400, {"code": "not_editable", "message": "a sent campaign cannot be edited"}
            item.update(body)
            return 204, None
        if method == "POST" and parts[1:] == ["sendNow"]:
            if item["status"] == "sent":
                return 400, {"code": "already_sent", "message": "the campaign was sent already"}
            item.update(status="sent", sentDate=datetime.fromtimestamp(self.clock(), UTC).isoformat())
            self.sends += 1
            return 204, None
        return 404, {"code": "document_not_found", "message": f"{method} {path}"}

    @staticmethod
    def _page(key: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        limit, offset = int(query.get("limit") or 50), int(query.get("offset") or 0)
        return {key: items[offset : offset + limit], "count": len(items)}


# ----------------------------------------------------------------------- kit
class SendlyKit(AdapterConformance):
    """The kit wired to the fake (not collected: subclass it in a ``Test...`` class)."""

    adapter_class: ClassVar[type[MarketingPlatform]] = SendlyPlatform

    @pytest.fixture
    def fake(self, kit_clock: FakeClock) -> FakeSendly:
        return FakeSendly(clock=kit_clock)  # its limit counts on the adapter's clock

    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        return {"SENDLY_API_KEY": API_KEY}

    @pytest.fixture
    def fake_transport(self, fake: FakeSendly) -> httpx.BaseTransport:
        return httpx.WSGITransport(app=fake)

    @pytest.fixture
    def fake_snapshot(self, fake: FakeSendly) -> Snapshot:
        return fake.counts

    @pytest.fixture
    def vendor_limits(self) -> RateLimits:
        return VENDOR_LIMITS

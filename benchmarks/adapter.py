"""A minimal real adapter for the benchmarks: every operation is one request through
``self.make_http(...)``, so the real PlatformHTTP (retries, logging) and RateBudget
(store, window, concurrency) are on the path. Registered in-process with the
``mplat_register_adapters`` hook; its budget comes from ``BENCH_RATE_LIMIT`` /
``BENCH_MAX_CONCURRENT`` like any adapter's.

:class:`HubSpotHeadersPlatform` (``bench_hubspot``) is the same adapter reading the
fake's HubSpot rate headers (:data:`HUBSPOT_RATE_HEADERS`, declared with
:class:`~marketing_platform.http.RateHeaders` as the HubSpot adapter's are): every
answer's Remaining / Max / Interval is fed to the budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from pydantic_settings import SettingsConfigDict

from marketing_platform.errors import MarketingPlatformError, PlatformUnavailable, RateLimitError
from marketing_platform.hookspecs import hookimpl
from marketing_platform.http import RateHeaders
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
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits
from marketing_platform.registry import Registry
from marketing_platform.settings import PlatformSettings


class BenchSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_", extra="ignore")

    base_url: str = "http://127.0.0.1:9"


def parse(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 429:
        raise RateLimitError(
            "the fake said too many",
            platform="bench",
            retry_after=float(response.headers.get("Retry-After", "1")),
        )
    if response.status_code >= 500:
        raise PlatformUnavailable(f"fake answered {response.status_code}", platform="bench")
    if response.status_code >= 400:
        raise MarketingPlatformError(f"fake answered {response.status_code}", platform="bench")
    data: dict[str, Any] = response.json()
    return data


#: HubSpot's rate headers (``X-HubSpot-RateLimit-*``), as :class:`VendorFake` sends them.
HUBSPOT_RATE_HEADERS = RateHeaders(
    remaining="X-HubSpot-RateLimit-Remaining",
    limit="X-HubSpot-RateLimit-Max",
    interval_ms="X-HubSpot-RateLimit-Interval-Milliseconds",
)


class BenchPlatform(MarketingPlatform):
    name: ClassVar[str] = "bench"
    settings_model = BenchSettings
    capabilities = frozenset({Capability.BLOG_POST, Capability.PROGRAM})
    rate_limits = RateLimits(calls=10, per_seconds=1, max_concurrent=5)
    #: The vendor's rate headers fed to the budget (None: ignored).
    rate_headers: ClassVar[RateHeaders | None] = None

    settings: BenchSettings

    def __init__(self, settings: BenchSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        self.http = self.make_http(self.settings.base_url, rate_headers=self.rate_headers)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        payload = self.transform("create_campaign", {"name": campaign.name})
        data = self.http.call("POST", "/campaigns", parse, json=payload)
        return CampaignResponse(platform=self.name, external_id=data["id"], name=campaign.name)

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        payload = self.transform("publish_content", self.mapper.generic_payload(content))
        data = self.http.call("POST", "/content", parse, json=payload)
        return PublishResponse(
            platform=self.name, external_id=data["id"], content_id=content.id, status=data["status"]
        )

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        return AssetsResponse(platform=self.name)

    def get_status(self, ref: str) -> StatusResponse:
        data = self.http.call("GET", f"/content/{ref}", parse)
        return StatusResponse(platform=self.name, external_id=ref, status=data["status"])

    def check(self) -> CheckResponse:
        self.http.call("GET", "/health", parse)
        return CheckResponse(platform=self.name)


class HubSpotHeadersPlatform(BenchPlatform):
    """The bench adapter feeding HubSpot's rate headers to its budget."""

    name: ClassVar[str] = "bench_hubspot"
    rate_headers = HUBSPOT_RATE_HEADERS


def variant(name: str) -> type[BenchPlatform]:
    """Another platform with the same behaviour under ``name`` (for switching)."""
    return type(f"Bench_{name}", (BenchPlatform,), {"name": name})


class _Plugin:
    def __init__(self, adapters: list[type[MarketingPlatform]]) -> None:
        self.adapters = adapters

    @hookimpl
    def mplat_register_adapters(self) -> list[type[MarketingPlatform]]:
        return self.adapters


def register(registry: Registry, *adapters: type[MarketingPlatform]) -> None:
    """Make ``adapters`` (default: BenchPlatform) available by name in ``registry``."""
    registry.register_plugin(_Plugin(list(adapters) or [BenchPlatform]))


def content(i: int, *, with_campaign: bool = False) -> Content:
    """Content ``i``: a blog post (one publish call), optionally with a campaign."""
    return Content.model_validate(
        {
            "id": f"bench-{i:05d}",
            "kind": "blog_post",
            "title": f"Benchmark post {i}",
            "body": f"<p>Post number {i}.</p>",
            **({"campaign": {"name": f"Bench campaign {i}"}} if with_campaign else {}),
        }
    )

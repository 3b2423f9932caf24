"""MockPlatform: a deterministic, credential-free platform with realistic behaviour.

* Ids are derived from ``MOCK_SEED`` and the input (the campaign's name, the content's
  id, the asset's bytes): the same input gives the same ids on every machine.
* ``MOCK_LATENCY=realistic`` sleeps (through the injected ``sleep``) around the figures
  measured on real platforms: campaign ~1.8 s, publish ~1.2 s, asset upload ~2.5 s,
  with seeded jitter. ``none`` (default) answers at once.
* ``MOCK_FAILURES`` injects the real error types with seeded probabilities.
* Published content is scheduled until ``schedule_at`` (by the adapter's clock), then
  published; without a future ``schedule_at`` it is published at once.
* State persists beside the activation log; creating a campaign twice reuses it.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.models import (
    Asset,
    AssetResult,
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

from .settings import FAILURE_KINDS, MockSettings
from .state import MockState

CDN = "https://cdn.mock-platform.example"
SITE = "https://content.mock-platform.example"

#: Mean latency per operation (seconds) for MOCK_LATENCY=realistic.
REALISTIC_LATENCY = {"create_campaign": 1.8, "publish_content": 1.2, "upload_asset": 2.5}

#: The error each MOCK_FAILURES kind injects (its ``code`` is the kind): class, message
#: and further arguments, in the order the draws are checked (the first hit wins).
INJECTED: dict[str, tuple[type[MarketingPlatformError], str, dict[str, Any]]] = {
    "auth": (
        AuthenticationError,
        "injected failure: the mock refused the credentials",
        {"hint": "unset MOCK_FAILURES (or lower its auth rate)"},
    ),
    "rate_limit": (
        RateLimitError,
        "injected failure: mock rate limit exceeded",
        {
            "scope": "window",
            "retry_after": 1.0,
            "hint": "retry after the window; lower MOCK_FAILURES to stop injecting",
        },
    ),
    "unavailable": (
        PlatformUnavailable,
        "injected failure: the mock platform is unavailable",
        {"hint": "replay the activation with `mplat replay`"},
    ),
    "validation": (
        ContentRejected,
        "injected failure: the mock rejected the content",
        {
            "problems": [Problem("", "rejected by MOCK_FAILURES validation injection")],
            "hint": "unset MOCK_FAILURES (or lower its validation rate)",
        },
    ),
}


class MockPlatform(MarketingPlatform):
    """The ``mock`` platform: every capability, no network."""

    name: ClassVar[str] = "mock"
    settings_model = MockSettings
    capabilities = frozenset(Capability)
    rate_limits = RateLimits(calls=1000, per_seconds=1, max_concurrent=16)
    max_asset_bytes = 10 * 1024 * 1024

    settings: MockSettings

    def __init__(self, settings: MockSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        state_path = self.settings.state or self.core_settings.log_path.parent / "mock-state.sqlite3"
        self.state = MockState(Path(state_path))
        self._failures = self.settings.failure_rates
        self._failure_rng = random.Random(f"failures:{self.settings.seed}")
        self._latency_rng = random.Random(f"latency:{self.settings.seed}")
        self._lock = threading.Lock()

    # ------------------------------------------------------------- behaviour
    def _id(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(f"{self.settings.seed}:{kind}:{key}".encode()).hexdigest()
        return f"mock-{kind}-{digest[:12]}"

    def _behave(self, operation: str) -> None:
        """Apply the latency profile and the seeded failure injection for one call."""
        with self._lock:
            draws = {kind: self._failure_rng.random() for kind in FAILURE_KINDS}  # draw order is seeded
            delay = 0.0
            if self.settings.latency == "realistic":
                delay = REALISTIC_LATENCY.get(operation, 0.5) * self._latency_rng.uniform(0.7, 1.3)
        if delay:
            self.sleep(delay)
        request_id = self._id("req", f"{operation}:{self.clock()}")
        for kind, (error, message, extra) in INJECTED.items():
            if draws[kind] < self._failures.get(kind, 0):
                raise error(message, platform=self.name, code=kind, request_id=request_id, **extra)

    # ------------------------------------------------------------ operations
    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        existing = self.find_campaign(campaign.name)
        if existing is not None:
            return existing
        self._behave("create_campaign")
        payload = self.transform("create_campaign", campaign.model_dump(mode="json", exclude_none=True))
        campaign_id = self._id("campaign", campaign.name)
        created = self.clock()
        self.state.put(
            object_id=campaign_id,
            type_="campaign",
            name=campaign.name,
            status="active",
            created_at=created,
            data=payload,
        )
        return CampaignResponse(
            platform=self.name,
            external_id=campaign_id,
            name=campaign.name,
            status="active",
            url=f"{SITE}/campaigns/{campaign_id}",
            created_at=datetime.fromtimestamp(created, UTC),
            request_id=self._id("req", f"campaign:{campaign.name}"),
            metadata={"payload": payload},
        )

    def find_campaign(self, name: str) -> CampaignResponse | None:
        row = self.state.find("campaign", name)
        if row is None:
            return None
        return CampaignResponse(
            platform=self.name,
            external_id=row["id"],
            name=name,
            status=row["status"],
            reused=True,
            url=f"{SITE}/campaigns/{row['id']}",
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
        )

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        self._behave("publish_content")
        payload = self.transform("publish_content", self.mapper.generic_payload(content))
        object_id = self._id(content.kind.value, content.id)
        created = self.clock()
        scheduled = content.schedule_at
        if scheduled is not None and scheduled.timestamp() > created:
            status, schedule_ts = "scheduled", scheduled.timestamp()
        else:
            status, schedule_ts = "published", None
        self.state.put(
            object_id=object_id,
            type_=content.kind.value,
            name=content.id,
            status=status,
            created_at=created,
            schedule_at=schedule_ts,
            data={"payload": payload, "campaign": campaign.external_id if campaign else None},
        )
        images = [r.url for r in (assets.results if assets else []) if r.url]
        return PublishResponse(
            platform=self.name,
            external_id=object_id,
            content_id=content.id,
            status=status,
            url=f"{SITE}/{content.kind.value.replace('_', '-')}/{content.id}",
            created_at=datetime.fromtimestamp(created, UTC),
            scheduled_at=scheduled if status == "scheduled" else None,
            request_id=self._id("req", f"publish:{content.id}"),
            metadata={"campaign_id": campaign.external_id if campaign else None, "images": images},
        )

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        row = self.state.get(self._id(content.kind.value, content.id))
        if row is None:
            return None
        return PublishResponse(
            platform=self.name,
            external_id=row["id"],
            content_id=content.id,
            status=self._status(row),
            url=f"{SITE}/{content.kind.value.replace('_', '-')}/{content.id}",
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
            metadata={"reused": True},
        )

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        results = []
        for asset in assets:
            self._behave("upload_asset")
            digest = hashlib.sha256(asset.path.read_bytes()).hexdigest()
            asset_id = self._id("asset", digest)
            self.state.put(
                object_id=asset_id,
                type_="asset",
                name=asset.filename,
                status="published",
                created_at=self.clock(),
                data={"sha256": digest, "mime_type": asset.mime_type},
            )
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=asset_id,
                    url=f"{CDN}/{asset_id}/{asset.filename}",
                    mime_type=asset.mime_type,
                    size=asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                )
            )
        return AssetsResponse(platform=self.name, results=results, status="uploaded")

    def get_status(self, ref: str) -> StatusResponse:
        row = self.state.get(ref)
        if row is None:
            raise NotFound(
                f"the mock platform has no object {ref!r}",
                platform=self.name,
                code="not_found",
                hint="use an external id from `mplat status ACTIVATION_ID` or `mplat log --json`",
            )
        return StatusResponse(
            platform=self.name,
            external_id=ref,
            status=self._status(row),
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
            metadata={"type": row["type"]},
        )

    def _status(self, row: dict[str, Any]) -> str:
        """The stored object's status; a scheduled one whose time has come is published
        now (and stored so)."""
        status = str(row["status"])
        if status == "scheduled" and row["schedule_at"] is not None and self.clock() >= row["schedule_at"]:
            status = "published"
            self.state.set_status(row["id"], status, None)
        return status

    def check(self) -> CheckResponse:
        return CheckResponse(
            platform=self.name,
            ok=True,
            status="ok",
            details={
                "state": str(self.state.path),
                "seed": self.settings.seed,
                "latency": self.settings.latency,
                "failures": self._failures,
            },
        )

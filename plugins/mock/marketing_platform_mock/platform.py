"""MockPlatform: a deterministic, credential-free platform as strict as the real ones.

* Ids are derived from ``MOCK_SEED`` and the input (the campaign's name, the content's
  kind and id, the file's bytes): the same input gives the same ids on every machine.
* It refuses what Marketo and HubSpot refuse (see :class:`~.mapping.MockMapper`), before
  anything is recorded or sent, and files over Marketo's 1 MB request limit.
* ``MOCK_LATENCY=realistic`` sleeps (through the injected ``sleep``) around the figures
  measured on real platforms: campaign ~1.8 s, publish or update ~1.2 s, file upload
  ~2.5 s, with seeded jitter. ``none`` (default) answers at once. Look-ups never wait.
* ``MOCK_FAILURES`` injects the real error types with seeded probabilities into every
  call an activation makes: writes (create, update, upload) and look-ups (find, compare),
  which fail only as a whole platform can (auth, rate limit, unavailable; never
  validation). ``get_status`` and ``check`` never fail.
* Published content is scheduled until ``schedule_at`` (by the adapter's clock), then
  published; without a future ``schedule_at`` it is published at once. An email is
  *sent* when it is published (at once, or when its time comes), to its audience lists.
* Re-activation syncs like the real adapters: the campaign is found by name and the
  content by kind and id; ``*_changes`` compare the stored payload with what would be
  stored now; an update rewrites the object in place (same id) and reschedules it; a
  sent email is never changed or sent again. A file whose bytes the mock already holds
  is reused, not uploaded again.
* State persists beside the activation log (see :mod:`.state`): objects, sends, and
  every write received, so "nothing was written" can be checked.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from marketing_platform.errors import (
    AlreadySent,
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
    ContentKind,
    PublishResponse,
    StatusResponse,
)
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits
from marketing_platform.sync import Changes, diff, sent_line

from .mapping import MockMapper
from .settings import FAILURE_KINDS, MockSettings
from .state import MockState

CDN = "https://cdn.mock-platform.example"
SITE = "https://content.mock-platform.example"

#: Mean latency per write (seconds) for MOCK_LATENCY=realistic.
REALISTIC_LATENCY = {
    "create_campaign": 1.8,
    "update_campaign": 1.2,
    "publish_content": 1.2,
    "update_content": 1.2,
    "upload_asset": 2.5,
}

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
    mapper_class = MockMapper
    capabilities = frozenset(Capability)
    rate_limits = RateLimits(calls=1000, per_seconds=1, max_concurrent=16)
    #: Marketo refuses a request over 1 MB (HTTP 413), so no file over it reaches Marketo;
    #: the mock is as strict as the strictest platform.
    max_asset_bytes = 1_000_000

    settings: MockSettings
    mapper: MockMapper

    def __init__(self, settings: MockSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        state_path = self.settings.state or self.core_settings.data_dir / "mock-state.sqlite3"
        self.state = MockState(Path(state_path))
        self._failures = self.settings.failure_rates
        self._failure_rng = random.Random(f"failures:{self.settings.seed}")
        self._latency_rng = random.Random(f"latency:{self.settings.seed}")
        self._lock = threading.Lock()

    def account_key(self) -> str:
        """The mock's "account" is its state file and seed (latency and failure
        injection do not change which objects it holds)."""
        key = f"{self.state.path.resolve()}:{self.settings.seed}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    # ------------------------------------------------------------- behaviour
    def _id(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(f"{self.settings.seed}:{kind}:{key}".encode()).hexdigest()
        return f"mock-{kind}-{digest[:12]}"

    def _behave(self, operation: str, *, write: bool = True) -> None:
        """Apply the latency profile and the seeded failure injection for one call.

        A write waits (``MOCK_LATENCY``) and may fail with any injected kind; a look-up
        (``write=False``) answers at once and may fail only as the platform as a whole
        can (auth, rate limit, unavailable), never with a validation error."""
        with self._lock:
            draws = {kind: self._failure_rng.random() for kind in FAILURE_KINDS}  # draw order is seeded
            delay = 0.0
            if write and self.settings.latency == "realistic":
                delay = REALISTIC_LATENCY.get(operation, 0.5) * self._latency_rng.uniform(0.7, 1.3)
        if delay:
            self.sleep(delay)
        request_id = self._id("req", f"{operation}:{self.clock()}")
        for kind, (error, message, extra) in INJECTED.items():
            if (write or kind != "validation") and draws[kind] < self._failures.get(kind, 0):
                raise error(message, platform=self.name, code=kind, request_id=request_id, **extra)

    def _not_found(self, what: str) -> NotFound:
        return NotFound(
            f"the mock platform has no {what}",
            platform=self.name,
            code="not_found",
            hint="use an external id from `mplat status ACTIVATION_ID` or `mplat log --json`",
        )

    # -------------------------------------------------------------- campaigns
    def _campaign_payload(self, spec: CampaignSpec) -> dict[str, Any]:
        """What the mock stores for ``spec`` (after the payload hooks), on create and update."""
        return self.transform("create_campaign", spec.model_dump(mode="json", exclude_none=True))

    def _campaign_response(
        self, row: Mapping[str, Any], *, reused: bool, request_id: str | None = None
    ) -> CampaignResponse:
        return CampaignResponse(
            platform=self.name,
            external_id=row["id"],
            name=row["name"],
            status=row["status"],
            reused=reused,
            url=f"{SITE}/campaigns/{row['id']}",
            created_at=_utc(row["created_at"]),
            request_id=request_id,
            metadata={"payload": row["data"]},
        )

    def _campaign_row(self, existing: CampaignResponse) -> dict[str, Any] | None:
        row = self.state.get(existing.external_id) if existing.external_id else None
        if row is None and existing.name:
            row = self.state.find("campaign", existing.name)
        return row

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        return self.find_or_create(
            "campaign",
            campaign.name,
            lambda: self.find_campaign(campaign.name),
            lambda: self._create(campaign),
        )

    def _create(self, campaign: CampaignSpec) -> CampaignResponse:
        self._behave("create_campaign")
        payload = self._campaign_payload(campaign)
        campaign_id = self._id("campaign", campaign.name)
        self.state.put(
            object_id=campaign_id,
            type_="campaign",
            name=campaign.name,
            status="active",
            created_at=self.clock(),
            data=payload,
            operation="create_campaign",
        )
        row = self.state.get(campaign_id)
        assert row is not None
        return self._campaign_response(
            row, reused=False, request_id=self._id("req", f"campaign:{campaign.name}")
        )

    def find_campaign(self, name: str) -> CampaignResponse | None:
        self._behave("find_campaign", write=False)
        row = self.state.find("campaign", name)
        return None if row is None else self._campaign_response(row, reused=True)

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        self._behave("get_campaign", write=False)
        row = self._campaign_row(existing)
        if row is None:
            return None
        return changes_between(self._campaign_payload(spec), row["data"])

    def update_campaign(
        self, spec: CampaignSpec, existing: CampaignResponse, changes: Changes
    ) -> CampaignResponse:
        row = self._campaign_row(existing)
        if row is None:
            raise self._not_found(f"campaign {spec.name!r}")
        self._behave("update_campaign")
        payload = self._campaign_payload(spec)
        now = self.clock()
        self.state.update(
            row["id"],
            status=row["status"],
            schedule_at=row["schedule_at"],
            data=payload,
            at=now,
            operation="update_campaign",
        )
        request_id = self._id("req", f"update-campaign:{spec.name}:{now}")
        return self._campaign_response({**row, "data": payload}, reused=True, request_id=request_id)

    # ---------------------------------------------------------------- content
    def _content_payload(self, content: Content) -> dict[str, Any]:
        """What the mock stores for ``content`` (after the payload hooks), on create and update."""
        return self.transform("publish_content", self.mapper.generic_payload(content))

    def _content_id(self, content: Content) -> str:
        return self._id(content.kind.value, content.id)

    def _placement(self, content: Content, now: float) -> tuple[str, float | None]:
        """``("scheduled", when)`` for a future ``schedule_at``, else ``("published", None)``."""
        scheduled = content.schedule_at
        if scheduled is not None and scheduled.timestamp() > now:
            return "scheduled", scheduled.timestamp()
        return "published", None

    def _observe(self, row: Mapping[str, Any]) -> tuple[str, datetime | None, list[str]]:
        """The stored object's status, with an email's ``sent_at`` and recipients.

        A scheduled object whose time has come goes live now (an email is sent then, to
        its lists), and is stored so: this is the platform's own move, not a write. A
        published email is ``sent``."""
        status = str(row["status"])
        email = row["type"] == ContentKind.EMAIL.value
        due = row["schedule_at"]
        if status == "scheduled" and due is not None and self.clock() >= due:
            self.state.go_live(row["id"], sent_to=_recipients(row) if email else None)
            status = "published"
        if not email or status != "published":
            return status, None, []
        sends = self.state.sends(row["id"])
        if sends:
            return "sent", _utc(sends[-1]["sent_at"]), list(sends[-1]["recipients"])
        return "sent", _utc(row["created_at"]), _recipients(row)  # stored by an older mock

    def _content_response(
        self, row: Mapping[str, Any], *, request_id: str | None = None, images: list[str] | None = None
    ) -> PublishResponse:
        status, sent_at, recipients = self._observe(row)
        kind = str(row["type"])
        metadata: dict[str, Any] = {"campaign_id": row["data"].get("campaign")}
        if images is not None:
            metadata["images"] = images
        return PublishResponse(
            platform=self.name,
            external_id=row["id"],
            content_id=row["name"],
            status=status,
            url=f"{SITE}/{kind.replace('_', '-')}/{row['name']}",
            created_at=_utc(row["created_at"]),
            scheduled_at=_utc(row["schedule_at"]) if status == "scheduled" else None,
            sent_at=sent_at,
            recipients=recipients,
            request_id=request_id,
            metadata=metadata,
        )

    def _stored(self, content: Content, campaign: CampaignResponse | None) -> dict[str, Any]:
        return {
            "payload": self._content_payload(content),
            "campaign": campaign.external_id if campaign else None,
            "recipients": self.mapper.recipients(content),
        }

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        self._behave("publish_content")
        data = self._stored(content, campaign)
        object_id = self._content_id(content)
        created = self.clock()
        status, schedule_ts = self._placement(content, created)
        sends = content.kind is ContentKind.EMAIL and status == "published"
        self.state.put(
            object_id=object_id,
            type_=content.kind.value,
            name=content.id,
            status=status,
            created_at=created,
            schedule_at=schedule_ts,
            data=data,
            operation="publish_content",
            sent_to=data["recipients"] if sends else None,
        )
        row = self.state.get(object_id)
        assert row is not None
        images = [r.url for r in (assets.results if assets else []) if r.url]
        return self._content_response(row, request_id=self._id("req", f"publish:{content.id}"), images=images)

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        self._behave("find_content", write=False)
        row = self.state.get(self._content_id(content))
        return None if row is None else self._content_response(row)

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        self._behave("get_content", write=False)
        row = self.state.get(existing.external_id or self._content_id(content))
        if row is None:
            return None
        return changes_between(self._content_payload(content), row["data"].get("payload") or {})

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Rewrite the stored payload in place; a scheduled object is rescheduled (or
        published now when ``schedule_at`` is gone), a published one stays published
        with the new payload. A sent email is refused."""
        object_id = existing.external_id or self._content_id(content)
        row = self.state.get(object_id)
        if row is None:
            raise self._not_found(f"{content.kind.value} {content.id!r}")
        current = self._content_response(row)
        if current.status == "sent":
            raise AlreadySent(f"{content.id} was {sent_line(current)}", platform=self.name)
        self._behave("update_content")
        now = self.clock()
        data = self._stored(content, campaign)
        if current.status == "scheduled":
            status, schedule_ts = self._placement(content, now)
        else:
            status, schedule_ts = "published", None
        sends = content.kind is ContentKind.EMAIL and status == "published"
        self.state.update(
            object_id,
            status=status,
            schedule_at=schedule_ts,
            data=data,
            at=now,
            operation="update_content",
            sent_to=data["recipients"] if sends else None,
        )
        updated = self.state.get(object_id)
        assert updated is not None
        images = [r.url for r in (assets.results if assets else []) if r.url]
        request_id = self._id("req", f"update:{content.id}:{now}")
        return self._content_response(updated, request_id=request_id, images=images)

    # ------------------------------------------------------------------ files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each file, or reuse the one the mock already holds with the same bytes
        (no write). A file over :attr:`max_asset_bytes` is refused, as Marketo does."""
        results = []
        for asset in assets:
            data = asset.path.read_bytes()
            if len(data) > self.max_asset_bytes:
                raise ContentRejected(
                    f"{asset.filename} is {len(data)} bytes; the mock accepts files up to "
                    f"{self.max_asset_bytes} bytes",
                    platform=self.name,
                    code="too_large",
                    problems=[Problem("assets", f"{asset.filename} is over {self.max_asset_bytes} bytes")],
                    hint="make the file smaller (Marketo refuses requests over 1 MB)",
                )
            digest = hashlib.sha256(data).hexdigest()
            asset_id = self._id("asset", digest)
            self._behave("find_file", write=False)
            held = self.state.get(asset_id)
            if held is None:
                self._behave("upload_asset")
                self.state.put(
                    object_id=asset_id,
                    type_="asset",
                    name=asset.filename,
                    status="published",
                    created_at=self.clock(),
                    data={"sha256": digest, "mime_type": asset.mime_type},
                    operation="upload_asset",
                )
            name = asset.filename if held is None else str(held["name"])
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=asset_id,
                    url=f"{CDN}/{asset_id}/{name}",
                    mime_type=asset.mime_type,
                    size=asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                    action="created" if held is None else "unchanged",
                )
            )
        return AssetsResponse(platform=self.name, results=results, status="uploaded")

    # ----------------------------------------------------------------- status
    def get_status(self, ref: str) -> StatusResponse:
        row = self.state.get(ref)
        if row is None:
            raise self._not_found(f"object {ref!r}")
        status, sent_at, recipients = self._observe(row)
        metadata: dict[str, Any] = {"type": row["type"]}
        if sent_at is not None:
            metadata.update(sent_at=sent_at.isoformat(), recipients=recipients)
        return StatusResponse(
            platform=self.name,
            external_id=ref,
            status=status,
            created_at=_utc(row["created_at"]),
            metadata=metadata,
        )

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


def changes_between(desired: Mapping[str, Any], current: Mapping[str, Any], prefix: str = "") -> Changes:
    """:func:`marketing_platform.sync.diff` over the keys of both sides (nested
    mappings key by key): a field the stored payload has and ``desired`` dropped (a
    removed summary, tag or schedule) is a change too."""
    changes: Changes = {}
    for key in sorted(set(desired) | set(current)):
        want, have = desired.get(key), current.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            changes.update(changes_between(want, have, f"{prefix}{key}."))
        else:
            changes.update(diff({key: want}, {key: have}, prefix=prefix))
    return changes


def _recipients(row: Mapping[str, Any]) -> list[str]:
    data = row["data"]
    if "recipients" in data:
        return list(data["recipients"])
    audience = (data.get("payload") or {}).get("audience") or {}
    return list(audience.get("lists") or [])


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)

"""MailchimpPlatform: email campaigns on the Mailchimp Marketing API v3.

Built only on the core's public API. A Mailchimp campaign *is* one email, so each
content gets its own campaign, titled after the content (``"<campaign name> / <content
id>"``, or the content id; see :meth:`MailchimpMapper.campaign_title`). The flow for
one email:

1. ``create_campaign``: find the campaign by that title (``GET /campaigns``, paged) or
   create a draft (``POST /campaigns`` with ``type: regular``);
2. ``publish_content``: resolve the audience by name (``GET /lists``) and the optional
   segment (``GET /lists/{id}/segments``), set recipients and settings
   (``PATCH /campaigns/{id}``), the HTML (``PUT /campaigns/{id}/content``), then send
   (``POST .../actions/send``) or schedule (``POST .../actions/schedule``);
3. ``upload_assets``: ``POST /file-manager/files`` with the file base64-encoded.

A campaign already sent or scheduled is never sent again: ``publish_content`` and
``find_content`` report it instead (a replay of the same content). Threads sharing one
adapter are serialised per title, so two activations of one content neither create two
campaigns nor send one twice. ``check`` only reads (``GET /ping``, ``GET /``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any, ClassVar

from marketing_platform.errors import ContentRejected, NotFound, Problem
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

from .auth import BasicAuth
from .errors import PLATFORM, parse
from .mapping import MailchimpMapper
from .settings import MailchimpSettings

#: Page size for list endpoints (Mailchimp's maximum ``count``).
PAGE = 1000
#: Mailchimp's file manager takes images up to 1 MB and other files up to 10 MB.
MAX_IMAGE_BYTES = 1024 * 1024

#: Mailchimp campaign status -> the core's status words.
STATUS = {
    "save": "draft",
    "paused": "draft",
    "schedule": "scheduled",
    "sending": "published",
    "sent": "published",
}
_DONE = frozenset({"schedule", "sending", "sent"})


class MailchimpPlatform(MarketingPlatform):
    """The ``mailchimp`` platform: email campaigns, file manager, audiences."""

    name: ClassVar[str] = PLATFORM
    settings_model = MailchimpSettings
    capabilities = frozenset(
        {Capability.EMAIL, Capability.PROGRAM, Capability.FILES, Capability.LISTS, Capability.SCHEDULING}
    )
    #: Mailchimp documents a cap of 10 simultaneous connections per API key and no
    #: per-second quota; 10 calls per second keeps a bulk run polite (override with
    #: MAILCHIMP_RATE_LIMIT / MAILCHIMP_MAX_CONCURRENT).
    rate_limits = RateLimits(calls=10, per_seconds=1, max_concurrent=10)
    mapper_class = MailchimpMapper
    max_asset_bytes = 10 * 1024 * 1024

    settings: MailchimpSettings
    mapper: MailchimpMapper

    def __init__(self, settings: MailchimpSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        self.http = self.make_http(self.settings.api_base_url, tokens=BasicAuth(self.settings.api_key))
        self._audiences: dict[str, str] | None = None

    # --------------------------------------------------------------- requests
    def _get(self, path: str, **params: Any) -> Any:
        return self.http.call("GET", path, parse, params=params or None)

    def _send(self, method: str, path: str, body: Any = None, *, idempotent: bool | None = None) -> Any:
        return self.http.call(method, path, parse, json=body, idempotent=idempotent)

    def _pages(self, path: str, key: str, fields: str) -> Iterator[dict[str, Any]]:
        """Every item of a paged collection (``count``/``offset``, ``total_items``)."""
        offset = 0
        while True:
            page = self._get(path, count=PAGE, offset=offset, fields=f"{fields},total_items") or {}
            items = page.get(key) or []
            yield from items
            offset += len(items)
            if not items or offset >= int(page.get("total_items") or 0):
                return

    # -------------------------------------------------------------- audiences
    def audiences(self) -> dict[str, str]:
        """Audience name -> list id (read once per adapter)."""
        if self._audiences is None:
            self._audiences = {
                str(item["name"]): str(item["id"])
                for item in self._pages("/lists", "lists", "lists.id,lists.name")
            }
        return self._audiences

    def audience_id(self, name: str) -> str:
        """The id of the audience called ``name``; NotFound names it when missing."""
        found = self.audiences().get(name)
        if found is None:
            known = ", ".join(sorted(self.audiences())) or "none"
            raise NotFound(
                f"Mailchimp has no audience named {name!r}",
                platform=self.name,
                code="audience_not_found",
                hint=f"use one of the account's audiences ({known}) in audience.lists or MAILCHIMP_AUDIENCE",
            )
        return found

    def segment_id(self, list_id: str, name: str) -> int:
        """The id of the saved segment or tag ``name`` of audience ``list_id``."""
        fields = "segments.id,segments.name"
        for item in self._pages(f"/lists/{list_id}/segments", "segments", fields):
            if item.get("name") == name:
                return int(item["id"])
        raise NotFound(
            f"the Mailchimp audience has no segment or tag named {name!r}",
            platform=self.name,
            code="segment_not_found",
            hint="create the segment (or tag) in Mailchimp, or fix mailchimp.segment",
        )

    # -------------------------------------------------------------- campaigns
    def _campaign_response(self, item: dict[str, Any], *, reused: bool) -> CampaignResponse:
        return CampaignResponse(
            platform=self.name,
            external_id=str(item["id"]),
            name=(item.get("settings") or {}).get("title"),
            status=str(item.get("status") or ""),
            url=item.get("archive_url") or None,
            reused=reused,
            metadata={"web_id": item.get("web_id"), "status": item.get("status")},
        )

    def _find(self, title: str) -> dict[str, Any] | None:
        fields = (
            "campaigns.id,campaigns.web_id,campaigns.status,campaigns.settings.title,campaigns.archive_url"
        )
        for item in self._pages("/campaigns", "campaigns", fields):
            if (item.get("settings") or {}).get("title") == title:
                return item
        return None

    def find_campaign(self, name: str) -> CampaignResponse | None:
        item = self._find(name)
        return None if item is None else self._campaign_response(item, reused=True)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Find or create the campaign titled ``campaign.name``. The pipeline passes
        ``mapper.campaign_spec(content)``, whose name is unique per content."""
        with self.exclusive("campaign", campaign.name):
            existing = self.find_campaign(campaign.name)
            if existing is not None:
                return existing
            payload = self.transform("create_campaign", self.mapper.campaign_payload(campaign))
            created = self._send("POST", "/campaigns", payload)
            return self._campaign_response(created, reused=False)

    # ---------------------------------------------------------------- content
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        problems = self.mapper.problems(content)
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be sent with Mailchimp: {problems[0]}",
                platform=self.name,
                problems=problems,
                hint="fix the content; nothing was sent",
            )
        spec = self.mapper.campaign_spec(content)
        # Find-or-create and send of one campaign at a time (re-entrant: the
        # pipeline may already hold it around create_campaign).
        with self.exclusive("campaign", spec.name):
            if campaign is None or (campaign.name is not None and campaign.name != spec.name):
                # Only this content's own campaign may carry it: one titled otherwise (e.g.
                # recorded before titles were per content) may be another content's email.
                campaign = self.create_campaign(spec)
            return self._publish(content, spec, campaign, assets)

    def _publish(
        self,
        content: Content,
        spec: CampaignSpec,
        campaign: CampaignResponse,
        assets: AssetsResponse | None,
    ) -> PublishResponse:
        campaign_id = str(campaign.external_id)
        current = self._get(f"/campaigns/{campaign_id}", fields="id,status,archive_url,send_time") or {}
        if current.get("status") in _DONE:
            return self._publish_response(content, campaign_id, current, reused=True)

        audience = str(self.mapper.audience_name(content))
        list_id = self.audience_id(audience)
        segment = self.mapper.segment_name(content)
        segment_id = self.segment_id(list_id, segment) if segment else None
        settings = self.mapper.settings_payload(content, spec.name, list_id, segment_id)
        self._send(
            "PATCH", f"/campaigns/{campaign_id}", self.transform("update_campaign", settings), idempotent=True
        )
        body = self.transform("campaign_content", self.mapper.content_payload(content, assets))
        self._send("PUT", f"/campaigns/{campaign_id}/content", body)

        when = content.schedule_at
        if when is not None and when.timestamp() > self.clock():
            self._send(
                "POST", f"/campaigns/{campaign_id}/actions/schedule", self.mapper.schedule_payload(when)
            )
            status = "schedule"
        else:
            self._send("POST", f"/campaigns/{campaign_id}/actions/send")
            status = "sending"
        result = {**current, "status": status}
        return self._publish_response(content, campaign_id, result, reused=False, list_id=list_id)

    def _publish_response(
        self,
        content: Content,
        campaign_id: str,
        item: dict[str, Any],
        *,
        reused: bool,
        list_id: str | None = None,
    ) -> PublishResponse:
        vendor_status = str(item.get("status") or "")
        scheduled = content.schedule_at if vendor_status == "schedule" else None
        return PublishResponse(
            platform=self.name,
            external_id=campaign_id,
            content_id=content.id,
            status=STATUS.get(vendor_status, vendor_status or "unknown"),
            url=item.get("archive_url") or None,
            scheduled_at=scheduled.astimezone(UTC) if scheduled else None,
            warnings=["the campaign was already sent or scheduled; it was not sent again"] if reused else [],
            metadata={
                "campaign_id": campaign_id,
                "status": vendor_status,
                "list_id": list_id,
                "reused": reused,
            },
        )

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The campaign for ``content`` when it was already sent or scheduled: the one
        titled after ``content`` (never another content's campaign of the same name)."""
        item = self._find(self.mapper.campaign_title(content))
        if item is None or item.get("status") not in _DONE:
            return None
        return self._publish_response(content, str(item["id"]), item, reused=True)

    # ----------------------------------------------------------------- assets
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        results = []
        for asset in assets:
            data = asset.path.read_bytes()
            is_image = (asset.mime_type or "").startswith("image/")
            if is_image and len(data) > MAX_IMAGE_BYTES:
                raise ContentRejected(
                    f"{asset.filename} is larger than Mailchimp's 1 MB limit for images",
                    platform=self.name,
                    code="file_too_large",
                    problems=[Problem("assets", f"{asset.filename}: {len(data)} bytes > {MAX_IMAGE_BYTES}")],
                    hint="resize or compress the image",
                )
            payload: dict[str, Any] = {
                "name": asset.filename,
                "file_data": base64.b64encode(data).decode("ascii"),
            }
            if self.settings.file_folder_id is not None:
                payload["folder_id"] = self.settings.file_folder_id
            created = self._send("POST", "/file-manager/files", self.transform("upload_asset", payload)) or {}
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=str(created.get("id")),
                    url=created.get("full_size_url"),
                    mime_type=asset.mime_type,
                    size=created.get("size") or len(data),
                    alt_text=asset.alt_text,
                    role=asset.role,
                )
            )
        return AssetsResponse(platform=self.name, results=results, status="uploaded")

    # ----------------------------------------------------------- status/check
    def get_status(self, ref: str) -> StatusResponse:
        item = self._get(f"/campaigns/{ref}", fields="id,status,send_time,archive_url,settings.title") or {}
        vendor_status = str(item.get("status") or "")
        return StatusResponse(
            platform=self.name,
            external_id=ref,
            status=STATUS.get(vendor_status, vendor_status or "unknown"),
            url=item.get("archive_url") or None,
            metadata={"status": vendor_status, "send_time": item.get("send_time") or None},
        )

    def check(self) -> CheckResponse:
        ping = self._get("/ping") or {}
        account = self._get("/", fields="account_id,account_name") or {}
        return CheckResponse(
            platform=self.name,
            ok=True,
            status="ok",
            details={
                "health": ping.get("health_status"),
                "account": account.get("account_name"),
                "base_url": self.settings.api_base_url,
            },
        )

    # ------------------------------------------------------------------- plan
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The requests an activation sends; ids only a lookup knows are ``<...>``."""
        spec = self.mapper.campaign_spec(content)
        audience = self.mapper.audience_name(content)
        segment = self.mapper.segment_name(content)
        list_id = f"<id of audience {audience!r}>"
        segment_id = f"<id of segment {segment!r}>" if segment else None
        campaign = f"<id of campaign {spec.name!r}>"
        steps: list[dict[str, Any]] = []

        def step(method: str, path: str, **extra: Any) -> None:
            steps.append({"method": method, "path": path, **extra})

        for asset in content.assets:
            step("POST", "/file-manager/files", payload={"name": asset.filename, "file_data": "<base64>"})
        step("GET", "/campaigns", purpose=f"find the campaign titled {spec.name!r}")
        step("POST", "/campaigns", payload=self.mapper.campaign_payload(spec), only_if="not found")
        step("GET", "/lists", purpose=f"find the audience {audience!r}")
        if segment:
            step("GET", f"/lists/{list_id}/segments", purpose=f"find the segment {segment!r}")
        step(
            "PATCH",
            f"/campaigns/{campaign}",
            payload=self.mapper.settings_payload(content, spec.name, list_id, segment_id),
        )
        step("PUT", f"/campaigns/{campaign}/content", payload=self.mapper.content_payload(content))
        if content.schedule_at is not None:
            schedule = self.mapper.schedule_payload(content.schedule_at)
            step("POST", f"/campaigns/{campaign}/actions/schedule", payload=schedule)
        else:
            step("POST", f"/campaigns/{campaign}/actions/send")
        return steps

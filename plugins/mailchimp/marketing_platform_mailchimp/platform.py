"""MailchimpPlatform: email campaigns on the Mailchimp Marketing API v3.

Built only on the core's public API. A Mailchimp campaign *is* one email, so each
content gets its own campaign, titled after the content (``"<campaign name> / <content
id>"``, or the content id; see :meth:`MailchimpMapper.campaign_title`). The flow for
one email:

1. ``upload_assets``: reuse the file manager's file of the same name and size, where the
   name carries a digest of the bytes (``GET /file-manager/files``, listed once per
   adapter), else ``POST /file-manager/files`` with the file base64-encoded;
2. ``create_campaign``: find the content's campaign (``GET /campaigns``, paged: by its
   title, or by the content id the title ends with) or create a draft (``POST
   /campaigns`` with ``type: regular``, and, for the pipeline's spec, the content's
   recipients and settings: the audience by name ``GET /lists`` and the optional segment
   ``GET /lists/{id}/segments`` are resolved first);
3. ``publish_content``: set recipients and settings (``PATCH /campaigns/{id}``) unless
   this adapter has just created the campaign with them, the HTML (``PUT
   /campaigns/{id}/content``), then send (``POST .../actions/send``) or schedule
   (``POST .../actions/schedule``).

Re-activation (the pipeline's sync): ``find_content`` reports the content's campaign
with its status (``sent`` with ``sent_at`` and the audience, ``scheduled`` with
``scheduled_at``, or ``draft``); ``content_changes`` compares the settings, recipients,
HTML (``GET /campaigns/{id}/content``) and delivery an activation would send with what
Mailchimp holds; ``update_content`` edits a campaign not yet sent in place (a scheduled
one is unscheduled first, as Mailchimp requires, and scheduled again) and then sends or
schedules it. A sent campaign is never edited or sent again.

Audiences, segments and the file manager's listing are read once per adapter and kept
for ``lookup_ttl`` seconds (on the adapter's clock). Campaigns are read fresh (a stale
status could send an email twice), except the one this adapter has just created for the
content: until something is published into it, its state is the create's answer (a
retry, a replay or another activation of the content reads it again). ``check`` only
reads (``GET /ping``, ``GET /``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from marketing_platform.caching import TTLCache
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
from marketing_platform.paging import Page, offset_pages
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits
from marketing_platform.sync import Changes, diff

from .auth import BasicAuth
from .errors import PLATFORM, parse
from .mapping import SETTINGS_FIELDS, MailchimpMapper, spec_content, vendor_fields, vendor_time
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
    "sending": "sent",
    "sent": "sent",
}
_SENT = frozenset({"sending", "sent"})
_DONE = _SENT | {"schedule"}

#: What a campaign look-up reads: enough to report it and to compare it.
CAMPAIGN_FIELDS = (
    "id",
    "web_id",
    "status",
    "send_time",
    "archive_url",
    "settings.title",
    "settings.subject_line",
    "settings.from_name",
    "settings.reply_to",
    "settings.preview_text",
    "recipients.list_id",
    "recipients.list_name",
    "recipients.segment_opts",
)
FILE_FIELDS = ("id", "name", "size", "full_size_url")


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
    #: Seconds an audience, segment or file listing is reused before it is read again.
    lookup_ttl: ClassVar[float] = 60.0

    settings: MailchimpSettings
    mapper: MailchimpMapper

    def __init__(self, settings: MailchimpSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        self.http = self.make_http(self.settings.api_base_url, tokens=BasicAuth(self.settings.api_key))
        self._lookups = TTLCache(self.clock, self.lookup_ttl)
        self._account: str | None = None
        #: Campaigns this adapter just created for a content, not yet filled: campaign id
        #: -> (created at, content id, the create's answer, the settings it was made with).
        self._fresh: dict[str, tuple[float, str, dict[str, Any], dict[str, Any]]] = {}
        self._fresh_lock = threading.Lock()

    # --------------------------------------------------------------- requests
    def _get(self, path: str, **params: Any) -> Any:
        return self.http.call("GET", path, parse, params=params or None)

    def _send(self, method: str, path: str, body: Any = None, *, idempotent: bool | None = None) -> Any:
        return self.http.call(method, path, parse, json=body, idempotent=idempotent)

    def _pages(self, path: str, key: str, fields: Sequence[str], **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged collection (``count``/``offset``, ``total_items``)."""
        wanted = ",".join([*(f"{key}.{field}" for field in fields), "total_items"])

        def fetch(offset: int) -> Page[dict[str, Any]]:
            page = self._get(path, count=PAGE, offset=offset, fields=wanted, **params) or {}
            return Page(page.get(key) or [], total=int(page.get("total_items") or 0))

        return offset_pages(fetch, page_size=PAGE)

    def account_key(self) -> str:
        """The API host and Mailchimp's ``account_id`` (``GET /``, read once): the key
        is the only setting that tells accounts apart, and it is a secret."""
        if self._account is None:
            account = self._get("/", fields="account_id") or {}
            identity = {"host": self.settings.api_base_url, "account": account.get("account_id")}
            self._account = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        return self._account

    # -------------------------------------------------------------- audiences
    def audiences(self) -> dict[str, str]:
        """Audience name -> list id (read once per ``lookup_ttl``)."""
        return self._lookups.load(
            "lists",
            lambda: {
                str(item["name"]): str(item["id"]) for item in self._pages("/lists", "lists", ("id", "name"))
            },
        )

    def audience_id(self, name: str) -> str:
        """The id of the audience called ``name``; NotFound names it when missing (an
        audience made since the last read is found: a miss reads the audiences again)."""
        found = self.audiences().get(name)
        if found is None:
            self._lookups.forget("lists")
            found = self.audiences().get(name)
        if found is None:
            known = ", ".join(sorted(self.audiences())) or "none"
            raise NotFound(
                f"Mailchimp has no audience named {name!r}",
                platform=self.name,
                code="audience_not_found",
                hint=f"use one of the account's audiences ({known}) in audience.lists or "
                "MAILCHIMP_AUDIENCE; Mailchimp audiences are created in Mailchimp, not by activations",
            )
        return found

    def _segments(self, list_id: str) -> dict[str, int]:
        """Segment (or tag) name -> id, for audience ``list_id``."""
        return self._lookups.load(
            ("segments", list_id),
            lambda: {
                str(item["name"]): int(item["id"])
                for item in self._pages(f"/lists/{list_id}/segments", "segments", ("id", "name"))
            },
        )

    def segment_id(self, list_id: str, name: str) -> int:
        """The id of the saved segment or tag ``name`` of audience ``list_id``."""
        found = self._segments(list_id).get(name)
        if found is None:
            self._lookups.forget(("segments", list_id))
            found = self._segments(list_id).get(name)
        if found is None:
            raise NotFound(
                f"the Mailchimp audience has no segment or tag named {name!r}",
                platform=self.name,
                code="segment_not_found",
                hint="create the segment (or tag) in Mailchimp, or fix mailchimp.segment",
            )
        return found

    def _recipients(self, item: dict[str, Any]) -> list[str]:
        """Who a campaign goes to, for people: ``["<audience> (segment <name>)"]``."""
        recipients = item.get("recipients") or {}
        list_id = recipients.get("list_id")
        if not list_id:
            return []
        label = str(recipients.get("list_name") or list_id)
        segment = (recipients.get("segment_opts") or {}).get("saved_segment_id")
        if segment is not None:
            try:
                names = {v: k for k, v in self._segments(str(list_id)).items()}
            except NotFound:  # the audience is gone; its id says enough
                names = {}
            label += f" (segment {names.get(int(segment), segment)})"
        return [label]

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
        """The campaign of the content ``title`` names: titled ``title``, or carrying the
        same content id under another campaign name. Among several, one already sent or
        scheduled wins (so a renamed campaign is never sent a second time)."""
        content_id = self.mapper.content_id_of(title)

        def is_ours(item: dict[str, Any]) -> bool:
            found = str((item.get("settings") or {}).get("title") or "")
            return found == title or (
                content_id is not None and self.mapper.content_id_of(found) == content_id
            )

        ours = [item for item in self._pages("/campaigns", "campaigns", CAMPAIGN_FIELDS) if is_ours(item)]
        if not ours:
            return None

        def rank(item: dict[str, Any]) -> int:
            status = item.get("status")
            exact = (item.get("settings") or {}).get("title") == title
            return 0 if status in _SENT else 1 if status == "schedule" else 2 if exact else 3

        return min(ours, key=rank)

    def find_campaign(self, name: str) -> CampaignResponse | None:
        item = self._find(name)
        return None if item is None else self._campaign_response(item, reused=True)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Find or create the campaign titled ``campaign.name``. The pipeline passes
        ``mapper.campaign_spec(content)``, whose name is unique per content; the campaign
        is then created with that content's recipients and settings (the body of the
        ``PATCH`` a publish would send, through the same ``update_campaign`` payload
        hook), so publishing it sends no ``PATCH`` and reads nothing back."""

        def create() -> CampaignResponse:
            content = spec_content(campaign)
            settings = None
            if content is not None and not self.mapper.problems(content):
                list_id, segment_id = self._recipient_ids(content)
                settings = self.mapper.settings_payload(content, campaign.name, list_id, segment_id)
            sent = self.transform("update_campaign", settings) if settings is not None else None
            payload = self.transform("create_campaign", self.mapper.campaign_payload(campaign, sent))
            item = self._send("POST", "/campaigns", payload)
            if content is not None and settings is not None and isinstance(item, dict) and item.get("id"):
                self._remember_fresh(str(item["id"]), content.id, item, settings)
            return self._campaign_response(item, reused=False)

        return self.find_or_create(
            "campaign", campaign.name, lambda: self.find_campaign(campaign.name), create
        )

    def _remember_fresh(
        self, campaign_id: str, content_id: str, item: dict[str, Any], settings: dict[str, Any]
    ) -> None:
        now = self.clock()
        with self._fresh_lock:
            for old in [k for k, v in self._fresh.items() if now - v[0] >= self.lookup_ttl]:
                del self._fresh[old]
            self._fresh[campaign_id] = (now, content_id, item, settings)

    def _fresh_for(
        self, campaign: CampaignResponse | None, content: Content, *, take: bool
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """``(the create's answer, the settings it was made with)`` when ``campaign`` is
        the one this adapter created for ``content`` moments ago and nothing was published
        into it since. ``take`` (a publish begins): from now on the campaign is not fresh,
        whoever asks (a retry, another activation of the content, reads it again)."""
        if campaign is None or not campaign.external_id:
            return None
        key = str(campaign.external_id)
        with self._fresh_lock:
            held = self._fresh.pop(key, None) if take else self._fresh.get(key)
        if (
            held is None
            or campaign.reused
            or held[1] != content.id
            or self.clock() - held[0] >= self.lookup_ttl
        ):
            return None
        return held[2], held[3]

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """Mailchimp keeps only the title of the campaign step (a campaign's description,
        dates, costs and tags have no place there): ``{}`` when the title is the one
        wanted. A campaign found under another title (``campaign.name`` was renamed) is
        ``reused``; the content step brings its title up to date with the rest."""
        return {} if existing.name == spec.name else None

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
        fresh = self._fresh_for(campaign, content, take=True)
        if fresh is not None:  # just created here with these settings: nothing to read
            current, sent = fresh
        else:
            current = self._get(f"/campaigns/{campaign_id}", fields=",".join(CAMPAIGN_FIELDS)) or {}
            sent = None
        if current.get("status") in _DONE:
            found = self._found(content, current)
            warning = "the campaign was already sent or scheduled; it was not sent again"
            return found.model_copy(update={"warnings": [warning]})

        list_id, segment_id = self._recipient_ids(content)
        settings = self.mapper.settings_payload(content, spec.name, list_id, segment_id)
        if sent != settings:  # not created with exactly these
            self._patch(campaign_id, settings)
        self._put_content(campaign_id, content, assets)
        return self._deliver(content, campaign_id, list_id, current)

    def _recipient_ids(self, content: Content) -> tuple[str, int | None]:
        list_id = self.audience_id(str(self.mapper.audience_name(content)))
        segment = self.mapper.segment_name(content)
        return list_id, self.segment_id(list_id, segment) if segment else None

    def _patch(self, campaign_id: str, settings: dict[str, Any]) -> None:
        body = self.transform("update_campaign", settings)
        self._send("PATCH", f"/campaigns/{campaign_id}", body, idempotent=True)

    def _put_content(self, campaign_id: str, content: Content, assets: AssetsResponse | None) -> None:
        body = self.transform("campaign_content", self.mapper.content_payload(content, assets))
        self._send("PUT", f"/campaigns/{campaign_id}/content", body)

    def _send_at(self, content: Content) -> datetime | None:
        """When to schedule ``content``: its ``schedule_at`` if still ahead, else None
        (send now)."""
        when = content.schedule_at
        return when if when is not None and when.timestamp() > self.clock() else None

    def _deliver(
        self, content: Content, campaign_id: str, list_id: str, item: dict[str, Any]
    ) -> PublishResponse:
        """Schedule the filled draft ``campaign_id`` or send it now, as ``content`` asks."""
        when = self._send_at(content)
        if when is not None:
            self._send(
                "POST", f"/campaigns/{campaign_id}/actions/schedule", self.mapper.schedule_payload(when)
            )
            status, send_time = "schedule", when.astimezone(UTC).isoformat()
        else:
            self._send("POST", f"/campaigns/{campaign_id}/actions/send")
            status, send_time = "sent", datetime.fromtimestamp(self.clock(), UTC).isoformat()
        delivered = {
            "id": campaign_id,
            "web_id": item.get("web_id"),
            "archive_url": item.get("archive_url"),
            "status": status,
            "send_time": send_time,
        }
        audience = str(self.mapper.audience_name(content))
        segment = self.mapper.segment_name(content)
        recipients = [f"{audience} (segment {segment})" if segment else audience]
        return self._found(content, delivered, list_id=list_id, recipients=recipients)

    def _found(
        self,
        content: Content,
        item: dict[str, Any],
        *,
        list_id: str | None = None,
        recipients: list[str] | None = None,
    ) -> PublishResponse:
        """The PublishResponse for the campaign ``item`` carrying ``content``."""
        vendor_status = str(item.get("status") or "")
        when = vendor_time(item.get("send_time"))
        if recipients is None:
            recipients = self._recipients(item) if vendor_status in _DONE else []
        return PublishResponse(
            platform=self.name,
            external_id=str(item["id"]),
            content_id=content.id,
            status=STATUS.get(vendor_status, vendor_status or "unknown"),
            url=item.get("archive_url") or None,
            sent_at=when if vendor_status in _SENT else None,
            scheduled_at=when if vendor_status == "schedule" else None,
            recipients=recipients,
            metadata={
                "campaign_id": str(item["id"]),
                "status": vendor_status,
                "list_id": list_id or (item.get("recipients") or {}).get("list_id"),
                "campaign": item,
            },
        )

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The campaign carrying ``content`` (never another content's), with its status:
        ``sent`` (``sent_at``, ``recipients``), ``scheduled`` (``scheduled_at``) or
        ``draft``. None when there is none, or only the empty draft the campaign step
        made (nothing of the email is on Mailchimp yet), or the campaign this adapter has
        just created for the content (nothing is read: it holds the recipients and
        settings it was made with and no HTML; anything later reads it)."""
        if self._fresh_for(campaign, content, take=False) is not None:
            return None
        item = self._campaign_of(content, campaign)
        if item is None:
            return None
        settings = item.get("settings") or {}
        filled = settings.get("subject_line") or (item.get("recipients") or {}).get("list_id")
        if item.get("status") == "save" and not filled:
            return None
        return self._found(content, item)

    def _campaign_of(self, content: Content, campaign: CampaignResponse | None) -> dict[str, Any] | None:
        """The campaign item of ``content``: read by id when the campaign step found it
        (one request), else looked up by title."""
        title = self.mapper.campaign_title(content)
        named = campaign.name if campaign is not None else None
        ours = named is not None and (named == title or self.mapper.content_id_of(named) == content.id)
        if campaign is not None and campaign.external_id and ours:
            try:
                item: dict[str, Any] = self._get(
                    f"/campaigns/{campaign.external_id}", fields=",".join(CAMPAIGN_FIELDS)
                )
                return item
            except NotFound:  # deleted since: look for another
                pass
        return self._find(title)

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """What differs between the campaign ``existing`` (not yet sent) and what an
        activation of ``content`` sends: settings (``subject``, ``summary``,
        ``from_name``, ``reply_to``, ``campaign.name``), recipients (``audience``,
        ``segment``), ``body`` (``GET /campaigns/{id}/content``) and the delivery
        (``schedule_at``, ``status``: a draft is still to be sent). Reads only."""
        item = existing.metadata.get("campaign")
        if not isinstance(item, dict):
            return None
        list_id, segment_id = self._recipient_ids(content)
        desired = self.mapper.sync_fields(
            content, list_id=list_id, segment_id=segment_id, assets=assets, send_at=self._send_at(content)
        )
        held = self._get(f"/campaigns/{existing.external_id}/content", fields="html") or {}
        return diff(desired, vendor_fields(item, str(held.get("html") or "")))

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Edit the campaign in place, then send or schedule it. A scheduled campaign is
        unscheduled first (Mailchimp edits only drafts) and scheduled again at the end;
        should a step between fail, the campaign stays a draft and the next activation
        (or replay) finishes it. Only what changed is written."""
        campaign_id = str(existing.external_id)
        item = dict(existing.metadata.get("campaign") or {})
        if item.get("status") == "schedule":
            self._send("POST", f"/campaigns/{campaign_id}/actions/unschedule")
        list_id, segment_id = self._recipient_ids(content)
        if SETTINGS_FIELDS & changes.keys():
            title = self.mapper.campaign_title(content)
            self._patch(campaign_id, self.mapper.settings_payload(content, title, list_id, segment_id))
        if "body" in changes:
            self._put_content(campaign_id, content, assets)
        return self._deliver(content, campaign_id, list_id, item)

    # ----------------------------------------------------------------- assets
    def _files(self) -> dict[tuple[str, int], dict[str, Any]]:
        """The file manager's files by (name, size), read once per ``lookup_ttl``."""

        def load() -> dict[tuple[str, int], dict[str, Any]]:
            files: dict[tuple[str, int], dict[str, Any]] = {}
            for item in self._pages("/file-manager/files", "files", FILE_FIELDS):
                files.setdefault((str(item.get("name")), int(item.get("size") or 0)), item)
            return files

        return self._lookups.load("files", load)

    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each asset to the file manager under :meth:`MailchimpMapper.upload_name`
        (its name plus a digest of its bytes), into ``MAILCHIMP_FILE_FOLDER_ID`` when set,
        or reuse the file already there under that name and size, in any folder: with a
        fresh activation log, a file uploaded by an earlier run is found, not copied."""
        results = []
        warnings = []
        folder = self.settings.file_folder_id
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
            digest = asset.sha256 or hashlib.sha256(data).hexdigest()
            name = self.mapper.upload_name(asset.filename, digest)
            files = self._files()
            held = files.get((name, len(data)))
            reused = held is not None
            if held is not None:
                warnings.append(
                    f"{asset.filename}: already in the file manager as {name} (file {held.get('id')})"
                )
            else:
                payload: dict[str, Any] = {"name": name, "file_data": base64.b64encode(data).decode("ascii")}
                if folder is not None:
                    payload["folder_id"] = folder
                payload = self.transform("upload_asset", payload)
                held = self._send("POST", "/file-manager/files", payload) or {}
                files[(name, len(data))] = held
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=str(held.get("id")),
                    url=held.get("full_size_url"),
                    mime_type=asset.mime_type,
                    size=held.get("size") or len(data),
                    alt_text=asset.alt_text,
                    role=asset.role,
                    action="unchanged" if reused else "created",
                )
            )
        return AssetsResponse(platform=self.name, results=results, status="uploaded", warnings=warnings)

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

        if content.assets:
            step("GET", "/file-manager/files", purpose="find files of the same name and size")
        for asset in content.assets:
            name = self.mapper.upload_name(asset.filename, asset.sha256) if asset.sha256 else asset.filename
            step(
                "POST",
                "/file-manager/files",
                payload={"name": name, "file_data": "<base64>"},
                only_if="not found",
            )
        settings = self.mapper.settings_payload(content, spec.name, list_id, segment_id)
        step("GET", "/campaigns", purpose=f"find the campaign titled {spec.name!r}")
        step("GET", "/lists", purpose=f"find the audience {audience!r}")
        if segment:
            step("GET", f"/lists/{list_id}/segments", purpose=f"find the segment {segment!r}")
        step(
            "POST",
            "/campaigns",
            payload=self.mapper.campaign_payload(spec, settings),
            only_if="not found (created with its recipients and settings: no PATCH follows)",
        )
        step(
            "PATCH",
            f"/campaigns/{campaign}",
            payload=settings,
            only_if="found, not sent, and its recipients or settings differ",
        )
        step("PUT", f"/campaigns/{campaign}/content", payload=self.mapper.content_payload(content))
        if content.schedule_at is not None:
            schedule = self.mapper.schedule_payload(content.schedule_at)
            step("POST", f"/campaigns/{campaign}/actions/schedule", payload=schedule)
        else:
            step("POST", f"/campaigns/{campaign}/actions/send")
        return steps

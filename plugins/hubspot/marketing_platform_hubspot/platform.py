"""HubSpotPlatform: the adapter (entry point ``hubspot``).

Campaigns (``/marketing/v3/campaigns`` + budget items), CMS blog posts with tags,
marketing emails sent to contact lists, files (``/files/v3/files``) and contact lists
(``/crm/v3/lists``). Every request goes through the core :class:`PlatformHTTP` (rate
budget, retries, token refresh); every JSON body passes the payload hooks
(:meth:`transform`) first.

An activation is a sync (see ``docs/hubspot.md``, "Re-activation"): every object is
looked up before it is written. A campaign is found by its exact name, a blog post by
its slug in its blog (exactly the slug, or the blog's path + ``/`` + the slug), a
marketing email by its name (``TITLE [CONTENT ID]``; any name ending in the content's
``[CONTENT ID]`` is its email, so a title edit finds it), a file by its MD5 in the
upload folder, tags and lists by name. What differs is updated in place (a post through
its draft, then pushed live or rescheduled; an email not yet sent is patched and
published or rescheduled); what matches is left alone (no write at all); a sent email
is never touched again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from marketing_platform.caching import TTLCache
from marketing_platform.errors import (
    ConfigurationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    Problem,
)
from marketing_platform.models import (
    Action,
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
from marketing_platform.ratelimit import RateLimits, describe
from marketing_platform.sync import Changes

from . import plan as planning
from .auth import OAuthRefresh, PrivateAppToken
from .client import (
    BLOG_SETTINGS,
    CAMPAIGN_PROPERTIES,
    CAMPAIGNS,
    EMAILS,
    FILE_SEARCH,
    FILES,
    LISTS,
    POSTS,
    RATE_HEADERS,
    TAGS,
    HubSpotClient,
    Reply,
    file_query,
    post_query,
    tag_query,
)
from .errors import EMAIL_PUBLISH_TIER, PLATFORM, MissingScopes
from .mapping import CONTACTS, HubSpotMapper, featured_image, iso, tag_number
from .settings import API_KEY_NOTICE, TIER_LIMITS, AuthMode, HubSpotSettings
from .sync import (
    CAMPAIGN_FIELDS,
    EMAIL_FIELDS,
    POST_FIELDS,
    Comparison,
    EmailEntry,
    EmailIndex,
    compare,
    email_status,
    moment,
    post_status,
    same_moment,
)

log = logging.getLogger("marketing_platform.hubspot")

_MAX_PAGES = 10
#: Pages of 100 emails (newest first) searched for an email by name.
_EMAIL_PAGES = 50
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: Blog post fields that identify the post (already matched by the look-up), not compared.
_POST_IDENTITY = ("slug", "contentGroupId")
#: How long looked-up blog settings, tags and lists are trusted within one adapter.
LOOKUP_TTL = 300.0
#: How long a campaign found by name is reused within one adapter (forgotten when the
#: adapter creates or updates one).
CAMPAIGN_TTL = 60.0
#: Emails created up to this many seconds before the newest one a full listing saw are
#: asked for again (``createdAfter``): room for HubSpot's listing to lag its creates.
EMAIL_INDEX_MARGIN = 120.0


class HubSpotPlatform(MarketingPlatform):
    """HubSpot through its v3 APIs. Raises ConfigurationError when no credentials are set."""

    name = "hubspot"
    settings_model = HubSpotSettings
    capabilities = frozenset(
        {
            Capability.BLOG_POST,
            Capability.EMAIL,
            Capability.PROGRAM,
            Capability.FILES,
            Capability.LISTS,
            Capability.SCHEDULING,
        }
    )
    rate_limits = TIER_LIMITS["starter"]
    mapper_class = HubSpotMapper

    def __init__(self, settings: HubSpotSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        if not isinstance(self.settings, HubSpotSettings):
            self.settings = HubSpotSettings.model_validate(self.settings.model_dump())
        config: HubSpotSettings = self.settings
        self.auth_mode: AuthMode = config.auth_mode()
        self.notices: list[str] = [API_KEY_NOTICE] if config.uses_api_key else []
        for notice in self.notices:
            log.warning("%s", notice)
        tokens: PrivateAppToken | OAuthRefresh
        if self.auth_mode == "oauth":
            assert config.client_id is not None
            assert config.client_secret is not None
            assert config.refresh_token is not None
            tokens = OAuthRefresh(
                client_id=config.client_id,
                client_secret=config.client_secret,
                refresh_token=config.refresh_token,
                clock=self.clock,
            )
        else:
            token = config.private_app_token
            assert token is not None
            tokens = PrivateAppToken(token)
        self.tokens = tokens
        # api.hubapi.com speaks HTTP/2: one multiplexed connection when h2 is installed.
        http = self.make_http(
            config.base_url,
            tokens=tokens,
            headers={"Accept": "application/json"},
            http2=True,
            rate_headers=RATE_HEADERS,
        )
        if isinstance(tokens, OAuthRefresh):
            tokens.bind(http)
        self.api = HubSpotClient(http, refreshable=tokens.refreshable)
        # Look-ups that do not change within a run, kept a few minutes per adapter.
        self._tags = TTLCache(self.clock, LOOKUP_TTL)  # tag name (casefolded) -> id
        self._lists = TTLCache(self.clock, LOOKUP_TTL)  # list name -> ILS id
        self._list_names = TTLCache(self.clock, LOOKUP_TTL)  # ILS id -> list name
        self._blogs = TTLCache(self.clock, LOOKUP_TTL)  # blog id -> the blog's path
        self._campaigns = TTLCache(self.clock, CAMPAIGN_TTL)  # name -> CampaignResponse found
        # Campaigns this adapter created, until the activation that made each looks into
        # it (nothing can be attached to a campaign made moments ago): guid -> True.
        self._fresh_campaigns = TTLCache(self.clock, LOOKUP_TTL)
        self._list_links = TTLCache(self.clock, LOOKUP_TTL)  # "guid/list id" linked by this adapter
        self._emails = EmailIndex(self.clock, LOOKUP_TTL)  # the account's emails, by name
        # Objects find_content read, for content_changes / update_content ("KIND:id").
        self._found: dict[str, dict[str, Any]] = {}

    @property
    def config(self) -> HubSpotSettings:
        assert isinstance(self.settings, HubSpotSettings)
        return self.settings

    @property
    def hubspot_mapper(self) -> HubSpotMapper:
        assert isinstance(self.mapper, HubSpotMapper)
        return self.mapper

    def effective_rate_limits(self) -> RateLimits:
        """The tier's budget (``HUBSPOT_RATE_TIER``; OAuth apps 110/10 s), unless
        ``HUBSPOT_RATE_LIMIT`` / ``_MAX_CONCURRENT`` / ``_DAILY_QUOTA`` override it."""
        return self.config.tier_limits(self.auth_mode).overridden_by(self.config)

    def account_key(self) -> str:
        """The HubSpot account (portal) this adapter writes to. Only the credential tells
        portals apart, so the key holds a one-way fingerprint of it (a SHA-256 of the
        private app token or of the OAuth client id + refresh token), with the base URL,
        blog and upload folder; the credential itself is never stored."""
        config = self.config
        secret = config.private_app_token or config.refresh_token
        credential = f"{config.client_id or ''}:{secret.get_secret_value() if secret else ''}"
        identity = {
            "base_url": config.base_url,
            "blog_id": config.blog_id,
            "files_folder": config.files_folder,
            "credential": hashlib.sha256(credential.encode()).hexdigest(),
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # ------------------------------------------------------------- campaigns
    def find_campaign(self, name: str) -> CampaignResponse | None:
        """The campaign whose ``hs_name`` is exactly ``name`` (HubSpot's filter is broader).
        One found is remembered for :data:`CAMPAIGN_TTL` seconds (a bulk sharing a campaign
        reads it once), until this adapter creates or updates a campaign of that name."""
        cached = self._campaigns.get(name)
        if isinstance(cached, CampaignResponse):
            return cached
        params = {"name": name, "limit": 100, "properties": list(CAMPAIGN_PROPERTIES)}
        for reply in self.api.pages(CAMPAIGNS, params, _MAX_PAGES):
            for item in reply.get("results") or []:
                if (item.get("properties") or {}).get("hs_name") == name:
                    found = self._campaign_response(item, reply, reused=True)
                    return self._campaigns.put(name, found)  # type: ignore[no-any-return]
        return None

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Reuse the campaign of the same name (``reused=True``, nothing written), else
        create it with one budget item per cost. A reused campaign is brought up to the
        content file by :meth:`campaign_changes` / :meth:`update_campaign` (a create
        whose answer was lost gets its budget items there, never twice)."""
        existing = self.find_campaign(campaign.name)
        if existing is not None:
            return existing
        self._campaigns.forget(campaign.name)
        reply = self.api.post(
            CAMPAIGNS, self.transform("create_campaign", self.hubspot_mapper.campaign_payload(campaign))
        )
        guid = str(reply.get("id"))
        self._fresh_campaigns.put(guid, True)
        budget_ids = [
            self._add_budget_item(guid, item) for item in self.hubspot_mapper.budget_payloads(campaign)
        ]
        response = self._campaign_response(reply.body, reply, reused=False)
        metadata = {**response.metadata, "budget_item_ids": budget_ids}
        return response.model_copy(update={"metadata": metadata})

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """Description and dates against the campaign's properties; when the content file
        lists costs, the costs against the campaign's budget items (one read)."""
        return self._campaign_comparison(spec, existing)[0].changes

    def update_campaign(
        self, spec: CampaignSpec, existing: CampaignResponse, changes: Changes
    ) -> CampaignResponse:
        """``PATCH`` the changed properties (an emptied one is cleared with ``""``), and
        make the budget items exactly the content file's costs, in order: an item that
        differs is replaced in place (``PUT``), a missing one added, an extra one removed."""
        comparison, items = self._campaign_comparison(spec, existing)
        guid = str(existing.external_id)
        self._campaigns.forget(spec.name)
        if existing.name:
            self._campaigns.forget(existing.name)
        properties = dict((existing.metadata or {}).get("properties") or {})
        patch = {k: ("" if c["to"] is None else c["to"]) for k, c in comparison.raw.items() if k != "budget"}
        request_id = existing.request_id
        if patch:
            reply = self.api.patch(
                f"{CAMPAIGNS}/{guid}", self.transform("update_campaign", {"properties": patch})
            )
            request_id = reply.request_id or request_id
            properties.update(patch)
        if "budget" in comparison.raw:
            self._sync_budget(guid, spec, items)
        metadata = {**existing.metadata, "properties": properties}
        return existing.model_copy(
            update={"status": "updated", "metadata": metadata, "request_id": request_id}
        )

    def _campaign_comparison(
        self, spec: CampaignSpec, existing: CampaignResponse
    ) -> tuple[Comparison, list[dict[str, Any]]]:
        current = (existing.metadata or {}).get("properties") or {}
        comparison = compare(self.hubspot_mapper.campaign_properties(spec), current, CAMPAIGN_FIELDS)
        items: list[dict[str, Any]] = []
        if spec.costs:
            items = sorted(self._budget_items(str(existing.external_id)), key=_order)
            want = [_budget_view(item) for item in self.hubspot_mapper.budget_payloads(spec)]
            have = [_budget_view(item) for item in items]
            if want != have:
                comparison.add("budget", have, want)
        return comparison, items

    def _budget_items(self, guid: str) -> list[dict[str, Any]]:
        items = self.api.get(f"{CAMPAIGNS}/{guid}/budget/totals").get("budgetItems") or []
        return [item for item in items if isinstance(item, dict)]

    def _add_budget_item(self, guid: str, item: dict[str, Any]) -> str | None:
        added = self.api.post(f"{CAMPAIGNS}/{guid}/budget", self.transform("create_campaign_budget", item))
        return str(added.get("id")) if added.get("id") is not None else None

    def _sync_budget(self, guid: str, spec: CampaignSpec, items: list[dict[str, Any]]) -> None:
        wanted = self.hubspot_mapper.budget_payloads(spec)
        for index, item in enumerate(wanted):
            if index >= len(items):
                self._add_budget_item(guid, item)
            elif _budget_view(items[index]) != _budget_view(item):
                path = f"{CAMPAIGNS}/{guid}/budget/{items[index].get('id')}"
                self.api.put(path, self.transform("update_campaign_budget", item))
        for extra in items[len(wanted) :]:
            self.api.delete(f"{CAMPAIGNS}/{guid}/budget/{extra.get('id')}")

    def _campaign_response(self, item: dict[str, Any], reply: Reply, *, reused: bool) -> CampaignResponse:
        properties = item.get("properties") or {}
        return CampaignResponse(
            platform=self.name,
            external_id=str(item.get("id")),
            status="reused" if reused else "created",
            name=properties.get("hs_name"),
            reused=reused,
            request_id=reply.request_id,
            warnings=list(self.notices),
            metadata={"id": item.get("id"), "properties": properties},
        )

    # ------------------------------------------------------------- publishing
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Create the blog post / marketing email, attach it to ``campaign`` and publish
        it now or schedule it for ``content.schedule_at``."""
        campaign_id = campaign.external_id if campaign else None
        if campaign_id:
            self._fresh_campaigns.pop(campaign_id)  # something goes in: no longer empty
        if content.kind is ContentKind.BLOG_POST:
            return self._publish_blog_post(content, campaign_id, assets)
        if content.kind is ContentKind.EMAIL:
            return self._publish_email(content, campaign_id)
        raise NotFound(
            f"hubspot cannot publish {content.kind.value!r} content",
            platform=self.name,
            code="kind",
            hint="use kind blog_post or email",
        )

    def _publish_blog_post(
        self, content: Content, campaign_id: str | None, assets: AssetsResponse | None
    ) -> PublishResponse:
        tag_ids = [self._require_tag(topic) for topic in content.topics]
        payload = self.hubspot_mapper.blog_post_payload(
            content, tag_ids=tag_ids, campaign_id=campaign_id, image=featured_image(assets)
        )
        try:
            reply = self.api.post(POSTS, self.transform("create_blog_post", payload))
        except NotFound as exc:
            raise self._missing_reference(exc, "blog post", *self._blog_references(content)) from exc
        post = reply.body
        post_id = str(post.get("id"))
        if campaign_id:
            self._attach(campaign_id, "BLOG_POST", post_id)
        return self._go_live(content, post, campaign_id, reply.request_id, live=False)

    def _go_live(
        self,
        content: Content,
        post: dict[str, Any],
        campaign_id: str | None,
        request_id: str | None,
        *,
        live: bool,
    ) -> PublishResponse:
        """Push the post's draft live, or (re)schedule it for ``content.schedule_at``. A
        post already ``live`` stays live: its edit is pushed live now; so does a post whose
        ``schedule_at`` has passed (a replay finishing it late)."""
        post_id = str(post.get("id"))
        if content.schedule_at is not None and not live and content.schedule_at > self._now():
            body = self.hubspot_mapper.schedule_payload(post_id, content.schedule_at)
            self.api.post(f"{POSTS}/schedule", self.transform("schedule_blog_post", body), idempotent=True)
            status = "scheduled"
        else:
            self.api.post(f"{POSTS}/{post_id}/draft/push-live", idempotent=True)
            status = "published"
        return PublishResponse(
            platform=self.name,
            external_id=post_id,
            content_id=post_id,
            url=post.get("url"),
            status=status,
            scheduled_at=content.schedule_at if status == "scheduled" else None,
            request_id=request_id,
            warnings=list(self.notices),
            metadata={
                "type": "BLOG_POST",
                "id": post_id,
                "campaign": campaign_id,
                "tagIds": post.get("tagIds"),
            },
        )

    def _tag_id(self, name: str) -> str | None:
        """The id of the blog tag called ``name`` (case-insensitive), or None. Read-only;
        a found tag is remembered for :data:`LOOKUP_TTL` seconds."""
        key = name.casefold()
        cached = self._tags.get(key)
        if cached is not None:
            return str(cached)
        for reply in self.api.pages(TAGS, tag_query(name), _MAX_PAGES):
            for tag in reply.get("results") or []:
                if str(tag.get("name", "")).casefold() == key:
                    return str(self._tags.put(key, str(tag["id"])))
        return None

    def _require_tag(self, name: str) -> str:
        """The blog tag called ``name``, created when HubSpot has none (under
        :meth:`exclusive`, so activations sharing a new topic create it once)."""

        def create() -> str:
            created = self.api.post(TAGS, self.transform("create_blog_tag", {"name": name}))
            return str(self._tags.put(name.casefold(), str(created.get("id"))))

        return self.find_or_create("blog tag", name.casefold(), lambda: self._tag_id(name), create)

    def _publish_email(self, content: Content, campaign_id: str | None) -> PublishResponse:
        list_ids = [list_id for list_id in self._list_ids(content) if list_id is not None]
        payload = self.hubspot_mapper.email_payload(content, campaign_id=campaign_id, list_ids=list_ids)
        try:
            reply = self.api.post(EMAILS, self.transform("create_marketing_email", payload))
        except NotFound as exc:
            template = content.email.template if content.email else None
            refs = {"email.template": template} if template else {}
            raise self._missing_reference(exc, "marketing email", refs, {}) from exc
        email_id = str(reply.get("id"))
        self._emails.add(EmailEntry.of({"createdAt": iso(self._now()), **reply.body, "id": email_id}))
        if campaign_id:
            self._attach_email(campaign_id, email_id, list_ids)
        return self._send(content, email_id, campaign_id, list_ids, reply.request_id)

    def _attach_email(self, campaign_id: str, email_id: str, list_ids: Sequence[str]) -> None:
        """Attach the email to the campaign, and each list not yet linked to it by this
        adapter within :data:`LOOKUP_TTL` (every email of a bulk names the same list:
        the link is made once, not once per email)."""
        self._attach(campaign_id, "MARKETING_EMAIL", email_id)
        for list_id in list_ids:
            key = f"{campaign_id}/{list_id}"
            if self._list_links.get(key) is None:
                self._attach(campaign_id, "OBJECT_LIST", list_id)
                self._list_links.put(key, True)

    def _send(
        self,
        content: Content,
        email_id: str,
        campaign_id: str | None,
        list_ids: Sequence[str],
        request_id: str | None,
    ) -> PublishResponse:
        """Publish the email (it is sent, or scheduled for ``schedule_at``) unless
        ``hubspot.publish_email`` is false; the response says ``sent`` / ``scheduled`` /
        ``draft``."""
        status = "draft"
        if self.hubspot_mapper.publish_email(content):
            try:
                self.api.post(f"{EMAILS}/{email_id}/publish", idempotent=True, tier=EMAIL_PUBLISH_TIER)
            except PermissionDenied as exc:
                exc.message = (
                    f"marketing email {email_id} was created as a draft but not published: {exc.message}"
                )
                raise
            status = "scheduled" if content.schedule_at is not None else "sent"
        audience = list(content.audience.lists) if content.audience else []
        return PublishResponse(
            platform=self.name,
            external_id=email_id,
            content_id=email_id,
            status=status,
            scheduled_at=content.schedule_at if status == "scheduled" else None,
            sent_at=self._now() if status == "sent" else None,
            recipients=audience if status == "sent" else [],
            request_id=request_id,
            warnings=list(self.notices),
            metadata={
                "type": "MARKETING_EMAIL",
                "id": email_id,
                "campaign": campaign_id,
                "lists": list(list_ids),
            },
        )

    def _list_ids(self, content: Content, *, create: bool = True) -> list[str | None]:
        """The ILS ids of the audience's contact lists, in order. With ``create=False``
        (a read-only comparison) a list that ``create_missing`` would create is None."""
        audience = content.audience
        if audience is None:
            return []
        return [
            self._list_id(
                name,
                create=audience.create_missing and create,
                missing_ok=audience.create_missing,
                field=f"audience.lists[{index}]",
            )
            for index, name in enumerate(audience.lists)
        ]

    def _list_id(
        self, name: str, *, create: bool, missing_ok: bool = False, field: str = "audience.lists"
    ) -> str | None:
        """The ILS id of the contact list ``name``; created as a MANUAL list when ``create``.
        A list the content names that HubSpot lacks is :class:`ContentRejected` (the content
        is wrong: no fallback platform would help) unless ``missing_ok`` (then None)."""
        cached = self._lists.get(name)
        if cached is not None:
            return str(cached)
        if not create:
            return self._find_list_id(name, field, missing_ok=missing_ok)
        with self.exclusive("contact list", name):
            return self._find_list_id(name, field, create=True)

    def _find_list_id(
        self, name: str, field: str, *, create: bool = False, missing_ok: bool = False
    ) -> str | None:
        try:
            reply = self.api.get(f"{LISTS}/object-type-id/{CONTACTS}/name/{quote(name, safe='')}")
        except NotFound as exc:
            if missing_ok and not create:
                return None
            if not create:
                raise ContentRejected(
                    f"HubSpot has no contact list named {name!r}",
                    problems=[Problem(field, f"no HubSpot contact list is named {name!r}")],
                    platform=self.name,
                    code="list",
                    request_id=exc.request_id,
                    hint="create the list in HubSpot, fix audience.lists, "
                    "or set audience.create_missing: true",
                ) from None
            reply = self.api.post(
                LISTS, self.transform("create_list", self.hubspot_mapper.list_payload(name))
            )
        found = reply.get("list") or {}
        list_id = str(found.get("listId"))
        self._list_names.put(list_id, name)
        return str(self._lists.put(name, list_id))

    def _names_of_lists(self, list_ids: Sequence[str]) -> list[str]:
        """The names of the contact lists ``list_ids`` (one ``GET /crm/v3/lists?listIds=..``
        for those not known yet); an id HubSpot does not return stands for itself."""
        unknown = [i for i in list_ids if self._list_names.get(i) is None]
        if unknown:
            reply = self.api.get(LISTS, params={"listIds": unknown})
            for item in reply.get("lists") or []:
                self._list_names.put(str(item.get("listId")), str(item.get("name")))
        return [str(self._list_names.get(i) or i) for i in list_ids]

    def _blog_references(self, content: Content) -> tuple[dict[str, str], dict[str, str]]:
        """The HubSpot ids a blog post names: ``(from the content file, from settings)``."""
        options = content.options_for("hubspot")
        from_content: dict[str, str] = {}
        from_settings: dict[str, str] = {}
        blog_id = self.hubspot_mapper.blog_id(content) or ""
        if options.get("blog_id"):
            from_content["hubspot.blog_id"] = blog_id
        else:
            from_settings["HUBSPOT_BLOG_ID"] = blog_id
        if options.get("blog_author_id"):
            from_content["hubspot.blog_author_id"] = str(options["blog_author_id"])
        return from_content, from_settings

    def _missing_reference(
        self, exc: NotFound, what: str, from_content: dict[str, str], from_settings: dict[str, str]
    ) -> MarketingPlatformError:
        """A 404 on a create: something the content or the settings name does not exist.
        Named in the content file -> ContentRejected; only in settings -> ConfigurationError."""
        if from_content:
            names = ", ".join(f"{field} {value!r}" for field, value in from_content.items())
            return ContentRejected(
                f"HubSpot could not create the {what}: it does not know {names} ({exc.message})",
                problems=[
                    Problem(field, f"{value!r} does not exist in HubSpot (or the app cannot see it)")
                    for field, value in from_content.items()
                ],
                platform=self.name,
                code=exc.code or "OBJECT_NOT_FOUND",
                request_id=exc.request_id,
                hint=f"fix {', '.join(from_content)} in the content file",
            )
        if from_settings:
            names = ", ".join(f"{name}={value!r}" for name, value in from_settings.items())
            return ConfigurationError(
                f"HubSpot could not create the {what}: it does not know {names} ({exc.message})",
                platform=self.name,
                code=exc.code or "OBJECT_NOT_FOUND",
                request_id=exc.request_id,
                hint=f"check {', '.join(from_settings)}",
            )
        return exc

    def _attach(self, campaign_id: str, asset_type: str, asset_id: str) -> None:
        self.api.put(f"{CAMPAIGNS}/{campaign_id}/assets/{asset_type}/{asset_id}")

    # ----------------------------------------------------------------- look-up
    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The post or email made for ``content`` (by its id, never its title), or None.
        Read-only. A post is found by its slug in its blog; an email by its name (among
        the campaign's emails first, else among all marketing emails). An email that went
        out is reported ``sent`` with ``sent_at`` and the names of its lists.

        A campaign this adapter created for this activation moments ago (``reused``
        False, and nothing was put in it since) has no email attached: its email list is
        not read, once (the account-wide look-up still runs)."""
        campaign_id = campaign.external_id if campaign else None
        fresh = bool(
            campaign_id
            and campaign is not None
            and not campaign.reused
            and self._fresh_campaigns.pop(campaign_id) is not None
        )
        if content.kind is ContentKind.BLOG_POST:
            post, request_id = self._find_post(content)
            if post is None:
                return None
            self._found[f"BLOG_POST:{post.get('id')}"] = post
            return self._post_response(post, request_id)
        if content.kind is ContentKind.EMAIL:
            email, request_id = self._find_email(content, None if fresh else campaign_id)
            if email is None:
                return None
            response = self._email_response(email, request_id)
            if response.status != "sent":  # a sent email is never compared nor updated
                self._found[f"MARKETING_EMAIL:{email.get('id')}"] = email
            return response
        return None

    def _blog_path(self, content: Content) -> str:
        """The path of the content's blog (its settings' ``slug``, e.g. ``blog``; empty
        at the domain's root), read once per :data:`LOOKUP_TTL`. An unknown blog is the
        content's or the settings' fault, said before anything is written."""
        blog_id = self.hubspot_mapper.blog_id(content) or ""
        cached = self._blogs.get(blog_id)
        if cached is not None:
            return str(cached)
        try:
            reply = self.api.get(f"{BLOG_SETTINGS}/{quote(blog_id, safe='')}")
        except NotFound as exc:
            raise self._missing_reference(exc, "blog post", *self._blog_references(content)) from exc
        return str(self._blogs.put(blog_id, str(reply.get("slug") or "").strip("/")))

    def _find_post(self, content: Content) -> tuple[dict[str, Any] | None, str | None]:
        """The post in the content's blog whose slug is exactly the content's slug, or
        exactly the blog's path + ``/`` + the slug (HubSpot may keep it so). Never by
        containment: content ``launch`` does not take ``spring-launch`` nor
        ``blog/2023/launch``. The query only narrows (``slug__icontains``)."""
        blog_id = self.hubspot_mapper.blog_id(content) or ""
        slug = self.hubspot_mapper.slug(content).strip("/")
        root = self._blog_path(content)
        wanted = {slug.casefold()} | ({f"{root}/{slug}".casefold()} if root else set())
        for reply in self.api.pages(POSTS, post_query(slug, blog_id), _MAX_PAGES):
            for post in reply.get("results") or []:
                found = str(post.get("slug") or "").strip("/").casefold()
                if found in wanted and str(post.get("contentGroupId")) == blog_id:
                    return post, reply.request_id
        return None, None

    def _find_email(
        self, content: Content, campaign_id: str | None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The marketing email of ``content`` (see :meth:`HubSpotMapper.is_email_of`):
        among the campaign's assets (cheap) when there is a campaign, else among all the
        account's emails (:meth:`_account_email`)."""
        mine = self.hubspot_mapper.is_email_of
        if campaign_id:
            reply = self.api.get(f"{CAMPAIGNS}/{campaign_id}/assets/MARKETING_EMAIL")
            for asset in reply.get("results") or []:
                if mine(content, asset.get("name")):
                    email = self.api.get(f"{EMAILS}/{asset.get('id')}")
                    return email.body, email.request_id
        return self._account_email(content)

    def _account_email(self, content: Content) -> tuple[dict[str, Any] | None, str | None]:
        """The newest of the account's marketing emails that is ``content``'s (an email
        created but never attached to its campaign, or made under another campaign).

        HubSpot has no name filter on ``GET /marketing/v3/emails``: the first look-up
        pages the account newest first (at most :data:`_EMAIL_PAGES` pages of 100, as
        always), stopping at a match. A listing that found nothing is kept as an index
        (ids, names, creation times) for :data:`LOOKUP_TTL` seconds; later look-ups read
        only the emails created since its newest one (``createdAfter``, less
        :data:`EMAIL_INDEX_MARGIN`; one page for a bulk), then check a match from the
        index by id (gone or renamed since: not it). Nothing the full listing would find
        is missed; a new email of a bulk costs one page instead of the whole account."""
        mine = self.hubspot_mapper.is_email_of
        held = self._emails.snapshot()
        if held is None:
            with self._emails.build_lock:
                held = self._emails.snapshot()
                if held is None:
                    return self._list_emails(content)
        entries, watermark = held
        since = watermark - timedelta(seconds=EMAIL_INDEX_MARGIN)
        params = {"limit": 100, "sort": "-createdAt", "createdAfter": iso(since)}
        for reply in self.api.pages(EMAILS, params, _EMAIL_PAGES):
            for email in reply.get("results") or []:
                self._emails.add(EmailEntry.of(email))
                if mine(content, email.get("name")):
                    return email, reply.request_id
        never = datetime.min.replace(tzinfo=UTC)
        for entry in sorted(entries, key=lambda e: e.created or never, reverse=True):
            if not mine(content, entry.name):
                continue
            try:
                reply = self.api.get(f"{EMAILS}/{entry.id}")
            except NotFound:
                self._emails.drop(entry.id)
                continue
            if mine(content, reply.get("name")):
                return reply.body, reply.request_id
            self._emails.drop(entry.id)
        return None, None

    def _list_emails(self, content: Content) -> tuple[dict[str, Any] | None, str | None]:
        """Page every marketing email, newest first, for ``content``'s; when none is,
        what was listed becomes the index of :meth:`_account_email`."""
        mine = self.hubspot_mapper.is_email_of
        listed: list[EmailEntry] = []
        for reply in self.api.pages(EMAILS, {"limit": 100, "sort": "-createdAt"}, _EMAIL_PAGES):
            for email in reply.get("results") or []:
                if mine(content, email.get("name")):
                    return email, reply.request_id
                listed.append(EmailEntry.of(email))
        self._emails.replace(listed)
        return None, None

    def _post_response(self, post: dict[str, Any], request_id: str | None) -> PublishResponse:
        post_id = str(post.get("id"))
        status = post_status(post)
        return PublishResponse(
            platform=self.name,
            external_id=post_id,
            content_id=post_id,
            url=post.get("url"),
            status=status,
            scheduled_at=moment(post.get("publishDate")) if status == "scheduled" else None,
            request_id=request_id,
            warnings=list(self.notices),
            metadata={"type": "BLOG_POST", "id": post_id, "state": post.get("state")},
        )

    def _email_response(self, email: dict[str, Any], request_id: str | None) -> PublishResponse:
        email_id = str(email.get("id"))
        status, when = email_status(email, self._now())
        list_ids = [
            str(i) for i in ((email.get("to") or {}).get("contactIlsLists") or {}).get("include") or []
        ]
        return PublishResponse(
            platform=self.name,
            external_id=email_id,
            content_id=email_id,
            status=status,
            scheduled_at=when if status == "scheduled" else None,
            sent_at=when if status == "sent" else None,
            recipients=self._names_of_lists(list_ids) if status == "sent" else [],
            request_id=request_id,
            warnings=list(self.notices),
            metadata={
                "type": "MARKETING_EMAIL",
                "id": email_id,
                "state": email.get("state"),
                "lists": list_ids,
            },
        )

    def _current(self, existing: PublishResponse, kind: str) -> dict[str, Any]:
        """The object ``existing`` stands for, as :meth:`find_content` read it (else read now)."""
        key = f"{kind}:{existing.external_id}"
        found = self._found.get(key)
        if found is None:
            path = POSTS if kind == "BLOG_POST" else EMAILS
            found = self._found[key] = self.api.get(f"{path}/{existing.external_id}").body
        return found

    # -------------------------------------------------------------------- sync
    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """What differs between the post / email HubSpot holds and the body a create would
        send now (only the fields the adapter sends), plus its state: a post left a draft
        is to go live, a scheduled one to move; an email left a draft is to be sent.
        Read-only: a topic or list that does not exist yet counts as a change."""
        campaign_id = campaign.external_id if campaign else None
        if content.kind is ContentKind.BLOG_POST:
            comparison, _ = self._post_comparison(content, existing, campaign_id, assets, create=False)
        elif content.kind is ContentKind.EMAIL:
            comparison, _, _ = self._email_comparison(content, existing, campaign_id, create=False)
        else:
            return None
        if not comparison.raw:
            self._found.pop(f"{existing.metadata.get('type')}:{existing.external_id}", None)
        return comparison.changes

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Bring the existing post / email up to ``content`` in place (see
        ``docs/hubspot.md``, "Re-activation")."""
        campaign_id = campaign.external_id if campaign else None
        if campaign_id:
            self._fresh_campaigns.pop(campaign_id)
        if content.kind is ContentKind.BLOG_POST:
            return self._update_post(content, existing, campaign_id, assets)
        return self._update_email(content, existing, campaign_id)

    def _post_comparison(
        self,
        content: Content,
        existing: PublishResponse,
        campaign_id: str | None,
        assets: AssetsResponse | None,
        *,
        create: bool,
    ) -> tuple[Comparison, dict[str, Any]]:
        post = self._current(existing, "BLOG_POST")
        if create:
            tag_ids: list[str | None] = [self._require_tag(topic) for topic in content.topics]
        else:
            tag_ids = [self._tag_id(topic) for topic in content.topics]
        known = [tag for tag in tag_ids if tag is not None]
        desired = self.hubspot_mapper.blog_post_payload(
            content, tag_ids=known, campaign_id=campaign_id, image=featured_image(assets)
        )
        wanted = {k: v for k, v in desired.items() if k not in _POST_IDENTITY}
        wanted["tagIds"] = sorted(desired["tagIds"], key=str)
        held = {**post, "tagIds": sorted((tag_number(t) for t in post.get("tagIds") or []), key=str)}
        comparison = compare(wanted, held, POST_FIELDS)
        if len(known) < len(tag_ids):
            comparison.add("tagIds", post.get("tagIds"), list(content.topics))
        status = post_status(post)
        if status == "draft":
            comparison.add("state", post.get("state"), "SCHEDULED" if content.schedule_at else "PUBLISHED")
        elif status == "scheduled" and not same_moment(post.get("publishDate"), content.schedule_at):
            target = iso(content.schedule_at) if content.schedule_at else None
            comparison.add("publishDate", post.get("publishDate"), target)
        return comparison, desired

    def _update_post(
        self,
        content: Content,
        existing: PublishResponse,
        campaign_id: str | None,
        assets: AssetsResponse | None,
    ) -> PublishResponse:
        """``PATCH …/posts/{id}/draft`` with the changed fields (HubSpot edits a post
        through its draft), attach it to the campaign when that changed or the post never
        went live, then push the draft live or reschedule it. A post already live stays
        live (a later ``schedule_at`` does not take it down)."""
        comparison, desired = self._post_comparison(content, existing, campaign_id, assets, create=True)
        post = self._found.pop(f"BLOG_POST:{existing.external_id}", None) or {"id": existing.external_id}
        post_id = str(existing.external_id)
        fields = comparison.top_level() - {"state", "publishDate"}
        body = {key: desired[key] for key in sorted(fields) if key in desired}
        request_id = existing.request_id
        if body:
            reply = self.api.patch(f"{POSTS}/{post_id}/draft", self.transform("update_blog_post", body))
            request_id = reply.request_id or request_id
        if campaign_id and ("campaign" in fields or "state" in comparison.raw):
            self._attach(campaign_id, "BLOG_POST", post_id)
        updated = {**post, **body, "id": post_id}
        return self._go_live(content, updated, campaign_id, request_id, live=existing.status == "published")

    def _email_comparison(
        self, content: Content, existing: PublishResponse, campaign_id: str | None, *, create: bool
    ) -> tuple[Comparison, dict[str, Any], list[str]]:
        email = self._current(existing, "MARKETING_EMAIL")
        list_ids = self._list_ids(content, create=create)
        known = [i for i in list_ids if i is not None]
        desired = self.hubspot_mapper.email_payload(content, campaign_id=campaign_id, list_ids=known)
        # The send time is compared as a moment below; whether it is to go out at all is
        # the state (sendOnPublish only matters when it is published).
        wanted = {k: v for k, v in desired.items() if k not in {"publishDate", "sendOnPublish"}}
        comparison = compare(wanted, email, EMAIL_FIELDS)
        if len(known) < len(list_ids):
            held = ((email.get("to") or {}).get("contactIlsLists") or {}).get("include")
            comparison.add(
                "to.contactIlsLists.include", held, list(content.audience.lists if content.audience else [])
            )
        when = desired.get("publishDate")
        # A stale file's past schedule_at never moves a scheduled send earlier (it would go
        # out at once); it is kept as HubSpot holds it.
        stale = content.schedule_at is not None and content.schedule_at <= self._now()
        moved = not same_moment(when, email.get("publishDate"))
        if (
            moved
            and (when or existing.status == "scheduled")
            and not (stale and existing.status == "scheduled")
        ):
            comparison.add("publishDate", email.get("publishDate"), when)
        want_draft = not self.hubspot_mapper.publish_email(content)
        if (existing.status == "draft") != want_draft:
            comparison.add("state", email.get("state"), "DRAFT" if want_draft else "PUBLISHED")
            if not want_draft and email.get("sendOnPublish") is not True:
                comparison.add("sendOnPublish", email.get("sendOnPublish"), True)
        return comparison, desired, known

    def _update_email(
        self, content: Content, existing: PublishResponse, campaign_id: str | None
    ) -> PublishResponse:
        """An email not sent yet: a scheduled one is first cancelled (``POST …/unpublish``:
        HubSpot edits only an email that is not scheduled), then ``PATCH`` the changed
        fields, attach it (and its lists) to the campaign when those changed or it never
        went out, and publish it again: sent now, or rescheduled for ``schedule_at``."""
        comparison, desired, list_ids = self._email_comparison(content, existing, campaign_id, create=True)
        self._found.pop(f"MARKETING_EMAIL:{existing.external_id}", None)
        email_id = str(existing.external_id)
        if existing.status == "scheduled":
            self.api.post(f"{EMAILS}/{email_id}/unpublish", idempotent=True, tier=EMAIL_PUBLISH_TIER)
        fields = comparison.top_level() - {"state"}
        body = {key: desired[key] for key in sorted(fields) if key in desired}
        if "publishDate" in fields and desired.get("publishDate") is None:
            body["publishDate"] = iso(self._now())  # was scheduled, now to go out at once
        request_id = existing.request_id
        if body:
            reply = self.api.patch(f"{EMAILS}/{email_id}", self.transform("update_marketing_email", body))
            request_id = reply.request_id or request_id
        if campaign_id and (fields & {"campaign", "to"} or "state" in comparison.raw):
            self._attach_email(campaign_id, email_id, list_ids)
        return self._send(content, email_id, campaign_id, list_ids, request_id)

    # ----------------------------------------------------------------- files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each asset to ``HUBSPOT_FILES_FOLDER``; results carry the hosted URLs.
        A file the folder already holds with the same name and bytes (found by its MD5,
        ``GET /files/v3/files/search``) is reused, not uploaded again; the upload itself
        also asks HubSpot to return an identical file rather than copy it."""
        results: list[AssetResult] = []
        request_id = None
        for asset in assets:
            mime = asset.mime_type or "application/octet-stream"
            held, reply = self._find_file(asset)
            action: Action = "unchanged"
            if held is None:
                form = self.transform("upload_file", self.hubspot_mapper.file_form(asset.filename))

                def files(asset: Asset = asset, mime: str = mime) -> dict[str, Any]:
                    return {"file": (asset.filename, asset.path.open("rb"), mime)}

                reply = self.api.request("POST", FILES, data=form, files=files)
                held, action = reply.body, "created"
            request_id = reply.request_id or request_id
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=str(held.get("id")),
                    url=held.get("url") or held.get("defaultHostingUrl"),
                    mime_type=mime,
                    size=held.get("size") or asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                    action=action,
                )
            )
        return AssetsResponse(
            platform=self.name,
            status="uploaded",
            request_id=request_id,
            results=results,
            metadata={"folderPath": self.config.files_folder},
        )

    def _find_file(self, asset: Asset) -> tuple[dict[str, Any] | None, Reply]:
        """The file already in the upload folder with ``asset``'s name and bytes."""
        path = f"{self.config.files_folder.rstrip('/')}/{asset.filename}".casefold()
        reply = self.api.get(FILE_SEARCH, params=file_query(asset))
        for item in reply.get("results") or []:
            if str(item.get("path") or "").casefold() == path and not item.get("archived"):
                return item, reply
        return None, reply

    # ----------------------------------------------------------------- status
    def get_status(self, ref: str) -> StatusResponse:
        """Status of ``ref``: ``blog_post:ID``, ``email:ID``, ``campaign:GUID`` or a bare id
        (a GUID is a campaign; otherwise a blog post, then a marketing email)."""
        kind, _, object_id = ref.rpartition(":")
        candidates = {
            "blog_post": [("BLOG_POST", f"{POSTS}/{object_id}")],
            "email": [("MARKETING_EMAIL", f"{EMAILS}/{object_id}")],
            "campaign": [("CAMPAIGN", f"{CAMPAIGNS}/{object_id}")],
        }.get(kind)
        if candidates is None:
            candidates = (
                [("CAMPAIGN", f"{CAMPAIGNS}/{object_id}")]
                if _GUID.match(object_id)
                else [("BLOG_POST", f"{POSTS}/{object_id}"), ("MARKETING_EMAIL", f"{EMAILS}/{object_id}")]
            )
        for index, (object_type, path) in enumerate(candidates):
            try:
                reply = self.api.get(path)
            except NotFound:
                if index == len(candidates) - 1:
                    raise
                continue
            state = "active" if object_type == "CAMPAIGN" else str(reply.get("state") or "unknown").lower()
            return StatusResponse(
                platform=self.name,
                external_id=object_id,
                url=reply.get("url"),
                status=state,
                request_id=reply.request_id,
                metadata={"type": object_type, "id": object_id},
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def check(self) -> CheckResponse:
        """One cheap read (``GET /marketing/v3/campaigns?limit=1``); reports missing scopes.
        Creates nothing. With OAuth, the access token is fetched first."""
        details: dict[str, Any] = {
            "base_url": self.config.base_url,
            "auth": self.auth_mode,
            "rate_limits": describe(self.effective_rate_limits()),
            "blog_id": self.config.blog_id,
            "files_folder": self.config.files_folder,
        }
        try:
            reply = self.api.get(CAMPAIGNS, params={"limit": 1})
        except MarketingPlatformError as exc:
            details["error"] = exc.to_dict()
            if isinstance(exc, MissingScopes):
                details["missing_scopes"] = exc.scopes
            return CheckResponse(
                platform=self.name,
                success=False,
                ok=False,
                status="failed",
                request_id=exc.request_id,
                warnings=[*self.notices, str(exc)],
                details=details,
            )
        return CheckResponse(
            platform=self.name,
            ok=True,
            status="ok",
            request_id=reply.request_id,
            warnings=list(self.notices),
            details=details,
        )

    # ------------------------------------------------------------------ plan
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The exact requests an activation would send (``--dry-run``); no secrets."""
        return planning.build_plan(self, content)


def _order(item: dict[str, Any]) -> int:
    try:
        return int(item.get("order") or 0)
    except (TypeError, ValueError):
        return 0


def _budget_view(item: dict[str, Any]) -> dict[str, Any]:
    """A budget item as compared: name, amount (a number), order, description."""
    try:
        amount: float | None = float(item.get("amount"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        amount = None
    return {
        "name": item.get("name"),
        "amount": amount,
        "order": _order(item),
        "description": item.get("description") or None,
    }


__all__ = ["PLATFORM", "HubSpotPlatform"]

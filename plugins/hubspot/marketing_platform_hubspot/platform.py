"""HubSpotPlatform: the adapter (entry point ``hubspot``).

Campaigns (``/marketing/v3/campaigns`` + budget items), CMS blog posts with tags,
marketing emails sent to contact lists, files (``/files/v3/files``) and contact lists
(``/crm/v3/lists``). Every request goes through the core :class:`PlatformHTTP` (rate
budget, retries, token refresh); every JSON body passes the payload hooks
(:meth:`transform`) first. Creates are preceded by a lookup where HubSpot offers one:
a campaign is reused by name, a tag or list by name, and on replay
:meth:`find_content` finds (and finishes) a post or email created by an earlier attempt:
a post by its slug in its blog, an email by its name, both unique per content (derived
from the content id, never just the title).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from marketing_platform.errors import (
    ConfigurationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    Problem,
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
from marketing_platform.ratelimit import RateLimits, describe

from . import plan as planning
from .auth import OAuthRefresh, PrivateAppToken
from .client import CAMPAIGN_PROPERTIES, CAMPAIGNS, EMAILS, FILES, LISTS, POSTS, TAGS, HubSpotClient, Reply
from .errors import EMAIL_PUBLISH_TIER, PLATFORM, MissingScopes
from .mapping import CONTACTS, HubSpotMapper, featured_image
from .settings import API_KEY_NOTICE, TIER_LIMITS, AuthMode, HubSpotSettings

log = logging.getLogger("marketing_platform.hubspot")

_MAX_PAGES = 10
#: Pages of 100 emails (newest first) searched for an email by name on replay.
_EMAIL_PAGES = 50
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DONE_STATES = {"published", "scheduled", "processing", "sent"}


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
            config.base_url, tokens=tokens, headers={"Accept": "application/json"}, http2=True
        )
        if isinstance(tokens, OAuthRefresh):
            tokens.bind(http)
        self.api = HubSpotClient(http, refreshable=tokens.refreshable)
        self._tags: dict[str, str] = {}

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

    # ------------------------------------------------------------- campaigns
    def find_campaign(self, name: str) -> CampaignResponse | None:
        """The campaign whose ``hs_name`` is exactly ``name`` (HubSpot's filter is broader)."""
        params = {"name": name, "limit": 100, "properties": CAMPAIGN_PROPERTIES}
        for reply in self.api.pages(CAMPAIGNS, params, _MAX_PAGES):
            for item in reply.get("results") or []:
                if (item.get("properties") or {}).get("hs_name") == name:
                    return self._campaign_response(item, reply, reused=True)
        return None

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Reuse the campaign of the same name, else create it; either way make sure it
        holds one budget item per cost (a reused campaign gets the ones it lacks, so a
        create whose answer was lost is completed on replay, not duplicated)."""
        existing = self.find_campaign(campaign.name)
        if existing is not None:
            guid = str(existing.external_id)
            budget_ids = self._add_budget_items(
                guid, campaign, self._budget_items(guid) if campaign.costs else []
            )
            if not budget_ids:
                return existing
            return existing.model_copy(
                update={"metadata": {**existing.metadata, "budget_item_ids": budget_ids}}
            )
        reply = self.api.post(
            CAMPAIGNS, self.transform("create_campaign", self.hubspot_mapper.campaign_payload(campaign))
        )
        guid = str(reply.get("id"))
        budget_ids = self._add_budget_items(guid, campaign, [])
        response = self._campaign_response(reply.body, reply, reused=False)
        metadata = {**response.metadata, "budget_item_ids": budget_ids}
        return response.model_copy(update={"metadata": metadata})

    def _budget_items(self, guid: str) -> list[dict[str, Any]]:
        items = self.api.get(f"{CAMPAIGNS}/{guid}/budget/totals").get("budgetItems") or []
        return [item for item in items if isinstance(item, dict)]

    def _add_budget_items(
        self, guid: str, campaign: CampaignSpec, present: list[dict[str, Any]]
    ) -> list[str | None]:
        """Add the campaign's budget items that ``present`` lacks (same name and amount)."""
        have = {(str(item.get("name")), float(item.get("amount") or 0)) for item in present}
        added_ids: list[str | None] = []
        for item in self.hubspot_mapper.budget_payloads(campaign):
            if (str(item.get("name")), float(item.get("amount") or 0)) in have:
                continue
            added = self.api.post(
                f"{CAMPAIGNS}/{guid}/budget", self.transform("create_campaign_budget", item)
            )
            added_ids.append(str(added.get("id")) if added.get("id") is not None else None)
        return added_ids

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
        tag_ids = [self._tag_id(topic) for topic in content.topics]
        payload = self.hubspot_mapper.blog_post_payload(
            content, tag_ids=tag_ids, campaign_id=campaign_id, image=featured_image(assets)
        )
        try:
            reply = self.api.post(POSTS, self.transform("create_blog_post", payload))
        except NotFound as exc:
            raise self._missing_reference(exc, "blog post", *self._blog_references(content)) from exc
        return self._finish_blog_post(content, reply.body, campaign_id, reply.request_id)

    def _finish_blog_post(
        self, content: Content, post: dict[str, Any], campaign_id: str | None, request_id: str | None
    ) -> PublishResponse:
        post_id = str(post.get("id"))
        if campaign_id:
            self._attach(campaign_id, "BLOG_POST", post_id)
        if content.schedule_at is not None:
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
            scheduled_at=content.schedule_at,
            request_id=request_id,
            warnings=list(self.notices),
            metadata={
                "type": "BLOG_POST",
                "id": post_id,
                "campaign": campaign_id,
                "tagIds": post.get("tagIds"),
            },
        )

    def _tag_id(self, name: str) -> str:
        """The blog tag called ``name``, created when HubSpot has none (cached per adapter;
        under :meth:`exclusive` so activations sharing a new topic create it once)."""
        key = name.casefold()
        cached = self._tags.get(key)
        if cached is not None:
            return cached
        with self.exclusive("blog tag", key):
            if key not in self._tags:
                reply = self.api.get(TAGS, params={"name": name})
                found = [t for t in reply.get("results") or [] if str(t.get("name", "")).casefold() == key]
                if found:
                    self._tags[key] = str(found[0]["id"])
                else:
                    created = self.api.post(TAGS, self.transform("create_blog_tag", {"name": name}))
                    self._tags[key] = str(created.get("id"))
            return self._tags[key]

    def _publish_email(self, content: Content, campaign_id: str | None) -> PublishResponse:
        list_ids = self._list_ids(content)
        payload = self.hubspot_mapper.email_payload(content, campaign_id=campaign_id, list_ids=list_ids)
        try:
            reply = self.api.post(EMAILS, self.transform("create_marketing_email", payload))
        except NotFound as exc:
            template = content.email.template if content.email else None
            refs = {"email.template": template} if template else {}
            raise self._missing_reference(exc, "marketing email", refs, {}) from exc
        return self._finish_email(content, reply.body, campaign_id, list_ids, reply.request_id)

    def _finish_email(
        self,
        content: Content,
        email: dict[str, Any],
        campaign_id: str | None,
        list_ids: Sequence[str],
        request_id: str | None,
    ) -> PublishResponse:
        email_id = str(email.get("id"))
        if campaign_id:
            self._attach(campaign_id, "MARKETING_EMAIL", email_id)
            for list_id in list_ids:
                self._attach(campaign_id, "OBJECT_LIST", list_id)
        status = "draft"
        if self.hubspot_mapper.publish_email(content):
            try:
                self.api.post(f"{EMAILS}/{email_id}/publish", idempotent=True, tier=EMAIL_PUBLISH_TIER)
            except PermissionDenied as exc:
                exc.message = (
                    f"marketing email {email_id} was created as a draft but not published: {exc.message}"
                )
                raise
            status = "scheduled" if content.schedule_at is not None else "published"
        return PublishResponse(
            platform=self.name,
            external_id=email_id,
            content_id=email_id,
            status=status,
            scheduled_at=content.schedule_at if status == "scheduled" else None,
            request_id=request_id,
            warnings=list(self.notices),
            metadata={
                "type": "MARKETING_EMAIL",
                "id": email_id,
                "campaign": campaign_id,
                "lists": list(list_ids),
            },
        )

    def _list_ids(self, content: Content) -> list[str]:
        """The ILS ids of the audience's contact lists, in order."""
        audience = content.audience
        if audience is None:
            return []
        return [
            self._list_id(name, create=audience.create_missing, field=f"audience.lists[{index}]")
            for index, name in enumerate(audience.lists)
        ]

    def _list_id(self, name: str, *, create: bool, field: str = "audience.lists") -> str:
        """The ILS id of the contact list ``name``; created as a MANUAL list when ``create``.
        A list the content names that HubSpot lacks is :class:`ContentRejected` (the content
        is wrong: no fallback platform would help)."""
        if not create:
            return self._find_list_id(name, field)
        with self.exclusive("contact list", name):
            return self._find_list_id(name, field, create=True)

    def _find_list_id(self, name: str, field: str, *, create: bool = False) -> str:
        try:
            reply = self.api.get(f"{LISTS}/object-type-id/{CONTACTS}/name/{quote(name, safe='')}")
        except NotFound as exc:
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
        return str(found.get("listId"))

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

    # ----------------------------------------------------------------- replay
    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The post or email an earlier attempt created for ``content``, finished (attached,
        published or scheduled) if the attempt stopped half-way; None when there is none.
        A post is found by its slug in its blog, an email by its name (both unique per
        content): among the campaign's emails first, else among all marketing emails."""
        campaign_id = campaign.external_id if campaign else None
        if content.kind is ContentKind.BLOG_POST:
            post, request_id = self._find_post(content)
            if post is None:
                return None
            if str(post.get("state", "")).lower() in _DONE_STATES:
                return self._existing(post, "BLOG_POST", request_id)
            return self._finish_blog_post(content, post, campaign_id, request_id)
        if content.kind is ContentKind.EMAIL:
            email, request_id = self._find_email(content, campaign_id)
            if email is None:
                return None
            if str(email.get("state", "")).lower() in _DONE_STATES:
                return self._existing(email, "MARKETING_EMAIL", request_id)
            return self._finish_email(content, email, campaign_id, self._list_ids(content), request_id)
        return None

    def _find_post(self, content: Content) -> tuple[dict[str, Any] | None, str | None]:
        """The post in the content's blog whose slug is the content's slug. The filter is
        ``slug__contains`` because HubSpot may keep the slug with the blog's path in front;
        the match itself is exact (or that path plus ``/`` + the slug)."""
        blog_id = self.hubspot_mapper.blog_id(content)
        slug = self.hubspot_mapper.slug(content).strip("/")
        params = {"slug__contains": slug, "contentGroupId": blog_id, "limit": 100}
        for reply in self.api.pages(POSTS, params, _MAX_PAGES):
            for post in reply.get("results") or []:
                found = str(post.get("slug") or "").strip("/")
                same_slug = found == slug or found.endswith("/" + slug)
                if same_slug and str(post.get("contentGroupId")) == blog_id:
                    return post, reply.request_id
        return None, None

    def _find_email(
        self, content: Content, campaign_id: str | None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The marketing email named ``email_name(content)``: among the campaign's assets
        (cheap) when there is a campaign, else by paging ``GET /marketing/v3/emails``
        (newest first; HubSpot has no name filter there)."""
        name = self.hubspot_mapper.email_name(content)
        if campaign_id:
            reply = self.api.get(f"{CAMPAIGNS}/{campaign_id}/assets/MARKETING_EMAIL")
            for asset in reply.get("results") or []:
                if asset.get("name") == name:
                    return self.api.get(f"{EMAILS}/{asset.get('id')}").body, reply.request_id
        for reply in self.api.pages(EMAILS, {"limit": 100, "sort": "-createdAt"}, _EMAIL_PAGES):
            for email in reply.get("results") or []:
                if email.get("name") == name:
                    return email, reply.request_id
        return None, None

    def _existing(self, item: dict[str, Any], kind: str, request_id: str | None) -> PublishResponse:
        item_id = str(item.get("id"))
        return PublishResponse(
            platform=self.name,
            external_id=item_id,
            content_id=item_id,
            url=item.get("url"),
            status=str(item.get("state", "unknown")).lower(),
            request_id=request_id,
            metadata={"type": kind, "id": item_id, "reused": True},
        )

    # ----------------------------------------------------------------- files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each asset to ``HUBSPOT_FILES_FOLDER``; results carry the hosted URLs."""
        results: list[AssetResult] = []
        request_id = None
        for asset in assets:
            form = self.transform("upload_file", self.hubspot_mapper.file_form(asset.filename))
            mime = asset.mime_type or "application/octet-stream"

            def files(asset: Asset = asset, mime: str = mime) -> dict[str, Any]:
                return {"file": (asset.filename, asset.path.open("rb"), mime)}

            reply = self.api.request("POST", FILES, data=form, files=files)
            request_id = reply.request_id or request_id
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=str(reply.get("id")),
                    url=reply.get("url") or reply.get("defaultHostingUrl"),
                    mime_type=mime,
                    size=reply.get("size") or asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                )
            )
        return AssetsResponse(
            platform=self.name,
            status="uploaded",
            request_id=request_id,
            results=results,
            metadata={"folderPath": self.config.files_folder},
        )

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


__all__ = ["PLATFORM", "HubSpotPlatform"]

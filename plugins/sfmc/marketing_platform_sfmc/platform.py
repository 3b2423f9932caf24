"""SfmcPlatform: Salesforce Marketing Cloud Engagement (entry point ``sfmc``).

Built only on the core's public API. What maps to what:

* campaign -> a Campaigns API campaign (``/hub/v1/campaigns``), found by its
  ``campaignCode`` (derived from the name), else by its exact name, before it is created;
* email -> a Content Builder HTML email asset (assetType 208), landing page -> a web page
  asset (205, or ``SFMC_WEB_PAGE_ASSET_TYPE``); each is associated to the campaign;
* files -> Content Builder image / document assets uploaded as base64; the body uses
  their ``fileProperties.publishedURL``.

Each object's ``customerKey`` is derived from the content id (files: their SHA-256), so
it is looked up (``GET /asset/v1/content/assets?$filter=customerKey eq '..'``) before any
write: found and identical -> nothing is written; found and different -> ``PATCH`` in
place; missing -> created. Sending is not done here (no REST path sends a Content Builder
email to lists; see docs/sfmc.md). The OAuth token comes from the tenant's auth host, the
REST host from the token answer; every call goes through the core HTTP layer.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePath
from typing import Any, ClassVar

from marketing_platform.caching import TTLCache
from marketing_platform.errors import (
    Conflict,
    ContentRejected,
    MarketingPlatformError,
    PermissionDenied,
    Problem,
)
from marketing_platform.http import PlatformHTTP
from marketing_platform.mapping import placeholder
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
from marketing_platform.paging import Page, numbered_pages
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits, describe
from marketing_platform.sync import Changes, diff

from .auth import TOKEN_PATH, ClientCredentials
from .errors import BAD_QUERY, NAME_TAKEN, PLATFORM, parse
from .mapping import HTML_EMAIL, SfmcMapper, current_view, dig
from .settings import SfmcSettings

ASSETS = "/asset/v1/content/assets"
ASSET_QUERY = "/asset/v1/content/assets/query"
CATEGORIES = "/asset/v1/content/categories"
CAMPAIGNS = "/hub/v1/campaigns"
PAGE_SIZE = 50
#: Pages of campaigns read when looking one up (the Campaigns API has no name filter).
MAX_CAMPAIGN_PAGES = 200
#: Seconds a campaign found by name is reused without paging the campaigns again (per
#: adapter, on its clock; forgotten when the adapter creates one).
CAMPAIGN_TTL = 60.0
#: Look-ups after a create answered "key already used": the asset index lags behind.
ADOPT_ATTEMPTS = 4
#: Content Builder's limit for one file.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The scopes the adapter's calls need (Marketing Cloud tabulates no scope per endpoint:
#: this is our reading of the scope names, see docs/sfmc.md).
REQUIRED_SCOPES = frozenset(
    {
        "saved_content_read",
        "saved_content_write",
        "documents_and_images_read",
        "documents_and_images_write",
        "email_read",
        "email_write",
        "campaign_read",
        "campaign_write",
    }
)


def _items(data: Any) -> list[dict[str, Any]]:
    """The objects of a collection answer: ``{"items": [..]}`` or a bare array."""
    if isinstance(data, Mapping):
        data = data.get("items") or data.get("Items") or []
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _status(item: Mapping[str, Any]) -> str:
    """The core status word for an asset (Content Builder keeps ``status.name``, "Draft")."""
    name = dig(item, "status", "name")
    return str(name).strip().lower() if name else "draft"


class SfmcPlatform(MarketingPlatform):
    """The ``sfmc`` platform: Content Builder emails, web pages and files; campaigns."""

    name: ClassVar[str] = PLATFORM
    settings_model = SfmcSettings
    capabilities = frozenset(
        {Capability.EMAIL, Capability.LANDING_PAGE, Capability.PROGRAM, Capability.FILES}
    )
    #: No per-minute REST figure is published; support relays <= 2,500 calls/min
    #: (unverified). 2000/60 s and 5 concurrent calls; override with SFMC_RATE_LIMIT /
    #: SFMC_MAX_CONCURRENT. A 429's Retry-After is always obeyed.
    rate_limits = RateLimits(calls=2000, per_seconds=60, max_concurrent=5)
    mapper_class = SfmcMapper
    max_asset_bytes = MAX_FILE_BYTES

    def __init__(self, settings: SfmcSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        if not isinstance(self.settings, SfmcSettings):
            self.settings = SfmcSettings.model_validate(self.settings.model_dump())
        self.tokens = ClientCredentials(self.config, clock=self.clock)
        self._auth = self.make_http(self.config.auth_url, headers={"Accept": "application/json"})
        self.tokens.bind(self._auth)
        self._rest: PlatformHTTP | None = None
        self._rest_lock = threading.Lock()
        self._simple_query = True
        #: Campaigns found by name: ``name -> response`` (see CAMPAIGN_TTL).
        self._found_campaigns = TTLCache(self.clock, CAMPAIGN_TTL)

    @property
    def config(self) -> SfmcSettings:
        assert isinstance(self.settings, SfmcSettings)
        return self.settings

    @property
    def sfmc_mapper(self) -> SfmcMapper:
        assert isinstance(self.mapper, SfmcMapper)
        return self.mapper

    def account_key(self) -> str:
        """The tenant and business unit: ``<subdomain>/<MID or default>``."""
        return f"{self.config.subdomain}/{self.config.business_unit}"

    # ------------------------------------------------------------------- http
    def rest(self) -> PlatformHTTP:
        """The REST client: ``SFMC_REST_BASE_URL``, else the token answer's
        ``rest_instance_url`` (the first call fetches the token). Shares the auth
        host's rate budget."""
        with self._rest_lock:
            if self._rest is None:
                base = self.config.rest_base_url or self.tokens.rest_base_url()
                self._rest = self.make_http(
                    base, tokens=self.tokens, headers={"Accept": "application/json"}, budget=self._auth.budget
                )
            return self._rest

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        return self.rest().call(method, path, parse, params=params, json=json, idempotent=idempotent)

    def close(self) -> None:
        super().close()
        self._rest = None

    # ----------------------------------------------------------------- assets
    def _asset(self, asset_id: str | int) -> dict[str, Any]:
        data = self._call("GET", f"{ASSETS}/{asset_id}")
        return data if isinstance(data, dict) else {}

    def _find_asset(self, key: str) -> dict[str, Any] | None:
        """The asset whose customerKey is ``key`` in this business unit, or None.

        ``GET ...assets?$filter=customerKey eq 'key'``; a tenant that refuses that filter
        (400) is asked with the advanced query (``POST .../assets/query``, a read) from
        then on. Matched client-side, so a tenant ignoring the filter is no harm."""
        if self._simple_query:
            try:
                data = self._call(
                    "GET",
                    ASSETS,
                    params={"$filter": f"customerKey eq '{key}'", "$page": 1, "$pagesize": PAGE_SIZE},
                )
            except MarketingPlatformError as exc:
                if not (isinstance(exc, ContentRejected) or exc.code == BAD_QUERY):
                    raise
                self._simple_query = False
            else:
                return next((i for i in _items(data) if i.get("customerKey") == key), None)
        query = {
            "query": {"property": "customerKey", "simpleOperator": "equal", "value": key},
            "page": {"page": 1, "pageSize": PAGE_SIZE},
            "sort": [{"property": "id", "direction": "ASC"}],
        }
        data = self._call("POST", ASSET_QUERY, json=query, idempotent=True)
        return next((i for i in _items(data) if i.get("customerKey") == key), None)

    def _adopt(self, key: str, exc: Conflict) -> dict[str, Any]:
        """After a create answered "this customerKey is used": the asset holding it.
        Asked a few times, with backoff: Content Builder's query index lags behind."""
        for attempt in range(ADOPT_ATTEMPTS):
            found = self._find_asset(key)
            if found is not None:
                return found
            if attempt < ADOPT_ATTEMPTS - 1:
                self.sleep(float(2**attempt))
        exc.hint = (
            f"customerKey {key} is taken by an asset this business unit cannot see (another business "
            "unit of the enterprise?); customerKeys are unique across the enterprise"
        )
        raise exc

    # -------------------------------------------------------------- campaigns
    def _campaigns(self) -> Iterator[dict[str, Any]]:
        """Every campaign, page by page (the API has no name filter)."""

        def fetch(page: int) -> Page[dict[str, Any]]:
            data = self._call(
                "GET", CAMPAIGNS, params={"$page": page, "$pageSize": PAGE_SIZE, "$orderBy": "Name ASC"}
            )
            total = data.get("count") if isinstance(data, Mapping) else None
            return Page(_items(data), total=total if isinstance(total, int) else None)

        return numbered_pages(fetch, page_size=PAGE_SIZE, max_pages=MAX_CAMPAIGN_PAGES)

    def _campaign_response(
        self, item: Mapping[str, Any], *, reused: bool, warnings: list[str] | None = None
    ) -> CampaignResponse:
        return CampaignResponse(
            platform=self.name,
            external_id=str(item.get("id")),
            name=item.get("name"),
            status="reused" if reused else "created",
            reused=reused,
            warnings=list(warnings or []),
            metadata={
                "id": str(item.get("id")),
                "name": item.get("name"),
                "description": item.get("description"),
                "campaignCode": item.get("campaignCode"),
            },
        )

    def find_campaign(self, name: str) -> CampaignResponse | None:
        """The campaign whose ``campaignCode`` is this name's code, else the first one
        called exactly ``name`` (whether codes are unique is not documented). A campaign
        found is remembered for :data:`CAMPAIGN_TTL` seconds (the Campaigns API has no
        name filter: each look-up pages every campaign); a miss is not."""
        return self._found_campaigns.load(name, lambda: self._find_campaign(name))

    def _forget_campaign(self, name: str) -> None:
        self._found_campaigns.forget(name)

    def _find_campaign(self, name: str) -> CampaignResponse | None:
        code = self.sfmc_mapper.campaign_code(name)
        by_name: dict[str, Any] | None = None
        for item in self._campaigns():
            if item.get("campaignCode") == code:
                return self._campaign_response(item, reused=True)
            if by_name is None and item.get("name") == name:
                by_name = item
        return None if by_name is None else self._campaign_response(by_name, reused=True)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Find the campaign (by code, else name) or create it. The Campaigns API has no
        update: a found campaign whose description differs is reused with a warning."""
        return self.find_or_create(
            "campaign",
            campaign.name,
            lambda: self._existing_campaign(campaign),
            lambda: self._new_campaign(campaign),
        )

    def _existing_campaign(self, campaign: CampaignSpec) -> CampaignResponse | None:
        existing = self.find_campaign(campaign.name)
        if existing is not None and self.campaign_changes(campaign, existing) is None:
            note = (
                "the campaign's description differs from the content's; Marketing Cloud's "
                "Campaigns API cannot update a campaign: edit it in Marketing Cloud"
            )
            existing = existing.model_copy(update={"warnings": [*existing.warnings, note]})
        return existing

    def _new_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        self._forget_campaign(campaign.name)
        payload = self.transform("create_campaign", self.sfmc_mapper.campaign_payload(campaign))
        try:
            created = self._call("POST", CAMPAIGNS, json=payload)
        except Conflict:
            found = self.find_campaign(campaign.name)
            if found is None:
                raise
            return found
        if not isinstance(created, dict) or not created.get("id"):  # an accepted (202) empty answer
            found = self.find_campaign(campaign.name)
            if found is None:
                raise MarketingPlatformError(
                    f"Marketing Cloud accepted the campaign {campaign.name!r} but it cannot be found",
                    platform=self.name,
                    code="campaign_missing",
                    retryable=True,
                    hint="replay the activation in a minute",
                )
            return found.model_copy(update={"reused": False, "status": "created"})
        return self._campaign_response(created, reused=False)

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """``{}`` when the campaign holds this description; None otherwise (the Campaigns
        API documents no update, so the campaign is reused as it is)."""
        desired = {"description": spec.description}
        current = {"description": existing.metadata.get("description")}
        return {} if not diff(desired, current) else None

    def _campaign_links(self, campaign_id: str) -> list[dict[str, Any]]:
        return _items(self._call("GET", f"{CAMPAIGNS}/{campaign_id}/assets"))

    def _link_of(self, item: Mapping[str, Any]) -> tuple[str, str]:
        """How an asset is associated to a campaign: an email by its classic id
        (``legacyData.legacyId``) as ``EMAIL``, anything else (or an email without a
        legacy id) by its asset id as ``CMS_asset``."""
        legacy = dig(item, "legacyData", "legacyId")
        if dig(item, "assetType", "id") == HTML_EMAIL[0] and legacy:
            return "EMAIL", str(legacy)
        return "CMS_asset", str(item.get("id"))

    def _is_linked(self, campaign_id: str, item: Mapping[str, Any]) -> bool:
        kind, item_id = self._link_of(item)
        wanted = {(kind.lower(), item_id), ("cms_asset", str(item.get("id")))}
        for link in self._campaign_links(campaign_id):
            found = {str(k).lower(): v for k, v in link.items()}
            if (str(found.get("type", "")).lower(), str(found.get("itemid"))) in wanted:
                return True
        return False

    def _link(self, campaign_id: str, item: Mapping[str, Any], *, new: bool = False) -> None:
        """Associate the asset to the campaign unless it is already. ``new``: the asset
        was created by this very call of :meth:`publish_content`, so nothing can be
        associated to it yet and the campaign's associations are not read."""
        if dig(item, "assetType", "id") == HTML_EMAIL[0] and not dig(item, "legacyData", "legacyId"):
            item = self._asset(str(item.get("id"))) or item  # the create answer may lack it
        if not new and self._is_linked(campaign_id, item):
            return
        kind, item_id = self._link_of(item)
        body = self.transform("associate_asset", {"ids": [item_id], "type": kind})
        self._call("POST", f"{CAMPAIGNS}/{campaign_id}/assets", json=body)

    # ---------------------------------------------------------------- content
    def _check(self, content: Content) -> None:
        problems = self.mapper.problems(content)
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be created in Marketing Cloud: {problems[0]}",
                platform=self.name,
                problems=problems,
                hint="fix the content; nothing was sent",
            )

    def _content_response(self, content: Content, item: Mapping[str, Any]) -> PublishResponse:
        return PublishResponse(
            platform=self.name,
            external_id=str(item.get("id")),
            content_id=content.id,
            status=_status(item),
            warnings=self.sfmc_mapper.notices(content),
            metadata={
                "id": item.get("id"),
                "customerKey": item.get("customerKey"),
                "name": item.get("name"),
                "assetType": dig(item, "assetType", "id"),
                "legacyId": dig(item, "legacyData", "legacyId"),
                "category": dig(item, "category", "id"),
            },
        )

    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Create the email / web page asset (customerKey from the content id) and
        associate it to ``campaign``. It is left as a draft: nothing is sent."""
        self._check(content)
        mapper = self.sfmc_mapper
        key = mapper.content_key(content)
        payload = self.transform("create_asset", mapper.create_payload(content, assets))
        try:
            item = self._call("POST", ASSETS, json=payload)
        except Conflict as exc:
            if exc.code == NAME_TAKEN and self._find_asset(key) is None:
                exc.message = f"Content Builder already has an asset named {payload['name']!r} in that folder"
                exc.hint = (
                    "it was not made for this content: rename or move it, or change the content's title"
                )
                raise
            # Created by an earlier attempt whose answer was lost: bring it up to date.
            existing = self._content_response(content, self._adopt(key, exc))
            changes = self.content_changes(content, existing, campaign=campaign, assets=assets)
            if not changes:
                return existing
            return self.update_content(content, existing, changes, campaign=campaign, assets=assets)
        if not isinstance(item, dict) or item.get("id") is None:
            item = self._find_asset(key) or {}
        if campaign is not None and campaign.external_id:
            self._link(campaign.external_id, item, new=True)
        return self._content_response(content, item)

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The asset whose customerKey is the content's, or None (read-only)."""
        item = self._find_asset(self.sfmc_mapper.content_key(content))
        return None if item is None else self._content_response(content, item)

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """The asset's fields (title, summary, body, subject, preheader, tags, folder) that
        differ from what :meth:`publish_content` would send, and ``campaign`` when the
        asset is not associated to the content's campaign. Read-only."""
        item = self._asset(str(existing.external_id))
        changes = diff(self.sfmc_mapper.desired_view(content, assets), current_view(item, content.kind))
        if campaign is not None and campaign.external_id and not self._is_linked(campaign.external_id, item):
            changes["campaign"] = {"from": None, "to": campaign.name}
        return changes

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """``PATCH`` the asset with every field the adapter owns (when any differs), then
        associate it to the campaign when it is not."""
        self._check(content)
        asset_id = str(existing.external_id)
        item: Any = None
        if set(changes) - {"campaign"}:
            payload = self.transform("update_asset", self.sfmc_mapper.update_payload(content, assets))
            item = self._call("PATCH", f"{ASSETS}/{asset_id}", json=payload, idempotent=True)
        if not isinstance(item, dict) or item.get("id") is None:
            item = self._asset(asset_id)
        if campaign is not None and campaign.external_id:
            self._link(campaign.external_id, item)
        return self._content_response(content, item)

    # ----------------------------------------------------------------- files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Each file as a Content Builder asset (customerKey from its SHA-256): one the
        business unit already holds is reused, else it is uploaded (base64). The result's
        URL is the asset's ``publishedURL``."""
        results = [self._upload(asset) for asset in assets]
        return AssetsResponse(
            platform=self.name,
            results=results,
            status="uploaded",
            metadata={"category": self.config.category_id},
        )

    def _upload(self, asset: Asset) -> AssetResult:
        data = asset.path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise ContentRejected(
                f"{asset.filename} is larger than Content Builder's 5 MB limit",
                platform=self.name,
                code="file_too_large",
                problems=[Problem("assets", f"{asset.filename}: {len(data)} bytes > {MAX_FILE_BYTES}")],
                hint="resize or compress the file",
            )
        mapper = self.sfmc_mapper
        key = mapper.file_key(asset.sha256 or asset.filename)
        item = self._find_asset(key)
        if item is None:
            item = self._create_file(asset, key, base64.b64encode(data).decode("ascii"))
        url = dig(item, "fileProperties", "publishedURL")
        if not url and item.get("id") is not None:  # not in every answer: read it
            item = self._asset(str(item["id"]))
            url = dig(item, "fileProperties", "publishedURL")
        return AssetResult(
            name=asset.filename,
            success=bool(url),
            external_id=str(item.get("id")),
            url=url or None,
            mime_type=asset.mime_type,
            size=dig(item, "fileProperties", "fileSize") or len(data),
            alt_text=asset.alt_text,
            role=asset.role,
            error=None if url else "Marketing Cloud gave the file no publishedURL",
        )

    def _create_file(self, asset: Asset, key: str, encoded: str) -> dict[str, Any]:
        """Upload the file; a name used in the folder by other bytes gets the file's
        hash appended (``hero-1a2b3c4d.png``)."""
        payload = self.sfmc_mapper.file_payload(asset, encoded)
        try:
            created = self._call("POST", ASSETS, json=self.transform("upload_asset", payload))
        except Conflict as exc:
            if exc.code != NAME_TAKEN:
                return self._adopt(key, exc)
            if (found := self._find_asset(key)) is not None:
                return found
            path = PurePath(asset.filename)
            renamed = f"{path.stem}-{(asset.sha256 or key)[:8]}{path.suffix}"
            payload = self.sfmc_mapper.file_payload(asset, encoded, name=renamed)
            try:
                created = self._call("POST", ASSETS, json=self.transform("upload_asset", payload))
            except Conflict as again:
                return self._adopt(key, again)
        return (
            created
            if isinstance(created, dict) and created.get("id") is not None
            else (self._find_asset(key) or {})
        )

    # ----------------------------------------------------------- status/check
    def get_status(self, ref: str) -> StatusResponse:
        """``ref`` is an asset id, or ``campaign:<id>``."""
        kind, _, object_id = ref.rpartition(":")
        if kind == "campaign":
            item = self._call("GET", f"{CAMPAIGNS}/{object_id}") or {}
            return StatusResponse(
                platform=self.name, external_id=ref, status="active", metadata={"name": item.get("name")}
            )
        item = self._asset(object_id)
        return StatusResponse(
            platform=self.name,
            external_id=ref,
            status=_status(item),
            metadata={
                "name": item.get("name"),
                "customerKey": item.get("customerKey"),
                "assetType": dig(item, "assetType", "name"),
                "modifiedDate": item.get("modifiedDate"),
            },
        )

    def check(self) -> CheckResponse:
        """Read-only: fetch a token (the only POST; refused credentials raise), compare
        its scopes with what the adapter needs, read one asset, one campaign and the
        folder (each failure is reported in ``details.errors``). Writes nothing."""
        config = self.config
        details: dict[str, Any] = {
            "subdomain": config.subdomain,
            "business_unit": config.business_unit,
            "auth_base_url": config.auth_url,
            "category_id": config.category_id,
            "rate_limits": describe(self.effective_rate_limits()),
        }
        warnings: list[str] = []
        grant = self.tokens.grant()  # refused credentials raise: nothing else can be checked
        details["rest_base_url"] = str(self.rest().client.base_url).rstrip("/")
        if grant.scopes is None:
            warnings.append("the token answer lists no scopes; they could not be checked")
        else:
            missing = sorted(REQUIRED_SCOPES - grant.scopes)
            details["missing_scopes"] = missing
            if missing:
                warnings.append(
                    f"the installed package lacks the scope(s) {', '.join(missing)}: add them to its "
                    "API integration (Setup > Apps > Installed Packages)"
                )
        probes: dict[str, tuple[str, dict[str, Any]]] = {
            "content_builder": (ASSETS, {"$page": 1, "$pagesize": 1}),
            "campaigns": (CAMPAIGNS, {"$page": 1, "$pageSize": 1}),
        }
        if config.category_id is not None:
            probes["category"] = (f"{CATEGORIES}/{config.category_id}", {})
        errors: dict[str, Any] = {}
        for probe, (path, params) in probes.items():
            try:
                self._call("GET", path, params=params or None)
            except MarketingPlatformError as exc:
                errors[probe] = exc.to_dict()
                what = "SFMC_CATEGORY_ID" if probe == "category" else probe.replace("_", " ")
                reason = "permission denied" if isinstance(exc, PermissionDenied) else exc.message
                warnings.append(f"{what}: {reason}")
        if errors:
            details["errors"] = errors
        ok = not errors and not details.get("missing_scopes")
        return CheckResponse(
            platform=self.name,
            success=ok,
            ok=ok,
            status="ok" if ok else "failed",
            warnings=warnings,
            details=details,
        )

    # ------------------------------------------------------------------- plan
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The requests an activation would send (``--dry-run``); ids only a look-up
        knows are placeholders. Sends nothing (not even the token request)."""
        mapper = self.sfmc_mapper
        steps: list[dict[str, Any]] = []

        def step(method: str, path: str, **extra: Any) -> None:
            steps.append({"method": method, "path": path, **extra})

        step("POST", f"{self.config.auth_url}{TOKEN_PATH}", purpose="client-credentials token (reused)")
        for asset in content.assets:
            key = mapper.file_key(asset.sha256 or asset.filename)
            step("GET", ASSETS, purpose=f"find the file {asset.filename!r} by customerKey {key}")
            payload = mapper.file_payload(asset, f"<base64 of {asset.size or 0} bytes>")
            step("POST", ASSETS, payload=payload, only_if="not found")
        spec = mapper.campaign_spec(content)
        campaign_id = placeholder(f"id of campaign {spec.name!r}") if spec else None
        if spec is not None:
            step("GET", CAMPAIGNS, purpose=f"find campaign {spec.name!r} by campaignCode, else name")
            step("POST", CAMPAIGNS, payload=mapper.campaign_payload(spec), only_if="not found")
        key = mapper.content_key(content)
        asset_id = placeholder(f"id of asset {key}")
        step("GET", ASSETS, purpose=f"find the {content.kind.value} asset by customerKey {key}")
        step("POST", ASSETS, payload=mapper.create_payload(content), only_if="not found")
        step(
            "PATCH",
            f"{ASSETS}/{asset_id}",
            payload=mapper.update_payload(content),
            only_if="found and title, summary, body, subject, tags or folder differ",
        )
        if campaign_id is not None:
            kind = "EMAIL" if content.kind is ContentKind.EMAIL else "CMS_asset"
            link_id = placeholder("legacyData.legacyId of the email" if kind == "EMAIL" else "asset id")
            step(
                "GET",
                f"{CAMPAIGNS}/{campaign_id}/assets",
                purpose="is the asset associated already?",
                only_if="found (an asset created by this activation is associated to nothing yet)",
            )
            step(
                "POST",
                f"{CAMPAIGNS}/{campaign_id}/assets",
                payload={"ids": [link_id], "type": kind},
                only_if="not associated",
            )
        for note in mapper.notices(content):
            steps.append({"note": note})
        return steps


__all__ = ["PLATFORM", "SfmcPlatform"]

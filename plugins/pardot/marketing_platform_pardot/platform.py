"""PardotPlatform: Marketing Cloud Account Engagement (Pardot) through the v5 API.

Built only on the core's public API (entry point ``pardot``). Every request goes
through the core :class:`PlatformHTTP` (rate budget of 4 concurrent calls and the
daily quota, retries, one token refresh on code 184) and carries the
``Pardot-Business-Unit-Id`` header; every JSON body passes the payload hooks first.

What it does (see ``docs/pardot.md``):

* campaign -> an **existing** campaign found by exact name (v5 cannot create campaigns;
  a missing one is ContentRejected saying how to create it in Salesforce);
* email -> a list email to the named lists. **Creating a list email sends it** and v5
  has no idempotency key, so: the email is looked up by name (the content id, recycle
  bin included) before every create; after a create the adapter waits until the
  look-up sees it (queries may lag writes by 60 s); after an answer that may have come
  after the send (a timeout, a 5xx, code 183/214) it looks it up for over 60 s before
  giving up, and never repeats the POST. A found list email is never sent again;
* every other create (list, email template, layout template, landing page, file) goes
  through the same :meth:`PardotPlatform._create_once`: a lost answer is followed by
  look-ups past the read lag (the record, when found, is adopted), a confirmed create
  by the wait until it is visible (a look-up failing then on a limit or the network is
  a warning, not an error);
* email with ``pardot: {as_template: true}`` -> an email template, updated in place;
* landing page -> a layout template holding the HTML (updated in place) + a landing
  page using it (v5 cannot update landing pages);
* files -> the files object (multipart), named ``<stem>-<sha256[:8]><ext>`` and reused
  when already there; their URL goes into the body;
* folders (``PARDOT_FOLDER`` or ``pardot.folder``) by path; v5 cannot create them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from marketing_platform.caching import TTLCache
from marketing_platform.errors import (
    ConfigurationError,
    Conflict,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.inline import local_images
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
from marketing_platform.platform import MarketingPlatform
from marketing_platform.ratelimit import RateLimits, describe
from marketing_platform.redaction import MASK
from marketing_platform.sync import Changes, diff

from . import api as v5
from .api import PardotAPI, Reply
from .auth import SalesforceOAuth
from .errors import UNSUPPORTED_QUERY_CODES
from .mapping import EMAIL_FIELDS, PardotMapper, layout_parts, normalise_html, user_view
from .settings import DEFAULT_LIMITS, PLATFORM, PardotSettings

log = logging.getLogger("marketing_platform.pardot")

#: Queries may lag writes by this many seconds (v5 overview: reads come from a cache).
READ_LAG_SECONDS = 60.0
#: How long a look-up is repeated for a record just made (or maybe made): past the lag.
LOOKUP_SECONDS = READ_LAG_SECONDS + 5.0
LOOKUP_INTERVAL = 5.0
MAX_FILE_BYTES = 50 * 1024 * 1024

CAMPAIGN_FIELDS = "id,name,folderId,cost,salesforceId,isDeleted"
#: Seconds a campaign found by name is reused by one adapter (on its clock) before it is
#: looked up again; v5 cannot create, rename or delete campaigns, so only a change made
#: in Salesforce within that time goes unseen. A miss is never remembered.
CAMPAIGN_TTL = 60.0
LIST_EMAIL_FIELDS = "id,name,isSent,isPaused,isDeleted,sentAt,campaignId,createdAt"
#: List email fields compared on re-activation: the body fields are "not queryable"
#: (v5), readable by id on one reading of the docs; if not, the email is not compared.
LIST_EMAIL_COMPARED = "id,subject,htmlMessage,textMessage,campaignId"
TEMPLATE_FIELDS = "id,name,isDeleted"
TEMPLATE_COMPARED = "id,name,subject,htmlMessage,textMessage,campaignId,folderId,senderOptions,replyToOptions"
PAGE_FIELDS = "id,name,url,campaignId,layoutTemplateId,folderId,isDeleted"
LAYOUT_FIELDS = "id,name,layoutContent,folderId,isDeleted"
FILE_FIELDS = "id,name,url,size,isDeleted"
LIST_FIELDS = "id,name,isDynamic,isDeleted"
FOLDER_FIELDS = "id,name,path,parentFolderId"

_KINDS = {
    "list_email": v5.LIST_EMAILS,
    "landing_page": v5.LANDING_PAGES,
    "email_template": v5.EMAIL_TEMPLATES,
}
_CAMPAIGN_EXTRAS = ("description", "start_date", "end_date", "costs", "tags")
_NOT_UPDATABLE_EMAIL = (
    "a Pardot list email cannot be changed or cancelled through the v5 API once created (creating it "
    "queued the send): edit or delete it in Account Engagement (Content > Emails), or give the content "
    "a new id to send a new email"
)
_NOT_UPDATABLE_PAGE = (
    "a Pardot landing page cannot be updated through the v5 API: change its campaign or layout in "
    "Account Engagement, or give the content a new id to make a new page"
)


def _timestamp(value: Any) -> datetime | None:
    """A v5 datetime (ISO 8601 with offset) in UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ref(kind: str, object_id: Any) -> str:
    return f"{kind}:{object_id}"


def _not_deleted(value: dict[str, Any]) -> bool:
    return not value.get("isDeleted")


def _local_images(content: Content) -> list[Problem]:
    """A body that still names local image files (the pipeline replaces each with its
    uploaded URL): sent as it is, the email would show broken images for good."""
    return [
        Problem("body", f"the image {ref!r} is a local file, not an uploaded URL")
        for ref in local_images(content.body)
    ]


def _same_file(size: int | None) -> Callable[[dict[str, Any]], bool]:
    """Match a file of the same (hashed) name that is not deleted and has ``size`` bytes."""

    def match(value: dict[str, Any]) -> bool:
        return _not_deleted(value) and (size is None or value.get("size") in (None, size))

    return match


def _note(warnings: list[str] | None, message: str) -> None:
    """Log ``message`` and add it to ``warnings`` (when the caller collects them)."""
    log.warning("%s", message)
    if warnings is not None:
        warnings.append(message)


def _object_id(existing: PublishResponse, key: str = "id") -> int:
    """The numeric id ``find_content`` put in ``existing.metadata[key]``."""
    value = existing.metadata.get(key)
    if value is None:
        raise NotFound(f"{existing.external_id} carries no {key}", platform=PLATFORM, code="not_found")
    return int(value)


class PardotPlatform(MarketingPlatform):
    """Account Engagement (Pardot) v5. Needs PARDOT_CLIENT_ID / _CLIENT_SECRET (and a
    business unit id for every call)."""

    name = PLATFORM
    settings_model = PardotSettings
    capabilities = frozenset(
        {
            Capability.EMAIL,
            Capability.LANDING_PAGE,
            Capability.FILES,
            Capability.LISTS,
            Capability.TEMPLATES,
            Capability.SCHEDULING,
        }
    )
    rate_limits = DEFAULT_LIMITS
    mapper_class = PardotMapper
    max_asset_bytes = MAX_FILE_BYTES

    def __init__(self, settings: PardotSettings | None = None, **options: Any) -> None:
        super().__init__(settings, **options)
        if not isinstance(self.settings, PardotSettings):
            self.settings = PardotSettings.model_validate(self.settings.model_dump())
        config = self.config
        origin, token_path = config.token_endpoint()
        self.tokens = SalesforceOAuth(
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
            token_path=token_path,
        )
        http = self.make_http(config.base_url, tokens=self.tokens, headers={"Accept": "application/json"})
        # The token host is Salesforce's: its calls are not counted against the budget.
        self.tokens.bind(self.make_http(origin, budget=http.budget, headers={"Accept": "application/json"}))
        self.api = PardotAPI(http, config)
        self._lists: dict[str, int] = {}
        self._folders: dict[str, int] = {}
        self._campaigns = TTLCache(self.clock, CAMPAIGN_TTL)  # name -> the campaign found

    @property
    def config(self) -> PardotSettings:
        assert isinstance(self.settings, PardotSettings)
        return self.settings

    @property
    def pardot_mapper(self) -> PardotMapper:
        assert isinstance(self.mapper, PardotMapper)
        return self.mapper

    def effective_rate_limits(self) -> RateLimits:
        """4 concurrent calls, 300 a minute, the edition's daily calls (Growth's 25,000
        unless PARDOT_EDITION says otherwise), then the PARDOT_RATE_LIMIT /
        _MAX_CONCURRENT / _DAILY_QUOTA overrides."""
        return self.config.limits().overridden_by(self.config)

    def account_key(self) -> str:
        """The business unit: files uploaded to one are not in another."""
        return self.config.business_unit_id or super().account_key()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # ------------------------------------------------------------- campaigns
    def _campaign_response(self, item: dict[str, Any], warnings: list[str] | None = None) -> CampaignResponse:
        return CampaignResponse(
            platform=self.name,
            external_id=str(item.get("id")),
            name=item.get("name"),
            status="active",
            reused=True,
            warnings=list(warnings or []),
            metadata={
                "id": item.get("id"),
                "salesforceId": item.get("salesforceId"),
                "folderId": item.get("folderId"),
                "cost": item.get("cost"),
            },
        )

    def find_campaign(self, name: str) -> CampaignResponse | None:
        """The campaign called exactly ``name`` (not in the recycle bin); one found is
        remembered for :data:`CAMPAIGN_TTL` seconds (a bulk sharing a campaign looks it
        up once)."""
        item: dict[str, Any] | None = self._campaigns.load(
            name, lambda: self.api.find_by_name(v5.CAMPAIGNS, name, CAMPAIGN_FIELDS, match=_not_deleted)
        )
        return None if item is None else self._campaign_response(item)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """The existing campaign called ``campaign.name`` (always ``reused``): v5 cannot
        create campaigns, so a missing one is ContentRejected saying how to make it."""
        existing = self.find_campaign(campaign.name)
        if existing is None:
            raise ContentRejected(
                f"Account Engagement has no campaign named {campaign.name!r}, and its v5 API cannot "
                "create campaigns",
                platform=self.name,
                code="campaign_not_found",
                problems=[Problem("campaign.name", f"no Pardot campaign is named {campaign.name!r}")],
                hint="create the Campaign in Salesforce (Campaigns tab > New; with Connected Campaigns it "
                "appears in Account Engagement after sync) or in Account Engagement, then activate again; "
                "or drop `campaign:` from the content and set PARDOT_CAMPAIGN_ID",
            )
        extras = [name for name in _CAMPAIGN_EXTRAS if getattr(campaign, name)]
        if extras:
            note = (
                f"the campaign's {', '.join(extras)} are not sent: a connected campaign's details live "
                "on the Salesforce Campaign record"
            )
            existing = existing.model_copy(update={"warnings": [*existing.warnings, note]})
        return existing

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """``{}`` when the spec is just the name (found by it, so it matches); None when
        it carries description, dates, costs or tags, which v5 can neither read nor
        change (the campaign is ``reused``)."""
        if any(getattr(spec, name) for name in _CAMPAIGN_EXTRAS):
            return None
        return {}

    def _campaign_id(
        self, content: Content, campaign: CampaignResponse | None, *, lookup: bool
    ) -> int | None:
        """The Pardot campaign id for ``content``: the pipeline's campaign, else the
        content's campaign found by name (when ``lookup``), else PARDOT_CAMPAIGN_ID."""
        if campaign is not None and campaign.external_id:
            return int(campaign.external_id)
        spec = self.mapper.campaign_spec(content)
        if spec is not None and lookup:
            return int(str(self.create_campaign(spec).external_id))
        return self.config.campaign_id

    # ------------------------------------------------------------- folders
    def _folder_id(self, content: Content | None) -> int | None:
        """The folder id of ``pardot.folder`` (content) or PARDOT_FOLDER, found by path."""
        path = self.pardot_mapper.folder_path(content) if content is not None else self.config.folder
        if path is None:
            return None
        if path in self._folders:
            return self._folders[path]
        for folder in self.api.query(v5.FOLDERS, FOLDER_FIELDS, {"orderBy": "id ASC"}):
            if "/" + str(folder.get("path") or "").strip("/") == path:
                self._folders[path] = int(folder["id"])
                return self._folders[path]
        from_content = content is not None and bool(self.pardot_mapper.options(content).get("folder"))
        message = f"Account Engagement has no folder {path!r} (the v5 API cannot create folders)"
        if from_content:
            raise ContentRejected(
                message,
                platform=self.name,
                code="folder_not_found",
                problems=[Problem("pardot.folder", f"no Pardot folder has the path {path!r}")],
                hint="create the folder in Account Engagement or fix pardot.folder",
            )
        raise ConfigurationError(
            message,
            platform=self.name,
            code="folder_not_found",
            hint="create the folder in Account Engagement or fix PARDOT_FOLDER (a path like /Emails/News)",
        )

    # ---------------------------------------------------------------- lists
    def _list_ids(self, content: Content) -> list[int]:
        audience = content.audience
        names = self.pardot_mapper.list_names(content)
        create = bool(audience and audience.create_missing)
        return [
            self._list_id(name, create=create, field=f"audience.lists[{i}]") for i, name in enumerate(names)
        ]

    def _list_id(self, name: str, *, create: bool, field: str) -> int:
        if name in self._lists:
            return self._lists[name]

        def find() -> dict[str, Any] | None:
            return self.api.find_by_name(v5.LISTS, name, LIST_FIELDS, match=_not_deleted)

        def make() -> dict[str, Any]:
            body = self.transform("create_list", {"name": name, "isPublic": False, "isDynamic": False})
            item, _ = self._create_once(
                "list", v5.LISTS, name, lambda: self.api.create(v5.LISTS, body, LIST_FIELDS), find
            )
            return item

        found = find()
        if found is None and create:
            found = self.find_or_create("list", name, find, make)
        if found is None:
            raise ContentRejected(
                f"Account Engagement has no list named {name!r}",
                platform=self.name,
                code="list_not_found",
                problems=[Problem(field, f"no Pardot list is named {name!r}")],
                hint="create the list in Account Engagement, fix audience.lists, or set "
                "audience.create_missing: true",
            )
        self._lists[name] = int(found["id"])
        return self._lists[name]

    def _template_id(self, content: Content) -> int | None:
        name = self.pardot_mapper.template_name(content)
        if not name:
            return None
        found = self.api.find_by_name(v5.EMAIL_TEMPLATES, name, TEMPLATE_FIELDS, match=_not_deleted)
        if found is None:
            raise ContentRejected(
                f"Account Engagement has no email template named {name!r}",
                platform=self.name,
                code="template_not_found",
                problems=[Problem("email.template", f"no Pardot email template is named {name!r}")],
                hint="create the template in Account Engagement or fix email.template",
            )
        return int(found["id"])

    # ------------------------------------------------------------ look-ups
    def _await_visible(
        self, collection: str, name: str, object_id: int | None, *, deleted: str | None = None
    ) -> bool:
        """Wait (injected sleep) until the name look-up sees ``object_id``: v5 queries
        lag writes by up to a minute, and a re-run within it must find the record.
        False when it is still unseen after :data:`LOOKUP_SECONDS`; a failing look-up
        raises (:meth:`_create_once` turns either into a warning)."""
        if object_id is None:
            return False
        found = self._poll(
            lambda: self.api.find_by_name(
                collection, name, "id,name", deleted=deleted, match=lambda v: v.get("id") == object_id
            )
        )
        return found is not None

    def _create_once(
        self,
        what: str,
        collection: str,
        name: str,
        create: Callable[[], Reply],
        find: Callable[[], dict[str, Any] | None],
        *,
        warnings: list[str] | None = None,
        deleted: str | None = None,
    ) -> tuple[dict[str, Any], Reply | None]:
        """``create()`` (one POST, never repeated: v5 has no idempotency key) and the
        record it made: ``(item, reply)``, ``reply`` None when the record was adopted.

        * The answer was lost after the POST may have made the record (a timeout, a
          reset, a 5xx, code 183/214): ``find()`` (the look-up by name) is repeated past
          the read lag and what it finds is adopted (a warning says so); when nothing
          shows, the error is raised with a hint to replay.
        * The create was answered (the record exists and its id is known): wait until
          the name look-up sees it, so a re-run within the lag finds it. A look-up that
          still misses it, or fails for a passing reason (a rate limit such as the daily
          122, the network, a 5xx), is a warning, not an error.

        Warnings go to ``warnings`` (when given) and the log."""
        try:
            reply = create()
        except MarketingPlatformError as exc:
            if not exc.after_send:
                raise
            # The answer was lost after the POST may have made the record: look it up
            # past the read lag instead of making it again.
            found = self._poll(find)
            if found is None:
                exc.hint = (
                    f"no {what} {name!r} appeared within {LOOKUP_SECONDS:.0f} s, so it was not created; "
                    f"replay the activation (it looks the {what} up first)"
                )
                raise
            _note(warnings, f"the create's answer was lost; the {what} was found by name")
            return found, None
        object_id = reply.object_id
        failure = ""
        try:
            visible = self._await_visible(collection, name, object_id, deleted=deleted)
        except (RateLimitError, PlatformUnavailable) as exc:
            # A passing failure (a limit, the network): the record exists all the same.
            # A refusal (a permission, the token) still raises: the look-ups every
            # create relies on cannot work, and someone has to fix that.
            visible, failure = False, f" (the look-up failed: {exc.message})"
        if not visible:
            again = "send it again" if collection == v5.LIST_EMAILS else "create it again"
            _note(
                warnings,
                f"{what} {object_id} is not yet visible to look-ups{failure}: do not activate this "
                f"content again for a minute (a re-run that cannot see it would {again})",
            )
        return {"name": name, **reply.body, "id": object_id}, reply

    def _poll(self, find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
        """``find()`` until it finds something or :data:`LOOKUP_SECONDS` have passed."""
        deadline = self.clock() + LOOKUP_SECONDS
        while True:
            found = find()
            if found is not None or self.clock() >= deadline:
                return found
            self.sleep(LOOKUP_INTERVAL)

    def _find_list_email(self, content: Content) -> dict[str, Any] | None:
        """The list email named after ``content``, in the recycle bin too: a deleted list
        email was still sent."""
        name = self.pardot_mapper.object_name(content)
        return self.api.find_by_name(v5.LIST_EMAILS, name, LIST_EMAIL_FIELDS, deleted="all")

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        mapper = self.pardot_mapper
        name = mapper.object_name(content)
        if content.kind is ContentKind.EMAIL and not mapper.as_template(content):
            item = self._find_list_email(content)
            return None if item is None else self._list_email_response(content, item)
        if content.kind is ContentKind.EMAIL:
            item = self.api.find_by_name(v5.EMAIL_TEMPLATES, name, TEMPLATE_FIELDS, match=_not_deleted)
            return None if item is None else self._template_response(content, item)
        if content.kind is ContentKind.LANDING_PAGE:
            item = self.api.find_by_name(v5.LANDING_PAGES, name, PAGE_FIELDS, match=_not_deleted)
            return None if item is None else self._page_response(content, item)
        return None

    # ------------------------------------------------------------ responses
    def _list_email_response(
        self, content: Content, item: dict[str, Any], *, warnings: Sequence[str] = ()
    ) -> PublishResponse:
        """A list email as found: ``sent`` (with sent_at) once Account Engagement says so,
        else ``scheduled`` (v5 does not return ``scheduledTime``). v5 does not return the
        recipients either: ``recipients`` are the lists the content names."""
        sent_at = _timestamp(item.get("sentAt"))
        sent = bool(item.get("isSent")) or sent_at is not None
        notes = list(warnings)
        if not sent:
            notes.append(
                f"list email {item.get('id')} is queued to send; v5 returns neither its send time nor a "
                "way to change or cancel it (a changed schedule_at is not applied)"
            )
        return PublishResponse(
            platform=self.name,
            external_id=_ref("list_email", item.get("id")),
            content_id=content.id,
            status="sent" if sent else "scheduled",
            sent_at=sent_at,
            recipients=self.pardot_mapper.list_names(content),
            warnings=notes,
            metadata={
                "type": "list_email",
                "id": item.get("id"),
                "name": item.get("name"),
                "isPaused": item.get("isPaused"),
                "isDeleted": item.get("isDeleted"),
                "recipients_from": "content (v5 does not return a list email's lists)",
            },
        )

    def _template_response(
        self, content: Content, item: dict[str, Any], *, warnings: Sequence[str] = ()
    ) -> PublishResponse:
        return PublishResponse(
            platform=self.name,
            external_id=_ref("email_template", item.get("id")),
            content_id=content.id,
            status="draft",
            warnings=list(warnings),
            metadata={"type": "email_template", "id": item.get("id"), "name": item.get("name")},
        )

    def _page_response(
        self, content: Content, item: dict[str, Any], *, warnings: Sequence[str] = ()
    ) -> PublishResponse:
        return PublishResponse(
            platform=self.name,
            external_id=_ref("landing_page", item.get("id")),
            content_id=content.id,
            status="published",
            url=item.get("url") or None,
            warnings=list(warnings),
            metadata={
                "type": "landing_page",
                "id": item.get("id"),
                "name": item.get("name"),
                "layoutTemplateId": item.get("layoutTemplateId"),
                "campaignId": item.get("campaignId"),
                "folderId": item.get("folderId"),
            },
        )

    # ------------------------------------------------------------- publish
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Create the content's object (called only when :meth:`find_content` found
        none). For a list email that means sending it."""
        problems = self.mapper.problems(content) + _local_images(content)
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be published on Pardot: {problems[0]}",
                platform=self.name,
                problems=problems,
                hint="fix the content; nothing was sent",
            )
        if content.kind is ContentKind.LANDING_PAGE:
            return self._create_page(content, campaign)
        if self.pardot_mapper.as_template(content):
            return self._create_template(content, campaign)
        return self._send_list_email(content, campaign)

    def _list_email_payload(
        self, content: Content, campaign: CampaignResponse | None, *, resolve: bool
    ) -> dict[str, Any]:
        """The list email body. ``resolve``: look lists, template and folder up (and
        create missing lists when the content allows); else only what a compare needs."""
        mapper = self.pardot_mapper
        payload = mapper.list_email_payload(
            content,
            campaign_id=self._campaign_id(content, campaign, lookup=resolve),
            list_ids=list(self._list_ids(content)) if resolve else [],
            template_id=self._template_id(content) if resolve else None,
            folder_id=self._folder_id(content) if resolve else None,
            now=self._now(),
        )
        return self.transform("create_list_email", payload)

    def _send_list_email(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse:
        payload = self._list_email_payload(content, campaign, resolve=True)
        name = self.pardot_mapper.object_name(content)
        started = self.clock()
        warnings: list[str] = []
        item, reply = self._create_once(
            "list email",
            v5.LIST_EMAILS,
            name,
            lambda: self._create_list_email(payload, warnings),
            lambda: self._find_list_email(content),
            warnings=warnings,
            deleted="all",
        )
        if reply is None:  # the answer was lost; the list email was found by name
            return self._list_email_response(content, item, warnings=warnings)
        scheduled = "scheduledTime" in payload and not item.get("isSent")
        return PublishResponse(
            platform=self.name,
            external_id=_ref("list_email", reply.object_id),
            content_id=content.id,
            status="scheduled" if scheduled else "sent",
            scheduled_at=content.schedule_at.astimezone(UTC) if scheduled and content.schedule_at else None,
            sent_at=None
            if scheduled
            else (_timestamp(item.get("sentAt")) or datetime.fromtimestamp(started, UTC)),
            recipients=self.pardot_mapper.list_names(content),
            request_id=reply.location,
            warnings=warnings,
            metadata={
                "type": "list_email",
                "id": reply.object_id,
                "name": name,
                "campaignId": payload.get("campaignId"),
                "recipientListIds": payload.get("recipientListIds"),
            },
        )

    def _create_list_email(self, payload: dict[str, Any], warnings: list[str]) -> Reply:
        """``POST /list-emails`` once. ``folderId`` on a list email is unverified: when
        Account Engagement rejects that property (nothing was created), it is dropped."""
        fields = "id,name,isSent,isPaused,sentAt"
        try:
            return self.api.create(v5.LIST_EMAILS, payload, fields)
        except ContentRejected as exc:
            rejected_folder = "folderId" in payload and "folderid" in exc.message.lower()
            if not rejected_folder or exc.code not in {"153", "154"}:
                raise
        warnings.append(
            "Account Engagement does not take folderId on list emails; it went to the default folder"
        )
        return self.api.create(v5.LIST_EMAILS, {k: v for k, v in payload.items() if k != "folderId"}, fields)

    def _template_payload(
        self, content: Content, campaign: CampaignResponse | None, *, lookup: bool
    ) -> dict[str, Any]:
        payload = self.pardot_mapper.email_template_payload(
            content,
            campaign_id=self._campaign_id(content, campaign, lookup=lookup),
            folder_id=self._folder_id(content),
        )
        return self.transform("email_template", payload)

    def _create_template(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse:
        payload = self._template_payload(content, campaign, lookup=True)
        name = payload["name"]
        warnings: list[str] = []
        item, _ = self._create_once(
            "email template",
            v5.EMAIL_TEMPLATES,
            name,
            lambda: self.api.create(v5.EMAIL_TEMPLATES, payload, TEMPLATE_FIELDS),
            lambda: self.api.find_by_name(v5.EMAIL_TEMPLATES, name, TEMPLATE_FIELDS, match=_not_deleted),
            warnings=warnings,
        )
        return self._template_response(content, item, warnings=warnings)

    def _layout_payload(self, content: Content) -> dict[str, Any]:
        payload = self.pardot_mapper.layout_template_payload(content, folder_id=self._folder_id(content))
        return self.transform("layout_template", payload)

    def _create_page(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse:
        """The layout template (found by name, e.g. made by an attempt that stopped
        half-way, and brought up to date; else created), then the landing page."""
        mapper = self.pardot_mapper
        name = mapper.object_name(content)
        warnings: list[str] = []
        if content.landing_page and content.landing_page.template:
            warnings.append(
                f"landing_page.template {content.landing_page.template!r} is not used: the page's "
                "layout template holds the content's HTML"
            )
        layout_payload = self._layout_payload(content)
        layout = self.api.find_by_name(v5.LAYOUT_TEMPLATES, name, LAYOUT_FIELDS, match=_not_deleted)
        if layout is None:
            made, _ = self._create_once(
                "layout template",
                v5.LAYOUT_TEMPLATES,
                name,
                lambda: self.api.create(v5.LAYOUT_TEMPLATES, layout_payload, "id,name"),
                lambda: self.api.find_by_name(v5.LAYOUT_TEMPLATES, name, LAYOUT_FIELDS, match=_not_deleted),
                warnings=warnings,
            )
            layout_id = made.get("id")
        else:
            layout_id = int(layout["id"])
            if normalise_html(layout.get("layoutContent")) != normalise_html(layout_payload["layoutContent"]):
                self.api.update(
                    v5.LAYOUT_TEMPLATES, layout_id, {"layoutContent": layout_payload["layoutContent"]}, "id"
                )
        assert layout_id is not None
        page_payload = self.transform(
            "create_landing_page",
            mapper.landing_page_payload(
                content,
                campaign_id=self._campaign_id(content, campaign, lookup=True),
                layout_template_id=layout_id,
                folder_id=self._folder_id(content),
            ),
        )
        made, _ = self._create_once(
            "landing page",
            v5.LANDING_PAGES,
            name,
            lambda: self.api.create(v5.LANDING_PAGES, page_payload, PAGE_FIELDS),
            lambda: self.api.find_by_name(v5.LANDING_PAGES, name, PAGE_FIELDS, match=_not_deleted),
            warnings=warnings,
        )
        return self._page_response(content, {**page_payload, **made}, warnings=warnings)

    # ---------------------------------------------------------------- sync
    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """What differs between the object found and what a create would send now
        (read-only). A list email is compared on subject, body, text and campaign when
        Account Engagement returns its body (else None: it is ``reused`` as it is)."""
        kind = existing.metadata.get("type")
        object_id = _object_id(existing)
        if kind == "list_email":
            desired = self._list_email_payload(content, campaign, resolve=False)
            try:
                current = self.api.read(v5.LIST_EMAILS, object_id, LIST_EMAIL_COMPARED).body
            except MarketingPlatformError as exc:
                if exc.code in UNSUPPORTED_QUERY_CODES:
                    return None  # the body is not readable on this reading of the docs
                raise
            compared = {k: desired.get(k) for k in ("subject", "htmlMessage", "textMessage", "campaignId")}
            return diff(user_view(compared), user_view(current))
        if kind == "email_template":
            desired = self._template_payload(content, campaign, lookup=False)
            current = self.api.read(v5.EMAIL_TEMPLATES, object_id, TEMPLATE_COMPARED).body
            return diff(user_view(desired), user_view(current))
        if kind == "landing_page":
            return self._page_changes(content, existing, campaign)
        return None

    def _page_changes(
        self, content: Content, existing: PublishResponse, campaign: CampaignResponse | None
    ) -> Changes:
        layout_id = existing.metadata.get("layoutTemplateId")
        layout = self.api.read(v5.LAYOUT_TEMPLATES, layout_id, LAYOUT_FIELDS).body if layout_id else {}
        desired = layout_parts(self._layout_payload(content)["layoutContent"]) or {}
        held = str(layout.get("layoutContent") or "")
        current = layout_parts(held) or {"body": normalise_html(held)}
        changes = diff(desired, current)
        want_campaign = self._campaign_id(content, campaign, lookup=False)
        have_campaign = existing.metadata.get("campaignId")
        if want_campaign is not None and have_campaign != want_campaign:
            changes["campaign"] = {"from": have_campaign, "to": want_campaign}
        ours = self.pardot_mapper.object_name(content)
        if layout.get("name") != ours:
            changes["layout"] = {"from": layout.get("name"), "to": ours}
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
        """Apply ``changes`` in place where v5 allows: an email template (PATCH), a
        landing page's HTML (PATCH its layout template). A queued list email and a
        landing page's campaign or layout cannot change: Conflict, nothing written."""
        kind = existing.metadata.get("type")
        object_id = _object_id(existing)
        fields = ", ".join(sorted(changes))
        unlinked = _local_images(content)
        if unlinked:
            raise ContentRejected(
                f"{content.id} cannot be updated on Pardot: {unlinked[0]}",
                platform=self.name,
                problems=unlinked,
                hint="fix the content; nothing was written",
            )
        if kind == "list_email":
            raise Conflict(
                f"{content.id}: list email {object_id} differs in {fields} but is already queued to send",
                platform=self.name,
                code="list_email_immutable",
                hint=_NOT_UPDATABLE_EMAIL,
            )
        if kind == "email_template":
            desired = self._template_payload(content, campaign, lookup=True)
            by_user = {user: api for api, user in EMAIL_FIELDS.items()}
            body = {
                by_user[f]: desired[by_user[f]] for f in changes if f in by_user and by_user[f] in desired
            }
            self.api.update(v5.EMAIL_TEMPLATES, object_id, body, TEMPLATE_FIELDS)
            return self._template_response(content, {"id": object_id, "name": desired["name"]})
        if kind == "landing_page":
            blocked = sorted({"campaign", "layout"} & set(changes))
            if blocked:
                raise Conflict(
                    f"{content.id}: landing page {object_id} differs in {', '.join(blocked)}",
                    platform=self.name,
                    code="landing_page_immutable",
                    hint=_NOT_UPDATABLE_PAGE,
                )
            layout_id = _object_id(existing, "layoutTemplateId")
            document = self._layout_payload(content)["layoutContent"]
            self.api.update(v5.LAYOUT_TEMPLATES, layout_id, {"layoutContent": document}, "id")
            return existing.model_copy(update={"warnings": []})
        raise NotFound(f"cannot update a {kind!r} object", platform=self.name, code="kind")

    # ---------------------------------------------------------------- files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each asset to the files object (reusing a file of the same hashed name
        already there); results carry the public URL the body should use."""
        results: list[AssetResult] = []
        warnings: list[str] = []
        folder_id = self._folder_id(None)
        for asset in assets:
            name = self.pardot_mapper.file_name(asset)

            def find(name: str = name, size: int | None = asset.size) -> dict[str, Any] | None:
                return self.api.find_by_name(v5.FILES, name, FILE_FIELDS, match=_same_file(size))

            found = find()
            if found is None:
                form = self.transform(
                    "upload_file", self.pardot_mapper.file_input(asset, folder_id=folder_id)
                )
                mime = asset.mime_type or "application/octet-stream"

                def files(asset: Asset = asset, mime: str = mime, form: dict[str, Any] = form) -> list[Any]:
                    return [
                        ("file", (form.get("name") or asset.filename, asset.path.open("rb"), mime)),
                        ("input", (None, json.dumps(form), "application/json")),
                    ]

                found, _ = self._create_once(
                    "file",
                    v5.FILES,
                    name,
                    lambda: self.api.upload(files, FILE_FIELDS),
                    find,
                    warnings=warnings,
                )
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=str(found.get("id")),
                    url=found.get("url"),
                    mime_type=asset.mime_type,
                    size=found.get("size") or asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                )
            )
        return AssetsResponse(platform=self.name, results=results, status="uploaded", warnings=warnings)

    # --------------------------------------------------------------- status
    def get_status(self, ref: str) -> StatusResponse:
        """``list_email:ID``, ``landing_page:ID``, ``email_template:ID``, or a bare id
        (tried as each in turn)."""
        kind, _, object_id = ref.rpartition(":")
        kinds = [kind] if kind in _KINDS else list(_KINDS)
        for index, candidate in enumerate(kinds):
            fields = {"list_email": LIST_EMAIL_FIELDS, "landing_page": PAGE_FIELDS}.get(
                candidate, TEMPLATE_FIELDS
            )
            try:
                item = self.api.read(_KINDS[candidate], object_id, fields).body
            except NotFound:
                if index == len(kinds) - 1:
                    raise
                continue
            if candidate == "list_email":
                status = "sent" if item.get("isSent") or item.get("sentAt") else "scheduled"
            else:
                status = "published" if candidate == "landing_page" else "draft"
            if item.get("isDeleted"):
                status = "deleted"
            return StatusResponse(
                platform=self.name,
                external_id=ref,
                status=status,
                url=item.get("url") or None,
                metadata={"type": candidate, **item},
            )
        raise NotFound(f"no Pardot object {ref!r}", platform=self.name, code="not_found")  # pragma: no cover

    # ---------------------------------------------------------------- check
    def check(self) -> CheckResponse:
        """Read-only: a token, the account's API usage (``GET /account``), the configured
        campaign and folder. Reports a missing business unit, scope or permission."""
        config = self.config
        details: dict[str, Any] = {
            "base_url": config.base_url,
            "token_url": config.token_url,
            "auth": config.auth_mode,
            "business_unit_id": config.business_unit_id or "missing",
            "rate_limits": describe(self.effective_rate_limits()),
        }
        warnings: list[str] = []
        if config.auth_mode == "client_credentials" and config.token_host_is_generic:
            warnings.append(
                "the client credentials flow is documented on the org's My Domain; if the token request "
                "fails, set PARDOT_TOKEN_URL=https://<domain>.my.salesforce.com (or use a refresh token)"
            )
        try:
            config.require_business_unit()
            grant = self.tokens.grant()
            scopes = grant.scope.split() if grant.scope else None
            details["scopes"] = scopes
            if scopes is not None and not {"pardot_api", "full"} & set(scopes):
                warnings.append("the token lacks the pardot_api scope: add it to the connected app")
            self._check_usage(details, warnings)
            if config.campaign_id is not None:
                campaign = self.api.read(v5.CAMPAIGNS, config.campaign_id, "id,name").body
                details["campaign"] = campaign.get("name")
            if config.folder is not None:
                details["folder_id"] = self._folder_id(None)
        except MarketingPlatformError as exc:
            details["error"] = exc.to_dict()
            if exc.code in {"181", "182", "201"} or (
                exc.code == "settings" and config.business_unit_id is None
            ):
                details["business_unit"] = "missing" if config.business_unit_id is None else "refused"
            if exc.code == "184" and not {"pardot_api", "full"} & set(details.get("scopes") or []):
                details["missing_scopes"] = ["pardot_api"]
            return CheckResponse(
                platform=self.name,
                success=False,
                ok=False,
                status="failed",
                request_id=exc.request_id,
                warnings=[*warnings, str(exc)],
                details=details,
            )
        return CheckResponse(platform=self.name, ok=True, status="ok", warnings=warnings, details=details)

    def _check_usage(self, details: dict[str, Any], warnings: list[str]) -> None:
        try:
            account = self.api.account("maximumDailyApiCalls,apiCallsUsed").body
        except PermissionDenied as exc:
            warnings.append(
                f"cannot read the account's API usage ({exc.message}); checked campaign access instead"
            )
            next(iter(self.api.pages(v5.CAMPAIGNS, "id", {"limit": 1})), None)
            return
        maximum, used = account.get("maximumDailyApiCalls"), account.get("apiCallsUsed")
        details["daily_api_calls"] = {"used": used, "maximum": maximum}
        quota = self.effective_rate_limits().daily_quota
        if isinstance(maximum, int) and quota is not None and quota != maximum:
            warnings.append(
                f"the adapter budgets {quota:,} calls a day but the business unit allows {maximum:,}: "
                "set PARDOT_EDITION or PARDOT_DAILY_QUOTA (the allowance is shared with other integrations)"
            )

    # ----------------------------------------------------------------- plan
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The requests an activation would send (``--dry-run``); ids only a look-up
        knows are placeholders; secrets are ``***``."""
        mapper = self.pardot_mapper
        config = self.config
        origin, token_path = config.token_endpoint()
        name = mapper.object_name(content)
        steps: list[dict[str, Any]] = [
            {
                "operation": "connection",
                "base_url": config.base_url,
                "headers": {
                    "Authorization": f"Bearer {MASK}",
                    "Pardot-Business-Unit-Id": config.business_unit_id,
                },
            },
            {
                "operation": "token",
                "method": "POST",
                "url": origin + token_path,
                "form": self.tokens.form(masked=True),
                "when": "before the first call and after Account Engagement refuses the token (184)",
            },
        ]

        def step(operation: str, method: str, collection: str, **extra: Any) -> None:
            steps.append({"operation": operation, "method": method, "path": v5.path(collection), **extra})

        folder = mapper.folder_path(content)
        if folder:
            step("find_folder", "GET", v5.FOLDERS, params={"fields": FOLDER_FIELDS}, match={"path": folder})
        folder_id = placeholder(f"id of folder {folder!r}") if folder else None
        for asset in content.assets:
            file_name = mapper.file_name(asset)
            step("find_file", "GET", v5.FILES, params={"fields": FILE_FIELDS, "name": file_name})
            step(
                "upload_file",
                "POST",
                v5.FILES,
                multipart={"file": file_name, "input": mapper.file_input(asset, folder_id=folder_id)},
                when="only when no file of that name exists",
            )
        spec = mapper.campaign_spec(content)
        campaign_id: Any = config.campaign_id
        if spec is not None:
            step("find_campaign", "GET", v5.CAMPAIGNS, params={"fields": CAMPAIGN_FIELDS, "name": spec.name})
            campaign_id = placeholder(f"id of campaign {spec.name!r} (it must exist)")
        if content.kind is ContentKind.LANDING_PAGE:
            step("find_landing_page", "GET", v5.LANDING_PAGES, params={"fields": PAGE_FIELDS, "name": name})
            step(
                "create_layout_template",
                "POST",
                v5.LAYOUT_TEMPLATES,
                json=mapper.layout_template_payload(content, folder_id=folder_id),
                when="only when no layout template of that name exists",
            )
            page = mapper.landing_page_payload(
                content,
                campaign_id=campaign_id,
                layout_template_id=placeholder("id of the layout template"),
                folder_id=folder_id,
            )
            step(
                "create_landing_page",
                "POST",
                v5.LANDING_PAGES,
                json=page,
                when="only when no page of that name exists",
            )
            return steps
        if mapper.as_template(content):
            step(
                "find_email_template",
                "GET",
                v5.EMAIL_TEMPLATES,
                params={"fields": TEMPLATE_FIELDS, "name": name},
            )
            payload = mapper.email_template_payload(content, campaign_id=campaign_id, folder_id=folder_id)
            step(
                "create_email_template", "POST", v5.EMAIL_TEMPLATES, json=payload, when="only when not found"
            )
            return steps
        list_ids: list[int | str] = []
        audience = content.audience
        for list_name in mapper.list_names(content):
            step("find_list", "GET", v5.LISTS, params={"fields": LIST_FIELDS, "name": list_name})
            if audience is not None and audience.create_missing:
                step(
                    "create_list",
                    "POST",
                    v5.LISTS,
                    json={"name": list_name, "isPublic": False, "isDynamic": False},
                    when="only when no list of that name exists",
                )
            list_ids.append(placeholder(f"id of list {list_name!r}"))
        template = mapper.template_name(content)
        if template:
            step(
                "find_email_template",
                "GET",
                v5.EMAIL_TEMPLATES,
                params={"fields": TEMPLATE_FIELDS, "name": template},
            )
        step(
            "find_list_email",
            "GET",
            v5.LIST_EMAILS,
            params={"fields": LIST_EMAIL_FIELDS, "name": name, "deleted": "all"},
        )
        payload = mapper.list_email_payload(
            content,
            campaign_id=campaign_id,
            list_ids=list_ids,
            template_id=placeholder(f"id of template {template!r}") if template else None,
            folder_id=folder_id,
            now=self._now(),
        )
        step(
            "create_list_email",
            "POST",
            v5.LIST_EMAILS,
            json=payload,
            when="only when no list email of that name exists; THIS SENDS THE EMAIL"
            + (" at scheduledTime" if "scheduledTime" in payload else " now"),
        )
        return steps


__all__ = ["PardotPlatform"]

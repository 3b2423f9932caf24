"""MarketoPlatform: the adapter for Marketo Engage's REST Asset API.

* A campaign is a Marketo **program**, found by name first (``program/byName.json``)
  so a replay reuses it; its folder is resolved by name and its channel checked
  against ``channels.json``. Content title, summary and URL become ``my.`` tokens.
* Email content becomes an email in the program, named after the content id (so two
  contents with one title are two emails), made from a named approved template with a
  sender (content, else ``MARKETO_FROM_*`` settings), its body written into the
  template's first editable section, then approved.
  Landing pages likewise. Event content is an Event program (plus a landing page when
  ``landing_page.template`` is given).
* Assets become Design Studio files (multipart, real file name and Content-Type).
* Email templates can be listed, created and approved (also ``mplat marketo templates``).

Re-activation is a sync: the program, the email / landing page (by name, in the
program only) and the program tokens are looked up; what differs is updated in place
(``program/{id}.json``, ``email/{id}/content.json``, ``email/{id}.json``,
``landingPage/{id}.json``, the body section) and the draft re-approved so the edit goes
live; unchanged content writes nothing. The adapter never sends an email (a smart
campaign in Marketo does), so it never reports one ``sent``.

A create answered 709 because the name is in use (an earlier attempt whose answer was
lost, or a concurrent activation) reuses the object found by name, with a warning.
Names from the content file that do not exist (folder, channel, template, section) are
ContentRejected, never NotFound, so no fallback platform is tried for a content error.

External ids are self-describing refs: ``program:1001``, ``email:2001``,
``landingPage:3001``, ``file:4001``, ``emailTemplate:5001`` (the bare number is in
``metadata["id"]``); :meth:`get_status` accepts any of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import click

from marketing_platform.caching import FreshMarks, TTLCache
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
from marketing_platform.ratelimit import RateLimits, describe
from marketing_platform.sync import Changes, diff

from . import mapping as m
from .auth import MarketoTokenProvider
from .client import Envelope, MarketoClient
from .errors import PLATFORM
from .settings import MarketoSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The kinds of ref :meth:`MarketoPlatform.get_status` reads (each is its path segment).
_REF_KINDS = frozenset({"program", "email", "landingPage", "file", "emailTemplate"})
_APPROVE_HINT = (
    "approve requires a draft: the asset may be approved already, or its draft is incomplete "
    "(check it in Marketo, then replay)"
)


@dataclass(frozen=True)
class EmailTemplate:
    """An email template as Marketo reports it."""

    id: int
    name: str
    status: str | None = None
    url: str | None = None
    folder: str | None = None
    #: True when the template existed already and was returned instead of created.
    reused: bool = False

    @classmethod
    def from_record(cls, record: dict[str, Any], *, reused: bool = False) -> EmailTemplate:
        folder = record.get("folder")
        folder_name = folder.get("folderName") if isinstance(folder, dict) else None
        return cls(
            int(record["id"]),
            str(record.get("name", "")),
            record.get("status"),
            record.get("url"),
            folder_name,
            reused,
        )


class MarketoPlatform(MarketingPlatform):
    """Marketo Engage over the REST Asset API (see the module docstring)."""

    name: ClassVar[str] = "marketo"
    settings_model = MarketoSettings
    capabilities = frozenset(
        {
            Capability.EMAIL,
            Capability.LANDING_PAGE,
            Capability.EVENT,
            Capability.PROGRAM,
            Capability.FILES,
            Capability.TEMPLATES,
        }
    )
    rate_limits = RateLimits(calls=100, per_seconds=20, max_concurrent=10, daily_quota=50_000)
    mapper_class = m.MarketoMapper
    #: Marketo refuses request bodies over 1 MB (HTTP 413).
    max_asset_bytes = 1_000_000

    def __init__(self, settings: Any = None, **options: Any) -> None:
        super().__init__(settings, **options)
        self._client: MarketoClient | None = None
        self._tokens: MarketoTokenProvider | None = None
        self._client_lock = threading.Lock()
        #: Folders, channels and templates found by name (a miss is never remembered, so an
        #: object created in Marketo a moment ago is found; forgotten by kind when this
        #: adapter creates or approves one itself).
        self._lookups = TTLCache(self.clock, self.marketo_settings.lookup_ttl)
        #: Programs this instance created, until the activation that made each one looks
        #: inside it once (nothing can be in a program made moments ago; see find_content).
        self._fresh = FreshMarks(self.marketo_settings.lookup_ttl, self.clock)

    # ------------------------------------------------------------------ plumbing
    @property
    def marketo_settings(self) -> MarketoSettings:
        return cast(MarketoSettings, self.settings)

    @property
    def client(self) -> MarketoClient:
        """The Asset API client (created on first use; no request is sent until needed).

        Thread-safe: concurrent activations share one client, hence one rate budget."""
        if self._client is not None:
            return self._client
        with self._client_lock:
            if self._client is not None:
                return self._client
            settings = self.marketo_settings
            http = self.make_http(settings.base_url)
            self._tokens = MarketoTokenProvider(
                http,
                base_url=settings.base_url,
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                clock=self.clock,
                sleep=self.sleep,
            )
            http.tokens = self._tokens
            self._client = MarketoClient(http)
        return self._client

    @property
    def marketo_mapper(self) -> m.MarketoMapper:
        return cast(m.MarketoMapper, self.mapper)

    @property
    def tokens(self) -> MarketoTokenProvider:
        _ = self.client
        assert self._tokens is not None
        return self._tokens

    def close(self) -> None:
        super().close()
        self._client = None

    # ------------------------------------------------------------------ lookups
    def resolve_folder(self, name: str, *, setting: str, field: str) -> int:
        """The id of the folder called ``name`` (remembered for ``MARKETO_LOOKUP_TTL``);
        ContentRejected (code 710) naming the setting to change when there is none."""
        hint = f"folder {name!r} not found; create it in Marketo or set {setting}"
        request_ids: list[str | None] = []

        def load() -> dict[str, Any] | None:
            record, request_id = self._find_folder(name, hints={"710": hint})
            request_ids.append(request_id)
            return record

        record = self._lookups.load(("folder", name), load)
        if record is None:
            raise ContentRejected(
                f"Marketo folder {name!r} not found",
                platform=PLATFORM,
                code="710",
                request_id=request_ids[-1] if request_ids else None,
                problems=[Problem(field, f"folder {name!r} not found")],
                hint=hint,
            )
        return _record_id(record)

    def _find_folder(
        self, name: str, *, hints: dict[str, str] | None = None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """``(record, request_id)`` of the folder called ``name`` (record None: none)."""
        found = self.client.find("/folder/byName.json", {"name": name, "type": "Folder"}, hints=hints)
        return _pick_by_name(found.result, name), found.request_id

    def channels(self, program_type: str) -> list[str]:
        """The instance's channel names applicable to ``program_type`` (every page of
        ``channels.json``, read once per ``MARKETO_LOOKUP_TTL``)."""
        records = self._lookups.load(("channels",), lambda: list(self.client.pages("/channels.json")) or None)
        return [
            str(record.get("name"))
            for record in records or []
            if m.channel_applies(record.get("applicableProgramType"), program_type)
        ]

    def resolve_channel(self, program_type: str, channel: str | None) -> tuple[str, list[str]]:
        """``(channel, warnings)``: the given channel checked against ``channels.json``,
        or the default for the program type."""
        valid = self.channels(program_type)
        if channel is not None:
            if channel in valid:
                return channel, []
            raise ContentRejected(
                f"channel {channel!r} does not exist for {program_type} programs",
                platform=PLATFORM,
                code="channel",
                problems=[
                    Problem(
                        "campaign.channel",
                        f"valid channels for {program_type} programs: {', '.join(valid) or 'none'}",
                    )
                ],
                hint="set campaign.channel to one of: "
                + (", ".join(valid) or "(none: create one in Admin > Tags)"),
            )
        for candidate in m.DEFAULT_CHANNELS.get(program_type, ()):
            if candidate in valid:
                return candidate, []
        if valid:
            return valid[0], [f"no default channel for {program_type} programs; used {valid[0]!r}"]
        raise ContentRejected(
            f"the instance has no channel for {program_type} programs",
            platform=PLATFORM,
            code="channel",
            problems=[Problem("campaign.channel", "no channel exists for this program type")],
            hint="create a channel in Marketo (Admin > Tags > Channel) "
            "or choose another campaign.program_type",
        )

    def find_email_template(self, name: str, *, status: str | None = "approved") -> EmailTemplate | None:
        """The email template called ``name`` (approved version by default), or None.
        Remembered for ``MARKETO_LOOKUP_TTL`` (forgotten when this adapter creates or
        approves a template)."""
        params: dict[str, Any] = {"name": name}
        if status:
            params["status"] = status

        def load() -> EmailTemplate | None:
            record = _pick_by_name(self.client.find("/emailTemplate/byName.json", params).result, name)
            return EmailTemplate.from_record(record) if record else None

        return self._lookups.load(("email_template", name, status), load)

    def _email_template_id(self, name: str) -> int:
        template = self.find_email_template(name)
        if template is None:
            # A name from the content file: a content error (no fallback platform helps).
            raise ContentRejected(
                f"approved email template {name!r} not found",
                platform=PLATFORM,
                code="template",
                problems=[Problem("email.template", f"no approved email template named {name!r}")],
                hint="create and approve it "
                f"(mplat marketo templates create {name!r} --file T.html --approve) "
                "or fix email.template",
            )
        return template.id

    def _landing_page_template_id(self, name: str) -> int:
        request_ids: list[str | None] = []

        def load() -> dict[str, Any] | None:
            found = self.client.find("/landingPageTemplate/byName.json", {"name": name})
            request_ids.append(found.request_id)
            return _pick_by_name(found.result, name)

        record = self._lookups.load(("landing_page_template", name), load)
        if record is None:
            raise ContentRejected(
                f"landing page template {name!r} not found",
                platform=PLATFORM,
                code="template",
                request_id=request_ids[-1] if request_ids else None,
                problems=[Problem("landing_page.template", f"no landing page template named {name!r}")],
                hint="create and approve it in Marketo Design Studio, or fix landing_page.template",
            )
        return _record_id(record)

    # ------------------------------------------------------------------ programs
    def find_campaign(self, name: str) -> CampaignResponse | None:
        found = self.client.find(
            "/program/byName.json", {"name": name, "includeTags": True, "includeCosts": True}
        )
        record = _pick_by_name(found.result, name)
        if record is None:
            return None
        return _program_response(record, reused=True, request_id=found.request_id)

    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """The program called ``campaign.name``: reused when it exists (with a warning
        for what Marketo cannot change: channel, type), else created in its folder with
        a channel valid for its type, costs and tags, then its dates where the type has
        them (``programs.json`` takes none)."""
        existing = self.find_campaign(campaign.name)
        if existing is not None:
            return _with_warnings(existing, _program_warnings(campaign, existing))
        folder_name = campaign.folder or self.marketo_settings.program_folder
        folder_id = self.resolve_folder(
            folder_name, setting="MARKETO_PROGRAM_FOLDER", field="campaign.folder"
        )
        program_type = campaign.program_type or "Default"
        channel, warnings = self.resolve_channel(program_type, campaign.channel)
        form = m.program_form(campaign, folder_id=folder_id, program_type=program_type, channel=channel)
        hint = f"folder {folder_name!r} not found; create it in Marketo or set MARKETO_PROGRAM_FOLDER"
        try:
            created = self.client.post_form(
                "/programs.json", self.transform("create_program", form), hints={"710": hint, "711": hint}
            )
        except ContentRejected as exc:
            # An earlier attempt whose answer was lost, or a concurrent activation, created it.
            existing = _existing_after_709(exc, lambda: self.find_campaign(campaign.name))
            return _with_warnings(
                existing,
                [*warnings, _taken_warning("program", campaign.name), *_program_warnings(campaign, existing)],
            )
        record = _required(created)
        self._fresh.mark(("program", _record_id(record)))
        dates = m.program_update_form(campaign, {"start_date", "end_date"})
        if dates and program_type in m.DATED_PROGRAM_TYPES:
            updated = self.client.post_form(
                f"/program/{_record_id(record)}.json",
                self.transform("update_program", dates),
                idempotent=True,
            )
            record = {**record, **(updated.first or {})}
        warnings += _dates_warning(campaign, program_type)
        return _program_response(record, reused=False, request_id=created.request_id, warnings=warnings)

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """What differs between ``spec`` and the program: ``description``, ``costs``,
        ``tags.<type>``, ``start_date`` / ``end_date`` (Email and Event programs). The
        channel and type cannot change (``create_campaign`` warns instead). Read-only: the
        program record found by name carries all of it."""
        current = m.current_program_state(existing.metadata.get("record") or {})
        return diff(m.program_state(spec, existing.metadata.get("program_type")), current)

    def update_campaign(
        self, spec: CampaignSpec, existing: CampaignResponse, changes: Changes
    ) -> CampaignResponse:
        """``POST program/{id}.json`` with the changed fields (costs replace the
        program's, ``costsDestructiveUpdate``)."""
        program_id = int(existing.metadata["id"])
        form = m.program_update_form(spec, set(changes))
        envelope = self.client.post_form(
            f"/program/{program_id}.json", self.transform("update_program", form), idempotent=True
        )
        record = {**(existing.metadata.get("record") or {}), **(envelope.first or {})}
        return _program_response(
            record, reused=True, request_id=envelope.request_id, warnings=list(existing.warnings)
        )

    def _program_tokens(self, program_id: int) -> dict[str, Any]:
        """The program's ``my.`` tokens, ``name -> value``."""
        found = self.client.find(f"/folder/{program_id}/tokens.json", {"folderType": "Program"})
        return {
            str(token.get("name")): token.get("value")
            for record in found.result
            for token in record.get("tokens") or []
            if isinstance(token, dict)
        }

    def _write_tokens(
        self, program_id: int, content: Content, assets: AssetsResponse | None, only: set[str] | None = None
    ) -> list[str]:
        """Write the content's program tokens (only those whose change name is in
        ``only``, when given); returns every token reference."""
        tokens = m.tokens_for(content, _featured_url(assets))
        for token in tokens:
            if only is not None and m.token_changes_name(token["name"]) not in only:
                continue
            self.client.post_form(
                f"/folder/{program_id}/tokens.json",
                self.transform("create_token", m.token_form(token)),
                idempotent=True,
            )
        return [f"{{{{my.{t['name']}}}}}" for t in tokens]

    # ------------------------------------------------------------------ content
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Write the program tokens, then create, fill and approve the email or landing
        page in the program (created here when ``campaign`` is None). An email or page
        of that name already there (709) is brought up to date instead."""
        self._refuse_problems(content)
        if campaign is None:
            campaign = self.create_campaign(self.marketo_mapper.campaign_spec(content))
        program_id = int(campaign.metadata["id"])
        self._fresh.take(("program", program_id))  # something goes in: no longer empty
        tokens = self._write_tokens(program_id, content, assets)
        kind = m.asset_kind(content)
        if kind is not None:
            response = self._publish_asset(kind, content, program_id)
        else:
            response = _program_content(campaign, content)
        return _finished(response, content, program_id, tokens)

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The email / landing page named after ``content`` in its program (an approved
        version first), or None. For content that is the program itself (an event), the
        program once this content wrote its tokens (``{{my.Content Id}}``). Never ``sent``: this
        adapter never sends an email (a smart campaign in Marketo does).

        A program this adapter instance created moments ago for this activation
        (``campaign.reused`` False and marked fresh by :meth:`create_campaign`) holds
        nothing yet: no look-up is sent, once. Should an asset of that name be there after
        all (a concurrent activation), its create answers 709 and is brought up to date."""
        if campaign is None or "id" not in campaign.metadata:
            return None
        program_id = int(campaign.metadata["id"])
        if not campaign.reused and self._fresh.take(("program", program_id)):
            return None
        kind = m.asset_kind(content)
        if kind is None:
            tokens = self._program_tokens(program_id)
            if m.MY_TITLE not in tokens or tokens.get(m.MY_ID, content.id) != content.id:
                return None  # nothing written yet, or by another content sharing the program
            response = _program_content(campaign, content)
            return response.model_copy(
                update={"metadata": {**response.metadata, "program_id": program_id, "current_tokens": tokens}}
            )
        record = self._find_asset(kind, kind.name(content), program_id)
        if record is None:
            return None
        return _asset_response(kind, record, content, program_id, reused=True)

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """What differs between what :meth:`publish_content` would write and what
        Marketo holds: program tokens (``title``, ``summary``, ``url``, ``image``,
        ``marketo.tokens.<name>``), the email's ``subject`` / ``from_name`` /
        ``from_email`` / ``reply_to`` / ``summary`` or the page's ``landing_page.title`` /
        ``summary``, the ``body`` of its section (the approved version when there is one)
        and ``status`` when it was never approved. Read-only."""
        program_id = _program_id(existing, campaign)
        kind = m.asset_kind(content)
        current_tokens = existing.metadata.get("current_tokens")
        if kind is not None or not isinstance(current_tokens, dict):
            current_tokens = self._program_tokens(program_id)
        changes = _token_changes(content, assets, current_tokens)
        if kind is not None:
            changes.update(self._asset_changes(kind, content, existing))
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
        """Write what changed in place (program tokens; email header fields with
        ``email/{id}/content.json`` and its description with ``email/{id}.json``; the
        page's title / description with ``landingPage/{id}.json``; the body section),
        then approve the draft so the edit goes live."""
        self._refuse_problems(content)
        program_id = _program_id(existing, campaign)
        names = set(changes)
        tokens = self._write_tokens(program_id, content, assets, only=names)
        kind = m.asset_kind(content)
        if kind is None:
            response = existing.model_copy(update={"status": "ready"})
        else:
            response = self._update_asset(kind, content, existing, names)
        return _finished(response, content, program_id, tokens)

    def _refuse_problems(self, content: Content) -> None:
        problems = self.mapper.problems(content)
        if problems:
            raise ContentRejected(
                f"{content.id} cannot be published on Marketo: {problems[0]}",
                platform=PLATFORM,
                problems=problems,
                hint="fix the content; nothing was sent",
            )

    def _find_asset(self, kind: m.AssetKind, name: str, program_id: int) -> dict[str, Any] | None:
        """The email / landing page called ``name`` in the program ``program_id`` (its
        approved version first), or None. Never one of that name in another program or
        folder: emails are searched in the program, landing pages (``byName`` takes no
        folder) are paged through and filtered by it."""
        records: Iterable[dict[str, Any]]
        if kind.search_in_folder:
            records = self.client.find(
                f"/{kind.ref}/byName.json", kind.search_params(name, program_id)
            ).result
        else:
            records = self.client.pages(
                f"/{kind.ref}/byName.json", kind.search_params(name, program_id), find=True
            )
        ours = [r for r in records if r.get("name") == name and _in_folder(r, program_id)]
        return next((r for r in ours if r.get("status") == "approved"), ours[0] if ours else None)

    def _asset_form(
        self, kind: m.AssetKind, content: Content, program_id: Any, template_id: Any
    ) -> dict[str, Any]:
        if kind is m.EMAIL:
            who = m.resolve_sender(content.email, self.marketo_settings)
            return m.email_form(content, program_id=program_id, template_id=template_id, sender=who)
        return kind.form(content, program_id=program_id, template_id=template_id)

    def _publish_asset(self, kind: m.AssetKind, content: Content, program_id: int) -> PublishResponse:
        """Create the email / landing page ``content`` makes from its template, write its
        body into its section and approve it. A 709 "name in use" (an earlier attempt
        whose answer was lost, or a concurrent activation) finds that one and brings it
        up to date instead."""
        spec = kind.spec(content)
        assert spec is not None
        assert spec.template is not None
        template_of = self._email_template_id if kind is m.EMAIL else self._landing_page_template_id
        template_id = template_of(spec.template)
        name = kind.name(content)
        try:
            form = self._asset_form(kind, content, program_id, template_id)
            record = _required(
                self.client.post_form(f"/{kind.ref}s.json", self.transform(f"create_{kind.key}", form))
            )
        except ContentRejected as exc:
            record = _existing_after_709(exc, lambda: self._find_asset(kind, name, program_id))
            found = _asset_response(kind, record, content, program_id, reused=True)
            changes = self._asset_changes(kind, content, found)
            response = self._update_asset(kind, content, found, set(changes)) if changes else found
            return response.model_copy(
                update={"warnings": [*response.warnings, _taken_warning(kind.label, name)]}
            )
        response = self._update_asset(
            kind,
            content,
            _asset_response(kind, record, content, program_id, reused=False),
            {"body", "status"},
            template_id=template_id,
        )
        return response.model_copy(update={"metadata": {**response.metadata, "template_id": template_id}})

    def _asset_changes(self, kind: m.AssetKind, content: Content, existing: PublishResponse) -> Changes:
        """How the email / landing page ``existing`` differs from ``content``."""
        current = existing.metadata.get("current") or {}
        if kind is m.EMAIL:
            who = m.resolve_sender(content.email, self.marketo_settings)
            desired = {**m.email_headers(content, who), "summary": content.summary}
        else:
            desired = m.landing_page_meta(content)
        changes = diff({k: v for k, v in desired.items() if v is not None}, current)
        vendor_status = existing.metadata.get("vendor_status")
        asset_id = int(existing.metadata["id"])
        params = {"status": "approved"} if vendor_status == "approved" else {}
        sections = self.client.get(f"/{kind.ref}/{asset_id}/content.json", params).result
        section_id, _ = kind.pick_section(sections, content.options_for("marketo").get("section"))
        section = next((s for s in sections if _section_id(s) == section_id), {})
        body = m.section_value(section)
        if (body or "").strip() != (content.body or "").strip():
            changes["body"] = {"from": body, "to": content.body}
        if self.marketo_settings.approve and vendor_status != "approved":
            changes["status"] = {"from": vendor_status, "to": "approved"}
        return changes

    def _update_asset(
        self,
        kind: m.AssetKind,
        content: Content,
        existing: PublishResponse,
        names: set[str],
        *,
        template_id: int | None = None,
    ) -> PublishResponse:
        """Write the ``names`` fields of the email / landing page ``existing`` and approve
        its draft. ``template_id``: the asset was just made from that template, so its
        sections are the template's (see :meth:`_write_body`)."""
        asset_id = int(existing.metadata["id"])
        drafted = False  # content written: there is a draft to approve
        metadata_only = False  # only metadata written: Marketo may keep no draft for it
        if kind is m.EMAIL:
            if "summary" in names and content.summary:
                self.client.post_form(
                    f"/email/{asset_id}.json",
                    self.transform("update_email", {"description": content.summary}),
                    idempotent=True,
                )
            who = m.resolve_sender(content.email, self.marketo_settings)
            headers = {k: v for k, v in m.email_headers(content, who).items() if k in names}
            if headers:
                self.client.post_form(
                    f"/email/{asset_id}/content.json",
                    self.transform("update_email_headers", m.email_header_form(headers)),
                    idempotent=True,
                )
                drafted = True
        else:
            form = m.landing_page_update_form(content, names)
            if form:
                self.client.post_form(
                    f"/landingPage/{asset_id}.json",
                    self.transform("update_landing_page", form),
                    idempotent=True,
                )
                metadata_only = True
        section_id: str | None = None
        if "body" in names:
            section_id = self._write_body(kind, content, asset_id, template_id)
            drafted = True
        status = str(existing.metadata.get("vendor_status") or "draft")
        record: dict[str, Any] = {"id": asset_id, "name": existing.metadata.get("name"), "url": existing.url}
        if self.marketo_settings.approve and (drafted or metadata_only or "status" in names):
            try:
                approved = self.client.post_form(
                    f"/{kind.ref}/{asset_id}/approveDraft.json", hints={"709": _APPROVE_HINT}
                )
            except ContentRejected as exc:
                # Metadata alone may leave no draft (709): it is live already.
                if not (exc.code == "709" and metadata_only and not drafted and "status" not in names):
                    raise
            else:
                if kind.merge_approved:
                    record = {**record, **(approved.first or {})}
                status = "approved"
        elif drafted:
            status = "draft"
        response = _content_response(
            kind.ref, {**record, "status": status}, content, reused=bool(existing.metadata.get("reused"))
        )
        metadata = {**response.metadata, "program_id": existing.metadata.get("program_id")}
        if section_id is not None:
            metadata["section"] = section_id
        return response.model_copy(update={"metadata": metadata, "warnings": list(existing.warnings)})

    def _write_body(self, kind: m.AssetKind, content: Content, asset_id: int, template_id: int | None) -> str:
        """Write the body into the asset's section (``marketo.section``, else the first
        editable one); returns the section id.

        An asset just made from a template has exactly the template's sections, so for
        one (``template_id`` given) the sections read from the first such asset are
        remembered per template for ``MARKETO_LOOKUP_TTL`` instead of reading
        ``content.json`` after every create. Should the remembered section be refused
        (702: the template changed meanwhile), the asset's own sections are read and the
        write is sent once more."""
        wanted = content.options_for("marketo").get("section")

        def read() -> list[dict[str, Any]]:
            return self.client.get(f"/{kind.ref}/{asset_id}/content.json").result

        def write(sections: list[dict[str, Any]]) -> str:
            section_id, section_type = kind.pick_section(sections, wanted)
            self.client.post_form(
                f"/{kind.ref}/{asset_id}/content/{section_id}.json",
                self.transform(f"update_{kind.key}_content", m.section_form(content, section_type)),
                idempotent=True,
            )
            return section_id

        if template_id is None:
            return write(read())
        loaded: list[bool] = []

        def load() -> list[dict[str, Any]] | None:
            loaded.append(True)
            return read() or None

        key = ("sections", kind.ref, template_id)
        remembered: list[dict[str, Any]] | None = self._lookups.load(key, load)
        try:
            return write(remembered or [])
        except (NotFound, ContentRejected) as exc:
            if loaded or not (isinstance(exc, NotFound) or exc.code == "section"):
                raise  # read from this very asset, or not about the section: the answer stands
            self._lookups.forget(key)
            return write(read())

    # ------------------------------------------------------------------ files
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload each asset as a Design Studio file in ``MARKETO_FILES_FOLDER``. A file
        of the same name and size is reused without uploading; with ``MARKETO_INSERT_ONLY``
        (default) a different file of the same name is reused (warning), never overwritten."""
        settings = self.marketo_settings
        results: list[AssetResult] = []
        warnings: list[str] = []
        request_id: str | None = None
        if not assets:
            return AssetsResponse(platform=PLATFORM, results=[])
        folder_id = self.resolve_folder(settings.files_folder, setting="MARKETO_FILES_FOLDER", field="assets")
        for asset in assets:
            form = m.file_form(asset, folder_id=folder_id, insert_only=settings.insert_only)
            fields = self.transform("upload_file", form)
            name = str(fields["name"])
            record = self._find_file(name)
            if record is not None and not _same_file(record, asset):
                if settings.insert_only:
                    warnings.append(
                        f"file {name!r} exists already with other content; reused it, not overwritten "
                        "(MARKETO_INSERT_ONLY)"
                    )
                else:
                    record = None  # overwrite it
            if record is None:
                try:
                    envelope = self.client.post_multipart("/files.json", fields, _file_part(asset))
                    record = _required(envelope)
                    request_id = envelope.request_id
                except ContentRejected as exc:
                    if not settings.insert_only:
                        raise
                    record = _existing_after_709(exc, partial(self._find_file, name))
                    warnings.append(f"file {name!r} exists already; reused it (MARKETO_INSERT_ONLY)")
            results.append(
                AssetResult(
                    name=asset.filename,
                    external_id=f"file:{record['id']}",
                    url=record.get("url"),
                    mime_type=record.get("mimeType") or asset.mime_type,
                    size=record.get("size") or asset.size,
                    alt_text=asset.alt_text,
                    role=asset.role,
                )
            )
        return AssetsResponse(
            platform=PLATFORM,
            external_id=results[0].external_id if len(results) == 1 else None,
            url=results[0].url if len(results) == 1 else None,
            status="uploaded",
            request_id=request_id,
            warnings=warnings,
            results=results,
            metadata={"folder_id": folder_id},
        )

    def _find_file(self, name: str) -> dict[str, Any] | None:
        return _pick_by_name(self.client.find("/file/byName.json", {"name": name}).result, name)

    # ------------------------------------------------------------------ templates
    def list_email_templates(self, *, status: str | None = None) -> list[EmailTemplate]:
        """Every email template (all pages), optionally only ``approved`` or ``draft``."""
        pages = self.client.pages("/emailTemplates.json", {"status": status} if status else {}, find=True)
        return [EmailTemplate.from_record(r) for r in pages]

    def create_email_template(
        self,
        name: str,
        html: str | bytes | Path,
        *,
        folder: str | None = None,
        description: str | None = None,
    ) -> EmailTemplate:
        """Create a draft email template from HTML (a string, bytes or a file), in
        ``folder`` (default ``MARKETO_TEMPLATE_FOLDER``). An existing template of the same
        name is returned instead (idempotent)."""
        existing = self.find_email_template(name, status=None)
        if existing is not None:
            return replace(existing, reused=True)
        folder_name = folder or self.marketo_settings.template_folder
        folder_id = self.resolve_folder(folder_name, setting="MARKETO_TEMPLATE_FOLDER", field="folder")
        fields = {"name": name, "folder": m.folder_ref(folder_id), "description": description}
        payload = (
            html.read_bytes() if isinstance(html, Path) else html.encode() if isinstance(html, str) else html
        )
        filename = html.name if isinstance(html, Path) else f"{_safe_filename(name)}.html"
        try:
            envelope = self.client.post_multipart(
                "/emailTemplates.json",
                self.transform("create_email_template", fields),
                lambda: {"content": (filename, payload, "text/html")},
                hints={
                    "710": f"folder {folder_name!r} not found; "
                    "create it in Marketo or set MARKETO_TEMPLATE_FOLDER"
                },
            )
        except ContentRejected as exc:
            template = _existing_after_709(exc, lambda: self.find_email_template(name, status=None))
            log.warning("%s", _taken_warning("email template", name))
            return replace(template, reused=True)
        finally:
            self._lookups.forget_kind("email_template")
        return EmailTemplate.from_record(_required(envelope))

    def approve_email_template(self, ref: str | int) -> EmailTemplate:
        """Approve the draft of the template ``ref`` (an id or a name)."""
        if isinstance(ref, int) or str(ref).isdigit():
            template_id = int(ref)
        else:
            found = self.find_email_template(str(ref), status=None)
            if found is None:
                raise NotFound(
                    f"email template {ref!r} not found",
                    platform=PLATFORM,
                    code="template",
                    hint="check the name with `mplat marketo templates list`",
                )
            template_id = found.id
        try:
            envelope = self.client.post_form(
                f"/emailTemplate/{template_id}/approveDraft.json", hints={"709": _APPROVE_HINT}
            )
        finally:
            self._lookups.forget_kind("email_template")
        record = envelope.first or {"id": template_id}
        return EmailTemplate.from_record(
            {**record, "id": record.get("id", template_id), "status": "approved"}
        )

    # ------------------------------------------------------------------ status, check
    def get_status(self, ref: str) -> StatusResponse:
        """Status of ``program:ID``, ``email:ID``, ``landingPage:ID``, ``file:ID`` or
        ``emailTemplate:ID`` (a bare id is a program)."""
        kind, _, raw = ref.rpartition(":")
        kind = kind or "program"
        if kind not in _REF_KINDS or not raw.isdigit():
            raise NotFound(
                f"{ref!r} is not a Marketo ref",
                platform=PLATFORM,
                code="ref",
                hint="use program:ID, email:ID, landingPage:ID, file:ID or emailTemplate:ID",
            )
        found = self.client.find(f"/{kind}/{raw}.json", {})
        record = found.first
        if record is None:
            raise NotFound(
                f"Marketo has no {kind} {raw}", platform=PLATFORM, code="702", request_id=found.request_id
            )
        vendor = str(record.get("status") or "")
        status = {"approved": "published", "draft": "draft"}.get(vendor, vendor or "unknown")
        return StatusResponse(
            platform=PLATFORM,
            external_id=f"{kind}:{raw}",
            url=record.get("url") or record.get("URL"),
            status=status,
            request_id=found.request_id,
            metadata={"id": int(raw), "type": kind, "vendor_status": vendor, "name": record.get("name")},
        )

    def check(self) -> CheckResponse:
        """Fetch a token and read the program folder by name; changes nothing.

        Raises AuthenticationError / PlatformUnavailable when Marketo cannot be used;
        ``ok`` is False when it can but ``MARKETO_PROGRAM_FOLDER`` does not exist."""
        settings = self.marketo_settings
        self.tokens.token()
        record, request_id = self._find_folder(settings.program_folder)
        details: dict[str, Any] = {
            "base_url": settings.base_url,
            "client_id": settings.client_id,
            "token": "ok",
            "program_folder": settings.program_folder,
            "program_folder_id": _record_id(record) if record else None,
            "rate_limits": describe(self.effective_rate_limits()),
        }
        warnings = (
            []
            if record
            else [
                f"folder {settings.program_folder!r} not found; "
                "create it in Marketo or set MARKETO_PROGRAM_FOLDER"
            ]
        )
        return CheckResponse(
            platform=PLATFORM,
            ok=record is not None,
            success=record is not None,
            details=details,
            warnings=warnings,
            request_id=request_id,
        )

    # ------------------------------------------------------------------ dry run
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The requests an activation sends, in order, with lookups' ids as
        ``<resolved at run time: ...>`` placeholders and the secret as ``***``."""
        from .planning import build_plan

        return build_plan(self, content)

    @classmethod
    def cli_commands(cls) -> click.Group:
        from .cli import marketo

        return marketo


# ---------------------------------------------------------------------- helpers
def _record_id(record: dict[str, Any]) -> int:
    return int(record["id"])


def _required(envelope: Envelope) -> dict[str, Any]:
    record = envelope.first
    if record is None or "id" not in record:
        raise NotFound(
            "Marketo reported success but returned no record",
            platform=PLATFORM,
            code="empty_result",
            request_id=envelope.request_id,
            hint="check the object in Marketo; replay looks it up by name",
        )
    return record


def _pick_by_name(records: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The record named exactly ``name``; None when there is none (a search may return
    near matches, which must never be reused in its place)."""
    for record in records:
        if record.get("name") == name:
            return record
    return None


def _existing_after_709(exc: ContentRejected, lookup: Callable[[], T | None]) -> T:
    """After a create answered 709 (the name is in use: an earlier attempt whose answer
    was lost, or a concurrent activation, created it), the object found by ``lookup``;
    re-raises ``exc`` when it is another error or nothing of that name exists."""
    if exc.code != "709":
        raise exc
    found = lookup()
    if found is None:
        raise exc
    return found


def _taken_warning(kind: str, name: str) -> str:
    return (
        f"{kind} {name!r} already existed when it was created (an earlier attempt or a concurrent "
        "activation made it); reused it"
    )


def _program_response(
    record: dict[str, Any], *, reused: bool, request_id: str | None, warnings: list[str] | None = None
) -> CampaignResponse:
    return CampaignResponse(
        platform=PLATFORM,
        external_id=f"program:{record['id']}",
        url=record.get("url"),
        status=str(record.get("status") or "created"),
        name=record.get("name"),
        reused=reused,
        request_id=request_id,
        warnings=warnings or [],
        metadata={
            "id": int(record["id"]),
            "type": "program",
            "program_type": record.get("type"),
            "channel": record.get("channel"),
            "folder": record.get("folder"),
            "costs": record.get("costs"),
            "tags": record.get("tags"),
            # what campaign_changes compares (the program as Marketo answered it)
            "record": {
                key: record.get(key)
                for key in ("id", "name", "description", "costs", "tags", "startDate", "endDate", "url")
            },
        },
    )


def _with_warnings(response: CampaignResponse, warnings: list[str]) -> CampaignResponse:
    if not warnings:
        return response
    return response.model_copy(update={"warnings": [*response.warnings, *warnings]})


def _program_warnings(spec: CampaignSpec, existing: CampaignResponse) -> list[str]:
    """What ``spec`` asks of an existing program that Marketo cannot change."""
    warnings: list[str] = []
    channel = existing.metadata.get("channel")
    if spec.channel and channel and spec.channel != channel:
        warnings.append(
            f"program {spec.name!r} has channel {channel!r}; Marketo cannot change a program's channel, "
            f"so campaign.channel {spec.channel!r} was not applied (make a new program to change it)"
        )
    program_type = existing.metadata.get("program_type")
    if spec.program_type and program_type and spec.program_type != program_type:
        warnings.append(
            f"program {spec.name!r} is a {program_type} program; Marketo cannot change a program's "
            f"type, so {spec.program_type!r} was not applied"
        )
    return warnings + _dates_warning(spec, program_type)


def _dates_warning(spec: CampaignSpec, program_type: str | None) -> list[str]:
    if (spec.start_date or spec.end_date) and program_type not in m.DATED_PROGRAM_TYPES:
        return [
            f"campaign start_date / end_date are not applied: Marketo keeps dates only on "
            f"{', '.join(sorted(m.DATED_PROGRAM_TYPES))} programs, not {program_type}"
        ]
    return []


def _program_content(campaign: CampaignResponse, content: Content) -> PublishResponse:
    """The program as the object of content that makes no email or page (an event)."""
    return PublishResponse(
        platform=PLATFORM,
        external_id=campaign.external_id,
        url=campaign.url,
        status="ready",
        content_id=content.id,
        metadata={"id": int(campaign.metadata["id"]), "type": "program"},
    )


def _asset_response(
    kind: m.AssetKind, record: dict[str, Any], content: Content, program_id: int, *, reused: bool
) -> PublishResponse:
    """An email / landing page record found or created, with what content_changes compares."""
    response = _content_response(kind.ref, record, content, reused=reused)
    current = (
        {**m.current_email_headers(record), "summary": record.get("description")}
        if kind is m.EMAIL
        else m.current_landing_page_meta(record)
    )
    return response.model_copy(
        update={
            "metadata": {
                **response.metadata,
                "program_id": program_id,
                "vendor_status": record.get("status"),
                "current": current,
            }
        }
    )


def _finished(
    response: PublishResponse, content: Content, program_id: int, tokens: list[str]
) -> PublishResponse:
    """``response`` with the program id, the token references and the schedule warning."""
    warnings = list(response.warnings)
    if content.schedule_at is not None:
        warnings.append("schedule_at is not applied by the Marketo adapter; schedule the send in Marketo")
    metadata = {
        key: value
        for key, value in {**response.metadata, "program_id": program_id, "tokens": tokens}.items()
        if key not in ("current", "current_tokens")
    }
    return response.model_copy(update={"metadata": metadata, "warnings": warnings})


def _program_id(existing: PublishResponse, campaign: CampaignResponse | None) -> int:
    program_id = existing.metadata.get("program_id")
    if program_id is None and campaign is not None:
        program_id = campaign.metadata.get("id")
    if program_id is None:
        raise NotFound(
            f"{existing.external_id} names no program",
            platform=PLATFORM,
            code="program",
            hint="activate the content again; its program is looked up by name",
        )
    return int(program_id)


def _token_changes(content: Content, assets: AssetsResponse | None, current: dict[str, Any]) -> Changes:
    """The program tokens to write, by change name (``title``, ``marketo.tokens.X``);
    none when another content sharing the program wrote them last (it owns them)."""
    owner = current.get(m.MY_ID)
    if owner and owner != content.id:
        return {}
    desired = {t["name"]: t["value"] for t in m.tokens_for(content, _featured_url(assets))}
    return {m.token_changes_name(name): change for name, change in diff(desired, current).items()}


def _section_id(section: dict[str, Any]) -> str:
    return str(section.get("htmlId", section.get("id")))


def _same_file(record: dict[str, Any], asset: Asset) -> bool:
    """True when the file Marketo holds has ``asset``'s size and type (the API gives no
    checksum: name, size and type are what it can compare cheaply)."""
    size = asset.size if asset.size is not None else asset.path.stat().st_size
    if record.get("size") is not None and int(record["size"]) != size:
        return False
    mime = record.get("mimeType")
    return not (mime and asset.mime_type and mime != asset.mime_type)


def _content_response(
    kind: str, record: dict[str, Any], content: Content, *, reused: bool
) -> PublishResponse:
    return PublishResponse(
        platform=PLATFORM,
        external_id=f"{kind}:{record['id']}",
        url=record.get("url") or record.get("URL") or record.get("computedUrl"),
        status=str(record.get("status") or "draft"),
        content_id=content.id,
        metadata={"id": int(record["id"]), "type": kind, "name": record.get("name"), "reused": reused},
    )


def _in_folder(record: dict[str, Any], folder_id: int) -> bool:
    folder = record.get("folder")
    record_folder = folder.get("value", folder.get("id")) if isinstance(folder, dict) else None
    return str(record_folder) == str(folder_id)


def _featured_url(assets: AssetsResponse | None) -> str | None:
    if assets is None:
        return None
    for result in assets.results:
        if result.role == "featured" and result.url:
            return result.url
    return None


def _file_part(asset: Asset) -> Any:
    """A callable giving the ``file`` part with a fresh handle (closed by PlatformHTTP)."""
    mime = asset.mime_type or "application/octet-stream"

    def files() -> dict[str, Any]:
        return {"file": (asset.filename, asset.path.open("rb"), mime)}

    return files


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "template"

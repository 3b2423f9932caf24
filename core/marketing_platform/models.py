"""The pydantic models of the public contract: what goes in (Content and its parts)
and what comes back from every adapter operation (the ``*Response`` models).

Input models forbid unknown keys, so a typo in a content file is an error instead of a
silently ignored setting. Response models are frozen records for the audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "Action",
    "Asset",
    "AssetResult",
    "AssetsResponse",
    "Audience",
    "CampaignResponse",
    "CampaignSpec",
    "Capability",
    "CheckResponse",
    "Content",
    "ContentKind",
    "Cost",
    "EmailSpec",
    "LandingPageSpec",
    "PlatformResponse",
    "PublishResponse",
    "StatusResponse",
]


class ContentKind(StrEnum):
    BLOG_POST = "blog_post"
    EMAIL = "email"
    LANDING_PAGE = "landing_page"
    EVENT = "event"


class Capability(StrEnum):
    """What an adapter can do; declared on the adapter class and checked by the kit."""

    BLOG_POST = "blog_post"
    EMAIL = "email"
    LANDING_PAGE = "landing_page"
    EVENT = "event"
    PROGRAM = "program"  # campaigns / programs
    FILES = "files"
    LISTS = "lists"
    TEMPLATES = "templates"
    SCHEDULING = "scheduling"


class _Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, use_attribute_docstrings=True
    )


class Cost(_Input):
    """One budget line: when it starts, how much (in the account's currency), and why."""

    start_date: date
    """The day the cost starts (``2026-12-01``)."""
    amount: Decimal = Field(ge=0)
    """How much, in the account's currency (no symbol)."""
    note: str | None = None
    """What the money is for (``Paid social``)."""


class CampaignSpec(_Input):
    """The campaign (HubSpot) / program (Marketo) that groups the content."""

    name: str = Field(min_length=1, max_length=255)
    """The campaign's name: its identity on the platform (found by it before it is created)."""
    description: str | None = None
    """What the campaign is about; updated in place when it changes."""
    channel: str | None = None
    """Marketo program channel (``Email Send``, ``Content Syndication``); from the kind when absent."""
    program_type: str | None = None
    """Marketo program type (``Default``, ``Event``, ``Email``)."""
    folder: str | None = None
    """Marketo folder the program goes in (``Marketing Activities``)."""
    start_date: date | None = None
    """First day of the campaign."""
    end_date: date | None = None
    """Last day of the campaign (not before ``start_date``)."""
    costs: list[Cost] = Field(default_factory=list)
    """Budget lines (Marketo period costs, HubSpot budget items)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Marketo tags, ``tag type: tag value`` (``{Region: EMEA}``)."""

    @model_validator(mode="after")
    def _dates_in_order(self) -> CampaignSpec:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class Asset(_Input):
    """A file to upload: ``path`` relative to the content file (or an asset root).

    ``mime_type``, ``size`` and ``sha256`` are filled by
    :func:`marketing_platform.assets.load_asset` from the file's bytes, ``inline_ref`` by
    the pipeline for images referenced in the body; a content file should not set them.
    """

    path: Path
    """The file, relative to the content file's folder (or ``--asset-root``); it must stay inside it."""
    alt_text: str | None = None
    """Alternative text for an image."""
    role: Literal["featured", "inline", "attachment"] = "inline"
    """``featured`` (a post's featured image), ``inline`` or ``attachment``."""
    name: str | None = None
    """The file name on the platform (default: the file's own name); no folders."""
    mime_type: str | None = None
    """Detected from the file's bytes (filled by the pipeline)."""
    size: int | None = None
    """Bytes (filled by the pipeline)."""
    sha256: str | None = None
    """The file's SHA-256 (filled by the pipeline): an identical file is uploaded once per account."""
    inline_ref: str | None = None
    """The reference as written in the body (``<img src>`` or a Markdown image) for an
    image found there by the pipeline; the body sent points at the uploaded URL instead."""

    @property
    def filename(self) -> str:
        return self.name or self.path.name


class Audience(_Input):
    """Who an email goes to."""

    lists: list[str] = Field(default_factory=list)
    """Names of the platform's contact lists (HubSpot lists, Mailchimp audiences, Pardot lists)."""
    create_missing: bool = False
    """Create a list that does not exist yet (where the platform allows) instead of refusing."""


class EmailSpec(_Input):
    """An email's envelope."""

    template: str | None = None
    """The platform's email template, by name (required by Marketo)."""
    subject: str | None = None
    """The subject line."""
    from_name: str | None = None
    """The sender's name."""
    from_email: str | None = None
    """The sender's address."""
    reply_to: str | None = None
    """The reply-to address."""

    @field_validator("from_email", "reply_to")
    @classmethod
    def _looks_like_address(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(f"{value!r} is not an e-mail address (expected name@domain)")
        return value


class LandingPageSpec(_Input):
    """A landing page's template and address."""

    template: str | None = None
    """The platform's landing page template, by name."""
    title: str | None = None
    """The page's HTML title (default: the content's title)."""
    url_page_name: str | None = None
    """The page's URL name (default: the content id)."""


def _render_markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    # Raw HTML in Markdown is rendered, as CommonMark does: authors embed <img> and
    # layout markup. The body goes to the author's own marketing platform.
    html: str = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    return html


#: Platforms whose per-content options have their own top-level field in a content file
#: (others go under ``platform_options``).
BUILTIN_PLATFORM_FIELDS = frozenset({"hubspot", "marketo", "mock"})


class Content(_Input):
    """One piece of content, as read from a content file (see DESIGN.md for the schema).

    ``body`` is HTML; when only ``body_markdown`` is given, ``body`` is rendered from it.
    Per-platform overrides live under the platform's name (``hubspot``, ``marketo``, or
    any adapter's name in ``platform_options``); :meth:`options_for` reads them.
    """

    id: str = Field(default="", max_length=200, pattern=r"^$|^[a-z0-9][a-z0-9._-]*$")
    """The stable content id: its identity on every platform (default: the title's slug).
    Keep it when you edit the content; give a new one to make a new object."""
    kind: ContentKind
    """``blog_post``, ``email``, ``landing_page`` or ``event``."""
    title: str = Field(min_length=1, max_length=500)
    """The title (a post's name, an email's name, a page's title)."""
    summary: str | None = None
    """One line for listings and the meta description."""
    body: str | None = None
    """HTML; local ``<img src>`` images are uploaded and linked."""
    body_markdown: str | None = None
    """Markdown (CommonMark, raw HTML allowed), rendered to ``body`` when there is none."""
    language: str = "en"
    """Language code."""
    tags: list[str] = Field(default_factory=list)
    """Tags (HubSpot blog tags, Marketo/Mailchimp where supported)."""
    topics: list[str] = Field(default_factory=list)
    """HubSpot blog topics."""
    schedule_at: AwareDatetime | None = None
    """When to publish or send, with a time zone (``2026-12-01T09:00:00Z``); absent = now."""
    url: str | None = None
    """A canonical URL (a Marketo ``my.`` token)."""
    campaign: CampaignSpec | None = None
    """The campaign or program the content belongs to."""
    assets: list[Asset] = Field(default_factory=list)
    """Files to upload with the content (images, attachments)."""
    audience: Audience | None = None
    """Who an email goes to."""
    email: EmailSpec | None = None
    """An email's subject, sender and template."""
    landing_page: LandingPageSpec | None = None
    """A landing page's template and address."""
    hubspot: dict[str, Any] = Field(default_factory=dict)
    """HubSpot options (see the HubSpot page)."""
    marketo: dict[str, Any] = Field(default_factory=dict)
    """Marketo options (see the Marketo page)."""
    mock: dict[str, Any] = Field(default_factory=dict)
    """Mock platform options."""
    platform_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Options for other platforms, by platform name (in a file: a top-level key named after the platform)."""

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if not data.get("id") and isinstance(data.get("title"), str):
            from slugify import slugify

            data["id"] = slugify(data["title"], max_length=200) or "content"
        if not data.get("body") and data.get("body_markdown"):
            data["body"] = _render_markdown(str(data["body_markdown"]))
        return data

    def options_for(self, platform: str) -> dict[str, Any]:
        """The per-platform overrides for ``platform`` (empty when none)."""
        builtin = getattr(self, platform, None) if platform in BUILTIN_PLATFORM_FIELDS else None
        if isinstance(builtin, dict) and builtin:
            return builtin
        return self.platform_options.get(platform, {})


# ----------------------------------------------------------------------------- responses


def _now() -> datetime:
    return datetime.now(UTC)


#: What a step did to the platform's object: made it, changed it in place, found it
#: already as wanted (no write), refused to touch it (a sent email), or took it as it is
#: (the adapter cannot compare or update).
Action = Literal["created", "updated", "unchanged", "blocked", "reused"]


class PlatformResponse(BaseModel):
    """Fields every adapter response carries, for callers and the audit trail."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    platform: str
    """The platform that answered."""
    success: bool = True
    """False when the platform reported a failure it did not raise."""
    external_id: str | None = None
    """The platform's id of the object."""
    url: str | None = None
    """Where the object can be seen."""
    status: str | None = None
    """The object's status on the platform (``draft``, ``scheduled``, ``published``, ``sent``, ...)."""
    created_at: datetime = Field(default_factory=_now)
    """When the answer was made (UTC)."""
    request_id: str | None = None
    """The vendor's request id, for support tickets."""
    warnings: list[str] = Field(default_factory=list)
    """What the platform did not apply (shown to people, not only in ``--json``)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """The platform's own ids and fields, for the audit trail."""
    degraded: bool = False
    """True when produced by a fallback platform, not the one asked for."""
    action: Action | None = None
    """What the step did (set by the pipeline): see :data:`Action`."""
    changed: list[str] = Field(default_factory=list)
    """The fields an ``updated`` step changed (e.g. ``body``, ``title``)."""


class CampaignResponse(PlatformResponse):
    """The campaign or program on the platform."""

    name: str | None = None
    """The campaign's name."""
    reused: bool = False
    """True when it existed already (found by name, not created)."""


class PublishResponse(PlatformResponse):
    """The content's object on the platform.

    ``status`` is ``draft``, ``scheduled``, ``published`` or, for an email that went
    out, ``sent`` (with ``sent_at`` and ``recipients``, the lists it was sent to). An
    email that is ``sent``, or whose ``scheduled_at`` has passed, is never changed again.
    """

    content_id: str | None = None
    """The content id the object belongs to."""
    scheduled_at: datetime | None = None
    """When it is scheduled to publish or send."""
    sent_at: datetime | None = None
    """When an email went out."""
    recipients: list[str] = Field(default_factory=list)
    """The lists an email was sent to."""


class AssetResult(BaseModel):
    """One uploaded file."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    name: str
    """The file name."""
    success: bool = True
    """False when this file failed (``error`` says why)."""
    external_id: str | None = None
    """The platform's id of the file."""
    url: str | None = None
    """The file's public URL on the platform (used in bodies)."""
    mime_type: str | None = None
    """The file's MIME type."""
    size: int | None = None
    """Bytes."""
    alt_text: str | None = None
    """Alternative text."""
    role: str | None = None
    """``featured``, ``inline`` or ``attachment``."""
    error: str | None = None
    """Why the upload failed."""
    action: Action | None = None
    """``created`` (uploaded now) or ``unchanged`` (the same bytes were uploaded before)."""


class AssetsResponse(PlatformResponse):
    """The files of one activation."""

    results: list[AssetResult] = Field(default_factory=list)
    """One result per asset, in order."""


class StatusResponse(PlatformResponse):
    """``status`` is one of draft | scheduled | published | unknown, or the vendor's own."""


class CheckResponse(PlatformResponse):
    """What ``mplat check`` found (read-only)."""

    ok: bool = True
    """True when the credentials work and the platform answers."""
    details: dict[str, Any] = Field(default_factory=dict)
    """What was checked (account, scopes, settings in use), no secrets."""

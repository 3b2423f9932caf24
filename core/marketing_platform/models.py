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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Cost(_Input):
    """One budget line: when it starts, how much (in the account's currency), and why."""

    start_date: date
    amount: Decimal = Field(ge=0)
    note: str | None = None


class CampaignSpec(_Input):
    """The campaign (HubSpot) / program (Marketo) that groups the content."""

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    channel: str | None = None
    program_type: str | None = None
    folder: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    costs: list[Cost] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

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
    alt_text: str | None = None
    role: Literal["featured", "inline", "attachment"] = "inline"
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    #: The reference as written in the body (``<img src>`` / Markdown image) for an
    #: image found there by the pipeline; the body is rewritten to the uploaded URL.
    inline_ref: str | None = None

    @property
    def filename(self) -> str:
        return self.name or self.path.name


class Audience(_Input):
    lists: list[str] = Field(default_factory=list)
    create_missing: bool = False


class EmailSpec(_Input):
    template: str | None = None
    subject: str | None = None
    from_name: str | None = None
    from_email: str | None = None
    reply_to: str | None = None

    @field_validator("from_email", "reply_to")
    @classmethod
    def _looks_like_address(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(f"{value!r} is not an e-mail address (expected name@domain)")
        return value


class LandingPageSpec(_Input):
    template: str | None = None
    title: str | None = None
    url_page_name: str | None = None


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
    kind: ContentKind
    title: str = Field(min_length=1, max_length=500)
    summary: str | None = None
    body: str | None = None
    body_markdown: str | None = None
    language: str = "en"
    tags: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    schedule_at: AwareDatetime | None = None
    url: str | None = None
    campaign: CampaignSpec | None = None
    assets: list[Asset] = Field(default_factory=list)
    audience: Audience | None = None
    email: EmailSpec | None = None
    landing_page: LandingPageSpec | None = None
    hubspot: dict[str, Any] = Field(default_factory=dict)
    marketo: dict[str, Any] = Field(default_factory=dict)
    mock: dict[str, Any] = Field(default_factory=dict)
    platform_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

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

    model_config = ConfigDict(frozen=True)

    platform: str
    success: bool = True
    external_id: str | None = None
    url: str | None = None
    status: str | None = None
    created_at: datetime = Field(default_factory=_now)
    request_id: str | None = None
    warnings: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    degraded: bool = False
    #: Set by the pipeline on each step's response (see :data:`Action`).
    action: Action | None = None
    #: The fields an ``updated`` step changed (dotted paths, e.g. ``body``, ``campaign.costs``).
    changed: list[str] = Field(default_factory=list)


class CampaignResponse(PlatformResponse):
    name: str | None = None
    reused: bool = False


class PublishResponse(PlatformResponse):
    """The content's object on the platform.

    ``status`` is ``draft``, ``scheduled``, ``published`` or, for an email that went
    out, ``sent`` (with ``sent_at`` and ``recipients``, the lists it was sent to). An
    email that is ``sent``, or whose ``scheduled_at`` has passed, is never changed again.
    """

    content_id: str | None = None
    scheduled_at: datetime | None = None
    sent_at: datetime | None = None
    recipients: list[str] = Field(default_factory=list)


class AssetResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    success: bool = True
    external_id: str | None = None
    url: str | None = None
    mime_type: str | None = None
    size: int | None = None
    alt_text: str | None = None
    role: str | None = None
    error: str | None = None
    #: ``created`` (uploaded now) or ``unchanged`` (the same bytes were uploaded before).
    action: Action | None = None


class AssetsResponse(PlatformResponse):
    results: list[AssetResult] = Field(default_factory=list)


class StatusResponse(PlatformResponse):
    """``status`` is one of draft | scheduled | published | unknown, or the vendor's own."""


class CheckResponse(PlatformResponse):
    ok: bool = True
    details: dict[str, Any] = Field(default_factory=dict)

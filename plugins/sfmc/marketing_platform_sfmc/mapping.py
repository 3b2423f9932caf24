"""From :class:`Content` to Content Builder assets and Campaigns API bodies.

Identity is deterministic, so every object is found again before it is written:

* a content's asset has ``customerKey`` = :func:`stable_key` of (MID, kind, content id):
  36 characters at most, unique per content and business unit (customerKey is unique
  across the whole enterprise, so the MID is part of it when ``SFMC_ACCOUNT_ID`` is set);
* an image's asset has the key of (MID, its SHA-256): the same bytes are one asset;
* a campaign's ``campaignCode`` is the key of (MID, campaign name).

Every body the adapter sends is built here, so a live run, a re-run's comparison
(:meth:`SfmcMapper.desired_view` against :func:`current_view`) and the ``--dry-run`` plan
agree. Per-content options live under ``platform_options.sfmc`` (``sfmc:`` in a content
file): ``category_id`` (a Content Builder folder for this content's asset).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from marketing_platform.errors import Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import Asset, AssetsResponse, CampaignSpec, Content, ContentKind

from .settings import WEB_PAGE_TYPES

if TYPE_CHECKING:
    from .settings import SfmcSettings

PLATFORM = "sfmc"
#: Content Builder's HTML ("paste") email.
HTML_EMAIL = (208, "htmlemail")
#: File asset types by extension, then by MIME type; anything else is a document.
FILE_TYPES_BY_EXTENSION = {
    ".png": (28, "png"),
    ".jpg": (23, "jpg"),
    ".jpeg": (22, "jpeg"),
    ".gif": (20, "gif"),
    ".svg": (39, "svg"),
    ".pdf": (127, "pdf"),
}
IMAGE = (8, "image")
DOCUMENT = (11, "document")
#: The Campaigns API's limits (OpenAPI).
MAX_CAMPAIGN_NAME = 128
MAX_CAMPAIGN_DESCRIPTION = 512
#: Content Builder limits: asset names, customerKey.
MAX_ASSET_NAME = 200
MAX_KEY = 36
#: The colour a new campaign gets (the documented example; the OpenAPI requires one).
CAMPAIGN_COLOR = "0000ff"
OPTION_KEYS = {"category_id": "the Content Builder folder (category id) of this content's asset"}


def stable_key(*parts: str) -> str:
    """A customerKey / campaignCode: ``mp`` + 32 hex characters of a SHA-256 of ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"mp{digest[:32]}"


def file_type(asset: Asset) -> tuple[int, str]:
    """The Content Builder asset type ``(id, name)`` for a file."""
    found = FILE_TYPES_BY_EXTENSION.get(PurePath(asset.filename).suffix.lower())
    if found is not None:
        return found
    return IMAGE if (asset.mime_type or "").startswith("image/") else DOCUMENT


def dig(item: Mapping[str, Any] | None, *path: str) -> Any:
    """``item[path[0]][path[1]]...``, or None when any step is missing."""
    value: Any = item
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _tags(value: Any) -> list[str]:
    """Tags as a sorted list of names (the vendor may reorder them or return objects)."""
    if not isinstance(value, list):
        return []
    names = [str(t.get("name") if isinstance(t, Mapping) else t) for t in value]
    return sorted({name for name in names if name})


def current_view(asset: Mapping[str, Any], kind: ContentKind) -> dict[str, Any]:
    """What Marketing Cloud holds, under the names of :meth:`SfmcMapper.desired_view`.

    A web page's HTML is read from ``views.html.content`` or, failing that, from
    ``content`` (which of the two a tenant keeps is not documented)."""
    view: dict[str, Any] = {
        "title": asset.get("name"),
        "summary": asset.get("description"),
        "tags": _tags(asset.get("tags")),
        "folder": dig(asset, "category", "id"),
        "body": dig(asset, "views", "html", "content") or asset.get("content"),
    }
    if kind is ContentKind.EMAIL:
        view["subject"] = dig(asset, "views", "subjectline", "content")
        view["email.preheader"] = dig(asset, "views", "preheader", "content")
    return view


class SfmcMapper(ContentMapper):
    """The Marketing Cloud mapping; every method is pure (no requests)."""

    @property
    def settings(self) -> SfmcSettings:
        settings: SfmcSettings = self.platform.settings  # type: ignore[assignment]
        return settings

    # ------------------------------------------------------------- identity
    def _scope(self) -> tuple[str, ...]:
        return (self.settings.account_id,) if self.settings.account_id else ()

    def content_key(self, content: Content) -> str:
        """The customerKey of ``content``'s asset."""
        return stable_key(*self._scope(), "content", content.kind.value, content.id)

    def file_key(self, sha256: str) -> str:
        """The customerKey of the file asset holding these bytes."""
        return stable_key(*self._scope(), "file", sha256)

    def campaign_code(self, name: str) -> str:
        """The ``campaignCode`` of the campaign called ``name``."""
        return stable_key(*self._scope(), "campaign", name)

    def asset_name(self, content: Content) -> str:
        """``"<title> [<content id>]"`` (names are unique per folder and asset type; the id
        keeps two contents of one title apart). A long title is shortened, never the id."""
        suffix = f" [{content.id}]"
        room = MAX_ASSET_NAME - len(suffix)
        return content.title[:room].rstrip() + suffix if room > 0 else content.id[:MAX_ASSET_NAME]

    def category_id(self, content: Content | None = None) -> int | None:
        """The folder: ``sfmc.category_id`` of the content, else ``SFMC_CATEGORY_ID``."""
        if content is not None:
            option = self.options(content).get("category_id")
            if option is not None:
                return int(option)
        return self.settings.category_id

    def options(self, content: Content) -> dict[str, Any]:
        return dict(content.options_for(PLATFORM))

    def asset_type(self, kind: ContentKind) -> tuple[int, str]:
        if kind is ContentKind.EMAIL:
            return HTML_EMAIL
        type_id = self.settings.web_page_asset_type
        return type_id, WEB_PAGE_TYPES[type_id]

    # -------------------------------------------------------------- checks
    def problems(self, content: Content) -> list[Problem]:
        found = super().problems(content)
        if found:
            return found
        if not (content.body or "").strip():
            found.append(Problem("body", "a Content Builder email or web page needs an HTML body"))
        for key, value in self.options(content).items():
            if key not in OPTION_KEYS:
                known = ", ".join(sorted(OPTION_KEYS))
                found.append(Problem(f"sfmc.{key}", f"unknown option (known: {known})"))
            elif key == "category_id" and not (isinstance(value, int) and value > 0):
                found.append(Problem("sfmc.category_id", "a Content Builder folder id is a positive number"))
        spec = content.campaign
        if spec is not None:
            if len(spec.name) > MAX_CAMPAIGN_NAME:
                found.append(
                    Problem(
                        "campaign.name",
                        f"Marketing Cloud campaign names have at most {MAX_CAMPAIGN_NAME} characters",
                    )
                )
            if spec.description and len(spec.description) > MAX_CAMPAIGN_DESCRIPTION:
                found.append(
                    Problem(
                        "campaign.description",
                        "Marketing Cloud campaign descriptions have at most "
                        f"{MAX_CAMPAIGN_DESCRIPTION} characters",
                    )
                )
        return found

    def notices(self, content: Content) -> list[str]:
        """What the content asks for that this adapter leaves to Marketing Cloud (the
        activation's warnings; see docs/sfmc.md, "What is not done")."""
        notes: list[str] = []
        if content.kind is ContentKind.EMAIL:
            notes.append(
                "the email is created in Content Builder, not sent: send it from Marketing Cloud "
                "(Email Studio send, or a Journey Builder email activity)"
            )
            if content.audience and content.audience.lists:
                notes.append(
                    f"audience.lists ({', '.join(content.audience.lists)}) is not used: pick the "
                    "lists or data extension when you send in Marketing Cloud"
                )
            email = content.email
            if email and (email.from_name or email.from_email or email.reply_to):
                notes.append(
                    "email sender fields are not part of a Content Builder email: "
                    "pick a sender profile at send time"
                )
            if email and email.template:
                notes.append(
                    f"email.template ({email.template}) is not used: the email is an HTML paste email"
                )
        if content.schedule_at is not None:
            notes.append(
                "schedule_at is not used: schedule the send (or publish the page) in Marketing Cloud"
            )
        if content.kind is ContentKind.LANDING_PAGE:
            notes.append(
                "the web page is created in Content Builder; publish it as a CloudPage in Marketing Cloud"
            )
        spec = content.campaign
        if spec is not None:
            unused = [
                name
                for name in ("channel", "program_type", "folder", "start_date", "end_date")
                if getattr(spec, name) is not None
            ] + [name for name in ("costs", "tags") if getattr(spec, name)]
            if unused:
                notes.append(f"campaign {', '.join(unused)}: Marketing Cloud campaigns have no such fields")
        return notes

    # ------------------------------------------------------------ payloads
    def body_html(self, content: Content, assets: AssetsResponse | None = None) -> str:
        """The HTML: ``content.body`` (its images already point at their Content Builder
        URLs) with featured images it does not reference placed at its top."""
        body = content.body or ""
        images = []
        for result in assets.results if assets else []:
            if result.url and result.role == "featured" and result.url not in body:
                alt = html.escape(result.alt_text or "", quote=True)
                images.append(f'<img src="{html.escape(result.url, quote=True)}" alt="{alt}">')
        return "".join(images) + body

    def desired_view(self, content: Content, assets: AssetsResponse | None = None) -> dict[str, Any]:
        """The fields an activation writes, by user-facing name (compared on re-runs)."""
        view: dict[str, Any] = {
            "title": self.asset_name(content),
            "summary": content.summary,
            "tags": sorted(set(content.tags)),
            "body": self.body_html(content, assets),
        }
        category = self.category_id(content)
        if category is not None:
            view["folder"] = category
        if content.kind is ContentKind.EMAIL:
            view["subject"] = self.subject(content)
            view["email.preheader"] = content.summary
        return view

    def subject(self, content: Content) -> str:
        return (content.email.subject if content.email else None) or content.title

    def update_payload(self, content: Content, assets: AssetsResponse | None = None) -> dict[str, Any]:
        """``PATCH /asset/v1/content/assets/{id}``: every field the adapter owns (empty
        values clear what an earlier activation set)."""
        body = self.body_html(content, assets)
        payload: dict[str, Any] = {
            "name": self.asset_name(content),
            "description": content.summary or "",
            "tags": list(dict.fromkeys(content.tags)),
        }
        category = self.category_id(content)
        if category is not None:
            payload["category"] = {"id": category}
        if content.kind is ContentKind.EMAIL:
            payload["views"] = {
                "html": {"content": body},
                "text": {},
                "subjectline": {"content": self.subject(content)},
                "preheader": {"content": content.summary or ""},
            }
        else:
            # Which of the two a web page keeps is not documented: send both.
            payload["content"] = body
            payload["views"] = {"html": {"content": body}}
        return payload

    def create_payload(self, content: Content, assets: AssetsResponse | None = None) -> dict[str, Any]:
        """``POST /asset/v1/content/assets``: the asset with its customerKey and type."""
        type_id, type_name = self.asset_type(content.kind)
        email = content.kind is ContentKind.EMAIL
        return {
            "customerKey": self.content_key(content),
            "assetType": {"id": type_id, "name": type_name},
            "channels": {"email": email, "web": not email},
            **self.update_payload(content, assets),
        }

    def file_payload(self, asset: Asset, encoded: str, *, name: str | None = None) -> dict[str, Any]:
        """``POST /asset/v1/content/assets`` for a file: base64 bytes in ``file``."""
        type_id, type_name = file_type(asset)
        filename = name or asset.filename
        payload: dict[str, Any] = {
            "name": filename,
            "customerKey": self.file_key(asset.sha256 or filename),
            "assetType": {"id": type_id, "name": type_name},
            "file": encoded,
            "fileProperties": {"fileName": filename},
        }
        if asset.alt_text:
            payload["description"] = asset.alt_text
        if self.settings.category_id is not None:
            payload["category"] = {"id": self.settings.category_id}
        return payload

    def campaign_payload(self, spec: CampaignSpec) -> dict[str, Any]:
        """``POST /hub/v1/campaigns``."""
        return {
            "name": spec.name,
            "description": spec.description or "",
            "campaignCode": self.campaign_code(spec.name),
            "color": CAMPAIGN_COLOR,
            "favorite": False,
        }

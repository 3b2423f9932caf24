"""From :class:`Content` to Mailchimp campaign payloads.

In Mailchimp a *campaign* is one email, so the idempotency key is the content: each
content gets its own Mailchimp campaign, titled ``"<campaign name> / <content id>"``
when the content names a ``campaign``, else ``"<content id>"``
(:meth:`MailchimpMapper.campaign_title`). That title is the campaign's
``settings.title``, which is how an existing campaign is found again; two contents
sharing ``campaign.name`` (the March and April issues of one newsletter) are two
campaigns, two emails. Per-content options live under ``mailchimp:`` in the content
file (``platform_options``): ``segment`` (a saved segment or tag of the audience) and
``audience`` (overrides ``audience.lists``).

A content id has no spaces or slashes, so a title names its content: the part after the
last ``" / "`` (:meth:`MailchimpMapper.content_id_of`). A campaign is found again by
that id, so renaming ``campaign.name`` never makes a second campaign (nor a second send)
for one content. :meth:`MailchimpMapper.sync_fields` and :func:`vendor_fields` put what
an activation would send and what Mailchimp holds side by side, for re-activation.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from marketing_platform.errors import Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import AssetsResponse, CampaignSpec, Content, ContentKind

if TYPE_CHECKING:
    from .settings import MailchimpSettings

#: Mailchimp's documented limit for a subject line.
MAX_SUBJECT = 150
#: Mailchimp schedules only on the quarter hour.
SCHEDULE_MINUTES = (0, 15, 30, 45)
#: Between the campaign name and the content id in a campaign title. A content id has
#: no spaces, so the title ends in exactly one ``" / <content id>"``.
TITLE_SEPARATOR = " / "
#: The longest title kept (``CampaignSpec.name``'s limit); a long campaign name is
#: shortened, never the content id.
MAX_TITLE = 255
#: What a content id looks like (``Content.id``'s pattern).
CONTENT_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
#: The moment format of ``schedule_time`` (and of compared schedules).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"
#: The re-activation fields carried by ``PATCH /campaigns/{id}`` (settings, recipients).
SETTINGS_FIELDS = frozenset(
    {"campaign.name", "subject", "summary", "from_name", "reply_to", "audience", "segment"}
)
#: Mailchimp campaign status -> the status compared on re-activation.
_COMPARED_STATUS = {"save": "draft", "paused": "draft", "schedule": "scheduled"}


class ContentCampaignSpec(CampaignSpec):
    """The campaign step's spec, knowing the content it is for: in Mailchimp the
    campaign *is* the email, so :meth:`MailchimpPlatform.create_campaign` can make it
    with the content's settings and recipients in one ``POST /campaigns`` instead of a
    ``PATCH`` right after. Its fields are a plain :class:`CampaignSpec`'s."""

    _content: Content | None = PrivateAttr(default=None)

    @property
    def content(self) -> Content | None:
        return self._content


def spec_content(spec: CampaignSpec) -> Content | None:
    """The content ``spec`` was made for by :meth:`MailchimpMapper.campaign_spec`, if any."""
    return spec.content if isinstance(spec, ContentCampaignSpec) else None


class MailchimpMapper(ContentMapper):
    """The Mailchimp mapping; every method is pure (no requests)."""

    @property
    def settings(self) -> MailchimpSettings:
        settings: MailchimpSettings = self.platform.settings  # type: ignore[assignment]
        return settings

    # --------------------------------------------------------------- lookups
    def options(self, content: Content) -> dict[str, Any]:
        return dict(content.options_for("mailchimp"))

    def audience_name(self, content: Content) -> str | None:
        """The audience (Mailchimp "list") to send to, by name."""
        override = self.options(content).get("audience")
        if override:
            return str(override)
        if content.audience and content.audience.lists:
            return content.audience.lists[0]
        return self.settings.audience

    def segment_name(self, content: Content) -> str | None:
        segment = self.options(content).get("segment")
        return str(segment) if segment else None

    def from_name(self, content: Content) -> str | None:
        return (content.email.from_name if content.email else None) or self.settings.from_name

    def reply_to(self, content: Content) -> str | None:
        email = content.email
        return (email.reply_to or email.from_email if email else None) or self.settings.reply_to

    def subject(self, content: Content) -> str:
        return (content.email.subject if content.email else None) or content.title

    # -------------------------------------------------------------- checks
    def problems(self, content: Content) -> list[Problem]:
        found = super().problems(content)
        if found or content.kind is not ContentKind.EMAIL:
            return found
        if not self.audience_name(content):
            found.append(Problem("audience.lists", "name the Mailchimp audience (or set MAILCHIMP_AUDIENCE)"))
        if content.audience and len(content.audience.lists) > 1:
            found.append(
                Problem(
                    "audience.lists",
                    "a Mailchimp campaign goes to one audience; use mailchimp.segment for part of it",
                )
            )
        if not self.from_name(content):
            found.append(Problem("email.from_name", "required by Mailchimp (or set MAILCHIMP_FROM_NAME)"))
        if not self.reply_to(content):
            found.append(Problem("email.reply_to", "required by Mailchimp (or set MAILCHIMP_REPLY_TO)"))
        if len(self.subject(content)) > MAX_SUBJECT:
            found.append(Problem("email.subject", f"longer than Mailchimp's {MAX_SUBJECT} characters"))
        if not content.body:
            found.append(Problem("body", "an email needs a body"))
        when = content.schedule_at
        if when is not None and (when.minute not in SCHEDULE_MINUTES or when.second or when.microsecond):
            found.append(
                Problem("schedule_at", "Mailchimp schedules on the quarter hour (:00, :15, :30, :45)")
            )
        return found

    # ------------------------------------------------------------ payloads
    def campaign_title(self, content: Content) -> str:
        """The title of the Mailchimp campaign that sends ``content``: unique per content.

        ``"<campaign name> / <content id>"``, or the content id when the content names
        no campaign. The campaign name alone would make every content of one campaign
        share one Mailchimp campaign, so only the first would ever be sent."""
        if content.campaign is None:
            return content.id
        room = MAX_TITLE - len(TITLE_SEPARATOR) - len(content.id)
        name = content.campaign.name[:room].rstrip() if room > 0 else ""
        if not name or not content.id:
            return content.id or content.campaign.name
        return f"{name}{TITLE_SEPARATOR}{content.id}"

    @staticmethod
    def content_id_of(title: str) -> str | None:
        """The content id a campaign title carries (what follows the last ``" / "``, or
        the whole title), or None when that is not a content id (a campaign made by hand)."""
        _, separator, tail = title.rpartition(TITLE_SEPARATOR)
        candidate = tail if separator else title
        return candidate if CONTENT_ID.fullmatch(candidate) else None

    @staticmethod
    def upload_name(filename: str, sha256: str) -> str:
        """The file manager name of a file: ``chart.png`` -> ``chart.<12 hex of its
        SHA-256>.png``. The file manager can be listed but not searched by content, so
        the name carries the bytes' identity: a file found under it is this very file,
        never an edited image of the same name (and perhaps the same size)."""
        stem, dot, extension = filename.rpartition(".")
        digest = sha256[:12]
        return f"{stem}.{digest}.{extension}" if dot and stem else f"{filename}.{digest}"

    def campaign_spec(self, content: Content) -> CampaignSpec:
        """Always a campaign: Mailchimp sends nothing outside one. Its name is
        :meth:`campaign_title`, so the pipeline's ``create_campaign(spec)`` finds or
        creates the campaign of this content, not of every content of the campaign."""
        title = self.campaign_title(content)
        fields = {} if content.campaign is None else dict(content.campaign)
        spec = ContentCampaignSpec(**{**fields, "name": title})
        spec._content = content
        return spec

    def campaign_payload(self, spec: CampaignSpec, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """``POST /campaigns``: a draft regular campaign titled ``spec.name``; with
        ``settings`` (a :meth:`settings_payload`), its recipients and settings too."""
        if settings is not None:
            return {"type": "regular", **settings}
        return {"type": "regular", "settings": {"title": spec.name}}

    def settings_payload(
        self, content: Content, title: str, list_id: str, segment_id: int | str | None
    ) -> dict[str, Any]:
        """``PATCH /campaigns/{id}``: recipients and settings for ``content``."""
        recipients: dict[str, Any] = {"list_id": list_id}
        if segment_id is not None:
            recipients["segment_opts"] = {"saved_segment_id": segment_id}
        settings: dict[str, Any] = {
            "title": title,
            "subject_line": self.subject(content),
            "from_name": self.from_name(content),
            "reply_to": self.reply_to(content),
            "preview_text": content.summary or "",
        }
        return {"recipients": recipients, "settings": settings}

    def content_payload(self, content: Content, assets: AssetsResponse | None = None) -> dict[str, Any]:
        """``PUT /campaigns/{id}/content``: the HTML, with featured images not already
        referenced by the body placed at its top."""
        body = content.body or ""
        images = []
        for result in assets.results if assets else []:
            if result.url and result.role == "featured" and result.url not in body:
                alt = html.escape(result.alt_text or "", quote=True)
                images.append(f'<img src="{html.escape(result.url, quote=True)}" alt="{alt}">')
        return {"html": "".join(images) + body}

    def schedule_payload(self, when: datetime) -> dict[str, Any]:
        """``POST /campaigns/{id}/actions/schedule``: the time in UTC, ISO 8601."""
        return {"schedule_time": when.astimezone(UTC).strftime(TIME_FORMAT)}

    # ------------------------------------------------------ re-activation
    def sync_fields(
        self,
        content: Content,
        *,
        list_id: str,
        segment_id: int | None,
        assets: AssetsResponse | None,
        send_at: datetime | None,
    ) -> dict[str, Any]:
        """What an activation of ``content`` would leave on Mailchimp, by the field
        names a re-activation reports: the settings and recipients of the ``PATCH``, the
        HTML of the ``PUT``, and the delivery (``send_at``: the schedule, None to send now)."""
        settings = self.settings_payload(content, self.campaign_title(content), list_id, segment_id)
        sent = settings["settings"]
        return {
            "campaign.name": sent["title"],
            "subject": sent["subject_line"],
            "summary": sent["preview_text"],
            "from_name": sent["from_name"],
            "reply_to": sent["reply_to"],
            "audience": list_id,
            "segment": segment_id,
            "body": self.content_payload(content, assets)["html"],
            "schedule_at": send_at.astimezone(UTC).strftime(TIME_FORMAT) if send_at else None,
            "status": "scheduled" if send_at else "sent",
        }


def vendor_fields(item: dict[str, Any], html_body: str) -> dict[str, Any]:
    """What Mailchimp holds for a campaign (``GET /campaigns/{id}`` item and its content
    HTML) by the field names of :meth:`MailchimpMapper.sync_fields`."""
    settings = item.get("settings") or {}
    recipients = item.get("recipients") or {}
    status = str(item.get("status") or "")
    send_time = vendor_time(item.get("send_time")) if status == "schedule" else None
    return {
        "campaign.name": settings.get("title"),
        "subject": settings.get("subject_line"),
        "summary": settings.get("preview_text"),
        "from_name": settings.get("from_name"),
        "reply_to": settings.get("reply_to"),
        "audience": recipients.get("list_id"),
        "segment": (recipients.get("segment_opts") or {}).get("saved_segment_id"),
        "body": html_body,
        "schedule_at": send_time.strftime(TIME_FORMAT) if send_time else None,
        "status": _COMPARED_STATUS.get(status, status),
    }


def vendor_time(value: Any) -> datetime | None:
    """A Mailchimp time (``send_time``: ISO 8601, ``""`` when unset) in UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)

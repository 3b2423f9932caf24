"""From :class:`Content` to Account Engagement v5 bodies (pure: no requests).

Every object the adapter makes is named after the content id (``name = content.id``),
and found again by that name: a title edit never hides an object (a list email found
again is never sent again). What each kind becomes:

* ``email`` -> a **list email** (``POST /list-emails``: creating it *sends* it, now or
  at ``scheduledTime``) to the lists named in ``audience.lists``; or, with
  ``pardot: {as_template: true}``, an **email template** (never sent, updated in place).
* ``landing_page`` -> a **layout template** holding the page's HTML (title, summary as
  the meta description, body; updated in place) and a **landing page** using it (v5
  cannot update landing pages, so the HTML lives in the template).

``pardot:`` options in a content file: ``as_template`` (bool), ``operational`` (bool,
send to opted-out prospects too: only for transactional mail), ``folder`` (a folder
path, overriding ``PARDOT_FOLDER``).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from marketing_platform.errors import Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import Asset, Content, ContentKind

if TYPE_CHECKING:
    from .settings import PardotSettings

OPTIONS = frozenset({"as_template", "operational", "folder"})
#: Longest object name kept (v5's limit is not documented; code 138 says one exists).
MAX_NAME = 255

#: The variables that satisfy "an email needs an unsubscribe link" (code 64), in PML
#: (``%%unsubscribe%%``) and HML (``{{Unsubscribe}}``), or the preference centre.
_UNSUBSCRIBE = re.compile(
    r"%%\s*(?:unsubscribe|email_preference_center)\s*%%"
    r"|\{\{\{?\s*(?:unsubscribe|emailpreferencecenter)\s*\}?\}\}",
    re.IGNORECASE,
)
_BLOCKS = frozenset({"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "ul", "ol"})
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

#: Which API field of a body is which user-meaningful field in a change set.
EMAIL_FIELDS = {
    "subject": "subject",
    "htmlMessage": "body",
    "textMessage": "text",
    "campaignId": "campaign",
    "senderOptions": "from",
    "replyToOptions": "reply_to",
    "folderId": "folder",
    "emailTemplateId": "template",
}
_NORMALISED = frozenset({"body", "text"})


def normalise_html(text: Any) -> Any:
    """``text`` with runs of whitespace collapsed (for comparing; never sent)."""
    if not isinstance(text, str):
        return text
    return re.sub(r"\s+", " ", text).strip()


def user_view(payload: dict[str, Any], fields: dict[str, str] = EMAIL_FIELDS) -> dict[str, Any]:
    """``payload`` keyed by user-meaningful names (``body`` for ``htmlMessage`` ...),
    bodies whitespace-normalised, for :func:`marketing_platform.sync.diff`."""
    view: dict[str, Any] = {}
    for api_name, user_name in fields.items():
        if api_name in payload:
            value = payload[api_name]
            view[user_name] = normalise_html(value) if user_name in _NORMALISED else value
    return view


class _Text(HTMLParser):
    """HTML to the plain-text part: block ends become line breaks, links keep their
    target (``text: href``) so variables such as ``%%unsubscribe%%`` survive."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip += 1
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith("#"):
                self.parts.append(f": {href}")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    parser.close()
    lines = [_SPACE.sub(" ", line).strip() for line in "".join(parser.parts).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def iso(moment: datetime) -> str:
    """ISO 8601 with an offset, in UTC (``2026-12-01T09:00:00+00:00``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


_LAYOUT = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="description" content="{summary}">
</head>
<body>
{body}
</body>
</html>
"""
_LAYOUT_PARTS = re.compile(
    r"<title>(?P<title>.*?)</title>.*?<meta name=\"description\" content=\"(?P<summary>[^\"]*)\">"
    r".*?<body>\n?(?P<body>.*?)\n?</body>",
    re.DOTALL,
)


def layout_parts(document: str) -> dict[str, str] | None:
    """``{title, summary, body}`` of a layout the adapter wrote, or None when the
    document was reshaped in Account Engagement (then it is compared whole)."""
    found = _LAYOUT_PARTS.search(document or "")
    if found is None:
        return None
    return {
        "title": html.unescape(found["title"]),
        "summary": html.unescape(found["summary"]),
        "body": normalise_html(found["body"]),
    }


class PardotMapper(ContentMapper):
    """The Account Engagement mapping for one adapter instance."""

    @property
    def settings(self) -> PardotSettings:
        settings: PardotSettings = self.platform.settings  # type: ignore[assignment]
        return settings

    # --------------------------------------------------------------- lookups
    def options(self, content: Content) -> dict[str, Any]:
        return dict(content.options_for("pardot"))

    def as_template(self, content: Content) -> bool:
        return content.kind is ContentKind.EMAIL and bool(self.options(content).get("as_template"))

    def object_name(self, content: Content) -> str:
        """The name of every object made for ``content``: its id (stable across edits)."""
        return content.id[:MAX_NAME]

    def folder_path(self, content: Content) -> str | None:
        given = self.options(content).get("folder")
        if given:
            return "/" + str(given).strip().strip("/")
        return self.settings.folder

    def subject(self, content: Content) -> str:
        return (content.email.subject if content.email else None) or content.title

    def template_name(self, content: Content) -> str | None:
        return content.email.template if content.email else None

    def from_email(self, content: Content) -> str | None:
        return (content.email.from_email if content.email else None) or self.settings.from_email

    def from_name(self, content: Content) -> str | None:
        return (content.email.from_name if content.email else None) or self.settings.from_name

    def reply_to(self, content: Content) -> str | None:
        return (content.email.reply_to if content.email else None) or self.settings.reply_to

    def list_names(self, content: Content) -> list[str]:
        return list(content.audience.lists) if content.audience else []

    # -------------------------------------------------------------- checks
    def problems(self, content: Content) -> list[Problem]:
        found = super().problems(content)
        if found:
            return found
        unknown = sorted(set(self.options(content)) - OPTIONS)
        if unknown:
            found.append(
                Problem(
                    "pardot", f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(OPTIONS))}"
                )
            )
        if not content.body:
            found.append(Problem("body", f"a Pardot {content.kind.value.replace('_', ' ')} needs a body"))
        if content.kind is ContentKind.EMAIL:
            found += self._email_problems(content)
        return found

    def _email_problems(self, content: Content) -> list[Problem]:
        found: list[Problem] = []
        if not self.template_name(content) and not self.from_email(content):
            found.append(
                Problem(
                    "email.from_email", "required by Pardot (or set PARDOT_FROM_EMAIL, or name a template)"
                )
            )
        if self.as_template(content):
            return found
        if not self.list_names(content):
            found.append(Problem("audience.lists", "name the Pardot list(s) the list email goes to"))
        if content.campaign is None and self.settings.campaign_id is None:
            found.append(
                Problem(
                    "campaign.name",
                    "a Pardot list email belongs to a campaign: name one or set PARDOT_CAMPAIGN_ID",
                )
            )
        return found

    # ------------------------------------------------------------ bodies
    def html(self, content: Content) -> str:
        """The body, with the unsubscribe footer appended when it has no unsubscribe
        (or preference centre) variable: Account Engagement refuses such an email (64)."""
        body = content.body or ""
        if _UNSUBSCRIBE.search(body):
            return body
        return body + "\n" + self.settings.unsubscribe_footer

    def text(self, content: Content) -> str:
        return html_to_text(self.html(content))

    def sender_options(self, content: Content) -> list[dict[str, Any]]:
        address = self.from_email(content)
        if not address:
            return []
        sender: dict[str, Any] = {"type": "general_user", "address": address}
        name = self.from_name(content)
        if name:
            sender["name"] = name
        return [sender]

    def reply_to_options(self, content: Content) -> list[dict[str, Any]]:
        address = self.reply_to(content) or self.from_email(content)
        return [{"type": "general_user", "address": address}] if address else []

    def _message(self, content: Content) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": self.object_name(content),
            "subject": self.subject(content),
            "htmlMessage": self.html(content),
            "textMessage": self.text(content),
        }
        senders = self.sender_options(content)
        if senders:
            payload["senderOptions"] = senders
            payload["replyToOptions"] = self.reply_to_options(content)
        if self.settings.tracker_domain_id is not None:
            payload["trackerDomainId"] = self.settings.tracker_domain_id
        return payload

    def list_email_payload(
        self,
        content: Content,
        *,
        campaign_id: int | str | None,
        list_ids: list[int | str],
        template_id: int | str | None = None,
        folder_id: int | str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """``POST /list-emails``: this sends the email (at ``scheduledTime`` when the
        content's ``schedule_at`` is still ahead, else now)."""
        payload = self._message(content)
        payload["campaignId"] = campaign_id
        payload["recipientListIds"] = list_ids
        if template_id is not None:
            payload["emailTemplateId"] = template_id
        if folder_id is not None:
            payload["folderId"] = folder_id
        when = content.schedule_at
        if when is not None and (now is None or when > now):
            payload["scheduledTime"] = iso(when)
        if self.options(content).get("operational"):
            payload["isOperational"] = True
        return payload

    def email_template_payload(
        self, content: Content, *, campaign_id: int | str | None, folder_id: int | str | None
    ) -> dict[str, Any]:
        """``POST``/``PATCH /email-templates``: usable for list emails (code 220 wants one
        of the four uses true)."""
        payload = self._message(content)
        payload.update(isListEmail=True, isOneToOneEmail=False, isAutoResponderEmail=False, isDripEmail=False)
        if campaign_id is not None:
            payload["campaignId"] = campaign_id
        if folder_id is not None:
            payload["folderId"] = folder_id
        return payload

    # ------------------------------------------------------- landing pages
    def layout_document(self, content: Content) -> str:
        page = content.landing_page
        title = (page.title if page else None) or content.title
        return _LAYOUT.format(
            lang=html.escape(content.language, quote=True),
            title=html.escape(title, quote=False),
            summary=html.escape(content.summary or "", quote=True),
            body=content.body or "",
        )

    def layout_view(self, content: Content) -> dict[str, str]:
        """What the page shows, as :func:`layout_parts` reads it back."""
        parts = layout_parts(self.layout_document(content))
        assert parts is not None
        return parts

    def layout_template_payload(self, content: Content, *, folder_id: int | str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": self.object_name(content),
            "layoutContent": self.layout_document(content),
            "isIncludeDefaultCss": False,
        }
        if folder_id is not None:
            payload["folderId"] = folder_id
        return payload

    def landing_page_payload(
        self,
        content: Content,
        *,
        campaign_id: int | str | None,
        layout_template_id: int | str,
        folder_id: int | str | None,
    ) -> dict[str, Any]:
        """``POST /landing-pages`` (v5 has no update: the HTML is in the layout template)."""
        payload: dict[str, Any] = {"name": self.object_name(content), "layoutTemplateId": layout_template_id}
        if campaign_id is not None:
            payload["campaignId"] = campaign_id
        if folder_id is not None:
            payload["folderId"] = folder_id
        if self.settings.tracker_domain_id is not None:
            payload["trackerDomainId"] = self.settings.tracker_domain_id
        return payload

    # --------------------------------------------------------------- files
    def file_name(self, asset: Asset) -> str:
        """``chart-1a2b3c4d.png``: the name carries the first bytes of the file's SHA-256,
        so a file found by name holds the same bytes."""
        name = PurePosixPath(asset.filename)
        if not asset.sha256:
            return name.name
        return f"{name.stem}-{asset.sha256[:8]}{name.suffix}"

    def file_input(self, asset: Asset, *, folder_id: int | str | None) -> dict[str, Any]:
        """The ``input`` JSON part of a file upload."""
        data: dict[str, Any] = {"name": self.file_name(asset)}
        if folder_id is not None:
            data["folderId"] = folder_id
        if self.settings.tracker_domain_id is not None:
            data["trackerDomainId"] = self.settings.tracker_domain_id
        return data

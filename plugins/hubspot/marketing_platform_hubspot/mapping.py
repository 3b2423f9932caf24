"""From :class:`~marketing_platform.models.Content` to HubSpot request bodies.

:class:`HubSpotMapper` adds HubSpot's rules to the core checks (found before any
request) and builds every JSON body the adapter sends, so the live run and the
``--dry-run`` plan use the same code. Ids known only at run time are passed in by the
caller: real ids when activating, ``<resolved at run time: ...>`` placeholders in a plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marketing_platform.errors import Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import AssetResult, AssetsResponse, CampaignSpec, Content, ContentKind

if TYPE_CHECKING:
    from .settings import HubSpotSettings

#: Keys a content file may set under ``hubspot:``.
OPTION_KEYS = {
    "blog_id": "the blog (contentGroupId) to post to; default HUBSPOT_BLOG_ID",
    "blog_author_id": "the blog author id (blogAuthorId)",
    "slug": "the post's slug; default the content id (the post is found by it)",
    "email_name": "the marketing email's internal name; default 'TITLE [CONTENT ID]' (the email is "
    "found by it or by the [CONTENT ID] at its end, so keep it unique)",
    "body_widget": "the email template's rich-text widget that receives the body",
    "publish_email": "false to leave the marketing email as a draft",
}
DEFAULT_BODY_WIDGET = "main_body"
#: Upload options. ``RETURN_EXISTING`` in the target folder makes an upload idempotent:
#: a replay after a lost answer gets the file uploaded the first time, not a copy.
FILE_OPTIONS = {
    "access": "PUBLIC_INDEXABLE",
    "overwrite": False,
    "duplicateValidationStrategy": "RETURN_EXISTING",
    "duplicateValidationScope": "EXACT_FOLDER",
}
#: The ``objectTypeId`` of contacts, for contact lists.
CONTACTS = "0-1"


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as HubSpot's publishDate expects."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def tag_number(tag: str | int) -> int | str:
    """A blog tag id as HubSpot's int64; a placeholder (``<resolved at run time ...>``)
    is left as it is."""
    text = str(tag)
    return int(text) if text.isdigit() else text


def featured_image(assets: AssetsResponse | None) -> AssetResult | None:
    """The uploaded asset to feature: the one with role ``featured``, else the first image."""
    if assets is None:
        return None
    done = [r for r in assets.results if r.success and r.url]
    for result in done:
        if result.role == "featured":
            return result
    for result in done:
        if (result.mime_type or "").startswith("image/"):
            return result
    return None


class HubSpotMapper(ContentMapper):
    """HubSpot's content rules and request bodies."""

    @property
    def settings(self) -> HubSpotSettings:
        from .settings import HubSpotSettings

        settings = self.platform.settings
        assert isinstance(settings, HubSpotSettings)
        return settings

    # --------------------------------------------------------------- checks
    def problems(self, content: Content) -> list[Problem]:
        """Core checks plus HubSpot's: a blog for posts, a subject for emails, known
        ``hubspot:`` keys, at most one featured asset. (A ``schedule_at`` in the past is
        refused by the core, only for content not created yet: re-running converges.)"""
        found = super().problems(content)
        if found:
            return found
        options = content.options_for("hubspot")
        found += [
            Problem(f"hubspot.{key}", f"unknown HubSpot option; known: {', '.join(sorted(OPTION_KEYS))}")
            for key in options
            if key not in OPTION_KEYS
        ]
        if content.kind is ContentKind.BLOG_POST:
            blog_id = self.blog_id(content)
            if not blog_id:
                found.append(
                    Problem(
                        "hubspot.blog_id",
                        "a HubSpot blog post needs a blog: "
                        "set hubspot.blog_id in the content or HUBSPOT_BLOG_ID",
                    )
                )
            elif not blog_id.isdigit():
                found.append(Problem("hubspot.blog_id", f"{blog_id!r} is not a HubSpot blog id (digits)"))
            if not content.body:
                found.append(Problem("body", "a blog post needs a body"))
        if content.kind is ContentKind.EMAIL:
            if content.email is None or not content.email.subject:
                found.append(Problem("email.subject", "a HubSpot marketing email needs a subject"))
            if not content.body:
                found.append(Problem("body", "a marketing email needs a body"))
        if content.audience is not None:
            found += [
                Problem(f"audience.lists[{i}]", "a list name cannot be empty")
                for i, name in enumerate(content.audience.lists)
                if not name.strip()
            ]
        found += [
            Problem(f"topics[{i}]", "a topic cannot be empty")
            for i, name in enumerate(content.topics)
            if not name
        ]
        if sum(1 for a in content.assets if a.role == "featured") > 1:
            found.append(Problem("assets", "only one asset can have role 'featured'"))
        return found

    def blog_id(self, content: Content) -> str | None:
        value = content.options_for("hubspot").get("blog_id") or self.settings.blog_id
        return str(value) if value else None

    def slug(self, content: Content) -> str:
        """The post's slug: ``hubspot.slug``, else the content id. Unique per content, it is
        what replay looks the post up by (never the title, which two contents may share)."""
        return str(content.options_for("hubspot").get("slug") or content.id)

    def email_name(self, content: Content) -> str:
        """The marketing email's internal ``name``: ``hubspot.email_name``, else the title
        followed by :meth:`email_marker`, so two contents with the same title get
        different emails and a re-activation finds this content's email even after the
        title was edited."""
        given = content.options_for("hubspot").get("email_name")
        if given:
            return str(given)
        return f"{content.title} {self.email_marker(content)}" if content.id else str(content.title)

    def email_marker(self, content: Content) -> str:
        """``[CONTENT ID]``: the end of the name of every email made for ``content``."""
        return f"[{content.id}]"

    def is_email_of(self, content: Content, name: object) -> bool:
        """True when an email called ``name`` is ``content``'s: exactly its
        :meth:`email_name`, or any name ending in its ``[CONTENT ID]`` (the title may
        have changed since). ``[launch]`` never matches ``[spring-launch]``."""
        text = str(name or "")
        return text == self.email_name(content) or (
            bool(content.id) and text.endswith(self.email_marker(content))
        )

    def publish_email(self, content: Content) -> bool:
        return bool(content.options_for("hubspot").get("publish_email", True))

    # --------------------------------------------------------------- bodies
    def campaign_payload(self, spec: CampaignSpec) -> dict[str, Any]:
        """``POST /marketing/v3/campaigns``."""
        properties: dict[str, Any] = {"hs_name": spec.name}
        properties.update({k: v for k, v in self.campaign_properties(spec).items() if v is not None})
        return {"properties": properties}

    def campaign_properties(self, spec: CampaignSpec) -> dict[str, Any]:
        """The campaign properties the content file sets besides the name (None: not
        set, so an existing value is cleared on update)."""
        return {
            "hs_start_date": spec.start_date.isoformat() if spec.start_date else None,
            "hs_end_date": spec.end_date.isoformat() if spec.end_date else None,
            "hs_notes": spec.description or None,
        }

    def budget_payloads(self, spec: CampaignSpec) -> list[dict[str, Any]]:
        """``POST /marketing/v3/campaigns/{guid}/budget``, one per cost, in order."""
        items = []
        for order, cost in enumerate(spec.costs, start=1):
            starts = cost.start_date.isoformat()
            items.append(
                {
                    "amount": _number(cost.amount),
                    "name": cost.note or f"Cost from {starts}",
                    "order": order,
                    "description": f"starts {starts}" + (f": {cost.note}" if cost.note else ""),
                }
            )
        return items

    def blog_post_payload(
        self,
        content: Content,
        *,
        tag_ids: Sequence[str | int],
        campaign_id: str | None,
        image: AssetResult | None,
    ) -> dict[str, Any]:
        """``POST /cms/v3/blogs/posts``: what we have of HubSpot's BlogPost fields.
        ``tagIds`` are integers (HubSpot types them int64); a plan's placeholders stay text."""
        options = content.options_for("hubspot")
        payload: dict[str, Any] = {
            "name": content.title,
            "htmlTitle": content.title,
            "contentGroupId": self.blog_id(content),
            "postBody": content.body or "",
            "slug": self.slug(content),
            "language": content.language,
            "tagIds": [tag_number(tag) for tag in tag_ids],
        }
        if content.summary:
            payload["postSummary"] = content.summary
            payload["metaDescription"] = content.summary
        if options.get("blog_author_id"):
            payload["blogAuthorId"] = str(options["blog_author_id"])
        if campaign_id:
            payload["campaign"] = campaign_id
        url = image.url if image else None
        if url:
            payload["featuredImage"] = url
            payload["useFeaturedImage"] = True
            if image is not None and image.alt_text:
                payload["featuredImageAltText"] = image.alt_text
        else:
            payload["useFeaturedImage"] = False
        return payload

    def schedule_payload(self, post_id: str, when: datetime) -> dict[str, Any]:
        """``POST /cms/v3/blogs/posts/schedule``."""
        return {"id": post_id, "publishDate": iso(when)}

    def email_payload(
        self, content: Content, *, campaign_id: str | None, list_ids: Sequence[str]
    ) -> dict[str, Any]:
        """``POST /marketing/v3/emails``. ``from.replyTo`` is the From address recipients
        see; ``from.customReplyTo`` is set only when ``reply_to`` differs from it.
        Recipients are ILS list ids (``to.contactIlsLists``): HubSpot removed the legacy
        ``contactLists`` ids from this API on 2024-10-31."""
        email = content.email
        assert email is not None
        options = content.options_for("hubspot")
        sender: dict[str, Any] = {}
        if email.from_name:
            sender["fromName"] = email.from_name
        if email.from_email:
            sender["replyTo"] = email.from_email
        if email.reply_to and email.reply_to != email.from_email:
            sender["customReplyTo"] = email.reply_to
        widget = str(options.get("body_widget") or DEFAULT_BODY_WIDGET)
        body: dict[str, Any] = {"widgets": {widget: {"body": {"html": content.body or ""}}}}
        if email.template:
            body["templatePath"] = email.template
        payload: dict[str, Any] = {
            "name": self.email_name(content),
            "subject": email.subject,
            "language": content.language,
            "content": body,
        }
        if sender:
            payload["from"] = sender
        if campaign_id:
            payload["campaign"] = campaign_id
        if list_ids:
            payload["to"] = {"contactIlsLists": {"include": list(list_ids), "exclude": []}}
        if content.schedule_at is not None:
            payload["publishDate"] = iso(content.schedule_at)
        if self.publish_email(content):
            payload["sendOnPublish"] = True
        return payload

    def list_payload(self, name: str) -> dict[str, Any]:
        """``POST /crm/v3/lists``: a MANUAL contact list."""
        return {"name": name, "objectTypeId": CONTACTS, "processingType": "MANUAL"}

    def file_form(self, filename: str) -> dict[str, str]:
        """The non-file multipart fields of ``POST /files/v3/files``."""
        return {
            "fileName": filename,
            "folderPath": self.settings.files_folder,
            "options": json.dumps(FILE_OPTIONS, separators=(",", ":")),
        }

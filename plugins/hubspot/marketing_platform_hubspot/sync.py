"""Comparing what HubSpot holds with what an activation would send.

The adapter builds the request body it would send (the same mapper code as a create),
compares it with the object HubSpot returns (:func:`marketing_platform.sync.diff`,
restricted to the fields it sends), and reports the differences under the content
file's field names (``title``, ``body``, ``topics``, ``schedule_at`` ...) while keeping
HubSpot's own keys to build a sparse update. Also: HubSpot's states mapped onto the
sync statuses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marketing_platform.sync import Changes, diff

#: Blog post fields -> the content file's names for them.
POST_FIELDS = {
    "name": "title",
    "htmlTitle": "title",
    "postBody": "body",
    "postSummary": "summary",
    "metaDescription": "summary",
    "tagIds": "topics",
    "language": "language",
    "blogAuthorId": "hubspot.blog_author_id",
    "campaign": "campaign",
    "featuredImage": "featured_image",
    "useFeaturedImage": "featured_image",
    "featuredImageAltText": "featured_image.alt_text",
    "state": "status",
    "publishDate": "schedule_at",
}
#: Marketing email fields (dotted) -> the content file's names.
EMAIL_FIELDS = {
    "name": "title",
    "subject": "email.subject",
    "language": "language",
    "content.templatePath": "email.template",
    "content.widgets": "body",
    "from.fromName": "email.from_name",
    "from.replyTo": "email.from_email",
    "from.customReplyTo": "email.reply_to",
    "campaign": "campaign",
    "to": "audience.lists",
    "publishDate": "schedule_at",
    "sendOnPublish": "hubspot.publish_email",
    "state": "status",
}
#: Campaign properties -> the content file's ``campaign.`` names.
CAMPAIGN_FIELDS = {
    "hs_notes": "campaign.description",
    "hs_start_date": "campaign.start_date",
    "hs_end_date": "campaign.end_date",
    "budget": "campaign.costs",
}

#: Blog post states that mean "live" / "will go live".
_POST_STATUS = {"PUBLISHED": "published", "SCHEDULED": "scheduled", "DRAFT": "draft"}


@dataclass
class Comparison:
    """What differs, under HubSpot's keys (``raw``, for the update body) and the content
    file's names (:attr:`changes`, for people)."""

    raw: Changes = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    def add(self, key: str, before: Any, after: Any) -> None:
        self.raw[key] = {"from": before, "to": after}

    @property
    def changes(self) -> Changes:
        out: Changes = {}
        for key, change in self.raw.items():
            out.setdefault(user_name(key, self.names), change)
        return out

    def top_level(self) -> set[str]:
        """HubSpot's top-level keys that changed (what a sparse update sends)."""
        return {key.split(".", 1)[0] for key in self.raw}


def user_name(key: str, names: Mapping[str, str]) -> str:
    """The content file's name for HubSpot's dotted ``key`` (longest known prefix)."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in names:
            return names[prefix]
    return key


def compare(desired: Mapping[str, Any], current: Mapping[str, Any], names: Mapping[str, str]) -> Comparison:
    """:func:`diff` of ``desired`` against ``current`` as a :class:`Comparison`."""
    return Comparison(raw=diff(desired, current), names=names)


def moment(value: Any) -> datetime | None:
    """A HubSpot timestamp (ISO 8601, with or without ``Z`` / milliseconds, or epoch
    milliseconds) as an aware UTC datetime; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def same_moment(a: Any, b: Any) -> bool:
    return moment(a) == moment(b)


def post_status(post: Mapping[str, Any]) -> str:
    """``published`` / ``scheduled`` / ``draft`` for a blog post's ``state``."""
    return _POST_STATUS.get(str(post.get("state") or "").upper(), "draft")


def email_status(email: Mapping[str, Any], now: datetime) -> tuple[str, datetime | None]:
    """``(status, when)`` for a marketing email: ``draft``; ``scheduled`` with its send
    time while that is ahead; else ``sent`` with the time it went (or goes) out. Every
    published state counts as sent: an email is never risked twice."""
    state = str(email.get("state") or "").upper()
    when = moment(email.get("publishDate")) or moment(email.get("publishedAt"))
    if not state or "DRAFT" in state or state in {"PAGE_STUB", "ERROR"}:
        return "draft", None
    if "SCHEDULED" in state and when is not None and when > now:
        return "scheduled", when
    return "sent", when or moment(email.get("updatedAt"))


@dataclass(frozen=True)
class EmailEntry:
    """A marketing email as the account listing names it."""

    id: str
    name: str
    created: datetime | None

    @classmethod
    def of(cls, email: Mapping[str, Any]) -> EmailEntry:
        return cls(str(email.get("id")), str(email.get("name") or ""), moment(email.get("createdAt")))


class EmailIndex:
    """The account's marketing emails (id, name, creation time) as one full listing
    found them, kept ``ttl`` seconds by ``clock``, so that looking up a new email by
    name does not page the whole account again for every email of a bulk.

    Usable only when the listing held an email with a creation time: the newest one is
    the *watermark*; emails created since (anyone's) are asked for with
    ``createdAfter`` (a bounded read) and added. Thread-safe; ``build_lock`` serialises
    full listings."""

    def __init__(self, clock: Callable[[], float], ttl: float) -> None:
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self.build_lock = threading.Lock()
        self._built: float | None = None
        self._watermark: datetime | None = None
        self._entries: dict[str, EmailEntry] = {}

    def snapshot(self) -> tuple[list[EmailEntry], datetime] | None:
        """``(entries, watermark)`` while the index is usable, else None."""
        with self._lock:
            if self._built is None or self._watermark is None or self._clock() - self._built > self._ttl:
                return None
            return list(self._entries.values()), self._watermark

    def replace(self, entries: Iterable[EmailEntry]) -> None:
        """A full listing's emails (the watermark is their newest creation time)."""
        listed = {entry.id: entry for entry in entries}
        times = [entry.created for entry in listed.values() if entry.created is not None]
        with self._lock:
            self._entries = listed
            self._watermark = max(times) if times else None
            self._built = self._clock()

    def add(self, entry: EmailEntry) -> None:
        """An email seen or created since the listing (ignored while there is none)."""
        with self._lock:
            if self._built is not None:
                self._entries[entry.id] = entry

    def drop(self, email_id: str) -> None:
        with self._lock:
            self._entries.pop(email_id, None)

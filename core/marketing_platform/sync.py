"""Sync helpers: compare what a platform holds with what an activation would send.

An activation is a sync of the content to the platform. The pipeline looks the
content's objects up (by the content id / campaign name) before every write; an adapter
tells what differs with :func:`diff`, and the pipeline then creates, updates in place,
leaves alone (``unchanged``: no write request at all) or refuses (``blocked``: a sent
email is immutable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .models import Content, ContentKind, PublishResponse

__all__ = ["Changes", "already_sent", "diff", "sent_line"]

#: ``{dotted field: {"from": what the platform holds, "to": what would be sent}}``.
Changes = dict[str, dict[str, Any]]

_MISSING = object()


def diff(
    desired: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    fields: Iterable[str] | None = None,
    prefix: str = "",
) -> Changes:
    """The fields of ``desired`` whose value differs in ``current``.

    Compares only the keys of ``desired`` (or ``fields``): what the platform adds on its
    own (ids, timestamps, derived fields) never counts as a change. Nested mappings are
    compared key by key (``campaign.costs``); lists and scalars as a whole. ``None`` and
    a missing key are the same, and so are ``""`` and ``None`` (vendors drop empty
    strings).
    """
    changes: Changes = {}
    for key in fields if fields is not None else desired.keys():
        want = desired.get(key)
        have = current.get(key, _MISSING)
        path = f"{prefix}{key}"
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            changes.update(diff(want, have, prefix=f"{path}."))
            continue
        have_value = None if have is _MISSING else have
        if _normal(want) != _normal(have_value):
            changes[path] = {"from": have_value, "to": want}
    return changes


def _normal(value: Any) -> Any:
    if value in ("", [], {}):
        return None
    return value


def already_sent(content: Content, existing: PublishResponse, *, now: datetime | None = None) -> bool:
    """True when ``existing`` is an email that went out (``sent``), or whose scheduled
    send time has passed: it must never be changed or sent again."""
    if content.kind is not ContentKind.EMAIL:
        return False
    if existing.status == "sent" or existing.sent_at is not None:
        return True
    moment = now or datetime.now(UTC)
    scheduled = existing.scheduled_at
    return existing.status == "scheduled" and scheduled is not None and scheduled <= moment


def sent_line(existing: PublishResponse) -> str:
    """``already sent on DATE to LISTS`` for a blocked re-activation."""
    when = existing.sent_at or existing.scheduled_at
    date = when.strftime("%Y-%m-%d %H:%M UTC") if when else "an earlier run"
    lists = ", ".join(existing.recipients) or "its recipients"
    return f"already sent on {date} to {lists}; give the content a new id to send a new email"

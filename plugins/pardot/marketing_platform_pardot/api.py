"""The v5 objects API on top of the core :class:`PlatformHTTP`.

Paths are ``/api/v5/objects/<collection>[/<id>[/do/<action>]]``; ``fields`` is required
on every read and is sent on creates and updates too, so the answer holds the record.
Queries answer ``{"values": [...], "nextPageToken": ...}``; the next page is asked with
the token alone (plus ``fields``), on the same host (``nextPageUrl`` is not followed, so
the token never goes to another host).

:meth:`PardotAPI.find_by_name` is the look-up before every create. v5 documents a
``name`` filter for campaigns and lists only; for the other collections the filter is
tried once and, when Account Engagement refuses it (an invalid-field code), the
collection is paged newest first and matched by name here (both readings work).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketing_platform.errors import MarketingPlatformError
from marketing_platform.http import PlatformHTTP
from marketing_platform.paging import cursor_pages

from .errors import UNSUPPORTED_QUERY_CODES, error_for, parse_json
from .settings import PardotSettings

OBJECTS = "/api/v5/objects"
CAMPAIGNS = "campaigns"
LIST_EMAILS = "list-emails"
EMAIL_TEMPLATES = "email-templates"
LANDING_PAGES = "landing-pages"
LAYOUT_TEMPLATES = "layout-templates"
FILES = "files"
FOLDERS = "folders"
LISTS = "lists"
ACCOUNT = "account"
#: Collections whose ``name`` query filter v5 documents.
NAME_FILTERED = frozenset({CAMPAIGNS, LISTS})
PAGE_SIZE = 1000
#: Pages read by one look-up at most (the v5 page-token chain stops at 100,000 records).
MAX_PAGES = 100


def path(collection: str, object_id: int | str | None = None, action: str | None = None) -> str:
    """``/api/v5/objects/<collection>[/<id>][/do/<action>]``."""
    text = f"{OBJECTS}/{collection}"
    if object_id is not None:
        text += f"/{object_id}"
    if action:
        text += f"/do/{action}"
    return text


@dataclass(frozen=True)
class Reply:
    """A successful answer: its JSON object ({} when empty) and ``Location`` header."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    location: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    @property
    def object_id(self) -> int | None:
        """The id in the body, else the last segment of ``Location`` (a 204 create)."""
        value = self.body.get("id")
        if value is None and self.location:
            value = self.location.rstrip("/").rsplit("/", 1)[-1]
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None


def _reply(response: httpx.Response) -> Reply:
    data = parse_json(response)
    return Reply(
        response.status_code, data if isinstance(data, dict) else {}, response.headers.get("Location")
    )


class PardotAPI:
    """Account Engagement v5 requests: JSON in, :class:`Reply` out, core errors on failure."""

    def __init__(self, http: PlatformHTTP, settings: PardotSettings) -> None:
        self.http = http
        self.settings = settings
        self._no_name_filter: set[str] = set()
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Callable[[], Any] | None = None,
        idempotent: bool | None = None,
    ) -> Reply:
        """One call, with the business unit header; ConfigurationError (before sending)
        when PARDOT_BUSINESS_UNIT_ID is unset."""
        unit = self.settings.require_business_unit()
        return self.http.call(
            method,
            target,
            _reply,
            params=params,
            json=json,
            files=files,
            headers={"Pardot-Business-Unit-Id": unit},
            idempotent=idempotent,
        )

    # ------------------------------------------------------------------ reads
    def read(self, collection: str, object_id: int | str, fields: str) -> Reply:
        return self.request("GET", path(collection, object_id), params={"fields": fields})

    def account(self, fields: str) -> Reply:
        return self.request("GET", path(ACCOUNT), params={"fields": fields})

    def pages(
        self, collection: str, fields: str, filters: Mapping[str, Any] | None = None
    ) -> Iterator[Reply]:
        """The query's pages, asked one at a time as the caller iterates."""
        first: dict[str, Any] = {"fields": fields, "limit": PAGE_SIZE, **(filters or {})}

        def fetch(token: str | None) -> Reply:
            params = first if token is None else {"fields": fields, "nextPageToken": token}
            return self.request("GET", path(collection), params=params)

        def next_token(reply: Reply) -> str | None:
            token = reply.get("nextPageToken")
            return str(token) if token else None

        return cursor_pages(fetch, next_token, max_pages=MAX_PAGES)

    def query(
        self, collection: str, fields: str, filters: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        for reply in self.pages(collection, fields, filters):
            for value in reply.get("values") or []:
                if isinstance(value, dict):
                    yield value

    def find_by_name(
        self,
        collection: str,
        name: str,
        fields: str,
        *,
        deleted: str | None = None,
        match: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any] | None:
        """The newest record of ``collection`` called exactly ``name`` (and passing
        ``match``), or None. ``deleted``: ``all`` to include the recycle bin."""
        base: dict[str, Any] = {"orderBy": "id DESC"}
        if deleted:
            base["deleted"] = deleted
        with self._lock:
            filtered = collection not in self._no_name_filter
        if filtered:
            try:
                return self._first(collection, name, fields, {**base, "name": name}, match)
            except MarketingPlatformError as exc:
                if collection in NAME_FILTERED or exc.code not in UNSUPPORTED_QUERY_CODES:
                    raise
                with self._lock:
                    self._no_name_filter.add(collection)
        return self._first(collection, name, fields, base, match)

    def _first(
        self,
        collection: str,
        name: str,
        fields: str,
        filters: Mapping[str, Any],
        match: Callable[[dict[str, Any]], bool] | None,
    ) -> dict[str, Any] | None:
        for value in self.query(collection, fields, filters):
            if value.get("name") == name and (match is None or match(value)):
                return value
        return None

    # ----------------------------------------------------------------- writes
    def create(self, collection: str, body: Mapping[str, Any], fields: str) -> Reply:
        """``POST`` a new record. Never repeated after an answer that may come after the
        record was made: creating a list email sends it."""
        return self.request(
            "POST", path(collection), params={"fields": fields}, json=dict(body), idempotent=False
        )

    def update(self, collection: str, object_id: int | str, body: Mapping[str, Any], fields: str) -> Reply:
        """``PATCH`` the given fields (the others stay as they are); safe to repeat."""
        return self.request(
            "PATCH", path(collection, object_id), params={"fields": fields}, json=dict(body), idempotent=True
        )

    def upload(self, files: Callable[[], Any], fields: str) -> Reply:
        """``POST /files`` multipart (``file`` + ``input`` JSON); not repeated blindly."""
        return self.request("POST", path(FILES), params={"fields": fields}, files=files, idempotent=False)


__all__ = [
    "ACCOUNT",
    "CAMPAIGNS",
    "EMAIL_TEMPLATES",
    "FILES",
    "FOLDERS",
    "LANDING_PAGES",
    "LAYOUT_TEMPLATES",
    "LISTS",
    "LIST_EMAILS",
    "PardotAPI",
    "Reply",
    "error_for",
    "path",
]

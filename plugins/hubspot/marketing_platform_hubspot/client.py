"""Response parsing for HubSpot calls on top of the core :class:`PlatformHTTP`.

:class:`HubSpotClient` sends through the shared HTTP layer (rate budget, retries, token
refresh) and turns every answer into a :class:`Reply` or a core error (see
:mod:`.errors`). Each answer's ``X-HubSpot-RateLimit-Remaining`` /
``-Interval-Milliseconds`` headers are fed to the rate budget so the adapter holds back
when other integrations share the account's budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketing_platform.http import PlatformHTTP, RateHeaders, json_body
from marketing_platform.mapping import placeholder
from marketing_platform.models import Asset
from marketing_platform.paging import cursor_pages

from .errors import error_from_response

#: The HubSpot API paths the adapter (and its ``--dry-run`` plan) calls.
CAMPAIGNS = "/marketing/v3/campaigns"
POSTS = "/cms/v3/blogs/posts"
TAGS = "/cms/v3/blogs/tags"
EMAILS = "/marketing/v3/emails"
LISTS = "/crm/v3/lists"
FILES = "/files/v3/files"
FILE_SEARCH = "/files/v3/files/search"
BLOG_SETTINGS = "/cms/v3/blog-settings/settings"
#: Campaign properties read back; HubSpot declares ``properties`` as an exploded array
#: (``properties=a&properties=b``): pass this list as the value, never a joined string.
CAMPAIGN_PROPERTIES = ("hs_name", "hs_start_date", "hs_end_date", "hs_notes")


def tag_query(name: str) -> dict[str, Any]:
    """``GET /cms/v3/blogs/tags`` filtered to the tag called ``name``: HubSpot's documented
    CMS filter form ``property__operator`` (blog tags: ``name`` supports ``eq``)."""
    return {"name__eq": name, "limit": 100}


def file_query(asset: Asset) -> dict[str, Any]:
    """``GET /files/v3/files/search`` for files with ``asset``'s bytes (by MD5, a filter
    the Files API declares); the caller matches the folder and name."""
    try:
        digest = hashlib.md5(asset.path.read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        digest = placeholder(f"MD5 of {asset.filename}")
    return {"fileMd5": digest, "limit": 100}


def post_query(slug: str, blog_id: str) -> dict[str, Any]:
    """``GET /cms/v3/blogs/posts`` narrowed to the posts of blog ``blog_id`` whose slug
    holds ``slug`` (documented filters: ``slug`` supports ``icontains``, ``contentGroupId``
    ``eq``). A narrowing only: the caller matches the slug exactly."""
    return {"slug__icontains": slug, "contentGroupId__eq": blog_id, "limit": 100}


@dataclass(frozen=True)
class Reply:
    """A successful HubSpot answer: status, JSON body ({} when empty) and correlation id."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)


#: HubSpot's rate headers, fed to the budget by the core's HTTP layer after every answer.
RATE_HEADERS = RateHeaders(
    remaining="X-HubSpot-RateLimit-Remaining",
    limit="X-HubSpot-RateLimit-Max",
    interval_ms="X-HubSpot-RateLimit-Interval-Milliseconds",
)


class HubSpotClient:
    """HubSpot requests: JSON in, :class:`Reply` out, core errors on failure."""

    def __init__(self, http: PlatformHTTP, *, refreshable: bool) -> None:
        self.http = http
        self.refreshable = refreshable

    def parser(self, *, tier: str | None = None) -> Callable[[httpx.Response], Reply]:
        """A ``parse`` function for :meth:`PlatformHTTP.call`. ``tier`` names the HubSpot
        product tier the call needs, for a clear error on a 403."""

        def parse(response: httpx.Response) -> Reply:
            if response.status_code >= 400:
                raise error_from_response(response, refreshable=self.refreshable, tier=tier)
            body = json_body(response)
            if isinstance(body, list):
                body = {"results": body}
            return Reply(
                response.status_code,
                body if isinstance(body, dict) else {},
                response.headers.get("X-HubSpot-Correlation-Id"),
            )

        return parse

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        idempotent: bool | None = None,
        tier: str | None = None,
    ) -> Reply:
        """Send one request; raises a core error (see :mod:`.errors`) on failure."""
        return self.http.call(
            method,
            path,
            self.parser(tier=tier),
            params=params,
            json=json,
            data=data,
            files=files,
            idempotent=idempotent,
        )

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Reply:
        return self.request("GET", path, params=params)

    def pages(self, path: str, params: Mapping[str, Any], max_pages: int) -> Iterator[Reply]:
        """``GET path`` page by page along HubSpot's ``paging.next.after`` cursor, at most
        ``max_pages`` pages; the next page is requested only when the caller asks for it."""

        def fetch(after: str | None) -> Reply:
            return self.get(path, params=dict(params) if after is None else {**params, "after": after})

        def next_after(reply: Reply) -> str | None:
            after = ((reply.get("paging") or {}).get("next") or {}).get("after")
            return str(after) if after else None

        return cursor_pages(fetch, next_after, max_pages=max_pages)

    def post(
        self, path: str, json: Any = None, *, idempotent: bool | None = None, tier: str | None = None
    ) -> Reply:
        return self.request("POST", path, json=json, idempotent=idempotent, tier=tier)

    def put(self, path: str, json: Any = None) -> Reply:
        return self.request("PUT", path, json=json)

    def patch(self, path: str, json: Any = None) -> Reply:
        """A sparse update: sending the same values twice leaves the same object, so it
        is repeated after a gateway error like a PUT."""
        return self.request("PATCH", path, json=json, idempotent=True)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)

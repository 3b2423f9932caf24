"""Paging iterators: every item (or page) of a vendor's paged listing, one request per
page, the next page asked for only when the caller iterates that far.

Two shapes cover most REST APIs:

* **offset / limit** (Mailchimp ``count``/``offset``, Marketo ``maxReturn``/``offset``):
  :func:`offset_pages` calls ``fetch(offset)`` for each page and yields the items;
* **page numbers** (Marketing Cloud ``$page``/``$pageSize``): :func:`numbered_pages`
  calls ``fetch(page_number)`` and yields the items;
* **page token / cursor** (HubSpot ``paging.next.after``, Account Engagement
  ``nextPageToken``): :func:`cursor_pages` calls ``fetch(cursor)`` (None for the first
  page) and yields each page; ``next_cursor(page)`` says where the next one starts.

The adapter keeps the requests (``self.http.call``: retries, the rate budget) and the
vendor's field names; the helpers keep the loop, its stop conditions and a page cap::

    def campaigns(self) -> Iterator[dict[str, Any]]:
        def fetch(offset: int) -> Page[dict[str, Any]]:
            reply = self.http.call("GET", "/campaigns", parse, params={"count": 100, "offset": offset})
            return Page(reply["campaigns"], total=reply["total_items"])

        return offset_pages(fetch, page_size=100)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Page", "cursor_items", "cursor_pages", "numbered_pages", "offset_pages"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of an offset-paged listing: its items and, when the vendor says, the
    total number of items in the listing."""

    items: Sequence[T]
    """The page's items, in the vendor's order."""
    total: int | None = None
    """The listing's total (``total_items``), when the vendor answers it."""


def offset_pages(
    fetch: Callable[[int], Page[T] | Sequence[T]],
    *,
    page_size: int,
    max_pages: int | None = None,
    start: int = 0,
) -> Iterator[T]:
    """Every item of an offset-paged listing.

    ``fetch(offset)`` asks for the page starting at ``offset`` (``page_size`` items at
    most) and returns its items, or a :class:`Page` with the listing's ``total``. The
    next offset is this one plus the items received. It stops after an empty page, at
    ``total`` when the vendor gives it, else after a page shorter than ``page_size``,
    and after ``max_pages`` pages (None: no cap)."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    offset = start
    pages = 0
    while max_pages is None or pages < max_pages:
        answer = fetch(offset)
        pages += 1
        page = answer if isinstance(answer, Page) else Page(answer)
        items = list(page.items)
        yield from items
        offset += len(items)
        if not items:
            return
        if page.total is not None:
            if offset >= page.total:
                return
        elif len(items) < page_size:
            return


def numbered_pages(
    fetch: Callable[[int], Page[T] | Sequence[T]],
    *,
    page_size: int,
    first: int = 1,
    max_pages: int | None = None,
) -> Iterator[T]:
    """Every item of a listing paged by number: ``fetch(number)`` asks for page
    ``number`` (from ``first``) of ``page_size`` items and returns its items, or a
    :class:`Page` with the listing's ``total``. It stops after a page shorter than
    ``page_size``, once the pages read hold ``total`` items, and after ``max_pages``."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    number = first
    while max_pages is None or number - first < max_pages:
        answer = fetch(number)
        page = answer if isinstance(answer, Page) else Page(answer)
        items = list(page.items)
        yield from items
        read = (number - first + 1) * page_size
        if len(items) < page_size or (page.total is not None and read >= page.total):
            return
        number += 1


def cursor_pages(
    fetch: Callable[[str | None], R],
    next_cursor: Callable[[R], str | None],
    *,
    max_pages: int | None = None,
) -> Iterator[R]:
    """Every page of a cursor-paged listing (a page token, an ``after`` cursor).

    ``fetch(None)`` asks for the first page, ``fetch(cursor)`` for the page a cursor
    points at; ``next_cursor(page)`` reads the next cursor from a page (None or empty:
    it was the last). Stops after ``max_pages`` pages (None: no cap), and when the
    vendor answers the cursor it was just given (a listing that would never end)."""
    cursor: str | None = None
    pages = 0
    while max_pages is None or pages < max_pages:
        page = fetch(cursor)
        pages += 1
        yield page
        following = next_cursor(page)
        if not following or following == cursor:
            return
        cursor = following


def cursor_items(
    fetch: Callable[[str | None], R],
    next_cursor: Callable[[R], str | None],
    items: Callable[[R], Sequence[T]],
    *,
    max_pages: int | None = None,
) -> Iterator[T]:
    """Every item of a cursor-paged listing: :func:`cursor_pages`, each page's
    ``items(page)`` in turn."""
    for page in cursor_pages(fetch, next_cursor, max_pages=max_pages):
        yield from items(page)

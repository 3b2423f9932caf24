"""Marketo's REST envelope over the shared :class:`~marketing_platform.http.PlatformHTTP`.

Contract:

* Success is decided by the envelope's ``success`` field, never by the HTTP status.
  ``success: false`` raises the error :mod:`.errors` maps the first code to.
* A record skipped inside ``result[]`` (``status: "skipped"`` + ``reasons``) raises too.
* An empty search (``success: true``, no ``result``, "No assets found" warning) is a
  normal :class:`Envelope` with an empty ``result``: lookups return None for it.
* Non-JSON bodies, 5xx, 413 and 414 are mapped here; network errors and timeouts are
  mapped by PlatformHTTP. 5xx are retried except on a create that may have reached
  Marketo (replay then finds the object by name instead of creating it twice).
* 604 (timed out), 713 (transient error) and 719 (lock wait timeout) may come after
  Marketo applied the request, so on a non-idempotent POST (a create, an approval) they
  are marked ``after_send``: PlatformHTTP does not repeat such a request, and a replay
  finds the object by name. 608, 606 and 615 mean nothing was applied and stay
  retryable everywhere.
* Form values are sent as strings; anything that is not a string (folder objects,
  costs, tags, booleans, ids) is JSON-encoded, which is what Marketo parses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketing_platform.errors import (
    AuthenticationError,
    ContentRejected,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from marketing_platform.http import PlatformHTTP, after_send, json_body, retry_after
from marketing_platform.paging import offset_pages
from marketing_platform.redaction import redact

from .errors import PLATFORM, first_error

ASSET = "/rest/asset/v1"
#: Codes that may be answered after Marketo applied the request.
MAY_HAVE_APPLIED = frozenset({"604", "713", "719"})
#: Records per request of an offset-paged listing (``maxReturn``; Marketo's maximum).
PAGE_SIZE = 200
Files = Callable[[], Any]


@dataclass(frozen=True)
class Envelope:
    """A successful Marketo answer."""

    request_id: str | None
    result: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> dict[str, Any] | None:
        return self.result[0] if self.result else None


def encode_form(fields: Mapping[str, Any]) -> dict[str, str]:
    """``fields`` as form values: strings as they are, everything else as JSON; None dropped."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        out[name] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return out


def _http_error(response: httpx.Response, idempotent: bool) -> MarketingPlatformError | None:
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    common: dict[str, Any] = {"platform": PLATFORM, "code": f"http_{status}", "request_id": request_id}
    if status == 413:
        return ContentRejected(
            "the request body is larger than Marketo's 1 MB limit",
            problems=[Problem("body", "over 1 MB")],
            hint="shrink the HTML body or upload large images as files and link them",
            **common,
        )
    if status == 414:
        return ContentRejected(
            "the request URI is longer than Marketo's 8 KB limit",
            problems=[Problem("", "URI over 8 KB")],
            hint="shorten the names used in lookups",
            **common,
        )
    if status == 429:
        return RateLimitError(
            "Marketo answered HTTP 429",
            scope="window",
            retry_after=retry_after(response),
            hint="lower MARKETO_RATE_LIMIT",
            **common,
        )
    if status == 401:
        return AuthenticationError(
            "Marketo refused the request (HTTP 401)",
            hint="check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET",
            **common,
        )
    if status == 403:
        return PermissionDenied(
            "Marketo refused the request (HTTP 403)",
            hint="check the API user's role and the instance's IP allow-list",
            **common,
        )
    if status >= 500:
        retryable = idempotent or status == 503
        return PlatformUnavailable(
            f"Marketo answered HTTP {status}",
            retryable=retryable,
            hint="Marketo is having trouble; retry later"
            + ("" if retryable else " (replay looks the object up by name before creating it again)"),
            **common,
        )
    return None


def make_parser(
    *,
    idempotent: bool,
    hints: Mapping[str, str] | None = None,
    window_seconds: float = 20.0,
) -> Callable[[httpx.Response], Envelope]:
    """A ``parse`` function for PlatformHTTP that returns an :class:`Envelope` or raises."""

    def parse(response: httpx.Response) -> Envelope:
        body = json_body(response)
        if not isinstance(body, dict) or "success" not in body:
            error = _http_error(response, idempotent)
            if error is not None:
                raise error
            snippet = redact(response.text[:120]) if response.text else "(empty)"
            raise PlatformUnavailable(
                f"Marketo answered HTTP {response.status_code} with a body that is not its JSON envelope: "
                f"{snippet!r}",
                platform=PLATFORM,
                code="bad_response",
                retryable=idempotent,
                hint="check MARKETO_BASE_URL points at https://<munchkin-id>.mktorest.com",
            )
        request_id = body.get("requestId")
        request_id = str(request_id) if request_id is not None else None
        if body.get("success") is not True:
            error = first_error(
                body.get("errors"), request_id=request_id, hints=hints, window_seconds=window_seconds
            )
            if not idempotent and error.code in MAY_HAVE_APPLIED:
                after_send(error)
            raise error
        result = body.get("result") or []
        records = [r for r in result if isinstance(r, dict)] if isinstance(result, list) else []
        skipped = [r for r in records if r.get("status") == "skipped"]
        if skipped:
            reasons = [
                reason for r in skipped for reason in (r.get("reasons") or []) if isinstance(reason, dict)
            ]
            raise first_error(reasons, request_id=request_id, hints=hints, window_seconds=window_seconds)
        return Envelope(request_id=request_id, result=records)

    return parse


class MarketoClient:
    """Asset API calls: GET with query parameters, POST form, POST multipart."""

    def __init__(self, http: PlatformHTTP) -> None:
        self.http = http

    @property
    def window_seconds(self) -> float:
        """How long a 606 makes every caller wait: the rate budget's window."""
        return self.http.budget.limits.per_seconds

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, hints: Mapping[str, str] | None = None
    ) -> Envelope:
        """GET ``/rest/asset/v1{path}``; non-string parameter values are JSON-encoded."""
        parse = make_parser(idempotent=True, hints=hints, window_seconds=self.window_seconds)
        return self.http.call("GET", ASSET + path, parse, params=encode_form(params or {}))

    def post_form(
        self,
        path: str,
        fields: Mapping[str, Any] | None = None,
        *,
        hints: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> Envelope:
        """POST ``fields`` as ``application/x-www-form-urlencoded``."""
        parse = make_parser(idempotent=idempotent, hints=hints, window_seconds=self.window_seconds)
        form = encode_form(fields or {})
        return self.http.call("POST", ASSET + path, parse, data=form or None, idempotent=idempotent)

    def post_multipart(
        self,
        path: str,
        fields: Mapping[str, Any],
        files: Files,
        *,
        hints: Mapping[str, str] | None = None,
    ) -> Envelope:
        """POST ``fields`` plus ``files()`` (a fresh handle per attempt) as multipart."""
        parse = make_parser(idempotent=False, hints=hints, window_seconds=self.window_seconds)
        return self.http.call("POST", ASSET + path, parse, data=encode_form(fields), files=files)

    def find(
        self, path: str, params: Mapping[str, Any], *, hints: Mapping[str, str] | None = None
    ) -> Envelope:
        """A search: an empty result (or 702 "no data") is an empty :class:`Envelope`."""
        try:
            return self.get(path, params, hints=hints)
        except NotFound as exc:
            if exc.code == "702":
                return Envelope(request_id=exc.request_id)
            raise

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, find: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every record of an offset-paged listing, one GET per :data:`PAGE_SIZE` records
        (``params`` follow ``maxReturn`` and ``offset``); with ``find`` a 702 ends it, as
        in :meth:`find`."""
        get: Callable[[str, Mapping[str, Any]], Envelope] = self.find if find else self.get

        def fetch(offset: int) -> list[dict[str, Any]]:
            return get(path, {"maxReturn": PAGE_SIZE, "offset": offset, **(params or {})}).result

        return offset_pages(fetch, page_size=PAGE_SIZE)

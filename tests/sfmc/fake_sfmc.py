"""A fake Salesforce Marketing Cloud (WSGI), written from /work/shared/vendors/sfmc.md.

What it does, per "What a wire-true fake must do" of the fact sheet:

1. ``POST /v2/token`` (JSON, ``client_credentials``): 401 ``invalid_client`` for a wrong
   id/secret; answers ``access_token``, ``expires_in``, ``scope`` and
   ``rest_instance_url`` / ``soap_instance_url`` pointing at itself (with a trailing
   slash); ``account_id`` picks the business unit (MID) and the data is scoped per MID.
2. REST calls need ``Authorization: Bearer``; a token expires after ``expires_in``
   seconds of the fake's clock (or on :meth:`FakeSfmc.revoke_tokens`): 401 errorcode 0.
3. Assets: integer ``id``, a GUID ``customerKey`` when none is given (at most 36
   characters, unique across the enterprise), ``status {name: Draft}``,
   ``legacyData.legacyId`` for emails; names unique per (folder, asset type): 118039.
   The code of a customerKey clash is not documented: the fake answers 400 with errorcode
   118002 (our invention) and a message naming the customerKey.
4. File assets only as base64 ``file``; bad base64 or more than 5 MB: 400 +
   ``validationErrors``; answers ``fileProperties.publishedURL`` on a fixed CDN host.
5. ``POST .../assets/query`` (equal / like / in, AND / OR) and ``GET ...?$filter=``;
   collections are ``{count, page, pageSize, links, items}``. ``index_lag`` hides a new
   asset from queries for that many queries (Content Builder's search index lags).
   ``simple_filter=False`` refuses ``$filter`` on customerKey (400, errorcode 30001);
   ``url_in_create_answer=False`` leaves ``publishedURL`` out of a create's answer.
6. Categories with the root "Content Builder" (``parentId 0``); create needs Name + ParentId.
7. ``/hub/v1/campaigns``: create (202, string ids), list, get, delete, and ``/assets``
   association (202, an array answer; the list answer is a bare array too).
8. ``fail_next`` injects any answer (429 50100 + Retry-After, 429 50200, 500 10000,
   403 20002 ...), with lowercase ``errorcode``.

Scopes (the fake's reading; Marketing Cloud tabulates none): reading assets and folders
needs ``saved_content_read``, writing them ``saved_content_write`` (files:
``documents_and_images_write``); campaigns need ``campaign_read`` / ``campaign_write``.
Nothing here sends email: a request under ``/messaging`` is answered 404 and recorded.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID = "fake-sfmc-client-id-0001"
CLIENT_SECRET = "fake-sfmc-client-secret-0123456789"
SUBDOMAIN = "mcabcdefghijklmnopqrstuvwxyz"
ENTERPRISE_ID = 100
ALL_SCOPES = (
    "saved_content_read saved_content_write documents_and_images_read documents_and_images_write "
    "email_read email_write campaign_read campaign_write email_send"
)
DOCS = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
CDN = "https://image.s50.sfmc-content.com/lib/fe3a11737364057d7d1c"
MAX_FILE_BYTES = 5 * 1024 * 1024
ROOT_CATEGORY = 1
CUSTOMER_KEY_TAKEN = 118002

ASSET_TYPES = {
    2: "file",
    4: "template",
    8: "image",
    11: "document",
    20: "gif",
    22: "jpeg",
    23: "jpg",
    28: "png",
    39: "svg",
    127: "pdf",
    205: "webpage",
    207: "templatebasedemail",
    208: "htmlemail",
    209: "textonlyemail",
    247: "landingpage",
}
FILE_TYPES = {2, 8, 11, 20, 22, 23, 28, 39, 127}
EMAIL_TYPES = {207, 208, 209}

StartResponse = Callable[..., Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str


@dataclass
class _Failure:
    status: int
    body: Any
    headers: dict[str, str]
    method: str | None
    path: str | None
    times: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


class _Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(status: int, message: str, errorcode: int, **extra: Any) -> _Reply:
    return _Reply(status, {"message": message, "errorcode": errorcode, "documentation": DOCS, **extra})


def invalid(message: str) -> _Reply:
    return error(
        400,
        "Invalid asset",
        10001,
        validationErrors=[{"message": message, "errorcode": 10001, "documentation": DOCS}],
    )


def rate_limited(blocked: bool = False) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The 429 answers of the rate-limiting page: 50100 with Retry-After, 50200 without."""
    if blocked:
        return (
            429,
            {"message": "Your requests are temporarily blocked.", "errorcode": 50200, "documentation": DOCS},
            {},
        )
    body = {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 5, "documentation": DOCS}
    return 429, body, {"Retry-After": "5"}


class FakeSfmc:
    """The fake; call it as a WSGI app."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        expires_in: int = 1079,
        scopes: str = ALL_SCOPES,
        mids: Iterable[str] = ("514000001", "514000002"),
        index_lag: int = 0,
        simple_filter: bool = True,
        url_in_create_answer: bool = True,
    ) -> None:
        self.clock = clock
        self.expires_in = expires_in
        self.scopes = scopes
        self.mids = list(mids)
        self.index_lag = index_lag
        self.simple_filter = simple_filter
        self.url_in_create_answer = url_in_create_answer
        self.assets: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.categories: dict[int, dict[str, Any]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.links: dict[str, list[dict[str, Any]]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.queries = 0
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1001)
        self._legacy = itertools.count(70001)
        self._category_ids = itertools.count(2)
        self._lock = threading.Lock()
        for mid in self.mids:
            self.categories[self._category_id(mid, 0)] = {
                "id": self._category_id(mid, 0),
                "name": "Content Builder",
                "parentId": 0,
                "categoryType": "asset",
                "memberId": int(mid),
                "enterpriseId": ENTERPRISE_ID,
            }
        self.folder = self.add_category("marketing-platform")

    # ----------------------------------------------------------------- set-up
    def _category_id(self, mid: str, parent: int) -> int:
        return ROOT_CATEGORY + self.mids.index(mid) * 1000 if parent == 0 else next(self._category_ids)

    def add_category(self, name: str, mid: str | None = None) -> int:
        mid = mid or self.mids[0]
        category_id = next(self._category_ids)
        self.categories[category_id] = {
            "id": category_id,
            "name": name,
            "parentId": self._category_id(mid, 0),
            "categoryType": "asset",
            "memberId": int(mid),
            "enterpriseId": ENTERPRISE_ID,
        }
        return category_id

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` / ``path`` (a prefix)
        with ``status`` and ``body``."""
        self._failures.append(_Failure(status, body, dict(headers or {}), method, path, times))

    def revoke_tokens(self) -> None:
        """Every issued token stops working (as if it expired early)."""
        with self._lock:
            self.tokens.clear()

    # ------------------------------------------------------------------ views
    def counts(self) -> dict[str, int]:
        with self._lock:
            kinds = [a["assetType"]["id"] for a in self.assets.values()]
            return {
                "emails": sum(k in EMAIL_TYPES for k in kinds),
                "web_pages": sum(k in {205, 247} for k in kinds),
                "files": sum(k in FILE_TYPES for k in kinds),
                "campaigns": len(self.campaigns),
                "links": sum(len(v) for v in self.links.values()),
            }

    def of_type(self, *type_ids: int) -> list[dict[str, Any]]:
        return [a for a in self.assets.values() if a["assetType"]["id"] in type_ids]

    def writes(self, since: int = 0) -> list[tuple[str, str]]:
        """Requests after index ``since`` that could change state (not GET, not the
        token request, not the read-only asset query)."""
        return [
            (r.method, r.path)
            for r in self.requests[since:]
            if r.method != "GET" and r.path not in {"/v2/token", "/asset/v1/content/assets/query"}
        ]

    def calls(self, method: str, prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # ------------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        status, body, headers = self._handle(environ)
        payload = b"" if body is None else json.dumps(body).encode()
        header_list = [("Content-Type", "application/json"), *headers.items()]
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", header_list)
        return [payload]

    def _handle(self, environ: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "").rstrip("/") or "/"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "Malformed JSON", "errorcode": 10001, "documentation": DOCS}, {}
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        with self._lock:
            self.requests.append(Recorded(method, path, query, body, authorization))
            for failure in self._failures:
                if failure.times > 0 and failure.matches(method, path):
                    failure.times -= 1
                    return failure.status, failure.body, failure.headers
            try:
                if path == "/v2/token" and method == "POST":
                    return 200, self._token(body, environ), {}
                session = self._session(authorization)
                status, result = self._route(method, path, query, body, session)
            except _Reply as reply:
                return reply.status, reply.body, reply.headers
        return status, result, {}

    # ------------------------------------------------------------------- auth
    def _token(self, body: Any, environ: dict[str, Any]) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        self.token_requests.append({k: v for k, v in body.items() if k != "client_secret"})
        if body.get("grant_type") != "client_credentials":
            raise _Reply(
                400, {"error": "unsupported_grant_type", "error_description": "Use client_credentials."}
            )
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            raise _Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed. Make sure that the client ID "
                    "and client secret are valid and that the package is installed and enabled.",
                    "error_uri": "https://developer.salesforce.com/docs",
                },
            )
        mid = str(body.get("account_id") or self.mids[0])
        if mid not in self.mids:
            raise _Reply(
                401,
                {
                    "error": "invalid_grant",
                    "error_description": f"Account {mid} is not accessible to this client.",
                },
            )
        token = "eyJ" + uuid.uuid4().hex + uuid.uuid4().hex
        self.tokens[token] = {"expires_at": self.clock() + self.expires_in, "mid": mid}
        host = environ.get("HTTP_HOST", "127.0.0.1")
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scopes,
            "soap_instance_url": f"http://{host}/",
            "rest_instance_url": f"http://{host}/",
        }

    def _session(self, authorization: str) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        session = self.tokens.get(token) if scheme == "Bearer" else None
        if session is None or self.clock() >= session["expires_at"]:
            raise error(401, "Not Authorized", 0)
        return session

    def _need(self, scope: str) -> None:
        if scope not in self.scopes.split():
            raise error(403, "Insufficient privileges", 20002)

    # ----------------------------------------------------------------- routes
    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, session: dict[str, Any]
    ) -> tuple[int, Any]:
        mid = session["mid"]
        parts = path.strip("/").split("/")
        if path == "/asset/v1/content/assets":
            if method == "GET":
                self._need("saved_content_read")
                return 200, self._list_assets(query, mid)
            if method == "POST":
                return 201, self._create_asset(body, mid)
        if path == "/asset/v1/content/assets/query" and method == "POST":
            self._need("saved_content_read")
            return 200, self._advanced_query(body, mid)
        if parts[:4] == ["asset", "v1", "content", "assets"] and len(parts) == 5:
            return self._asset_route(method, parts[4], body, mid)
        if parts[:4] == ["asset", "v1", "content", "categories"]:
            return self._category_route(method, parts[4:], query, body, mid)
        if parts[:3] == ["hub", "v1", "campaigns"]:
            return self._campaign_route(method, parts[3:], query, body, mid)
        raise error(404, "Not Found", 404)

    # ----------------------------------------------------------------- assets
    def _visible(self, mid: str) -> list[dict[str, Any]]:
        self.queries += 1
        return [
            a
            for a in self.assets.values()
            if str(a["memberId"]) == mid and self.queries > a["_indexed_after"]
        ]

    def _public(self, asset: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in asset.items() if not k.startswith("_")}

    def _page(self, items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
        chunk = items[(page - 1) * size : page * size]
        return {
            "count": len(items),
            "page": page,
            "pageSize": size,
            "links": {},
            "items": [self._public(a) for a in chunk],
        }

    def _list_assets(self, query: dict[str, list[str]], mid: str) -> dict[str, Any]:
        text = (query.get("$filter") or [""])[0]
        if text and not self.simple_filter and "customerKey" in text:
            raise error(400, "Invalid filter: customerKey is not filterable here", 30001)
        match = _parse_filter(text)
        found = sorted((a for a in self._visible(mid) if match(a)), key=lambda a: a["id"])
        page = int((query.get("$page") or ["1"])[0])
        size = int((query.get("$pagesize") or query.get("$pageSize") or ["50"])[0])
        return self._page(found, page, size)

    def _advanced_query(self, body: Any, mid: str) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        match = _query_matcher(body.get("query") or {})
        found = sorted((a for a in self._visible(mid) if match(a)), key=lambda a: a["id"])
        page = body.get("page") or {}
        return self._page(found, int(page.get("page", 1)), int(page.get("pageSize", 50)))

    def _asset_route(self, method: str, raw_id: str, body: Any, mid: str) -> tuple[int, Any]:
        asset = self.assets.get(int(raw_id)) if raw_id.isdigit() else None
        if asset is None or str(asset["memberId"]) != mid:
            raise error(404, f"Asset with id {raw_id} not found", 30003)
        if method == "GET":
            self._need("saved_content_read")
            return 200, self._public(asset)
        self._need("saved_content_write")
        if method == "DELETE":
            del self.assets[asset["id"]]
            return 200, None
        if method in {"PATCH", "PUT"}:
            if not isinstance(body, dict):
                raise invalid("A JSON asset is required")
            fixed = {k: asset[k] for k in ("id", "customerKey", "assetType", "memberId", "enterpriseId")}
            kept = {
                k: v
                for k, v in asset.items()
                if k.startswith("_") or k in {"legacyData", "status", "createdDate"}
            }
            changed = {**asset, **body} if method == "PATCH" else {**kept, **body}
            changed.update(fixed)
            self._check_name(changed, ignore=asset["id"])
            changed["version"] = int(asset.get("version", 1)) + 1
            changed["modifiedDate"] = self._now()
            changed.pop("file", None)
            self.assets[asset["id"]] = changed
            return 200, self._public(changed)
        raise error(405, "Method not allowed", 405)

    def _check_name(self, asset: dict[str, Any], ignore: int | None = None) -> None:
        category = (asset.get("category") or {}).get("id")
        for other in self.assets.values():
            same = (
                other["id"] != ignore
                and other["memberId"] == asset["memberId"]
                and other["name"] == asset["name"]
                and other["assetType"]["id"] == asset["assetType"]["id"]
                and (other.get("category") or {}).get("id") == category
            )
            if same:
                name = asset["name"]
                raise error(
                    400,
                    "Asset names within a category and asset type must be unique. "
                    f"{name} is already taken. Suggested name: {name} (1)",
                    118039,
                )

    def _create_asset(self, body: Any, mid: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("A JSON asset is required")
        type_id = (body.get("assetType") or {}).get("id")
        if not isinstance(type_id, int) or type_id not in ASSET_TYPES:
            raise invalid("assetType.id is required and must be a known asset type")
        self._need("documents_and_images_write" if type_id in FILE_TYPES else "saved_content_write")
        if not body.get("name"):
            raise invalid("name is required")
        if len(str(body["name"])) > 200:
            raise invalid("name must be at most 200 characters")
        key = str(body.get("customerKey") or uuid.uuid4())
        if len(key) > 36:
            raise invalid("customerKey must be at most 36 characters")
        if any(a["customerKey"] == key for a in self.assets.values()):  # enterprise-wide
            raise error(400, f"The CustomerKey '{key}' is already in use.", CUSTOMER_KEY_TAKEN)
        category = (body.get("category") or {}).get("id")
        if category is not None and category not in self.categories:
            raise invalid(f"Category {category} does not exist")
        asset_id = next(self._ids)
        now = self._now()
        asset: dict[str, Any] = {
            **{k: v for k, v in body.items() if k != "file"},
            "id": asset_id,
            "customerKey": key,
            "objectID": str(uuid.uuid4()),
            "assetType": {"id": type_id, "name": ASSET_TYPES[type_id], "displayName": ASSET_TYPES[type_id]},
            "status": {"id": 1, "name": "Draft"},
            "version": 1,
            "createdDate": now,
            "modifiedDate": now,
            "memberId": int(mid),
            "enterpriseId": ENTERPRISE_ID,
            "_indexed_after": self.queries + self.index_lag,
        }
        if category is None:
            asset["category"] = {"id": self._category_id(mid, 0)}
        self._check_name(asset)
        if type_id in FILE_TYPES:
            data = _decode(body.get("file"))
            name = str((body.get("fileProperties") or {}).get("fileName") or body["name"])
            extension = name.rsplit(".", 1)[-1] if "." in name else ""
            asset["fileProperties"] = {
                "fileName": name,
                "extension": extension,
                "fileSize": len(data),
                "fileCreatedDate": now,
                "publishedURL": f"{CDN}/m/1/{uuid.uuid4()}.{extension or 'bin'}",
            }
            self.files[asset_id] = data
        if type_id in EMAIL_TYPES:
            asset["legacyData"] = {"legacyId": next(self._legacy)}
        self.assets[asset_id] = asset
        answer = self._public(asset)
        if "fileProperties" in answer and not self.url_in_create_answer:
            answer["fileProperties"] = {
                k: v for k, v in answer["fileProperties"].items() if k != "publishedURL"
            }
        return answer

    # ------------------------------------------------------------- categories
    def _category_route(
        self, method: str, rest: list[str], query: dict[str, list[str]], body: Any, mid: str
    ) -> tuple[int, Any]:
        if not rest and method == "GET":
            self._need("saved_content_read")
            text = (query.get("$filter") or [""])[0]
            parent = re.fullmatch(r"\s*parentId\s+eq\s+(\d+)\s*", text, re.IGNORECASE)
            mine = [c for c in self.categories.values() if str(c["memberId"]) == mid]
            if parent:
                mine = [c for c in mine if c["parentId"] == int(parent.group(1))]
            return 200, {"count": len(mine), "page": 1, "pageSize": 50, "items": mine}
        if not rest and method == "POST":
            self._need("saved_content_write")
            body = body if isinstance(body, dict) else {}
            if not body.get("Name") or body.get("ParentId") is None:
                raise error(400, "Name and ParentId are required", 10001)
            if int(body["ParentId"]) not in self.categories:
                raise error(400, "ParentId does not exist", 10001)
            category_id = next(self._category_ids)
            self.categories[category_id] = {
                "id": category_id,
                "name": body["Name"],
                "parentId": int(body["ParentId"]),
                "categoryType": "asset",
                "memberId": int(mid),
                "enterpriseId": ENTERPRISE_ID,
            }
            return 201, self.categories[category_id]
        if len(rest) == 1 and method == "GET":
            self._need("saved_content_read")
            found = self.categories.get(int(rest[0])) if rest[0].isdigit() else None
            if found is None or str(found["memberId"]) != mid:
                raise _Reply(
                    404, {"Message": "Category not found", "ErrorCode": 30003, "Documentation": DOCS}
                )
            return 200, found
        raise error(404, "Not Found", 404)

    # -------------------------------------------------------------- campaigns
    def _campaign_route(
        self, method: str, rest: list[str], query: dict[str, list[str]], body: Any, mid: str
    ) -> tuple[int, Any]:
        self._need("campaign_read" if method == "GET" else "campaign_write")
        mine = sorted(
            (c for c in self.campaigns.values() if c["_mid"] == mid), key=lambda c: str(c["name"]).lower()
        )
        if not rest and method == "GET":
            page = int((query.get("$page") or ["1"])[0])
            size = int((query.get("$pageSize") or query.get("$pagesize") or ["50"])[0])
            return 200, self._page(mine, page, size)
        if not rest and method == "POST":
            return 202, self._create_campaign(body, mid)
        campaign = self.campaigns.get(rest[0])
        if campaign is None or campaign["_mid"] != mid:
            raise error(404, "Campaign not found", 30003)
        if len(rest) == 1 and method == "GET":
            return 200, self._public(campaign)
        if len(rest) == 1 and method == "DELETE":
            del self.campaigns[rest[0]]
            self.links.pop(rest[0], None)
            return 200, None
        if rest[1:] == ["assets"] and method == "GET":
            return 200, list(self.links.get(rest[0], []))
        if rest[1:] == ["assets"] and method == "POST":
            return 202, self._link(rest[0], body, mid)
        raise error(404, "Not Found", 404)

    def _create_campaign(self, body: Any, mid: str) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        name = str(body.get("name") or "")
        if not name or len(name) > 128:
            raise error(400, "name is required and must be at most 128 characters", 10001)
        if len(str(body.get("description") or "")) > 512:
            raise error(400, "description must be at most 512 characters", 10001)
        if len(str(body.get("campaignCode") or "")) > 36:
            raise error(400, "campaignCode must be at most 36 characters", 10001)
        campaign_id = str(next(self._ids))
        now = self._now()
        campaign = {
            "id": campaign_id,
            "name": name,
            "description": body.get("description") or "",
            "campaignCode": body.get("campaignCode") or "",
            "color": body.get("color") or "",
            "favorite": bool(body.get("favorite")),
            "createdDate": now,
            "modifiedDate": now,
            "_mid": mid,
        }
        self.campaigns[campaign_id] = campaign
        return self._public(campaign)

    def _link(self, campaign_id: str, body: Any, mid: str) -> list[dict[str, Any]]:
        body = body if isinstance(body, dict) else {}
        kind = str(body.get("type") or "")
        ids = [str(i) for i in body.get("ids") or []]
        if not ids or not kind:
            raise error(400, "ids and type are required", 10001)
        for item_id in ids:
            if kind == "EMAIL":
                known = any(
                    str((a.get("legacyData") or {}).get("legacyId")) == item_id and str(a["memberId"]) == mid
                    for a in self.assets.values()
                )
            elif kind == "CMS_asset":
                known = item_id.isdigit() and str(self.assets.get(int(item_id), {}).get("memberId")) == mid
            else:
                known = False
            if not known:
                raise error(400, f"{kind} {item_id} does not exist", 10001)
        created = [
            {
                "id": str(next(self._ids)),
                "campaignId": campaign_id,
                "type": kind,
                "itemID": item_id,
                "createdDate": self._now(),
            }
            for item_id in ids
        ]
        self.links.setdefault(campaign_id, []).extend(created)
        return created

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat()


def _decode(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise invalid("file (base64) is required for a file asset")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("file is not valid base64") from None
    if len(data) > MAX_FILE_BYTES:
        raise invalid("file is larger than 5 MB")
    return data


def _lookup(asset: dict[str, Any], prop: str) -> Any:
    value: Any = asset
    for part in prop.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _like(value: Any, pattern: str) -> bool:
    regex = "^" + ".*".join(re.escape(p) for p in pattern.split("%")) + "$"
    return re.match(regex, str(value), re.IGNORECASE) is not None


def _parse_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """``$filter`` clauses ``prop op value`` joined by ``and`` (eq, neq, like)."""
    clauses = [c for c in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if c]
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in clauses:
        found = re.fullmatch(r"\s*([\w.]+)\s+(eq|neq|like)\s+(?:'(.*)'|(\S+))\s*", clause, re.IGNORECASE)
        if found is None:
            raise error(400, f"Invalid filter: {clause}", 30001)
        prop, op, quoted, bare = found.groups()
        value: Any = quoted if quoted is not None else (int(bare) if bare.isdigit() else bare)

        def test(a: dict[str, Any], prop: str = prop, op: str = op.lower(), value: Any = value) -> bool:
            have = _lookup(a, prop)
            if op == "like":
                return _like(have, str(value))
            same = str(have) == str(value)
            return same if op == "eq" else not same

        tests.append(test)
    return lambda a: all(t(a) for t in tests)


def _query_matcher(query: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """The advanced query: ``{property, simpleOperator, value}`` or
    ``{leftOperand, logicalOperator, rightOperand}``."""
    if "leftOperand" in query:
        left = _query_matcher(query["leftOperand"])
        right = _query_matcher(query["rightOperand"])
        if str(query.get("logicalOperator", "AND")).upper() == "OR":
            return lambda a: left(a) or right(a)
        return lambda a: left(a) and right(a)
    prop = str(query.get("property") or "")
    op = str(query.get("simpleOperator") or "equal")
    value = query.get("value")
    if op == "equal":
        return lambda a: str(_lookup(a, prop)) == str(value)
    if op == "like":
        return lambda a: _like(_lookup(a, prop), str(value))
    if op == "in":
        values = {str(v) for v in value or []}
        if len(values) > 50:
            raise error(400, "Too many values for 'in'", 30001)
        return lambda a: str(_lookup(a, prop)) in values
    raise error(400, f"Unsupported operator {op}", 30001)

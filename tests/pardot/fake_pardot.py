"""A loopback fake of Account Engagement (Pardot) API v5 and the Salesforce token
endpoint, as a WSGI app, written from ``shared/vendors/pardot.md`` ("What a wire-true
fake must do").

* ``POST /services/oauth2/token`` (form): ``client_credentials`` or ``refresh_token``;
  the Salesforce answer shape (no ``expires_in``); 400 ``invalid_client`` /
  ``invalid_grant``; :meth:`FakePardot.expire_tokens` makes every token stale (184).
* Every ``/api/v5`` call needs ``Authorization: Bearer`` (184) and
  ``Pardot-Business-Unit-Id`` (181 missing, 182 malformed, 201 unknown), and a token
  whose scope holds ``pardot_api`` (184).
* ``fields`` is required on reads (180) and only known fields may be asked (224); only
  the asked fields come back. List email bodies are readable by id but not queryable
  (``list_email_body_readable=False`` plays the other reading of the docs).
* Creates answer 201 + ``Location``, integer ids; PATCH is partial; DELETE moves to the
  recycle bin (204); unknown ids 404 + 109; methods an object lacks 405 + 60
  (campaigns and folders are read-only; landing pages and list emails cannot be
  updated or deleted).
* List emails: ``name``, ``campaignId``, ``recipientListIds`` (153), sender options,
  the unsubscribe variable (64), ``scheduledTime`` format (154); every create records a
  send (``sends``) and the email is ``isSent`` once its send time has passed. Never
  deduplicated: a second create is a second send.
* Email templates (220 rule), layout templates, lists, files (multipart ``file`` +
  ``input`` JSON; 194 for a refused MIME type, 204 empty or > 50 MB).
* Queries: ``limit``, ``orderBy``, ``nextPageToken`` / ``nextPageUrl``, ``values``;
  filters ``name`` (campaigns and lists; elsewhere ``name_filter`` decides: ``reject``
  with 224, ``ignore``, or ``honour``), ``idGreaterThan``, ``createdAtAfter``,
  ``deleted``; more than 3 filtered fields is 209.
* Limits: more than ``max_concurrent`` calls in flight -> 66; ``daily_calls`` -> 122
  (HTTP 429 "Daily API rate limit met"); ``read_lag`` seconds during which a new record
  is missing from queries (reads by id see it).
* :meth:`FakePardot.fail_next` injects a v5 error (optionally *after* applying the
  request, as when an answer is lost); ``requests`` logs every call.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from marketing_platform.testing import FakeClock

Json = dict[str, Any]
StartResponse = Callable[..., Any]

CLIENT_ID = "3MVG9fake.client.id"
CLIENT_SECRET = "fake-client-secret-0001"
REFRESH_TOKEN = "5Aep861fake.refresh.token"
BUSINESS_UNIT = "0Uv5e0000000001AAA"
TOKEN_PATH = "/services/oauth2/token"
MAX_FILE_BYTES = 50 * 1024 * 1024
ALLOWED_MIME = re.compile(r"^(image/|application/pdf$|text/(css|plain|csv|html)$|application/zip$)")
_UNSUBSCRIBE = re.compile(
    r"%%(unsubscribe|email_preference_center)%%|\{\{\{?(unsubscribe|emailpreferencecenter)\}?\}\}", re.I
)


@dataclass(frozen=True)
class Schema:
    ops: frozenset[str]
    readable: frozenset[str]
    writable: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    write_only: frozenset[str] = frozenset()
    not_queryable: frozenset[str] = frozenset()


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


_COMMON = _s("id", "createdAt", "updatedAt", "isDeleted")
_MESSAGE = _s(
    "name", "subject", "htmlMessage", "textMessage", "senderOptions", "replyToOptions", "trackerDomainId"
)
SCHEMAS: dict[str, Schema] = {
    "campaigns": Schema(
        _s("read", "query"), _COMMON | _s("name", "folderId", "cost", "parentCampaignId", "salesforceId")
    ),
    "list-emails": Schema(
        _s("create", "read", "query"),
        _COMMON
        | _MESSAGE
        | _s(
            "campaignId", "isPaused", "isSent", "sentAt", "clientType", "operationalEmail", "emailTemplateId"
        )
        | _s("folderId"),
        _MESSAGE
        | _s("campaignId", "recipientListIds", "scheduledTime", "isOperational", "emailTemplateId")
        | _s("suppressionListIds", "folderId"),
        _s("name", "campaignId", "recipientListIds"),
        _s("recipientListIds", "scheduledTime", "suppressionListIds", "isOperational"),
        _s("htmlMessage", "textMessage"),
    ),
    "email-templates": Schema(
        _s("create", "read", "update", "delete", "query"),
        _COMMON
        | _MESSAGE
        | _s(
            "isOneToOneEmail", "isListEmail", "isAutoResponderEmail", "isDripEmail", "folderId", "campaignId"
        )
        | _s("type"),
        _MESSAGE
        | _s(
            "isOneToOneEmail", "isListEmail", "isAutoResponderEmail", "isDripEmail", "folderId", "campaignId"
        ),
        _s("name"),
    ),
    "landing-pages": Schema(
        _s("create", "read", "query"),
        _COMMON
        | _s("name", "campaignId", "layoutTemplateId", "formId", "folderId", "trackerDomainId", "url"),
        _s("name", "campaignId", "layoutTemplateId", "formId", "folderId", "trackerDomainId"),
        _s("name"),
    ),
    "layout-templates": Schema(
        _s("create", "read", "update", "delete", "query"),
        _COMMON
        | _s("name", "layoutContent", "formContent", "siteSearchContent", "isIncludeDefaultCss", "folderId"),
        _s("name", "layoutContent", "formContent", "siteSearchContent", "isIncludeDefaultCss", "folderId"),
        _s("name", "layoutContent"),
    ),
    "files": Schema(
        _s("create", "read", "update", "delete", "query"),
        _COMMON
        | _s("name", "url", "size", "vanityUrl", "bitlyShortUrl", "isTracked", "salesforceId", "folderId")
        | _s("campaignId", "trackerDomainId"),
        _s("name", "folderId", "campaignId", "vanityUrlPath", "trackerDomainId"),
    ),
    "folders": Schema(_s("read", "query"), _COMMON | _s("name", "parentFolderId", "path", "usePermissions")),
    "lists": Schema(
        _s("create", "read", "update", "delete", "query"),
        _COMMON | _s("name", "title", "description", "isPublic", "isDynamic", "folderId", "campaignId"),
        _s("name", "title", "description", "isPublic", "isDynamic", "folderId", "campaignId"),
        _s("name"),
    ),
    "tracker-domains": Schema(_s("read", "query"), _s("id", "domain", "isPrimary", "defaultCampaignId")),
}
NAME_FILTERED = frozenset({"campaigns", "lists"})
FILTERS = frozenset({"name", "idGreaterThan", "createdAtAfter", "deleted"})


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 0

    @property
    def is_write(self) -> bool:
        return self.method != "GET" and self.path.startswith("/api/v5")


@dataclass
class Failure:
    code: int
    status: int
    message: str
    method: str | None
    path: str | None
    times: int
    after: bool

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


class Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(status: int, code: int, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


class FakePardot:
    """The fake; call it as a WSGI app. Configure through the constructor and attributes."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        business_units: Iterable[str] = (BUSINESS_UNIT,),
        scope: str = "pardot_api api refresh_token",
        max_concurrent: int = 5,
        daily_calls: int = 25_000,
        read_lag: float = 0.0,
        hold: float = 0.0,
    ) -> None:
        self.clock = clock or FakeClock()
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.refresh_tokens = {REFRESH_TOKEN}
        self.client_credentials_enabled = True
        self.scope = scope
        self.business_units = set(business_units)
        self.max_concurrent = max_concurrent
        self.daily_calls = daily_calls
        self.read_lag = read_lag
        self.hold = hold
        self.name_filter = "reject"  # for collections without a documented name filter
        self.list_email_body_readable = True
        self.list_email_folder_supported = True
        self.account_readable = True

        self.tokens: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self.data: dict[str, dict[int, Json]] = {name: {} for name in SCHEMAS}
        self.sends: list[Json] = []
        self.requests: list[Call] = []
        self.api_calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.concurrency_rejections = 0
        self._created: dict[tuple[str, int], float] = {}
        self._hidden: dict[str, Json] = {}  # write-only values, by "collection/id"
        self._pages: dict[str, tuple[str, list[int], str]] = {}
        self._failures: list[Failure] = []
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ set-up
    def add(self, collection: str, **record: Any) -> Json:
        """Put a record in (as if made in Account Engagement long ago); returns it."""
        with self._lock:
            object_id = int(record.pop("id", next(self._ids)))
            stamp = self._iso(self.clock() - 86_400)
            item = {"id": object_id, "isDeleted": False, "createdAt": stamp, "updatedAt": stamp, **record}
            if collection == "list-emails":
                hidden: Json = {k: item.pop(k) for k in ("recipientListIds", "scheduledTime") if k in item}
                self._hidden[f"{collection}/{object_id}"] = hidden
            self.data[collection][object_id] = item
            self._created[(collection, object_id)] = -1e18
            return item

    def add_campaign(self, name: str, **extra: Any) -> int:
        return int(
            self.add("campaigns", name=name, cost=0, salesforceId=f"701{uuid.uuid4().hex[:15]}", **extra)[
                "id"
            ]
        )

    def add_list(self, name: str, **extra: Any) -> int:
        return int(self.add("lists", name=name, isPublic=False, isDynamic=False, **extra)["id"])

    def add_folder(self, path: str) -> int:
        name = path.strip("/").rsplit("/", 1)[-1]
        return int(self.add("folders", name=name, path=path, parentFolderId=None, usePermissions=False)["id"])

    def fail_next(
        self,
        code: int,
        message: str = "injected failure",
        *,
        status: int = 400,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Answer the next ``times`` API calls matching ``method`` / ``path`` (a prefix)
        with v5 error ``code``; ``after``: apply the request first (a lost answer)."""
        self._failures.append(Failure(code, status, message, method, path, times, after))

    def expire_tokens(self) -> None:
        """Every access token handed out so far becomes invalid (184)."""
        with self._lock:
            self.tokens.clear()

    # ---------------------------------------------------------------- queries
    def objects(self, collection: str, *, deleted: bool = False) -> list[Json]:
        return [v for v in self.data[collection].values() if deleted or not v.get("isDeleted")]

    def named(self, collection: str, name: str) -> list[Json]:
        return [v for v in self.data[collection].values() if v.get("name") == name]

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts = {name: len(table) for name, table in self.data.items()}
            counts["sends"] = len(self.sends)
            return counts

    def writes(self) -> list[Call]:
        """API requests that could change something (token requests excluded)."""
        return [call for call in self.requests if call.is_write]

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.requests if c.method == method and c.path == path]

    def hidden(self, collection: str, object_id: int) -> Json:
        """Write-only values the fake keeps (``recipientListIds``, ``scheduledTime``)."""
        return self._hidden.get(f"{collection}/{object_id}", {})

    # -------------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        is_api = path.startswith("/api/v5")
        with self._lock:
            if is_api:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                too_many = self.in_flight > self.max_concurrent
                if too_many:
                    self.concurrency_rejections += 1
            else:
                too_many = False
        try:
            if self.hold and is_api:
                time.sleep(self.hold)  # latency, so calls overlap over a socket
            status, body, headers = self._handle(environ, too_many)
        finally:
            if is_api:
                with self._lock:
                    self.in_flight -= 1
        payload = b"" if body is None else json.dumps(body).encode()
        header_list = [("Content-Type", "application/json")] if body is not None else []
        header_list += list(headers.items())
        start_response(f"{status} {HTTPStatus(status).phrase}", header_list)
        return [payload]

    def _handle(self, environ: dict[str, Any], too_many: bool) -> tuple[int, Any, dict[str, str]]:
        call = self._record(environ)
        try:
            if call.path == TOKEN_PATH:
                status, body, headers = self._token(call)
                call.status = status
                return status, body, headers
            if not call.path.startswith("/api/v5/objects"):
                raise Reply(404, {"code": 192, "message": "Object does not exist"})
            if too_many:
                raise error(429, 66, "Too many concurrent requests. Limit: 5")
            with self._lock:
                self._authorise(call)
                failure = next(
                    (f for f in self._failures if f.times > 0 and f.matches(call.method, call.path)), None
                )
                if failure is not None:
                    failure.times -= 1
                    if not failure.after:
                        raise error(failure.status, failure.code, failure.message)
                self.api_calls += 1
                if self.api_calls > self.daily_calls:
                    raise error(429, 122, "Daily API rate limit met.")
                status, body, headers = self._route(call)
                if failure is not None:
                    raise error(failure.status, failure.code, failure.message)
        except Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        call.status = status
        return status, body, headers

    def _record(self, environ: dict[str, Any]) -> Call:
        method = environ["REQUEST_METHOD"]
        query = {
            k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        headers = {
            k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
        }
        content_type = environ.get("CONTENT_TYPE", "")
        headers["Content-Type"] = content_type
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        call = Call(method, environ.get("PATH_INFO", ""), query, headers)
        if content_type.startswith("application/json") and raw:
            try:
                call.json = json.loads(raw)
            except ValueError:
                call.json = ValueError("bad json")
        elif content_type.startswith("application/x-www-form-urlencoded"):
            call.form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        elif content_type.startswith("multipart/form-data"):
            call.files = _multipart(content_type, raw)
        with self._lock:
            self.requests.append(call)
        return call

    # ------------------------------------------------------------------ OAuth
    def _token(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        if call.method != "POST":
            raise Reply(405, {"error": "method_not_allowed", "error_description": "use POST"})
        form = call.form
        self.token_requests.append({k: v for k, v in form.items() if k in {"grant_type", "client_id"}})
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            raise Reply(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                raise Reply(
                    400, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
                )
        elif grant == "client_credentials":
            if not self.client_credentials_enabled:
                raise Reply(
                    400, {"error": "invalid_grant", "error_description": "no client credentials user enabled"}
                )
        else:
            raise Reply(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            )
        token = f"00D5e000000fake!{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
        return (
            200,
            {
                "access_token": token,
                "signature": uuid.uuid4().hex,
                "scope": self.scope,
                "instance_url": "https://acme.my.salesforce.com",
                "id": "https://login.salesforce.com/id/00D5e000000fake/0055e000000fake",
                "token_type": "Bearer",
                "issued_at": str(int(self.clock() * 1000)),
            },
            {},
        )

    def _authorise(self, call: Call) -> None:
        scheme, _, token = call.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens or "pardot_api" not in self.scope.split():
            raise error(401, 184, "access_token is invalid, unknown, or malformed")
        unit = call.headers.get("Pardot-Business-Unit-Id")
        if not unit:
            raise error(400, 181, "Required header is missing: Pardot-Business-Unit-Id")
        if not re.fullmatch(r"0Uv[0-9A-Za-z]{15}", unit):
            raise error(400, 182, "Invalid value for header Pardot-Business-Unit-Id")
        if unit not in self.business_units:
            raise error(400, 201, f"Business Unit ID {unit} not found or inactive")

    # ------------------------------------------------------------------ routes
    def _route(self, call: Call) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in call.path.removeprefix("/api/v5/objects").split("/") if p]
        if parts == ["account"] and call.method == "GET":
            if not self.account_readable:
                raise error(403, 49, "Access denied")
            fields = self._fields(call, frozenset({"id", "maximumDailyApiCalls", "apiCallsUsed", "company"}))
            account = {
                "id": 1,
                "maximumDailyApiCalls": self.daily_calls,
                "apiCallsUsed": self.api_calls,
                "company": "Acme",
            }
            return 200, {k: account[k] for k in fields}, {}
        if not parts or parts[0] not in SCHEMAS:
            raise error(404, 192, "Object does not exist")
        collection, schema = parts[0], SCHEMAS[parts[0]]
        rest = parts[1:]
        if len(rest) > 1:
            raise error(405, 60, "The HTTP method is not allowed for this endpoint")
        op = {
            ("GET", 0): "query",
            ("GET", 1): "read",
            ("POST", 0): "create",
            ("PATCH", 1): "update",
            ("DELETE", 1): "delete",
        }.get((call.method, len(rest)))
        if op is None or op not in schema.ops:
            raise error(405, 60, "The HTTP method is not allowed for this endpoint")
        if op == "query":
            return self._query(call, collection, schema)
        if op == "create":
            return self._create(call, collection, schema)
        item = self._get(collection, rest[0])
        if op == "read":
            fields = self._fields(call, schema.readable, collection=collection, by_id=True)
            return 200, self._view(collection, item, fields), {}
        if op == "update":
            body = self._body(call, schema)
            updated = {**item, **body}
            if collection == "email-templates":
                _check_template_uses(updated)
            item.update(body, updatedAt=self._iso(self.clock()))
            fields = self._fields(call, schema.readable, required=False)
            return 200, self._view(collection, item, fields or ["id"]), {}
        item.update(isDeleted=True, updatedAt=self._iso(self.clock()))
        return 204, None, {}

    def _get(self, collection: str, raw_id: str) -> Json:
        try:
            item = self.data[collection].get(int(raw_id))
        except ValueError:
            item = None
        if item is None:
            raise error(404, 109, f"Record with id {raw_id} does not exist")
        return item

    def _fields(
        self,
        call: Call,
        readable: frozenset[str],
        *,
        collection: str = "",
        by_id: bool = False,
        required: bool = True,
    ) -> list[str]:
        raw = call.query.get("fields")
        if not raw:
            if required:
                raise error(400, 180, "The fields parameter is required")
            return []
        fields = [f.strip() for f in raw.split(",") if f.strip()]
        schema = SCHEMAS.get(collection)
        for name in fields:
            unreadable = name not in readable
            if schema is not None and name in schema.not_queryable:
                unreadable = (
                    unreadable
                    or not by_id
                    or (collection == "list-emails" and not self.list_email_body_readable)
                )
            if unreadable:
                raise error(400, 224, f"Invalid or non-queryable field: {name}")
        return fields

    def _view(self, collection: str, item: Json, fields: list[str]) -> Json:
        view = dict(item)
        if collection == "list-emails":
            hidden = self.hidden(collection, int(item["id"]))
            send_at = hidden.get("_sendAt")
            sent = send_at is not None and send_at <= self.clock()
            view["isSent"] = bool(item.get("isSent")) or sent
            view["sentAt"] = item.get("sentAt") or (
                self._iso(send_at) if send_at is not None and sent else None
            )
        return {name: view.get(name) for name in fields}

    # ----------------------------------------------------------------- queries
    def _query(self, call: Call, collection: str, schema: Schema) -> tuple[int, Any, dict[str, str]]:
        fields = self._fields(call, schema.readable, collection=collection)
        token = call.query.get("nextPageToken")
        if token:
            if token not in self._pages:
                raise error(400, 211, "Invalid nextPageToken")
            _, ids, _ = self._pages.pop(token)
            return self._page(call, collection, ids, fields, int(call.query.get("limit") or 0) or 200)
        filters = {k: v for k, v in call.query.items() if k in FILTERS}
        if len(filters) > 3:
            raise error(400, 209, "A maximum of 3 fields may be filtered")
        unknown = set(call.query) - FILTERS - {"fields", "limit", "orderBy", "nextPageToken"}
        if unknown:
            raise error(400, 224, f"Invalid or non-queryable field: {sorted(unknown)[0]}")
        name = filters.get("name")
        if name is not None and collection not in NAME_FILTERED:
            if self.name_filter == "reject":
                raise error(400, 224, "Invalid or non-queryable field: name")
            if self.name_filter == "ignore":
                name = None
        now = self.clock()
        deleted = filters.get("deleted", "false")
        items = []
        for item in self.data[collection].values():
            if now - self._created.get((collection, int(item["id"])), -1e18) < self.read_lag:
                continue  # reads come from a cache that lags writes
            if (deleted == "false" and item.get("isDeleted")) or (
                deleted == "true" and not item.get("isDeleted")
            ):
                continue
            if name is not None and item.get("name") != name:
                continue
            if "idGreaterThan" in filters and int(item["id"]) <= int(filters["idGreaterThan"]):
                continue
            if "createdAtAfter" in filters and str(item["createdAt"]) <= filters["createdAtAfter"]:
                continue
            items.append(item)
        order = call.query.get("orderBy", "id ASC").strip()
        items.sort(key=lambda v: int(v["id"]), reverse=order.lower().endswith("desc"))
        limit = int(call.query.get("limit") or 200)
        if not 1 <= limit <= 1000:
            raise error(400, 154, "Invalid value for limit")
        return self._page(call, collection, [int(v["id"]) for v in items], fields, limit)

    def _page(
        self, call: Call, collection: str, ids: list[int], fields: list[str], limit: int
    ) -> tuple[int, Any, dict[str, str]]:
        page, rest = ids[:limit], ids[limit:]
        body: Json = {
            "values": [
                self._view(collection, self.data[collection][i], fields)
                for i in page
                if i in self.data[collection]
            ],
            "nextPageToken": None,
            "nextPageUrl": None,
        }
        if rest:
            token = uuid.uuid4().hex
            self._pages[token] = (collection, rest, ",".join(fields))
            body["nextPageToken"] = token
            body["nextPageUrl"] = f"https://pi.pardot.com{call.path}?nextPageToken={token}"
        return 200, body, {}

    # ----------------------------------------------------------------- creates
    def _body(self, call: Call, schema: Schema) -> Json:
        if isinstance(call.json, ValueError):
            raise error(400, 150, "Invalid JSON")
        if not call.headers.get("Content-Type", "").startswith("application/json"):
            raise error(400, 151, "Content-Type must be application/json")
        if not isinstance(call.json, dict) or not call.json:
            raise error(400, 152, "Request body is empty")
        for key in call.json:
            if key not in schema.writable:
                raise error(400, 154, f"Invalid property: {key}")
        return dict(call.json)

    def _create(self, call: Call, collection: str, schema: Schema) -> tuple[int, Any, dict[str, str]]:
        body = self._file_body(call) if collection == "files" else self._body(call, schema)
        for name in sorted(schema.required):
            if body.get(name) in (None, "", []):
                raise error(400, 153, f"Required property is missing: {name}")
        hidden: Json = {}
        if collection == "list-emails":
            hidden = self._list_email(body)
        elif collection == "email-templates":
            _check_template_uses(body)
        elif collection == "landing-pages" and body.get("layoutTemplateId") is not None:
            self._get("layout-templates", str(body["layoutTemplateId"]))
        object_id = next(self._ids)
        stamp = self._iso(self.clock())
        item: Json = {"id": object_id, "isDeleted": False, "createdAt": stamp, "updatedAt": stamp}
        item.update({k: v for k, v in body.items() if k not in schema.write_only})
        if collection == "list-emails":
            item.update(isPaused=False, isSent=False, sentAt=None, clientType="API")
            self.sends.append({"listEmailId": object_id, **hidden})
        elif collection == "landing-pages":
            item["url"] = f"https://go.acme.example/l/1001/{body['name']}"
        elif collection == "files":
            item["url"] = f"https://go.acme.example/l/1001/2026-01-01/{object_id}/{item['name']}"
        self.data[collection][object_id] = item
        self._hidden[f"{collection}/{object_id}"] = hidden
        self._created[(collection, object_id)] = self.clock()
        fields = self._fields(call, schema.readable, collection=collection, by_id=True, required=False)
        location = f"https://pi.pardot.com/api/v5/objects/{collection}/{object_id}"
        if not fields:
            return 204, None, {"Location": location}
        return 201, self._view(collection, item, fields), {"Location": location}

    def _list_email(self, body: Json) -> Json:
        if "folderId" in body and not self.list_email_folder_supported:
            raise error(400, 154, "Invalid property: folderId")
        self._get("campaigns", str(body.get("campaignId")))
        lists = body.get("recipientListIds")
        if not isinstance(lists, list) or not lists:
            raise error(400, 153, "Required property is missing: recipientListIds")
        for list_id in lists:
            self._get("lists", str(list_id))
        template = body.get("emailTemplateId")
        if template is not None:
            self._get("email-templates", str(template))
        if not body.get("senderOptions") and template is None:
            raise error(400, 153, "Required property is missing: senderOptions")
        if template is None and not _UNSUBSCRIBE.search(str(body.get("htmlMessage") or "")):
            raise error(400, 64, "Email content is missing required variable tags: %%unsubscribe%%")
        send_at = self.clock()
        if body.get("scheduledTime") is not None:
            try:
                moment = datetime.fromisoformat(str(body["scheduledTime"]))
            except ValueError:
                raise error(400, 154, "Invalid value for scheduledTime") from None
            if moment.tzinfo is None:
                raise error(400, 154, "Invalid value for scheduledTime: an offset is required")
            send_at = moment.timestamp()
        return {
            "recipientListIds": list(lists),
            "scheduledTime": body.get("scheduledTime"),
            "_sendAt": send_at,
        }

    def _file_body(self, call: Call) -> Json:
        if not call.headers.get("Content-Type", "").startswith("multipart/form-data"):
            raise error(400, 151, "Content-Type must be multipart/form-data")
        upload = call.files.get("file")
        if upload is None:
            raise error(400, 153, "Required property is missing: file")
        data: bytes = upload["content"]
        if not data or len(data) > MAX_FILE_BYTES:
            raise error(400, 204, "The file is empty or larger than 50 MB")
        if not ALLOWED_MIME.match(upload.get("content_type") or ""):
            raise error(400, 194, f"Invalid MIME type: {upload.get('content_type')}")
        text = call.files.get("input", {}).get("content", b"{}")
        try:
            meta = json.loads(text or b"{}")
        except ValueError:
            raise error(400, 150, "Invalid JSON in input") from None
        for key in meta:
            if key not in SCHEMAS["files"].writable:
                raise error(400, 154, f"Invalid property: {key}")
        return {
            "name": meta.get("name") or upload.get("filename"),
            "size": len(data),
            "isTracked": False,
            **{k: v for k, v in meta.items() if k != "name"},
        }

    @staticmethod
    def _iso(moment: float) -> str:
        return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _check_template_uses(body: Json) -> None:
    uses = ("isOneToOneEmail", "isListEmail", "isAutoResponderEmail", "isDripEmail")
    if not any(body.get(name) for name in uses):
        raise error(
            400, 220, "One of isOneToOneEmail, isListEmail, isAutoResponderEmail, isDripEmail must be true"
        )


def _multipart(content_type: str, raw: bytes) -> dict[str, dict[str, Any]]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts: dict[str, dict[str, Any]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        parts[str(name)] = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type() if part.get("Content-Type") else None,
            "content": part.get_payload(decode=True) or b"",
        }
    return parts

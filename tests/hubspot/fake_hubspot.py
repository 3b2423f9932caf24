"""A loopback fake of the HubSpot APIs the adapter uses, as a WSGI app.

Written from ``shared/vendors/hubspot.md`` (not from HubSpot's specs). It keeps state
(campaigns, budget items, campaign assets, blog posts, tags, marketing emails, lists,
files, OAuth tokens with expiry), logs every call for assertions, enforces a per-window
request budget (answering with HubSpot's real 429 body and headers on excess), sends the
``X-HubSpot-RateLimit-*`` headers, and has knobs to inject failures. Like HubSpot it
edits a blog post through its draft (``PATCH …/draft``, then push-live / schedule),
refuses to edit or publish again a marketing email that is scheduled or sent, sends a
scheduled email when its time comes (``sends`` counts every send), and reads the
campaign ``properties`` query as an exploded array. Time comes from an
injectable clock (share :class:`FakeClock` with the adapter so nothing really waits).

Run it in-process with ``httpx.WSGITransport(app=fake)`` or on a socket with
``tests.fakes.server.serve(fake)``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from marketing_platform.testing.clock import FakeClock  # tests import it from here too

Json = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass
class Call:
    """One request the fake received (and what it answered)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    #: Every query parameter in order, repeated names included (``properties=a&properties=b``).
    query_items: list[tuple[str, str]] = field(default_factory=list)
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    at: float = 0.0
    status: int = 0


@dataclass
class Injection:
    method: str
    path: str
    status: int
    body: Json
    headers: dict[str, str]
    times: int


class Reply(Exception):
    """Raised by handlers to answer at once."""

    def __init__(self, status: int, body: Json | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


SCOPES = [
    ("GET", "/marketing/v3/campaigns", "marketing.campaigns.read"),
    ("", "/marketing/v3/campaigns", "marketing.campaigns.write"),
    ("", "/cms/v3/blogs", "content"),
    ("", "/marketing/v3/emails", "content"),
    ("", "/files/v3", "files"),
    ("GET", "/crm/v3/lists", "crm.lists.read"),
    ("", "/crm/v3/lists", "crm.lists.write"),
]
ASSET_TYPES = {"BLOG_POST", "MARKETING_EMAIL", "OBJECT_LIST", "LANDING_PAGE", "FORM", "CTA"}


class FakeHubSpot:
    """The fake. Configure it through the constructor and the public attributes."""

    #: Every fake made since the last reset (the wire-contract check reads their calls).
    created: ClassVar[list[FakeHubSpot]] = []

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        tokens: Iterable[str] = ("pat-na1-test-token",),
        window_calls: int = 100,
        window_seconds: float = 10.0,
        daily_calls: int = 250_000,
        blogs: Iterable[str] = ("1234567",),
        oauth_clients: dict[str, str] | None = None,
        refresh_tokens: Iterable[str] = ("rt-test-refresh",),
        token_lifetime: float = 1800.0,
    ) -> None:
        FakeHubSpot.created.append(self)
        self.clock = clock or FakeClock()
        self.private_tokens = set(tokens)
        self.window_calls = window_calls
        self.window_seconds = window_seconds
        self.daily_calls = daily_calls
        self.blogs = set(blogs)
        #: The path of each blog (its settings' ``slug``); a blog not listed is at ``blog``.
        self.blog_paths: dict[str, str] = {}
        #: Store a post's slug as HubSpot may: the blog's path + ``/`` + the slug sent.
        self.slug_with_blog_path = False
        self.oauth_clients = oauth_clients or {"client-id-1": "client-secret-1"}
        self.refresh_tokens = set(refresh_tokens)
        self.token_lifetime = token_lifetime
        self.send_rate_headers = True
        self.send_retry_after: float | None = None
        self.daily_exhausted = False
        self.granted_scopes: set[str] | None = None  # None: every scope
        self.email_publish_allowed = True

        self.campaigns: dict[str, Json] = {}
        self.budget: dict[str, list[Json]] = {}
        self.campaign_assets: dict[str, dict[str, list[str]]] = {}
        self.posts: dict[str, Json] = {}
        self.tags: dict[str, Json] = {}
        self.emails: dict[str, Json] = {}
        self.lists: dict[str, Json] = {}
        self.files: dict[str, Json] = {}
        self.post_drafts: dict[str, Json] = {}
        #: ``(email id, time)`` for every marketing email that went out.
        self.sends: list[tuple[str, float]] = []
        self.access_tokens: dict[str, float] = {}
        self.calls: list[Call] = []
        self.injections: list[Injection] = []
        self.window: deque[float] = deque()
        self.peak_in_window = 0
        self.window_rejections = 0
        self.daily_count = 0

        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("POST", re.compile(r"/oauth/v1/token"), self._token),
            ("GET", re.compile(r"/marketing/v3/campaigns"), self._list_campaigns),
            ("POST", re.compile(r"/marketing/v3/campaigns"), self._create_campaign),
            ("GET", re.compile(r"/marketing/v3/campaigns/([^/]+)"), self._get_campaign),
            ("PATCH", re.compile(r"/marketing/v3/campaigns/([^/]+)"), self._update_campaign),
            ("POST", re.compile(r"/marketing/v3/campaigns/([^/]+)/budget"), self._add_budget),
            ("PUT", re.compile(r"/marketing/v3/campaigns/([^/]+)/budget/([^/]+)"), self._update_budget),
            ("DELETE", re.compile(r"/marketing/v3/campaigns/([^/]+)/budget/([^/]+)"), self._delete_budget),
            ("GET", re.compile(r"/marketing/v3/campaigns/([^/]+)/budget/totals"), self._budget_totals),
            ("GET", re.compile(r"/marketing/v3/campaigns/([^/]+)/assets/([A-Z_]+)"), self._list_assets),
            ("PUT", re.compile(r"/marketing/v3/campaigns/([^/]+)/assets/([A-Z_]+)/([^/]+)"), self._attach),
            ("GET", re.compile(r"/cms/v3/blog-settings/settings/([^/]+)"), self._blog_settings),
            ("GET", re.compile(r"/cms/v3/blogs/tags"), self._list_tags),
            ("POST", re.compile(r"/cms/v3/blogs/tags"), self._create_tag),
            ("GET", re.compile(r"/cms/v3/blogs/posts"), self._list_posts),
            ("POST", re.compile(r"/cms/v3/blogs/posts"), self._create_post),
            ("POST", re.compile(r"/cms/v3/blogs/posts/schedule"), self._schedule_post),
            ("GET", re.compile(r"/cms/v3/blogs/posts/([^/]+)"), self._get_post),
            ("PATCH", re.compile(r"/cms/v3/blogs/posts/([^/]+)"), self._update_post),
            ("GET", re.compile(r"/cms/v3/blogs/posts/([^/]+)/draft"), self._get_post_draft),
            ("PATCH", re.compile(r"/cms/v3/blogs/posts/([^/]+)/draft"), self._update_post_draft),
            ("POST", re.compile(r"/cms/v3/blogs/posts/([^/]+)/draft/push-live"), self._push_live),
            ("GET", re.compile(r"/marketing/v3/emails/?"), self._list_emails),
            ("POST", re.compile(r"/marketing/v3/emails"), self._create_email),
            ("GET", re.compile(r"/marketing/v3/emails/([^/]+)"), self._get_email),
            ("PATCH", re.compile(r"/marketing/v3/emails/([^/]+)"), self._update_email),
            ("POST", re.compile(r"/marketing/v3/emails/([^/]+)/publish"), self._publish_email),
            ("POST", re.compile(r"/marketing/v3/emails/([^/]+)/unpublish"), self._unpublish_email),
            ("GET", re.compile(r"/crm/v3/lists/object-type-id/([^/]+)/name/(.+)"), self._list_by_name),
            ("GET", re.compile(r"/crm/v3/lists/?"), self._lists_by_id),
            ("POST", re.compile(r"/crm/v3/lists"), self._create_list),
            ("GET", re.compile(r"/files/v3/files/search"), self._search_files),
            ("POST", re.compile(r"/files/v3/files"), self._upload),
        ]

    # ------------------------------------------------------------------ knobs
    def inject(
        self,
        method: str,
        path: str,
        status: int,
        body: Json | None = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (a prefix;
        ``*`` for any) with ``status`` and ``body``."""
        self.injections.append(Injection(method.upper(), path, status, body or {}, headers or {}, times))

    def inject_rate_limit(self, *, times: int = 1, path: str = "*", method: str = "*") -> None:
        """``times`` HubSpot TEN_SECONDLY_ROLLING 429s."""
        body = self._rate_body("TEN_SECONDLY_ROLLING")
        headers = {"Retry-After": str(int(self.send_retry_after))} if self.send_retry_after else {}
        self.inject(method, path, 429, body, headers=headers, times=times)

    def inject_validation_error(self, method: str, path: str, errors: list[tuple[str, str]]) -> None:
        """A 400 VALIDATION_ERROR naming ``(field, message)`` pairs."""
        body = self._error(
            "VALIDATION_ERROR",
            f"{len(errors)} validation error(s)",
            errors=[{"message": m, "in": f, "code": "INVALID"} for f, m in errors],
        )
        self.inject(method, path, 400, body)

    def expire_tokens(self) -> None:
        """Every OAuth access token issued so far expires now."""
        for token in self.access_tokens:
            self.access_tokens[token] = self.clock() - 1

    def calls_to(self, method: str, path: str) -> list[Call]:
        """Calls with this method whose path matches ``path`` (a regex, anchored)."""
        pattern = re.compile(path + r"\Z")
        return [c for c in self.calls if c.method == method and pattern.match(c.path)]

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        with self._lock:
            call = self._read(environ)
            self.calls.append(call)
            try:
                status, body, headers = self._handle(call)
            except Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
            call.status = status
        payload = json.dumps(body).encode() if body is not None else b""
        out_headers = [("Content-Type", "application/json;charset=utf-8")] if body is not None else []
        out_headers += list(headers.items())
        out_headers.append(("Content-Length", str(len(payload))))
        phrase = (
            HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Web Server Is Down"
        )
        start_response(f"{status} {phrase}", out_headers)
        return [payload]

    def _read(self, environ: dict[str, Any]) -> Call:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        content_type = environ.get("CONTENT_TYPE") or ""
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        call = Call(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO") or "/",
            query=dict(parse_qsl(environ.get("QUERY_STRING") or "")),
            query_items=parse_qsl(environ.get("QUERY_STRING") or ""),
            headers=headers,
            at=self.clock(),
        )
        if content_type.startswith("application/json") and raw:
            call.json = json.loads(raw)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            call.form = dict(parse_qsl(raw.decode()))
        elif content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                if part.get_filename() is not None:
                    call.files[str(name)] = {
                        "filename": part.get_filename(),
                        "content_type": part.get_content_type(),
                        "data": data,
                    }
                else:
                    call.form[str(name)] = data.decode() if isinstance(data, bytes) else str(data)
        return call

    def _handle(self, call: Call) -> tuple[int, Json | None, dict[str, str]]:
        counted = call.path != "/oauth/v1/token"
        headers: dict[str, str] = {"X-HubSpot-Correlation-Id": str(uuid.uuid4())}
        if counted:
            headers.update(self._admit(call))
        injected = self._injected(call)
        if injected is not None:
            injected.headers = {**headers, **injected.headers}
            raise injected
        self._tick()
        handler, args = self._route(call)
        if counted:
            self._authenticate(call)
            self._check_scopes(call)
        status, body = handler(call, *args)
        return status, body, headers

    def _admit(self, call: Call) -> dict[str, str]:
        now = call.at
        while self.window and self.window[0] <= now - self.window_seconds:
            self.window.popleft()
        if self.daily_exhausted or self.daily_count >= self.daily_calls:
            raise Reply(429, self._rate_body("DAILY"), {"X-HubSpot-RateLimit-Daily-Remaining": "0"})
        if len(self.window) >= self.window_calls:
            self.window_rejections += 1
            headers = self._rate_headers(0)
            if self.send_retry_after:
                headers["Retry-After"] = str(int(self.send_retry_after))
            raise Reply(429, self._rate_body("TEN_SECONDLY_ROLLING"), headers)
        self.window.append(now)
        self.daily_count += 1
        self.peak_in_window = max(self.peak_in_window, len(self.window))
        return self._rate_headers(self.window_calls - len(self.window))

    def _rate_headers(self, remaining: int) -> dict[str, str]:
        if not self.send_rate_headers:
            return {}
        return {
            "X-HubSpot-RateLimit-Max": str(self.window_calls),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_seconds * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_calls),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_calls - self.daily_count)),
        }

    def _rate_body(self, policy_name: str) -> Json:
        return {
            "status": "error",
            "message": f"You have reached your {policy_name.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy_name,
            "groupName": "api-calls",
        }

    def _injected(self, call: Call) -> Reply | None:
        for injection in self.injections:
            if injection.times <= 0:
                continue
            if injection.method not in ("*", call.method):
                continue
            if injection.path != "*" and not call.path.startswith(injection.path):
                continue
            injection.times -= 1
            body = dict(injection.body)
            body.setdefault("correlationId", str(uuid.uuid4()))
            return Reply(injection.status, body, dict(injection.headers))
        return None

    def _authenticate(self, call: Call) -> None:
        scheme, _, token = call.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise Reply(401, self._error("INVALID_AUTHENTICATION", "Authentication credentials not found."))
        if token in self.private_tokens:
            return
        expires = self.access_tokens.get(token)
        if expires is None:
            raise Reply(401, self._error("INVALID_AUTHENTICATION", "The access token is not valid."))
        if self.clock() >= expires:
            ago = int(self.clock() - expires)
            raise Reply(
                401, self._error("EXPIRED_AUTHENTICATION", f"The OAuth token expired {ago} second(s) ago.")
            )

    def _check_scopes(self, call: Call) -> None:
        if self.granted_scopes is None:
            return
        for method, prefix, scope in SCOPES:
            if method in ("", call.method) and call.path.startswith(prefix):
                if scope not in self.granted_scopes:
                    body = self._error(
                        "MISSING_SCOPES",
                        "This app hasn't been granted all required scopes to make this call.",
                        errors=[
                            {
                                "message": "One or more of the following scopes are required.",
                                "context": {"requiredScopes": [scope]},
                            }
                        ],
                        context={"missingScopes": [scope]},
                    )
                    raise Reply(403, body)
                return

    def _route(self, call: Call) -> tuple[Callable[..., Any], tuple[str, ...]]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return handler, match.groups()
        raise Reply(404, self._error("OBJECT_NOT_FOUND", f"No route for {call.method} {call.path}"))

    # -------------------------------------------------------------- helpers
    def _error(self, category: str, message: str, **extra: Any) -> Json:
        return {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **extra,
        }

    def _invalid(self, field_name: str, message: str) -> Reply:
        return Reply(
            400,
            self._error("VALIDATION_ERROR", message, errors=[{"message": message, "in": field_name}]),
        )

    def _not_found(self, what: str) -> Reply:
        return Reply(404, self._error("OBJECT_NOT_FOUND", f"{what} does not exist"))

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _stamp(self, at: float | None = None) -> str:
        moment = datetime.fromtimestamp(self.clock() if at is None else at, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def _tick(self) -> None:
        """What HubSpot does on its own as time passes: a scheduled email whose time
        came is sent, a scheduled post goes live."""
        now = self.clock()
        for email in self.emails.values():
            if email.get("state") == "SCHEDULED" and _epoch(email.get("publishDate")) <= now:
                email["state"] = "PUBLISHED"
                email["publishedAt"] = email["publishDate"]
                self.sends.append((email["id"], now))
        for post in self.posts.values():
            if post.get("state") == "SCHEDULED" and _epoch(post.get("publishDate")) <= now:
                post["state"] = "PUBLISHED"

    def _body(self, call: Call) -> Json:
        if not isinstance(call.json, dict):
            raise self._invalid("body", "a JSON object body is required")
        return call.json

    def _associate(self, campaign: str | None, asset_type: str, asset_id: str) -> None:
        if campaign:
            ids = self.campaign_assets.setdefault(campaign, {}).setdefault(asset_type, [])
            if asset_id not in ids:
                ids.append(asset_id)

    # ------------------------------------------------------------- handlers
    def _token(self, call: Call) -> tuple[int, Json]:
        form = call.form
        if form.get("grant_type") != "refresh_token":
            raise Reply(400, {"status": "BAD_GRANT_TYPE", "message": "unsupported grant_type"})
        if self.oauth_clients.get(form.get("client_id", "")) != form.get("client_secret"):
            raise Reply(400, {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"})
        if form.get("refresh_token") not in self.refresh_tokens:
            raise Reply(400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"})
        token = f"oat-{uuid.uuid4().hex}"
        self.access_tokens[token] = self.clock() + self.token_lifetime
        return 200, {
            "access_token": token,
            "refresh_token": form["refresh_token"],
            "expires_in": int(self.token_lifetime),
            "token_type": "bearer",
        }

    def _campaign_view(self, campaign: Json, call: Call) -> Json:
        """``properties`` is an exploded array: each value is one property name (a
        comma-joined value names one property that does not exist, as on HubSpot)."""
        wanted = [value for key, value in call.query_items if key == "properties"] or ["hs_name"]
        return {**campaign, "properties": {k: v for k, v in campaign["properties"].items() if k in wanted}}

    def _list_campaigns(self, call: Call) -> tuple[int, Json]:
        name = call.query.get("name", "").lower()
        found = [c for c in self.campaigns.values() if name in c["properties"]["hs_name"].lower()]
        start = int(call.query.get("after", 0))
        limit = int(call.query.get("limit", 50))
        page = found[start : start + limit]
        body: Json = {"results": [self._campaign_view(c, call) for c in page]}
        if start + limit < len(found):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return 200, body

    def _create_campaign(self, call: Call) -> tuple[int, Json]:
        properties = self._body(call).get("properties")
        if not isinstance(properties, dict) or not properties.get("hs_name"):
            raise self._invalid("properties.hs_name", "hs_name is required")
        guid = str(uuid.uuid4())
        stamp = self._stamp()
        self.campaigns[guid] = {
            "id": guid,
            "properties": dict(properties),
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        return 201, self.campaigns[guid]

    def _campaign(self, guid: str) -> Json:
        if guid not in self.campaigns:
            raise self._not_found(f"campaign {guid}")
        return self.campaigns[guid]

    def _get_campaign(self, call: Call, guid: str) -> tuple[int, Json]:
        return 200, self._campaign_view(self._campaign(guid), call)

    def _update_campaign(self, call: Call, guid: str) -> tuple[int, Json]:
        """A partial update; an empty string clears a property."""
        campaign = self._campaign(guid)
        properties = self._body(call).get("properties")
        if not isinstance(properties, dict):
            raise self._invalid("properties", "properties (an object) is required")
        for key, value in properties.items():
            if value == "":
                campaign["properties"].pop(key, None)
            else:
                campaign["properties"][key] = value
        campaign["updatedAt"] = self._stamp()
        return 200, campaign

    def _budget_item(self, call: Call) -> Json:
        item = self._body(call)
        if not isinstance(item.get("amount"), int | float) or not item.get("name"):
            raise self._invalid("amount", "amount (a number) and name are required")
        return item

    def _add_budget(self, call: Call, guid: str) -> tuple[int, Json]:
        self._campaign(guid)
        stored = {"id": self._next_id(), **self._budget_item(call)}
        self.budget.setdefault(guid, []).append(stored)
        return 201, stored

    def _budget_index(self, guid: str, budget_id: str) -> int:
        self._campaign(guid)
        for index, item in enumerate(self.budget.get(guid, [])):
            if item["id"] == budget_id:
                return index
        raise self._not_found(f"budget item {budget_id}")

    def _update_budget(self, call: Call, guid: str, budget_id: str) -> tuple[int, Json]:
        index = self._budget_index(guid, budget_id)
        self.budget[guid][index] = {"id": budget_id, **self._budget_item(call)}
        return 200, self.budget[guid][index]

    def _delete_budget(self, call: Call, guid: str, budget_id: str) -> tuple[int, None]:
        del self.budget[guid][self._budget_index(guid, budget_id)]
        return 204, None

    def _budget_totals(self, call: Call, guid: str) -> tuple[int, Json]:
        self._campaign(guid)
        items = self.budget.get(guid, [])
        return 200, {"budgetItems": items, "budgetTotal": sum(i["amount"] for i in items)}

    def _list_assets(self, call: Call, guid: str, asset_type: str) -> tuple[int, Json]:
        self._campaign(guid)
        ids = self.campaign_assets.get(guid, {}).get(asset_type, [])
        names = {"BLOG_POST": self.posts, "MARKETING_EMAIL": self.emails, "OBJECT_LIST": self.lists}
        store = names.get(asset_type, {})
        results = [{"id": i, "name": store.get(i, {}).get("name")} for i in ids]
        return 200, {"results": results}

    def _attach(self, call: Call, guid: str, asset_type: str, asset_id: str) -> tuple[int, None]:
        self._campaign(guid)
        if asset_type not in ASSET_TYPES:
            raise self._invalid("assetType", f"unknown asset type {asset_type}")
        store = {"BLOG_POST": self.posts, "MARKETING_EMAIL": self.emails, "OBJECT_LIST": self.lists}.get(
            asset_type
        )
        if store is not None and asset_id not in store:
            raise self._not_found(f"{asset_type} {asset_id}")
        self._associate(guid, asset_type, asset_id)
        return 204, None

    def _blog_settings(self, call: Call, blog_id: str) -> tuple[int, Json]:
        if blog_id not in self.blogs:
            raise self._not_found(f"blog {blog_id}")
        path = self.blog_paths.get(blog_id, "blog")
        return 200, {"id": blog_id, "slug": path, "absoluteUrl": f"https://blog.example.com/{path}"}

    def _list_tags(self, call: Call) -> tuple[int, Json]:
        """Filters as HubSpot documents them for tags (``name`` / ``name__eq``, ...)."""
        results = [t for t in self.tags.values() if _matches(t, call.query)]
        return 200, _page(results, call.query, default_limit=20)

    def _create_tag(self, call: Call) -> tuple[int, Json]:
        name = self._body(call).get("name")
        if not name:
            raise self._invalid("name", "name is required")
        tag = {"id": self._next_id(), "name": name, "created": self._stamp()}
        self.tags[tag["id"]] = tag
        return 201, tag

    def _list_posts(self, call: Call) -> tuple[int, Json]:
        """Filters as HubSpot's CMS API takes them: ``prop=value`` / ``prop__eq=value``
        (equal), ``prop__contains`` / ``prop__icontains``, ``prop__in`` (comma-separated);
        paged with ``limit`` and ``after``."""
        results = [p for p in self.posts.values() if _matches(p, call.query)]
        return 200, _page(results, call.query, default_limit=20)

    def _check_post_fields(self, body: Json) -> None:
        for tag in body.get("tagIds") or []:
            if not isinstance(tag, int) or isinstance(tag, bool):
                raise self._invalid("tagIds", f"tagIds are int64; got {tag!r}")
            if str(tag) not in self.tags:
                raise self._invalid("tagIds", f"tag {tag} does not exist")
        if body.get("campaign"):
            self._campaign(str(body["campaign"]))

    def _create_post(self, call: Call) -> tuple[int, Json]:
        body = self._body(call)
        if not body.get("name"):
            raise self._invalid("name", "name is required")
        if str(body.get("contentGroupId")) not in self.blogs:
            raise self._invalid("contentGroupId", f"blog {body.get('contentGroupId')} does not exist")
        self._check_post_fields(body)
        post = {**body, "id": self._next_id(), "state": "DRAFT", "created": self._stamp()}
        if self.slug_with_blog_path and post.get("slug"):
            path = self.blog_paths.get(str(body["contentGroupId"]), "blog")
            post["slug"] = f"{path}/{post['slug']}" if path else post["slug"]
        post["url"] = f"https://blog.example.com/{post.get('slug') or post['id']}"
        self.posts[post["id"]] = post
        self._associate(body.get("campaign"), "BLOG_POST", post["id"])
        return 201, post

    def _post(self, post_id: str) -> Json:
        if post_id not in self.posts:
            raise self._not_found(f"blog post {post_id}")
        return self.posts[post_id]

    def _get_post(self, call: Call, post_id: str) -> tuple[int, Json]:
        return 200, self._post(post_id)

    def _update_post(self, call: Call, post_id: str) -> tuple[int, Json]:
        """``PATCH …/posts/{id}``: a sparse update of the post itself."""
        post = self._post(post_id)
        body = self._body(call)
        self._check_post_fields(body)
        post.update(body)
        return 200, post

    def _get_post_draft(self, call: Call, post_id: str) -> tuple[int, Json]:
        return 200, {**self._post(post_id), **self.post_drafts.get(post_id, {})}

    def _update_post_draft(self, call: Call, post_id: str) -> tuple[int, Json]:
        """``PATCH …/posts/{id}/draft``: the edit waits in the draft until push-live or
        a schedule; the live post is unchanged until then."""
        post = self._post(post_id)
        body = self._body(call)
        self._check_post_fields(body)
        self.post_drafts.setdefault(post_id, {}).update(body)
        return 200, {**post, **self.post_drafts[post_id]}

    def _push_live(self, call: Call, post_id: str) -> tuple[int, None]:
        post = self._post(post_id)
        post.update(self.post_drafts.pop(post_id, {}))
        post["state"] = "PUBLISHED"
        post["publishDate"] = self._stamp()
        return 204, None

    def _schedule_post(self, call: Call) -> tuple[int, None]:
        body = self._body(call)
        post = self._post(str(body.get("id")))
        when = _epoch(body.get("publishDate"), invalid=None)
        if when is None:
            raise self._invalid("publishDate", "publishDate must be ISO 8601")
        if when <= self.clock():
            raise self._invalid("publishDate", "publishDate must be in the future")
        post.update(self.post_drafts.pop(post["id"], {}))
        post["state"] = "SCHEDULED"
        post["publishDate"] = body["publishDate"]
        return 204, None

    def _check_email_fields(self, body: Json) -> None:
        to = body.get("to") or {}
        if (to.get("contactLists") or {}).get("include"):
            raise self._invalid("to.contactLists", "contactLists is no longer supported; use contactIlsLists")
        for list_id in (to.get("contactIlsLists") or {}).get("include") or []:
            if str(list_id) not in self.lists:
                raise self._invalid("to.contactIlsLists.include", f"list {list_id} does not exist")
        if body.get("campaign"):
            self._campaign(str(body["campaign"]))

    def _create_email(self, call: Call) -> tuple[int, Json]:
        body = self._body(call)
        if not body.get("name"):
            raise self._invalid("name", "name is required")
        self._check_email_fields(body)
        email = {**body, "id": self._next_id(), "state": "DRAFT", "createdAt": self._stamp()}
        self.emails[email["id"]] = email
        self._associate(body.get("campaign"), "MARKETING_EMAIL", email["id"])
        return 201, email

    def _update_email(self, call: Call, email_id: str) -> tuple[int, Json]:
        """``PATCH …/emails/{id}``: only an email that is neither scheduled nor sent."""
        email = self._email(email_id)
        if email["state"] != "DRAFT":
            raise self._invalid("state", f"a {email['state']} email cannot be edited; unpublish it first")
        body = self._body(call)
        self._check_email_fields(body)
        email.update(body)
        email["updatedAt"] = self._stamp()
        self._associate(body.get("campaign"), "MARKETING_EMAIL", email_id)
        return 200, email

    def _list_emails(self, call: Call) -> tuple[int, Json]:
        """All marketing emails (HubSpot has no name filter here), paged with ``limit`` and
        ``after``; ``sort=-createdAt`` lists the newest first; ``createdAfter`` (ISO 8601)
        only those created at or after it (an email without ``createdAt`` is listed)."""
        results = list(self.emails.values())
        if call.query.get("createdAfter"):
            since = _epoch(call.query["createdAfter"])
            results = [e for e in results if _epoch(e.get("createdAt")) >= since]
        if call.query.get("sort") == "-createdAt":
            results.reverse()
        return 200, _page(results, call.query, default_limit=10)

    def _email(self, email_id: str) -> Json:
        if email_id not in self.emails:
            raise self._not_found(f"marketing email {email_id}")
        return self.emails[email_id]

    def _get_email(self, call: Call, email_id: str) -> tuple[int, Json]:
        return 200, self._email(email_id)

    def _tier_refused(self) -> Reply:
        return Reply(
            403,
            {
                "status": "error",
                "message": "Publishing marketing emails through the API requires Marketing Hub "
                "Enterprise or the transactional email add-on.",
                "correlationId": str(uuid.uuid4()),
                "category": "FORBIDDEN",
            },
        )

    def _publish_email(self, call: Call, email_id: str) -> tuple[int, None]:
        """Sends now, or schedules for a future ``publishDate``; an email already
        scheduled or sent is refused (it would go out twice)."""
        email = self._email(email_id)
        if not self.email_publish_allowed:
            raise self._tier_refused()
        if email["state"] != "DRAFT":
            raise self._invalid("state", f"the email is {email['state']} already")
        if _epoch(email.get("publishDate"), invalid=0.0) > self.clock():
            email["state"] = "SCHEDULED"
            return 204, None
        email["state"] = "PUBLISHED"
        email["publishDate"] = email["publishedAt"] = self._stamp()
        self.sends.append((email_id, self.clock()))
        return 204, None

    def _unpublish_email(self, call: Call, email_id: str) -> tuple[int, None]:
        """Cancels a scheduled email (back to a draft); a sent one cannot be."""
        email = self._email(email_id)
        if not self.email_publish_allowed:
            raise self._tier_refused()
        if email["state"] == "PUBLISHED":
            raise self._invalid("state", "the email was sent; it cannot be cancelled")
        email["state"] = "DRAFT"
        return 204, None

    def _list_by_name(self, call: Call, object_type: str, name: str) -> tuple[int, Json]:
        for item in self.lists.values():
            if item["name"] == name and item["objectTypeId"] == object_type:
                return 200, {"list": item}
        raise self._not_found(f"List with name {name}")

    def _lists_by_id(self, call: Call) -> tuple[int, Json]:
        wanted = [value for key, value in call.query_items if key == "listIds"]
        return 200, {"lists": [self.lists[i] for i in wanted if i in self.lists]}

    def _create_list(self, call: Call) -> tuple[int, Json]:
        body = self._body(call)
        if not body.get("name") or body.get("processingType") not in {"MANUAL", "DYNAMIC", "SNAPSHOT"}:
            raise self._invalid("processingType", "name and a valid processingType are required")
        if any(item["name"] == body["name"] for item in self.lists.values()):
            raise Reply(400, self._error("VALIDATION_ERROR", f"a list named {body['name']} exists already"))
        item = {
            "listId": self._next_id(),
            "name": body["name"],
            "objectTypeId": body.get("objectTypeId"),
            "processingType": body["processingType"],
        }
        self.lists[item["listId"]] = item
        return 200, {"list": item}

    def _public_file(self, stored: Json) -> Json:
        return {k: v for k, v in stored.items() if k not in {"upload", "form"}}

    def _search_files(self, call: Call) -> tuple[int, Json]:
        """``fileMd5``, ``name`` and ``path`` filters (exact), paged with ``limit``."""
        results = [
            self._public_file(f)
            for f in self.files.values()
            if all(
                str(f.get(key)) == call.query[param]
                for param, key in (("fileMd5", "fileMd5"), ("name", "name"), ("path", "path"))
                if param in call.query
            )
        ]
        return 200, _page(results, call.query, default_limit=10)

    def _upload(self, call: Call) -> tuple[int, Json]:
        upload = call.files.get("file")
        if upload is None:
            raise self._invalid("file", "file is required")
        try:
            options = json.loads(call.form.get("options", ""))
        except ValueError:
            raise self._invalid("options", "options must be a JSON string") from None
        if options.get("access") not in {"PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "PRIVATE"}:
            raise self._invalid("options.access", "access is required")
        if not call.form.get("folderPath") and not call.form.get("folderId"):
            raise self._invalid("folderPath", "folderPath or folderId is required")
        name = call.form.get("fileName") or upload["filename"]
        if options.get("duplicateValidationStrategy") == "RETURN_EXISTING":
            for existing in self.files.values():
                same_folder = existing["form"].get("folderPath") == call.form.get("folderPath")
                if same_folder and existing["name"] == name and existing["upload"]["data"] == upload["data"]:
                    return 200, self._public_file(existing)
        file_id = self._next_id()
        folder = call.form.get("folderPath", "").rstrip("/")
        url = f"https://files.example.com/hubfs{folder}/{name}"
        stored = {
            "id": file_id,
            "name": name,
            "path": f"{folder}/{name}",
            "url": url,
            "defaultHostingUrl": url,
            "size": len(upload["data"]),
            "fileMd5": hashlib.md5(upload["data"], usedforsecurity=False).hexdigest(),
            "type": "IMG" if upload["content_type"].startswith("image/") else "OTHER",
            "access": options["access"],
        }
        self.files[file_id] = {**stored, "upload": upload, "form": dict(call.form)}
        return 201, stored


_FILTERABLE = ("name", "slug", "contentGroupId", "state")
_OPERATORS = ("", "eq", "contains", "icontains", "in")


def _matches(item: Json, query: dict[str, str]) -> bool:
    """HubSpot's CMS filters ``property__operator=value`` on the filterable properties."""
    for key, wanted in query.items():
        prop, _, operator = key.partition("__")
        if prop not in _FILTERABLE:
            continue
        if operator not in _OPERATORS:
            raise Reply(
                400, {"status": "error", "category": "VALIDATION_ERROR", "message": f"bad filter {key}"}
            )
        value = str(item.get(prop) or "")
        if operator in ("", "eq") and value != wanted:
            return False
        if operator == "contains" and wanted not in value:
            return False
        if operator == "icontains" and wanted.casefold() not in value.casefold():
            return False
        if operator == "in" and value not in wanted.split(","):
            return False
    return True


def _epoch(value: Any, *, invalid: float | None = float("inf")) -> Any:
    """An ISO 8601 timestamp as epoch seconds (``invalid`` when it is not one)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return invalid


def _page(results: list[Json], query: dict[str, str], *, default_limit: int) -> Json:
    start = int(query.get("after") or 0)
    limit = min(int(query.get("limit") or default_limit), 100)
    body: Json = {"total": len(results), "results": results[start : start + limit]}
    if start + limit < len(results):
        body["paging"] = {"next": {"after": str(start + limit)}}
    return body

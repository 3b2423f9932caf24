"""A fake Marketo Engage instance as a WSGI app, written from the vendor fact sheet.

It enforces what the real API enforces and the adapter must get right:

* identity: ``/identity/oauth/token`` with client credentials (form body or query), 401
  on bad ones, and the *same* token with its remaining life when asked before expiry;
* ``Authorization: Bearer`` only (an ``access_token`` query parameter is refused), 601 /
  602 for unknown / expired tokens, expiry driven by the injected clock;
* the envelope (HTTP 200 + ``success``/``errors``/``result``/``warnings``, string codes);
* form bodies as ``application/x-www-form-urlencoded`` with JSON-encoded ``folder``,
  ``costs``, ``tags``; multipart bodies with real file names and Content-Types;
* the rate window (``window_calls`` per ``window_seconds``, 606 beyond it), concurrent
  calls (615), the daily quota (607);
* business rules: 709 (approve without a draft, duplicate names), 710 (unknown folder),
  711 (wrong folder type), empty searches as success + warning;
* drafts: an email or landing page keeps its approved version (what recipients and
  visitors get) apart from its draft; writing content or header fields makes a draft,
  ``approveDraft`` makes it the approved version. ``GET .../content.json`` answers the
  approved version of an approved asset unless ``status=draft`` is asked, in Adobe's
  shape (an email section's ``value`` is ``[{"type": "HTML"}, {"type": "Text"}]``);
* sender: ``emails.json`` requires ``fromName``, ``fromEmail`` and ``replyEmail`` (Adobe's
  spec marks them required);
* paging: listings and landing-page searches honour ``maxReturn`` / ``offset``;
  ``channel_types="display"`` answers ``applicableProgramType`` as display names
  (``"Default"``, ``"Event"``) instead of Adobe's example form (``"program"``).

Knobs: :meth:`fail` injects error codes (or ``"500-html"`` for a non-JSON 5xx), before
the request is applied or, with ``after=True``, after it (the answer to a committed
create is an error); :meth:`before` runs an action just before a matching request (a
concurrent creator); :meth:`revoke_tokens` invalidates issued tokens server-side,
``delay`` slows REST calls.
Every request is recorded in :attr:`calls` for assertions.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from marketing_platform.testing.clock import FakeClock  # noqa: F401 (re-exported for the tests)

PROGRAM_TYPES = ("Default", "Event", "Event with Webinar", "Engagement", "Email")
APPLICABLE = {
    "Default": "program",
    "Event": "event",
    "Event with Webinar": "event",
    "Engagement": "nurture",
    "Email": "email",
}
#: ``applicableProgramType`` as display names (``channel_types="display"``).
DISPLAY = {"program": "Default", "event": "Event", "nurture": "Engagement", "email": "Email"}
#: Program types that keep a startDate / endDate.
DATED = ("Event", "Event with Webinar", "Email")
NO_ASSETS = "No assets found for the given search criteria."
#: The HTML of the email template :func:`fake_with_templates` installs.
TEMPLATE_HTML = (
    '<html><body><div class="mktEditable" id="main">Hello</div>'
    '<div class="mktEditable" id="footer">Footer</div></body></html>'
)


@dataclass
class FilePart:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, str]
    files: dict[str, FilePart]
    headers: dict[str, str]
    content_type: str
    at: float
    code: str | None = None  # the error code answered, None for success

    @property
    def rest(self) -> bool:
        return self.path.startswith("/rest/")


class MarketoError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Injected:
    code: str
    times: int
    path: str | None
    after: bool = False


@dataclass
class FakeMarketo:
    clock: Callable[[], float] = time.time
    client_id: str = "test-client-id"
    client_secret: str = "s3cret-value-never-shown"
    token_ttl: float = 3600.0
    window_calls: int = 100
    window_seconds: float = 20.0
    max_concurrent: int = 10
    daily_quota: int = 50_000
    delay: float = 0.0
    #: byName searches also answer records whose name merely contains the one asked for
    #: (case-insensitively), near matches first: the adapter must pick the exact one.
    loose_names: bool = False
    #: ``"api"`` (``applicableProgramType: "program"``) or ``"display"`` (``"Default"``).
    channel_types: str = "api"
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._request_ids = itertools.count(1)
        self._injected: list[_Injected] = []
        self._before: list[tuple[str, str, Callable[[], Any]]] = []
        self._tokens: dict[str, float] = {}  # token -> expires_at
        self._client_token: str | None = None
        self._accepted: list[float] = []  # times of accepted counted calls
        self.rejected_606 = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.folders: dict[int, dict[str, Any]] = {}
        self.programs: dict[int, dict[str, Any]] = {}
        self.tokens: dict[int, dict[str, dict[str, Any]]] = {}
        self.channels: list[dict[str, Any]] = []
        self.email_templates: dict[int, dict[str, Any]] = {}
        self.emails: dict[int, dict[str, Any]] = {}
        self.lp_templates: dict[int, dict[str, Any]] = {}
        self.landing_pages: dict[int, dict[str, Any]] = {}
        self.files: dict[int, dict[str, Any]] = {}
        for name in ("Marketing Activities",):
            self.add_folder(name, "marketing")
        for name in ("Images and Files", "Emails", "Landing Pages"):
            self.add_folder(name, "design")
        for name, applies in (
            ("Email Send", "email"),
            ("Email Blast", "email"),
            ("Content Syndication", "program"),
            ("Online Advertising", "program"),
            ("Webinar", "event"),
            ("Tradeshow", "event"),
            ("Nurture", "nurture"),
        ):
            self.add_channel(name, applies)

    # ------------------------------------------------------------------ setup
    def add_folder(self, name: str, kind: str = "marketing") -> int:
        folder_id = next(self._ids)
        self.folders[folder_id] = {
            "id": folder_id,
            "name": name,
            "kind": kind,
            "folderType": "Marketing Folder" if kind == "marketing" else "Folder",
        }
        return folder_id

    def add_email_template(self, name: str, html: str, status: str = "approved") -> int:
        template_id = next(self._ids)
        self.email_templates[template_id] = {
            "id": template_id,
            "name": name,
            "html": html,
            "status": status,
            "folder": self._folder_value(self.folder_id("Emails")),
        }
        return template_id

    def add_lp_template(
        self, name: str, sections: Iterable[tuple[str, str]] = (("body", "RichText"),)
    ) -> int:
        template_id = next(self._ids)
        self.lp_templates[template_id] = {
            "id": template_id,
            "name": name,
            "status": "approved",
            "sections": list(sections),
        }
        return template_id

    def add_channel(self, name: str, applies: str) -> int:
        """A channel for programs of API type ``applies`` (``program``, ``event`` ...)."""
        channel_id = next(self._ids)
        shown = DISPLAY.get(applies, applies) if self.channel_types == "display" else applies
        self.channels.append(
            {"id": channel_id, "name": name, "applicableProgramType": shown, "progressionStatuses": []}
        )
        return channel_id

    def folder_id(self, name: str) -> int:
        return next(f["id"] for f in self.folders.values() if f["name"] == name)

    def fail(self, code: str, times: int = 1, path: str | None = None, *, after: bool = False) -> None:
        """Answer the next ``times`` REST calls (to paths containing ``path``) with ``code``
        (a Marketo code, ``"500-html"`` for a non-JSON 500, or ``"http-413"``). With
        ``after`` the request is applied first and its answer replaced by the error."""
        self._injected.append(_Injected(code, times, path, after))

    def before(self, method: str, path: str, action: Callable[[], Any]) -> None:
        """Run ``action`` once, just before the next ``method`` call to a path containing
        ``path`` is handled (e.g. another integration creating the same program)."""
        self._before.append((method, path, action))

    def revoke_tokens(self, code: str = "602") -> None:
        """Make every issued token invalid (``601``) or expired (``602``) server-side."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = -1.0 if code == "602" else -2.0
            self._client_token = None

    # ------------------------------------------------------------------ queries
    def rest_calls(self) -> list[Call]:
        return [c for c in self.calls if c.rest]

    def identity_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/identity/")]

    def max_calls_in_any_window(self) -> int:
        times = sorted(self._accepted)
        best = 0
        for i, start in enumerate(times):
            j = i
            while j < len(times) and times[j] < start + self.window_seconds:
                j += 1
            best = max(best, j - i)
        return best

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        content_type = environ.get("CONTENT_TYPE", "")
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        form, files = _parse_body(content_type, body)
        call = Call(method, path, query, form, files, headers, content_type, self.clock())
        with self._lock:
            self.calls.append(call)
        if path.startswith("/identity/"):
            status, payload = self._identity(call)
            return _respond(start_response, status, payload)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            with self._lock:
                for hook in list(self._before):
                    if hook[0] == method and hook[1] in path:
                        self._before.remove(hook)
                        hook[2]()
                        break
                injected, after = self._take_injected(path)
                if injected == "500-html":
                    call.code = "500"
                    return _respond(
                        start_response, "500 Internal Server Error", b"<html>oops</html>", "text/html"
                    )
                if injected and injected.startswith("http-"):
                    status = injected[5:]
                    call.code = status
                    return _respond(start_response, f"{status} Error", b"<html>error</html>", "text/html")
                try:
                    self._admit(call, None if after else injected)
                    result, warnings = self._route(call)
                    if after and injected:
                        raise MarketoError(injected, f"injected error {injected} (request applied)")
                except MarketoError as exc:
                    call.code = exc.code
                    return _respond(start_response, "200 OK", self._envelope(errors=[exc]))
                return _respond(start_response, "200 OK", self._envelope(result=result, warnings=warnings))
        finally:
            with self._lock:
                self.in_flight -= 1

    def _take_injected(self, path: str) -> tuple[str | None, bool]:
        for item in self._injected:
            if item.times > 0 and (item.path is None or item.path in path):
                item.times -= 1
                return item.code, item.after
        return None, False

    def _envelope(
        self,
        *,
        result: list[dict[str, Any]] | None = None,
        warnings: list[str] | None = None,
        errors: list[MarketoError] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"requestId": f"{next(self._request_ids):x}#fake", "success": not errors}
        if errors:
            body["errors"] = [{"code": e.code, "message": e.message} for e in errors]
        elif result:
            body["result"] = result
        if warnings:
            body["warnings"] = warnings
        return body

    # ------------------------------------------------------------------ identity
    def _identity(self, call: Call) -> tuple[str, dict[str, Any]]:
        fields = {**{k: v[0] for k, v in call.query.items()}, **call.form}
        if fields.get("grant_type") != "client_credentials":
            return "400 Bad Request", {"error": "invalid_request", "error_description": "grant_type missing"}
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return "401 Unauthorized", {
                "error": "invalid_client",
                "error_description": "Bad client credentials",
            }
        now = self.clock()
        with self._lock:
            token = self._client_token
            if token is None or self._tokens.get(token, 0) <= now:
                token = f"tok-{next(self._ids)}:ab"
                self._tokens[token] = now + self.token_ttl
                self._client_token = token
            remaining = int(self._tokens[token] - now)
        return "200 OK", {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": remaining,
            "scope": "api@example.com",
        }

    def _admit(self, call: Call, injected: str | None) -> None:
        if "access_token" in call.query:
            raise MarketoError(
                "601", "Access token invalid (the access_token query parameter is not supported)"
            )
        auth = call.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not token or token not in self._tokens:
            raise MarketoError("601", "Access token invalid")
        expires = self._tokens[token]
        if expires == -2.0:
            raise MarketoError("601", "Access token invalid")
        if expires <= self.clock():
            raise MarketoError("602", "Access token expired")
        if len([c for c in self.calls if c.rest and c.code is None]) > self.daily_quota:
            raise MarketoError("607", "Daily quota reached")
        now = self.clock()
        recent = [t for t in self._accepted if t > now - self.window_seconds]
        if len(recent) >= self.window_calls:
            self.rejected_606 += 1
            raise MarketoError("606", "Max rate limit '100' exceeded with in '20' secs")
        if self.in_flight > self.max_concurrent:
            raise MarketoError("615", "Concurrent access limit reached")
        self._accepted.append(now)
        if injected:
            raise MarketoError(injected, f"injected error {injected}")
        form_types = ("multipart/form-data", "application/x-www-form-urlencoded")
        if (
            call.method == "POST"
            and (call.form or call.files)
            and not call.content_type.startswith(form_types)
        ):
            raise MarketoError("612", "Invalid Content Type")

    # ------------------------------------------------------------------ routing
    def _route(self, call: Call) -> tuple[list[dict[str, Any]], list[str]]:
        path = call.path.removeprefix("/rest/asset/v1")
        for method, pattern, handler in _ROUTES:
            match = re.fullmatch(pattern, path)
            if method == call.method and match:
                out = handler(self, call, *match.groups())
                if not out:
                    return [], [NO_ASSETS]
                return out, []
        raise MarketoError("610", "Requested resource not found")

    # helpers
    def _q(self, call: Call, name: str, required: bool = False) -> str | None:
        value = call.query.get(name, [None])[0]
        if required and not value:
            raise MarketoError("701", f"'{name}' cannot be blank")
        return value

    def _f(self, call: Call, name: str, required: bool = False) -> str | None:
        value = call.form.get(name)
        if required and not value:
            raise MarketoError("701", f"'{name}' cannot be blank")
        return value

    def _json_field(self, raw: str | None, name: str) -> Any:
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise MarketoError("609", f"Invalid JSON in '{name}'") from None

    def _folder_arg(self, raw: str | None, *, design: bool | None = None) -> tuple[int, str]:
        folder = self._json_field(raw, "folder")
        if (
            not isinstance(folder, dict)
            or not isinstance(folder.get("id"), int)
            or folder.get("type") not in ("Folder", "Program")
        ):
            raise MarketoError("701", 'folder must be {"id": int, "type": "Folder"|"Program"}')
        folder_id, kind = folder["id"], folder["type"]
        if kind == "Program":
            if folder_id not in self.programs:
                raise MarketoError("710", "Parent folder not found")
            return folder_id, kind
        if folder_id not in self.folders:
            raise MarketoError("710", "Parent folder not found")
        if design is not None and (self.folders[folder_id]["kind"] == "design") != design:
            raise MarketoError("711", "Incompatible folder type")
        return folder_id, kind

    def _folder_value(self, folder_id: int, kind: str = "Folder") -> dict[str, Any]:
        name = self.programs[folder_id]["name"] if kind == "Program" else self.folders[folder_id]["name"]
        return {"type": kind, "value": folder_id, "folderName": name}

    def _named(self, records: Iterable[dict[str, Any]], name: str | None) -> list[dict[str, Any]]:
        """The records called ``name`` (with :attr:`loose_names`, near matches first)."""
        exact = [r for r in records if r["name"] == name]
        if not self.loose_names or not name:
            return exact
        near = [r for r in records if name.lower() in r["name"].lower() and r["name"] != name]
        return near + exact

    # folders, channels
    def folder_by_name(self, call: Call) -> list[dict[str, Any]]:
        name = self._q(call, "name", True)
        return [
            {"id": f["id"], "name": f["name"], "folderType": f["folderType"], "isSystem": False}
            for f in self._named(self.folders.values(), name)
        ]

    def list_channels(self, call: Call) -> list[dict[str, Any]]:
        return self._page(call, self.channels)

    def _page(self, call: Call, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``records`` cut by ``offset`` / ``maxReturn`` (default 20, at most 200)."""
        offset = int(self._q(call, "offset") or 0)
        limit = int(self._q(call, "maxReturn") or 20)
        if not 1 <= limit <= 200:
            raise MarketoError("701", "maxReturn must be between 1 and 200")
        return records[offset : offset + limit]

    # programs
    def program_by_name(self, call: Call) -> list[dict[str, Any]]:
        name = self._q(call, "name", True)
        return self._named(self.programs.values(), name)

    def get_program(self, call: Call, program_id: str) -> list[dict[str, Any]]:
        program = self.programs.get(int(program_id))
        return [program] if program else []

    def create_program(self, call: Call) -> list[dict[str, Any]]:
        name = self._f(call, "name", True)
        folder_id, _ = self._folder_arg(self._f(call, "folder", True), design=False)
        program_type = self._f(call, "type", True)
        channel = self._f(call, "channel", True)
        if program_type not in PROGRAM_TYPES:
            raise MarketoError("701", f"Invalid program type {program_type}")
        if not any(
            c["name"] == channel
            and c["applicableProgramType"] in (APPLICABLE[program_type], DISPLAY[APPLICABLE[program_type]])
            for c in self.channels
        ):
            raise MarketoError("709", f"Invalid channel '{channel}' for program type {program_type}")
        if any(p["name"] == name for p in self.programs.values()):
            raise MarketoError("709", "Program name already in use")
        costs = self._json_field(self._f(call, "costs"), "costs") or []
        for cost in costs:
            if not isinstance(cost.get("cost"), int) or "startDate" not in cost:
                raise MarketoError("701", "costs need an integer cost and a startDate")
        tags = self._json_field(self._f(call, "tags"), "tags") or []
        for tag in tags:
            if set(tag) != {"tagType", "tagValue"}:
                raise MarketoError("701", "tags need tagType and tagValue")
        program_id = next(self._ids)
        self.programs[program_id] = {
            "id": program_id,
            "name": name,
            "description": self._f(call, "description") or "",
            "type": program_type,
            "channel": channel,
            "status": "unlocked",
            "folder": self._folder_value(folder_id),
            "costs": costs,
            "tags": tags,
            "startDate": None,
            "endDate": None,
            "url": f"https://app-fake.marketo.com/#PG{program_id}A1",
        }
        return [self.programs[program_id]]

    def update_program(self, call: Call, program_id: str) -> list[dict[str, Any]]:
        program = self.programs.get(int(program_id))
        if program is None:
            raise MarketoError("702", "Program not found")
        allowed = {"name", "description", "costs", "costsDestructiveUpdate", "tags", "startDate", "endDate"}
        if set(call.form) - allowed:
            raise MarketoError("701", f"unknown fields {sorted(set(call.form) - allowed)}")
        if ("startDate" in call.form or "endDate" in call.form) and program["type"] not in DATED:
            raise MarketoError("709", f"startDate/endDate do not apply to {program['type']} programs")
        for name in ("name", "description", "startDate", "endDate"):
            if name in call.form:
                program[name] = call.form[name]
        costs = self._json_field(self._f(call, "costs"), "costs")
        for cost in costs or []:
            if not isinstance(cost.get("cost"), int) or "startDate" not in cost:
                raise MarketoError("701", "costs need an integer cost and a startDate")
        if self._json_field(self._f(call, "costsDestructiveUpdate"), "costsDestructiveUpdate") is True:
            program["costs"] = list(costs or [])
        elif costs:
            program["costs"] = [*program["costs"], *costs]  # Marketo appends without the flag
        tags = self._json_field(self._f(call, "tags"), "tags")
        for tag in tags or []:
            if set(tag) != {"tagType", "tagValue"}:
                raise MarketoError("701", "tags need tagType and tagValue")
            program["tags"] = [t for t in program["tags"] if t["tagType"] != tag["tagType"]] + [tag]
        return [program]

    def list_tokens(self, call: Call, folder_id: str) -> list[dict[str, Any]]:
        program_id = int(folder_id)
        if self._q(call, "folderType") != "Program" or program_id not in self.programs:
            raise MarketoError("710", "Program not found (folderType must be Program)")
        return [
            {
                "folder": {"id": program_id, "type": "Program"},
                "tokens": list(self.tokens.get(program_id, {}).values()),
            }
        ]

    def create_token(self, call: Call, folder_id: str) -> list[dict[str, Any]]:
        program_id = int(folder_id)
        if self._f(call, "folderType") != "Program" or program_id not in self.programs:
            raise MarketoError("710", "Program not found (folderType must be Program)")
        name = self._f(call, "name", True) or ""
        if len(name) > 50:
            raise MarketoError("701", "token name longer than 50 characters")
        token_type = self._f(call, "type", True)
        if token_type not in ("text", "rich text", "date", "number", "score"):
            raise MarketoError("701", f"invalid token type {token_type}")
        self.tokens.setdefault(program_id, {})[name] = {
            "name": name,
            "type": token_type,
            "value": self._f(call, "value", True),
        }
        return [
            {
                "folder": {"id": program_id, "type": "Program"},
                "tokens": list(self.tokens[program_id].values()),
            }
        ]

    # email templates
    def _template_view(self, template: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in template.items() if k != "html"} | {
            "url": f"https://fake/tpl/{template['id']}"
        }

    def template_by_name(self, call: Call) -> list[dict[str, Any]]:
        name, status = self._q(call, "name", True), self._q(call, "status")
        return [
            self._template_view(t)
            for t in self.email_templates.values()
            if t["name"] == name and (status is None or t["status"] == status)
        ]

    def list_templates(self, call: Call) -> list[dict[str, Any]]:
        status = self._q(call, "status")
        found = [
            self._template_view(t) for t in self.email_templates.values() if status in (None, t["status"])
        ]
        return self._page(call, found)

    def create_template(self, call: Call) -> list[dict[str, Any]]:
        if not call.content_type.startswith("multipart/form-data"):
            raise MarketoError("612", "Invalid Content Type (multipart/form-data required)")
        part = call.files.get("content")
        if part is None or not part.filename:
            raise MarketoError(
                "613", "Invalid multipart request: 'content' file part with a filename required"
            )
        name = self._f(call, "name", True)
        folder_id, _ = self._folder_arg(self._f(call, "folder", True), design=True)
        if any(t["name"] == name for t in self.email_templates.values()):
            raise MarketoError("709", "Template name already in use")
        template_id = next(self._ids)
        self.email_templates[template_id] = {
            "id": template_id,
            "name": name,
            "status": "draft",
            "html": part.data.decode(),
            "folder": self._folder_value(folder_id),
            "description": self._f(call, "description"),
        }
        return [self._template_view(self.email_templates[template_id])]

    def approve_template(self, call: Call, template_id: str) -> list[dict[str, Any]]:
        template = self.email_templates.get(int(template_id))
        if template is None:
            raise MarketoError("702", "Template not found")
        if template["status"] != "draft":
            raise MarketoError("709", "Cannot approve: the asset has no draft")
        template["status"] = "approved"
        return [self._template_view(template)]

    def get_template(self, call: Call, template_id: str) -> list[dict[str, Any]]:
        template = self.email_templates.get(int(template_id))
        return [self._template_view(template)] if template else []

    # emails
    def _email_view(self, email: dict[str, Any], status: str | None = None) -> dict[str, Any]:
        """The email as Marketo answers it: its approved version when there is one (unless
        ``status="draft"``), else its draft."""
        view = {k: v for k, v in email.items() if k not in ("sections", "draft", "approved")}
        approved = email["approved"]
        if approved is not None and status != "draft":
            view.update({k: approved[k] for k in _EMAIL_HEADERS})
            view["status"] = "approved"
        else:
            view["status"] = "draft"
        return view

    def email_by_name(self, call: Call) -> list[dict[str, Any]]:
        name = self._q(call, "name", True)
        folder = self._json_field(self._q(call, "folder"), "folder")
        return [
            self._email_view(e, self._q(call, "status"))
            for e in self.emails.values()
            if e["name"] == name and (folder is None or e["folder"]["value"] == folder.get("id"))
        ]

    def create_email(self, call: Call) -> list[dict[str, Any]]:
        name = self._f(call, "name", True)
        folder_id, kind = self._folder_arg(self._f(call, "folder", True))
        template_id = int(self._f(call, "template", True) or 0)
        for required in ("fromName", "fromEmail", "replyEmail"):
            self._f(call, required, True)  # required by Adobe's spec
        template = self.email_templates.get(template_id)
        if template is None or template["status"] != "approved":
            raise MarketoError("702", "Template not found or not approved")
        if any(e["name"] == name and e["folder"]["value"] == folder_id for e in self.emails.values()):
            raise MarketoError("709", "Email name already in use")
        sections = [
            {
                "htmlId": html_id,
                "value": "",
                "contentType": "Text",
                "isLocked": False,
                "index": i,
                "parentHtmlId": None,
            }
            for i, html_id in enumerate(re.findall(r'class="mktEditable"\s+id="([^"]+)"', template["html"]))
        ]
        email_id = next(self._ids)
        self.emails[email_id] = {
            "id": email_id,
            "name": name,
            "description": self._f(call, "description"),
            "folder": self._folder_value(folder_id, kind),
            "template": template_id,
            "subject": {"type": "Text", "value": self._f(call, "subject")},
            "fromName": {"type": "Text", "value": self._f(call, "fromName")},
            "fromEmail": {"type": "Text", "value": self._f(call, "fromEmail")},
            "replyEmail": {"type": "Text", "value": self._f(call, "replyEmail")},
            "status": "draft",
            "draft": True,
            "sections": sections,
            "approved": None,
            "url": f"https://fake/email/{email_id}",
        }
        return [self._email_view(self.emails[email_id])]

    def _email(self, email_id: str) -> dict[str, Any]:
        email = self.emails.get(int(email_id))
        if email is None:
            raise MarketoError("702", "Email not found")
        return email

    def email_content(self, call: Call, email_id: str) -> list[dict[str, Any]]:
        email = self._email(email_id)
        status = self._q(call, "status")
        if status == "approved" and email["approved"] is None:
            raise MarketoError("702", "The email has no approved version")
        use_approved = email["approved"] is not None and status != "draft"
        sections = email["approved"]["sections"] if use_approved else email["sections"]
        return [
            {
                **s,
                "value": [
                    {"type": "HTML", "value": s["value"]},
                    {"type": "Text", "value": _text(s["value"])},
                ],
            }
            for s in sections
        ]

    def update_email_headers(self, call: Call, email_id: str) -> list[dict[str, Any]]:
        """``POST email/{id}/content.json``: subject, fromName, fromEmail, replyTO as
        ``{"type": "Text", "value": ...}`` JSON in the form; they go into the draft."""
        email = self._email(email_id)
        fields = {
            "subject": "subject",
            "fromName": "fromName",
            "fromEmail": "fromEmail",
            "replyTO": "replyEmail",
        }
        unknown = set(call.form) - set(fields)
        if unknown or not call.form:
            raise MarketoError("701", f"unknown or missing fields {sorted(unknown)}")
        for name, stored in fields.items():
            value = self._json_field(self._f(call, name), name)
            if value is None:
                continue
            if not isinstance(value, dict) or value.get("type") != "Text" or not value.get("value"):
                raise MarketoError("701", f"{name} must be {{'type': 'Text', 'value': ...}}")
            email[stored] = {"type": "Text", "value": value["value"]}
        email["draft"] = True
        return [{"id": int(email_id)}]

    def update_email_meta(self, call: Call, email_id: str) -> list[dict[str, Any]]:
        """``POST email/{id}.json``: name, description (applied directly, no draft)."""
        email = self._email(email_id)
        allowed = {"name", "description", "preHeader", "operational", "published", "textOnly", "webView"}
        if set(call.form) - allowed:
            raise MarketoError("701", f"unknown fields {sorted(set(call.form) - allowed)}")
        for name in ("name", "description"):
            if name in call.form:
                email[name] = call.form[name]
        return [self._email_view(email)]

    def update_email_section(self, call: Call, email_id: str, html_id: str) -> list[dict[str, Any]]:
        email = self._email(email_id)
        section = next((s for s in email["sections"] if s["htmlId"] == html_id), None)
        if section is None:
            raise MarketoError("702", f"Section {html_id} not found")
        if self._f(call, "type", True) != "Text":
            raise MarketoError("701", "type must be Text")
        section["value"] = self._f(call, "value", True)
        email["draft"] = True
        return [{"id": int(email_id)}]

    def approve_email(self, call: Call, email_id: str) -> list[dict[str, Any]]:
        email = self._email(email_id)
        if not email["draft"]:
            raise MarketoError("709", "Cannot approve: the email has no draft")
        email["draft"] = False
        email["status"] = "approved"
        email["approved"] = copy.deepcopy(
            {"sections": email["sections"], **{k: email[k] for k in _EMAIL_HEADERS}}
        )
        return [self._email_view(email)]

    def get_email(self, call: Call, email_id: str) -> list[dict[str, Any]]:
        email = self.emails.get(int(email_id))
        return [self._email_view(email, self._q(call, "status"))] if email else []

    def live_email(self, email_id: int) -> dict[str, Any]:
        """What the approved email holds: ``{"subject", "fromName", ..., "body": {htmlId: html}}``."""
        approved = self.emails[email_id]["approved"]
        assert approved is not None, "the email was never approved"
        return {
            **{k: approved[k]["value"] for k in _EMAIL_HEADERS},
            "body": {s["htmlId"]: s["value"] for s in approved["sections"]},
        }

    # landing pages
    def lp_template_by_name(self, call: Call) -> list[dict[str, Any]]:
        name = self._q(call, "name", True)
        return [
            {k: v for k, v in t.items() if k != "sections"}
            for t in self.lp_templates.values()
            if t["name"] == name
        ]

    def _lp_view(self, page: dict[str, Any], status: str | None = None) -> dict[str, Any]:
        view = {k: v for k, v in page.items() if k not in ("sections", "draft", "approved")}
        approved = page["approved"]
        if approved is not None and status != "draft":
            view.update({"title": approved["title"], "status": "approved"})
        else:
            view["status"] = "draft"
        return view

    def lp_by_name(self, call: Call) -> list[dict[str, Any]]:
        """Every landing page called ``name`` in any folder (``byName`` takes no folder),
        paged by ``offset`` / ``maxReturn``."""
        name = self._q(call, "name", True)
        status = self._q(call, "status")
        found = [self._lp_view(p, status) for p in self.landing_pages.values() if p["name"] == name]
        return self._page(call, found)

    def create_lp(self, call: Call) -> list[dict[str, Any]]:
        name = self._f(call, "name", True)
        folder_id, kind = self._folder_arg(self._f(call, "folder", True))
        template = self.lp_templates.get(int(self._f(call, "template", True) or 0))
        if template is None:
            raise MarketoError("702", "Template not found")
        if any(p["name"] == name and p["folder"]["value"] == folder_id for p in self.landing_pages.values()):
            raise MarketoError("709", "Landing page name already in use")
        page_id = next(self._ids)
        self.landing_pages[page_id] = {
            "id": page_id,
            "name": name,
            "description": self._f(call, "description"),
            "folder": self._folder_value(folder_id, kind),
            "template": template["id"],
            "title": self._f(call, "title"),
            "status": "draft",
            "draft": True,
            "approved": None,
            "URL": f"https://fake.example.com/lp/{self._f(call, 'urlPageName') or page_id}",
            "sections": [
                {"id": sid, "type": stype, "index": i, "content": {}}
                for i, (sid, stype) in enumerate(template["sections"])
            ],
        }
        return [self._lp_view(self.landing_pages[page_id])]

    def _lp(self, page_id: str) -> dict[str, Any]:
        page = self.landing_pages.get(int(page_id))
        if page is None:
            raise MarketoError("702", "Landing page not found")
        return page

    def lp_content(self, call: Call, page_id: str) -> list[dict[str, Any]]:
        page = self._lp(page_id)
        status = self._q(call, "status")
        if status == "approved" and page["approved"] is None:
            raise MarketoError("702", "The landing page has no approved version")
        use_approved = page["approved"] is not None and status != "draft"
        sections = page["approved"]["sections"] if use_approved else page["sections"]
        return [
            {
                **{k: v for k, v in s.items() if k != "content"},
                "content": {"contentType": s["content"].get("type"), "content": s["content"].get("value")}
                if s["content"]
                else {},
            }
            for s in sections
        ]

    def update_lp_meta(self, call: Call, page_id: str) -> list[dict[str, Any]]:
        """``POST landingPage/{id}.json``: title and description go into the draft."""
        page = self._lp(page_id)
        allowed = {"title", "description", "name", "keywords", "robots", "urlPageName", "metaTagsDescription"}
        if set(call.form) - allowed:
            raise MarketoError("701", f"unknown fields {sorted(set(call.form) - allowed)}")
        for name in ("title", "description", "name"):
            if name in call.form:
                page[name] = call.form[name]
        page["draft"] = True
        return [self._lp_view(page, "draft")]

    def update_lp_section(self, call: Call, page_id: str, section_id: str) -> list[dict[str, Any]]:
        page = self._lp(page_id)
        section = next((s for s in page["sections"] if str(s["id"]) == section_id), None)
        if section is None:
            raise MarketoError("702", "Section not found")
        section["content"] = {"type": self._f(call, "type", True), "value": self._f(call, "value", True)}
        page["draft"] = True
        return [{"id": section_id}]

    def approve_lp(self, call: Call, page_id: str) -> list[dict[str, Any]]:
        page = self._lp(page_id)
        if not page["draft"]:
            raise MarketoError("709", "Cannot approve: no draft")
        page["draft"], page["status"] = False, "approved"
        page["approved"] = copy.deepcopy({"sections": page["sections"], "title": page["title"]})
        return [{"id": page["id"]}]

    def get_lp(self, call: Call, page_id: str) -> list[dict[str, Any]]:
        page = self.landing_pages.get(int(page_id))
        return [self._lp_view(page, self._q(call, "status"))] if page else []

    def live_page(self, page_id: int) -> dict[str, Any]:
        """What the approved landing page shows: ``{"title", "body": {section id: html}}``."""
        approved = self.landing_pages[page_id]["approved"]
        assert approved is not None, "the landing page was never approved"
        return {
            "title": approved["title"],
            "body": {s["id"]: s["content"].get("value") for s in approved["sections"]},
        }

    # files
    def create_file(self, call: Call) -> list[dict[str, Any]]:
        if not call.content_type.startswith("multipart/form-data"):
            raise MarketoError("612", "Invalid Content Type (multipart/form-data required)")
        part = call.files.get("file")
        if part is None or not part.filename or not part.content_type:
            raise MarketoError("613", "Invalid multipart request: 'file' part with filename and Content-Type")
        name = self._f(call, "name", True)
        folder_id, _ = self._folder_arg(self._f(call, "folder", True), design=True)
        insert_only = self._json_field(self._f(call, "insertOnly"), "insertOnly") is True
        existing = next((f for f in self.files.values() if f["name"] == name), None)
        if existing is not None and insert_only:
            raise MarketoError("709", "File with the same name already exists")
        file_id = existing["id"] if existing else next(self._ids)
        self.files[file_id] = {
            "id": file_id,
            "name": name,
            "description": self._f(call, "description"),
            "folder": self._folder_value(folder_id),
            "mimeType": part.content_type,
            "size": len(part.data),
            "url": f"https://fake.example.com/rs/123-ABC-456/images/{part.filename}",
            "data": part.data,
        }
        return [{k: v for k, v in self.files[file_id].items() if k != "data"}]

    def file_by_name(self, call: Call) -> list[dict[str, Any]]:
        name = self._q(call, "name", True)
        return [{k: v for k, v in f.items() if k != "data"} for f in self.files.values() if f["name"] == name]

    def get_file(self, call: Call, file_id: str) -> list[dict[str, Any]]:
        found = self.files.get(int(file_id))
        return [{k: v for k, v in found.items() if k != "data"}] if found else []


_ROUTES: list[tuple[str, str, Callable[..., list[dict[str, Any]]]]] = [
    ("GET", r"/folder/byName\.json", FakeMarketo.folder_by_name),
    ("GET", r"/channels\.json", FakeMarketo.list_channels),
    ("GET", r"/program/byName\.json", FakeMarketo.program_by_name),
    ("GET", r"/program/(\d+)\.json", FakeMarketo.get_program),
    ("POST", r"/programs\.json", FakeMarketo.create_program),
    ("POST", r"/folder/(\d+)/tokens\.json", FakeMarketo.create_token),
    ("GET", r"/folder/(\d+)/tokens\.json", FakeMarketo.list_tokens),
    ("POST", r"/program/(\d+)\.json", FakeMarketo.update_program),
    ("GET", r"/emailTemplate/byName\.json", FakeMarketo.template_by_name),
    ("GET", r"/emailTemplates\.json", FakeMarketo.list_templates),
    ("POST", r"/emailTemplates\.json", FakeMarketo.create_template),
    ("POST", r"/emailTemplate/(\d+)/approveDraft\.json", FakeMarketo.approve_template),
    ("GET", r"/emailTemplate/(\d+)\.json", FakeMarketo.get_template),
    ("GET", r"/email/byName\.json", FakeMarketo.email_by_name),
    ("POST", r"/emails\.json", FakeMarketo.create_email),
    ("GET", r"/email/(\d+)/content\.json", FakeMarketo.email_content),
    ("POST", r"/email/(\d+)/content\.json", FakeMarketo.update_email_headers),
    ("POST", r"/email/(\d+)\.json", FakeMarketo.update_email_meta),
    ("POST", r"/email/(\d+)/content/([^/]+)\.json", FakeMarketo.update_email_section),
    ("POST", r"/email/(\d+)/approveDraft\.json", FakeMarketo.approve_email),
    ("GET", r"/email/(\d+)\.json", FakeMarketo.get_email),
    ("GET", r"/landingPageTemplate/byName\.json", FakeMarketo.lp_template_by_name),
    ("GET", r"/landingPage/byName\.json", FakeMarketo.lp_by_name),
    ("POST", r"/landingPages\.json", FakeMarketo.create_lp),
    ("GET", r"/landingPage/(\d+)/content\.json", FakeMarketo.lp_content),
    ("POST", r"/landingPage/(\d+)\.json", FakeMarketo.update_lp_meta),
    ("POST", r"/landingPage/(\d+)/content/([^/]+)\.json", FakeMarketo.update_lp_section),
    ("POST", r"/landingPage/(\d+)/approveDraft\.json", FakeMarketo.approve_lp),
    ("GET", r"/landingPage/(\d+)\.json", FakeMarketo.get_lp),
    ("POST", r"/files\.json", FakeMarketo.create_file),
    ("GET", r"/file/byName\.json", FakeMarketo.file_by_name),
    ("GET", r"/file/(\d+)\.json", FakeMarketo.get_file),
]


def fake_with_templates(**options: Any) -> FakeMarketo:
    """A :class:`FakeMarketo` (``options`` go to it) holding the approved email template
    "Monthly Newsletter" (:data:`TEMPLATE_HTML`) and the landing page template "Basic Page"."""
    fake = FakeMarketo(**options)
    fake.add_email_template("Monthly Newsletter", TEMPLATE_HTML)
    fake.add_lp_template("Basic Page")
    return fake


_EMAIL_HEADERS = ("subject", "fromName", "fromEmail", "replyEmail")


def _text(html: str) -> str:
    """The text version Marketo derives from a section's HTML."""
    return re.sub(r"<[^>]+>", "", html or "")


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, FilePart]]:
    if not body:
        return {}, {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}, {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        form: dict[str, str] = {}
        files: dict[str, FilePart] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            data = part.get_payload(decode=True) or b""
            if filename is not None:
                files[str(name)] = FilePart(
                    filename, part.get_content_type() if part["content-type"] else "", data
                )
            else:
                form[str(name)] = data.decode()
        return form, files
    return {"__raw__": body.decode(errors="replace")}, {}


def _respond(
    start_response: Callable[..., Any], status: str, payload: Any, content_type: str = "application/json"
) -> list[bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]

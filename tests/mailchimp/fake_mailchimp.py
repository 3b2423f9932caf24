"""A fake Mailchimp Marketing API v3 (WSGI), faithful where the adapter depends on it.

* Paths under ``/3.0``; HTTP basic auth with the API key as password (any user name);
  a wrong or missing key is a 401 problem+json, like Mailchimp's.
* Errors are ``application/problem+json``: ``{type, title, status, detail, instance,
  errors: [{field, message}]}``.
* At most 10 requests in flight: the 11th gets Mailchimp's 429. ``hold`` keeps each
  request open that long (seconds) so concurrency can be observed over a socket.
* ``fail_next(status, ..., when=...)`` makes the next matching request(s) fail.
* ``counts()`` is a snapshot of the objects, ``requests`` a log of every request,
  ``writes()`` the requests that may change something (every method but GET).
* Campaigns follow Mailchimp's life cycle: ``save`` (draft) -> ``schedule`` (at a future
  quarter hour) or ``sent``; only a draft can be edited (``PATCH``, ``PUT .../content``),
  so a scheduled campaign is unscheduled first (``actions/unschedule``); a scheduled
  campaign whose time has come (``clock``) is sent by the fake itself, as Mailchimp does.
  ``PATCH`` needs ``settings.subject_line``, ``from_name`` and ``reply_to`` (Mailchimp's
  Campaign2 schema), merges ``settings`` field by field and replaces ``recipients``.
* ``GET`` answers honour ``fields`` / ``exclude_fields`` (dotted paths; a list's
  items are addressed through the list's key, ``campaigns.settings.title``), so an
  adapter that forgets to ask for a field does not get it.
* The file manager lists its files (``GET /file-manager/files``, paged, ``type``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

API_KEY = "0123456789abcdef0123456789abcdef-us21"
PROBLEM_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
MAX_CONNECTIONS = 10

StartResponse = Callable[..., Any]

#: Every fake made (the test folder's conftest checks their requests after each test).
INSTANCES: list[FakeMailchimp] = []


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
    body: dict[str, Any]
    headers: dict[str, str]
    when: Callable[[str, str], bool]
    times: int


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = errors
    return body


class _Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeMailchimp:
    """The fake; call it as a WSGI app. ``clock`` (seconds since the epoch) stamps
    sends and decides when a scheduled campaign goes out."""

    def __init__(
        self,
        api_key: str = API_KEY,
        audiences: Iterable[str] = ("Newsletter subscribers", "Conformance Kit List"),
        hold: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.hold = hold
        self.clock = clock
        self.lists: dict[str, dict[str, Any]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.sends: list[str] = []
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.rejected_for_concurrency = 0
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        for name in audiences:
            self.add_audience(name)
        INSTANCES.append(self)

    # ----------------------------------------------------------------- set-up
    def add_audience(self, name: str, segments: Iterable[str] = ()) -> str:
        list_id = f"list{next(self._ids):04d}"
        self.lists[list_id] = {
            "id": list_id,
            "name": name,
            "segments": [{"id": 100 + next(self._ids), "name": s, "type": "static"} for s in segments],
        }
        return list_id

    def add_file(self, name: str, data: bytes, folder_id: int = 0) -> dict[str, Any]:
        """A file already in the file manager (uploaded by hand, or by a lost run)."""
        with self._lock:
            return self._store_file(name, data, folder_id)

    def add_campaign(self, title: str, list_name: str | None = None) -> str:
        """A draft made outside this run (by hand, or by an older version of the adapter)."""
        with self._lock:
            _, made = self._campaigns("POST", [], {"type": "regular", "settings": {"title": title}}, {})
        if list_name is not None:
            list_id = next(k for k, v in self.lists.items() if v["name"] == list_name)
            self.campaigns[made["id"]]["recipients"] = {"list_id": list_id}
            self.campaigns[made["id"]]["settings"]["subject_line"] = title
        return str(made["id"])

    def fail_next(
        self,
        status: int,
        title: str = "Internal Server Error",
        detail: str = "An unexpected internal error has occurred.",
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        path_suffix: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (or a path
        ending in ``path_suffix``) with an error."""

        def when(m: str, p: str) -> bool:
            return (
                (method is None or m == method)
                and (path is None or p == path)
                and (path_suffix is None or p.endswith(path_suffix))
            )

        body = problem(status, title, detail, errors)
        self._failures.append(_Failure(status, body, dict(headers or {}), when, times))

    def counts(self) -> dict[str, int]:
        """A snapshot: how many campaigns, files and sends exist."""
        with self._lock:
            return {"campaigns": len(self.campaigns), "files": len(self.files), "sends": len(self.sends)}

    def calls(self, method: str, prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def writes(self) -> list[str]:
        """``"METHOD /path"`` of every request that may change something (not a GET)."""
        return [f"{r.method} {r.path}" for r in self.requests if r.method != "GET"]

    def html(self, campaign_id: str) -> str:
        return str(self.contents.get(campaign_id, {}).get("html", ""))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -------------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            too_many = self.in_flight > MAX_CONNECTIONS
            if too_many:
                self.rejected_for_concurrency += 1
        try:
            if self.hold:
                time.sleep(self.hold)
            if too_many:
                detail = "You have exceeded the limit of 10 simultaneous connections."
                status, body, headers = 429, problem(429, "Too Many Requests", detail), {}
            else:
                status, body, headers = self._handle(environ)
        finally:
            with self._lock:
                self.in_flight -= 1
        payload = b"" if body is None else json.dumps(body).encode()
        content_type = "application/problem+json" if status >= 400 else "application/json"
        header_list = [("Content-Type", content_type), ("X-Request-Id", str(uuid.uuid4()))]
        header_list += list(headers.items())
        start_response(f"{status} {_REASONS.get(status, 'OK')}", header_list)
        return [payload]

    def _handle(self, environ: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        body = json.loads(raw) if raw else None
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        path = path.removeprefix("/3.0").rstrip("/") or "/"
        with self._lock:
            self.requests.append(Recorded(method, path, query, body, authorization))
            for failure in self._failures:
                if failure.times > 0 and failure.when(method, path):
                    failure.times -= 1
                    return failure.status, failure.body, failure.headers
        if not self._authorized(authorization):
            detail = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
            return 401, problem(401, "API Key Invalid", detail), {}
        try:
            with self._lock:
                self._send_due()
                status, result = self._route(method, path, body, query)
        except _Reply as reply:
            return reply.status, reply.body, reply.headers
        if method == "GET" and isinstance(result, dict):
            result = _select(result, _param(query, "fields"), _param(query, "exclude_fields"))
        return status, result, {}

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme != "Basic":
            return False
        try:
            _, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return password == self.api_key

    def _send_due(self) -> None:
        """Mailchimp sends a scheduled campaign when its time comes."""
        now = self.now()
        for campaign in self.campaigns.values():
            if campaign["status"] == "schedule" and datetime.fromisoformat(campaign["send_time"]) <= now:
                campaign["status"] = "sent"
                self.sends.append(campaign["id"])

    # ------------------------------------------------------------------ routes
    def _route(self, method: str, path: str, body: Any, query: dict[str, list[str]]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and path == "/ping":
            return 200, {"health_status": "Everything's Chimpy!"}
        if method == "GET" and path == "/":
            return 200, {"account_id": "fake0001", "account_name": "Fake Co", "email": "owner@example.com"}
        if method == "GET" and parts == ["lists"]:
            items = [{"id": v["id"], "name": v["name"]} for v in self.lists.values()]
            return 200, _page("lists", items, query)
        if method == "GET" and len(parts) == 3 and parts[0] == "lists" and parts[2] == "segments":
            audience = self._get(self.lists, parts[1], "List")
            return 200, _page("segments", audience["segments"], query)
        if parts and parts[0] == "campaigns":
            return self._campaigns(method, parts[1:], body, query)
        if parts == ["file-manager", "files"]:
            if method == "POST":
                return self._upload(body)
            if method == "GET":
                return self._list_files(query)
        raise _Reply(404, problem(404, "Resource Not Found", "The requested resource could not be found."))

    @staticmethod
    def _get(table: dict[str, dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
        if key not in table:
            detail = f"The requested resource could not be found. ({kind} {key})"
            raise _Reply(404, problem(404, "Resource Not Found", detail))
        return table[key]

    @staticmethod
    def _invalid(
        errors: list[dict[str, str]], detail: str = "The resource submitted could not be validated."
    ) -> _Reply:
        return _Reply(
            400,
            problem(
                400,
                "Invalid Resource",
                detail + " For field-specific details, see the 'errors' array.",
                errors,
            ),
        )

    def _view(self, campaign: dict[str, Any]) -> dict[str, Any]:
        """A campaign as Mailchimp shows it: the recipients carry the audience's name."""
        view = json.loads(json.dumps(campaign))
        list_id = view["recipients"].get("list_id")
        if list_id in self.lists:
            view["recipients"]["list_name"] = self.lists[list_id]["name"]
        return dict(view)

    def _campaigns(
        self, method: str, rest: list[str], body: Any, query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        if not rest and method == "GET":
            items = sorted(self.campaigns.values(), key=lambda c: c["create_time"])
            return 200, _page("campaigns", [self._view(c) for c in items], query)
        if not rest and method == "POST":
            if not isinstance(body, dict) or body.get("type") not in {
                "regular",
                "plaintext",
                "absplit",
                "rss",
                "variate",
            }:
                raise self._invalid(
                    [{"field": "type", "message": "Schema describes enum, value must be one of the listed."}]
                )
            number = next(self._ids)
            campaign_id = f"c{number:09x}"
            campaign = {
                "id": campaign_id,
                "web_id": 1000 + number,
                "type": body["type"],
                "status": "save",
                "create_time": f"2026-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}+00:00",
                "archive_url": f"https://eepurl.com/fake{number}",
                "send_time": "",
                "recipients": dict(body.get("recipients") or {}),
                "settings": dict(body.get("settings") or {}),
            }
            self.campaigns[campaign_id] = campaign
            return 200, self._view(campaign)
        campaign = self._get(self.campaigns, rest[0], "Campaign")
        action = rest[1:]
        if not action and method == "GET":
            return 200, self._view(campaign)
        if not action and method == "PATCH":
            self._update(campaign, body or {})
            return 200, self._view(campaign)
        if action == ["content"] and method == "GET":
            html = self.html(campaign["id"])
            return 200, {"html": html, "plain_text": "", "archive_html": html}
        if action == ["content"] and method == "PUT":
            self._editable(campaign)
            self.contents[campaign["id"]] = {"html": (body or {}).get("html", "")}
            return 200, {"html": self.contents[campaign["id"]]["html"], "plain_text": ""}
        if action == ["actions", "send"] and method == "POST":
            self._ready(campaign)
            campaign["status"] = "sent"
            campaign["send_time"] = self.now().isoformat()
            self.sends.append(campaign["id"])
            return 204, None
        if action == ["actions", "schedule"] and method == "POST":
            self._ready(campaign)
            campaign["send_time"] = self._schedule_time((body or {}).get("schedule_time", ""))
            campaign["status"] = "schedule"
            return 204, None
        if action == ["actions", "unschedule"] and method == "POST":
            if campaign["status"] != "schedule":
                raise _Reply(400, problem(400, "Bad Request", "This campaign is not scheduled."))
            campaign["status"] = "save"
            campaign["send_time"] = ""
            return 204, None
        raise _Reply(
            405, problem(405, "Method Not Allowed", "The requested method and resource are not compatible.")
        )

    def _schedule_time(self, when: str) -> str:
        def invalid(message: str) -> _Reply:
            return self._invalid([{"field": "schedule_time", "message": message}])

        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            raise invalid("This value is not a valid datetime.") from None
        if moment.tzinfo is None:
            raise invalid("This value is not a valid datetime.")
        if moment.minute % 15 or moment.second:
            raise invalid("Campaigns may only be scheduled on the quarter-hour.")
        if moment <= self.now():
            raise invalid("The schedule time must be in the future.")
        return moment.astimezone(UTC).isoformat()

    @staticmethod
    def _editable(campaign: dict[str, Any]) -> None:
        if campaign["status"] == "schedule":
            detail = "This campaign is scheduled: unschedule it before editing it."
            raise _Reply(400, problem(400, "Bad Request", detail))
        if campaign["status"] != "save":
            raise _Reply(
                400, problem(400, "Bad Request", "This campaign cannot be updated: it was already sent.")
            )

    def _update(self, campaign: dict[str, Any], body: dict[str, Any]) -> None:
        self._editable(campaign)
        recipients = body.get("recipients")
        settings = body.get("settings")
        errors = []
        if not isinstance(settings, dict):
            errors.append({"field": "settings", "message": "This value should not be blank."})
            settings = {}
        for field in ("subject_line", "from_name", "reply_to"):
            if not settings.get(field):
                errors.append({"field": f"settings.{field}", "message": "This value should not be blank."})
        if recipients is not None and recipients.get("list_id") not in self.lists:
            errors.append({"field": "recipients.list_id", "message": "Invalid List ID."})
        reply_to = settings.get("reply_to")
        if reply_to and "@" not in str(reply_to):
            errors.append({"field": "settings.reply_to", "message": "This value should be a valid email."})
        if len(str(settings.get("subject_line", ""))) > 150:
            errors.append({"field": "settings.subject_line", "message": "This value is too long."})
        if errors:
            raise self._invalid(errors)
        if recipients is not None:
            campaign["recipients"] = dict(recipients)
        campaign["settings"].update(settings)

    def _ready(self, campaign: dict[str, Any]) -> None:
        settings, missing = campaign["settings"], []
        for field in ("subject_line", "from_name", "reply_to"):
            if not settings.get(field):
                missing.append({"field": f"settings.{field}", "message": "This value should not be blank."})
        if not campaign["recipients"].get("list_id"):
            missing.append({"field": "recipients.list_id", "message": "This value should not be blank."})
        if campaign["id"] not in self.contents:
            missing.append({"field": "content", "message": "Campaign content is empty."})
        if campaign["status"] != "save":
            raise _Reply(
                400, problem(400, "Bad Request", "This campaign has already been sent or scheduled.")
            )
        if missing:
            raise self._invalid(missing, "Your Campaign is not ready to send.")

    # ------------------------------------------------------------ file manager
    def _store_file(self, name: str, data: bytes, folder_id: int) -> dict[str, Any]:
        file_id = next(self._ids)
        stored = {
            "id": file_id,
            "folder_id": folder_id,
            "type": "image" if data.startswith(b"\x89PNG") else "file",
            "name": name,
            "full_size_url": f"https://mcusercontent.com/fake/images/{file_id}/{name}",
            "size": len(data),
            "created_at": f"2026-01-01T00:00:{file_id % 60:02d}+00:00",
        }
        self.files[str(file_id)] = {**stored, "data": data}
        return stored

    def _upload(self, body: Any) -> tuple[int, Any]:
        body = body or {}
        errors = []
        if not body.get("name"):
            errors.append({"field": "name", "message": "This value should not be blank."})
        try:
            data = base64.b64decode(str(body.get("file_data", "")), validate=True)
        except binascii.Error:
            data = b""
        if not data:
            errors.append({"field": "file_data", "message": "File data must be base64 encoded."})
        if errors:
            raise self._invalid(errors)
        return 200, self._store_file(str(body["name"]), data, int(body.get("folder_id") or 0))

    def _list_files(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        kind = _param(query, "type")
        items = [
            {k: v for k, v in f.items() if k != "data"}
            for f in self.files.values()
            if kind is None or f["type"] == kind
        ]
        return 200, _page("files", items, query)


def _param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _page(key: str, items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    """One page of a collection (``count`` default 10, at most 1000; ``offset``)."""
    count = min(int(_param(query, "count") or 10), 1000)
    offset = int(_param(query, "offset") or 0)
    return {key: items[offset : offset + count], "total_items": len(items)}


def _select(data: Any, fields: str | None, exclude: str | None) -> Any:
    """``data`` reduced to the dotted ``fields`` and without the ``exclude`` ones."""
    if fields:
        data = _keep(data, [f.strip().split(".") for f in fields.split(",") if f.strip()])
    if exclude:
        for path in (f.strip().split(".") for f in exclude.split(",") if f.strip()):
            _drop(data, path)
    return data


def _keep(data: Any, paths: list[list[str]]) -> Any:
    if isinstance(data, list):
        return [_keep(item, paths) for item in data]
    if not isinstance(data, dict):
        return data
    kept: dict[str, Any] = {}
    for key, value in data.items():
        matching = [p for p in paths if p[0] == key]
        if not matching:
            continue
        if any(len(p) == 1 for p in matching):
            kept[key] = value
        else:
            kept[key] = _keep(value, [p[1:] for p in matching])
    return kept


def _drop(data: Any, path: list[str]) -> None:
    if isinstance(data, list):
        for item in data:
            _drop(item, path)
    elif isinstance(data, dict) and path[0] in data:
        if len(path) == 1:
            del data[path[0]]
        else:
            _drop(data[path[0]], path[1:])


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

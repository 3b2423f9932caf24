"""A fake Mailchimp Marketing API v3 (WSGI), faithful where the adapter depends on it.

* Paths under ``/3.0``; HTTP basic auth with the API key as password (any user name);
  a wrong or missing key is a 401 problem+json, like Mailchimp's.
* Errors are ``application/problem+json``: ``{type, title, status, detail, instance,
  errors: [{field, message}]}``.
* At most 10 requests in flight: the 11th gets Mailchimp's 429. ``hold`` keeps each
  request open that long (seconds) so concurrency can be observed over a socket.
* ``fail_next(status, ..., when=...)`` makes the next matching request(s) fail.
* ``counts()`` is a snapshot of the objects, ``requests`` a log of every request.
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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

API_KEY = "0123456789abcdef0123456789abcdef-us21"
PROBLEM_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
MAX_CONNECTIONS = 10

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
    """The fake; call it as a WSGI app."""

    def __init__(
        self,
        api_key: str = API_KEY,
        audiences: Iterable[str] = ("Newsletter subscribers", "Conformance Kit List"),
        hold: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.hold = hold
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

    # ----------------------------------------------------------------- set-up
    def add_audience(self, name: str, segments: Iterable[str] = ()) -> str:
        list_id = f"list{next(self._ids):04d}"
        self.lists[list_id] = {
            "id": list_id,
            "name": name,
            "segments": [{"id": 100 + next(self._ids), "name": s, "type": "static"} for s in segments],
        }
        return list_id

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
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method``/``path`` with an error."""

        def when(m: str, p: str) -> bool:
            return (method is None or m == method) and (path is None or p == path)

        body = problem(status, title, detail, errors)
        self._failures.append(_Failure(status, body, dict(headers or {}), when, times))

    def counts(self) -> dict[str, int]:
        """A snapshot: how many campaigns, files and sends exist."""
        with self._lock:
            return {"campaigns": len(self.campaigns), "files": len(self.files), "sends": len(self.sends)}

    def calls(self, method: str, prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

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
                status, result = self._route(method, path, body)
        except _Reply as reply:
            return reply.status, reply.body, reply.headers
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

    # ------------------------------------------------------------------ routes
    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and path == "/ping":
            return 200, {"health_status": "Everything's Chimpy!"}
        if method == "GET" and path == "/":
            return 200, {"account_id": "fake0001", "account_name": "Fake Co", "email": "owner@example.com"}
        if method == "GET" and parts == ["lists"]:
            items = [{"id": v["id"], "name": v["name"]} for v in self.lists.values()]
            return 200, {"lists": items, "total_items": len(items)}
        if method == "GET" and len(parts) == 3 and parts[0] == "lists" and parts[2] == "segments":
            audience = self._get(self.lists, parts[1], "List")
            return 200, {"segments": audience["segments"], "total_items": len(audience["segments"])}
        if parts and parts[0] == "campaigns":
            return self._campaigns(method, parts[1:], body)
        if method == "POST" and parts == ["file-manager", "files"]:
            return self._upload(body)
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

    def _campaigns(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if not rest and method == "GET":
            items = sorted(self.campaigns.values(), key=lambda c: c["create_time"])
            return 200, {"campaigns": items, "total_items": len(items)}
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
                "create_time": f"2026-01-01T00:00:{number % 60:02d}+00:00",
                "archive_url": f"https://eepurl.com/fake{number}",
                "send_time": "",
                "recipients": dict(body.get("recipients") or {}),
                "settings": dict(body.get("settings") or {}),
            }
            self.campaigns[campaign_id] = campaign
            return 200, campaign
        campaign = self._get(self.campaigns, rest[0], "Campaign")
        if len(rest) == 1 and method == "GET":
            return 200, campaign
        if len(rest) == 1 and method == "PATCH":
            return 200, self._update(campaign, body or {})
        if rest[1:] == ["content"] and method == "PUT":
            self.contents[campaign["id"]] = {"html": (body or {}).get("html", "")}
            return 200, {"html": self.contents[campaign["id"]]["html"], "plain_text": ""}
        if rest[1:] == ["actions", "send"] and method == "POST":
            self._ready(campaign)
            campaign["status"] = "sent"
            self.sends.append(campaign["id"])
            return 204, None
        if rest[1:] == ["actions", "schedule"] and method == "POST":
            self._ready(campaign)
            when = (body or {}).get("schedule_time", "")
            try:
                moment = datetime.fromisoformat(when)
            except ValueError:
                raise self._invalid(
                    [{"field": "schedule_time", "message": "This value is not a valid datetime."}]
                ) from None
            if moment.minute % 15 or moment.second:
                raise self._invalid(
                    [
                        {
                            "field": "schedule_time",
                            "message": "Campaigns may only be scheduled on the quarter-hour.",
                        }
                    ]
                )
            campaign["status"] = "schedule"
            campaign["send_time"] = when
            return 204, None
        raise _Reply(
            405, problem(405, "Method Not Allowed", "The requested method and resource are not compatible.")
        )

    def _update(self, campaign: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if campaign["status"] != "save":
            raise _Reply(
                400, problem(400, "Bad Request", "This campaign cannot be updated: it was already sent.")
            )
        recipients = body.get("recipients") or {}
        settings = body.get("settings") or {}
        errors = []
        if "list_id" in recipients and recipients["list_id"] not in self.lists:
            errors.append({"field": "recipients.list_id", "message": "Invalid List ID."})
        reply_to = settings.get("reply_to")
        if reply_to is not None and "@" not in str(reply_to):
            errors.append({"field": "settings.reply_to", "message": "This value should be a valid email."})
        if len(str(settings.get("subject_line", ""))) > 150:
            errors.append({"field": "settings.subject_line", "message": "This value is too long."})
        if errors:
            raise self._invalid(errors)
        campaign["recipients"].update(recipients)
        campaign["settings"].update(settings)
        return campaign

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
        file_id = next(self._ids)
        self.files[str(file_id)] = {"id": file_id, "name": body["name"], "data": data}
        url = f"https://mcusercontent.com/fake/images/{file_id}/{body['name']}"
        return 200, {
            "id": file_id,
            "name": body["name"],
            "full_size_url": url,
            "size": len(data),
            "type": "image",
        }


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

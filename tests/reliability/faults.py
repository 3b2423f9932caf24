"""Fault injection for the loopback vendor fakes, without touching the fakes.

:func:`serve` runs a WSGI app on a loopback port like ``tests.fakes.server.serve``, but
its handler exposes the client socket to the app (so a fault can reset it) and stays
quiet when a fault aborts a request. :class:`Faults` is a WSGI middleware wrapped
around a fake: each :class:`Rule` matches requests by method and path (a regex) and
applies one action to the first ``times`` matches (after skipping ``skip``):

* ``reset``          reset the connection before the fake sees the request
* ``reset_after``    let the fake commit the request, then reset (the answer is lost)
* ``stall``          hold the request past the client's timeout; the fake never sees it
* ``stall_after``    let the fake commit, then hold the answer past the client's timeout
* ``respond``        answer ``status`` / ``body`` (or ``body(environ)``) instead of the fake
* ``respond_after``  let the fake commit, then answer ``status`` / ``body`` instead
* ``block``          signal ``reached``, wait for ``release``, then drop the request unseen
* ``block_after``    let the fake commit, signal ``reached``, wait for ``release``, answer
* ``hook``           call ``hook()`` (e.g. revoke the fake's tokens), then pass through

It also counts requests in flight (``max_in_flight``), holding each for ``hold`` seconds
so overlapping requests really overlap.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tests.fakes.server import serve as serve_app

WSGIApp = Callable[..., Iterable[bytes]]
SOCKET_KEY = "reliability.socket"


class _Dropped(Exception):
    """Raised after a fault reset the connection: the handler ends quietly."""


class _Handler(WSGIRequestHandler):
    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.connection
        return environ

    def get_stderr(self) -> io.StringIO:  # wsgiref logs app exceptions here
        return io.StringIO()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(Exception):  # a fault closed the socket under the handler
            super().handle()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def serve(app: WSGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` on a free loopback port with handlers that survive dropped sockets."""
    with serve_app(app, host, server_class=_Server, handler_class=_Handler) as url:
        yield url


def reset_connection(environ: dict[str, Any]) -> None:
    """Send a TCP RST to the client (SO_LINGER 0 + close) and abort the request."""
    sock: socket.socket = environ[SOCKET_KEY]
    with contextlib.suppress(OSError):
        raw = socket.socket(fileno=sock.detach())
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
    raise _Dropped


@dataclass
class Rule:
    action: str
    method: str = "*"
    path: str = ".*"
    times: int = 1
    skip: int = 0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 1.0
    hook: Callable[[], None] | None = None
    hits: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and re.search(self.path, path) is not None


_ACTIONS = {
    "reset",
    "reset_after",
    "stall",
    "stall_after",
    "respond",
    "respond_after",
    "block",
    "block_after",
    "hook",
}


class Faults:
    """WSGI middleware applying :class:`Rule` s to the requests reaching ``app``."""

    def __init__(self, app: WSGIApp, *, hold: float = 0.0) -> None:
        self.app = app
        self.hold = hold
        self.rules: list[Rule] = []
        self.seen: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def add(self, action: str, method: str = "*", path: str = ".*", **options: Any) -> Rule:
        assert action in _ACTIONS, action
        rule = Rule(action, method.upper(), path, **options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def release_all(self) -> None:
        for rule in self.rules:
            rule.release.set()

    def _take(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.skip < rule.hits <= rule.skip + rule.times:
                        return rule
            return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold:
                time.sleep(self.hold)
            rule = self._take(method, path)
            with self._lock:
                self.seen.append((method, path, rule.action if rule else "pass"))
            if rule is None:
                return self._inner(environ, start_response)
            return self._apply(rule, environ, start_response)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _inner(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return list(self.app(environ, start_response))

    def _committed(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """Run the fake to completion, keeping its answer instead of sending it."""
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = list(self.app(environ, keep))
        return captured["status"], captured["headers"], body

    def _apply(
        self, rule: Rule, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        action = rule.action
        if action == "hook":
            assert rule.hook is not None
            rule.hook()
            return self._inner(environ, start_response)
        if action == "reset":
            reset_connection(environ)
        if action == "stall":
            rule.release.wait(rule.delay)
            reset_connection(environ)
        if action == "block":
            rule.reached.set()
            rule.release.wait(20)
            reset_connection(environ)
        if action == "respond":
            return _answer(start_response, rule, environ)
        status, headers, body = self._committed(environ)
        if action == "reset_after":
            reset_connection(environ)
        if action == "respond_after":
            return _answer(start_response, rule, environ)
        if action == "stall_after":
            rule.release.wait(rule.delay)
        if action == "block_after":
            rule.reached.set()
            rule.release.wait(20)
        start_response(status, headers)
        return body


def _answer(start_response: Callable[..., Any], rule: Rule, environ: dict[str, Any]) -> list[bytes]:
    body = rule.body(environ) if callable(rule.body) else rule.body
    data = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
    content_type = "text/html" if isinstance(body, bytes) else "application/json"
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), *rule.headers.items()]
    start_response(f"{rule.status} Injected", headers)
    return [data]

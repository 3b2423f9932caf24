"""Serve a fake vendor on a loopback port, for tests that must cross a real socket.

A fake written as a WSGI app (a callable ``app(environ, start_response)``) runs
in-process through ``httpx.WSGITransport(app=fake)``, and on a real socket with
:func:`serve`::

    with serve(FakeAcme()) as base_url:          # "http://127.0.0.1:PORT"
        monkeypatch.setenv("ACME_BASE_URL", base_url)
        ...

Each request is handled on its own thread (so a fake can hold several requests in
flight, as a vendor does). An ASGI app (``async app(scope, receive, send)``) is served
the same way with :func:`serve_asgi`, or wrapped for ``httpx.WSGITransport`` with
:func:`asgi_to_wsgi`. Plain ``http://`` is allowed for loopback hosts only, which is
what these helpers bind to.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = ["WSGIApp", "asgi_to_wsgi", "serve", "serve_asgi"]

WSGIApp = Callable[..., Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[dict[str, Any]]],
        Callable[[dict[str, Any]], Awaitable[None]],
    ],
    Coroutine[Any, Any, None],
]


class QuietHandler(WSGIRequestHandler):
    """A request handler that logs nothing (pytest output stays clean)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request; daemon threads, so a stuck request never blocks exit."""

    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(
    app: WSGIApp,
    host: str = "127.0.0.1",
    *,
    server_class: type[WSGIServer] = ThreadingWSGIServer,
    handler_class: type[WSGIRequestHandler] = QuietHandler,
) -> Iterator[str]:
    """Run the WSGI ``app`` on ``host`` at a free port; yields its base URL
    (``http://host:port``) and stops the server on exit. Fault-injecting tests pass
    their own server / handler classes."""
    server = make_server(host, 0, app, server_class=server_class, handler_class=handler_class)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def asgi_to_wsgi(app: ASGIApp) -> WSGIApp:
    """A WSGI app running the ASGI ``app`` (HTTP only: no websockets, no lifespan), one
    event loop per request. Enough for a fake vendor; not a production bridge."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = [
            (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers.append(
                    (key.replace("_", "-").lower().encode("latin-1"), environ[key].encode("latin-1"))
                )
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
            "method": environ["REQUEST_METHOD"],
            "scheme": environ.get("wsgi.url_scheme", "http"),
            "path": environ.get("PATH_INFO", "") or "/",
            "raw_path": (environ.get("PATH_INFO", "") or "/").encode("latin-1"),
            "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
            "root_path": environ.get("SCRIPT_NAME", ""),
            "headers": headers,
            "server": (environ.get("SERVER_NAME", "127.0.0.1"), int(environ.get("SERVER_PORT") or 0)),
            "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), 0),
        }
        status: list[int] = []
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                response_headers.extend(
                    (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                    for k, v in message.get("headers", [])
                )
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))

        asyncio.run(app(scope, receive, send))
        code = status[0] if status else 500
        start_response(f"{code} {_reason(code)}", response_headers)
        return [b"".join(chunks)]

    return wsgi


@contextmanager
def serve_asgi(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Run the ASGI ``app`` on ``host`` at a free port (see :func:`asgi_to_wsgi`);
    yields its base URL."""
    with serve(asgi_to_wsgi(app), host) as url:
        yield url


def _reason(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"

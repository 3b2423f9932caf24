"""Serve a WSGI app (a vendor fake) on a loopback port for end-to-end tests.

The same fake apps also run in-process through ``httpx.WSGITransport``; this module is
for the tests that must cross a real socket (timeouts, connection resets, several
processes sharing one fake).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

WSGIApp = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(
    app: WSGIApp,
    host: str = "127.0.0.1",
    *,
    server_class: type[WSGIServer] = _ThreadingWSGIServer,
    handler_class: type[WSGIRequestHandler] = _QuietHandler,
) -> Iterator[str]:
    """Run ``app`` on ``host`` at a free port; yields its base URL (``http://host:port``).
    Fault-injecting tests pass their own server / handler classes."""
    server = make_server(host, 0, app, server_class=server_class, handler_class=handler_class)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

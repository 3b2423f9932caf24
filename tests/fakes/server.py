"""Serve a WSGI app (a vendor fake) on a loopback port for end-to-end tests.

The helpers moved into the conformance kit (:mod:`marketing_platform.testing.server`),
so third-party adapters get them too; this module re-exports them for the tests here.
"""

from __future__ import annotations

from marketing_platform.testing.server import (
    QuietHandler as _QuietHandler,
)
from marketing_platform.testing.server import (
    ThreadingWSGIServer as _ThreadingWSGIServer,
)
from marketing_platform.testing.server import WSGIApp, asgi_to_wsgi, serve, serve_asgi

__all__ = ["WSGIApp", "_QuietHandler", "_ThreadingWSGIServer", "asgi_to_wsgi", "serve", "serve_asgi"]

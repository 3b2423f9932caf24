"""A third-party adapter built on the core's helpers (``sendly.py``) passes the kit."""

from __future__ import annotations

from .sendly import SendlyKit


class TestSendlyConformance(SendlyKit):
    pass

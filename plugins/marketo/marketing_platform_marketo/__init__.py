"""Marketo Engage adapter for marketing-platform (entry point ``marketo``).

Importing this package imports nothing heavy; the adapter class lives in
:mod:`marketing_platform_marketo.platform` and is loaded on demand by the core registry.
"""

from __future__ import annotations

__version__ = "0.1.0"

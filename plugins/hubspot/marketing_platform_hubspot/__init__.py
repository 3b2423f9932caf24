"""marketing-platform-hubspot: the HubSpot adapter (entry point ``hubspot``).

Importing this package imports no HTTP stack; the adapter class lives in
:mod:`marketing_platform_hubspot.platform` and is loaded on demand by the registry.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

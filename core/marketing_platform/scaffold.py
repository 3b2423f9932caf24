"""``mplat new-adapter``: write a new adapter distribution skeleton."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigurationError


def create_adapter(name: str, dest: Path) -> Path:
    """Create ``dest/marketing-platform-<name>`` and return its path."""
    raise ConfigurationError(f"cannot create adapter {name!r} in {dest}: not available yet")

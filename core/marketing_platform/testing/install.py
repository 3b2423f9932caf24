"""Make an adapter visible to entry-point discovery without ``pip install``.

:func:`fake_install` writes a minimal ``*.dist-info`` (METADATA + entry_points.txt)
into a folder; put that folder (and the folder holding your package) on ``sys.path``
and :mod:`importlib.metadata` sees the distribution exactly as if it were installed.
Tests use it to check a pyproject's entry point and ``mplat platforms`` in seconds.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path


def fake_install(
    site: Path,
    distribution: str,
    version: str,
    entry_points: Mapping[str, Mapping[str, str]],
) -> Path:
    """Write ``site/<distribution>-<version>.dist-info`` and return its path.

    ``entry_points`` maps a group to ``{name: "module:attr"}``. ``site`` is not added
    to ``sys.path``: use ``monkeypatch.syspath_prepend`` (or the kit's ``mplat_site``
    fixture), then :func:`~marketing_platform.registry.reset_default_registry`.
    """
    normalized = re.sub(r"[-_.]+", "_", distribution)
    info = site / f"{normalized}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
    )
    lines: list[str] = []
    for group, names in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in names.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return info


def fake_install_project(project: Path, site: Path) -> Path:
    """:func:`fake_install` from a project's ``pyproject.toml`` (name, version and
    ``[project.entry-points]`` as written there); returns the dist-info path."""
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    meta = data["project"]
    groups = {group: dict(names) for group, names in meta.get("entry-points", {}).items()}
    return fake_install(site, meta["name"], str(meta.get("version", "0")), groups)

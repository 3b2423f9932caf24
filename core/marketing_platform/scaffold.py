"""``mplat new-adapter``: write a new adapter distribution skeleton.

The skeleton is a complete, installable distribution that passes the conformance kit
out of the box against a fake served on a loopback port::

    marketing-platform-<name>/
      pyproject.toml                 entry point marketing_platform.adapters: <name>
      README.md
      marketing_platform_<name>/     __init__, platform, settings, mapping, errors, py.typed
      tests/fake_<name>.py           the fake vendor (a WSGI app the kit serves on loopback)
      tests/test_conformance.py      AdapterConformance wired to the fake

The templates live in ``marketing_platform/templates/adapter`` (``string.Template``
syntax: ``${name}``, ``${Name}``, ``${NAME}``, ``${package}``, ``${dist}``).
"""

from __future__ import annotations

import keyword
import re
from importlib.resources import files
from pathlib import Path
from string import Template

from .__about__ import __version__
from .errors import ConfigurationError

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_MAX_NAME = 40

#: template file (under templates/adapter) -> path in the new project (a Template too).
_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "package/__init__.py.tmpl": "${package}/__init__.py",
    "package/platform.py.tmpl": "${package}/platform.py",
    "package/settings.py.tmpl": "${package}/settings.py",
    "package/mapping.py.tmpl": "${package}/mapping.py",
    "package/errors.py.tmpl": "${package}/errors.py",
    "tests/fake.py.tmpl": "tests/fake_${name}.py",
    "tests/test_conformance.py.tmpl": "tests/test_conformance.py",
}


def check_name(name: str) -> None:
    """Raise ConfigurationError unless ``name`` works as a platform name: lower-case
    letters, digits and single underscores, starting with a letter, at most 40 long."""
    problem = None
    if not _NAME.match(name):
        problem = "use lower-case letters, digits and single underscores, starting with a letter"
    elif len(name) > _MAX_NAME:
        problem = f"use at most {_MAX_NAME} characters"
    elif keyword.iskeyword(name):
        problem = "a Python keyword cannot name a package"
    if problem:
        raise ConfigurationError(
            f"{name!r} is not a valid platform name: {problem}",
            code="invalid_name",
            hint="e.g. `mplat new-adapter acme` or `mplat new-adapter acme_cloud`",
        )


def variables(name: str) -> dict[str, str]:
    """The template variables for platform ``name``."""
    return {
        "name": name,
        "Name": "".join(part.capitalize() for part in name.split("_")),
        "NAME": name.upper(),
        "package": f"marketing_platform_{name}",
        "dist": f"marketing-platform-{name.replace('_', '-')}",
        "core_version": ".".join(__version__.split(".")[:2]),
    }


def create_adapter(name: str, dest: Path) -> Path:
    """Create ``dest/marketing-platform-<name>`` and return its path.

    Raises ConfigurationError for an invalid ``name`` or when the target exists;
    nothing is written in either case.
    """
    check_name(name)
    values = variables(name)
    target = Path(dest) / values["dist"]
    if target.exists():
        raise ConfigurationError(
            f"{target} already exists",
            code="exists",
            hint="choose another --dest folder or remove the existing one",
        )
    root = files("marketing_platform").joinpath("templates", "adapter")
    rendered = {
        Template(path).substitute(values): Template(root.joinpath(template).read_text("utf-8")).substitute(
            values
        )
        for template, path in _FILES.items()
    }
    for relative, text in rendered.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (target / values["package"] / "py.typed").write_text("", encoding="utf-8")
    return target

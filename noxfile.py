"""Developer sessions: ``nox -s tests lint types docs demo bench``."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "types", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PLUGINS = sorted(str(p.parent) for p in ROOT.glob("plugins/*/pyproject.toml"))
EDITABLE = ["-e", ".[dev]", *[arg for plugin in PLUGINS for arg in ("-e", plugin)]]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (no test reaches the internet)."""
    session.install(*EDITABLE)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict on the core and every plugin."""
    session.install(*EDITABLE)
    session.run("mypy", "core", *PLUGINS)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built strictly (a broken link or reference fails)."""
    session.install(*EDITABLE)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def demo(session: nox.Session) -> None:
    """Activate the examples on the mock platform, then show the log."""
    session.install(*EDITABLE)
    log = session.create_tmp() + "/activations.sqlite3"
    env = {"MARKETING_PLATFORM": "mock", "MARKETING_PLATFORM_LOG": log}
    session.run("mplat", "platforms", env=env)
    session.run("mplat", "activate", "examples/", env=env)
    session.run("mplat", "log", env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark, each printing ratios measured in one run."""
    session.install(*EDITABLE)
    session.run("python", "-m", "benchmarks", *session.posargs)

"""A batch of content files: which files, which platform each goes to, and every
problem in every file found before anything is sent.

``mplat validate`` and ``mplat activate`` both go through :func:`prepare_batch`: it
reads every file, validates each content for each platform it is routed to, and checks
that no two contents share an id, collecting *all* problems (grouped by file) instead of
stopping at the first. Nothing is sent and nothing is recorded.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigurationError, ContentRejected, InvalidContent, Problem
from .models import Content

if TYPE_CHECKING:
    from .activation import Activator, Job

__all__ = ["Batch", "Rejection", "Router", "content_paths", "parse_routes", "prepare_batch"]


@dataclass(frozen=True)
class Rejection:
    """A file (or one of its platforms) that cannot be activated, and every reason."""

    source: str
    problems: list[Problem]
    platform: str | None = None
    content_id: str | None = None

    def lines(self) -> list[str]:
        """``file: field: what is wrong; how to fix`` for each problem."""
        where = f"{self.source} ({self.platform})" if self.platform else self.source
        return [f"{where}: {problem}" for problem in self.problems]

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.source,
            "platform": self.platform,
            "content_id": self.content_id,
            "state": "rejected",
            "problems": [{"field": p.field, "message": p.message, "hint": p.hint} for p in self.problems],
        }


@dataclass
class Batch:
    """The jobs ready to run and the files refused, in the order given."""

    jobs: list[Job] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def files_rejected(self) -> int:
        return len({r.source for r in self.rejections})


def content_paths(paths: Iterable[Path], *, exclude: Sequence[str] = ()) -> list[Path]:
    """The content files named by ``paths``: files as given; folders searched
    recursively for content files, skipping hidden files and folders, ``README*`` and
    whatever matches an ``exclude`` glob (by name or by path inside the folder)."""
    from .contentfile import SUFFIXES

    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            relative = candidate.relative_to(path)
            if not candidate.is_file() or candidate.suffix.lower() not in SUFFIXES:
                continue
            if any(part.startswith(".") for part in relative.parts):
                continue
            if candidate.name.lower().startswith("readme"):
                continue
            if any(fnmatch.fnmatch(candidate.name, g) or fnmatch.fnmatch(str(relative), g) for g in exclude):
                continue
            found.append(candidate)
    return found


#: Which platforms a content goes to.
Router = Callable[[Content], list[str]]


def parse_routes(specs: Iterable[str], *, source: str) -> dict[str, str]:
    """``["blog_post=hubspot", "email=marketo"]`` (or one comma-separated string each)
    as ``{kind: platform}``; a malformed entry is a ConfigurationError naming ``source``."""
    from .models import ContentKind

    routes: dict[str, str] = {}
    kinds = [k.value for k in ContentKind]
    for spec in specs:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kind, sep, platform = (x.strip() for x in item.partition("="))
            if not sep or not platform or kind not in kinds:
                raise ConfigurationError(
                    f"{source}: {item!r} is not a route (KIND=PLATFORM with KIND one of {', '.join(kinds)})",
                    code="routes",
                    hint="write it like blog_post=hubspot,email=marketo",
                )
            routes[kind] = platform
    return routes


def router(platforms: Sequence[str], routes: Mapping[str, str]) -> Router:
    """Each content to the platform its kind is routed to, else to ``platforms``
    (each named once, in order)."""
    default = list(dict.fromkeys(platforms))

    def route(content: Content) -> list[str]:
        routed = routes.get(content.kind.value)
        return [routed] if routed else default

    return route


def prepare_batch(
    activator: Activator,
    paths: Sequence[Path],
    route: Router,
    *,
    asset_root: Path | None = None,
) -> Batch:
    """Read and validate every file for every platform it goes to; collect every
    problem. A ConfigurationError (an unknown platform, missing credentials) is raised
    at once: it is about the set-up, not a file."""
    from .activation import Job
    from .contentfile import load_content_file

    batch = Batch()
    known = activator.registry.names()
    owners: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            item = load_content_file(path, platform_names=known)
        except InvalidContent as exc:
            problems = [_without_path(p, path, exc.hint) for p in exc.problems] or [
                Problem("", exc.message, exc.hint)
            ]
            batch.rejections.append(Rejection(str(path), problems))
            continue
        root = asset_root or item.asset_root
        for name in route(item.content):
            key = (item.content.id, name)
            if key in owners:
                batch.rejections.append(
                    Rejection(
                        str(path),
                        [
                            Problem(
                                "id",
                                f"{item.content.id!r} is the id of both {owners[key]} and {path}",
                                "give each content its own id: (e.g. id: spring-launch-2026)",
                            )
                        ],
                        name,
                        item.content.id,
                    )
                )
                continue
            owners[key] = str(path)
            try:
                prepared = activator.prepare(item.content, activator.platform(name), root)
            except ConfigurationError:
                raise
            except ContentRejected as exc:
                problems = [p if p.hint else Problem(p.field, p.message, exc.hint) for p in exc.problems]
                batch.rejections.append(Rejection(str(path), problems, name, item.content.id))
                continue
            batch.jobs.append(Job(prepared, name, root, str(path), prepared=True))
    return batch


def _without_path(problem: Problem, path: Path, hint: str | None) -> Problem:
    """A file-level problem whose message starts with the path (shown once, in front),
    with the error's hint when it has none of its own."""
    message = problem.message.removeprefix(f"{path}: ").removeprefix(f"{path} ")
    return Problem(problem.field, message, problem.hint or hint)

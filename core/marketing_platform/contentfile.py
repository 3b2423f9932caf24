"""Reading content files: JSON, YAML, or Markdown with YAML front matter.

Every failure is an :class:`~marketing_platform.errors.InvalidContent` whose message
names the file and the field and says how to fix it; nothing is sent for a bad file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import InvalidContent, Problem
from .models import Content

SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".markdown": "markdown"}
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ContentFile:
    """Parsed content and the file it came from (assets resolve against its folder)."""

    content: Content
    path: Path

    @property
    def asset_root(self) -> Path:
        return self.path.parent


def _fail(path: Path, message: str, hint: str, problems: list[Problem] | None = None) -> InvalidContent:
    return InvalidContent(f"{path}: {message}", problems=problems or [Problem("", message)], hint=hint)


def _split_front_matter(path: Path, text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise _fail(
            path, "has no YAML front matter", "start the file with a line '---', the YAML keys, then '---'"
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise _fail(path, "front matter is not closed", "end the YAML front matter with a line '---'")


def parse_mapping(path: Path, text: str, fmt: str) -> dict[str, Any]:
    """The top-level mapping of a content file's text in format ``fmt``."""
    body: str | None = None
    try:
        if fmt == "json":
            data = json.loads(text)
        else:
            if fmt == "markdown":
                text, body = _split_front_matter(path, text)
            data = yaml.safe_load(text)
    except RecursionError:
        raise _fail(path, "is nested too deeply to read", "flatten the structure") from None
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "fix the JSON syntax at that position",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise _fail(
            path, f"is not valid YAML{where}: {problem}", "fix the YAML syntax at that position"
        ) from None
    if data is None:
        raise _fail(path, "holds no content", "add at least kind and title")
    if not isinstance(data, dict):
        raise _fail(
            path,
            f"must hold a mapping of keys, not a {type(data).__name__}",
            "write the content as key: value pairs (see README 'Content file')",
        )
    if body is not None and body.strip() and "body" not in data and "body_markdown" not in data:
        data["body_markdown"] = body
    return data


def load_content_file(path: Path | str, *, platform_names: Iterable[str] = ()) -> ContentFile:
    """Read and validate the content file at ``path``.

    Top-level keys named after an installed platform (other than the built-in
    ``hubspot`` / ``marketo`` / ``mock``) are that platform's overrides.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise _fail(
            path,
            f"has an unsupported extension {path.suffix!r}",
            "use .json, .yaml, .yml or .md (Markdown with YAML front matter)",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})", "check the path") from None
    if size == 0:
        raise _fail(path, "is empty", "add at least kind and title")
    if size > MAX_FILE_BYTES:
        raise _fail(path, f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit", "split the content")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            path, f"is not UTF-8 (invalid byte at offset {exc.start})", "save the file as UTF-8"
        ) from None
    data = parse_mapping(path, text, fmt)
    return ContentFile(content=parse_content(data, path=path, platform_names=platform_names), path=path)


def parse_content(
    data: dict[str, Any], *, path: Path | None = None, platform_names: Iterable[str] = ()
) -> Content:
    """Validate a content mapping; errors name each field with a fix."""
    where = path or Path("<content>")
    data = dict(data)
    options = data.pop("platform_options", None) or {}
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise InvalidContent(
            f"{where}: platform_options must map platform names to mappings of options",
            problems=[Problem("platform_options", "must be a mapping of platform name -> options")],
            hint="write platform_options: {acme: {key: value}}, or put the options under the platform's name",
        )
    options = dict(options)
    for name in set(platform_names) - set(Content.model_fields):
        if name in data and isinstance(data[name], dict):
            options[name] = data.pop(name)
    if options:
        data["platform_options"] = options
    try:
        return Content.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()]
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidContent(
            f"{where}: {first}{more}",
            problems=problems,
            hint=_hint(exc.errors()[0]),
        ) from None


def _problem(error: Any) -> Problem:
    field = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(field, "is not a known key")
    if kind == "missing":
        return Problem(field, "is required")
    return Problem(field, str(error["msg"]))


def _hint(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "remove or correct the key; README 'Content file' lists the keys"
    if kind == "missing":
        return "add the key"
    return "correct the value"

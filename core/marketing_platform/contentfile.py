"""Reading content files: JSON, YAML, or Markdown with YAML front matter.

Every failure is an :class:`~marketing_platform.errors.InvalidContent` whose message
names the file and the field and says how to fix it; nothing is sent for a bad file.
"""

from __future__ import annotations

import difflib
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
    return InvalidContent(f"{path}: {message}", problems=problems or [Problem("", message, hint)], hint=hint)


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
        problems = [_problem(error, data) for error in exc.errors()]
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidContent(
            f"{where}: {first}{more}",
            problems=problems,
            hint=_hint(exc.errors()[0]),
        ) from None


#: An accepted example for each kind of value a content file can get wrong.
_EXAMPLES = {
    "datetime": "2026-12-01T09:00:00Z",
    "date": "2026-12-01",
    "decimal": "2000",
    "bool": "true",
}


def _problem(error: Any, data: dict[str, Any]) -> Problem:
    """One validation error as a Problem with the field, what is wrong and how to fix it
    (a close known key for a typo, an accepted example for a malformed value)."""
    location = [str(p) for p in error["loc"]]
    field = ".".join(location)
    kind = str(error["type"])
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(location[-1], _known_keys(location[:-1]), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "remove it; README 'Content files' lists the keys"
        return Problem(field, "is not a known key", hint)
    if kind == "missing":
        return Problem(field, "is required", f"add {location[-1]}:")
    message = str(error["msg"]).removeprefix("Value error, ")
    for word, example in _EXAMPLES.items():
        if kind.startswith(word) or (kind.startswith("timezone_aware") and word == "datetime"):
            return Problem(field, message, f"write it like {example}")
    if kind == "string_pattern_mismatch" and location == ["id"]:
        return Problem(
            field,
            f"{error.get('input')!r} is not an id (lower-case letters, digits, '.', '_', '-')",
            "write it like spring-launch-2026",
        )
    if kind == "enum" and location == ["kind"]:
        return Problem(field, message, "e.g. kind: blog_post")
    return Problem(field, message, "correct the value")


def _known_keys(parent: list[str]) -> list[str]:
    """The keys accepted at ``parent`` (a location inside Content), for "did you mean"."""
    model: Any = Content
    for part in parent:
        if part.isdigit():
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return []
        model = _model_of(info.annotation)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside ``annotation`` (``X | None``, ``list[X]``), if any."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _hint(error: Any) -> str:
    return _problem(error, {}).hint or "correct the value"

"""MkDocs hook: the user guide pages include README sections, so the README stays the
one source of that text.

A page line ``--8<-- "README.md:NAME"`` is replaced by the README text between the
markers ``<!-- --8<-- [start:NAME] -->`` and ``<!-- --8<-- [end:NAME] -->``. README
links are written for the repository root, so they are rewritten for the site:
``docs/PAGE.md`` becomes ``PAGE.md``; an anchor of another README section points at the
page that includes that section; links to other repository files (examples, benchmarks,
plugins) become their text, since the site does not publish those files.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"
_INCLUDE = re.compile(r'^--8<-- "README\.md:([\w-]+)"$', re.MULTILINE)
_SECTION = re.compile(r"<!-- --8<-- \[start:([\w-]+)\] -->\n(.*?)<!-- --8<-- \[end:\1\] -->", re.DOTALL)
_DOCS_LINK = re.compile(r"\]\(docs/([^)]+)\)")
_REPO_LINK = re.compile(r"\[([^\]]+)\]\((?:\.\./)?(?:examples|benchmarks|plugins|core|tests)/[^)]*\)")
_ANCHOR_LINK = re.compile(r"\]\(#([\w-]+)\)")
_HEADING = re.compile(r"^#{2,6} (.+)$", re.MULTILINE)


def _slug(title: str) -> str:
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", title.lower()).strip())


@cache
def _sections() -> dict[str, str]:
    return dict(_SECTION.findall(README.read_text(encoding="utf-8")))


@cache
def _pages_by_anchor() -> dict[str, str]:
    """Which included section (= docs page NAME.md) holds each README heading."""
    return {_slug(title): name for name, text in _sections().items() for title in _HEADING.findall(text)}


def _section(name: str) -> str:
    text = _sections()[name]
    text = _DOCS_LINK.sub(r"](\1)", text)
    text = _REPO_LINK.sub(lambda m: m.group(1), text)
    pages = _pages_by_anchor()
    return _ANCHOR_LINK.sub(
        lambda m: f"]({pages[m.group(1)]}.md#{m.group(1)})" if m.group(1) in pages else m.group(0), text
    )


def on_page_markdown(markdown: str, **_: Any) -> str:
    markdown = _INCLUDE.sub(lambda m: _section(m.group(1)), markdown)
    return _REPO_LINK.sub(lambda m: m.group(1), markdown)

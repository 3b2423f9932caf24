"""Images referenced in a content's body: found, uploaded like assets, then linked.

A body may reference local images (Markdown ``![alt](images/chart.png)``, rendered to
``<img>``, or ``<img src="images/chart.png">`` written as HTML). The pipeline loads each
local reference as an asset (the same checks as ``assets:``), uploads it once, and sends
the body with every local ``src`` replaced by the platform's URL, so no local path ever
reaches a vendor. Absolute URLs (``https://``, ``//host``, ``data:``, ``cid:``) are left
as they are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

__all__ = ["local_images", "local_path", "rewrite_images"]

# The src attribute of an <img> tag: group 1 is everything up to the value's quote,
# group 2 the quote (or nothing), group 3 the value. Quoted values of the attributes
# before it are stepped over whole, so a ">" or "src=" inside them is no match.
_IMG_SRC = re.compile(
    r"""(<img\b(?:"[^"]*"|'[^']*'|[^'">])*?\ssrc\s*=\s*)(["'])?((?(2)(?:(?!\2).)*|[^\s>]*))""",
    re.IGNORECASE | re.DOTALL,
)


class _ImageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            for name, value in attrs:
                if name == "src" and value:
                    self.sources.append(value.strip())


def local_path(src: str) -> str | None:
    """The relative file path ``src`` refers to, or None when it is not a local file
    (a URL with a scheme or host, a fragment, an empty value)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path or src.startswith("#"):
        return None
    return str(PurePosixPath(unquote(parts.path)))


def local_images(body: str | None) -> list[str]:
    """The ``src`` values of ``<img>`` tags in ``body`` that name local files, in order,
    each once (as written, entity references decoded)."""
    if not body or "<img" not in body.lower():
        return []
    parser = _ImageSources()
    parser.feed(body)
    parser.close()
    return list(dict.fromkeys(src for src in parser.sources if local_path(src) is not None))


def rewrite_images(body: str, urls: Mapping[str, str]) -> str:
    """``body`` with each ``<img src>`` found in ``urls`` (keys as returned by
    :func:`local_images`) replaced by its URL; everything else byte for byte."""
    if not urls:
        return body

    def replace(match: re.Match[str]) -> str:
        value = html.unescape(match.group(3)).strip()
        url = urls.get(value)
        if url is None:
            return match.group(0)
        quote = match.group(2) or '"'
        return f"{match.group(1)}{quote}{html.escape(url, quote=True)}" + ("" if match.group(2) else quote)

    return _IMG_SRC.sub(replace, body)

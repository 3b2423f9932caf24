"""Loading and validating assets before anything is sent.

A content file names its assets by path relative to the file. :func:`load_asset`
resolves the path inside the allowed root (no ``..`` escapes, no symlinks out), refuses
names with path components or control characters, detects the MIME type from the
file's magic bytes (the ``filetype`` library), rejects a file whose bytes contradict its
extension (a "PNG" that is really a ZIP), enforces the adapter's size limit, and records
the file's SHA-256 (an identical file is uploaded once per platform account).
"""

from __future__ import annotations

import hashlib
import mimetypes
import unicodedata
from pathlib import Path

from .errors import ContentRejected, Problem
from .models import Asset

# Types whose content cannot be detected by magic bytes: accepted when the extension says so.
_TEXT_TYPES = {
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".json": "application/json",
    ".ics": "text/calendar",
}


#: Bytes of text files: printable ASCII, any byte >= 0x80 (UTF-8 or a legacy 8-bit
#: encoding) and the usual controls (BEL, BS, TAB, LF, FF, CR, ESC); anything else
#: (NUL, the other C0 controls, DEL) only occurs in binary data.
_TEXT_BYTES = bytes({7, 8, 9, 10, 12, 13, 27} | set(range(0x20, 0x100)) - {0x7F})


def _is_text(data: bytes) -> bool:
    return not data.translate(None, _TEXT_BYTES)


def _bad_name(name: str) -> str | None:
    # Checked as written and NFKC-folded: a vendor that normalises names would turn a
    # fullwidth solidus (U+FF0F), reverse solidus (U+FF3C) or full stops into "/", "\\", ".".
    forms = (name, unicodedata.normalize("NFKC", name))
    if not name:
        return "is empty"
    if any(form in {".", ".."} or "/" in form or "\\" in form for form in forms):
        return "must be a plain file name without folders"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "contains control characters"
    if len(name.encode()) > 255:
        return "is longer than 255 bytes"
    return None


def _expected_types(suffix: str) -> set[str]:
    guessed = mimetypes.types_map.get(suffix.lower())
    aliases = {".jpg": {"image/jpeg"}, ".jpeg": {"image/jpeg"}, ".tif": {"image/tiff"}}
    types = set(aliases.get(suffix.lower(), set()))
    if guessed:
        types.add(guessed)
    return types


def load_asset(asset: Asset, root: Path, *, max_bytes: int, field: str = "assets") -> Asset:
    """``asset`` with ``path`` resolved and ``mime_type`` / ``size`` / ``sha256`` filled in.

    Raises :class:`ContentRejected` (with the field path) when the asset is unsafe or
    invalid. The file is read once (within ``max_bytes``, checked first).
    """
    import filetype

    shown = repr(str(asset.path))  # until the full path is known (and safe to print)

    def reject(message: str, hint: str) -> ContentRejected:
        return ContentRejected(
            f"asset {shown} {message}",
            problems=[Problem(f"{field}.path", f"{shown} {message}", hint)],
            hint=hint,
        )

    raw = str(asset.path)
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise reject("contains control characters", "rename the file")
    name_problem = _bad_name(asset.name) if asset.name is not None else None
    if name_problem:
        raise reject(f"has a name that {name_problem}", "use a plain file name such as hero.png")
    root = root.resolve()
    candidate = asset.path if asset.path.is_absolute() else root / asset.path
    resolved = candidate.resolve()
    shown = str(resolved)
    if not resolved.is_relative_to(root):
        raise reject(
            "points outside the content folder",
            f"keep assets inside {root} and refer to them with a relative path",
        )
    if not resolved.is_file():
        raise reject("does not exist or is not a file", f"check the path (relative to {root})")
    name_problem = _bad_name(asset.name or resolved.name)
    if name_problem:
        raise reject(f"has a file name that {name_problem}", "rename the file")
    size = resolved.stat().st_size
    if size == 0:
        raise reject("is empty", "export the file again")
    if size > max_bytes:
        raise reject(
            f"is {size:,} bytes, over the platform's limit of {max_bytes:,} bytes",
            "compress or resize the file",
        )
    data = resolved.read_bytes()
    head = data[:8192]
    kind = filetype.guess(head)
    suffix = resolved.suffix.lower()
    expected = _expected_types(suffix)
    if kind is None:
        text_type = _TEXT_TYPES.get(suffix)
        if text_type is None:
            raise reject(
                "has content whose type cannot be recognised",
                "use a common image, document or video format with the matching extension",
            )
        if not _is_text(data):  # the whole file: binary data may start after a text header
            raise reject(f"claims to be {text_type} but holds binary data", "check the file")
        mime = text_type
    else:
        mime = kind.mime
        if expected and mime not in expected:
            raise reject(
                f"has the extension {suffix!r} but its bytes are {mime}",
                f"rename it to .{kind.extension} or export it as {suffix.lstrip('.').upper()}",
            )
    return asset.model_copy(
        update={"path": resolved, "mime_type": mime, "size": size, "sha256": hashlib.sha256(data).hexdigest()}
    )


def load_assets(assets: list[Asset], root: Path, *, max_bytes: int) -> list[Asset]:
    """Every asset loaded; all problems reported together in one ContentRejected."""
    loaded: list[Asset] = []
    problems: list[Problem] = []
    for index, asset in enumerate(assets):
        try:
            loaded.append(load_asset(asset, root, max_bytes=max_bytes, field=f"assets[{index}]"))
        except ContentRejected as exc:
            problems.extend(exc.problems)
            first = exc
    if problems:
        raise ContentRejected(
            first.message if len(problems) == 1 else f"{len(problems)} assets are invalid",
            problems=problems,
            hint=first.hint,
        )
    return loaded

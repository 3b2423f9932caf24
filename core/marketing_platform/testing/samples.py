"""Sample inputs for conformance tests: content of every kind, a campaign, an image."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from ..assets import load_asset
from ..models import Asset, Audience, CampaignSpec, Content, ContentKind, EmailSpec, LandingPageSpec

SAMPLE_LIST = "Conformance Kit List"
#: The template the email and landing-page samples name (Marketo needs one for both).
SAMPLE_TEMPLATE = "Conformance Kit Template"


def sample_content(kind: ContentKind | str) -> Content:
    """A small valid :class:`Content` of ``kind`` (no assets, no schedule, no campaign).

    Email samples go to the audience :data:`SAMPLE_LIST` from ``kit@example.com``; email
    and landing-page samples name the template :data:`SAMPLE_TEMPLATE`. Give your fake
    that list and template, or override the ``sample_content`` fixture.
    """
    kind = ContentKind(kind)
    base: dict[str, object] = {
        "kind": kind,
        "title": f"Conformance kit {kind.value.replace('_', ' ')}",
        "summary": "Published by the marketing-platform conformance kit.",
        "body": "<h1>Conformance kit</h1><p>Hello from the conformance kit.</p>",
        "tags": ["conformance"],
    }
    if kind is ContentKind.EMAIL:
        base["email"] = EmailSpec(
            template=SAMPLE_TEMPLATE,
            subject="Conformance kit email",
            from_name="Conformance Kit",
            from_email="kit@example.com",
            reply_to="kit@example.com",
        )
        base["audience"] = Audience(lists=[SAMPLE_LIST])
    if kind is ContentKind.LANDING_PAGE:
        base["landing_page"] = LandingPageSpec(
            template=SAMPLE_TEMPLATE, title="Conformance kit page", url_page_name="conformance-kit"
        )
    return Content.model_validate(base)


def sample_campaign(name: str = "Conformance Kit Campaign") -> CampaignSpec:
    """A minimal campaign spec (name only) that every platform accepts."""
    return CampaignSpec(name=name, description="Created by the marketing-platform conformance kit")


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A valid, tiny, grey PNG image."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def sample_asset(folder: Path, name: str = "conformance-kit.png", *, max_bytes: int = 1 << 20) -> Asset:
    """Write a tiny PNG to ``folder`` and return it as a loaded, validated Asset."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(png_bytes())
    return load_asset(Asset(path=Path(name), alt_text="A grey pixel"), folder, max_bytes=max_bytes)

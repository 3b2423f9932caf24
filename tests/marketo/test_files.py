"""Design Studio file uploads: multipart shape, Content-Type, insertOnly, closed handles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marketing_platform.models import Asset

from .fake_marketo import FakeMarketo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def hero(tmp_path: Path) -> Asset:
    path = tmp_path / "hero.png"
    path.write_bytes(PNG)
    return Asset(path=path, alt_text="A rocket", role="featured", mime_type="image/png", size=len(PNG))


def test_upload_body_shape_and_handle_closed(platform, fake: FakeMarketo, hero: Asset, monkeypatch) -> None:
    opened: list[Any] = []
    original = Path.open

    def spy(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = original(self, *args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(Path, "open", spy)
    response = platform.upload_assets([hero])

    call = next(c for c in fake.calls if c.path.endswith("/files.json"))
    assert call.content_type.startswith("multipart/form-data")
    part = call.files["file"]
    assert (part.filename, part.content_type, part.data) == ("hero.png", "image/png", PNG)
    assert call.form["name"] == "hero.png"
    assert call.form["insertOnly"] == "true"
    assert call.form["description"] == "A rocket"
    assert json.loads(call.form["folder"]) == {"id": fake.folder_id("Images and Files"), "type": "Folder"}
    assert opened
    assert all(h.closed for h in opened)
    result = response.results[0]
    assert (result.url or "").endswith("/hero.png")
    assert (result.external_id or "").startswith("file:")
    assert (result.mime_type, result.size, result.role) == ("image/png", len(PNG), "featured")


def test_the_same_file_is_reused_without_uploading(platform, fake: FakeMarketo, hero: Asset) -> None:
    # A fresh activation log forgets what was uploaded: the file of that name and size
    # Marketo holds is found and reused, with no write at all.
    first = platform.upload_assets([hero])
    before = len(fake.calls)
    second = platform.upload_assets([hero])

    assert second.results[0].external_id == first.results[0].external_id
    assert second.results[0].url == first.results[0].url
    assert not second.warnings
    assert len(fake.files) == 1
    assert [c.method for c in fake.calls[before:]] == ["GET"]


def test_insert_only_reuses_a_different_file_of_that_name(
    platform, fake: FakeMarketo, hero: Asset, tmp_path: Path
) -> None:
    first = platform.upload_assets([hero])
    other = tmp_path / "other" / "hero.png"
    other.parent.mkdir()
    other.write_bytes(PNG + b"\x00" * 10)
    second = platform.upload_assets([Asset(path=other, mime_type="image/png", size=len(PNG) + 10)])

    assert second.results[0].external_id == first.results[0].external_id
    assert "not overwritten (MARKETO_INSERT_ONLY)" in second.warnings[0]
    file_id = int((first.results[0].external_id or "").removeprefix("file:"))
    assert fake.files[file_id]["data"] == PNG  # not overwritten
    assert sum(c.path.endswith("/files.json") for c in fake.calls) == 1


def test_a_709_on_upload_reuses_the_file_created_meanwhile(platform, fake: FakeMarketo, hero: Asset) -> None:
    # Another run uploads the file between our look-up and our upload: its 709 is
    # answered by reusing that file.
    fake.before("POST", "/files.json", lambda: platform.upload_assets([hero]) and None)
    response = platform.upload_assets([hero])

    assert len(fake.files) == 1
    assert "exists already; reused it" in response.warnings[0]


def test_overwrite_when_insert_only_is_off(
    make_platform, fake: FakeMarketo, hero: Asset, tmp_path: Path
) -> None:
    platform = make_platform(insert_only=False)
    platform.upload_assets([hero])
    platform.upload_assets([hero])  # the same bytes: nothing to overwrite
    changed = tmp_path / "new" / "hero.png"
    changed.parent.mkdir()
    changed.write_bytes(PNG + b"\x01" * 8)
    platform.upload_assets([Asset(path=changed, mime_type="image/png", size=len(PNG) + 8)])

    calls = [c for c in fake.calls if c.path.endswith("/files.json")]
    assert [c.form["insertOnly"] for c in calls] == ["false", "false"]
    assert all(c.code is None for c in calls)
    assert [f["data"] for f in fake.files.values()] == [PNG + b"\x01" * 8]


def test_featured_image_becomes_a_token(platform, fake: FakeMarketo, hero: Asset) -> None:
    from marketing_platform.models import Content

    assets = platform.upload_assets([hero])
    response = platform.publish_content(Content(kind="event", title="Event"), assets=assets)

    tokens = fake.tokens[response.metadata["program_id"]]
    assert tokens["Content Image"]["value"] == assets.results[0].url

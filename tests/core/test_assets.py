"""Asset validation: MIME from magic bytes, size limits, paths that stay inside the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketing_platform.activation import Activator
from marketing_platform.assets import load_asset, load_assets
from marketing_platform.errors import ContentRejected
from marketing_platform.log import ActivationLog
from marketing_platform.models import Asset
from marketing_platform.registry import Registry

from .helpers import JPEG_BYTES, PDF_BYTES, ZIP_BYTES, AdapterPlugin, blog_post, make_recorder, png_bytes

LIMIT = 1024 * 1024


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


def _load(root: Path, path: str | Path, **fields: object) -> Asset:
    return load_asset(Asset.model_validate({"path": path, **fields}), root, max_bytes=LIMIT)


def test_valid_png_gets_its_mime_type_size_and_resolved_path(root: Path) -> None:
    data = png_bytes(3, 2)
    (root / "images").mkdir()
    (root / "images" / "hero.png").write_bytes(data)

    asset = _load(root, "images/hero.png", alt_text="A rocket")

    assert asset.mime_type == "image/png"
    assert asset.size == len(data)
    assert asset.path == (root / "images" / "hero.png").resolve()
    assert asset.alt_text == "A rocket"
    assert asset.filename == "hero.png"


@pytest.mark.parametrize(
    ("data", "actual"),
    [(JPEG_BYTES, "image/jpeg"), (ZIP_BYTES, "application/zip"), (PDF_BYTES, "application/pdf")],
)
def test_file_whose_bytes_contradict_its_extension_is_rejected_saying_what_it_is(
    root: Path, data: bytes, actual: str
) -> None:
    (root / "hero.png").write_bytes(data)

    with pytest.raises(ContentRejected) as caught:
        _load(root, "hero.png")

    text = str(caught.value)
    assert ".png" in text
    assert actual in text
    assert caught.value.problems[0].field == "assets.path"


def test_jpeg_with_jpg_extension_is_accepted(root: Path) -> None:
    (root / "photo.jpg").write_bytes(JPEG_BYTES)

    assert _load(root, "photo.jpg").mime_type == "image/jpeg"


def test_unrecognisable_binary_is_rejected(root: Path) -> None:
    (root / "blob.png").write_bytes(b"\x00\x01\x02garbage" * 10)

    with pytest.raises(ContentRejected, match="cannot be recognised"):
        _load(root, "blob.png")


def test_file_over_the_size_limit_is_rejected_with_both_sizes(root: Path) -> None:
    (root / "big.png").write_bytes(png_bytes(64, 64))
    size = (root / "big.png").stat().st_size

    with pytest.raises(ContentRejected) as caught:
        load_asset(Asset(path=Path("big.png")), root, max_bytes=size - 1)

    assert f"{size:,} bytes" in str(caught.value)
    assert f"{size - 1:,} bytes" in str(caught.value)
    assert load_asset(Asset(path=Path("big.png")), root, max_bytes=size).size == size


def test_adapter_max_asset_bytes_is_enforced_before_anything_is_sent(
    registry: Registry, activation_log: ActivationLog, root: Path
) -> None:
    tiny = make_recorder("tiny", max_asset_bytes=50)
    registry.register_plugin(AdapterPlugin(tiny))
    (root / "hero.png").write_bytes(png_bytes(8, 8))
    content = blog_post(assets=[{"path": "hero.png"}])

    with (
        Activator(registry=registry, activation_log=activation_log) as activator,
        pytest.raises(ContentRejected, match="over the platform's limit of 50 bytes"),
    ):
        activator.activate(content, "tiny", asset_root=root)

    assert tiny.calls == []
    assert activation_log.list() == []


def test_relative_path_escaping_the_root_is_refused(root: Path) -> None:
    (root.parent / "secret.png").write_bytes(png_bytes())

    with pytest.raises(ContentRejected, match="points outside the content folder"):
        _load(root, "../secret.png")


def test_absolute_path_outside_the_root_is_refused(root: Path) -> None:
    outside = root.parent / "secret.png"
    outside.write_bytes(png_bytes())

    with pytest.raises(ContentRejected, match="points outside the content folder"):
        _load(root, outside)


def test_absolute_path_inside_the_root_is_accepted(root: Path) -> None:
    (root / "hero.png").write_bytes(png_bytes())

    assert _load(root, root / "hero.png").mime_type == "image/png"


def test_symlink_escaping_the_root_is_refused(root: Path) -> None:
    outside = root.parent / "secret.png"
    outside.write_bytes(png_bytes())
    (root / "innocent.png").symlink_to(outside)

    with pytest.raises(ContentRejected, match="points outside the content folder"):
        _load(root, "innocent.png")


def test_symlinked_folder_escaping_the_root_is_refused(root: Path) -> None:
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hero.png").write_bytes(png_bytes())
    (root / "images").symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(ContentRejected, match="points outside the content folder"):
        _load(root, "images/hero.png")


@pytest.mark.parametrize("name", ["he\x07ro.png", "hero\x1b[31m.png", "line\nbreak.png"])
def test_control_characters_in_the_path_are_refused(root: Path, name: str) -> None:
    with pytest.raises(ContentRejected, match="control characters"):
        _load(root, name)


@pytest.mark.parametrize(("name", "problem"), [("a/b.png", "plain file name"), ("bad\x00.png", "control")])
def test_upload_name_with_folders_or_control_characters_is_refused(
    root: Path, name: str, problem: str
) -> None:
    (root / "hero.png").write_bytes(png_bytes())

    with pytest.raises(ContentRejected, match=problem):
        _load(root, "hero.png", name=name)


def test_empty_file_is_refused(root: Path) -> None:
    (root / "empty.png").write_bytes(b"")

    with pytest.raises(ContentRejected, match="is empty"):
        _load(root, "empty.png")


def test_missing_file_is_refused(root: Path) -> None:
    with pytest.raises(ContentRejected, match="does not exist"):
        _load(root, "nowhere.png")


def test_every_invalid_asset_is_reported_together_with_its_index(root: Path) -> None:
    (root / "ok.png").write_bytes(png_bytes())
    (root / "fake.png").write_bytes(ZIP_BYTES)
    assets = [Asset(path=Path("ok.png")), Asset(path=Path("fake.png")), Asset(path=Path("../x.png"))]

    with pytest.raises(ContentRejected) as caught:
        load_assets(assets, root, max_bytes=LIMIT)

    assert [p.field for p in caught.value.problems] == ["assets[1].path", "assets[2].path"]
    assert "2 assets are invalid" in caught.value.message


def test_alt_text_is_carried_through_to_the_activation_result_and_log(
    registry: Registry, activation_log: ActivationLog, root: Path
) -> None:
    (root / "hero.png").write_bytes(png_bytes())
    content = blog_post(assets=[{"path": "hero.png", "alt_text": "A rocket lifting off", "role": "featured"}])

    with Activator(registry=registry, activation_log=activation_log) as activator:
        result = activator.activate(content, "mock", asset_root=root)

    assert result.ok
    assert result.assets is not None
    (uploaded,) = result.assets.results
    assert uploaded.alt_text == "A rocket lifting off"
    assert uploaded.role == "featured"
    assert uploaded.mime_type == "image/png"
    stored = activation_log.get(result.record.id).steps["assets"]["results"][0]
    assert stored["alt_text"] == "A rocket lifting off"


# ------------------------------------------------------------------------ text types
SVG = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n'


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("logo.svg", SVG, "image/svg+xml"),
        ("notes.txt", "Caf\u00e9 opens at 9\tsharp.\r\nBring \x1b[1mshoes\x1b[0m.\n".encode(), "text/plain"),
        ("prices.csv", "sku,name,price\n1,Caf\u00e9,3.50\n2,Tea,2.00\n".encode("cp1252"), "text/csv"),
        ("page.html", b"<!doctype html><html><body><p>Hi</p></body></html>\n", "text/html"),
        ("data.json", b'{"items": [1, 2, 3], "name": "launch"}\n', "application/json"),
    ],
)
def test_valid_text_asset_is_accepted_with_the_mime_type_of_its_extension(
    root: Path, name: str, data: bytes, mime: str
) -> None:
    (root / name).write_bytes(data)

    asset = _load(root, name)

    assert (asset.mime_type, asset.size) == (mime, len(data))


#: Binary data that no magic-byte signature recognises: what a text extension must refuse.
_BINARY_CASES = {
    "nul-bytes": b"\x00\x01\x02\x03garbage" * 10,
    "control-bytes-without-nul": bytes(range(1, 9)) + b"\x0e\x0f\x10\x11\x7f" + bytes(range(0x80, 0x100)),
    "binary-after-a-text-header": b"id,name\n" + b"1,ok\n" * 2000 + b"\x00\x00\x03\x04" * 64,
}


@pytest.mark.parametrize("suffix", [".txt", ".svg", ".html", ".csv", ".json"])
@pytest.mark.parametrize("data", list(_BINARY_CASES.values()), ids=list(_BINARY_CASES))
def test_binary_data_under_a_text_extension_is_rejected(root: Path, suffix: str, data: bytes) -> None:
    (root / f"file{suffix}").write_bytes(data)

    with pytest.raises(ContentRejected, match="holds binary data") as caught:
        _load(root, f"file{suffix}")

    assert caught.value.problems[0].field == "assets.path"


@pytest.mark.parametrize("suffix", [".txt", ".svg", ".csv"])
def test_a_known_binary_format_under_a_text_extension_is_rejected_saying_what_it_is(
    root: Path, suffix: str
) -> None:
    (root / f"image{suffix}").write_bytes(png_bytes())

    with pytest.raises(ContentRejected, match="its bytes are image/png"):
        _load(root, f"image{suffix}")


# ---------------------------------------------------------------- backslashes in names
def test_file_whose_name_holds_a_backslash_is_refused(root: Path) -> None:
    (root / "images\\x.png").write_bytes(png_bytes())  # one file, a backslash in its name

    with pytest.raises(ContentRejected, match="plain file name without folders"):
        _load(root, "images\\x.png")


@pytest.mark.parametrize(
    "name",
    [
        "images\\x.png",
        "..\\..\\x.png",
        "\\x.png",
        "images\uff3cx.png",  # a fullwidth reverse solidus: a backslash once NFKC-normalised
        "images\uff0fx.png",  # a fullwidth solidus: "/" once normalised
        "\uff0e\uff0e",  # fullwidth full stops: ".." once normalised
    ],
)
def test_upload_name_with_a_backslash_or_its_lookalikes_is_refused(root: Path, name: str) -> None:
    (root / "hero.png").write_bytes(png_bytes())

    with pytest.raises(ContentRejected, match="plain file name without folders"):
        _load(root, "hero.png", name=name)


def test_upload_name_is_checked_even_when_the_file_is_missing(root: Path) -> None:
    with pytest.raises(ContentRejected, match="plain file name without folders"):
        _load(root, "nowhere.png", name="a\\b.png")

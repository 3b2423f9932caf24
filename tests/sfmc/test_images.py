"""Images: uploaded once as Content Builder image assets (base64), the body stored on the
fake holds their publishedURL and no local path; reused by customerKey with a fresh log."""

from __future__ import annotations

import base64
from pathlib import Path

from marketing_platform.activation import ActivationResult
from marketing_platform.assets import load_asset
from marketing_platform.models import Asset, Content

from .conftest import MakeActivator, MakeAdapter, email, write_png
from .fake_sfmc import CDN, FakeSfmc

MARKDOWN = "# Chart\n\n![chart](images/chart.png)\n\nAgain: ![chart](images/chart.png)\n"
HTML = '<p>Chart</p><img src="images/chart.png" alt="chart">'


def _activate(
    make_activator: MakeActivator, content: Content, root: Path, log: str = "activations"
) -> ActivationResult:
    with make_activator(log) as activator:
        return activator.activate(content, "sfmc", asset_root=root)


def _bodies(fake: FakeSfmc) -> list[str]:
    return [a["views"]["html"]["content"] for a in fake.of_type(208)]


def test_inline_images_are_uploaded_once_and_linked(
    make_activator: MakeActivator, fake: FakeSfmc, tmp_path: Path
) -> None:
    write_png(tmp_path, "images/chart.png")
    markdown = email(id="md", body=None, body_markdown=MARKDOWN)
    html = email(id="html", body=HTML)
    first = _activate(make_activator, markdown, tmp_path)
    second = _activate(make_activator, html, tmp_path)
    assert first.ok, first.error
    assert second.ok, second.error
    (image,) = fake.of_type(28)
    url = image["fileProperties"]["publishedURL"]
    assert url.startswith(CDN)
    assert fake.files[image["id"]] == (tmp_path / "images/chart.png").read_bytes()
    (upload,) = [r for r in fake.calls("POST", "/asset/v1/content/assets") if r.body["assetType"]["id"] == 28]
    assert base64.b64decode(upload.body["file"]) == fake.files[image["id"]]
    for body in _bodies(fake):
        assert url in body
        assert "images/chart.png" not in body
    assert first.assets.results[0].url == url
    assert second.assets.action == "unchanged"

    # A third run (and one with a fresh log) uploads nothing and writes nothing.
    for log in ("activations", "fresh"):
        mark = len(fake.requests)
        again = _activate(make_activator, markdown, tmp_path, log)
        assert again.publish.action == "unchanged"
        assert fake.writes(mark) == []
    assert len(fake.of_type(28)) == 1


def test_a_file_already_in_content_builder_is_reused(
    make_adapter: MakeAdapter, fake: FakeSfmc, tmp_path: Path
) -> None:
    write_png(tmp_path, "hero.png")
    asset = load_asset(Asset(path=Path("hero.png"), role="featured"), tmp_path, max_bytes=1 << 20)
    first = make_adapter().upload_assets([asset]).results[0]
    mark = len(fake.requests)
    again = make_adapter().upload_assets([asset]).results[0]
    assert again.external_id == first.external_id
    assert again.url == first.url
    assert fake.writes(mark) == []


def test_other_bytes_under_a_taken_name_get_a_hashed_name(
    make_adapter: MakeAdapter, fake: FakeSfmc, tmp_path: Path
) -> None:
    adapter = make_adapter()
    write_png(tmp_path / "a", "hero.png", shade=1)
    write_png(tmp_path / "b", "hero.png", shade=2)
    one = load_asset(Asset(path=Path("hero.png")), tmp_path / "a", max_bytes=1 << 20)
    two = load_asset(Asset(path=Path("hero.png")), tmp_path / "b", max_bytes=1 << 20)
    first = adapter.upload_assets([one]).results[0]
    second = adapter.upload_assets([two]).results[0]
    assert first.url != second.url
    names = sorted(a["name"] for a in fake.of_type(28))
    assert names == ["hero-" + str(two.sha256)[:8] + ".png", "hero.png"]


def test_published_url_read_when_the_create_answer_lacks_it(
    make_adapter: MakeAdapter, fake: FakeSfmc, tmp_path: Path
) -> None:
    """Whether a create's answer carries publishedURL is not documented: read it then."""
    fake.url_in_create_answer = False
    write_png(tmp_path, "hero.png")
    asset = load_asset(Asset(path=Path("hero.png")), tmp_path, max_bytes=1 << 20)
    result = make_adapter().upload_assets([asset]).results[0]
    (image,) = fake.of_type(28)
    assert result.url == image["fileProperties"]["publishedURL"]
    assert fake.calls("GET", f"/asset/v1/content/assets/{image['id']}")


def test_featured_image_is_placed_at_the_top(
    make_activator: MakeActivator, fake: FakeSfmc, tmp_path: Path
) -> None:
    write_png(tmp_path, "hero.png")
    content = email(assets=[{"path": "hero.png", "role": "featured", "alt_text": "A rocket"}])
    assert _activate(make_activator, content, tmp_path).ok
    (image,) = fake.of_type(28)
    (body,) = _bodies(fake)
    assert body.startswith(f'<img src="{image["fileProperties"]["publishedURL"]}" alt="A rocket">')

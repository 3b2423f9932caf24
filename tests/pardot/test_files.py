"""Files: multipart uploads to the files object, reused by their hashed name, images in
bodies uploaded once and linked by their Account Engagement URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketing_platform.assets import load_asset
from marketing_platform.errors import ContentRejected
from marketing_platform.models import Asset
from marketing_platform.testing import png_bytes

from .conftest import AdapterFactory, Run, email, page
from .fake_pardot import FakePardot

FILES = "/api/v5/objects/files"


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    path = tmp_path / "images" / "chart.png"
    path.write_bytes(png_bytes(2, 2))
    return path


def test_upload_is_multipart_with_an_input_part(
    make_adapter: AdapterFactory, fake: FakePardot, chart: Path
) -> None:
    asset = load_asset(
        Asset(path=Path("images/chart.png"), alt_text="Chart"), chart.parent.parent, max_bytes=1 << 20
    )
    assert asset.sha256 is not None
    response = make_adapter(folder="/Marketing/Emails").upload_assets([asset])
    (result,) = response.results
    (stored,) = fake.objects("files")
    hashed = f"chart-{asset.sha256[:8]}.png"
    assert stored["name"] == hashed
    assert result.url == stored["url"]
    assert str(result.url).endswith(hashed)
    assert result.external_id == str(stored["id"])
    (call,) = fake.calls_to("POST", FILES)
    assert call.files["file"]["filename"] == hashed
    assert call.files["file"]["content_type"] == "image/png"
    assert call.files["file"]["content"] == chart.read_bytes()
    assert json.loads(call.files["input"]["content"]) == {"name": hashed, "folderId": stored["folderId"]}


def test_body_images_are_uploaded_once_and_linked(run: Run, fake: FakePardot, chart: Path) -> None:
    markdown = page(id="chart-page", body=None, body_markdown="# Chart\n\n![chart](images/chart.png)\n")
    html = email(
        id="chart-mail",
        body='<p><img src="images/chart.png" alt="c"></p><p>Again: <img src=\'images/chart.png\'></p>',
    )
    first = run(markdown)
    assert first.ok, first.error
    assert run(html).ok
    again = run(markdown)
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert again.assets is not None
    assert again.assets.action == "unchanged"

    (stored,) = fake.objects("files")
    assert len(fake.calls_to("POST", FILES)) == 1
    url = stored["url"]
    (layout,) = fake.objects("layout-templates")
    assert f'src="{url}"' in layout["layoutContent"]
    (sent,) = fake.objects("list-emails")
    assert sent["htmlMessage"].count(url) == 2
    for text in (layout["layoutContent"], sent["htmlMessage"]):
        assert "images/chart.png" not in text


def test_a_fresh_log_reuses_the_file_already_uploaded(run: Run, fake: FakePardot, chart: Path) -> None:
    content = page(body='<img src="images/chart.png">')
    assert run(content).ok
    writes = len(fake.writes())
    again = run(content, log="fresh")
    assert again.ok, again.error
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert len(fake.writes()) == writes  # the file was found by its hashed name
    assert len(fake.objects("files")) == 1


def test_a_file_of_the_same_name_but_other_size_is_not_reused(
    make_adapter: AdapterFactory, fake: FakePardot, chart: Path
) -> None:
    asset = load_asset(Asset(path=Path("images/chart.png")), chart.parent.parent, max_bytes=1 << 20)
    assert asset.sha256 is not None
    fake.add("files", name=f"chart-{asset.sha256[:8]}.png", size=1, url="https://go.acme.example/old.png")
    result = make_adapter().upload_assets([asset]).results[0]
    assert result.url != "https://go.acme.example/old.png"
    assert len(fake.calls_to("POST", FILES)) == 1


@pytest.mark.parametrize(("code", "message"), [(194, "Invalid MIME type"), (204, "File too large")])
def test_refused_files_are_content_errors(
    make_adapter: AdapterFactory, fake: FakePardot, chart: Path, code: int, message: str
) -> None:
    asset = load_asset(Asset(path=Path("images/chart.png")), chart.parent.parent, max_bytes=1 << 20)
    fake.fail_next(code, message, method="POST", path=FILES)
    with pytest.raises(ContentRejected) as caught:
        make_adapter().upload_assets([asset])
    assert caught.value.code == str(code)
    assert len(fake.calls_to("POST", FILES)) == 1


def test_the_fake_refuses_what_pardot_refuses(make_adapter: AdapterFactory, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("")
    empty = Asset(path=tmp_path / "notes.txt", mime_type="text/plain", sha256="0" * 64, size=0)
    with pytest.raises(ContentRejected) as caught:
        make_adapter().upload_assets([empty])
    assert caught.value.code == "204"


def test_a_body_still_naming_a_local_image_is_never_sent(
    make_adapter: AdapterFactory, fake: FakePardot
) -> None:
    """Outside the pipeline (or if the pipeline missed one, e.g. an unquoted ``src``), a
    local path must not reach a list email: it is sent at once and cannot be fixed."""
    with pytest.raises(ContentRejected) as caught:
        make_adapter().publish_content(email(body="<p><img src=images/chart.png></p>"))
    assert caught.value.problems[-1].field == "body"
    assert "images/chart.png" in caught.value.problems[-1].message
    assert fake.requests == []

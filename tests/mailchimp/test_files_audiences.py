"""File manager uploads and audiences resolved by name."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from marketing_platform.assets import load_asset
from marketing_platform.errors import ContentRejected, NotFound
from marketing_platform.models import Asset, AssetResult, AssetsResponse
from marketing_platform.testing import png_bytes, sample_asset
from marketing_platform_mailchimp import MailchimpPlatform

from .conftest import MakeAdapter, email
from .fake_mailchimp import FakeMailchimp


def test_upload_sends_the_file_base64_encoded(
    adapter: MailchimpPlatform, fake: FakeMailchimp, tmp_path: Path
) -> None:
    asset = sample_asset(tmp_path, "hero.png")
    response = adapter.upload_assets([asset])

    sent = fake.calls("POST", "/file-manager/files")[0].body
    name = f"hero.{hashlib.sha256(png_bytes()).hexdigest()[:12]}.png"  # the bytes' identity
    assert sent == {"name": name, "file_data": base64.b64encode(png_bytes()).decode()}
    result = response.results[0]
    assert result.name == "hero.png"
    assert result.external_id == str(next(iter(fake.files.values()))["id"])
    assert result.url
    assert result.url.endswith(f"/{name}")
    assert fake.files[result.external_id]["data"] == png_bytes()


def test_upload_into_the_configured_folder(
    make_adapter: MakeAdapter, fake: FakeMailchimp, tmp_path: Path
) -> None:
    make_adapter(file_folder_id=42).upload_assets([sample_asset(tmp_path)])
    assert fake.calls("POST", "/file-manager/files")[0].body["folder_id"] == 42


def test_an_uploaded_file_is_found_by_a_new_adapter_not_copied(
    make_adapter: MakeAdapter, fake: FakeMailchimp, tmp_path: Path
) -> None:
    asset = sample_asset(tmp_path, "hero.png")
    first = make_adapter().upload_assets([asset]).results[0]
    again = make_adapter().upload_assets([asset])
    assert again.results[0].url == first.url
    assert again.results[0].action == "unchanged"
    assert again.warnings
    assert len(fake.calls("POST", "/file-manager/files")) == 1
    assert fake.calls("GET", "/file-manager/files")[-1].query["fields"] == [
        "files.id,files.name,files.size,files.full_size_url,total_items"
    ]


def test_a_file_named_like_the_asset_but_holding_other_bytes_is_not_taken_for_it(
    adapter: MailchimpPlatform, fake: FakeMailchimp, tmp_path: Path
) -> None:
    (tmp_path / "chart.png").write_bytes(png_bytes(5, 5))
    asset = load_asset(Asset(path=Path("chart.png")), tmp_path, max_bytes=1 << 20)
    other = png_bytes(6, 6)
    assert len(other) == asset.size  # same name, same size, other image
    fake.add_file("chart.png", other)
    fake.add_file(adapter.mapper.upload_name("chart.png", hashlib.sha256(other).hexdigest()), other)
    result = adapter.upload_assets([asset]).results[0]
    assert result.action == "created"
    assert fake.files[str(result.external_id)]["data"] == png_bytes(5, 5)


def test_images_over_one_megabyte_are_refused_before_sending(
    adapter: MailchimpPlatform, fake: FakeMailchimp, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\0" * (1024 * 1024))
    asset = Asset(path=big, mime_type="image/png", size=big.stat().st_size)
    with pytest.raises(ContentRejected, match="1 MB"):
        adapter.upload_assets([asset])
    assert not fake.requests


def test_featured_image_leads_the_email(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    uploaded = AssetsResponse(
        platform="mailchimp",
        results=[
            AssetResult(
                name="hero.png", url="https://cdn.example/hero.png", role="featured", alt_text="A <b>"
            )
        ],
    )
    result = adapter.publish_content(email(), assets=uploaded)
    html = fake.contents[str(result.external_id)]["html"]
    assert html.startswith('<img src="https://cdn.example/hero.png" alt="A &lt;b&gt;">')


def test_audience_is_resolved_by_name_once(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    list_id = fake.add_audience("Partners")
    assert adapter.audience_id("Partners") == list_id
    assert adapter.audience_id("Newsletter subscribers")
    assert len(fake.calls("GET", "/lists")) == 1


def test_missing_audience_is_named(adapter: MailchimpPlatform, fake: FakeMailchimp) -> None:
    with pytest.raises(NotFound) as caught:
        adapter.publish_content(email(audience={"lists": ["Nobody"]}))
    assert "'Nobody'" in caught.value.message
    assert "Newsletter subscribers" in str(caught.value.hint)
    assert not fake.sends


def test_missing_segment_is_named(adapter: MailchimpPlatform) -> None:
    content = email(platform_options={"mailchimp": {"segment": "Ghosts"}})
    with pytest.raises(NotFound, match="'Ghosts'"):
        adapter.publish_content(content)


def test_default_audience_and_sender_from_settings(make_adapter: MakeAdapter, fake: FakeMailchimp) -> None:
    adapter = make_adapter(audience="Newsletter subscribers", from_name="Acme", reply_to="hi@acme.example")
    content = email(audience=None, email={"subject": "Hi"})
    assert adapter.mapper.problems(content) == []
    result = adapter.publish_content(content)
    settings = fake.campaigns[str(result.external_id)]["settings"]
    assert (settings["from_name"], settings["reply_to"]) == ("Acme", "hi@acme.example")


def test_content_problems_found_without_requests(adapter: MailchimpPlatform) -> None:
    content = email(audience={"lists": ["A", "B"]}, email={"subject": "x" * 151})
    fields = [p.field for p in adapter.mapper.problems(content)]
    assert fields == ["audience.lists", "email.from_name", "email.reply_to", "email.subject"]
    blog = email(kind="blog_post")
    assert [p.field for p in adapter.mapper.problems(blog)] == ["kind"]

"""Images in a body: which are local files, and the body rewritten to their URLs."""

from __future__ import annotations

import pytest

from marketing_platform.inline import local_images, local_path, rewrite_images


def test_local_images_are_found_in_every_quoting_style_once_each() -> None:
    body = (
        "<p><img src=\"images/a.png\"><img alt=x src='images/b.png'><IMG SRC=images/c.png>"
        '<img src="images/a.png"></p>'
    )

    assert local_images(body) == ["images/a.png", "images/b.png", "images/c.png"]


@pytest.mark.parametrize(
    "src",
    [
        "https://cdn.example/a.png",
        "http://x/a.png",
        "//cdn.example/a.png",
        "data:image/png;base64,AAAA",
        "cid:a",
        "#top",
    ],
)
def test_urls_are_not_local_files(src: str) -> None:
    assert local_path(src) is None
    assert local_images(f'<img src="{src}">') == []


def test_a_local_path_is_decoded() -> None:
    assert local_path("images/my%20chart.png") == "images/my chart.png"
    assert local_images('<img src="images/a&amp;b.png">') == ["images/a&b.png"]


def test_every_local_src_is_replaced_and_nothing_else_changes() -> None:
    body = (
        "<h1>T</h1>\n<p><img src=images/c.png alt=x> and <img class='k' src='images/b.png'>"
        ' <img src="https://example.com/keep.png"> <img src="images/a&amp;b.png"></p>'
    )
    urls = {ref: f"https://cdn.example/{ref.replace('images/', '')}?v=1&w=2" for ref in local_images(body)}

    rewritten = rewrite_images(body, urls)

    assert rewritten == (
        '<h1>T</h1>\n<p><img src="https://cdn.example/c.png?v=1&amp;w=2" alt=x> and'
        " <img class='k' src='https://cdn.example/b.png?v=1&amp;w=2'>"
        ' <img src="https://example.com/keep.png"> <img src="https://cdn.example/a&amp;b.png?v=1&amp;w=2"></p>'
    )
    assert local_images(rewritten) == []


@pytest.mark.parametrize(
    "tag",
    [
        '<img alt="a > b" src="images/x.png">',
        '<img title="see src=note" src="images/x.png">',
        "<img data-x='>' src=images/x.png>",
    ],
)
def test_quoted_values_before_src_do_not_hide_it(tag: str) -> None:
    assert local_images(tag) == ["images/x.png"]

    rewritten = rewrite_images(tag, {"images/x.png": "https://cdn.example/x.png"})

    assert "https://cdn.example/x.png" in rewritten
    assert local_images(rewritten) == []

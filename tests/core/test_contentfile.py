"""Content files: JSON, YAML, Markdown with front matter; every error names file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketing_platform.contentfile import load_content_file
from marketing_platform.errors import InvalidContent

from .conftest import EXAMPLES


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.iterdir() if p.is_file()), ids=lambda p: p.name)
def test_every_example_file_loads(path: Path) -> None:
    loaded = load_content_file(path)

    assert loaded.content.title
    assert loaded.content.id
    assert loaded.asset_root == path.parent


def test_markdown_example_body_is_rendered_to_html() -> None:
    loaded = load_content_file(EXAMPLES / "spring-launch.md")
    content = loaded.content

    assert content.id == "spring-launch-2026"
    assert content.body is not None
    assert "<h1>Spring launch</h1>" in content.body
    assert "<strong>Faster publishing</strong>" in content.body
    assert '<a href="https://example.com/releases/spring-2026">' in content.body
    assert content.campaign is not None
    assert content.campaign.costs[0].amount == 2000
    assert content.assets[0].alt_text == "A rocket lifting off"
    assert content.hubspot == {"blog_id": "1234567890"}


def test_json_and_yaml_examples_keep_their_nested_fields() -> None:
    roadshow = load_content_file(EXAMPLES / "emea-roadshow.json").content
    newsletter = load_content_file(EXAMPLES / "monthly-newsletter.yaml").content

    assert roadshow.kind == "landing_page"
    assert roadshow.campaign is not None
    assert roadshow.campaign.tags == {"Region": "EMEA"}
    assert len(roadshow.campaign.costs) == 2
    assert newsletter.kind == "email"
    assert newsletter.email is not None
    assert newsletter.email.from_email == "news@example.com"
    assert newsletter.audience is not None
    assert newsletter.audience.lists == ["Newsletter subscribers"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("post.json", json.dumps({"kind": "blog_post", "title": "Hello World", "body": "<p>x</p>"})),
        ("post.yaml", "kind: blog_post\ntitle: Hello World\nbody: <p>x</p>\n"),
        ("post.yml", "kind: blog_post\ntitle: Hello World\nbody: <p>x</p>\n"),
        ("post.md", "---\nkind: blog_post\ntitle: Hello World\n---\nSome *text*.\n"),
    ],
)
def test_each_format_parses_and_the_id_defaults_to_the_title_slug(
    tmp_path: Path, name: str, text: str
) -> None:
    content = load_content_file(_write(tmp_path, name, text)).content

    assert content.id == "hello-world"
    assert content.kind == "blog_post"
    assert content.body


def test_markdown_body_below_front_matter_becomes_html(tmp_path: Path) -> None:
    path = _write(tmp_path, "post.md", "---\nkind: blog_post\ntitle: T\n---\n# Heading\n\nSome *text*.\n")

    body = load_content_file(path).content.body

    assert body is not None
    assert "<h1>Heading</h1>" in body
    assert "<em>text</em>" in body


def test_raw_html_in_markdown_is_rendered_as_commonmark_does(tmp_path: Path) -> None:
    # Marketing authors embed <img> and layout markup in Markdown: it reaches the body.
    text = '---\nkind: blog_post\ntitle: T\n---\nIntro\n\n<div class="hero"><img src="images/a.png"></div>\n'
    path = _write(tmp_path, "post.md", text)

    body = load_content_file(path).content.body

    assert body is not None
    assert '<div class="hero"><img src="images/a.png"></div>' in body
    assert "&lt;div" not in body


def _invalid(path: Path) -> InvalidContent:
    with pytest.raises(InvalidContent) as caught:
        load_content_file(path)
    assert str(path) in str(caught.value), "the message must name the file"
    return caught.value


def test_unknown_key_is_an_error_naming_the_key(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", "kind: blog_post\ntitle: T\ntitel: typo\n"))

    assert "titel" in str(error)
    assert "not a known key" in str(error)
    assert error.problems[0].field == "titel"


def test_unknown_nested_key_names_the_dotted_field(tmp_path: Path) -> None:
    error = _invalid(
        _write(tmp_path, "post.yaml", "kind: blog_post\ntitle: T\ncampaign: {name: C, budget: 5}\n")
    )

    assert "campaign.budget" in str(error)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("kind: blog_post\ntitle: T\ntags: 5\n", "tags"),
        ("kind: blog_post\ntitle: [a, b]\n", "title"),
        ("kind: podcast\ntitle: T\n", "kind"),
        ("kind: blog_post\ntitle: T\nschedule_at: 2026-12-01T09:00:00\n", "schedule_at"),
        ("kind: email\ntitle: T\nemail: {from_email: nobody}\n", "email.from_email"),
    ],
)
def test_wrong_type_or_value_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", text))

    assert f"{field}:" in str(error)
    assert error.problems[0].field == field


@pytest.mark.parametrize(("text", "field"), [("title: T\n", "kind"), ("kind: blog_post\n", "title")])
def test_missing_required_key_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", text))

    assert f"{field}: is required" in str(error)


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.json", '{\n  "kind": "blog_post",\n  "title": "T",,\n}\n'))

    assert "not valid JSON" in str(error)
    assert "line 3" in str(error)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", "kind: blog_post\ntitle: T\ntags: [a, b\nsummary: x\n"))

    assert "not valid YAML" in str(error)
    assert "line " in str(error)


def test_malformed_front_matter_yaml_names_the_line(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.md", "---\nkind: blog_post\ntitle: 'unclosed\n---\nbody\n"))

    assert "not valid YAML" in str(error)
    assert "line " in str(error)


def test_markdown_without_front_matter_is_an_error(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.md", "# Just a heading\n\nNo front matter.\n"))

    assert "no YAML front matter" in str(error)
    assert error.hint is not None
    assert "---" in error.hint


def test_unclosed_front_matter_is_an_error(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.md", "---\nkind: blog_post\ntitle: T\n"))

    assert "not closed" in str(error)


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", "kind: blog_post\ntitle: Caf\xe9\n".encode("latin-1")))

    assert "not UTF-8" in str(error)


def test_utf8_with_bom_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "post.yaml", "kind: blog_post\ntitle: Café\n".encode("utf-8-sig"))

    assert load_content_file(path).content.title == "Café"


@pytest.mark.parametrize("name", ["post.json", "post.yaml", "post.md"])
def test_empty_file_is_an_error(tmp_path: Path, name: str) -> None:
    error = _invalid(_write(tmp_path, name, ""))

    assert "is empty" in str(error)


def test_file_with_only_a_comment_holds_no_content(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", "# nothing here\n"))

    assert "holds no content" in str(error)


def test_top_level_list_is_an_error(tmp_path: Path) -> None:
    error = _invalid(_write(tmp_path, "post.yaml", "- kind: blog_post\n"))

    assert "mapping" in str(error)


def test_unsupported_extension_and_missing_file_are_errors(tmp_path: Path) -> None:
    assert "unsupported extension" in str(_invalid(_write(tmp_path, "post.txt", "kind: blog_post\n")))
    assert "cannot be read" in str(_invalid(tmp_path / "missing.yaml"))


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    error = _invalid(
        _write(tmp_path, "post.yaml", "kind: !!python/object/apply:os.system ['true']\ntitle: T\n")
    )

    assert "not valid YAML" in str(error)


def test_top_level_key_named_after_an_installed_platform_is_its_options(tmp_path: Path) -> None:
    path = _write(tmp_path, "post.yaml", "kind: blog_post\ntitle: T\nacme: {list_id: 7}\n")

    content = load_content_file(path, platform_names=["acme", "mock"]).content

    assert content.options_for("acme") == {"list_id": 7}
    assert "acme" in str(_invalid(path))

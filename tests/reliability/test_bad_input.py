"""Bad input never reaches a vendor: each bad content file makes ``mplat activate`` exit
2 with exactly one line on stderr naming what is wrong and how to fix it (never a
traceback), sends no request to the fake and leaves no record in the activation log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from marketing_platform.contentfile import MAX_FILE_BYTES

from .conftest import PNG, MarketoRig, marketo_email, records

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def _json(text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "content.json"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _with(**changes: object) -> Callable[[Path], Path]:
    data = {**marketo_email(), **changes}
    return _json(json.dumps(data))


def _without(key: str) -> Callable[[Path], Path]:
    data = marketo_email()
    del data[key]
    return _json(json.dumps(data))


def _asset(name: str, data: bytes, ref: str | None = None) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / "sub").mkdir()
        (folder / name).write_bytes(data)
        content = {**marketo_email(), "assets": [{"path": ref or name, "role": "featured"}]}
        path = folder / "sub" / "content.json" if ref and ref.startswith("..") else folder / "content.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        return path

    return make


# (id, how to make the file, what the error line must say)
CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("malformed-json", _json('{"kind": "email", "title": }'), "is not valid JSON (line 1"),
    ("malformed-yaml", _raw("content.yaml", b"kind: email\ntitle: [unclosed\n"), "is not valid YAML"),
    (
        "front-matter-not-closed",
        _raw("post.md", b"---\nkind: email\ntitle: Hi\n\n# Body\n"),
        "front matter is not closed",
    ),
    ("no-front-matter", _raw("post.md", b"# Just markdown\n"), "has no YAML front matter"),
    (
        "malformed-front-matter",
        _raw("post.md", b"---\nkind: email\ntitle: : :\n---\nBody\n"),
        "not valid YAML",
    ),
    ("yaml-not-a-mapping", _raw("content.yaml", b"- kind\n- title\n"), "must hold a mapping"),
    ("unknown-field", _with(colour="red"), "colour: is not a known key"),
    (
        "unknown-nested-field",
        _with(email={"subject": "x", "sender": "me"}),
        "email.sender: is not a known key",
    ),
    ("wrong-type-list", _with(tags=5), "tags:"),
    ("wrong-type-date", _with(schedule_at="next tuesday"), "schedule_at:"),
    ("naive-datetime", _with(schedule_at="2030-01-01T09:00:00"), "schedule_at:"),
    ("wrong-enum", _with(kind="podcast"), "kind:"),
    ("bad-email-address", _with(email={"subject": "x", "from_email": "nobody"}), "not an e-mail address"),
    ("missing-kind", _without("kind"), "kind: is required"),
    ("missing-title", _without("title"), "title: is required"),
    (
        "missing-email-subject",
        _with(
            email={
                "template": "Monthly Newsletter",
                "from_name": "Acme",
                "from_email": "news@acme.example",
                "reply_to": "news@acme.example",
            }
        ),
        "email.subject",
    ),
    ("kind-not-on-platform", _with(kind="blog_post"), "cannot publish 'blog_post'"),
    (
        "non-integer-marketo-cost",
        _with(campaign={"name": "P", "costs": [{"start_date": "2026-01-01", "amount": 1.5}]}),
        "whole numbers",
    ),
    ("spoofed-image", _asset("hero.png", JPEG), "bytes are image/jpeg"),
    ("unrecognised-asset", _asset("hero.png", b"\x01\x02\x03not an image" * 4), "cannot be recognised"),
    ("oversize-asset", _asset("big.png", PNG + b"\x00" * 1_000_001), "over the platform's limit"),
    ("path-traversal-asset", _asset("secret.png", PNG, "../secret.png"), "points outside the content folder"),
    ("missing-asset", _with(assets=[{"path": "nope.png"}]), "does not exist"),
    ("oversize-file", _raw("content.json", b" " * (MAX_FILE_BYTES + 1)), "over the"),
    ("non-utf8", _raw("content.yaml", "kind: email\ntitle: Caf\xe9\n".encode("latin-1")), "is not UTF-8"),
    ("empty-file", _raw("content.json", b""), "is empty"),
    ("whitespace-only", _raw("content.yaml", b"\n\n  \n"), "holds no content"),
    ("unsupported-extension", _raw("content.txt", b"kind: email"), "unsupported extension"),
    ("no-such-file", lambda folder: folder / "missing.json", "cannot be read"),
]


@pytest.mark.parametrize(("make", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(
    marketo: MarketoRig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    says: str,
) -> None:
    for name, value in marketo.env.items():
        monkeypatch.setenv(name, value)
    path = make(tmp_path)
    result = CliRunner().invoke(main, ["activate", str(path), "--platform", "marketo"])

    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert says in line, line
    assert "Hint: " in line, line  # and how to fix it
    assert result.stdout == ""
    assert marketo.faults.seen == []  # no request reached the fake
    assert marketo.fake.calls == []
    assert records() == []


def test_one_bad_file_among_good_ones_sends_nothing(
    marketo: MarketoRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in marketo.env.items():
        monkeypatch.setenv(name, value)
    for index in range(3):
        (tmp_path / f"good-{index}.json").write_text(
            json.dumps(marketo_email(f"Good {index}", f"Program {index}")), encoding="utf-8"
        )
    (tmp_path / "zz-bad.json").write_text('{"kind": "email", "title": "Bad", "colour": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["activate", str(tmp_path), "--platform", "marketo", "--json"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "zz-bad.json" in result.stderr
    assert marketo.fake.calls == []
    assert records() == []


def test_bad_input_as_a_real_process(marketo: MarketoRig, tmp_path: Path) -> None:
    """The same promise from a separate process (its real stderr, its own exit code)."""
    from .conftest import mplat

    path = tmp_path / "content.json"
    path.write_text('{"kind": "email", "title": "x", "tags": 5}', encoding="utf-8")
    result = mplat("activate", str(path), "--platform", "marketo", env=marketo.env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "tags:" in result.stderr
    assert "Traceback" not in result.stderr
    assert marketo.fake.calls == []
    assert records() == []

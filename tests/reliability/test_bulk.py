"""Bulk: ``mplat activate DIR/`` with 30 generated content files, on the mock and on the
fake Marketo with a small concurrency cap. Everything succeeds, the ``--json`` summary
has one row per file, and the vendor never sees more calls in flight than the
platform's declared limit."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main

from .conftest import MarketoRig, log_path, records, write_content

FILES = 30


def event(index: int) -> dict[str, object]:
    return {
        "id": f"bulk-{index:02d}",
        "kind": "event",
        "title": f"Bulk event {index:02d}",
        "summary": f"Event number {index}",
        "campaign": {
            "name": f"Bulk program {index:02d}",
            "costs": [{"start_date": "2026-03-01", "amount": index}],
        },
    }


def make_folder(root: Path) -> Path:
    folder = root / "bulk"
    for index in range(FILES):
        suffix = (".json", ".yaml", ".yml")[index % 3]
        write_content(folder, f"event-{index:02d}{suffix}", event(index))
    return folder


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> list[dict[str, object]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    activations: list[dict[str, object]] = json.loads(result.stdout)["activations"]
    return activations


def test_bulk_on_mock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path)
    activations = run(monkeypatch, {}, "activate", f"{folder}/", "--platform", "mock", "--json")
    assert len(activations) == FILES
    assert {a["state"] for a in activations} == {"succeeded"}
    assert sorted(a["content_id"] for a in activations) == [f"bulk-{i:02d}" for i in range(FILES)]
    logged = records()
    assert len(logged) == FILES
    assert {r.state for r in logged} == {"succeeded"}
    assert all(set(r.steps) == {"campaign", "publish"} for r in logged)
    with sqlite3.connect(log_path().parent / "mock-state.sqlite3") as db:
        counts = dict(db.execute("SELECT type, COUNT(*) FROM objects GROUP BY type").fetchall())
    assert counts == {"campaign": FILES, "event": FILES}


@pytest.mark.parametrize("cap", [1, 3])
def test_bulk_on_marketo_never_exceeds_the_concurrency_cap(
    marketo_rig_factory: Callable[..., MarketoRig], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    rig = marketo_rig_factory(window_calls=10_000, hold=0.01)
    folder = make_folder(tmp_path)
    env = {**rig.env, "MARKETO_MAX_CONCURRENT": str(cap)}
    activations = run(monkeypatch, env, "activate", str(folder), "--platform", "marketo", "--json")

    assert len(activations) == FILES
    assert {a["state"] for a in activations} == {"succeeded"}
    assert rig.faults.max_in_flight <= cap
    assert rig.faults.max_in_flight == cap  # the cap was used, not just respected
    assert [c.code for c in rig.fake.rest_calls() if c.code] == []  # no 606 / 615
    for index in range(FILES):
        (program,) = rig.programs(f"Bulk program {index:02d}")
        assert program["type"] == "Event"
        assert program["costs"] == [{"startDate": "2026-03-01", "cost": index}]
    logged = records()
    assert len(logged) == FILES
    assert {r.state for r in logged} == {"succeeded"}

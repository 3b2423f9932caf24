"""Several platforms and fallback, through ``mplat`` (in-process CLI) and the Activator:
one platform's failure never stops or rolls back another's success; a fallback runs
only when configured, never for rejected content, is marked ``degraded`` and stays
replayable to the primary platform."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from marketing_platform.activation import Activator
from marketing_platform.cli import main
from marketing_platform.contentfile import parse_content
from marketing_platform.log import ActivationLog
from marketing_platform.registry import Registry

from .conftest import HubSpotRig, MarketoRig, log_path, marketo_email, records, write_content

PROGRAM = "Multi program"
TITLE = "Multi news"


def both_email() -> dict[str, Any]:
    """An email valid for Marketo and HubSpot alike."""
    data = marketo_email(TITLE, PROGRAM)
    data["audience"] = {"lists": ["Newsletter subscribers"], "create_missing": True}
    return data


def cli(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Result:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(main, list(args))


def mock_objects() -> list[sqlite3.Row]:
    path = log_path().parent / "mock-state.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM objects").fetchall()


def by_platform(result: Result) -> dict[str, dict[str, Any]]:
    return {a["platform"]: a for a in json.loads(result.stdout)["activations"]}


def test_one_platform_failing_leaves_the_other_published(
    marketo: MarketoRig, hubspot: HubSpotRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_content(tmp_path, "news.yaml", both_email())
    env = {**marketo.env, **hubspot.env, "HUBSPOT_ACCESS_TOKEN": "pat-na1-wrong-token"}
    result = cli(monkeypatch, env, "activate", str(path), "-p", "marketo", "-p", "hubspot", "--json")

    assert result.exit_code == 1, result.output
    outcomes = by_platform(result)
    assert outcomes["marketo"]["state"] == "succeeded"
    assert outcomes["marketo"]["publish"]["status"] == "approved"
    assert outcomes["hubspot"]["state"] == "failed"
    assert outcomes["hubspot"]["error"]["type"] == "AuthenticationError"
    assert outcomes["hubspot"]["fallback"] is None
    # the vendors: Marketo has the approved email, HubSpot has nothing
    (email,) = marketo.emails(TITLE)
    assert email["status"] == "approved"
    assert hubspot.fake.emails == {}
    assert hubspot.fake.campaigns == {}
    # the log: one record per platform with its own outcome
    states = {r.platform: r.state for r in records()}
    assert states == {"marketo": "succeeded", "hubspot": "failed"}


def test_first_platform_crashing_does_not_stop_the_second(marketo: MarketoRig, hubspot: HubSpotRig) -> None:
    """Even an unexpected exception (an adapter bug) in one platform is contained."""

    class Broken(Exception):
        pass

    def factory(name: str) -> Any:
        if name == "marketo":
            return marketo.adapter()
        adapter = hubspot.adapter()
        adapter.create_campaign = lambda spec: (_ for _ in ()).throw(Broken("adapter bug"))  # type: ignore[method-assign]
        return adapter

    with hubspot.activator(factory) as activator:
        results = activator.activate_many(parse_content(both_email()), ["hubspot", "marketo"])
    assert [(r.record.platform, r.record.state) for r in results] == [
        ("hubspot", "failed"),
        ("marketo", "succeeded"),
    ]
    assert results[0].error is not None
    assert results[0].error["type"] == "Broken"
    assert len(marketo.emails(TITLE)) == 1
    assert {r.platform: r.state for r in records()} == {"hubspot": "failed", "marketo": "succeeded"}


def _program_create_fails_after_commit(marketo: MarketoRig) -> None:
    """Marketo creates the program, then answers a non-JSON 500: PlatformUnavailable."""
    marketo.faults.add("respond_after", "POST", r"/programs\.json", status=500, body=b"<html>oops</html>")


def test_fallback_is_degraded_and_replays_to_the_primary(
    marketo: MarketoRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_content(tmp_path, "news.yaml", marketo_email(TITLE, PROGRAM))
    _program_create_fails_after_commit(marketo)
    env = {**marketo.env, "MARKETING_PLATFORM_FALLBACK": "mock"}
    result = cli(monkeypatch, env, "activate", str(path), "-p", "marketo", "--json")

    assert result.exit_code == 1, result.output  # delivered only by a fallback: not a success
    (outcome,) = json.loads(result.stdout)["activations"]
    assert outcome["platform"] == "marketo"
    assert outcome["state"] == "degraded"
    assert outcome["degraded"] is True
    assert outcome["error"]["type"] == "PlatformUnavailable"
    assert outcome["fallback"]["platform"] == "mock"
    assert outcome["fallback"]["publish"]["degraded"] is True
    assert outcome["publish"]["degraded"] is True  # the documented place holds the fallback's result
    assert outcome["publish"]["platform"] == "mock"
    (record,) = records()
    assert record.state == "degraded"
    assert record.degraded
    assert record.error == outcome["error"]  # the primary's error
    assert record.steps["fallback"]["platform"] == "mock"
    assert sorted((row["type"], row["status"]) for row in mock_objects()) == [
        ("campaign", "active"),
        ("email", "published"),
    ]
    assert len(marketo.programs(PROGRAM)) == 1  # created by Marketo before its 500
    assert marketo.emails(TITLE) == []

    replay = cli(monkeypatch, env, "replay", "--degraded", "--json")
    assert replay.exit_code == 0, replay.output
    (again,) = json.loads(replay.stdout)["activations"]
    assert again["state"] == "succeeded"
    assert again["degraded"] is False
    assert again["platform"] == "marketo"
    assert len(marketo.programs(PROGRAM)) == 1  # found by name, not created twice
    (email,) = marketo.emails(TITLE)
    assert email["status"] == "approved"
    (record,) = records()
    assert record.state == "succeeded"
    assert not record.degraded
    assert record.steps["campaign"]["external_id"] == f"program:{marketo.programs(PROGRAM)[0]['id']}"
    assert record.steps["publish"]["external_id"] == f"email:{email['id']}"


def test_without_fallback_configured_nothing_falls_back(
    marketo: MarketoRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_content(tmp_path, "news.yaml", marketo_email(TITLE, PROGRAM))
    _program_create_fails_after_commit(marketo)
    result = cli(monkeypatch, marketo.env, "activate", str(path), "-p", "marketo", "--json")
    assert result.exit_code == 1, result.output
    (outcome,) = json.loads(result.stdout)["activations"]
    assert outcome["state"] == "failed"
    assert outcome["degraded"] is False
    assert outcome["fallback"] is None
    (record,) = records()
    assert record.state == "failed"
    assert "fallback" not in record.steps
    assert mock_objects() == []


def test_rejected_content_never_falls_back(
    marketo: MarketoRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = marketo_email(TITLE, PROGRAM)
    data["campaign"]["folder"] = "No such folder"  # Marketo answers 710: the content is wrong
    path = write_content(tmp_path, "news.yaml", data)
    env = {**marketo.env, "MARKETING_PLATFORM_FALLBACK": "mock"}
    result = cli(monkeypatch, env, "activate", str(path), "-p", "marketo", "--json")
    assert result.exit_code == 1, result.output
    (outcome,) = json.loads(result.stdout)["activations"]
    assert outcome["state"] == "failed"
    assert outcome["error"]["type"] == "ContentRejected"
    assert outcome["fallback"] is None
    (record,) = records()
    assert record.state == "failed"
    assert not record.degraded
    assert mock_objects() == []
    assert marketo.programs(PROGRAM) == []


def test_a_failing_fallback_leaves_the_primary_failure(
    marketo: MarketoRig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:1")
    _program_create_fails_after_commit(marketo)
    registry = Registry()

    def factory(name: str) -> Any:
        return marketo.adapter() if name == "marketo" else registry.create(name)

    with Activator(
        registry=registry,
        activation_log=ActivationLog(log_path()),
        platform_factory=factory,
        fallback=["mock"],
    ) as activator:
        result = activator.activate(parse_content(marketo_email(TITLE, PROGRAM)), "marketo")
    assert "fallback mock failed" in caplog.text
    assert "injected failure" in caplog.text  # the mock really ran and failed
    assert result.record.state == "failed"
    assert result.fallback is None
    assert result.error is not None
    assert result.error["type"] == "PlatformUnavailable"
    (record,) = records()
    assert record.state == "failed"
    assert not record.degraded
    assert "fallback" not in record.steps
    assert mock_objects() == []

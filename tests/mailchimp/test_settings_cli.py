"""Settings from the environment, the CLI over a loopback fake, and the dry run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketing_platform.cli import main
from marketing_platform.errors import ConfigurationError
from marketing_platform.testing import FakeClock
from marketing_platform_mailchimp import MailchimpPlatform, MailchimpSettings
from marketing_platform_mailchimp.auth import BasicAuth

from ..fakes.server import serve
from .fake_mailchimp import API_KEY, FakeMailchimp

NEWSLETTER = """\
id: april-newsletter
kind: email
title: April newsletter
body: "<p>April news</p>"
campaign: {name: April 2026 newsletter}
audience: {lists: [Newsletter subscribers]}
email: {subject: April news, from_name: Acme, reply_to: news@acme.example}
"""


def test_data_center_picks_the_api_host(mailchimp_env: str) -> None:
    settings = MailchimpPlatform.load_settings()
    assert isinstance(settings, MailchimpSettings)
    assert settings.api_base_url == "https://us21.api.mailchimp.com/3.0"


def test_base_url_override(monkeypatch: pytest.MonkeyPatch, mailchimp_env: str) -> None:
    monkeypatch.setenv("MAILCHIMP_BASE_URL", "http://127.0.0.1:9/3.0/")
    assert MailchimpPlatform.load_settings().api_base_url == "http://127.0.0.1:9/3.0"  # type: ignore[attr-defined]
    monkeypatch.setenv("MAILCHIMP_BASE_URL", "http://mailchimp.example/3.0")
    with pytest.raises(ConfigurationError, match="MAILCHIMP_BASE_URL"):
        MailchimpPlatform.load_settings()


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="MAILCHIMP_API_KEY is not set"):
        MailchimpPlatform.load_settings()


def test_key_without_data_center_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILCHIMP_API_KEY", "0123456789abcdef0123456789abcdef")
    with pytest.raises(ConfigurationError) as caught:
        MailchimpPlatform.load_settings()
    assert "MAILCHIMP_API_KEY is invalid" in caught.value.message
    assert "0123456789abcdef" not in str(caught.value)


def test_basic_auth_header_and_repr() -> None:
    settings = MailchimpSettings(api_key=API_KEY)  # type: ignore[arg-type]
    auth = BasicAuth(settings.api_key)
    header = auth.auth_headers()["Authorization"]
    assert header.startswith("Basic ")
    assert API_KEY not in repr(auth)
    assert API_KEY not in repr(settings)


@pytest.fixture
def live(fake: FakeMailchimp, monkeypatch: pytest.MonkeyPatch, mailchimp_env: str) -> Iterator[str]:
    with serve(fake) as url:
        monkeypatch.setenv("MAILCHIMP_BASE_URL", f"{url}/3.0")
        yield url


def test_check_over_loopback_is_read_only(live: str, fake: FakeMailchimp) -> None:
    result = CliRunner().invoke(main, ["check", "--platform", "mailchimp", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["details"]["account"] == "Fake Co"
    assert {r.method for r in fake.requests} == {"GET"}
    assert fake.counts() == {"campaigns": 0, "files": 0, "sends": 0}
    assert API_KEY not in result.output


def test_activate_over_loopback(live: str, fake: FakeMailchimp, tmp_path: Path) -> None:
    source = tmp_path / "newsletter.yaml"
    source.write_text(NEWSLETTER)
    result = CliRunner().invoke(main, ["activate", str(source), "--platform", "mailchimp", "--json"])
    assert result.exit_code == 0, result.output
    activation = json.loads(result.output)["activations"][0]
    assert activation["state"] == "succeeded"
    assert activation["campaign"]["name"] == "April 2026 newsletter / april-newsletter"
    assert activation["publish"]["status"] == "sent"
    assert fake.counts() == {"campaigns": 1, "files": 0, "sends": 1}
    assert API_KEY not in result.output


def test_dry_run_plans_without_secrets_or_writes(live: str, fake: FakeMailchimp, tmp_path: Path) -> None:
    source = tmp_path / "newsletter.yaml"
    source.write_text(NEWSLETTER)
    result = CliRunner().invoke(
        main, ["activate", str(source), "--platform", "mailchimp", "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert API_KEY not in result.output
    assert API_KEY.split("-")[0] not in result.output
    plan = json.loads(result.output)["plans"][0]
    assert [(o["object"], o["action"]) for o in plan["objects"]] == [
        ("campaign", "create"),
        ("content", "create"),
    ]
    steps = plan["requests"]
    assert [(s["method"], s["path"].split("/<")[0]) for s in steps] == [
        ("GET", "/campaigns"),
        ("GET", "/lists"),
        ("POST", "/campaigns"),
        ("PATCH", "/campaigns"),
        ("PUT", "/campaigns"),
        ("POST", "/campaigns"),
    ]
    create, patch = steps[2]["payload"], steps[3]["payload"]
    assert create["recipients"] == patch["recipients"]
    assert create["settings"] == patch["settings"]
    assert patch["recipients"]["list_id"] == "<id of audience 'Newsletter subscribers'>"
    assert patch["settings"]["subject_line"] == "April news"
    assert "no PATCH follows" in steps[2]["only_if"]
    assert fake.writes() == []  # look-ups only
    assert fake.counts() == {"campaigns": 0, "files": 0, "sends": 0}


def test_concurrency_never_above_ten(monkeypatch: pytest.MonkeyPatch, mailchimp_env: str) -> None:
    fake = FakeMailchimp(hold=0.02)  # each request stays open 20 ms on the server
    monkeypatch.setenv("MAILCHIMP_RATE_LIMIT", "100000/1")  # only the connection cap applies
    clock = FakeClock()
    with serve(fake) as url:
        adapter = MailchimpPlatform(
            MailchimpPlatform.load_settings(base_url=f"{url}/3.0"), clock=clock, sleep=clock.sleep
        )
        with adapter:
            workers = [threading.Thread(target=adapter.check) for _ in range(30)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    assert len(fake.requests) == 60
    assert fake.rejected_for_concurrency == 0
    assert 1 < fake.max_in_flight <= 10

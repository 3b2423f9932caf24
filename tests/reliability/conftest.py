"""Rigs for the reliability suite: each vendor fake behind :class:`~.faults.Faults`, on a
real loopback socket, with adapters and an Activator wired to it in-process (a fake
clock, so retries and rate windows never really wait) and the environment that points
``mplat`` (in-process or as a subprocess) at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from slugify import slugify

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog, ActivationRecord
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform
from marketing_platform_marketo.settings import MarketoSettings
from tests.hubspot.fake_hubspot import FakeClock as HubSpotClock
from tests.hubspot.fake_hubspot import FakeHubSpot
from tests.marketo.fake_marketo import FakeClock as MarketoClock
from tests.marketo.fake_marketo import FakeMarketo, fake_with_templates

from .faults import Faults, serve

MARKETO_ID = "reliability-client"
MARKETO_SECRET = "marketo-secret-for-reliability"
HUBSPOT_TOKEN = "pat-na1-reliability-token"
BLOG_ID = "1234567"
#: Seconds per HTTP request in these tests (a stalled request times out this fast).
TIMEOUT = 0.4
#: A PNG header is enough for magic-byte detection.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def log_path() -> Path:
    return Path(os.environ["MARKETING_PLATFORM_LOG"])


def records() -> list[ActivationRecord]:
    """Every record in this test's activation log, oldest first."""
    return list(reversed(ActivationLog(log_path()).list(limit=None)))


def mplat(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """``mplat ARGS`` as a subprocess of this interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "marketing_platform.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


LOCK_PROBE = Path(__file__).with_name("lock_probe.py")


def mplat_popen(*args: str, env: dict[str, str], lock_log: Path | None = None) -> subprocess.Popen[str]:
    """``mplat ARGS`` started as a subprocess of this interpreter. With ``lock_log``, each
    time it finds a lock in the activation log held by another process it appends that
    lock's key to ``lock_log`` (see ``lock_probe.py``)."""
    command = [str(LOCK_PROBE), str(lock_log)] if lock_log is not None else ["-m", "marketing_platform.cli"]
    return subprocess.Popen(
        [sys.executable, *command, *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_content(folder: Path, name: str, data: dict[str, Any]) -> Path:
    """A content file (JSON or YAML by ``name``'s suffix) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.suffix == ".json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def marketo_email(title: str = "Reliability news", program: str = "Reliability program") -> dict[str, Any]:
    return {
        "kind": "email",
        "title": title,
        "summary": "What is new",
        "body": "<p>News</p>",
        "campaign": {"name": program, "costs": [{"start_date": "2026-01-01", "amount": 100}]},
        "email": {
            "template": "Monthly Newsletter",
            "subject": "Hello",
            "from_name": "Acme",
            "from_email": "news@acme.example",
            "reply_to": "news@acme.example",
        },
    }


def hubspot_post(title: str = "Reliability post", campaign: str = "Reliability campaign") -> dict[str, Any]:
    return {
        "kind": "blog_post",
        "title": title,
        "summary": "Everything new",
        "body": "<p>Hello</p>",
        "topics": ["Product News"],
        "campaign": {
            "name": campaign,
            "costs": [{"start_date": "2026-01-01", "amount": 250, "note": "Paid social"}],
        },
    }


# ------------------------------------------------------------------------ Marketo
@dataclass
class MarketoRig:
    fake: FakeMarketo
    faults: Faults
    url: str
    clock: MarketoClock
    made: list[MarketoPlatform] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """Environment pointing ``mplat`` at this fake."""
        return {
            "MARKETO_BASE_URL": self.url,
            "MARKETO_CLIENT_ID": MARKETO_ID,
            "MARKETO_CLIENT_SECRET": self.fake.client_secret,
            "MARKETO_RATE_LIMIT": "1000/1",
            "MARKETING_PLATFORM_TIMEOUT": str(TIMEOUT),
        }

    def adapter(self, name: str = "marketo", **overrides: Any) -> MarketoPlatform:
        assert name == "marketo", name
        values: dict[str, Any] = {
            "base_url": self.url,
            "client_id": MARKETO_ID,
            "client_secret": self.fake.client_secret,
            "timeout": TIMEOUT,
        }
        values.update(overrides)
        platform = MarketoPlatform(MarketoSettings(**values), clock=self.clock, sleep=self.clock.sleep)
        self.made.append(platform)
        return platform

    def activator(self, **options: Any) -> Activator:
        return Activator(activation_log=ActivationLog(log_path()), platform_factory=self.adapter, **options)

    def programs(self, name: str) -> list[dict[str, Any]]:
        return [p for p in self.fake.programs.values() if p["name"] == name]

    def emails(self, title: str) -> list[dict[str, Any]]:
        """Emails made for the content titled ``title`` (the adapter names an email after
        its content's id, which defaults to the slug of the title)."""
        names = {title, slugify(title)}
        return [e for e in self.fake.emails.values() if e["name"] in names]

    def files(self, name: str) -> list[dict[str, Any]]:
        return [f for f in self.fake.files.values() if f["name"] == name]


def make_marketo(**options: Any) -> FakeMarketo:
    clock = options.pop("clock", None) or MarketoClock()
    options.setdefault("client_secret", MARKETO_SECRET)
    return fake_with_templates(clock=clock, client_id=MARKETO_ID, **options)


@pytest.fixture
def marketo_rig_factory() -> Iterator[Callable[..., MarketoRig]]:
    """``factory(**fake_options)``: a served fake Marketo (several per test if needed)."""
    clear_token_cache()
    stack: list[Any] = []
    rigs: list[MarketoRig] = []

    def factory(*, hold: float = 0.0, **options: Any) -> MarketoRig:
        fake = make_marketo(**options)
        faults = Faults(fake, hold=hold)
        server = serve(faults)
        url = server.__enter__()
        stack.append(server)
        rig = MarketoRig(fake, faults, url, fake.clock)  # type: ignore[arg-type]
        rigs.append(rig)
        return rig

    yield factory
    for rig in rigs:
        rig.faults.release_all()
        for platform in rig.made:
            platform.close()
    for server in reversed(stack):
        server.__exit__(None, None, None)
    clear_token_cache()


@pytest.fixture
def marketo(marketo_rig_factory: Callable[..., MarketoRig]) -> MarketoRig:
    return marketo_rig_factory(window_calls=10_000)


# ------------------------------------------------------------------------ HubSpot
OAUTH_CLIENT_ID = "reliability-oauth-client"
OAUTH_CLIENT_SECRET = "reliability-oauth-secret"
REFRESH_TOKEN = "reliability-refresh-token"


@dataclass
class HubSpotRig:
    fake: FakeHubSpot
    faults: Faults
    url: str
    clock: HubSpotClock
    token: str
    made: list[HubSpotPlatform] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "HUBSPOT_BASE_URL": self.url,
            "HUBSPOT_ACCESS_TOKEN": self.token,
            "HUBSPOT_BLOG_ID": BLOG_ID,
            "HUBSPOT_RATE_LIMIT": "1000/1",
            "MARKETING_PLATFORM_TIMEOUT": str(TIMEOUT),
        }

    def adapter(self, name: str = "hubspot", **overrides: Any) -> HubSpotPlatform:
        assert name == "hubspot", name
        values: dict[str, Any] = {"base_url": self.url, "blog_id": BLOG_ID, "timeout": TIMEOUT}
        if not {"access_token", "client_id"} & set(overrides):
            values["access_token"] = self.token
        values.update(overrides)
        platform = HubSpotPlatform(HubSpotSettings(**values), clock=self.clock, sleep=self.clock.sleep)
        self.made.append(platform)
        return platform

    def oauth_adapter(self, name: str = "hubspot") -> HubSpotPlatform:
        return self.adapter(
            name,
            client_id=OAUTH_CLIENT_ID,
            client_secret=OAUTH_CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
        )

    def activator(self, factory: Callable[[str], Any] | None = None, **options: Any) -> Activator:
        return Activator(
            activation_log=ActivationLog(log_path()), platform_factory=factory or self.adapter, **options
        )

    def campaigns(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.fake.campaigns.values() if c["properties"]["hs_name"] == name]

    def posts(self, name: str) -> list[dict[str, Any]]:
        return [p for p in self.fake.posts.values() if p["name"] == name]

    def emails(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.fake.emails.values() if e["name"] == name]

    def files(self, name: str) -> list[dict[str, Any]]:
        return [f for f in self.fake.files.values() if f["name"] == name]


@pytest.fixture
def hubspot_rig_factory() -> Iterator[Callable[..., HubSpotRig]]:
    stack: list[Any] = []
    rigs: list[HubSpotRig] = []

    def factory(*, hold: float = 0.0, token: str = HUBSPOT_TOKEN, **options: Any) -> HubSpotRig:
        clock = options.pop("clock", None) or HubSpotClock()
        options.setdefault("window_calls", 10_000)
        options.setdefault("oauth_clients", {OAUTH_CLIENT_ID: OAUTH_CLIENT_SECRET})
        options.setdefault("refresh_tokens", (REFRESH_TOKEN,))
        fake = FakeHubSpot(clock=clock, tokens=(token,), **options)
        faults = Faults(fake, hold=hold)
        server = serve(faults)
        url = server.__enter__()
        stack.append(server)
        rig = HubSpotRig(fake, faults, url, clock, token)
        rigs.append(rig)
        return rig

    yield factory
    for rig in rigs:
        rig.faults.release_all()
        for platform in rig.made:
            platform.close()
    for server in reversed(stack):
        server.__exit__(None, None, None)


@pytest.fixture
def hubspot(hubspot_rig_factory: Callable[..., HubSpotRig]) -> HubSpotRig:
    return hubspot_rig_factory()

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
from typing import Any, TypeVar

import pytest
import yaml
from slugify import slugify

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog, ActivationRecord
from marketing_platform.testing import FakeClock
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform
from marketing_platform_marketo.settings import MarketoSettings
from marketing_platform_pardot import PardotPlatform, PardotSettings
from marketing_platform_sfmc import SfmcPlatform
from marketing_platform_sfmc.settings import SfmcSettings
from tests.hubspot.fake_hubspot import FakeClock as HubSpotClock
from tests.hubspot.fake_hubspot import FakeHubSpot
from tests.marketo.fake_marketo import FakeClock as MarketoClock
from tests.marketo.fake_marketo import FakeMarketo, fake_with_templates
from tests.pardot.fake_pardot import BUSINESS_UNIT as PARDOT_BUSINESS_UNIT
from tests.pardot.fake_pardot import CLIENT_ID as PARDOT_CLIENT_ID
from tests.pardot.fake_pardot import FakePardot
from tests.sfmc import fake_sfmc
from tests.sfmc.fake_sfmc import CLIENT_ID as SFMC_CLIENT_ID
from tests.sfmc.fake_sfmc import SUBDOMAIN as SFMC_SUBDOMAIN
from tests.sfmc.fake_sfmc import FakeSfmc

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


R = TypeVar("R")


class Served:
    """The fakes one test serves on loopback behind :class:`Faults`; at the end every
    held request is released, every adapter a rig made is closed, every server stopped."""

    def __init__(self) -> None:
        self._servers: list[Any] = []
        self._rigs: list[Any] = []

    def start(self, fake: Any, hold: float) -> tuple[Faults, str]:
        """Serve ``fake`` behind fault injection; its Faults and base URL."""
        faults = Faults(fake, hold=hold)
        server = serve(faults)
        url = server.__enter__()
        self._servers.append(server)
        return faults, url

    def keep(self, rig: R) -> R:
        self._rigs.append(rig)
        return rig

    def close(self) -> None:
        """Idempotent."""
        for rig in self._rigs:
            rig.faults.release_all()
            for platform in rig.made:
                platform.close()
        for server in reversed(self._servers):
            server.__exit__(None, None, None)
        self._rigs.clear()
        self._servers.clear()


@pytest.fixture
def served() -> Iterator[Served]:
    house = Served()
    yield house
    house.close()


def make_marketo(**options: Any) -> FakeMarketo:
    clock = options.pop("clock", None) or MarketoClock()
    options.setdefault("client_secret", MARKETO_SECRET)
    return fake_with_templates(clock=clock, client_id=MARKETO_ID, **options)


@pytest.fixture
def marketo_rig_factory(served: Served) -> Iterator[Callable[..., MarketoRig]]:
    """``factory(**fake_options)``: a served fake Marketo (several per test if needed)."""
    clear_token_cache()

    def factory(*, hold: float = 0.0, **options: Any) -> MarketoRig:
        fake = make_marketo(**options)
        faults, url = served.start(fake, hold)
        return served.keep(MarketoRig(fake, faults, url, fake.clock))  # type: ignore[arg-type]

    yield factory
    served.close()
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
def hubspot_rig_factory(served: Served) -> Callable[..., HubSpotRig]:
    def factory(*, hold: float = 0.0, token: str = HUBSPOT_TOKEN, **options: Any) -> HubSpotRig:
        clock = options.pop("clock", None) or HubSpotClock()
        options.setdefault("window_calls", 10_000)
        options.setdefault("oauth_clients", {OAUTH_CLIENT_ID: OAUTH_CLIENT_SECRET})
        options.setdefault("refresh_tokens", (REFRESH_TOKEN,))
        fake = FakeHubSpot(clock=clock, tokens=(token,), **options)
        faults, url = served.start(fake, hold)
        return served.keep(HubSpotRig(fake, faults, url, clock, token))

    return factory


@pytest.fixture
def hubspot(hubspot_rig_factory: Callable[..., HubSpotRig]) -> HubSpotRig:
    return hubspot_rig_factory()


# ------------------------------------------------------------------- Marketing Cloud
SFMC_SECRET = "sfmc-secret-for-reliability-0123"


def sfmc_email(title: str = "Reliability mail", campaign: str = "Reliability journey") -> dict[str, Any]:
    """An email for Marketing Cloud: a Content Builder HTML email in a campaign."""
    return {
        "kind": "email",
        "title": title,
        "summary": "What is new",
        "body": "<h1>News</h1><p>Hello</p>",
        "tags": ["newsletter"],
        "email": {"subject": "Hello"},
        "campaign": {"name": campaign, "description": "Reliability campaign"},
    }


@dataclass
class SfmcRig:
    fake: FakeSfmc
    faults: Faults
    url: str
    clock: FakeClock
    secret: str
    made: list[SfmcPlatform] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "SFMC_SUBDOMAIN": SFMC_SUBDOMAIN,
            "SFMC_CLIENT_ID": SFMC_CLIENT_ID,
            "SFMC_CLIENT_SECRET": self.secret,
            "SFMC_AUTH_BASE_URL": self.url,
            "SFMC_RATE_LIMIT": "1000/1",
            "MARKETING_PLATFORM_TIMEOUT": str(TIMEOUT),
        }

    def adapter(self, name: str = "sfmc", **overrides: Any) -> SfmcPlatform:
        assert name == "sfmc", name
        values: dict[str, Any] = {
            "subdomain": SFMC_SUBDOMAIN,
            "client_id": SFMC_CLIENT_ID,
            "client_secret": self.secret,
            "auth_base_url": self.url,
            "rate_limit": "1000/1",
            "timeout": TIMEOUT,
        }
        values.update(overrides)
        platform = SfmcPlatform(SfmcSettings(**values), clock=self.clock, sleep=self.clock.sleep)
        self.made.append(platform)
        return platform

    def activator(self, factory: Callable[[str], Any] | None = None, **options: Any) -> Activator:
        return Activator(
            activation_log=ActivationLog(log_path()), platform_factory=factory or self.adapter, **options
        )

    def campaigns(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.fake.campaigns.values() if c["name"] == name]

    def emails(self, title: str) -> list[dict[str, Any]]:
        """HTML email assets made for the content titled ``title`` (the adapter names an
        asset ``<title> [<content id>]``)."""
        return [a for a in self.fake.of_type(208) if str(a["name"]).startswith(f"{title} [")]

    def images(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.fake.of_type(8, 20, 22, 23, 28) if a["name"] == name]


@pytest.fixture
def sfmc_rig_factory(monkeypatch: pytest.MonkeyPatch, served: Served) -> Callable[..., SfmcRig]:
    """``factory(secret=..., **fake_options)``: a served fake Marketing Cloud that accepts
    ``secret`` as the client secret (the fake reads it from its module)."""

    def factory(*, hold: float = 0.0, secret: str = SFMC_SECRET, **options: Any) -> SfmcRig:
        monkeypatch.setattr(fake_sfmc, "CLIENT_SECRET", secret)
        clock = options.pop("clock", None) or FakeClock()
        fake = FakeSfmc(clock=clock, **options)
        faults, url = served.start(fake, hold)
        return served.keep(SfmcRig(fake, faults, url, clock, secret))

    return factory


@pytest.fixture
def sfmc(sfmc_rig_factory: Callable[..., SfmcRig]) -> SfmcRig:
    return sfmc_rig_factory()


# ------------------------------------------------------- Account Engagement (Pardot)
PARDOT_SECRET = "pardot-secret-for-reliability-0123"
PARDOT_REFRESH = "pardot-refresh-for-reliability-0123"
PARDOT_CAMPAIGN = "Reliability launch"
PARDOT_LIST = "Reliability subscribers"


def pardot_email(
    content_id: str = "reliability-letter", campaign: str = PARDOT_CAMPAIGN, title: str = "Reliability letter"
) -> dict[str, Any]:
    """A list email for Account Engagement: creating it sends it to ``PARDOT_LIST``."""
    return {
        "id": content_id,
        "kind": "email",
        "title": title,
        "summary": "What is new",
        "body": "<h1>News</h1><p>Hello</p>",
        "campaign": {"name": campaign},
        "audience": {"lists": [PARDOT_LIST]},
        "email": {
            "subject": "Hello",
            "from_name": "Acme",
            "from_email": "news@acme.example",
            "reply_to": "replies@acme.example",
        },
    }


def seed_pardot(fake: FakePardot, *campaigns: str) -> FakePardot:
    """What the business unit holds before a test: campaigns (v5 cannot create them) and
    the list the emails go to."""
    for name in campaigns or (PARDOT_CAMPAIGN,):
        fake.add_campaign(name)
    fake.add_list(PARDOT_LIST)
    return fake


@dataclass
class PardotRig:
    fake: FakePardot
    faults: Faults
    url: str
    clock: FakeClock
    secret: str
    refresh_token: str
    made: list[PardotPlatform] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PARDOT_CLIENT_ID": PARDOT_CLIENT_ID,
            "PARDOT_CLIENT_SECRET": self.secret,
            "PARDOT_BUSINESS_UNIT_ID": PARDOT_BUSINESS_UNIT,
            "PARDOT_BASE_URL": self.url,
            "PARDOT_TOKEN_URL": self.url,
            "PARDOT_RATE_LIMIT": "1000/1",
            "MARKETING_PLATFORM_TIMEOUT": str(TIMEOUT),
        }

    def adapter(self, name: str = "pardot", **overrides: Any) -> PardotPlatform:
        assert name == "pardot", name
        values: dict[str, Any] = {
            "client_id": PARDOT_CLIENT_ID,
            "client_secret": self.secret,
            "business_unit_id": PARDOT_BUSINESS_UNIT,
            "base_url": self.url,
            "token_url": self.url,
            "rate_limit": "1000/1",
            "timeout": TIMEOUT,
        }
        values.update(overrides)
        platform = PardotPlatform(PardotSettings(**values), clock=self.clock, sleep=self.clock.sleep)
        self.made.append(platform)
        return platform

    def refresh_adapter(self, name: str = "pardot") -> PardotPlatform:
        return self.adapter(name, refresh_token=self.refresh_token)

    def activator(self, factory: Callable[[str], Any] | None = None, **options: Any) -> Activator:
        return Activator(
            activation_log=ActivationLog(log_path()), platform_factory=factory or self.adapter, **options
        )

    def list_emails(self, name: str) -> list[dict[str, Any]]:
        """List emails named ``name`` (the content id), recycle bin included."""
        return self.fake.named("list-emails", name)

    def sends(self, name: str) -> list[dict[str, Any]]:
        """The sends of the list emails named ``name``: one per create, never deduplicated."""
        ids = {e["id"] for e in self.list_emails(name)}
        return [s for s in self.fake.sends if s["listEmailId"] in ids]


@pytest.fixture
def pardot_rig_factory(served: Served) -> Callable[..., PardotRig]:
    """``factory(secret=..., refresh_token=..., campaigns=(...), **fake_options)``: a
    served fake Account Engagement (and Salesforce token endpoint), seeded."""

    def factory(
        *,
        hold: float = 0.0,
        secret: str = PARDOT_SECRET,
        refresh_token: str = PARDOT_REFRESH,
        campaigns: tuple[str, ...] = (),
        **options: Any,
    ) -> PardotRig:
        clock = options.pop("clock", None) or FakeClock()
        fake = seed_pardot(FakePardot(clock=clock, **options), *campaigns)
        fake.clients = {PARDOT_CLIENT_ID: secret}
        fake.refresh_tokens = {refresh_token}
        faults, url = served.start(fake, hold)
        return served.keep(PardotRig(fake, faults, url, clock, secret, refresh_token))

    return factory


@pytest.fixture
def pardot(pardot_rig_factory: Callable[..., PardotRig]) -> PardotRig:
    return pardot_rig_factory()

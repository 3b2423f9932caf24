"""Fixtures for the Marketing Cloud adapter tests: the fake (in-process through
``httpx.WSGITransport``, or on a loopback port), a fake clock, adapters and activators
over it, and content builders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_platform.activation import Activator
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.testing import FakeClock, png_bytes
from marketing_platform_sfmc import SfmcPlatform

from ..fakes.server import serve
from .fake_sfmc import CLIENT_ID, CLIENT_SECRET, SUBDOMAIN, FakeSfmc

LOOPBACK = "http://127.0.0.1:9"

MakeAdapter = Callable[..., SfmcPlatform]
MakeActivator = Callable[..., Activator]


@pytest.fixture(autouse=True)
def _no_sfmc_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root conftest clears other platforms' variables; clear ours too."""
    for name in list(os.environ):
        if name.startswith("SFMC_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeSfmc:
    return FakeSfmc(clock=clock)


def sfmc_env(base_url: str = LOOPBACK, **extra: str) -> dict[str, str]:
    return {
        "SFMC_SUBDOMAIN": SUBDOMAIN,
        "SFMC_CLIENT_ID": CLIENT_ID,
        "SFMC_CLIENT_SECRET": CLIENT_SECRET,
        "SFMC_AUTH_BASE_URL": base_url,
        **extra,
    }


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = sfmc_env()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def make_adapter(fake: FakeSfmc, clock: FakeClock, env: dict[str, str]) -> Iterator[MakeAdapter]:
    """``make_adapter(**settings)``: an SfmcPlatform talking to ``fake`` in-process."""
    made: list[SfmcPlatform] = []

    def make(*, transport: httpx.BaseTransport | None = None, **overrides: Any) -> SfmcPlatform:
        adapter = SfmcPlatform(
            SfmcPlatform.load_settings(**overrides),  # type: ignore[arg-type]
            transport=transport or httpx.WSGITransport(app=fake),
            clock=clock,
            sleep=clock.sleep,
        )
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(make_adapter: MakeAdapter) -> SfmcPlatform:
    return make_adapter()


@pytest.fixture
def make_activator(make_adapter: MakeAdapter, tmp_path: Path) -> Iterator[MakeActivator]:
    """``make_activator(log_name="a", **settings)``: the real pipeline over a new adapter;
    the same ``log_name`` shares one activation log, a new one starts afresh."""
    made: list[Activator] = []

    def make(log_name: str = "activations", **overrides: Any) -> Activator:
        log = ActivationLog(tmp_path / f"{log_name}.sqlite3")
        activator = Activator(
            activation_log=log, platform_factory=lambda name: make_adapter(**overrides), fallback=[]
        )
        made.append(activator)
        return activator

    yield make
    for activator in made:
        activator.close()


@pytest.fixture
def live(fake: FakeSfmc, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The fake on a loopback port, and the environment pointing ``mplat`` at it."""
    with serve(fake) as url:
        for name, value in sfmc_env(url).items():
            monkeypatch.setenv(name, value)
        yield url


def write_png(folder: Path, name: str, shade: int = 1) -> Path:
    """A small PNG (``shade`` makes different bytes) at ``folder/name``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(shade, 1))
    return path


def email(**changes: Any) -> Content:
    """A valid newsletter email; ``changes`` override its fields."""
    data: dict[str, Any] = {
        "id": "march-newsletter",
        "kind": "email",
        "title": "March newsletter",
        "summary": "What is new in March",
        "body": "<h1>March</h1><p>News.</p>",
        "tags": ["newsletter"],
        "email": {"subject": "March news", "from_name": "Acme", "reply_to": "news@acme.example"},
        "audience": {"lists": ["Newsletter subscribers"]},
        "campaign": {"name": "Newsletter 2026", "description": "Monthly newsletters"},
    }
    data.update(changes)
    return Content.model_validate(data)


def landing_page(**changes: Any) -> Content:
    data: dict[str, Any] = {
        "id": "emea-roadshow",
        "kind": "landing_page",
        "title": "EMEA roadshow",
        "summary": "Meet us in London",
        "body": "<h1>Roadshow</h1>",
        "campaign": {"name": "EMEA Roadshow 2026"},
    }
    data.update(changes)
    return Content.model_validate(data)

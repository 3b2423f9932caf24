"""Discovery through real entry points: fake installed distributions on sys.path."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_platform.errors import ConfigurationError
from marketing_platform.hookspecs import hookimpl
from marketing_platform.platform import MarketingPlatform
from marketing_platform.registry import ADAPTER_GROUP, PLUGIN_GROUP, Registry
from marketing_platform.testing import fake_install

from .helpers import AdapterPlugin, make_recorder

ADAPTER_SOURCE = """
from marketing_platform.models import (
    AssetsResponse, CampaignResponse, Capability, CheckResponse, PublishResponse, StatusResponse,
)
from marketing_platform.platform import MarketingPlatform


class {cls}(MarketingPlatform):
    name = "{name}"
    capabilities = frozenset({{Capability.BLOG_POST, Capability.PROGRAM}})
    plugin_api_version = "{api}"

    def create_campaign(self, campaign):
        return CampaignResponse(platform=self.name, external_id="c-1", name=campaign.name)

    def publish_content(self, content, *, campaign=None, assets=None):
        return PublishResponse(platform=self.name, external_id="p-1", content_id=content.id)

    def upload_assets(self, assets):
        return AssetsResponse(platform=self.name)

    def get_status(self, ref):
        return StatusResponse(platform=self.name, external_id=ref, status="published")

    def check(self):
        return CheckResponse(platform=self.name)
"""


class FakeSite:
    """A folder of fake installed distributions, put on sys.path by :meth:`install`."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self.prefix = f"fake_mplat_{uuid.uuid4().hex[:8]}"
        self.modules: list[str] = []

    def module(self, suffix: str, source: str) -> str:
        name = f"{self.prefix}_{suffix}"
        (self.root / f"{name}.py").write_text(textwrap.dedent(source))
        self.modules.append(name)
        return name

    def adapter(self, platform: str, *, api: str = "1.0") -> str:
        """A module holding a working adapter called ``platform``; returns its target."""
        module = self.module(platform, ADAPTER_SOURCE.format(cls="Adapter", name=platform, api=api))
        return f"{module}:Adapter"

    def dist(self, name: str, version: str, entries: dict[str, str], group: str = ADAPTER_GROUP) -> None:
        fake_install(self.root, name, version, {group: entries})

    def install(self) -> None:
        self.monkeypatch.syspath_prepend(str(self.root))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    # stevedore caches entry points (on disk under XDG_CACHE_HOME, and in memory per
    # sys.path): give every test a fresh, private cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # stevedore also memoises entry points per group in a class attribute.
    from stevedore import _cache
    from stevedore.extension import ExtensionManager

    fresh = _cache.Cache(cache_dir=str(tmp_path / "cache" / "python-entrypoints"))
    monkeypatch.setattr(_cache, "get_group_all", fresh.get_group_all)
    monkeypatch.setattr(_cache, "get_group_named", fresh.get_group_named)
    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
    root = tmp_path / "site-packages"
    root.mkdir()
    fake = FakeSite(root, monkeypatch)
    yield fake
    for name in fake.modules:
        sys.modules.pop(name, None)


@pytest.fixture
def fakeplat(site: FakeSite) -> FakeSite:
    """One installed distribution ``marketing-platform-fakeplat`` 0.1 providing ``fakeplat``."""
    site.dist("marketing-platform-fakeplat", "0.1", {"fakeplat": site.adapter("fakeplat")})
    return site


def _row(registry: Registry, name: str):  # type: ignore[no-untyped-def]
    rows = {row.name: row for row in registry.available()}
    assert name in rows, f"{name} not listed; got {sorted(rows)}"
    return rows[name]


def test_installed_adapter_is_listed_ok_with_distribution_and_version(fakeplat: FakeSite) -> None:
    fakeplat.install()

    row = _row(Registry(), "fakeplat")

    assert row.status == "ok"
    assert row.error is None
    assert row.distribution == "marketing-platform-fakeplat"
    assert row.version == "0.1"
    assert row.capabilities == ["blog_post", "program"]


def test_create_returns_an_instance_of_the_installed_adapter(fakeplat: FakeSite) -> None:
    fakeplat.install()

    with Registry().create("fakeplat") as adapter:
        assert isinstance(adapter, MarketingPlatform)
        assert adapter.name == "fakeplat"
        assert type(adapter).__module__ == fakeplat.modules[0]


def test_create_imports_only_the_adapter_asked_for(site: FakeSite) -> None:
    site.dist("marketing-platform-fakeplat", "0.1", {"fakeplat": site.adapter("fakeplat")})
    site.dist("marketing-platform-other", "0.2", {"otherplat": site.adapter("otherplat")})
    site.install()
    fake_module, other_module = site.modules

    registry = Registry()
    assert "otherplat" in registry.names()
    registry.create("fakeplat").close()

    assert fake_module in sys.modules
    assert other_module not in sys.modules


def test_broken_plugin_is_listed_as_broken_and_does_not_break_the_others(fakeplat: FakeSite) -> None:
    broken = fakeplat.module("broken", "raise ImportError('needs libfoo, which is not installed')\n")
    fakeplat.dist("marketing-platform-broken", "1.0", {"brokenplat": f"{broken}:Adapter"})
    fakeplat.install()
    registry = Registry()

    row = _row(registry, "brokenplat")
    assert row.status == "broken"
    assert row.error is not None
    assert "error importing plugin" in row.error
    assert "marketing-platform-broken" in row.error
    assert "needs libfoo" in row.error
    assert _row(registry, "fakeplat").status == "ok"
    assert _row(registry, "mock").status == "ok"
    registry.create("fakeplat").close()
    with pytest.raises(ConfigurationError, match="error importing plugin brokenplat"):
        registry.create("brokenplat")


def test_two_distributions_claiming_one_platform_name_are_refused(site: FakeSite) -> None:
    site.dist("marketing-platform-dupe-a", "1.0", {"dupe": site.adapter("dupe_a")})
    site.dist("marketing-platform-dupe-b", "2.0", {"dupe": site.adapter("dupe_b")})
    site.install()

    with pytest.raises(ConfigurationError) as caught:
        Registry().create("dupe")

    message = str(caught.value)
    assert "claimed by several distributions" in message
    assert "marketing-platform-dupe-a" in message
    assert "marketing-platform-dupe-b" in message
    assert _row(Registry(), "dupe").status == "broken"


def test_adapter_built_for_another_plugin_api_major_version_is_broken(site: FakeSite) -> None:
    target = site.module("future", ADAPTER_SOURCE.format(cls="Adapter", name="future", api="2.0"))
    site.dist("marketing-platform-future", "3.0", {"future": f"{target}:Adapter"})
    site.install()
    registry = Registry()

    row = _row(registry, "future")
    assert row.status == "broken"
    assert row.error is not None
    assert "2.0" in row.error
    assert "1.0" in row.error
    with pytest.raises(ConfigurationError, match=r"plugin API 2\.0"):
        registry.create("future")


def test_disabled_plugins_are_not_loaded_and_cannot_be_created(
    fakeplat: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETING_PLATFORM_DISABLED_PLUGINS", "fakeplat, somethingelse")
    fakeplat.install()
    registry = Registry()

    row = _row(registry, "fakeplat")
    assert row.status == "disabled"
    assert fakeplat.modules[0] not in sys.modules
    with pytest.raises(ConfigurationError, match="MARKETING_PLATFORM_DISABLED_PLUGINS"):
        registry.create("fakeplat")
    assert _row(registry, "mock").status == "ok"


def test_unknown_platform_names_installed_platforms_and_the_package_to_install(fakeplat: FakeSite) -> None:
    fakeplat.install()

    with pytest.raises(ConfigurationError) as caught:
        Registry().create("nosuchplat")

    text = str(caught.value)
    assert "unknown platform 'nosuchplat'" in text
    assert "fakeplat" in text
    assert "mock" in text
    assert "pip install marketing-platform-nosuchplat" in text


def test_marketing_platform_env_selects_the_default_adapter(
    fakeplat: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakeplat.install()
    with Registry().create() as default:
        assert default.name == "mock"

    monkeypatch.setenv("MARKETING_PLATFORM", "fakeplat")
    with Registry().create() as chosen:
        assert chosen.name == "fakeplat"


def test_in_process_adapter_registered_with_a_hook_can_be_created(registry: Registry) -> None:
    cls = make_recorder("inproc")

    class Plugin:
        @hookimpl
        def mplat_register_adapters(self) -> list[type[MarketingPlatform]]:
            return [cls]

    registry.register_plugin(Plugin())

    assert "inproc" in registry.names()
    with registry.create("inproc") as adapter:
        assert isinstance(adapter, cls)
    row = _row(registry, "inproc")
    assert row.status == "ok"
    assert "program" in row.capabilities


def test_in_process_adapter_is_listed_with_its_module_as_distribution(registry: Registry) -> None:
    cls = make_recorder("inproc2")
    registry.register_plugin(AdapterPlugin(cls))

    row = _row(registry, "inproc2")

    assert row.distribution == cls.__module__


def test_extension_plugins_from_the_plugins_group_are_registered_and_broken_ones_reported(
    site: FakeSite,
) -> None:
    good = site.module(
        "validator",
        """
        from marketing_platform.errors import Problem
        from marketing_platform.hookspecs import hookimpl

        @hookimpl
        def mplat_validate_content(content, platform):
            return [Problem("title", "house style: no exclamation marks")] if "!" in content.title else []
        """,
    )
    bad = site.module("badext", "raise ImportError('half installed')\n")
    site.dist("mplat-house-style", "1.0", {"house": good, "bad": bad}, group=PLUGIN_GROUP)
    site.install()
    registry = Registry()

    from marketing_platform.models import Content

    problems = registry.hooks.validate_content(Content(kind="blog_post", title="Wow!"), "mock")

    assert [p.field for p in problems] == ["title"]
    errors = registry.plugin_errors()
    assert "error importing plugin bad" in errors["bad"]
    assert "half installed" in errors["bad"]


def test_adapter_installed_at_run_time_is_found_after_reset_default_registry(fakeplat: FakeSite) -> None:
    from marketing_platform.registry import default_registry, reset_default_registry

    default_registry().create("mock").close()  # the process has already used an adapter
    fakeplat.install()  # ... then the user pip-installs another one
    reset_default_registry()

    with default_registry().create("fakeplat") as adapter:
        assert adapter.name == "fakeplat"

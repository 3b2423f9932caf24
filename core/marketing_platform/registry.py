"""Discovery: which adapters are installed, loading the one asked for, and the hooks.

* Adapters are entry points in ``marketing_platform.adapters`` (name = platform name,
  value = a :class:`MarketingPlatform` subclass). ``stevedore.DriverManager`` loads only
  the adapter asked for, so switching platforms stays cheap and one broken adapter never
  breaks another. The entry-point table is read once per :class:`Registry` and loaded
  classes are cached.
* Hooks: a pluggy ``PluginManager`` holding every loaded adapter class, every
  distribution under ``marketing_platform.plugins`` and anything registered in-process;
  :class:`Hooks` is its typed facade. Adapters returned by ``mplat_register_adapters``
  are available by name like installed ones.
"""

from __future__ import annotations

import difflib
import logging
import threading
from dataclasses import asdict, dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, cast

import pluggy

from . import hookspecs
from .errors import ConfigurationError, Problem
from .settings import CoreSettings, load_core_settings

if TYPE_CHECKING:
    from .log import ActivationRecord
    from .models import Content
    from .platform import MarketingPlatform

log = logging.getLogger("marketing_platform.registry")

ADAPTER_GROUP = "marketing_platform.adapters"
PLUGIN_GROUP = "marketing_platform.plugins"


@dataclass(frozen=True)
class PlatformInfo:
    """One row of ``mplat platforms``: an adapter and whether it loads."""

    name: str
    distribution: str | None
    version: str | None
    status: str  # "ok" | "broken" | "disabled"
    error: str | None = None
    capabilities: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Hooks:
    """Typed calls into the pluggy hooks (``pm.hook`` itself is untyped)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def validate_content(self, content: Content, platform: str) -> list[Problem]:
        results = self.pm.hook.mplat_validate_content(content=content, platform=platform)
        return [problem for result in results if result for problem in result]

    def transform_payload(self, platform: str, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        # pluggy calls every implementation with the same arguments; a transform chain
        # needs each to see the previous result, so the implementations run in turn.
        for impl in reversed(self.pm.hook.mplat_transform_payload.get_hookimpls()):
            arguments: dict[str, Any] = {"platform": platform, "operation": operation, "payload": payload}
            changed = impl.function(**{name: arguments[name] for name in impl.argnames})
            if isinstance(changed, dict):
                payload = changed
        return payload

    def activation_finished(self, record: ActivationRecord) -> None:
        try:
            self.pm.hook.mplat_activation_finished(record=record)
        except Exception:  # an observer must never turn a success into a failure
            log.exception("an mplat_activation_finished hook failed")

    def registered_adapters(self) -> list[type[MarketingPlatform]]:
        results = self.pm.hook.mplat_register_adapters()
        return [cls for result in results if result for cls in result]


def _distribution(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def _compatible(adapter: type[MarketingPlatform]) -> str | None:
    """Why ``adapter`` does not fit this core, or None when it does."""
    from .platform import PLUGIN_API_VERSION, MarketingPlatform

    if not (isinstance(adapter, type) and issubclass(adapter, MarketingPlatform)):
        return f"{adapter!r} is not a MarketingPlatform subclass"
    wanted = str(getattr(adapter, "plugin_api_version", "?"))
    if wanted.split(".", maxsplit=1)[0] != PLUGIN_API_VERSION.split(".")[0]:
        return (
            f"built for plugin API {wanted}; this core provides plugin API {PLUGIN_API_VERSION} "
            f"(install a version of the adapter made for plugin API {PLUGIN_API_VERSION.split('.')[0]}.x)"
        )
    if not getattr(adapter, "name", None):
        return "the adapter class declares no name"
    return None


class Registry:
    """Discovers adapters and owns the plugin manager. One per process is typical
    (:func:`default_registry`); tests make their own."""

    def __init__(self, core_settings: CoreSettings | None = None) -> None:
        self.core_settings = core_settings or load_core_settings()
        self._lock = threading.RLock()
        self._entry_points: dict[str, list[EntryPoint]] | None = None
        self._classes: dict[str, type[MarketingPlatform]] = {}
        self._pm: pluggy.PluginManager | None = None
        self._plugin_errors: dict[str, str] = {}

    # ------------------------------------------------------------------ hooks
    @property
    def pm(self) -> pluggy.PluginManager:
        with self._lock:
            if self._pm is None:
                pm = pluggy.PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                self._pm = pm
                self._load_extension_plugins(pm)
            return self._pm

    @property
    def hooks(self) -> Hooks:
        return Hooks(self.pm)

    def register_plugin(self, plugin: object, name: str | None = None) -> None:
        """Register an in-process hook implementation (an object or a module)."""
        self.pm.register(plugin, name=name)

    def _load_extension_plugins(self, pm: pluggy.PluginManager) -> None:
        for ep in entry_points(group=PLUGIN_GROUP):
            if ep.name in self.core_settings.disabled:
                continue
            try:
                pm.register(ep.load(), name=f"plugin:{ep.name}")
            except Exception as exc:  # one broken extension must not break the rest
                dist, _ = _distribution(ep)
                message = f"error importing plugin {ep.name} (distribution {dist}): {exc!r}"
                self._plugin_errors[ep.name] = message
                log.warning("%s", message)

    # -------------------------------------------------------------- discovery
    def entry_points(self) -> dict[str, list[EntryPoint]]:
        """Adapter entry points by name, read once."""
        with self._lock:
            if self._entry_points is None:
                table: dict[str, list[EntryPoint]] = {}
                for ep in entry_points(group=ADAPTER_GROUP):
                    table.setdefault(ep.name, []).append(ep)
                self._entry_points = table
            return self._entry_points

    def _in_process(self) -> dict[str, type[MarketingPlatform]]:
        return {cls.name: cls for cls in self.hooks.registered_adapters() if getattr(cls, "name", None)}

    def names(self) -> list[str]:
        """Every platform name installed or registered in-process (loaded or not)."""
        return sorted(set(self.entry_points()) | set(self._in_process()))

    def adapter_class(self, name: str) -> type[MarketingPlatform]:
        """The adapter class for ``name``; imports only that adapter."""
        with self._lock:
            cached = self._classes.get(name)
            if cached is not None:
                return cached
            if name in self.core_settings.disabled:
                raise ConfigurationError(
                    f"platform {name!r} is disabled by MARKETING_PLATFORM_DISABLED_PLUGINS",
                    code="disabled",
                    hint="remove it from MARKETING_PLATFORM_DISABLED_PLUGINS to use it",
                )
            adapter = self._in_process().get(name) or self._load_entry_point(name)
            problem = _compatible(adapter)
            if problem:
                raise ConfigurationError(f"platform {name!r} cannot be used: {problem}", code="incompatible")
            self.pm.register(adapter, name=f"adapter:{name}")
            self._classes[name] = adapter
            return adapter

    def _load_entry_point(self, name: str) -> type[MarketingPlatform]:
        found = self.entry_points().get(name, [])
        if not found:
            names = self.names()
            installed = ", ".join(names) or "none"
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            if close:  # a typo of an installed platform: no install hint
                raise ConfigurationError(
                    f"unknown platform {name!r}: did you mean {close[0]!r}? Installed platforms: {installed}",
                    code="unknown_platform",
                    hint=f"use --platform {close[0]} (or set MARKETING_PLATFORM={close[0]})",
                )
            raise ConfigurationError(
                f"unknown platform {name!r}; installed platforms: {installed}",
                code="unknown_platform",
                hint=f"install its adapter (pip install marketing-platform-{name}) "
                "or set MARKETING_PLATFORM / --platform to one of the installed platforms",
            )
        dists = sorted({str(_distribution(ep)[0]) for ep in found})
        if len(found) > 1:
            raise ConfigurationError(
                f"platform {name!r} is claimed by several distributions: {', '.join(dists)}",
                code="duplicate_platform",
                hint="uninstall all but one of them",
            )
        from stevedore import DriverManager

        failure: list[BaseException] = []

        def on_failure(_manager: object, _ep: object, exc: BaseException) -> None:
            failure.append(exc)

        driver: DriverManager[Any] | None
        try:
            driver = DriverManager(
                ADAPTER_GROUP, name, invoke_on_load=False, on_load_failure_callback=on_failure
            )
        except Exception as exc:  # stevedore raises NoMatches when the load failed
            failure.append(exc)
            driver = None
        if failure or driver is None:
            raise ConfigurationError(
                f"error importing plugin {name} (distribution {dists[0]}): {failure[0]!r}",
                code="broken_platform",
                hint=f"reinstall or upgrade {dists[0]}, or run `mplat platforms` for details",
            )
        loaded: Any = driver.driver
        return cast("type[MarketingPlatform]", loaded)

    def available(self) -> list[PlatformInfo]:
        """Every platform with its status; imports every adapter to find broken ones."""
        rows: list[PlatformInfo] = []
        in_process = self._in_process()
        for name in self.names():
            eps = self.entry_points().get(name, [])
            dist, version = _distribution(eps[0]) if eps else ("(in-process)", None)
            if name in self.core_settings.disabled:
                rows.append(
                    PlatformInfo(
                        name, dist, version, "disabled", "disabled by MARKETING_PLATFORM_DISABLED_PLUGINS"
                    )
                )
                continue
            if name in in_process and not eps:
                dist = in_process[name].__module__
            try:
                adapter = self.adapter_class(name)
            except ConfigurationError as exc:
                rows.append(PlatformInfo(name, dist, version, "broken", exc.message))
                continue
            rows.append(
                PlatformInfo(name, dist, version, "ok", None, sorted(c.value for c in adapter.capabilities))
            )
        return rows

    def plugin_errors(self) -> dict[str, str]:
        _ = self.pm
        return dict(self._plugin_errors)

    def create(self, name: str | None = None, **options: Any) -> MarketingPlatform:
        """An adapter instance for ``name`` (default ``MARKETING_PLATFORM``, else mock).

        ``options`` are passed to the adapter: ``settings``, ``transport``, ``clock``,
        ``sleep``; any other keyword overrides a settings field (e.g. ``base_url``).
        """
        adapter = self.adapter_class(name or self.core_settings.platform)
        constructor_keys = {"settings", "transport", "clock", "sleep"}
        constructor = {k: v for k, v in options.items() if k in constructor_keys}
        overrides = {k: v for k, v in options.items() if k not in constructor_keys}
        if "settings" not in constructor:
            constructor["settings"] = adapter.load_settings(**overrides)
        return adapter(hooks=self.hooks, core_settings=self.core_settings, **constructor)


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default


def reset_default_registry() -> None:
    """Forget the process-wide registry and the entry points read so far (tests; after
    installing a plugin at run time)."""
    global _default
    with _default_lock:
        _default = None
    from stevedore import ExtensionManager

    ExtensionManager.ENTRY_POINT_CACHE.clear()

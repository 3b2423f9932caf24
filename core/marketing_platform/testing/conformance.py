"""AdapterConformance: the contract every adapter must keep, as a reusable pytest suite.

Subclass it in your adapter's tests, name the class ``Test...``, set ``adapter_class``
and override the fixtures that describe your fake vendor::

    class TestAcmeConformance(AdapterConformance):
        adapter_class = AcmePlatform

        @pytest.fixture
        def adapter_env(self) -> dict[str, str]:
            return {"ACME_API_TOKEN": "fake-token-1234", "ACME_BASE_URL": "https://api.acme.test"}

        @pytest.fixture
        def fake_transport(self, fake_acme: FakeAcme) -> httpx.BaseTransport:
            return httpx.WSGITransport(app=fake_acme)

        @pytest.fixture
        def fake_snapshot(self, fake_acme: FakeAcme) -> Snapshot:
            return fake_acme.counts          # e.g. {"campaigns": 1, "emails": 0}

Fixtures (all optional except where your adapter needs them):

``adapter_env``
    Environment variables that configure the adapter against the fake. Secret values
    here are what the kit looks for in reprs, errors and logs.
``fake_transport``
    The ``httpx`` transport that reaches your fake (None: the adapter needs no HTTP).
``fake_snapshot``
    A callable returning a comparable picture of the fake's objects (counts per type
    are enough). Without it the side-effect checks rely on the recorded requests only.
``sample_content``
    Content for every kind the adapter declares (default: the kit's samples).
``campaign_spec``
    The campaign used by the idempotency check.
``error_cases``
    :class:`ErrorCase` s: a way to make the fake fail and the core error expected
    (default: plain HTTP 401/403/429/503, see :func:`default_error_cases`).
``adapter_factory``
    Builds the adapter; the default loads settings from ``adapter_env`` and passes
    ``transport``, ``clock`` and ``sleep`` (a :class:`FakeClock`: nothing really waits).
    If you override it, honour the ``transport`` argument: the kit wraps your fake's
    transport to record requests and to inject failures.
``vendor_limits``
    The vendor's documented rate limit (a :class:`RateLimits`); the adapter's declared
    ``rate_limits`` must not exceed it. Default: the declared ``rate_limits`` (so
    declare it to have the comparison mean something).
``rate_limit_answer``
    Given seconds, the vendor's "too many requests, wait that long" answer (default:
    ``429`` with ``Retry-After``); the next request must wait at least that long.
``step_failure``
    The failure injected on each request of each operation in turn (default: ``403``
    with a JSON message); every operation must then raise.

Class attributes: ``adapter_class`` (required); ``read_only_exempt_paths``: path
suffixes ``check()`` may send a non-GET request to (an OAuth token endpoint), which the
budget checks do not count either; ``base_url_settings``: the settings holding base
URLs (default: every ``str`` setting whose name ends in ``url``).
Override :meth:`AdapterConformance.reset_process_state` when the adapter keeps state
per process (a token cache shared by instances): the kit calls it between error cases.

Every failure says what to fix and links the section of ``docs/adapters.md`` that
explains it. Run one check with ``pytest -k NAME`` (e.g. ``-k "burst or rate_limit"``).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpx
import pytest
from pydantic import AliasChoices, SecretStr

from ..assets import load_asset
from ..errors import ConfigurationError, ContentRejected, MarketingPlatformError, RateLimitError
from ..models import (
    Asset,
    AssetsResponse,
    CampaignResponse,
    CampaignSpec,
    Capability,
    CheckResponse,
    Content,
    ContentKind,
    PublishResponse,
    StatusResponse,
)
from ..platform import PLUGIN_API_VERSION, MarketingPlatform
from ..ratelimit import RateLimits
from ..settings import PlatformSettings
from .clock import FakeClock
from .samples import png_bytes, sample_asset, sample_campaign, sample_content
from .transports import (
    ErrorCase,
    FailingTransport,
    FailNthTransport,
    LimitingTransport,
    RecordingTransport,
    SentRequest,
    default_error_cases,
    forbidden_answer,
    operation,
    retry_after_answer,
)

if TYPE_CHECKING:
    from ..activation import ActivationResult

__all__ = ["AdapterConformance", "AdapterFactory", "Kit", "Snapshot", "secret_values"]

#: A comparable picture of the fake vendor's state (e.g. object counts per type).
Snapshot = Callable[[], object]

_OPERATIONS = ("create_campaign", "publish_content", "upload_assets", "get_status", "check")
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "APIKEY", "PRIVATE_KEY")
#: The operations the kit labels, so a failure can name the one that sent a request.
_LABELLED = (
    "upload_assets",
    "create_campaign",
    "update_campaign",
    "publish_content",
    "update_content",
    "find_campaign",
    "find_content",
    "campaign_changes",
    "content_changes",
    "get_status",
    "check",
)
#: Seconds the kit's rate-limit answer asks the adapter to wait.
LIMIT_WAIT = 7.0
#: A plain-http, non-loopback URL and one carrying credentials: both must be refused.
_UNSAFE_URLS = ("http://kit-plain-http.example", "https://kit:kit-password-0000@kit.example")
DOCS = "docs/adapters.md"


class AdapterFactory(Protocol):
    """Builds an adapter talking to ``transport`` (None: the fake's own transport);
    keyword arguments override settings fields."""

    def __call__(self, transport: httpx.BaseTransport | None = None, **overrides: Any) -> MarketingPlatform:
        """Return a new adapter instance."""


def secret_values(settings: PlatformSettings) -> list[str]:
    """The plain values of every ``SecretStr`` field of ``settings``."""
    return [value.get_secret_value() for _, value in settings.secret_fields() if value.get_secret_value()]


def _env_names(model: type[PlatformSettings], field_name: str) -> set[str]:
    """Every environment variable that can set ``field_name`` (upper-cased)."""
    prefix = str(model.model_config.get("env_prefix") or "")
    names = {f"{prefix}{field_name}".upper()}
    info = model.model_fields[field_name]
    for alias in (info.validation_alias, info.alias):
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices if isinstance(choice, str))
    return names


def labelled(adapter: MarketingPlatform) -> MarketingPlatform:
    """``adapter`` with its operations labelling the requests they send (see
    :func:`~marketing_platform.testing.transports.operation`), so a recorded request
    names the operation that sent it."""
    for name in _LABELLED:
        method = getattr(adapter, name)

        @functools.wraps(method)
        def wrapper(*args: Any, _method: Any = method, _name: str = name, **kwargs: Any) -> Any:
            with operation(_name):
                return _method(*args, **kwargs)

        setattr(adapter, name, wrapper)
    return adapter


def _is_secret(annotation: Any) -> bool:
    """True when a settings field's annotation is ``SecretStr`` (or ``SecretStr | None``)."""
    if annotation is SecretStr:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_secret(arg) for arg in typing.get_args(annotation))
    return False


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(arg is str for arg in typing.get_args(annotation))
    return False


def _rate(limits: RateLimits) -> str:
    return f"{limits.calls} calls per {limits.per_seconds:g} s"


@dataclass
class Kit:
    """What a conformance test works with: the adapter class, a factory, the fake's
    transport and snapshot, and the samples. Adapters it builds are closed at teardown."""

    adapter_class: type[MarketingPlatform]
    factory: AdapterFactory
    fake_transport: httpx.BaseTransport | None
    snapshot: Snapshot | None
    samples: Sequence[Content]
    campaign: CampaignSpec
    clock: FakeClock
    secrets: list[str]
    folder: Path
    _open: list[MarketingPlatform] = field(default_factory=list)

    def adapter(self, transport: httpx.BaseTransport | None = None) -> MarketingPlatform:
        """A new adapter over ``transport`` (default: the fake's, recorded)."""
        adapter = self.factory(transport if transport is not None else self.fake_transport)
        self._open.append(adapter)
        return adapter

    def recorded(self) -> tuple[MarketingPlatform, RecordingTransport]:
        """A new adapter whose requests are recorded."""
        recorder = RecordingTransport(self.fake_transport)
        return self.adapter(recorder), recorder

    def state(self) -> object:
        """The fake's snapshot, or None when the author gave no ``fake_snapshot``."""
        return self.snapshot() if self.snapshot is not None else None

    def sample(self, kind: str) -> Content:
        for content in self.samples:
            if content.kind.value == kind:
                return content
        pytest.fail(
            f"{self.adapter_class.__name__} declares {kind!r} content but the sample_content "
            f"fixture has no {kind!r} sample; add one"
        )

    def publish(self, adapter: MarketingPlatform, content: Content) -> PublishResponse:
        """Run ``content`` through the adapter in the pipeline's order: validate,
        upload assets, create the campaign (if the mapper names one), publish."""
        problems = adapter.mapper.problems(content)
        assert not problems, f"the adapter's mapper rejects the {content.kind.value} sample: {problems}"
        assets = adapter.upload_assets(content.assets) if content.assets else None
        spec = adapter.mapper.campaign_spec(content)
        campaign = adapter.create_campaign(spec) if spec is not None else None
        return adapter.publish_content(content, campaign=campaign, assets=assets)

    def activate(
        self, content: Content, *, log: str = "kit", transport: httpx.BaseTransport | None = None
    ) -> ActivationResult:
        """Run ``content`` through the real pipeline (look-ups, sync, activation log
        ``log`` in the kit's folder) with a new adapter over ``transport`` (default: the
        fake's). A new ``log`` name stands for a fresh machine: only the vendor knows."""
        from ..activation import Activator
        from ..log import ActivationLog
        from ..registry import Registry

        self.folder.mkdir(parents=True, exist_ok=True)
        activation_log = ActivationLog(self.folder.parent / f"mplat-kit-{log}.sqlite3")

        def factory(name: str) -> MarketingPlatform:
            return labelled(self.factory(transport if transport is not None else self.fake_transport))

        with Activator(
            registry=Registry(), activation_log=activation_log, platform_factory=factory, fallback=[]
        ) as activator:
            return activator.activate(content, self.adapter_class.name, asset_root=self.folder)

    def first_operation(self, adapter: MarketingPlatform, operation: str) -> object:
        """Run ``operation`` (an :class:`ErrorCase` operation) and return its result."""
        if operation == "auto":
            operation = "create_campaign" if Capability.PROGRAM in adapter.capabilities else "publish_content"
        if operation == "check":
            return adapter.check()
        if operation == "create_campaign":
            return adapter.create_campaign(self.campaign)
        if operation == "upload_assets":
            return adapter.upload_assets([sample_asset(self.folder, max_bytes=adapter.max_asset_bytes)])
        kind = sorted(adapter.supported_kinds())[0]
        return self.publish(adapter, self.sample(kind))

    def next_window(self) -> None:
        """Let one window of the adapter's declared budget pass on the kit's clock, so
        the next adapter (with a budget of its own) starts where a vendor counting on
        that clock has forgotten the calls before. Give a fake that enforces a rate
        limit the ``kit_clock`` fixture as its clock."""
        self.clock.advance(self.adapter_class.rate_limits.per_seconds + 1)

    def variant(self, content: Content, tag: str) -> Content:
        """``content`` as a new object: id and title carry ``tag`` (so nothing the fake
        holds already is found for it)."""
        return content.model_copy(update={"id": f"{content.id}-{tag}", "title": f"{content.title} {tag}"})

    def run(self, adapter: MarketingPlatform, step: str, tag: str) -> object:
        """Run the kit operation ``step`` (``create_campaign``, ``upload_assets`` or
        ``publish:KIND``) on new input named by ``tag``; returns its result."""
        if step == "create_campaign":
            return adapter.create_campaign(
                self.campaign.model_copy(update={"name": f"{self.campaign.name} {tag}"})
            )
        if step == "upload_assets":
            side = 1 + sum(map(ord, tag)) % 97  # new bytes for each tag: nothing to reuse
            folder = self.folder / tag
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"kit-{tag}.png").write_bytes(png_bytes(side, side))
            asset = Asset(path=Path(f"kit-{tag}.png"), alt_text="A grey square")
            return adapter.upload_assets([load_asset(asset, folder, max_bytes=adapter.max_asset_bytes)])
        kind = step.removeprefix("publish:")
        return self.publish(adapter, self.variant(self.sample(kind), tag))

    def close(self) -> None:
        for adapter in self._open:
            adapter.close()
        self._open.clear()

    def assert_no_secret(self, text: str, where: str) -> None:
        for secret in self.secrets:
            assert secret not in text, f"a secret setting value appears in {where}"


class AdapterConformance:
    """The conformance suite; see the module documentation for how to use it."""

    adapter_class: ClassVar[type[MarketingPlatform]]
    read_only_exempt_paths: ClassVar[frozenset[str]] = frozenset()
    #: Settings holding base URLs (None: every ``str`` setting whose name ends in ``url``).
    base_url_settings: ClassVar[tuple[str, ...] | None] = None

    def reset_process_state(self) -> None:
        """Forget state the adapter shares between instances (e.g. a token cache).

        Called before each error case, which each build a new adapter. No-op by default."""

    # ------------------------------------------------------- author's fixtures
    @pytest.fixture
    def adapter_env(self) -> dict[str, str]:
        """Environment that configures the adapter against the fake."""
        return {}

    @pytest.fixture
    def fake_transport(self) -> httpx.BaseTransport | None:
        """The transport reaching the fake vendor (None: the adapter does no HTTP)."""
        return None

    @pytest.fixture
    def fake_snapshot(self) -> Snapshot | None:
        """A callable returning a comparable picture of the fake's objects."""
        return None

    @pytest.fixture
    def sample_content(self) -> list[Content]:
        """One valid sample per declared content kind."""
        return [sample_content(kind) for kind in sorted(self.adapter_class.supported_kinds())]

    @pytest.fixture
    def campaign_spec(self) -> CampaignSpec:
        return sample_campaign()

    @pytest.fixture
    def error_cases(self) -> list[ErrorCase]:
        return default_error_cases()

    @pytest.fixture
    def vendor_limits(self) -> RateLimits:
        """The vendor's documented rate limit; the declared ``rate_limits`` must fit in it."""
        return self.adapter_class.rate_limits

    @pytest.fixture
    def rate_limit_answer(self) -> Callable[[float], httpx.Response]:
        """The vendor's answer asking to wait the given seconds (default: 429 + Retry-After)."""
        return retry_after_answer

    @pytest.fixture
    def step_failure(self) -> Callable[[httpx.Request], httpx.Response]:
        """The failure injected on one request of an operation (default: 403)."""
        return forbidden_answer

    @pytest.fixture
    def kit_clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def kit_env(
        self, adapter_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> dict[str, str]:
        """Applies ``adapter_env`` (and a private activation log folder) for the test."""
        monkeypatch.setenv("MARKETING_PLATFORM_LOG", str(tmp_path / "mplat-kit" / "activations.sqlite3"))
        for name, value in adapter_env.items():
            monkeypatch.setenv(name, value)
        return adapter_env

    @pytest.fixture
    def adapter_factory(
        self, kit_env: dict[str, str], fake_transport: httpx.BaseTransport | None, kit_clock: FakeClock
    ) -> AdapterFactory:
        cls = self.adapter_class

        def make(transport: httpx.BaseTransport | None = None, **overrides: Any) -> MarketingPlatform:
            return cls(
                cls.load_settings(**overrides),
                transport=transport if transport is not None else fake_transport,
                clock=kit_clock,
                sleep=kit_clock.sleep,
            )

        return make

    @pytest.fixture
    def kit(  # noqa: PLR0917 - pytest passes fixtures positionally
        self,
        kit_env: dict[str, str],
        adapter_factory: AdapterFactory,
        fake_transport: httpx.BaseTransport | None,
        fake_snapshot: Snapshot | None,
        sample_content: list[Content],
        campaign_spec: CampaignSpec,
        kit_clock: FakeClock,
        tmp_path: Path,
    ) -> Iterator[Kit]:
        settings = self.adapter_class.load_settings()
        kit = Kit(
            adapter_class=self.adapter_class,
            factory=adapter_factory,
            fake_transport=fake_transport,
            snapshot=fake_snapshot,
            samples=sample_content,
            campaign=campaign_spec,
            clock=kit_clock,
            secrets=secret_values(settings),
            folder=tmp_path / "mplat-kit-assets",
        )
        yield kit
        kit.close()

    # ------------------------------------------------------------ the contract
    def test_implements_the_contract(self) -> None:
        """Every abstract operation is implemented; the class attributes are declared."""
        cls = self.adapter_class
        assert issubclass(cls, MarketingPlatform), f"{cls!r} is not a MarketingPlatform subclass"
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        assert not missing, f"{cls.__name__} does not implement: {', '.join(missing)}"
        for method in _OPERATIONS:
            assert getattr(cls, method) is not getattr(MarketingPlatform, method), method
        name = getattr(cls, "name", "")
        assert isinstance(name, str), "name must be a string"
        assert name, "the adapter class declares no name"
        assert name == name.lower(), f"name {name!r} must be lower-case (it is the entry-point name)"
        assert name.replace("_", "").isalnum(), f"name {name!r} must be an identifier"
        assert issubclass(cls.settings_model, PlatformSettings)
        assert isinstance(cls.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in cls.capabilities)
        assert cls.supported_kinds() or Capability.FILES in cls.capabilities, "declare what the adapter does"
        assert isinstance(cls.rate_limits, RateLimits)
        assert cls.max_asset_bytes > 0
        wanted, provided = cls.plugin_api_version.split(".")[0], PLUGIN_API_VERSION.split(".")[0]
        assert wanted == provided, (
            f"plugin_api_version {cls.plugin_api_version} does not fit this core's {PLUGIN_API_VERSION}"
        )

    def test_settings_come_from_the_environment(self, kit_env: dict[str, str]) -> None:
        """The env prefix is ``<NAME>_``; ``adapter_env`` alone configures the adapter."""
        cls = self.adapter_class
        prefix = str(cls.settings_model.model_config.get("env_prefix") or "")
        assert prefix == f"{cls.name.upper()}_", f"env_prefix must be {cls.name.upper()}_, not {prefix!r}"
        settings = cls.load_settings()
        assert isinstance(settings, cls.settings_model)
        for variable in kit_env:
            if not variable.startswith(prefix):
                continue
            field_name = variable[len(prefix) :].lower()
            if field_name in cls.settings_model.model_fields:
                assert settings.env_name(field_name) == variable

    def test_missing_settings_name_the_variable(
        self, kit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A missing required setting is a ConfigurationError naming its variable."""
        model = self.adapter_class.settings_model
        for field_name, info in model.model_fields.items():
            if not info.is_required():
                continue
            names = _env_names(model, field_name)
            with monkeypatch.context() as patch:
                for name in names:
                    patch.delenv(name, raising=False)
                with pytest.raises(ConfigurationError) as caught:
                    self.adapter_class.load_settings()
            assert any(name in caught.value.message for name in names), (
                f"the error for a missing {field_name} names none of {sorted(names)}: {caught.value.message}"
            )
        # With none of the adapter's variables set, loading works or names one of them.
        with monkeypatch.context() as patch:
            for name in kit_env:
                patch.delenv(name, raising=False)
            message = ""
            try:
                self.adapter_class.load_settings()
            except ConfigurationError as exc:
                message = exc.message
            assert not message or any(name in message for name in kit_env), (
                f"the configuration error names none of the unset variables: {message}"
            )

    def test_secrets_are_secret(self, kit: Kit, kit_env: dict[str, str]) -> None:
        """Credentials are SecretStr fields and never appear in reprs or plans."""
        model = self.adapter_class.settings_model
        prefix = str(model.model_config.get("env_prefix") or "").upper()
        settings = self.adapter_class.load_settings()
        for variable in kit_env:
            field_name = variable.upper().removeprefix(prefix).lower()
            looks_secret = any(word in variable.upper() for word in _SECRET_WORDS)
            if looks_secret and field_name in model.model_fields:
                assert isinstance(getattr(settings, field_name), SecretStr), (
                    f"{variable} looks like a credential: make {model.__name__}.{field_name} a SecretStr"
                )
        adapter = kit.adapter()
        kit.assert_no_secret(repr(adapter), "repr(adapter)")
        kit.assert_no_secret(repr(settings), "repr(settings)")
        kit.assert_no_secret(str(settings), "str(settings)")
        kit.assert_no_secret(json.dumps(settings.redacted(), default=str), "settings.redacted()")
        for content in kit.samples:
            plan = adapter.plan(content)
            kit.assert_no_secret(json.dumps(plan, default=str), f"plan() of the {content.kind.value} sample")

    # ------------------------------------------------------------ capabilities
    def test_declared_kinds_publish(self, kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
        """Each declared content kind publishes, and the response is well formed."""
        caplog.set_level(logging.DEBUG, logger="marketing_platform")
        adapter = kit.adapter()
        name = self.adapter_class.name
        for kind in sorted(self.adapter_class.supported_kinds()):
            response = kit.publish(adapter, kit.sample(kind))
            assert isinstance(response, PublishResponse)
            assert response.platform == name
            assert response.success
            assert response.external_id, f"publishing {kind} returned no external_id"
            assert response.created_at.utcoffset() == timedelta(0), "created_at must be UTC"
            assert response.status, f"publishing {kind} returned no status"
            status = adapter.get_status(response.external_id)
            assert isinstance(status, StatusResponse)
            assert status.platform == name
            assert status.external_id == response.external_id
        kit.assert_no_secret(caplog.text, "the logs")

    def test_undeclared_kinds_are_refused(self, kit: Kit) -> None:
        """Content of a kind the adapter does not declare is refused before any request."""
        adapter, recorder = kit.recorded()
        for kind in ContentKind:
            if kind.value in self.adapter_class.supported_kinds():
                continue
            problems = adapter.mapper.problems(sample_content(kind))
            assert problems, f"{kind.value} is not declared, but the mapper accepts it"
        assert not recorder.requests

    def test_files_upload(self, kit: Kit) -> None:
        """A FILES adapter uploads an image and reports its id and URL."""
        if Capability.FILES not in self.adapter_class.capabilities:
            pytest.skip("the adapter does not declare Capability.FILES")
        adapter = kit.adapter()
        asset = sample_asset(kit.folder, max_bytes=adapter.max_asset_bytes)
        response = adapter.upload_assets([asset])
        assert isinstance(response, AssetsResponse)
        assert response.platform == self.adapter_class.name
        assert len(response.results) == 1
        result = response.results[0]
        assert result.success, result.error
        assert result.external_id or result.url, "an uploaded asset needs an id or a URL"

    # ------------------------------------------------------------------ errors
    def test_errors_map_onto_the_taxonomy(
        self,
        kit: Kit,
        error_cases: list[ErrorCase],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Each vendor failure becomes the expected core error, without secrets."""
        caplog.set_level(logging.DEBUG, logger="marketing_platform")
        assert error_cases, "give at least one ErrorCase (override the error_cases fixture)"
        for case in error_cases:
            self.reset_process_state()
            with monkeypatch.context() as patch:
                for name, value in case.env.items():
                    patch.setenv(name, value)
                failing = FailingTransport(kit.fake_transport, case.respond) if case.respond else None
                adapter = kit.adapter(failing)
                with pytest.raises(MarketingPlatformError) as caught:
                    kit.first_operation(adapter, case.operation)
            error = caught.value
            assert isinstance(error, case.expected), f"{case}: got {type(error).__name__}: {error}"
            if failing is not None:
                assert failing.hits, f"{case}: the failure was never triggered"
            assert error.platform == self.adapter_class.name, f"{case}: error.platform is {error.platform!r}"
            if case.retryable is not None:
                assert error.retryable is case.retryable, f"{case}: retryable is {error.retryable}"
            kit.assert_no_secret(str(error), f"{case}: str(error)")
            kit.assert_no_secret(json.dumps(error.to_dict(), default=str), f"{case}: error.to_dict()")
        kit.assert_no_secret(caplog.text, "the logs")

    # ---------------------------------------------------------- side effects
    def test_check_has_no_side_effects(self, kit: Kit) -> None:
        """``check()`` succeeds against the fake, sends only reads, changes nothing."""
        adapter, recorder = kit.recorded()
        before = kit.state()
        result = adapter.check()
        after = kit.state()
        assert isinstance(result, CheckResponse)
        assert result.platform == self.adapter_class.name
        assert result.ok, f"check() failed against the fake: {result}"
        assert before == after, f"check() changed the fake: {before!r} -> {after!r}"
        writes = recorder.writes(self.read_only_exempt_paths)
        assert not writes, f"check() sent requests that may write: {writes}"
        kit.assert_no_secret(result.model_dump_json(), "check()")

    def test_plan_sends_nothing(self, kit: Kit) -> None:
        """``plan()`` (the dry run) is JSON, changes nothing and writes nothing."""
        adapter, recorder = kit.recorded()
        before = kit.state()
        for content in kit.samples:
            json.dumps(adapter.plan(content), default=str)
        assert kit.state() == before
        assert not recorder.writes(self.read_only_exempt_paths)

    def test_create_campaign_is_idempotent(self, kit: Kit) -> None:
        """Creating one campaign twice (even from a new adapter) creates one object.

        Runs for every adapter whose ``create_campaign`` creates anything, whether or
        not it declares ``Capability.PROGRAM``."""
        adapter = kit.adapter()
        before = kit.state()
        try:
            first = adapter.create_campaign(kit.campaign)
        except (NotImplementedError, ContentRejected) as exc:
            if Capability.PROGRAM in self.adapter_class.capabilities:
                raise
            pytest.skip(f"create_campaign creates nothing on this platform ({exc})")
        once = kit.state()
        second = adapter.create_campaign(kit.campaign)
        replayed = kit.adapter().create_campaign(kit.campaign)
        assert isinstance(first, CampaignResponse)
        assert first.external_id, "create_campaign returned no external_id"
        assert not first.reused, "the first create_campaign reported reused=True"
        for again in (second, replayed):
            assert again.external_id == first.external_id, (
                "a second create_campaign of the same name made another campaign "
                f"({first.external_id} then {again.external_id}); look it up by name first "
                f"(find_campaign) and return it with reused=True ({DOCS}#identity)"
            )
            assert again.reused, "a repeated create_campaign must report reused=True"
        if kit.snapshot is not None:
            assert once != before, "create_campaign changed nothing in the fake (is fake_snapshot right?)"
            assert kit.state() == once, (
                "a repeated create_campaign created another object: look it up by name first "
                f"({DOCS}#identity)"
            )

    # ------------------------------------------------------------------- sync
    def test_reactivation_writes_nothing_and_creates_nothing(self, kit: Kit) -> None:
        """Activating the same content again (same log, then a fresh log: found on the
        vendor) sends no write request, creates nothing and reports ``unchanged``; a sent
        email is ``blocked``."""
        for kind in sorted(self.adapter_class.supported_kinds()):
            content = kit.sample(kind)
            first = kit.activate(content)
            assert first.ok, f"activating the {kind} sample failed: {first.error}"
            assert first.publish is not None
            assert first.publish.action == "created", (
                f"the first activation of the {kind} sample found an object already ({first.publish.action})"
            )
            for log in ("kit", f"fresh-{kind}"):
                before = kit.state()
                recorder = RecordingTransport(kit.fake_transport)
                again = kit.activate(content, log=log, transport=recorder)
                writes = recorder.writes(self.read_only_exempt_paths)
                where = "the same log" if log == "kit" else "a fresh activation log"
                self._assert_nothing_made_twice(recorder, kind, where)
                assert again.publish is not None, f"re-activating the {kind} sample: {again.error}"
                if first.publish.status == "sent":
                    assert again.record.state == "blocked", (
                        f"re-activating a sent {kind} ({where}) ended {again.record.state}, not blocked: "
                        "report status='sent' (with sent_at) from find_content so it is never sent twice"
                    )
                else:
                    assert again.ok, f"re-activating the {kind} sample ({where}) failed: {again.error}"
                    assert again.publish.action == "unchanged", (
                        f"re-activating the unchanged {kind} sample ({where}) reported "
                        f"{again.publish.action!r} ({again.publish.changed}): content_changes must "
                        "return {} when the platform already holds what publish_content would send"
                    )
                assert again.publish.external_id == first.publish.external_id, (
                    f"re-activating the {kind} sample ({where}) answered another object "
                    f"({first.publish.external_id} then {again.publish.external_id}): find_content "
                    "must find the object by the content id (docs/adapters.md#re-activation)"
                )
                assert not writes, (
                    f"re-activating the unchanged {kind} sample ({where}) sent write requests {writes}; "
                    "look the object up by its content id first and write only what changed "
                    "(docs/adapters.md#re-activation)"
                )
                if kit.snapshot is not None:
                    assert kit.state() == before, f"re-activating the {kind} sample changed the fake"

    def _assert_nothing_made_twice(self, recorder: RecordingTransport, kind: str, where: str) -> None:
        """Fail naming the operation and request when a re-activation created again."""
        written = recorder.written(self.read_only_exempt_paths)
        creates = [sent for sent in written if sent.operation in {"publish_content", "create_campaign"}]
        if not creates:
            return
        sent = next((s for s in creates if s.operation == "publish_content"), creates[0])
        if sent.operation == "create_campaign":
            what, how = "the campaign up by its name", "find_campaign, and return it with reused=True"
        else:
            what, how = "the object up by its content id", "find_content"
        pytest.fail(
            f"{sent.operation} sent a second {sent} on re-activation; look {what} first ({DOCS}#identity): "
            f"implement {how} [the {kind} sample, {where}; all writes: {[str(w) for w in written]}]"
        )

    def test_an_edit_updates_the_object_in_place(self, kit: Kit) -> None:
        """An edited body and title reach the existing object (``updated``); nothing
        new is created. A sent email is never changed or sent again."""
        for kind in sorted(self.adapter_class.supported_kinds()):
            content = kit.sample(kind)
            first = kit.activate(content)
            assert first.ok, f"activating the {kind} sample failed: {first.error}"
            assert first.publish is not None
            edited = content.model_copy(
                update={"title": f"{content.title} (edited)", "body": f"{content.body}<p>Edited.</p>"}
            )
            recorder = RecordingTransport(kit.fake_transport)
            again = kit.activate(edited, transport=recorder)
            self._assert_nothing_made_twice(recorder, kind, "edited")
            assert again.publish is not None, f"re-activating the edited {kind} sample: {again.error}"
            if first.publish.status == "sent":
                writes = recorder.writes(self.read_only_exempt_paths)
                assert again.record.state == "blocked", (
                    f"an edited, already sent {kind} ended {again.record.state}, not blocked"
                )
                assert not writes, f"an edited, already sent {kind} sent write requests {writes}"
                continue
            assert again.ok, f"re-activating the edited {kind} sample failed: {again.error}"
            assert again.publish.action == "updated", (
                f"an edited {kind} reported {again.publish.action!r}: content_changes must report the "
                "edited fields and update_content apply them in place (docs/adapters.md#re-activation)"
            )
            assert again.publish.changed, f"an updated {kind} names no changed field"
            assert again.publish.external_id == first.publish.external_id, (
                f"an edited {kind} was published as another object ({again.publish.external_id}); "
                "update the existing one"
            )
            adapter = kit.adapter()
            spec = adapter.mapper.campaign_spec(edited)
            campaign = adapter.find_campaign(spec.name) if spec is not None else None
            found = adapter.find_content(edited, campaign)
            assert found is not None, f"find_content does not find the edited {kind}"
            changes = adapter.content_changes(edited, found, campaign=campaign, assets=again.assets)
            assert changes == {}, f"after the update the platform still differs from the edit: {changes}"

    # ------------------------------------------------------------------ limits
    def test_declared_budget_fits_the_vendor(self, kit: Kit, vendor_limits: RateLimits) -> None:
        """The declared budget (``rate_limits``, as the adapter applies it) is within the
        vendor's documented limit (the ``vendor_limits`` fixture): calls per second,
        calls in flight and the daily quota."""
        declared = kit.adapter().effective_rate_limits()
        name = f"{self.adapter_class.__name__}.rate_limits"
        fix = f"declare the vendor's documented limit in {name}, never more ({DOCS}#limits)"
        declared_rate = declared.calls / declared.per_seconds
        vendor_rate = vendor_limits.calls / vendor_limits.per_seconds
        assert declared_rate <= vendor_rate * (1 + 1e-9), (
            f"{name} allows {_rate(declared)} ({declared_rate:g}/s) but the vendor allows "
            f"{_rate(vendor_limits)} ({vendor_rate:g}/s, the vendor_limits fixture): "
            f"{declared_rate / vendor_rate:.3g}x too many; {fix}"
        )
        cap = vendor_limits.max_concurrent
        if cap is not None:
            assert (declared.max_concurrent or cap + 1) <= cap, (
                f"{name} allows {declared.max_concurrent or 'unlimited'} calls in flight but the vendor "
                f"allows {cap}: set max_concurrent; {fix}"
            )
        quota = vendor_limits.daily_quota
        if quota is not None:
            assert (declared.daily_quota or quota + 1) <= quota, (
                f"{name} allows {declared.daily_quota or 'unlimited'} calls a day but the vendor allows "
                f"{quota}: set daily_quota; {fix}"
            )

    def test_a_burst_stays_within_the_declared_budget(self, kit: Kit) -> None:
        """A burst of more calls than one window allows, then threads beyond the
        concurrency cap, through a fake limit enforcing the declared budget: not one
        request over it (so not one limit answer from a vendor with that limit)."""
        if kit.fake_transport is None:
            pytest.skip("the adapter sends no HTTP requests")
        probe = kit.adapter()
        limits = probe.effective_rate_limits()
        ref: str | None = None
        kinds = sorted(self.adapter_class.supported_kinds())
        if kinds:
            ref = kit.publish(probe, kit.variant(kit.sample(kinds[0]), "burst")).external_id
        kit.next_window()

        def call(adapter: MarketingPlatform) -> None:
            if ref:
                adapter.get_status(ref)
            else:
                adapter.check()

        exempt = self.read_only_exempt_paths
        limiter = LimitingTransport(kit.fake_transport, limits, kit.clock, exempt=exempt)
        adapter = kit.adapter(limiter)
        wanted = limits.calls + 1 if limits.daily_quota is None else min(limits.calls + 1, limits.daily_quota)
        while limiter.count < wanted and not limiter.violations:
            before = limiter.count
            try:
                call(adapter)
            except MarketingPlatformError:
                if not limiter.violations:
                    raise
                break  # the limit answer, reported below
            if limiter.count == before:  # the operation sends nothing more (cached)
                break
        self._assert_within(limiter, limits, f"a burst of {limiter.count} calls")
        if limits.max_concurrent is None:
            return
        kit.next_window()
        capped = LimitingTransport(
            kit.fake_transport, limits, kit.clock, exempt=exempt, hold=0.005, check_window=False
        )
        adapter = kit.adapter(capped)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(3):
                    call(adapter)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(min(limits.max_concurrent + 4, 32))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self._assert_within(capped, limits, f"{len(threads)} threads calling at once")
        if errors:
            raise errors[0]

    def _assert_within(self, limiter: LimitingTransport, limits: RateLimits, what: str) -> None:
        if not limiter.violations:
            return
        first = limiter.violations[0]
        name = f"{self.adapter_class.__name__}.rate_limits"
        fix = (
            "send every request through the client self.make_http(...) returns (made once per "
            "adapter, not per call, and with counted=True): its rate budget paces the calls "
            f"({DOCS}#limits)"
        )
        if first.kind == "window":
            pytest.fail(
                f"{what}: {first.count} requests reached the vendor within {limits.per_seconds:g} s "
                f"where {name} allows {limits.calls} ({first.request} was one too many; "
                f"{len(limiter.violations)} limit answers in all): {fix}"
            )
        pytest.fail(
            f"{what}: {first.count} requests were in flight at once where {name} allows "
            f"max_concurrent={limits.max_concurrent} ({first.request}): {fix}"
        )

    def test_a_rate_limit_answer_is_waited_out(
        self, kit: Kit, rate_limit_answer: Callable[[float], httpx.Response]
    ) -> None:
        """After the vendor answers "too many, wait N s" (``Retry-After`` or a reset
        header), the adapter's next request comes at least N s later (by the kit's clock)."""
        if kit.fake_transport is None:
            pytest.skip("the adapter sends no HTTP requests")
        exempt = self.read_only_exempt_paths
        limited: list[httpx.Request] = []

        def responder(request: httpx.Request) -> httpx.Response | None:
            if limited or any(request.url.path.endswith(e) for e in exempt):
                return None
            limited.append(request)
            return rate_limit_answer(LIMIT_WAIT)

        recorder = RecordingTransport(FailingTransport(kit.fake_transport, responder), clock=kit.clock)
        adapter = labelled(kit.adapter(recorder))
        error: MarketingPlatformError | None = None
        try:
            adapter.check()
        except MarketingPlatformError as exc:
            error = exc
        counted = [sent for sent in recorder.sent if not any(sent.path.endswith(e) for e in exempt)]
        if not counted:
            pytest.skip("check() sends no request")
        first, later = counted[0], counted[1:]
        answer = rate_limit_answer(LIMIT_WAIT)
        shown = {
            k: v for k, v in answer.headers.items() if k.lower() not in {"content-length", "content-type"}
        }
        fix = (
            "map the vendor's limit answer to RateLimitError(retry_after=SECONDS) read from its header "
            "(marketing_platform.http.retry_after for Retry-After, or the reset header): the HTTP layer "
            f"then pauses every caller that long before retrying ({DOCS}#limits)"
        )
        if later:
            waited = (later[0].at or 0.0) - (first.at or 0.0)
            assert waited >= LIMIT_WAIT - 1e-6, (
                f"after a limit answer asking to wait {LIMIT_WAIT:g} s (HTTP {answer.status_code} {shown}) "
                f"to {first}, the adapter sent {later[0]} {waited:.2f} s later: {fix}"
            )
            return
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        assert (retry_after or 0.0) >= LIMIT_WAIT, (
            f"after a limit answer asking to wait {LIMIT_WAIT:g} s (HTTP {answer.status_code} {shown}), "
            f"check() {'raised ' + repr(error) if error else 'reported success'} without waiting: {fix}"
        )

    # ------------------------------------------------------------- every step
    def test_a_failed_request_fails_the_operation(
        self, kit: Kit, step_failure: Callable[[httpx.Request], httpx.Response]
    ) -> None:
        """An error injected on each request of each operation in turn (campaign,
        publishing each declared kind, upload) makes the operation raise a core error:
        never a success reported for a step that failed."""
        if kit.fake_transport is None:
            pytest.skip("the adapter sends no HTTP requests")
        steps = [
            "create_campaign",
            *(f"publish:{kind}" for kind in sorted(self.adapter_class.supported_kinds())),
        ]
        if Capability.FILES in self.adapter_class.capabilities:
            steps.append("upload_assets")
        for step in steps:
            self.reset_process_state()
            kit.next_window()
            with kit.adapter() as warm:
                try:
                    kit.run(warm, step, "warm")  # shared objects (tags, folders) exist from now on
                except (NotImplementedError, ContentRejected):
                    if (
                        step == "create_campaign"
                        and Capability.PROGRAM not in self.adapter_class.capabilities
                    ):
                        continue  # create_campaign creates nothing here
                    raise
            self.reset_process_state()
            kit.next_window()
            recorder = RecordingTransport(kit.fake_transport)
            with kit.adapter(recorder) as counting:
                kit.run(counting, step, "count")
            total = len(recorder.sent)
            for index in range(total):
                self.reset_process_state()
                kit.next_window()
                failing = FailNthTransport(kit.fake_transport, index, step_failure)
                with labelled(kit.adapter(failing)) as adapter:
                    tag = f"step{index}"
                    try:
                        result = kit.run(adapter, step, tag)
                    except MarketingPlatformError:
                        continue
                    except Exception as exc:  # named in the failure
                        pytest.fail(
                            f"{_step_name(step)} raised {type(exc).__name__}: {exc} when request {index + 1} "
                            f"({failing.failed}) failed: map every vendor answer onto the core errors "
                            f"in your parse function ({DOCS}#errors)"
                        )
                if failing.failed is None:
                    continue  # this run took a shorter path and never sent that request
                if isinstance(result, AssetsResponse) and any(not r.success for r in result.results):
                    continue  # reported as failed, per file
                pytest.fail(
                    f"{_operation_of(failing.failed, step)} reported success although request {index + 1} of "
                    f"{total} ({failing.failed}) failed (HTTP {failing.status} "
                    f"injected by the kit): let the error propagate - raise it - and never report success "
                    f"for a step that failed ({DOCS}#errors)"
                )

    # --------------------------------------------------------------- settings
    def test_credentials_have_no_default(self, kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each credential (a ``SecretStr`` setting) is required: no default value. An
        alternative credential may default to None only when an adapter whose settings
        set none of them is refused (a ConfigurationError naming a variable)."""
        model = self.adapter_class.settings_model
        secrets = {name: info for name, info in model.model_fields.items() if _is_secret(info.annotation)}
        for name, info in secrets.items():
            if info.is_required():
                continue
            default = info.get_default(call_default_factory=True)
            variable = self._variable(name)
            assert default is None, (
                f"{model.__name__}.{name} ({variable}) is a credential with a default value: remove the "
                f"default (`{name}: SecretStr`) so a missing {variable} is a ConfigurationError naming it, "
                f"never a shared key used by accident ({DOCS}#settings)"
            )
        if not secrets or any(info.is_required() for info in secrets.values()):
            return
        names = {variable for name in secrets for variable in _env_names(model, name)}
        with monkeypatch.context() as patch:
            for variable in names:
                patch.delenv(variable, raising=False)
            with pytest.raises(ConfigurationError) as caught:
                kit.adapter().check()
        assert any(variable in caught.value.message for variable in names), (
            f"with no credential set the error names none of {sorted(names)}: {caught.value.message}"
        )

    def _variable(self, field_name: str) -> str:
        model = self.adapter_class.settings_model
        prefixed = f"{model.model_config.get('env_prefix') or ''}{field_name}".upper()
        names = _env_names(model, field_name)
        return prefixed if prefixed in names else sorted(names)[0]

    def test_base_urls_must_be_https(self, kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
        """A base URL setting that is plain ``http://`` to a non-loopback host, or that
        carries credentials, is refused with a ConfigurationError (by the settings or,
        whatever they check, by the core's HTTP client) before any request goes there."""
        model = self.adapter_class.settings_model
        fields = self.base_url_settings
        if fields is None:
            fields = tuple(
                name
                for name, info in model.model_fields.items()
                if name.lower().endswith("url") and _is_text(info.annotation)
            )
        if not fields:
            pytest.skip("the settings hold no base URL (set base_url_settings to name them)")
        for field_name in fields:
            variable = self._variable(field_name)
            for unsafe in _UNSAFE_URLS:
                shown = unsafe.replace("kit-password-0000", "***")
                guard = RecordingTransport(FailingTransport(kit.fake_transport, _refuse_unsafe))
                refused: ConfigurationError | None = None
                with monkeypatch.context() as patch:
                    patch.setenv(variable, unsafe)
                    try:
                        adapter = kit.adapter(guard)
                        adapter.check()
                        kinds = sorted(self.adapter_class.supported_kinds())
                        if kinds:
                            kit.publish(adapter, kit.variant(kit.sample(kinds[0]), "base-url"))
                    except ConfigurationError as exc:
                        refused = exc
                    except MarketingPlatformError:
                        pass
                leaked = [sent for sent in guard.sent if _unsafe(sent.url)]
                assert not leaked, (
                    f"with {variable}={shown} the adapter sent {leaked[0].method} "
                    f"{leaked[0].url.replace('kit-password-0000', '***')}: a credential would travel in "
                    f"clear text (or in the URL). Validate the setting with "
                    f"marketing_platform.settings.check_base_url and send every request through "
                    f"self.make_http(...), which refuses such a URL "
                    f"({DOCS}#base-urls)"
                )
                assert refused is not None, (
                    f"{variable}={shown} was accepted: a base URL must be https:// (plain http only for a "
                    f"loopback host) without credentials; validate it with "
                    f"marketing_platform.settings.check_base_url and build the client with "
                    f"self.make_http(...) ({DOCS}#base-urls)"
                )
                assert "kit-password-0000" not in str(refused), "the error shows the URL's password"

    def test_close_is_idempotent(self, kit: Kit) -> None:
        """``close()`` can be called twice; the adapter is a context manager."""
        with kit.adapter() as adapter:
            assert isinstance(adapter, self.adapter_class)
        adapter.close()


def _step_name(step: str) -> str:
    if step.startswith("publish:"):
        return f"publishing the {step.removeprefix('publish:')} sample"
    return step


def _operation_of(sent: SentRequest, step: str) -> str:
    return sent.operation or _step_name(step)


def _unsafe(url: str) -> bool:
    """True for a URL a request must never go to: plain http to a non-loopback host,
    or credentials in it."""
    from ..settings import is_loopback_host

    parsed = httpx.URL(url)
    return bool(parsed.userinfo) or (parsed.scheme == "http" and not is_loopback_host(parsed.host))


def _refuse_unsafe(request: httpx.Request) -> httpx.Response | None:
    """Never let a request to an unsafe URL reach the fake (or the network)."""
    if _unsafe(str(request.url)):
        return httpx.Response(400, json={"message": "refused by the conformance kit: unsafe URL"})
    return None

"""MarketingPlatform: the contract every adapter implements.

An adapter is a subclass registered under the entry-point group
``marketing_platform.adapters`` (name = platform name). It declares its settings model,
capabilities and the vendor's rate budget as class attributes and implements the five
operations. Everything a vendor call needs that is not vendor-specific (HTTP client,
retries, rate budget, redaction, payload hooks) comes from this base class.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import httpx
from pydantic import ValidationError

from .locks import PROCESS_LOCKS, LockProvider
from .mapping import ContentMapper
from .models import (
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
from .ratelimit import Clock, RateBudget, RateLimits, Sleep
from .settings import CoreSettings, PlatformSettings, load_core_settings, settings_error

if TYPE_CHECKING:
    from .http import PlatformHTTP, TokenProvider
    from .registry import Hooks
    from .sync import Changes

T = TypeVar("T")

#: The plugin API this core implements. An adapter declares the version it was built
#: for in ``plugin_api_version``; a different major version is reported as broken.
PLUGIN_API_VERSION = "1.0"

DEFAULT_MAX_ASSET_BYTES = 20 * 1024 * 1024

#: Settings that tune the client rather than name the account (ignored by account_key).
_NOT_ACCOUNT_FIELDS = frozenset({"timeout", "rate_limit", "max_concurrent", "daily_quota"})

_KIND_CAPABILITIES = {
    ContentKind.BLOG_POST: Capability.BLOG_POST,
    ContentKind.EMAIL: Capability.EMAIL,
    ContentKind.LANDING_PAGE: Capability.LANDING_PAGE,
    ContentKind.EVENT: Capability.EVENT,
}


class MarketingPlatform(ABC):
    """Base class of every adapter. Use as a context manager, or call :meth:`close`."""

    name: ClassVar[str]
    settings_model: ClassVar[type[PlatformSettings]] = PlatformSettings
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    rate_limits: ClassVar[RateLimits] = RateLimits(calls=10, per_seconds=1, max_concurrent=5)
    mapper_class: ClassVar[type[ContentMapper]] = ContentMapper
    max_asset_bytes: ClassVar[int] = DEFAULT_MAX_ASSET_BYTES
    plugin_api_version: ClassVar[str] = PLUGIN_API_VERSION

    def __init__(
        self,
        settings: PlatformSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        hooks: Hooks | None = None,
        core_settings: CoreSettings | None = None,
    ) -> None:
        self.settings = settings if settings is not None else self.load_settings()
        self.core_settings = core_settings or load_core_settings()
        self.transport = transport
        self.clock = clock
        self.sleep = sleep
        self.hooks = hooks
        self.mapper = self.mapper_class(self)
        self._http: list[PlatformHTTP] = []
        self._budgets: list[RateBudget] = []
        self._locks: LockProvider = PROCESS_LOCKS

    # ------------------------------------------------------------- construction
    @classmethod
    def load_settings(cls, **overrides: Any) -> PlatformSettings:
        """Settings from the environment plus ``overrides``; a missing or malformed
        value is a :class:`ConfigurationError` naming the exact variable."""
        try:
            return cls.settings_model(**overrides)
        except ValidationError as exc:
            raise settings_error(cls.name, cls.settings_model, exc) from None

    @classmethod
    def supported_kinds(cls) -> frozenset[str]:
        return frozenset(kind.value for kind, cap in _KIND_CAPABILITIES.items() if cap in cls.capabilities)

    def effective_rate_limits(self) -> RateLimits:
        return self.rate_limits.overridden_by(self.settings)

    def make_http(
        self,
        base_url: str,
        *,
        tokens: TokenProvider | None = None,
        headers: dict[str, str] | None = None,
        budget: RateBudget | None = None,
        **options: Any,
    ) -> PlatformHTTP:
        """The adapter's HTTP client: shared retry/rate layer, timeout from settings.

        ``base_url`` must be ``https://`` (``http://`` only for a loopback host) without
        credentials: anything else is a :class:`ConfigurationError` naming the setting
        that holds it, whatever the settings model checked. ``options`` go to
        :class:`~marketing_platform.http.PlatformHTTP` (``rate_headers``, ``http2``,
        ``max_attempts`` ...). Clients (and the budgets made for them) are closed by
        :meth:`close`.
        """
        from .http import PlatformHTTP

        options.setdefault("setting", self._setting_holding(base_url))

        if budget is None:
            budget = RateBudget(
                self.effective_rate_limits(),
                name=self.name,
                key=f"{self.name}:{self.budget_key()}",
                store=self.core_settings.rate_store,
                # a dead process's shared concurrency places free up soon after its
                # requests would have timed out, not minutes later
                lease_seconds=self.settings.timeout * 1.5 + 5,
                clock=self.clock,
                sleep=self.sleep,
            )
            self._budgets.append(budget)
        http = PlatformHTTP(
            platform=self.name,
            base_url=base_url,
            budget=budget,
            timeout=self.settings.timeout,
            tokens=tokens,
            transport=self.transport,
            headers=headers,
            sleep=self.sleep,
            **options,
        )
        self._http.append(http)
        return http

    def _setting_holding(self, url: str) -> str | None:
        """The environment variable whose setting holds ``url`` (for error messages)."""
        wanted = url.rstrip("/")
        for field in type(self.settings).model_fields:
            value = getattr(self.settings, field, None)
            if isinstance(value, str) and value.rstrip("/") == wanted:
                return self.settings.env_name(field)
        return None

    def transform(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` after every ``mplat_transform_payload`` hook had its say.

        Adapters call this on each body they are about to send."""
        if self.hooks is None:
            return payload
        return self.hooks.transform_payload(self.name, operation, payload)

    def exclusive(self, kind: str, name: str) -> AbstractContextManager[None]:
        """Hold the lock on finding-or-creating the shared vendor object ``kind`` called
        ``name`` (``"campaign"``, ``"blog tag"``, ``"contact list"`` ...).

        Wrap "look it up, create it when missing" in it so two activations needing the
        same new object create it once. It covers the threads of this process, and, when
        the adapter runs in the activation pipeline (``mplat``, :func:`activate`), every
        process sharing the activation log. Re-entrant; the pipeline already holds
        ``exclusive("campaign", spec.name)`` around :meth:`create_campaign`.
        """
        return self._locks(f"{kind} {name!r} on {self.name}")

    def find_or_create(
        self, kind: str, name: str, find: Callable[[], T | None], create: Callable[[], T]
    ) -> T:
        """The shared vendor object ``kind`` called ``name``: ``find()``'s answer, or
        ``create()``'s when it finds nothing, both under :meth:`exclusive` so two
        activations needing the same new object create it once::

            tag_id = self.find_or_create("blog tag", name, lambda: self._tag_id(name),
                                         lambda: self._create_tag(name))

        ``find`` must be a read-only look-up that sees what ``create`` makes (return
        None for "not there"); mark what ``find`` returns as reused yourself when the
        caller needs to know (``CampaignResponse(reused=True)``)."""
        with self.exclusive(kind, name):
            found = find()
            return create() if found is None else found

    def bind_locks(self, locks: LockProvider) -> None:
        """Use ``locks`` for :meth:`exclusive` (the pipeline binds locks that span processes)."""
        self._locks = locks

    # --------------------------------------------------------------- operations
    @abstractmethod
    def create_campaign(self, campaign: CampaignSpec) -> CampaignResponse:
        """Create the campaign/program, or return the existing one of the same name
        (``reused=True``): calling it twice never creates two."""

    @abstractmethod
    def publish_content(
        self,
        content: Content,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Create the content on the platform and publish it now or at
        ``content.schedule_at``. ``assets`` are the uploaded assets, for images; images
        in ``content.body`` already point at their uploaded URLs. Called only when
        :meth:`find_content` found nothing."""

    @abstractmethod
    def upload_assets(self, assets: Sequence[Asset]) -> AssetsResponse:
        """Upload validated assets (see :func:`marketing_platform.assets.load_asset`),
        one result per asset, in order. The pipeline skips files (by SHA-256) already
        uploaded to this account; a file the platform already holds under the same name
        and bytes should be reused, not copied."""

    @abstractmethod
    def get_status(self, ref: str) -> StatusResponse:
        """The platform's current status for the object ``ref`` (an external id)."""

    @abstractmethod
    def check(self) -> CheckResponse:
        """Verify credentials and connectivity with read-only calls."""

    # -------------------------------------------------------------------- sync
    # An activation is a sync: the pipeline looks the content's objects up before every
    # write and creates, updates in place, leaves alone or refuses. An adapter that
    # implements the look-ups and the two ``*_changes`` / ``update_*`` pairs converges:
    # re-running an activation creates nothing twice and sends nothing unchanged.

    def account_key(self) -> str:
        """Which vendor account this adapter writes to (an instance host, a portal, a
        data centre + account): the activation log remembers uploaded files per
        platform *and* account. The base uses the settings that are not secrets;
        override when only a secret tells accounts apart."""
        import hashlib
        import json

        hidden = {name for name, _ in self.settings.secret_fields()} | _NOT_ACCOUNT_FIELDS
        public = {
            key: value for key, value in self.settings.model_dump(mode="json").items() if key not in hidden
        }
        return hashlib.sha256(json.dumps(public, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def budget_key(self) -> str:
        """Which vendor account the rate budget belongs to, from the settings alone (no
        request): a one-way digest of every setting that is not client tuning, secrets
        included (an API key often is the account). Processes sharing a rate store share
        a budget exactly when they reach the same account with the same settings."""
        import hashlib
        import json

        values = self.settings.model_dump(mode="json") | {
            name: hashlib.sha256(secret.get_secret_value().encode()).hexdigest()
            for name, secret in self.settings.secret_fields()
        }
        account = {k: v for k, v in values.items() if k not in _NOT_ACCOUNT_FIELDS}
        return hashlib.sha256(json.dumps(account, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def find_campaign(self, name: str) -> CampaignResponse | None:
        """The existing campaign called ``name``, or None. Read-only; called before
        every campaign step."""
        return None

    def campaign_changes(self, spec: CampaignSpec, existing: CampaignResponse) -> Changes | None:
        """How the platform's campaign ``existing`` differs from ``spec`` (see
        :func:`marketing_platform.sync.diff`): ``{}`` when it already matches, None when
        this adapter cannot compare (the campaign is then ``reused`` as it is). Read-only."""
        return None

    def update_campaign(
        self, spec: CampaignSpec, existing: CampaignResponse, changes: Changes
    ) -> CampaignResponse:
        """Apply ``changes`` to the existing campaign in place. Called only with
        non-empty ``changes`` from :meth:`campaign_changes`."""
        raise NotImplementedError(f"{type(self).__name__} compares campaigns but cannot update them")

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        """The object already created for ``content`` (identified by ``content.id``:
        a slug, a name or a key carrying it), or None. Read-only; called before every
        publish, also with a fresh activation log and after a crash. For an email, report
        ``status="sent"`` with ``sent_at`` / ``recipients`` once it went out, or
        ``scheduled_at``: the pipeline then never touches it again."""
        return None

    def content_changes(
        self,
        content: Content,
        existing: PublishResponse,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> Changes | None:
        """How ``existing`` differs from what :meth:`publish_content` would send for
        ``content`` now: ``{}`` when the platform already holds it (the step is
        ``unchanged`` and nothing is written), None when this adapter cannot compare (the
        object is ``reused`` as it is). Read-only: look-ups only."""
        return None

    def update_content(
        self,
        content: Content,
        existing: PublishResponse,
        changes: Changes,
        *,
        campaign: CampaignResponse | None = None,
        assets: AssetsResponse | None = None,
    ) -> PublishResponse:
        """Apply ``changes`` to ``existing`` in place, then publish, re-publish or
        reschedule it as its state requires. Called only with non-empty ``changes``,
        never for a sent email."""
        raise NotImplementedError(f"{type(self).__name__} compares content but cannot update it")

    # ---------------------------------------------------------------- optional
    def plan(self, content: Content) -> list[dict[str, Any]]:
        """The requests an activation of ``content`` would send, for ``--dry-run``.

        Values that only a live lookup can know are shown as ``<...>`` placeholders.
        Secrets never appear. The base returns the generic payloads."""
        steps: list[dict[str, Any]] = []
        spec = self.mapper.campaign_spec(content)
        if content.assets:
            steps.append({"operation": "upload_assets", "assets": [a.filename for a in content.assets]})
        if spec is not None:
            steps.append(
                {"operation": "create_campaign", "payload": spec.model_dump(mode="json", exclude_none=True)}
            )
        steps.append({"operation": "publish_content", "payload": self.mapper.generic_payload(content)})
        return steps

    @classmethod
    def cli_commands(cls) -> Any:
        """An optional ``click.Group`` the adapter adds to the CLI as ``mplat NAME ...``.

        Called on the class (no credentials needed to show help); its commands create
        the adapter themselves with :func:`marketing_platform.create_platform`."""
        return None

    # --------------------------------------------------------------- lifecycle
    def close(self) -> None:
        for http in self._http:
            http.close()
        for budget in self._budgets:
            budget.close()
        self._http.clear()
        self._budgets.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.settings.redacted().items())
        return f"{type(self).__name__}({settings})"

"""marketing-platform: publish campaigns, content and assets to any marketing
automation platform through one interface.

The programmatic API::

    from marketing_platform import activate, create_platform, available_platforms, Content

    content = Content(kind="blog_post", title="Spring launch", body="<p>Hi</p>")
    result = activate(content, platform="mock")

Importing this package imports no adapter and no HTTP stack: adapters load on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from .errors import (
    AlreadySent,
    AuthenticationError,
    ConfigurationError,
    Conflict,
    ContentRejected,
    InvalidContent,
    MarketingPlatformError,
    NotFound,
    PermissionDenied,
    PlatformUnavailable,
    Problem,
    RateLimitError,
)
from .hookspecs import hookimpl
from .models import (
    Asset,
    AssetResult,
    AssetsResponse,
    Audience,
    CampaignResponse,
    CampaignSpec,
    Capability,
    CheckResponse,
    Content,
    ContentKind,
    Cost,
    EmailSpec,
    LandingPageSpec,
    PublishResponse,
    StatusResponse,
)

if TYPE_CHECKING:
    from .activation import ActivationResult
    from .platform import MarketingPlatform
    from .registry import PlatformInfo

__all__ = [
    "AlreadySent",
    "Asset",
    "AssetResult",
    "AssetsResponse",
    "Audience",
    "AuthenticationError",
    "CampaignResponse",
    "CampaignSpec",
    "Capability",
    "CheckResponse",
    "ConfigurationError",
    "Conflict",
    "Content",
    "ContentKind",
    "ContentRejected",
    "Cost",
    "EmailSpec",
    "InvalidContent",
    "LandingPageSpec",
    "MarketingPlatformError",
    "NotFound",
    "PermissionDenied",
    "PlatformUnavailable",
    "Problem",
    "PublishResponse",
    "RateLimitError",
    "StatusResponse",
    "__version__",
    "activate",
    "available_platforms",
    "create_platform",
    "hookimpl",
]


def create_platform(name: str | None = None, **overrides: Any) -> MarketingPlatform:
    """An adapter for ``name`` (default: ``MARKETING_PLATFORM``, else ``mock``).

    Keyword arguments override settings fields (``base_url="..."``) or pass
    ``settings``, ``transport``, ``clock``, ``sleep`` to the adapter.
    """
    from .registry import default_registry

    return default_registry().create(name, **overrides)


def available_platforms() -> list[PlatformInfo]:
    """Every installed adapter: name, distribution, version, ok/broken (+ error)."""
    from .registry import default_registry

    return default_registry().available()


def activate(
    content: Content,
    platform: str | None = None,
    *,
    platforms: list[str] | None = None,
    **options: Any,
) -> ActivationResult | list[ActivationResult]:
    """Activate ``content`` (see :func:`marketing_platform.activation.activate`)."""
    from .activation import activate as run

    return run(content, platform, platforms=platforms, **options)

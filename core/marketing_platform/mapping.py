"""ContentMapper: from a :class:`~marketing_platform.models.Content` to what a platform
is sent. Adapters subclass it; the base gives the generic mapping and the checks that
hold for every platform (is this kind supported at all?).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Problem
from .models import BUILTIN_PLATFORM_FIELDS, CampaignSpec, Content

if TYPE_CHECKING:
    from .platform import MarketingPlatform


def placeholder(what: str) -> str:
    """The stand-in a dry-run plan shows for an id only a live call can know."""
    return f"<resolved at run time: {what}>"


class ContentMapper:
    """Maps content for one adapter instance (``self.platform``)."""

    def __init__(self, platform: MarketingPlatform) -> None:
        self.platform = platform

    def problems(self, content: Content) -> list[Problem]:
        """What is wrong with ``content`` for this platform, found without any request.

        The base checks that the kind is one the adapter declares. Subclasses extend it
        (``super().problems(content) + [...]``) with the vendor's own rules.
        """
        supported = self.platform.supported_kinds()
        if content.kind.value not in supported:
            return [
                Problem(
                    "kind",
                    f"{self.platform.name} cannot publish {content.kind.value!r} content; "
                    f"it supports: {', '.join(sorted(supported)) or 'none'}",
                )
            ]
        return []

    def campaign_spec(self, content: Content) -> CampaignSpec | None:
        """The campaign to create for ``content``, or None to skip the campaign step."""
        return content.campaign

    def generic_payload(self, content: Content) -> dict[str, Any]:
        """A platform-neutral JSON rendering of ``content`` (used by mock and dry runs)."""
        return content.model_dump(
            mode="json",
            exclude_none=True,
            exclude_defaults=True,
            exclude={*BUILTIN_PLATFORM_FIELDS, "platform_options", "body_markdown"},
        )

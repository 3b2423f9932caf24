"""The Account Engagement (Pardot) adapter (entry point ``pardot``) for the v5 API."""

from .platform import PardotPlatform
from .settings import PardotSettings

__all__ = ["PardotPlatform", "PardotSettings"]

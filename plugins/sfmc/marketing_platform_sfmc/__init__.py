"""The Salesforce Marketing Cloud Engagement adapter (entry point ``sfmc``)."""

from .platform import SfmcPlatform
from .settings import SfmcSettings

__all__ = ["SfmcPlatform", "SfmcSettings"]

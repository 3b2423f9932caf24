"""The mock marketing platform (entry point ``mock``)."""

from .platform import MockPlatform
from .settings import MockSettings

__all__ = ["MockPlatform", "MockSettings"]

"""The Mailchimp adapter (entry point ``mailchimp``) for the Marketing API v3."""

from .platform import MailchimpPlatform
from .settings import MailchimpSettings

__all__ = ["MailchimpPlatform", "MailchimpSettings"]

"""The mock's content rules and the payload it stores.

:class:`MockMapper` refuses what the real platforms refuse (found by ``mplat`` before
anything is recorded or sent), so content that is green on the mock does not fail on
Marketo or HubSpot for a content reason. Its :meth:`~MockMapper.generic_payload` is what
the mock stores for a content and compares on re-activation.
"""

from __future__ import annotations

from typing import Any

from marketing_platform.errors import Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import Content, ContentKind

#: Kinds whose object shows the body (an event is a program: it has none of its own).
BODY_KINDS = frozenset({ContentKind.BLOG_POST, ContentKind.EMAIL, ContentKind.LANDING_PAGE})


class MockMapper(ContentMapper):
    """The union of the Marketo and HubSpot content rules."""

    def problems(self, content: Content) -> list[Problem]:
        """Core checks plus the vendors': an email needs a subject, a template and a
        sender (name and address); a blog post, email or landing page needs a body; a
        landing page needs a template; (the core refuses a ``schedule_at`` in the past for
        content not created yet, by the
        adapter's clock). Asset sizes are checked by the core against
        ``max_asset_bytes``."""
        found = super().problems(content)
        if found:
            return found
        if content.kind is ContentKind.EMAIL:
            spec = content.email
            if spec is None or not spec.subject:
                found.append(Problem("email.subject", "an email needs a subject (Marketo and HubSpot)"))
            if spec is None or not spec.template:
                found.append(Problem("email.template", "an email needs the name of its template (Marketo)"))
            if spec is None or not spec.from_name:
                found.append(Problem("email.from_name", "an email needs a sender name (Marketo fromName)"))
            if spec is None or not spec.from_email:
                found.append(
                    Problem("email.from_email", "an email needs a sender address (Marketo fromEmail)")
                )
        if content.kind is ContentKind.LANDING_PAGE and (
            content.landing_page is None or not content.landing_page.template
        ):
            found.append(
                Problem("landing_page.template", "a landing page needs the name of its template (Marketo)")
            )
        if content.kind in BODY_KINDS and not content.body:
            found.append(Problem("body", f"a {content.kind.value.replace('_', ' ')} needs a body"))
        # A schedule_at in the past is refused by the core for content not created yet.
        return found

    def generic_payload(self, content: Content) -> dict[str, Any]:
        """What the mock stores for ``content``: the generic payload with the campaign
        by name (the campaign is its own object) and each file by name, bytes (SHA-256),
        role and alt text, never by its local path."""
        payload = super().generic_payload(content)
        if content.campaign is not None:
            payload["campaign"] = content.campaign.name
        if content.assets:
            payload["assets"] = [
                {
                    key: value
                    for key, value in {
                        "name": asset.filename,
                        "sha256": asset.sha256,
                        "role": asset.role,
                        "alt_text": asset.alt_text,
                    }.items()
                    if value is not None
                }
                for asset in content.assets
            ]
        return payload

    def recipients(self, content: Content) -> list[str]:
        """The lists an email goes to."""
        return list(content.audience.lists) if content.audience else []

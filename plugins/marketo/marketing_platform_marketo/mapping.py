"""From :class:`~marketing_platform.models.Content` to Marketo's Asset API fields.

The form builders here are used both by the adapter when it sends and by ``plan()``
for ``--dry-run``, so a dry run shows exactly the fields a real run sends. Ids that
only a lookup knows are passed in (real ids, or ``<resolved at run time: ...>``
placeholders in a plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketing_platform.errors import ContentRejected, Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import Asset, CampaignSpec, Content, ContentKind, EmailSpec, LandingPageSpec

from .errors import PLATFORM

PROGRAM_TYPES = ("Default", "Event", "Event with Webinar", "Engagement", "Email")

#: channels.json's ``applicableProgramType`` for each program type.
APPLICABLE_TYPE = {
    "Default": "program",
    "Event": "event",
    "Event with Webinar": "event",
    "Engagement": "nurture",
    "Email": "email",
}

#: The program type used for a kind of content when ``campaign.program_type`` is absent.
DEFAULT_PROGRAM_TYPE = {
    ContentKind.EMAIL: "Email",
    ContentKind.LANDING_PAGE: "Default",
    ContentKind.EVENT: "Event",
}

#: Channels tried, in order, when ``campaign.channel`` is absent (the first one the
#: instance has for the program type wins; else the instance's first for that type).
DEFAULT_CHANNELS = {
    "Email": ("Email Send", "Email Blast"),
    "Default": ("Content Syndication", "Web Content", "Online Advertising"),
    "Event": ("Webinar", "Tradeshow"),
    "Event with Webinar": ("Webinar",),
    "Engagement": ("Nurture",),
}

TOKEN_NAME_MAX = 50
#: The program tokens (``{{my.<name>}}``) written from every piece of content.
MY_TITLE = "Content Title"
MY_SUMMARY = "Content Summary"
MY_URL = "Content URL"
MY_IMAGE = "Content Image"


def folder_ref(folder_id: Any, folder_type: str = "Folder") -> dict[str, Any]:
    """Marketo's folder object: ``{"id": N, "type": "Folder" | "Program"}``."""
    return {"id": folder_id, "type": folder_type}


def program_form(spec: CampaignSpec, *, folder_id: Any, program_type: str, channel: str) -> dict[str, Any]:
    """The fields of ``POST programs.json``."""
    form: dict[str, Any] = {
        "name": spec.name,
        "folder": folder_ref(folder_id),
        "type": program_type,
        "channel": channel,
        "description": spec.description,
    }
    if spec.costs:
        form["costs"] = [
            {
                k: v
                for k, v in {
                    "startDate": c.start_date.isoformat(),
                    "cost": int(c.amount),
                    "note": c.note,
                }.items()
                if v is not None
            }
            for c in spec.costs
        ]
    if spec.tags:
        form["tags"] = [{"tagType": k, "tagValue": v} for k, v in spec.tags.items()]
    return form


def tokens_for(content: Content, image_url: str | None = None) -> list[dict[str, Any]]:
    """Program ``my.`` tokens: title, summary, URL, featured image, plus ``marketo.tokens``."""
    tokens: list[dict[str, Any]] = [{"name": MY_TITLE, "type": "text", "value": content.title}]
    if content.summary:
        tokens.append({"name": MY_SUMMARY, "type": "text", "value": content.summary})
    if content.url:
        tokens.append({"name": MY_URL, "type": "text", "value": content.url})
    if image_url:
        tokens.append({"name": MY_IMAGE, "type": "text", "value": image_url})
    for name, value in _extra_tokens(content).items():
        tokens.append({"name": name, "type": "text", "value": str(value)})
    return tokens


def token_form(token: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``POST folder/{programId}/tokens.json``."""
    return {"folderType": "Program", **token}


def file_form(asset: Asset, *, folder_id: Any, insert_only: bool) -> dict[str, Any]:
    """The non-file fields of ``POST files.json``."""
    return {
        "name": asset.filename,
        "folder": folder_ref(folder_id),
        "description": asset.alt_text,
        "insertOnly": insert_only,
    }


def email_form(content: Content, *, program_id: Any, template_id: Any) -> dict[str, Any]:
    """The fields of ``POST emails.json`` (the email lives in the program)."""
    spec = content.email
    assert spec is not None
    return {
        "name": EMAIL.name(content),
        "folder": folder_ref(program_id, "Program"),
        "template": template_id,
        "subject": spec.subject,
        "fromName": spec.from_name,
        "fromEmail": spec.from_email,
        "replyEmail": spec.reply_to,
        "description": content.summary,
    }


def landing_page_form(content: Content, *, program_id: Any, template_id: Any) -> dict[str, Any]:
    """The fields of ``POST landingPages.json``."""
    spec = content.landing_page
    assert spec is not None
    return {
        "name": LANDING_PAGE.name(content),
        "folder": folder_ref(program_id, "Program"),
        "template": template_id,
        "title": spec.title or content.title,
        "description": content.summary,
        "urlPageName": spec.url_page_name,
    }


def section_form(content: Content, section_type: str) -> dict[str, Any]:
    """The fields of ``POST email/{id}/content/{htmlId}.json`` and
    ``POST landingPage/{id}/content/{contentId}.json``."""
    return {"type": section_type, "value": content.body or ""}


def email_section(sections: list[dict[str, Any]], wanted: Any) -> tuple[str, str]:
    """``(htmlId, "Text")``: the section ``wanted``, else the first unlocked text one."""
    if wanted:
        ids = [str(s.get("htmlId")) for s in sections]
        if str(wanted) in ids:
            return str(wanted), "Text"
        raise ContentRejected(
            f"the email has no section {wanted!r}",
            platform=PLATFORM,
            code="section",
            problems=[Problem("marketo.section", f"valid sections: {', '.join(ids) or 'none'}")],
            hint="set marketo.section to one of the template's editable sections",
        )
    for section in sections:
        if str(section.get("contentType", "")).lower() in {"text", "richtext"} and not section.get(
            "isLocked"
        ):
            return str(section["htmlId"]), "Text"
    raise ContentRejected(
        "the email template has no editable text section",
        platform=PLATFORM,
        code="section",
        problems=[Problem("email.template", 'no editable section (class="mktEditable") in the template')],
        hint='add an editable section (an element with class="mktEditable" and an id) to the template',
    )


def landing_page_section(sections: list[dict[str, Any]], wanted: Any) -> tuple[str, str]:
    """``(id, type)``: the section ``wanted``, else the first RichText or HTML one."""
    for section in sections:
        kind = str(section.get("type", ""))
        if (wanted and str(section.get("id")) == str(wanted)) or (
            not wanted and kind in {"RichText", "HTML"}
        ):
            return str(section["id"]), kind if kind in {"RichText", "HTML"} else "RichText"
    raise ContentRejected(
        "the landing page has no editable rich-text or HTML section",
        platform=PLATFORM,
        code="section",
        problems=[
            Problem("landing_page.template", "no RichText/HTML section" + (f" {wanted!r}" if wanted else ""))
        ],
        hint="use a template with a rich-text or HTML section, or set marketo.section",
    )


@dataclass(frozen=True)
class AssetKind:
    """What differs between an email and a landing page, for the adapter and ``plan()``.

    Paths follow ``ref``: ``/{ref}Template/byName.json``, ``/{ref}/byName.json``,
    ``/{ref}s.json``, ``/{ref}/{id}/content.json``, ``/{ref}/{id}/content/{section}.json``,
    ``/{ref}/{id}/approveDraft.json``; ``ref`` also prefixes the external id. ``key`` names
    the content field (``email`` / ``landing_page``), the ``marketo.{key}_name`` option and
    the operations (``create_{key}``, ``update_{key}_content``, ``approve_{key}``)."""

    ref: str
    key: str
    #: The fields of ``POST /{ref}s.json``.
    form: Callable[..., dict[str, Any]]
    #: ``(section id, section type)`` from the asset's sections and ``marketo.section``.
    pick_section: Callable[[list[dict[str, Any]], Any], tuple[str, str]]
    #: What the template is called in a plan, and the status its lookup asks for.
    template_label: str
    template_status: str | None
    #: True when ``byName`` takes the program folder; else its results are filtered by it.
    search_in_folder: bool
    #: True when the record the approval answers is merged into the response.
    merge_approved: bool
    #: Plan wording: which section is picked, its type (None: the section's own).
    section_placeholder: str
    section_type: str | None
    find_note: str | None = None

    @property
    def label(self) -> str:
        return self.key.replace("_", " ")

    def spec(self, content: Content) -> EmailSpec | LandingPageSpec | None:
        spec: EmailSpec | LandingPageSpec | None = getattr(content, self.key)
        return spec

    def name(self, content: Content) -> str:
        """The asset's name in its program: ``marketo.{key}_name``, else the content id.

        The name is how a replay finds the asset again, so it must identify the *content*:
        two pieces of content with the same title in one program get two assets. (The id is
        at most 200 characters; Marketo allows 255.)"""
        return str(content.options_for("marketo").get(f"{self.key}_name") or content.id)

    def search_params(self, name: str, program_id: Any) -> dict[str, Any]:
        """The parameters of ``GET /{ref}/byName.json``."""
        if self.search_in_folder:
            return {"name": name, "folder": folder_ref(program_id, "Program")}
        return {"name": name}


EMAIL = AssetKind(
    ref="email",
    key="email",
    form=email_form,
    pick_section=email_section,
    template_label="approved email template",
    template_status="approved",
    search_in_folder=True,
    merge_approved=True,
    section_placeholder="first editable text section",
    section_type="Text",
    find_note="an existing draft is filled in instead of creating another",
)
LANDING_PAGE = AssetKind(
    ref="landingPage",
    key="landing_page",
    form=landing_page_form,
    pick_section=landing_page_section,
    template_label="landing page template",
    template_status=None,
    search_in_folder=False,
    merge_approved=False,
    section_placeholder="first rich-text/HTML section",
    section_type=None,
)


def asset_kind(content: Content) -> AssetKind | None:
    """The email or landing page ``content`` makes in its program (None: the program only)."""
    if content.kind is ContentKind.EMAIL:
        return EMAIL
    if content.landing_page is not None and content.landing_page.template:
        return LANDING_PAGE
    return None


def _extra_tokens(content: Content) -> dict[str, Any]:
    extra = content.options_for("marketo").get("tokens") or {}
    return extra if isinstance(extra, dict) else {}


_KNOWN_OPTIONS = frozenset({"tokens", "email_name", "landing_page_name", "section"})


class MarketoMapper(ContentMapper):
    """Marketo's rules, all checked before any request is sent."""

    def campaign_spec(self, content: Content) -> CampaignSpec:
        """Always a program: Marketo emails and landing pages live in one. Without a
        ``campaign`` the program is named after the content's title; without a
        ``program_type`` the type follows the kind (email -> Email, event -> Event,
        landing page -> Default)."""
        spec = content.campaign if content.campaign is not None else CampaignSpec(name=content.title)
        if spec.program_type is None:
            spec = spec.model_copy(update={"program_type": DEFAULT_PROGRAM_TYPE.get(content.kind, "Default")})
        return spec

    def problems(self, content: Content) -> list[Problem]:
        problems = super().problems(content)
        if problems:
            return problems
        problems += self._campaign_problems(self.campaign_spec(content), content.kind)
        if content.kind is ContentKind.EMAIL:
            problems += self._email_problems(content)
        if content.kind is ContentKind.LANDING_PAGE:
            if content.landing_page is None or not content.landing_page.template:
                problems.append(
                    Problem("landing_page.template", "a Marketo landing page needs the name of its template")
                )
            if not content.body:
                problems.append(Problem("body", "the landing page needs a body"))
        options = content.options_for("marketo")
        for key in sorted(set(options) - _KNOWN_OPTIONS):
            problems.append(
                Problem(f"marketo.{key}", f"unknown option; known: {', '.join(sorted(_KNOWN_OPTIONS))}")
            )
        tokens = options.get("tokens", {})
        if not isinstance(tokens, dict):
            problems.append(Problem("marketo.tokens", "must be a mapping of token name to value"))
        for token in tokens_for(content, None):
            if len(token["name"]) > TOKEN_NAME_MAX:
                problems.append(
                    Problem(
                        f"marketo.tokens.{token['name']}",
                        f"token names are at most {TOKEN_NAME_MAX} characters",
                    )
                )
        return problems

    def _campaign_problems(self, spec: CampaignSpec, kind: ContentKind) -> list[Problem]:
        problems: list[Problem] = []
        if spec.program_type and spec.program_type not in PROGRAM_TYPES:
            problems.append(Problem("campaign.program_type", f"must be one of: {', '.join(PROGRAM_TYPES)}"))
        if kind is ContentKind.EMAIL and spec.program_type not in (None, "Email", "Default", "Event"):
            problems.append(
                Problem("campaign.program_type", "an email needs an Email, Default or Event program")
            )
        for index, cost in enumerate(spec.costs):
            if cost.amount != int(cost.amount):
                problems.append(
                    Problem(f"campaign.costs[{index}].amount", "Marketo program costs are whole numbers")
                )
        return problems

    def _email_problems(self, content: Content) -> list[Problem]:
        problems: list[Problem] = []
        spec = content.email
        if spec is None or not spec.template:
            problems.append(
                Problem("email.template", "a Marketo email needs the name of an approved email template")
            )
        if spec is None or not spec.subject:
            problems.append(Problem("email.subject", "a Marketo email needs a subject"))
        if not content.body:
            problems.append(Problem("body", "the email needs a body"))
        return problems

"""From :class:`~marketing_platform.models.Content` to Marketo's Asset API fields.

The form builders here are used both by the adapter when it sends and by ``plan()``
for ``--dry-run``, so a dry run shows exactly the fields a real run sends. Ids that
only a lookup knows are passed in (real ids, or ``<resolved at run time: ...>``
placeholders in a plan).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from marketing_platform.errors import ContentRejected, Problem
from marketing_platform.mapping import ContentMapper
from marketing_platform.models import Asset, CampaignSpec, Content, ContentKind, EmailSpec, LandingPageSpec

from .errors import PLATFORM

PROGRAM_TYPES = ("Default", "Event", "Event with Webinar", "Engagement", "Email")

#: channels.json's ``applicableProgramType`` for each program type, as in Adobe's
#: example answers. Instances also answer the type's display name (``"Default"``,
#: ``"Event"``): :func:`channel_applies` accepts both.
APPLICABLE_TYPE = {
    "Default": "program",
    "Event": "event",
    "Event with Webinar": "event",
    "Engagement": "nurture",
    "Email": "email",
}

#: Program types whose ``startDate`` / ``endDate`` Marketo keeps (set by updating the
#: program: ``programs.json`` takes no dates).
DATED_PROGRAM_TYPES = frozenset({"Event", "Event with Webinar", "Email"})


def channel_applies(applicable: Any, program_type: str) -> bool:
    """True when a channel whose ``applicableProgramType`` is ``applicable`` serves
    ``program_type`` programs (API form ``"program"`` or display name ``"Default"``)."""
    value = str(applicable or "").strip().lower()
    accepted = {program_type.lower(), APPLICABLE_TYPE.get(program_type, program_type).lower()}
    if program_type in ("Event", "Event with Webinar"):
        accepted |= {"event", "event with webinar", "webinar"}
    return value in accepted


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
#: The id of the content that wrote the program's tokens: contents sharing one program
#: (an email and a landing page of one launch) would otherwise overwrite each other's
#: tokens on every re-activation. The last one created owns them.
MY_ID = "Content Id"
_TOKEN_FIELDS = {MY_ID: "id", MY_TITLE: "title", MY_SUMMARY: "summary", MY_URL: "url", MY_IMAGE: "image"}


@dataclass(frozen=True)
class Sender:
    """The sender fields Adobe's spec requires on every new email."""

    from_name: str | None
    from_email: str | None
    reply_email: str | None

    def missing(self) -> list[str]:
        """The content fields to set (``email.from_name`` ...) for the unset ones."""
        names = (
            ("from_name", self.from_name),
            ("from_email", self.from_email),
            ("reply_to", self.reply_email),
        )
        return [f"email.{name}" for name, value in names if not value]


#: The setting that gives each sender field its default.
SENDER_SETTINGS = {
    "email.from_name": "MARKETO_FROM_NAME",
    "email.from_email": "MARKETO_FROM_EMAIL",
    "email.reply_to": "MARKETO_REPLY_EMAIL",
}


def resolve_sender(spec: EmailSpec | None, defaults: Any) -> Sender:
    """The email's sender: the content's ``email.from_name`` / ``from_email`` /
    ``reply_to``, else the adapter's ``from_name`` / ``from_email`` / ``reply_email``."""
    return Sender(
        (spec.from_name if spec else None) or getattr(defaults, "from_name", None),
        (spec.from_email if spec else None) or getattr(defaults, "from_email", None),
        (spec.reply_to if spec else None) or getattr(defaults, "reply_email", None),
    )


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
        form["costs"] = costs_value(spec)
    if spec.tags:
        form["tags"] = tags_value(spec.tags)
    return form


def costs_value(spec: CampaignSpec) -> list[dict[str, Any]]:
    """``costs`` as Marketo takes them: ``[{"startDate", "cost", "note"}]``."""
    return [
        {
            k: v
            for k, v in {"startDate": c.start_date.isoformat(), "cost": int(c.amount), "note": c.note}.items()
            if v is not None
        }
        for c in spec.costs
    ]


def tags_value(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"tagType": k, "tagValue": v} for k, v in tags.items()]


def program_date(value: date) -> str:
    """A program ``startDate`` / ``endDate`` (UTC midnight, as Marketo reports them)."""
    return f"{value.isoformat()}T00:00:00Z"


def program_state(spec: CampaignSpec, program_type: str | None) -> dict[str, Any]:
    """What the content manages on its program, in comparable form (see
    :func:`current_program_state`): ``description``, ``costs``, ``tags`` (by tag type),
    ``start_date`` / ``end_date`` where the program type keeps dates. Fields the content
    leaves out (no description, no costs) are Marketo's, never cleared."""
    state: dict[str, Any] = {}
    if spec.description is not None:
        state["description"] = spec.description
    if spec.costs:
        state["costs"] = _comparable_costs(costs_value(spec))
    if spec.tags:
        state["tags"] = dict(spec.tags)
    if program_type in DATED_PROGRAM_TYPES:
        if spec.start_date is not None:
            state["start_date"] = spec.start_date.isoformat()
        if spec.end_date is not None:
            state["end_date"] = spec.end_date.isoformat()
    return state


def current_program_state(record: Mapping[str, Any]) -> dict[str, Any]:
    """A program record (``program/byName.json`` with tags and costs) in the form of
    :func:`program_state`."""
    tags = record.get("tags") or []
    return {
        "description": record.get("description"),
        "costs": _comparable_costs(record.get("costs") or []),
        "tags": {
            str(t.get("tagType")): t.get("tagValue")
            for t in tags
            if isinstance(t, Mapping) and "tagType" in t
        },
        "start_date": _day(record.get("startDate")),
        "end_date": _day(record.get("endDate")),
    }


def program_update_form(spec: CampaignSpec, changed: set[str]) -> dict[str, Any]:
    """The fields of ``POST program/{id}.json`` that apply the ``changed`` fields
    (names from :func:`program_state`; ``tags.Region`` is a tag). Costs replace the
    program's (``costsDestructiveUpdate``): Marketo would append them otherwise."""
    form: dict[str, Any] = {}
    if "description" in changed:
        form["description"] = spec.description
    if "costs" in changed:
        form["costs"] = costs_value(spec)
        form["costsDestructiveUpdate"] = True
    if any(name == "tags" or name.startswith("tags.") for name in changed):
        form["tags"] = tags_value(spec.tags)
    if "start_date" in changed and spec.start_date is not None:
        form["startDate"] = program_date(spec.start_date)
    if "end_date" in changed and spec.end_date is not None:
        form["endDate"] = program_date(spec.end_date)
    return form


def _comparable_costs(costs: list[Any]) -> list[dict[str, Any]]:
    """Costs as ``{"start_date", "amount", "note"}``, in a stable order."""
    out = [
        {
            "start_date": _day(cost.get("startDate")),
            "amount": int(cost["cost"]) if cost.get("cost") is not None else 0,
            "note": cost.get("note") or None,
        }
        for cost in costs
        if isinstance(cost, Mapping)
    ]
    return sorted(out, key=lambda c: (c["start_date"] or "", c["amount"], c["note"] or ""))


def _day(value: Any) -> str | None:
    """``2026-12-01`` from a date or a Marketo date-time (``2026-12-01T00:00:00Z+0000``)."""
    return str(value)[:10] if value else None


def tokens_for(content: Content, image_url: str | None = None) -> list[dict[str, Any]]:
    """Program ``my.`` tokens: the content id, title, summary, URL, featured image, plus
    ``marketo.tokens``."""
    tokens: list[dict[str, Any]] = [
        {"name": MY_ID, "type": "text", "value": content.id},
        {"name": MY_TITLE, "type": "text", "value": content.title},
    ]
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


def email_form(
    content: Content, *, program_id: Any, template_id: Any, sender: Sender | None = None
) -> dict[str, Any]:
    """The fields of ``POST emails.json`` (the email lives in the program)."""
    spec = content.email
    assert spec is not None
    who = sender or Sender(spec.from_name, spec.from_email, spec.reply_to)
    return {
        "name": EMAIL.name(content),
        "folder": folder_ref(program_id, "Program"),
        "template": template_id,
        "subject": spec.subject,
        "fromName": who.from_name,
        "fromEmail": who.from_email,
        "replyEmail": who.reply_email,
        "description": content.summary,
    }


#: Email header fields: the content's name for each, its ``emails.json`` /
#: ``email/{id}.json`` record field, and its ``email/{id}/content.json`` form field.
EMAIL_HEADERS = (
    ("subject", "subject", "subject"),
    ("from_name", "fromName", "fromName"),
    ("from_email", "fromEmail", "fromEmail"),
    ("reply_to", "replyEmail", "replyTO"),
)


def email_headers(content: Content, sender: Sender) -> dict[str, Any]:
    """The header fields an email of ``content`` holds, by content name."""
    spec = content.email
    return {
        "subject": spec.subject if spec else None,
        "from_name": sender.from_name,
        "from_email": sender.from_email,
        "reply_to": sender.reply_email,
    }


def current_email_headers(record: Mapping[str, Any]) -> dict[str, Any]:
    """An email record's header fields (``{"type": "Text", "value": ...}``), by content name."""
    return {name: _header_value(record.get(field)) for name, field, _ in EMAIL_HEADERS}


def email_header_form(headers: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``POST email/{id}/content.json`` setting ``headers`` (content names)."""
    form_names = {name: form for name, _, form in EMAIL_HEADERS}
    return {form_names[name]: {"type": "Text", "value": value} for name, value in headers.items() if value}


def _header_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("value")
    return value


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


def landing_page_meta(content: Content) -> dict[str, Any]:
    """The landing page fields the content manages (``landing_page/{id}.json``), by
    content name: ``landing_page.title`` and ``summary`` (the description)."""
    spec = content.landing_page
    return {"landing_page.title": (spec.title if spec else None) or content.title, "summary": content.summary}


def current_landing_page_meta(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"landing_page.title": record.get("title"), "summary": record.get("description")}


def landing_page_update_form(content: Content, changed: set[str]) -> dict[str, Any]:
    """The fields of ``POST landingPage/{id}.json`` that apply the ``changed`` fields."""
    meta = landing_page_meta(content)
    form: dict[str, Any] = {}
    if "landing_page.title" in changed:
        form["title"] = meta["landing_page.title"]
    if "summary" in changed and content.summary:
        form["description"] = content.summary
    return form


def section_value(section: Mapping[str, Any]) -> str | None:
    """The HTML a section holds, from ``email/{id}/content.json`` (``value`` is a list of
    ``{"type": "HTML" | "Text", "value"}``, or a string) or ``landingPage/{id}/content.json``
    (``content`` is ``{"content" | "value": html}`` or a string)."""
    for key in ("value", "content"):
        value = section.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            html = [v.get("value") for v in value if isinstance(v, Mapping) and v.get("type") == "HTML"]
            if html:
                return str(html[0]) if html[0] is not None else None
        if isinstance(value, Mapping):
            inner = value.get("content", value.get("value"))
            if isinstance(inner, str):
                return inner
    return None


def token_changes_name(token: str) -> str:
    """The user-facing change name of program token ``token``."""
    return _TOKEN_FIELDS.get(token, f"marketo.tokens.{token}")


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
    find_note="an email of this name in the program is updated in place instead of creating another",
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
    find_note="byName takes no folder: only a page of this name in the program is ours, and it is "
    "updated in place instead of creating another",
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
        ``campaign`` the program is named after the content id (an edited title must
        not move the content into a new program); without a ``program_type`` the type
        follows the kind (email -> Email, event -> Event, landing page -> Default)."""
        spec = (
            content.campaign
            if content.campaign is not None
            else CampaignSpec(name=content.id or content.title)
        )
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
        for field in resolve_sender(spec, self.platform.settings).missing():
            problems.append(
                Problem(field, f"a Marketo email needs a sender: set {field} or {SENDER_SETTINGS[field]}")
            )
        if not content.body:
            problems.append(Problem("body", "the email needs a body"))
        return problems

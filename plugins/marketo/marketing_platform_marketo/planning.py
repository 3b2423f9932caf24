"""``--dry-run`` for Marketo: the exact requests an activation sends, sending none.

Each step is ``{"operation", "method", "path", "params" | "form" | "multipart"}`` with
form values encoded exactly as they are sent (JSON inside the form). Ids that only a
lookup can know are ``<resolved at run time: ...>``; the client secret is ``***``.
Lookups that may short-circuit a step (an existing program is reused) are listed
with a ``note``. These are the requests of a first activation; for objects that exist
already, the dry run's ``objects`` entries show the update (the field diff) or
``unchanged`` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketing_platform.mapping import placeholder
from marketing_platform.models import Content

from . import mapping as m
from .auth import IDENTITY_PATH
from .client import ASSET, encode_form

if TYPE_CHECKING:
    from .platform import MarketoPlatform


def _get(operation: str, path: str, params: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {
        "operation": operation,
        "method": "GET",
        "path": ASSET + path,
        "params": encode_form(params),
    }
    if note:
        step["note"] = note
    return step


def _post(operation: str, path: str, form: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"operation": operation, "method": "POST", "path": ASSET + path, "form": encode_form(form or {})}


def build_plan(platform: MarketoPlatform, content: Content) -> list[dict[str, Any]]:
    """The requests :meth:`MarketoPlatform` sends to activate ``content``, in order."""
    settings = platform.marketo_settings
    steps: list[dict[str, Any]] = [
        {
            "operation": "authenticate",
            "method": "POST",
            "path": IDENTITY_PATH,
            "form": {
                "grant_type": "client_credentials",
                "client_id": settings.client_id,
                "client_secret": "***",
            },
            "note": "once per hour per client id; not counted against the API limits",
        }
    ]
    featured: str | None = None
    if content.assets:
        files_folder = settings.files_folder
        steps.append(
            _get("resolve_files_folder", "/folder/byName.json", {"name": files_folder, "type": "Folder"})
        )
        for asset in content.assets:
            fields = m.file_form(
                asset,
                folder_id=placeholder(f"id of folder {files_folder!r}"),
                insert_only=settings.insert_only,
            )
            step = _post("upload_file", "/files.json", platform.transform("upload_file", fields))
            step["multipart"] = {
                **step.pop("form"),
                "file": {
                    "filename": asset.filename,
                    "content_type": asset.mime_type or "application/octet-stream",
                },
            }
            steps.append(step)
            if asset.role == "featured":
                featured = placeholder(f"URL of uploaded file {asset.filename!r}")

    spec = platform.marketo_mapper.campaign_spec(content)
    program_type = spec.program_type or "Default"
    folder_name = spec.folder or settings.program_folder
    program = placeholder(f"id of program {spec.name!r} (existing or created)")
    steps.append(
        _get(
            "find_program",
            "/program/byName.json",
            {"name": spec.name, "includeTags": True, "includeCosts": True},
            note="an existing program of this name is reused (its description, costs, tags and dates "
            "updated where they differ) and the next requests up to the tokens are skipped",
        )
    )
    steps.append(
        _get("resolve_program_folder", "/folder/byName.json", {"name": folder_name, "type": "Folder"})
    )
    steps.append(
        _get(
            "check_channel",
            "/channels.json",
            {"maxReturn": 200, "offset": 0},
            note=f"the channel must exist for {program_type} programs; folders, channels and "
            "templates are read once per MARKETO_LOOKUP_TTL",
        )
    )
    channel = spec.channel or placeholder(
        f"first of {', '.join(m.DEFAULT_CHANNELS.get(program_type, ()))} "
        f"that exists for {program_type} programs"
    )
    form = m.program_form(
        spec,
        folder_id=placeholder(f"id of folder {folder_name!r}"),
        program_type=program_type,
        channel=channel,
    )
    steps.append(_post("create_program", "/programs.json", platform.transform("create_program", form)))
    dates = m.program_update_form(spec, {"start_date", "end_date"})
    if dates and program_type in m.DATED_PROGRAM_TYPES:
        steps.append(
            _post("update_program", f"/program/{program}.json", platform.transform("update_program", dates))
        )
    for token in m.tokens_for(content, featured):
        steps.append(
            _post(
                "create_token",
                f"/folder/{program}/tokens.json",
                platform.transform("create_token", m.token_form(token)),
            )
        )
    kind = m.asset_kind(content)
    if kind is not None:
        steps += _asset_steps(platform, content, program, kind)
    return steps


def _asset_steps(
    platform: MarketoPlatform, content: Content, program: str, kind: m.AssetKind
) -> list[dict[str, Any]]:
    spec = kind.spec(content)
    assert spec is not None
    name = kind.name(content)
    asset = placeholder(f"id of {kind.label} {name!r}")
    template = placeholder(f"id of {kind.template_label} {spec.template!r}")
    section = content.options_for("marketo").get("section") or placeholder(kind.section_placeholder)
    section_type = kind.section_type or placeholder("RichText or HTML, as the section is")
    template_params: dict[str, Any] = {"name": spec.template}
    if kind.template_status:
        template_params["status"] = kind.template_status
    steps = [
        _get(f"find_{kind.key}_template", f"/{kind.ref}Template/byName.json", template_params),
        _get(
            f"find_{kind.key}",
            f"/{kind.ref}/byName.json",
            kind.search_params(name, program)
            if kind.search_in_folder
            else {"maxReturn": 200, "offset": 0, **kind.search_params(name, program)},
            f"{kind.find_note}; not sent when the program was created by this activation "
            "(nothing can be in it yet)"
            if kind.find_note
            else None,
        ),
        _post(
            f"create_{kind.key}",
            f"/{kind.ref}s.json",
            platform.transform(f"create_{kind.key}", platform._asset_form(kind, content, program, template)),
        ),
        _get(
            f"list_{kind.key}_sections",
            f"/{kind.ref}/{asset}/content.json",
            {},
            "a new asset has its template's sections: read for the first asset made from a "
            "template within MARKETO_LOOKUP_TTL only",
        ),
        _post(
            f"update_{kind.key}_content",
            f"/{kind.ref}/{asset}/content/{section}.json",
            platform.transform(f"update_{kind.key}_content", m.section_form(content, section_type)),
        ),
    ]
    if platform.marketo_settings.approve:
        steps.append(_post(f"approve_{kind.key}", f"/{kind.ref}/{asset}/approveDraft.json"))
    return steps

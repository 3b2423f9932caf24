"""The ``--dry-run`` plan: every request an activation would send, in order.

Each step is ``{operation, method, path, params?, json?, form?, file?, when?}`` built by
the same :class:`~.mapping.HubSpotMapper` code the live run uses; ids only a live call
can know are ``<resolved at run time: ...>`` placeholders. The ``Authorization`` header
is shown as ``Bearer ***`` and OAuth secrets as ``***``: a plan never holds a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from marketing_platform.mapping import placeholder
from marketing_platform.models import AssetResult, AssetsResponse, Content, ContentKind
from marketing_platform.redaction import MASK

from .auth import TOKEN_PATH
from .client import (
    CAMPAIGN_PROPERTIES,
    CAMPAIGNS,
    EMAILS,
    FILE_SEARCH,
    FILES,
    LISTS,
    POSTS,
    TAGS,
    file_query,
    tag_query,
)
from .errors import EMAIL_PUBLISH_TIER
from .mapping import CONTACTS, featured_image

if TYPE_CHECKING:
    from .platform import HubSpotPlatform


def _step(operation: str, method: str, path: str, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"operation": operation, "method": method, "path": path}
    step.update({k: v for k, v in extra.items() if v is not None})
    return step


def _find_or_create(
    platform: HubSpotPlatform,
    kind: str,
    path: str,
    payload: dict[str, Any],
    when: str,
    *,
    lookup: str | None = None,
    params: dict[str, Any] | None = None,
    create: bool = True,
) -> list[dict[str, Any]]:
    """``find_<kind>`` (``GET lookup or path``), then ``create_<kind>`` (``POST path``)
    when ``create``: the live run creates only when the lookup finds nothing."""
    steps = [_step(f"find_{kind}", "GET", lookup or path, params=params)]
    if create:
        json = platform.transform(f"create_{kind}", payload)
        steps.append(_step(f"create_{kind}", "POST", path, json=json, when=when))
    return steps


def build_plan(platform: HubSpotPlatform, content: Content) -> list[dict[str, Any]]:
    """The requests for ``content`` on ``platform``; sends nothing."""
    mapper = platform.hubspot_mapper
    config = platform.config
    steps: list[dict[str, Any]] = [
        {
            "operation": "connection",
            "base_url": config.base_url,
            "headers": {"Authorization": f"Bearer {MASK}"},
            "auth": platform.auth_mode,
        }
    ]
    if platform.auth_mode == "oauth":
        steps.append(
            _step(
                "oauth_token",
                "POST",
                TOKEN_PATH,
                form={
                    "grant_type": "refresh_token",
                    "client_id": config.client_id,
                    "client_secret": MASK,
                    "refresh_token": MASK,
                },
                when="before the first call and ahead of the token's expiry",
            )
        )

    uploaded: list[AssetResult] = []
    for asset in content.assets:
        url = placeholder(f"hosted URL of {asset.filename}")
        uploaded.append(
            AssetResult(
                name=asset.filename,
                url=url,
                mime_type=asset.mime_type,
                alt_text=asset.alt_text,
                role=asset.role,
            )
        )
        steps.append(_step("find_file", "GET", FILE_SEARCH, params=file_query(asset)))
        steps.append(
            _step(
                "upload_file",
                "POST",
                FILES,
                form=platform.transform("upload_file", mapper.file_form(asset.filename)),
                file={"filename": asset.filename, "content_type": asset.mime_type, "size": asset.size},
                when="only when the folder holds no file of that name and bytes",
            )
        )

    campaign_id: str | None = None
    spec = mapper.campaign_spec(content)
    if spec is not None:
        campaign_id = placeholder(f"id of the campaign named {spec.name!r}")
        steps += _find_or_create(
            platform,
            "campaign",
            CAMPAIGNS,
            mapper.campaign_payload(spec),
            "only when no campaign of that name exists",
            params={"name": spec.name, "limit": 100, "properties": list(CAMPAIGN_PROPERTIES)},
        )
        steps += [
            _step(
                "create_campaign_budget",
                "POST",
                f"{CAMPAIGNS}/{campaign_id}/budget",
                json=platform.transform("create_campaign_budget", item),
                when="only for a newly created campaign (an existing one is updated to match)",
            )
            for item in mapper.budget_payloads(spec)
        ]

    if content.kind is ContentKind.BLOG_POST:
        steps += _blog_steps(platform, content, campaign_id, uploaded)
    elif content.kind is ContentKind.EMAIL:
        steps += _email_steps(platform, content, campaign_id)
    return steps


def _blog_steps(
    platform: HubSpotPlatform, content: Content, campaign_id: str | None, uploaded: list[AssetResult]
) -> list[dict[str, Any]]:
    mapper = platform.hubspot_mapper
    steps: list[dict[str, Any]] = []
    tag_ids = []
    for topic in content.topics:
        steps += _find_or_create(
            platform,
            "blog_tag",
            TAGS,
            {"name": topic},
            "only when the tag does not exist",
            params=tag_query(topic),
        )
        tag_ids.append(placeholder(f"tag id of {topic!r}"))
    image = featured_image(AssetsResponse(platform="hubspot", results=uploaded))
    payload = mapper.blog_post_payload(content, tag_ids=tag_ids, campaign_id=campaign_id, image=image)
    post_id = placeholder("id of the new blog post")
    steps.append(
        _step("create_blog_post", "POST", POSTS, json=platform.transform("create_blog_post", payload))
    )
    if campaign_id is not None:
        steps.append(
            _step("attach_to_campaign", "PUT", f"{CAMPAIGNS}/{campaign_id}/assets/BLOG_POST/{post_id}")
        )
    if content.schedule_at is not None:
        body = platform.transform("schedule_blog_post", mapper.schedule_payload(post_id, content.schedule_at))
        steps.append(_step("schedule_blog_post", "POST", f"{POSTS}/schedule", json=body))
    else:
        steps.append(_step("publish_blog_post", "POST", f"{POSTS}/{post_id}/draft/push-live"))
    return steps


def _email_steps(
    platform: HubSpotPlatform, content: Content, campaign_id: str | None
) -> list[dict[str, Any]]:
    mapper = platform.hubspot_mapper
    steps: list[dict[str, Any]] = []
    list_ids = []
    audience = content.audience
    for name in audience.lists if audience else []:
        steps += _find_or_create(
            platform,
            "list",
            LISTS,
            mapper.list_payload(name),
            "only when no list of that name exists",
            lookup=f"{LISTS}/object-type-id/{CONTACTS}/name/{quote(name, safe='')}",
            create=audience is not None and audience.create_missing,
        )
        list_ids.append(placeholder(f"list id of {name!r}"))
    payload = mapper.email_payload(content, campaign_id=campaign_id, list_ids=list_ids)
    email_id = placeholder("id of the new marketing email")
    steps.append(
        _step(
            "create_marketing_email",
            "POST",
            EMAILS,
            json=platform.transform("create_marketing_email", payload),
        )
    )
    if campaign_id is not None:
        steps.append(
            _step("attach_to_campaign", "PUT", f"{CAMPAIGNS}/{campaign_id}/assets/MARKETING_EMAIL/{email_id}")
        )
        steps += [
            _step(
                "attach_to_campaign",
                "PUT",
                f"{CAMPAIGNS}/{campaign_id}/assets/OBJECT_LIST/{list_id}",
                when="unless this adapter linked the list to the campaign already (a bulk links it once)",
            )
            for list_id in list_ids
        ]
    if mapper.publish_email(content):
        steps.append(
            _step("publish_marketing_email", "POST", f"{EMAILS}/{email_id}/publish", needs=EMAIL_PUBLISH_TIER)
        )
    return steps

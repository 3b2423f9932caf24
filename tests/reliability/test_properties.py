"""Property-based tests (hypothesis) for the content models and the two mappers.

* Any valid Content for a platform maps to requests its fake accepts: every request
  succeeds and the fake ends up holding exactly the objects the content describes.
* Content that is invalid for a platform (a kind it cannot publish, a missing email
  subject or template, a fractional Marketo cost, a past schedule, ...) is rejected by
  the Activator before anything is logged or sent (a past schedule only after read-only
  look-ups: content that already exists may be re-run, see README "Re-running").
"""

from __future__ import annotations

import json
import string
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing_platform.activation import Activator
from marketing_platform.errors import ContentRejected
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform_hubspot.platform import HubSpotPlatform
from marketing_platform_hubspot.settings import HubSpotSettings
from marketing_platform_marketo.auth import clear_token_cache
from marketing_platform_marketo.platform import MarketoPlatform
from marketing_platform_marketo.settings import MarketoSettings
from tests.hubspot.fake_hubspot import FakeClock as HubSpotClock
from tests.hubspot.fake_hubspot import FakeHubSpot
from tests.marketo.fake_marketo import FakeClock as MarketoClock

from .conftest import BLOG_ID, HUBSPOT_TOKEN, MARKETO_ID, MARKETO_SECRET, log_path, make_marketo, records

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LOOPBACK = "http://127.0.0.1:9"
HUBSPOT_NOW = HubSpotClock()()

# ------------------------------------------------------------------ strategies
#: Names people write: letters of any script, digits, punctuation, inner spaces.
name_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
names = st.text(name_chars, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
short_names = st.text(name_chars, min_size=1, max_size=20).filter(lambda s: s.strip() != "")
html = st.builds(lambda words: "<p>" + " ".join(words) + "</p>", st.lists(names, min_size=1, max_size=4))
addresses = st.builds(
    lambda user, host: f"{user}@{host}.example",
    st.text(string.ascii_lowercase + string.digits + "._", min_size=1, max_size=12),
    st.text(string.ascii_lowercase, min_size=1, max_size=10),
)
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def date_range(draw: st.DrawFn) -> dict[str, Any]:
    if not draw(st.booleans()):
        return {}
    start = draw(days)
    end = start + timedelta(days=draw(st.integers(0, 90)))
    return {"start_date": start.isoformat(), "end_date": end.isoformat()}


def costs(amounts: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    cost = st.fixed_dictionaries(
        {"start_date": days.map(date.isoformat), "amount": amounts},
        optional={"note": short_names},
    )
    return st.lists(cost, max_size=3)


@st.composite
def campaigns(
    draw: st.DrawFn, *, amounts: st.SearchStrategy[Any], program_types: list[Any]
) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": draw(names), **draw(date_range())}
    if draw(st.booleans()):
        spec["description"] = draw(names)
    spec["costs"] = draw(costs(amounts))
    program_type = draw(st.sampled_from(program_types))
    if program_type is not None:
        spec["program_type"] = program_type
    if draw(st.booleans()):
        spec["tags"] = draw(st.dictionaries(short_names, short_names, max_size=2))
    return spec


@st.composite
def marketo_contents(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["email", "landing_page", "event"]))
    program_types = {
        "email": [None, "Email", "Default", "Event"],
        "landing_page": [None, "Default", "Engagement"],
        "event": [None, "Event", "Event with Webinar"],
    }[kind]
    data: dict[str, Any] = {"kind": kind, "title": draw(names), "body": draw(html)}
    if draw(st.booleans()):
        data["summary"] = draw(names)
    if draw(st.booleans()):
        data["url"] = "https://example.com/" + draw(st.text(string.ascii_lowercase, max_size=10))
    if draw(st.booleans()):
        data["campaign"] = draw(campaigns(amounts=st.integers(0, 10**6), program_types=program_types))
    if kind == "email":
        email: dict[str, Any] = {"template": "Monthly Newsletter", "subject": draw(names)}
        if draw(st.booleans()):
            email["from_name"] = draw(names)
            email["from_email"] = draw(addresses)
            email["reply_to"] = draw(addresses)
        data["email"] = email
    if kind == "landing_page" or (kind == "event" and draw(st.booleans())):
        data["landing_page"] = {"template": "Basic Page"}
    if draw(st.booleans()):
        tokens = st.dictionaries(
            st.text(string.ascii_letters + " ", min_size=1, max_size=30), names, max_size=2
        )
        data["marketo"] = {"tokens": {k: v for k, v in draw(tokens).items() if k.strip()}}
    return data


@st.composite
def hubspot_contents(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["blog_post", "email"]))
    data: dict[str, Any] = {"kind": kind, "title": draw(names), "body": draw(html)}
    if draw(st.booleans()):
        data["summary"] = draw(names)
    if draw(st.booleans()):
        amounts = st.one_of(st.integers(0, 10**6), st.decimals(0, 10**5, places=2).map(str))
        data["campaign"] = draw(campaigns(amounts=amounts, program_types=[None]))
    if draw(st.booleans()):
        ahead = draw(st.integers(3600, 365 * 86400))
        data["schedule_at"] = datetime.fromtimestamp(HUBSPOT_NOW + ahead, UTC).isoformat()
    if kind == "blog_post":
        data["topics"] = draw(st.lists(short_names, max_size=3))
    else:
        email: dict[str, Any] = {"subject": draw(names)}
        if draw(st.booleans()):
            email["from_name"] = draw(names)
            email["from_email"] = draw(addresses)
        data["email"] = email
        if draw(st.booleans()):
            data["audience"] = {
                "lists": draw(st.lists(short_names, min_size=1, max_size=2)),
                "create_missing": True,
            }
    return data


# ------------------------------------------------------------------ adapters
def marketo_adapter(fake: Any) -> MarketoPlatform:
    settings_ = MarketoSettings(
        base_url=LOOPBACK,
        client_id=MARKETO_ID,
        client_secret=MARKETO_SECRET,
        from_name="Acme",
        from_email="news@acme.example",
        reply_email="news@acme.example",
    )
    clock = fake.clock
    return MarketoPlatform(settings_, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep)


def hubspot_adapter(fake: FakeHubSpot, **overrides: Any) -> HubSpotPlatform:
    values: dict[str, Any] = {"base_url": LOOPBACK, "access_token": HUBSPOT_TOKEN, "blog_id": BLOG_ID}
    values.update(overrides)
    clock = fake.clock
    return HubSpotPlatform(
        HubSpotSettings(**values),
        transport=httpx.WSGITransport(app=fake),
        clock=clock,  # type: ignore[arg-type]
        sleep=clock.sleep,  # type: ignore[attr-defined]
    )


def new_hubspot() -> FakeHubSpot:
    return FakeHubSpot(clock=HubSpotClock(), tokens=(HUBSPOT_TOKEN,), window_calls=10_000)


# ------------------------------------------------------------------ valid content
@PROPERTY_SETTINGS
@given(data=marketo_contents())
def test_any_valid_content_is_accepted_by_fake_marketo(data: dict[str, Any]) -> None:
    clear_token_cache()
    content = Content.model_validate(data)
    fake = make_marketo(clock=MarketoClock(), window_calls=10_000)
    with marketo_adapter(fake) as adapter:
        assert adapter.mapper.problems(content) == []
        plan = adapter.plan(content)
        assert MARKETO_SECRET not in json.dumps(plan, default=str)
        spec = adapter.marketo_mapper.campaign_spec(content)
        campaign = adapter.create_campaign(spec)
        published = adapter.publish_content(content, campaign=campaign)

    refused = [(c.method, c.path, c.code) for c in fake.calls if c.code is not None]
    assert refused == []
    (program,) = fake.programs.values()
    assert program["name"] == spec.name
    assert [c["cost"] for c in program["costs"]] == [int(c.amount) for c in spec.costs]
    assert {t["tagType"]: t["tagValue"] for t in program["tags"]} == spec.tags
    assert fake.tokens[program["id"]]["Content Title"]["value"] == content.title
    if content.kind.value == "email":
        (email,) = fake.emails.values()
        assert email["name"] == content.id  # named after the content, not its title
        assert email["subject"]["value"] == content.email.subject  # type: ignore[union-attr]
        assert email["status"] == "approved"
        assert published.external_id == f"email:{email['id']}"
    elif content.landing_page is not None:
        (page,) = fake.landing_pages.values()
        assert page["name"] == content.id
        assert page["status"] == "approved"
        assert page["sections"][0]["content"]["value"] == content.body
    else:
        assert published.external_id == f"program:{program['id']}"


@PROPERTY_SETTINGS
@given(data=hubspot_contents())
def test_any_valid_content_is_accepted_by_fake_hubspot(data: dict[str, Any]) -> None:
    content = Content.model_validate(data)
    fake = new_hubspot()
    with hubspot_adapter(fake) as adapter:
        assert adapter.mapper.problems(content) == []
        plan = adapter.plan(content)
        assert HUBSPOT_TOKEN not in json.dumps(plan, default=str)
        spec = adapter.mapper.campaign_spec(content)
        campaign = adapter.create_campaign(spec) if spec is not None else None
        published = adapter.publish_content(content, campaign=campaign)

    lookups = "/crm/v3/lists/object-type-id/"  # a 404 there means "no such list yet": then created
    refused = [
        (c.method, c.path, c.status)
        for c in fake.calls
        if c.status >= 400 and not (c.status == 404 and c.path.startswith(lookups))
    ]
    assert refused == []
    expected_state = "SCHEDULED" if content.schedule_at is not None else "PUBLISHED"
    if spec is not None:
        (stored,) = fake.campaigns.values()
        assert stored["properties"]["hs_name"] == spec.name
        assert len(fake.budget.get(stored["id"], [])) == len(spec.costs)
    if content.kind.value == "blog_post":
        (post,) = fake.posts.values()
        assert post["name"] == content.title
        assert post["state"] == expected_state
        assert all(type(t) is int for t in post["tagIds"])  # int64, as HubSpot types them
        assert {fake.tags[str(t)]["name"].casefold() for t in post["tagIds"]} == {
            t.casefold() for t in content.topics
        }
        assert published.external_id == post["id"]
    else:
        (email,) = fake.emails.values()
        assert email["subject"] == content.email.subject  # type: ignore[union-attr]
        assert email["state"] == expected_state
        wanted = set(content.audience.lists) if content.audience else set()
        assert {item["name"] for item in fake.lists.values()} == wanted


# ------------------------------------------------------------------ invalid content
def _drop_email(key: str) -> Any:
    def change(data: dict[str, Any]) -> dict[str, Any]:
        email = {k: v for k, v in data["email"].items() if k != key}
        return {**data, "email": email}

    return change


MARKETO_BREAKERS = {
    "blog_post is not a Marketo kind": lambda d: {**d, "kind": "blog_post"},
    "email without subject": _drop_email("subject"),
    "email without template": _drop_email("template"),
    "fractional cost": lambda d: {
        **d,
        "campaign": {"name": "P", "costs": [{"start_date": "2026-01-01", "amount": "12.50"}]},
    },
    "unknown program type": lambda d: {**d, "campaign": {"name": "P", "program_type": "Webinar!"}},
    "unknown marketo option": lambda d: {**d, "marketo": {"colour": "red"}},
    "token name too long": lambda d: {**d, "marketo": {"tokens": {"x" * 51: "v"}}},
}

HUBSPOT_BREAKERS = {
    "landing_page is not a HubSpot kind": lambda d: {**d, "kind": "landing_page"},
    "event is not a HubSpot kind": lambda d: {**d, "kind": "event"},
    "email without subject": lambda d: {**d, "kind": "email", "email": {"from_name": "x"}},
    "past schedule": lambda d: {
        **d,
        "schedule_at": datetime.fromtimestamp(HUBSPOT_NOW - 60, UTC).isoformat(),
    },
    "non-digit blog id": lambda d: {
        **d,
        "kind": "blog_post",
        "email": None,
        "hubspot": {"blog_id": "blog-1"},
    },
    "unknown hubspot option": lambda d: {**d, "hubspot": {"colour": "red"}},
    "two featured assets": lambda d: {
        **d,
        "assets": [{"path": "a.png", "role": "featured"}, {"path": "b.png", "role": "featured"}],
    },
}


def _rejected_before_anything(
    activator: Activator, content: Content, platform: str, calls: list[Any], *, look_ups: bool = False
) -> None:
    """Rejected with nothing logged and nothing sent; with ``look_ups``, only read-only
    requests were sent (a past ``schedule_at`` is refused only for content that does not
    exist yet, which the Activator first looks up)."""
    with pytest.raises(ContentRejected) as info:
        activator.activate(content, platform)
    assert info.value.problems
    if look_ups:
        assert [(c.method, c.path) for c in calls if c.method != "GET"] == []
    else:
        assert calls == []
    assert records() == []


@PROPERTY_SETTINGS
@given(
    data=st.builds(lambda d: {**d, "kind": "email"}, marketo_contents()),
    breaker=st.sampled_from(sorted(MARKETO_BREAKERS)),
)
def test_invalid_content_never_reaches_marketo(data: dict[str, Any], breaker: str) -> None:
    if "email" not in data:
        data["email"] = {"template": "Monthly Newsletter", "subject": "s"}
    data.pop("landing_page", None)
    content = Content.model_validate(MARKETO_BREAKERS[breaker](data))
    fake = make_marketo(clock=MarketoClock())
    with Activator(
        activation_log=ActivationLog(log_path()), platform_factory=lambda _: marketo_adapter(fake)
    ) as run:
        _rejected_before_anything(run, content, "marketo", fake.calls)


@PROPERTY_SETTINGS
@given(data=hubspot_contents(), breaker=st.sampled_from(sorted(HUBSPOT_BREAKERS)))
def test_invalid_content_never_reaches_hubspot(data: dict[str, Any], breaker: str) -> None:
    content = Content.model_validate(HUBSPOT_BREAKERS[breaker](data))
    fake = new_hubspot()
    with Activator(
        activation_log=ActivationLog(log_path()), platform_factory=lambda _: hubspot_adapter(fake)
    ) as run:
        _rejected_before_anything(run, content, "hubspot", fake.calls, look_ups=breaker == "past schedule")


@PROPERTY_SETTINGS
@given(data=hubspot_contents())
def test_blog_post_without_a_blog_never_reaches_hubspot(data: dict[str, Any]) -> None:
    content = Content.model_validate({**data, "kind": "blog_post", "email": None, "audience": None})
    fake = new_hubspot()
    factory = lambda _: hubspot_adapter(fake, blog_id=None)  # noqa: E731
    with Activator(activation_log=ActivationLog(log_path()), platform_factory=factory) as run:
        _rejected_before_anything(run, content, "hubspot", fake.calls)

"""calls: vendor calls per activation, one content alone vs in a bulk of 50.

For each real adapter and each kind it publishes, BULK contents of that kind (one
shared campaign, shared topics / lists / templates, as a bulk from one content folder
has; on Marketo one program per content, see :func:`marketo_content`) are activated
twice against the adapter's loopback fake from ``tests/<adapter>`` (in-process through
``httpx.WSGITransport``, on a fake clock, so nothing waits):

* **alone**: one content at a time, each with a fresh adapter and a fresh activation
  log (as ``mplat activate FILE`` run once per file; Marketo's process-wide token cache
  is cleared too), against one fake, in order;
* **bulk**: all of them through one ``Activator.activate_all`` (one adapter, one log),
  against a second fake in the same initial state.

Every request the fake receives is counted (authentication included). Printed per
adapter and kind: calls per content alone, per content in the bulk, the ratio
bulk / alone (goal <= 0.70: at least 30 % fewer), and whether both fakes end up
holding the same objects (ids, timestamps and generated keys masked). ``-v``
(``python -m benchmarks.calls -v``) adds the calls per content by endpoint.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from marketing_platform.activation import ActivationResult, Activator, Job
from marketing_platform.log import ActivationLog
from marketing_platform.models import Content
from marketing_platform.platform import MarketingPlatform
from marketing_platform.testing import FakeClock

BULK = 50
GOAL = 0.70
LOOPBACK = "http://127.0.0.1:9"
CAMPAIGN = "Calls benchmark 2026"


@dataclass(frozen=True)
class Vendor:
    """How to run one adapter against its fake."""

    name: str
    kinds: tuple[str, ...]
    fake: Callable[[FakeClock], Any]
    adapter: Callable[[Any, FakeClock], MarketingPlatform]
    content: Callable[[str, int], Content]
    #: The fake's request log (every request it received).
    requests: Callable[[Any], list[Any]]
    #: What the fake holds, by collection.
    holdings: Callable[[Any], dict[str, Any]]
    #: Run before each lone activation (process-wide caches a new process would not have).
    fresh_process: Callable[[], None] = lambda: None


@dataclass
class Row:
    vendor: str
    kind: str
    alone: float
    bulk: float
    same: bool
    failed: int
    difference: str = ""
    first_alone: int = 0
    retries: int = 0
    paths: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.bulk / self.alone if self.alone else float("nan")


# ------------------------------------------------------------------ contents
def _number(kind: str, i: int) -> tuple[str, str]:
    return f"calls-{kind.replace('_', '-')}-{i:02d}", f"{kind.replace('_', ' ').title()} {i}"


def _email_fields() -> dict[str, Any]:
    return {
        "subject": "News from Acme",
        "from_name": "Acme Marketing",
        "from_email": "news@acme.example",
        "reply_to": "replies@acme.example",
    }


def hubspot_content(kind: str, i: int) -> Content:
    cid, title = _number(kind, i)
    data: dict[str, Any] = {
        "id": cid,
        "kind": kind,
        "title": title,
        "summary": f"Summary of {title}",
        "body": f"<p>{title}.</p>",
        "campaign": {"name": CAMPAIGN, "description": "Bulk activation"},
    }
    if kind == "blog_post":
        data["topics"] = ["Product News", "Launch"]
    else:
        data["email"] = {"template": "@hubspot/email/dnd/welcome.html", **_email_fields()}
        data["audience"] = {"lists": ["Newsletter subscribers"], "create_missing": True}
    return Content.model_validate(data)


def marketo_content(kind: str, i: int) -> Content:
    """Each in its own program (the adapter's default: named after the content id, typed
    by the kind): contents sharing a program would overwrite each other's program tokens
    (``{{my.Content Title}}`` ...), so the last one written would win."""
    cid, title = _number(kind, i)
    data: dict[str, Any] = {"id": cid, "kind": kind, "title": title, "summary": f"Summary of {title}"}
    if kind == "email":
        data.update(body=f"<p>{title}.</p>", email={"template": "Monthly Newsletter", **_email_fields()})
    elif kind == "landing_page":
        data.update(body=f"<p>{title}.</p>", landing_page={"template": "Basic Page", "title": title})
    else:  # an event is its program
        data["campaign"] = {"name": title, "start_date": "2026-12-01", "end_date": "2026-12-02"}
    return Content.model_validate(data)


def mailchimp_content(kind: str, i: int) -> Content:
    cid, title = _number(kind, i)
    return Content.model_validate(
        {
            "id": cid,
            "kind": kind,
            "title": title,
            "summary": f"Summary of {title}",
            "body": f"<h1>{title}</h1><p>News.</p>",
            "email": {"subject": f"News {i}", "from_name": "Acme", "reply_to": "news@acme.example"},
            "audience": {"lists": ["Newsletter subscribers"]},
            "campaign": {"name": CAMPAIGN},
        }
    )


def sfmc_content(kind: str, i: int) -> Content:
    cid, title = _number(kind, i)
    data: dict[str, Any] = {
        "id": cid,
        "kind": kind,
        "title": title,
        "summary": f"Summary of {title}",
        "body": f"<h1>{title}</h1><p>News.</p>",
        "campaign": {"name": CAMPAIGN, "description": "Bulk activation"},
    }
    if kind == "email":
        data.update(
            tags=["newsletter"],
            email={"subject": f"News {i}", "from_name": "Acme", "reply_to": "news@acme.example"},
            audience={"lists": ["Newsletter subscribers"]},
        )
    return Content.model_validate(data)


def pardot_content(kind: str, i: int) -> Content:
    cid, title = _number(kind, i)
    data: dict[str, Any] = {
        "id": cid,
        "kind": kind,
        "title": title,
        "summary": f"Summary of {title}",
        "body": f"<h1>{title}</h1><p>News. %%unsubscribe%%</p>",
        "campaign": {"name": "Newsletter 2026-12"},
    }
    if kind == "email":
        data.update(audience={"lists": ["Newsletter subscribers"]}, email=_email_fields())
    return Content.model_validate(data)


# ------------------------------------------------------------------ vendors
def _hubspot() -> Vendor:
    from tests.hubspot.fake_hubspot import FakeHubSpot

    from marketing_platform_hubspot.platform import HubSpotPlatform
    from marketing_platform_hubspot.settings import HubSpotSettings

    def adapter(fake: Any, clock: FakeClock) -> MarketingPlatform:
        settings = HubSpotSettings(
            base_url=LOOPBACK, blog_id="1234567", access_token=SecretStr("pat-na1-test-token")
        )
        return HubSpotPlatform(
            settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )

    def holdings(fake: Any) -> dict[str, Any]:
        names = ("campaigns", "budget", "campaign_assets", "posts", "post_drafts", "tags", "emails")
        return {name: getattr(fake, name) for name in (*names, "lists", "files", "sends")}

    return Vendor(
        "hubspot",
        ("blog_post", "email"),
        lambda clock: FakeHubSpot(clock=clock),
        adapter,
        hubspot_content,
        lambda fake: fake.calls,
        holdings,
    )


def _marketo() -> Vendor:
    from tests.marketo.fake_marketo import fake_with_templates

    from marketing_platform_marketo.auth import clear_token_cache
    from marketing_platform_marketo.platform import MarketoPlatform
    from marketing_platform_marketo.settings import MarketoSettings

    secret = "s3cret-value-never-shown"

    def adapter(fake: Any, clock: FakeClock) -> MarketingPlatform:
        settings = MarketoSettings(
            base_url=LOOPBACK, client_id="test-client-id", client_secret=SecretStr(secret)
        )
        return MarketoPlatform(
            settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )

    def holdings(fake: Any) -> dict[str, Any]:
        names = ("folders", "programs", "tokens", "channels", "emails", "landing_pages", "files")
        return {name: getattr(fake, name) for name in names}

    return Vendor(
        "marketo",
        ("email", "landing_page", "event"),
        lambda clock: fake_with_templates(clock=clock, client_secret=secret),
        adapter,
        marketo_content,
        lambda fake: fake.calls,
        holdings,
        fresh_process=clear_token_cache,
    )


def _mailchimp() -> Vendor:
    from tests.mailchimp.fake_mailchimp import API_KEY, INSTANCES, FakeMailchimp

    from marketing_platform_mailchimp import MailchimpPlatform
    from marketing_platform_mailchimp.settings import MailchimpSettings

    def fake(clock: FakeClock) -> Any:
        made = FakeMailchimp(clock=clock)
        INSTANCES.remove(made)  # the test suite's registry of fakes to check afterwards
        return made

    def adapter(fake: Any, clock: FakeClock) -> MarketingPlatform:
        settings = MailchimpSettings(api_key=SecretStr(API_KEY))
        return MailchimpPlatform(
            settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )

    def holdings(fake: Any) -> dict[str, Any]:
        return {name: getattr(fake, name) for name in ("lists", "campaigns", "contents", "files", "sends")}

    return Vendor(
        "mailchimp", ("email",), fake, adapter, mailchimp_content, lambda fake: fake.requests, holdings
    )


def _sfmc() -> Vendor:
    from tests.sfmc.fake_sfmc import CLIENT_ID, CLIENT_SECRET, SUBDOMAIN, FakeSfmc

    from marketing_platform_sfmc import SfmcPlatform
    from marketing_platform_sfmc.settings import SfmcSettings

    def adapter(fake: Any, clock: FakeClock) -> MarketingPlatform:
        settings = SfmcSettings(
            subdomain=SUBDOMAIN,
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            auth_base_url=LOOPBACK,
        )
        return SfmcPlatform(settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep)

    def holdings(fake: Any) -> dict[str, Any]:
        return {name: getattr(fake, name) for name in ("assets", "categories", "campaigns", "links")}

    return Vendor(
        "sfmc",
        ("email", "landing_page"),
        lambda clock: FakeSfmc(clock=clock),
        adapter,
        sfmc_content,
        lambda fake: fake.requests,
        holdings,
    )


def _pardot() -> Vendor:
    from tests.pardot.fake_pardot import BUSINESS_UNIT, CLIENT_ID, CLIENT_SECRET, FakePardot

    from marketing_platform_pardot import PardotPlatform, PardotSettings

    def fake(clock: FakeClock) -> Any:
        """Seeded like the Pardot tests' account: campaigns (v5 cannot create them),
        lists, an email template, a folder."""
        made = FakePardot(clock=clock)
        made.add_campaign("Default campaign", id=11)
        made.add_campaign("Newsletter 2026-12", id=12)
        made.add_list("Newsletter subscribers", id=45)
        made.add(
            "email-templates",
            id=71,
            name="Monthly Newsletter",
            subject="Monthly news",
            htmlMessage="<p>%%unsubscribe%%</p>",
            isListEmail=True,
        )
        made.add_folder("/Marketing/Emails")
        return made

    def adapter(fake: Any, clock: FakeClock) -> MarketingPlatform:
        settings = PardotSettings(
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            business_unit_id=BUSINESS_UNIT,
            campaign_id=11,
        )
        return PardotPlatform(
            settings, transport=httpx.WSGITransport(app=fake), clock=clock, sleep=clock.sleep
        )

    def holdings(fake: Any) -> dict[str, Any]:
        return {**{f"data.{name}": table for name, table in fake.data.items()}, "sends": fake.sends}

    return Vendor(
        "pardot",
        ("email", "landing_page"),
        fake,
        adapter,
        pardot_content,
        lambda fake: fake.requests,
        holdings,
    )


VENDORS: tuple[Callable[[], Vendor], ...] = (_marketo, _hubspot, _mailchimp, _sfmc, _pardot)


# ------------------------------------------------------------------ comparing
_ID_KEY = re.compile(r"(^id$|_id$|Id$|Ids$|^guid$|[kK]ey$|^legacyId$)")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: Fields a fake derives from the order of requests (counters), not from what was sent.
_VOLATILE = frozenset({"archive_url", "web_id", "_indexed_after", "objectID"})
_GENERATED = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|\d{4,}", re.I)


def _ids(value: Any, found: set[str], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _ids(v, found, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            _ids(v, found, key)
    elif _ID_KEY.search(key) and value is not None and not isinstance(value, bool):
        found.add(str(value))


def _masked(value: Any, ids: set[str]) -> Any:
    """``value`` with ids, timestamps and generated keys replaced by placeholders."""
    if isinstance(value, dict):
        return {
            ("<id>" if str(k) in ids else str(k)): "<order>" if k in _VOLATILE else _masked(v, ids)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return sorted((_masked(v, ids) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bool) or value is None:
        return value
    if str(value) in ids:
        return "<id>"
    if isinstance(value, int | float) and 1e9 < abs(value) < 1e13:
        return "<time>"
    if isinstance(value, str):
        return "<time>" if _STAMP.match(value) else _GENERATED.sub("<n>", value)
    return value


def canonical(holdings: dict[str, Any]) -> dict[str, list[str]]:
    """Per collection, the sorted JSON of its objects with what differs between two
    equivalent runs masked (ids, creation order, clocks, generated keys)."""
    ids: set[str] = set()
    for collection in holdings.values():
        if isinstance(collection, dict):
            ids.update(str(k) for k in collection)
        _ids(collection, ids)
    out: dict[str, list[str]] = {}
    for name, collection in holdings.items():
        items = collection.values() if isinstance(collection, dict) else collection
        out[name] = sorted(json.dumps(_masked(item, ids), sort_keys=True, default=str) for item in items)
    return out


def difference(alone: dict[str, list[str]], bulk: dict[str, list[str]]) -> str:
    for name, objects in alone.items():
        if objects != bulk[name]:
            only_alone = [x for x in objects if x not in bulk[name]]
            only_bulk = [x for x in bulk[name] if x not in objects]
            return (
                f"{name}: {len(objects)} alone vs {len(bulk[name])} bulk; "
                f"alone only: {only_alone[:1]}; bulk only: {only_bulk[:1]}"
            )
    return ""


# ------------------------------------------------------------------ running
class _Retries(logging.Handler):
    """Counts the HTTP layer's retries (a rate-limit answer or an error would inflate
    the counts: there should be none)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "retrying in" in record.getMessage()


@contextmanager
def _activator(folder: Path, log_name: str, make: Callable[[], MarketingPlatform]) -> Iterator[Activator]:
    log = ActivationLog(folder / f"{log_name}.sqlite3")
    with Activator(activation_log=log, platform_factory=lambda _name: make(), fallback=[]) as activator:
        yield activator
    log.close()


def _paths(requests: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in requests:
        path = re.sub(r"/[^/.]*\d{3,}[^/.]*", "/{id}", str(request.path))
        key = f"{request.method} {path}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def measure(vendor: Vendor, kind: str, folder: Path, count: int = BULK) -> Row:
    retries = _Retries()
    http_log = logging.getLogger("marketing_platform.http")
    http_log.addHandler(retries)
    try:
        row = _measure(vendor, kind, folder, count)
    finally:
        http_log.removeHandler(retries)
    row.retries = retries.count
    return row


def _measure(vendor: Vendor, kind: str, folder: Path, count: int) -> Row:
    contents = [vendor.content(kind, i) for i in range(count)]
    failures: list[ActivationResult] = []

    alone_clock = FakeClock()
    alone_fake = vendor.fake(alone_clock)
    first = 0
    for i, content in enumerate(contents):
        vendor.fresh_process()
        with _activator(
            folder, f"{vendor.name}-{kind}-alone-{i}", lambda: vendor.adapter(alone_fake, alone_clock)
        ) as act:
            result = act.activate(content, vendor.name)
        alone_clock.advance(60.0)  # separate runs: the vendor's rate window has passed
        if i == 0:
            first = len(vendor.requests(alone_fake))
        if not result.ok:
            failures.append(result)
    alone_requests = list(vendor.requests(alone_fake))

    vendor.fresh_process()
    bulk_clock = FakeClock()
    bulk_fake = vendor.fake(bulk_clock)
    with _activator(
        folder, f"{vendor.name}-{kind}-bulk", lambda: vendor.adapter(bulk_fake, bulk_clock)
    ) as act:
        results = act.activate_all([Job(content, vendor.name) for content in contents])
    failures += [result for result in results if not result.ok]
    bulk_requests = list(vendor.requests(bulk_fake))

    alone_view = canonical(vendor.holdings(alone_fake))
    bulk_view = canonical(vendor.holdings(bulk_fake))
    a, b = _paths(alone_requests), _paths(bulk_requests)
    return Row(
        vendor.name,
        kind,
        alone=len(alone_requests) / count,
        bulk=len(bulk_requests) / count,
        same=alone_view == bulk_view,
        failed=len(failures),
        difference=difference(alone_view, bulk_view)
        or "; ".join(str(f.error and f.error.get("message")) for f in failures[:2]),
        first_alone=first,
        paths={k: (a.get(k, 0), b.get(k, 0)) for k in sorted(set(a) | set(b))},
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| adapter | kind | calls / content alone | calls / content in a bulk of 50 | bulk / alone "
        "| goal <= 0.70 | same objects on the vendor |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.vendor} | {row.kind} | {row.alone:.2f} | {row.bulk:.2f} | {row.ratio:.2f} "
            f"| {'met' if row.ratio <= GOAL else 'missed'} | "
            f"{'yes' if row.same and not row.failed else 'NO'} |"
        )
    return "\n".join(lines)


def run(*, verbose: bool = False) -> None:
    print(
        f"   {BULK} contents per kind (one shared campaign; Marketo: a program each); alone = a fresh "
        "adapter + log per content; every request the fake receives is counted",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for make in VENDORS:
            vendor = make()
            for kind in vendor.kinds:
                row = measure(vendor, kind, Path(tmp))
                rows.append(row)
                if verbose or not row.same or row.failed or row.retries:
                    note = f"; failed {row.failed}: {row.difference}" if row.failed or not row.same else ""
                    print(
                        f"   {vendor.name} {kind}: the first alone {row.first_alone} calls; "
                        f"retries {row.retries}{note}",
                        flush=True,
                    )
                if verbose:
                    for path, (alone, bulk) in row.paths.items():
                        print(f"      {path:<60} alone {alone / BULK:5.2f}  bulk {bulk / BULK:5.2f}")
    for line in table(rows).splitlines():
        print(f"   {line}")


if __name__ == "__main__":
    import sys

    run(verbose="-v" in sys.argv[1:])

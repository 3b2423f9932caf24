"""Every create, not only the list email's: v5 has no idempotency key and its queries
lag writes by up to 60 s. A create whose answer is lost (code 183/214, a 5xx) is
looked up by name past the lag and adopted, never made twice; a create that was
answered stays done when the look-up after it fails (a warning, not an error)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from marketing_platform.assets import load_asset
from marketing_platform.models import Asset, Content
from marketing_platform.testing import FakeClock, png_bytes

from .conftest import AdapterFactory, Run, email, page
from .fake_pardot import FakePardot

OBJECTS = "/api/v5/objects"
DAILY = "Daily API rate limit met."
#: Lost answers: (HTTP status, v5 code) of an error answered after the create was applied.
LOST = [(500, 183), (400, 214), (504, 183)]


def template() -> Content:
    return email(id="welcome-template", platform_options={"pardot": {"as_template": True}}, audience=None)


def new_list_email() -> Content:
    """A list email to a list the activation creates ("New readers")."""
    return email(id="april", audience={"lists": ["New readers"], "create_missing": True})


def posts(fake: FakePardot, collection: str) -> int:
    return len(fake.calls_to("POST", f"{OBJECTS}/{collection}"))


def lose_next_answer(fake: FakePardot, collection: str, status: int, code: int) -> None:
    fake.read_lag = 60.0
    fake.fail_next(
        code, "Internal error", status=status, method="POST", path=f"{OBJECTS}/{collection}", after=True
    )


def run_then_rerun(run: Run, content: Content) -> tuple[bool, list[str]]:
    """One activation and, when it failed, a re-run at once (within the read lag)."""
    first = run(content)
    if not first.ok:
        run(content)
    return first.ok, first.publish.warnings if first.publish is not None else []


@pytest.mark.parametrize(("status", "code"), LOST)
def test_a_list_whose_answer_was_lost_is_found_not_made_twice(
    run: Run, fake: FakePardot, clock: FakeClock, status: int, code: int
) -> None:
    lose_next_answer(fake, "lists", status, code)
    ok, _ = run_then_rerun(run, new_list_email())
    (made,) = fake.named("lists", "New readers")
    assert ok
    assert clock.total_slept >= 60  # looked up past the read lag
    assert posts(fake, "lists") == 1
    (sent,) = fake.objects("list-emails")
    assert fake.hidden("list-emails", sent["id"])["recipientListIds"] == [made["id"]]
    assert len(fake.sends) == 1


@pytest.mark.parametrize(("status", "code"), LOST)
def test_an_email_template_whose_answer_was_lost_is_found_not_made_twice(
    run: Run, fake: FakePardot, clock: FakeClock, status: int, code: int
) -> None:
    lose_next_answer(fake, "email-templates", status, code)
    ok, warnings = run_then_rerun(run, template())
    (made,) = fake.named("email-templates", "welcome-template")
    assert ok
    assert any("answer was lost" in w for w in warnings)
    assert clock.total_slept >= 60
    assert posts(fake, "email-templates") == 1
    again = run(template())
    assert again.publish is not None
    assert again.publish.action == "unchanged"
    assert again.publish.external_id == f"email_template:{made['id']}"


@pytest.mark.parametrize("collection", ["layout-templates", "landing-pages"])
def test_a_page_whose_answer_was_lost_is_found_not_made_twice(
    run: Run, fake: FakePardot, collection: str
) -> None:
    lose_next_answer(fake, collection, 500, 183)
    ok, warnings = run_then_rerun(run, page())
    assert ok
    assert any("answer was lost" in w for w in warnings)
    assert (len(fake.objects("layout-templates")), len(fake.objects("landing-pages"))) == (1, 1)
    assert posts(fake, collection) == 1


def test_a_create_that_was_not_made_is_raised_with_a_replay_hint(run: Run, fake: FakePardot) -> None:
    """Nothing appears within the lag (the 5xx came before the write): failed, replayable."""
    fake.fail_next(183, "Internal error", status=500, method="POST", path=f"{OBJECTS}/email-templates")
    failed = run(template())
    assert failed.error is not None
    assert failed.error["type"] == "PlatformUnavailable"
    assert "no email template 'welcome-template' appeared" in failed.error["hint"]
    assert "replay" in failed.error["hint"]
    assert fake.named("email-templates", "welcome-template") == []
    assert run(template()).ok
    assert len(fake.named("email-templates", "welcome-template")) == 1


class FailingLookUps(httpx.BaseTransport):
    """The fake in-process; once a create of ``collection`` was answered, every look-up
    of ``collection`` fails with ``fault`` (the daily limit, or the network)."""

    def __init__(self, fake: FakePardot, collection: str, fault: str) -> None:
        self.inner = httpx.WSGITransport(app=fake)
        self.path = f"{OBJECTS}/{collection}"
        self.fault = fault
        self.created = False
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.created and request.method == "GET" and request.url.path == self.path:
            self.failed += 1
            if self.fault == "network":
                raise httpx.ReadError("connection reset by peer", request=request)
            return httpx.Response(429, json={"code": 122, "message": DAILY}, request=request)
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == self.path and response.status_code < 300:
            self.created = True
        return response


@pytest.mark.parametrize("fault", ["daily-limit", "network"])
@pytest.mark.parametrize(
    ("collection", "content", "sends"),
    [
        ("list-emails", email, 1),
        ("email-templates", template, 0),
        ("layout-templates", page, 0),
        ("landing-pages", page, 0),
        ("lists", new_list_email, 1),
    ],
)
def test_a_confirmed_create_stays_done_when_the_look_up_after_it_fails(
    run: Run, fake: FakePardot, collection: str, content: Callable[[], Content], sends: int, fault: str
) -> None:
    """The create was answered 201 with the id: the record exists. The look-up that only
    waits out the read lag failing must not turn the activation into a failed one."""
    transport = FailingLookUps(fake, collection, fault)
    result = run(content(), transport=transport)
    assert transport.failed > 0  # the fault really happened
    assert result.ok, result.error
    assert result.publish is not None
    assert result.publish.action == "created"
    if collection != "lists":  # a list's warning goes to the log only
        assert any("the look-up failed" in w for w in result.publish.warnings), result.publish.warnings
    assert posts(fake, collection) == 1
    assert len(fake.sends) == sends


@pytest.mark.parametrize("fault", ["daily-limit", "network"])
def test_a_confirmed_upload_stays_done_when_the_look_up_after_it_fails(
    make_adapter: AdapterFactory, fake: FakePardot, tmp_path: Path, fault: str
) -> None:
    (tmp_path / "chart.png").write_bytes(png_bytes(2, 2))
    asset = load_asset(Asset(path=Path("chart.png")), tmp_path, max_bytes=1 << 20)
    transport = FailingLookUps(fake, "files", fault)
    response = make_adapter(transport=transport).upload_assets([asset])
    (stored,) = fake.objects("files")
    assert response.results[0].url == stored["url"]
    assert any("the look-up failed" in w for w in response.warnings)
    assert transport.failed > 0


def test_a_file_whose_answer_was_lost_is_found_not_made_twice(
    make_adapter: AdapterFactory, fake: FakePardot, clock: FakeClock, tmp_path: Path
) -> None:
    (tmp_path / "chart.png").write_bytes(png_bytes(2, 2))
    asset = load_asset(Asset(path=Path("chart.png")), tmp_path, max_bytes=1 << 20)
    lose_next_answer(fake, "files", 502, 183)
    response = make_adapter().upload_assets([asset])
    (stored,) = fake.objects("files")
    assert response.results[0].url == stored["url"]
    assert response.results[0].external_id == str(stored["id"])
    assert any("answer was lost" in w for w in response.warnings)
    assert clock.total_slept >= 60
    assert posts(fake, "files") == 1

"""The mock adapter: deterministic ids, latency profile, failure injection, status
progression, CDN URLs, persistent state and campaign reuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from marketing_platform.assets import load_asset
from marketing_platform.errors import (
    AuthenticationError,
    ConfigurationError,
    ContentRejected,
    NotFound,
    PlatformUnavailable,
    RateLimitError,
)
from marketing_platform.models import Asset, CampaignSpec
from marketing_platform.registry import Registry
from marketing_platform_mock import MockPlatform

from .helpers import FakeClock, blog_post, png_bytes


@pytest.fixture
def hero(tmp_path: Path) -> Asset:
    (tmp_path / "hero.png").write_bytes(png_bytes(2, 2))
    return load_asset(Asset(path=Path("hero.png"), alt_text="Hero"), tmp_path, max_bytes=10_000)


def _mock(registry: Registry, state: Path | None = None, **options: object) -> MockPlatform:
    if state is not None:
        options["state"] = state
    adapter = registry.create("mock", **options)
    assert isinstance(adapter, MockPlatform)
    return adapter


def _ids(adapter: MockPlatform, hero: Asset) -> tuple[str | None, str | None, str | None]:
    campaign = adapter.create_campaign(CampaignSpec(name="Spring Launch"))
    published = adapter.publish_content(blog_post(), campaign=campaign)
    assets = adapter.upload_assets([hero])
    return campaign.external_id, published.external_id, assets.results[0].external_id


def test_same_seed_and_input_give_the_same_ids_across_separate_state(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hero: Asset
) -> None:
    monkeypatch.setenv("MOCK_SEED", "42")

    first = _ids(_mock(registry, tmp_path / "a.sqlite3"), hero)
    second = _ids(_mock(registry, tmp_path / "b.sqlite3"), hero)

    assert first == second
    assert all(first)


def test_different_seed_gives_different_ids(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hero: Asset
) -> None:
    monkeypatch.setenv("MOCK_SEED", "1")
    first = _ids(_mock(registry, tmp_path / "a.sqlite3"), hero)
    monkeypatch.setenv("MOCK_SEED", "2")
    second = _ids(_mock(registry, tmp_path / "b.sqlite3"), hero)

    assert all(a != b for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize(
    ("operation", "mean"), [("create_campaign", 1.8), ("publish_content", 1.2), ("upload_assets", 2.5)]
)
def test_realistic_latency_sleeps_around_the_documented_figures(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, operation: str, mean: float
) -> None:
    monkeypatch.setenv("MOCK_LATENCY", "realistic")
    clock = FakeClock()
    adapter = _mock(registry, sleep=clock.sleep, clock=clock)

    for index in range(5):
        if operation == "create_campaign":
            adapter.create_campaign(CampaignSpec(name=f"Campaign {index}"))
        elif operation == "publish_content":
            adapter.publish_content(blog_post(id=f"post-{index}"))
        else:  # five different files: the mock reuses a file it already holds, without a write
            (tmp_path / f"image-{index}.png").write_bytes(png_bytes(index + 1, 1))
            image = load_asset(Asset(path=Path(f"image-{index}.png")), tmp_path, max_bytes=10_000)
            adapter.upload_assets([image])

    assert len(clock.sleeps) == 5
    assert all(mean * 0.7 <= s <= mean * 1.3 for s in clock.sleeps), clock.sleeps
    assert len(set(clock.sleeps)) > 1, "expected jitter between calls"


def test_realistic_latency_jitter_is_seeded(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_LATENCY", "realistic")
    runs = []
    for _ in range(2):
        clock = FakeClock()
        adapter = _mock(registry, sleep=clock.sleep, clock=clock)
        for index in range(3):
            adapter.publish_content(blog_post(id=f"post-{index}"))
        runs.append(clock.sleeps)

    assert runs[0] == runs[1]


@pytest.mark.parametrize("latency", [None, "none"])
def test_no_latency_profile_never_sleeps(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, hero: Asset, latency: str | None
) -> None:
    if latency:
        monkeypatch.setenv("MOCK_LATENCY", latency)
    clock = FakeClock()
    adapter = _mock(registry, sleep=clock.sleep, clock=clock)

    _ids(adapter, hero)

    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("rate_limit:1", RateLimitError),
        ("unavailable:1", PlatformUnavailable),
        ("auth:1", AuthenticationError),
        ("validation:1", ContentRejected),
    ],
)
def test_failure_injection_raises_the_real_error_types(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, spec: str, error: type[Exception]
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", spec)
    adapter = _mock(registry)

    with pytest.raises(error) as caught:
        adapter.publish_content(blog_post())

    assert caught.value.platform == "mock"  # type: ignore[attr-defined]
    assert caught.value.hint  # type: ignore[attr-defined]


def test_injected_rate_limit_carries_retry_after(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "rate_limit:1")

    with pytest.raises(RateLimitError) as caught:
        _mock(registry).create_campaign(CampaignSpec(name="Throttled"))

    assert caught.value.retryable
    assert caught.value.retry_after is not None
    assert caught.value.scope == "window"


def _outcomes(registry: Registry, calls: int = 200) -> list[bool]:
    adapter = _mock(registry)
    outcomes = []
    for index in range(calls):
        try:
            adapter.publish_content(blog_post(id=f"post-{index}"))
        except PlatformUnavailable:
            outcomes.append(False)
        else:
            outcomes.append(True)
    return outcomes


def test_seeded_failure_rate_is_close_to_the_configured_probability_and_repeatable(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:0.3")
    monkeypatch.setenv("MOCK_SEED", "7")

    first = _outcomes(registry)
    second = _outcomes(registry)

    failure_rate = first.count(False) / len(first)
    assert 0.2 <= failure_rate <= 0.4
    assert first == second


def test_different_seed_gives_a_different_failure_sequence(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", "unavailable:0.3")
    monkeypatch.setenv("MOCK_SEED", "7")
    first = _outcomes(registry, 60)
    monkeypatch.setenv("MOCK_SEED", "8")
    second = _outcomes(registry, 60)

    assert first != second


@pytest.mark.parametrize("spec", ["explode:0.5", "rate_limit:2", "rate_limit", "unavailable:often"])
def test_invalid_failure_spec_is_a_configuration_error_naming_mock_failures(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    monkeypatch.setenv("MOCK_FAILURES", spec)

    with pytest.raises(ConfigurationError, match="MOCK_FAILURES"):
        registry.create("mock")


def test_scheduled_content_moves_from_scheduled_to_published_when_its_time_comes(
    registry: Registry,
) -> None:
    clock = FakeClock()
    adapter = _mock(registry, clock=clock)
    when = datetime.fromtimestamp(clock(), UTC) + timedelta(hours=2)

    published = adapter.publish_content(blog_post(schedule_at=when.isoformat()))

    assert published.status == "scheduled"
    assert published.scheduled_at == when
    assert published.external_id is not None
    assert adapter.get_status(published.external_id).status == "scheduled"
    clock.advance(3600)
    assert adapter.get_status(published.external_id).status == "scheduled"
    clock.advance(3601)
    assert adapter.get_status(published.external_id).status == "published"
    clock.now -= 10_000  # the transition is stored, not recomputed
    assert adapter.get_status(published.external_id).status == "published"


def test_content_without_schedule_or_scheduled_in_the_past_is_published_now(registry: Registry) -> None:
    clock = FakeClock()
    adapter = _mock(registry, clock=clock)
    past = datetime.fromtimestamp(clock(), UTC) - timedelta(days=1)

    now = adapter.publish_content(blog_post(id="now"))
    late = adapter.publish_content(blog_post(id="late", schedule_at=past.isoformat()))

    assert now.status == late.status == "published"
    assert late.scheduled_at is None


def test_uploaded_assets_get_cdn_urls_and_keep_their_metadata(registry: Registry, hero: Asset) -> None:
    response = _mock(registry).upload_assets([hero])

    (result,) = response.results
    assert result.url is not None
    assert result.url.startswith("https://")
    assert result.url.endswith("/hero.png")
    assert result.external_id is not None
    assert result.external_id in result.url
    assert (result.mime_type, result.size, result.alt_text) == ("image/png", hero.size, "Hero")


def test_state_persists_so_a_later_instance_sees_earlier_objects(registry: Registry) -> None:
    published = _mock(registry).publish_content(blog_post())
    assert published.external_id is not None

    later = _mock(Registry())
    status = later.get_status(published.external_id)

    assert status.status == "published"
    assert status.external_id == published.external_id


def test_state_lives_beside_the_activation_log(registry: Registry, isolated_environment: Path) -> None:
    adapter = _mock(registry)

    assert adapter.state.path.parent == isolated_environment


def test_unknown_object_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFound):
        _mock(registry).get_status("mock-blog_post-000000000000")


def test_creating_a_campaign_twice_reuses_it_by_name(registry: Registry) -> None:
    first = _mock(registry).create_campaign(CampaignSpec(name="Spring Launch"))
    second = _mock(Registry()).create_campaign(CampaignSpec(name="Spring Launch"))

    assert not first.reused
    assert second.reused
    assert second.external_id == first.external_id
    assert _mock(registry).state.count("campaign") == 1


def test_check_succeeds_without_side_effects(registry: Registry) -> None:
    adapter = _mock(registry)

    result = adapter.check()

    assert result.ok
    assert adapter.state.count() == 0

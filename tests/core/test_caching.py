"""marketing_platform.caching: the per-adapter look-up memory and the fresh marks."""

from __future__ import annotations

import threading

from marketing_platform.caching import FreshMarks, TTLCache

from .helpers import FakeClock


def test_entries_expire_after_the_ttl_by_the_injected_clock(clock: FakeClock) -> None:
    cache = TTLCache(clock, 60)
    assert cache.put("a", 1) == 1
    clock.advance(59)
    assert cache.get("a") == 1
    clock.advance(1)  # exactly ttl seconds old: expired
    assert cache.get("a") is None
    cache.put("b", 2)
    clock.advance(61)
    assert cache.pop("b") is None


def test_load_calls_the_loader_on_a_miss_and_after_expiry(clock: FakeClock) -> None:
    cache = TTLCache(clock, 10)
    calls: list[int] = []

    def loader() -> int:
        calls.append(1)
        return len(calls)

    assert cache.load("k", loader) == 1
    assert cache.load("k", loader) == 1
    clock.advance(10)
    assert cache.load("k", loader) == 2
    assert len(calls) == 2


def test_none_is_not_remembered_unless_asked(clock: FakeClock) -> None:
    cache = TTLCache(clock, 60)
    calls: list[str] = []

    def missing() -> None:
        calls.append("x")

    assert cache.load("k", missing) is None
    assert cache.load("k", missing) is None
    assert len(calls) == 2
    assert cache.load("n", missing, keep_none=True) is None
    assert cache.load("n", missing, keep_none=True) is None
    assert len(calls) == 3


def test_forget_pop_kind_and_clear(clock: FakeClock) -> None:
    cache = TTLCache(clock, 60)
    for key in ("a", ("tpl", 1), ("tpl", 2), ("folder", "x")):
        cache.put(key, key)
    assert cache.pop("a") == "a"
    assert cache.get("a") is None
    cache.forget_kind("tpl")
    assert cache.get(("tpl", 1)) is None
    assert cache.get(("tpl", 2)) is None
    assert cache.get(("folder", "x")) == ("folder", "x")
    cache.forget(("folder", "x"))
    assert cache.get(("folder", "x")) is None
    cache.put("b", 1)
    cache.forget_where(lambda key: key == "b")
    assert cache.get("b") is None
    cache.put("c", 1)
    cache.clear()
    assert cache.get("c") is None


def test_a_ttl_of_zero_remembers_nothing(clock: FakeClock) -> None:
    cache = TTLCache(clock, 0)
    cache.put("a", 1)
    assert cache.get("a") is None


def test_threads_share_one_cache_safely(clock: FakeClock) -> None:
    cache = TTLCache(clock, 60)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(300):
                key = ("k", i % 17)
                value = cache.load(key, lambda: n)
                assert isinstance(value, int)
                if i % 7 == n % 7:
                    cache.forget(key)
                if i % 50 == 0:
                    cache.forget_kind("k")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_fresh_mark_is_taken_once_within_its_ttl(clock: FakeClock) -> None:
    marks = FreshMarks(60, clock)
    marks.mark("p1")
    assert marks.take("p1") is True
    assert marks.take("p1") is False  # taken: a retry asks again
    marks.mark("p2")
    clock.advance(60)
    assert marks.take("p2") is False  # expired
    assert marks.take("never") is False
    zero = FreshMarks(0, clock)
    zero.mark("p3")
    assert zero.take("p3") is False

"""Fixtures for the shared-store tests: a private Redis server on loopback.

``redis_url`` starts ``redis-server`` on a free 127.0.0.1 port in a temporary folder
(no persistence) for the whole session and stops it afterwards. When ``redis-server`` or
the ``redis`` package is missing the Redis tests are skipped, with the reason, or fail
in CI (``CI=true``; see :func:`tests.conftest.require`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from benchmarks._redis import missing, redis_server

from tests.conftest import require


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = missing()
    require(reason is None, f"{reason}; Redis store not tested")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[str]:
    """The Redis URL, flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()

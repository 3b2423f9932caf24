"""Fixtures of the scale suite: real servers for ``mplat worker`` processes.

``pg_server`` is a private PostgreSQL cluster (:mod:`tests.log.pgserver`) for the
session, each test gets a database of its own on it (``log_url``); ``redis_url`` is a
private ``redis-server`` (:mod:`benchmarks._redis`), flushed for each test. A missing
server skips the test with the reason, or fails it under ``CI=true``
(:func:`tests.conftest.require`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from benchmarks._redis import missing, redis_server

from tests.conftest import require
from tests.log.pgserver import PostgresServer, ServerUnavailable


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        require(False, f'psycopg is not installed ({exc}): pip install "marketing-platform[postgres]"')
    try:
        server = PostgresServer().start()
    except ServerUnavailable as exc:
        require(False, f"no PostgreSQL server for the scale tests: {exc}")
        raise  # pragma: no cover - require skipped or failed
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count()


@pytest.fixture
def log_url(pg_server: PostgresServer) -> str:
    """A new, empty database for this test's activation log; its URL."""
    return pg_server.create_database(f"scale_{next(_databases)}")


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = missing()
    require(reason is None, f"{reason}; the scale tests need a Redis server (broker and rate store)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """``redis://127.0.0.1:PORT`` (no database: the broker uses /0, the rate store /1),
    both flushed before the test."""
    import redis

    base = redis_server_url.rsplit("/", 1)[0]
    for db in (0, 1):
        client = redis.Redis.from_url(f"{base}/{db}")
        client.flushdb()
        client.close()
    return base

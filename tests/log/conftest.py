"""Fixtures of the activation log contract suite: every test runs against SQLite and
against a real PostgreSQL server (a private cluster started once per session)."""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from marketing_platform.log import BaseActivationLog, open_activation_log

from .pgserver import PostgresServer, postgres_server

#: A lease holder on another host: never presumed dead.
OTHER_LIVE_PROCESS = "some-other-host.example:1:abc"


def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(0.01)
    return condition()


class Store(ABC):
    """Where a backend keeps its logs: fresh empty locations, and raw SQL on them."""

    kind: str
    #: The driver's error type (what a failing write raises below the log).
    error: type[Exception]

    def __init__(self) -> None:
        self.location = self.new_location()
        self._logs: list[BaseActivationLog] = []

    @abstractmethod
    def new_location(self) -> str:
        """A new, empty place for a log (a file path or a database URL)."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = (), *, location: str | None = None) -> list[Any]:
        """Run ``sql`` (``?`` placeholders) outside any log; the rows it returns."""

    def open(self, location: str | None = None, **kwargs: Any) -> BaseActivationLog:
        """A log on ``location`` (default: this store's), closed after the test."""
        log = open_activation_log(location or self.location, **kwargs)
        self._logs.append(log)
        return log

    def holders(self) -> list[tuple[str, str]]:
        """``(key, owner)`` of every named lock held."""
        return [(key, owner) for key, owner in self.execute("SELECT key, owner FROM locks ORDER BY key")]

    def close(self) -> None:
        for log in self._logs:
            log.close()


class SqliteStore(Store):
    kind = "sqlite"
    error = sqlite3.OperationalError

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._names = itertools.count()
        super().__init__()

    def new_location(self) -> str:
        return str(self._folder / f"log-{next(self._names)}.sqlite3")

    def execute(self, sql: str, params: Sequence[Any] = (), *, location: str | None = None) -> list[Any]:
        with sqlite3.connect(location or self.location, isolation_level=None, timeout=10) as db:
            return db.execute(sql, params).fetchall()


_schemas = itertools.count()


class PostgresStore(Store):
    """Each location is a schema of its own in the server's ``postgres`` database (the
    URL selects it with ``options=-csearch_path=...``): as empty as a new database,
    and made in a millisecond."""

    kind = "postgresql"

    def __init__(self, server: PostgresServer) -> None:
        import psycopg

        self.error = psycopg.OperationalError
        self.server = server
        super().__init__()

    def new_location(self) -> str:
        name = f"log_{os.getpid()}_{next(_schemas)}"
        self.execute(f"CREATE SCHEMA {name}", location=self.server.url())
        return f"{self.server.url()}?options=-csearch_path%3D{name}"

    def execute(self, sql: str, params: Sequence[Any] = (), *, location: str | None = None) -> list[Any]:
        import psycopg

        with psycopg.connect(location or self.location, autocommit=True) as db:
            cursor = db.execute(sql.replace("?", "%s"), params)  # type: ignore[call-overload]
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        reason = f'psycopg is not installed ({exc}): pip install "marketing-platform[postgres]"'
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with postgres_server() as server:
        yield server


_stores: dict[int, Store] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def activation_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseActivationLog]:
    """A fresh, empty activation log of each backend (its store: the ``store`` fixture)."""
    store: Store = (
        SqliteStore(tmp_path)
        if request.param == "sqlite"
        else PostgresStore(request.getfixturevalue("pg_server"))
    )
    log = store.open()
    _stores[id(log)] = store
    try:
        yield log
    finally:
        del _stores[id(log)]
        store.close()


@pytest.fixture
def store(activation_log: BaseActivationLog) -> Store:
    """The store of ``activation_log``: more logs on it, raw SQL, fresh locations."""
    return _stores[id(activation_log)]

"""What only the PostgreSQL log has: a URL with a password, a server that may be away."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from marketing_platform.errors import ConfigurationError, PlatformUnavailable

from .pgserver import PostgresServer

pytest.importorskip("psycopg")

from marketing_platform.pglog import PostgresActivationLog

USER = "mplat_tester"
PASSWORD = "p@ss:w/rd%42-unusual"
ENCODED = "p%40ss%3Aw%2Frd%2542-unusual"


@pytest.fixture(scope="module")
def user(pg_server: PostgresServer) -> str:
    """A role whose password needs percent-encoding in a URL; its URL."""
    pg_server.psql(f"DROP ROLE IF EXISTS {USER}")
    pg_server.psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
    pg_server.psql("CREATE DATABASE mplat_users")
    pg_server.psql(f"GRANT ALL ON SCHEMA public TO {USER}", database="mplat_users")
    return f"postgresql://{USER}:{ENCODED}@127.0.0.1:{pg_server.port}/mplat_users"


@pytest.fixture
def logs() -> Iterator[list[PostgresActivationLog]]:
    opened: list[PostgresActivationLog] = []
    yield opened
    for log in opened:
        log.close()


def _open(logs: list[PostgresActivationLog], url: str) -> PostgresActivationLog:
    log = PostgresActivationLog(url, connect_timeout=5)
    logs.append(log)
    return log


def _assert_no_password(text: str) -> None:
    for secret in (PASSWORD, ENCODED, "p@ss", "w/rd%42"):
        assert secret not in text


def test_a_password_that_needs_encoding_works_and_is_never_shown(
    user: str, logs: list[PostgresActivationLog], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = _open(logs, user)

    record = log.start(content_id="launch", platform="mock", content={"note": f"pasted {PASSWORD}"})

    assert log.get(record.id).content == {"note": "pasted ***"}  # registered as a secret
    assert log.location == user.replace(ENCODED, "***")
    for text in (repr(log), str(log.location), caplog.text):
        _assert_no_password(text)
    assert "***" in repr(log)


def test_a_wrong_password_is_a_configuration_error_showing_the_masked_url(
    pg_server: PostgresServer, logs: list[PostgresActivationLog], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-" + ENCODED
    log = _open(logs, pg_server.url(password=wrong))

    with pytest.raises(ConfigurationError) as caught:
        log.ids("pending")

    message = str(caught.value)
    assert f"postgresql://postgres:***@127.0.0.1:{pg_server.port}/postgres" in message
    assert "password authentication failed" in message
    for text in (message, repr(caught.value), caplog.text, repr(log)):
        _assert_no_password(text)
        assert pg_server.password not in text


def test_a_missing_database_is_a_configuration_error(
    pg_server: PostgresServer, logs: list[PostgresActivationLog]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _open(logs, pg_server.url("no_such_db")).get("0" * 32)
    assert "no_such_db" in str(caught.value)
    assert pg_server.password not in str(caught.value)


def test_a_server_that_is_away_is_retryable_and_shows_no_password(logs: list[PostgresActivationLog]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = _open(logs, f"postgresql://someone:{ENCODED}@127.0.0.1:{port}/db")

    with pytest.raises(PlatformUnavailable) as caught:
        log.start(content_id="x", platform="mock", content={})

    assert caught.value.retryable
    assert f"postgresql://someone:***@127.0.0.1:{port}/db" in str(caught.value)
    _assert_no_password(str(caught.value))

    with pytest.raises(PlatformUnavailable) as locked, log.hold("k", wait=0):
        pytest.fail("no lock without a log")
    assert locked.value.code == "locked"
    assert locked.value.retryable
    assert "cannot be reached" in str(locked.value)
    _assert_no_password(str(locked.value))


def test_a_password_in_the_query_is_masked_too(logs: list[PostgresActivationLog]) -> None:
    log = _open(logs, f"postgresql://someone@db.example:5432/mplat?sslmode=require&password={ENCODED}")

    assert log.location == "postgresql://someone@db.example:5432/mplat?sslmode=require&password=***"
    _assert_no_password(repr(log))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"postgresql://someone:{ENCODED}@db.example/mplat?nonsense=1",
            "postgresql://someone:***@db.example/mplat",
        ),
        (f"postgresql://someone:{PASSWORD}@db.example/mplat", "postgresql://someone:***@db.example/mplat"),
    ],
    ids=["unknown option", "password not percent-encoded"],
)
def test_an_invalid_url_is_a_configuration_error_without_the_password(
    url: str, shown: str, logs: list[PostgresActivationLog]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _open(logs, url)
    assert shown in str(caught.value)
    assert "percent-encoded" in (caught.value.hint or "")
    _assert_no_password(str(caught.value))


def test_a_closed_log_reopens_on_use(user: str, logs: list[PostgresActivationLog]) -> None:
    log = _open(logs, user)
    activation_id = log.start(content_id="launch", platform="mock", content={}).id
    log.close()

    assert log.get(activation_id).content_id == "launch"


def test_a_key_value_connection_string_is_masked_too(logs: list[PostgresActivationLog]) -> None:
    log = _open(logs, f"host=db.example user=someone password='{PASSWORD}' dbname=mplat")

    assert "password=***" in log.location
    _assert_no_password(repr(log))
    with pytest.raises(ConfigurationError) as caught:
        _open(logs, f"host=db.example password='{PASSWORD}' dbname")
    _assert_no_password(str(caught.value))

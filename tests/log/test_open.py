"""open_activation_log: MARKETING_PLATFORM_LOG names a SQLite file or a PostgreSQL URL;
MARKETING_PLATFORM_LEASE_SECONDS says how long an unrenewed lease lives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from marketing_platform.errors import ConfigurationError
from marketing_platform.log import DEFAULT_LEASE_SECONDS, ActivationLog, open_activation_log


def test_a_path_opens_the_sqlite_log(tmp_path: Path) -> None:
    for location in (tmp_path / "a" / "log.sqlite3", str(tmp_path / "b.sqlite3")):
        log = open_activation_log(location)
        assert isinstance(log, ActivationLog)
        assert log.path == Path(location)
        assert Path(location).exists()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "PostgreSQL"])
def test_a_postgresql_url_opens_the_postgresql_log_without_connecting(scheme: str) -> None:
    pglog = pytest.importorskip("marketing_platform.pglog")

    log = open_activation_log(f"{scheme}://mplat:s3cret-pw@db.invalid:5432/mplat")  # nothing listens there

    assert isinstance(log, pglog.PostgresActivationLog)
    assert log.location == f"{scheme.lower()}://mplat:***@db.invalid:5432/mplat"
    log.close()


def test_without_psycopg_a_postgresql_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "marketing_platform.pglog", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg fails

    with pytest.raises(ConfigurationError) as caught:
        open_activation_log("postgresql://mplat:s3cret-pw@db.example/mplat")

    assert 'pip install "marketing-platform[postgres]"' in str(caught.value)
    assert "\n" not in caught.value.message
    assert "s3cret-pw" not in str(caught.value)


def test_another_url_is_refused_rather_than_taken_for_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_activation_log("mysql://mplat:s3cret-pw@db.example/mplat")
    assert "s3cret-pw" not in str(caught.value)
    assert "postgresql://" in (caught.value.hint or "")


def test_the_lease_lasts_a_minute_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_LEASE_SECONDS <= 60
    assert open_activation_log(tmp_path / "a.sqlite3").lease_seconds == DEFAULT_LEASE_SECONDS
    assert open_activation_log(tmp_path / "a.sqlite3", lease_seconds=5).lease_seconds == 5

    monkeypatch.setenv("MARKETING_PLATFORM_LEASE_SECONDS", "12.5")
    assert open_activation_log(tmp_path / "a.sqlite3").lease_seconds == 12.5

    for wrong in ("0", "-3", "soon", "inf"):
        monkeypatch.setenv("MARKETING_PLATFORM_LEASE_SECONDS", wrong)
        with pytest.raises(ConfigurationError) as caught:
            open_activation_log(tmp_path / "a.sqlite3")
        assert "MARKETING_PLATFORM_LEASE_SECONDS" in str(caught.value)

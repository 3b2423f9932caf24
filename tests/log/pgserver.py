"""A private PostgreSQL server for tests, from the distribution's binaries.

:class:`PostgresServer` runs ``initdb`` and ``pg_ctl`` (Debian's ``postgresql`` package
puts them in ``/usr/lib/postgresql/<version>/bin``; ``MPLAT_TEST_PG_BINDIR`` overrides) in
a temporary folder: the cluster listens on 127.0.0.1 at a free port with its unix
socket in that folder, authenticates TCP clients by password (``scram-sha-256``, the
password is random), and is thrown away by :meth:`stop`. ``initdb`` refuses to run as
root, so as root the server runs as the ``postgres`` user (``runuser``).

:func:`postgres_server` is the pytest side: it starts one, or skips with the reason
(fails instead when ``CI=true``: CI must run these tests).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "ServerUnavailable", "find_bindir", "postgres_server"]

_SERVICE_USER = "postgres"
# Durability is irrelevant for a throw-away cluster: skip every fsync.
_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}


class ServerUnavailable(Exception):
    """The binaries are missing or the server would not start (the message says why)."""


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (the newest version)."""
    override = os.environ.get("MPLAT_TEST_PG_BINDIR")
    candidates = [override] if override else glob.glob("/usr/lib/postgresql/*/bin")
    found = [Path(c) for c in candidates if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file()]
    if not found:
        raise ServerUnavailable(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/<version>/bin/initdb):"
            " apt-get install -y postgresql, or set MPLAT_TEST_PG_BINDIR"
        )
    return max(found, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()] or [0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throw-away PostgreSQL cluster; :meth:`url` gives a database's URL."""

    user = "postgres"

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self.root: Path | None = None
        self._as_service_user = os.geteuid() == 0

    # -------------------------------------------------------------- lifecycle
    def start(self, *, timeout: float = 60) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="mplat-pg-"))
        try:
            self._initdb(timeout)
            for attempt in range(3):  # the free port may be taken by someone else meanwhile
                self.port = _free_port()
                try:
                    self._pg_ctl(
                        "start",
                        "-w",
                        "-t",
                        str(int(timeout)),
                        "-l",
                        str(self.root / "server.log"),
                        "-o",
                        self._options(),
                        timeout=timeout + 10,
                    )
                    return self
                except ServerUnavailable:
                    if attempt == 2:
                        raise
        except BaseException:
            self._remove()
            raise
        return self  # pragma: no cover - the loop returns or raises

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            if (self.root / "data" / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30", timeout=40)
        finally:
            self._remove()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------- use
    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        return f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the unix socket; its output."""
        assert self.root is not None
        return self._run(
            [
                str(self.bindir / "psql"),
                "-h",
                str(self.root),
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-XAtq",
                "-c",
                sql,
            ],
            timeout=60,
        )

    def create_database(self, name: str) -> str:
        """Create the empty database ``name``; its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # --------------------------------------------------------------- helpers
    def _options(self) -> str:
        settings = {
            **_SETTINGS,
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
        }
        return " ".join(f"-c {name}={value}" for name, value in settings.items())

    def _initdb(self, timeout: float) -> None:
        assert self.root is not None
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_service_user:
            service = pwd.getpwnam(_SERVICE_USER)
            os.chown(self.root, service.pw_uid, service.pw_gid)
            os.chown(pwfile, service.pw_uid, service.pw_gid)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.root / "data"),
                "-U",
                self.user,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=timeout,
        )

    def _pg_ctl(self, *args: str, timeout: float) -> None:
        assert self.root is not None
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), *args], timeout=timeout)

    def _run(self, command: list[str], *, timeout: float) -> str:
        if self._as_service_user:
            command = ["runuser", "-u", _SERVICE_USER, "--", *command]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerUnavailable(f"{Path(command[0]).name}: {exc}") from None
        if done.returncode != 0:
            log = self.root / "server.log" if self.root else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise ServerUnavailable(
                f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}\n{tail}"
            )
        return done.stdout

    def _remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running :class:`PostgresServer` for the block; skips the test (fails it when
    ``CI=true``) with the reason when there is none to run."""
    try:
        server = PostgresServer().start()
    except ServerUnavailable as exc:
        reason = f"no PostgreSQL server for the tests: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield server
    finally:
        server.stop()

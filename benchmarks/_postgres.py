"""A private, throw-away PostgreSQL cluster on a free loopback port (the ``scale``
benchmark's activation log), from the distribution's server binaries (Debian's
``postgresql`` package: ``/usr/lib/postgresql/<version>/bin``). No durability (fsync
off), trust authentication on 127.0.0.1 only; removed when the block ends. ``initdb``
refuses to run as root, so as root the cluster runs as the ``postgres`` user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._redis import free_port

_SERVICE_USER = "postgres"
_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}


def bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb``, else None."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def missing() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None when it can."""
    if bindir() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return 'psycopg is not installed (pip install "marketing-platform[postgres]")'
    return None


def _run(command: list[str], folder: Path) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", _SERVICE_USER, "--", *command]
    subprocess.run(
        command, cwd=folder, check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Run a cluster for the block; yields ``postgresql://postgres@127.0.0.1:PORT``
    (append ``/DATABASE``; see :func:`create_database`). Check :func:`missing` first."""
    binaries = bindir()
    assert binaries is not None, missing()
    folder = Path(tempfile.mkdtemp(prefix="mplat-bench-pg-"))
    if os.geteuid() == 0:
        service = pwd.getpwnam(_SERVICE_USER)
        os.chown(folder, service.pw_uid, service.pw_gid)
    port = free_port()
    data = folder / "data"
    options = {
        **_SETTINGS,
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(folder),
    }
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], folder)  # fmt: skip
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "server.log"), "-o",
              " ".join(f"-c {k}={v}" for k, v in options.items()), "start"], folder)  # fmt: skip
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}"
        finally:
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """Create the empty database ``name`` on ``server``; its URL."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"

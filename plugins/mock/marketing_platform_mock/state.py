"""The mock platform's persistent state: one SQLite table of created objects.

It lives beside the activation log so separate ``mplat`` runs see the same objects.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketing_platform.sqlite import connect as connect_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    schedule_at REAL,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_name ON objects(type, name);
"""


class MockState:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db(first=True) as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self, *, first: bool = False) -> Iterator[sqlite3.Connection]:
        db = connect_sqlite(self.path, wal=first)  # WAL is in the file once set
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def put(
        self,
        *,
        object_id: str,
        type_: str,
        name: str,
        status: str,
        created_at: float,
        schedule_at: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    object_id,
                    type_,
                    name,
                    status,
                    schedule_at,
                    created_at,
                    json.dumps(data or {}, default=str),
                ),
            )

    def set_status(self, object_id: str, status: str, schedule_at: float | None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE objects SET status=?, schedule_at=? WHERE id=?", (status, schedule_at, object_id)
            )

    def get(self, object_id: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM objects WHERE id=?", (object_id,)).fetchone()
        return _row(row) if row else None

    def find(self, type_: str, name: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM objects WHERE type=? AND name=? ORDER BY created_at LIMIT 1", (type_, name)
            ).fetchone()
        return _row(row) if row else None

    def count(self, type_: str | None = None) -> int:
        with self._db() as db:
            if type_ is None:
                return int(db.execute("SELECT COUNT(*) FROM objects").fetchone()[0])
            return int(db.execute("SELECT COUNT(*) FROM objects WHERE type=?", (type_,)).fetchone()[0])


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["data"] = json.loads(out["data"])
    return out

"""The mock platform's persistent state: the objects it holds, the emails it sent, and
every write it received.

It lives beside the activation log so separate ``mplat`` runs see the same objects.

* ``objects``: one row per campaign, content and file (``status`` is the object's own:
  ``active``, ``scheduled`` or ``published``);
* ``sends``: one row per email that went out (when, to which lists);
* ``writes``: one row per write a client made (create, update, upload), so a test can
  see that a re-activation wrote nothing. The platform's own moves (a scheduled object
  going live, a scheduled email going out) are not writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketing_platform.sqlite import connect as connect_sqlite
from marketing_platform.sqlite import transaction

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
CREATE TABLE IF NOT EXISTS sends (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    recipients TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_object ON sends(object_id);
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    object_id TEXT NOT NULL,
    at REAL NOT NULL
);
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

    # ------------------------------------------------------------------ writes
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
        operation: str = "create",
        sent_to: list[str] | None = None,
    ) -> None:
        """Create (or replace) an object: one write. ``sent_to``: the object is an
        email that goes out now, to these lists."""
        with self._db() as db, transaction(db):
            db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (object_id, type_, name, status, schedule_at, created_at, _dump(data)),
            )
            _wrote(db, operation, object_id, created_at)
            if sent_to is not None:
                _sent(db, object_id, created_at, sent_to)

    def update(
        self,
        object_id: str,
        *,
        status: str,
        schedule_at: float | None,
        data: dict[str, Any],
        at: float,
        operation: str = "update",
        sent_to: list[str] | None = None,
    ) -> None:
        """Rewrite an object in place (same id, same ``created_at``): one write."""
        with self._db() as db, transaction(db):
            db.execute(
                "UPDATE objects SET status=?, schedule_at=?, data=? WHERE id=?",
                (status, schedule_at, _dump(data), object_id),
            )
            _wrote(db, operation, object_id, at)
            if sent_to is not None:
                _sent(db, object_id, at, sent_to)

    def go_live(self, object_id: str, *, sent_to: list[str] | None = None) -> bool:
        """The platform's own move of a scheduled object to ``published`` at its
        ``schedule_at`` (not a client write). ``sent_to``: the object is an email, sent
        then to these lists. True when this call made the move (once, whoever asks)."""
        with self._db() as db, transaction(db):
            row = db.execute(
                "SELECT schedule_at FROM objects WHERE id=? AND status='scheduled'", (object_id,)
            ).fetchone()
            if row is None:
                return False
            db.execute("UPDATE objects SET status='published', schedule_at=NULL WHERE id=?", (object_id,))
            if sent_to is not None:
                _sent(db, object_id, float(row["schedule_at"]), sent_to)
            return True

    # ------------------------------------------------------------------- reads
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

    def sends(self, object_id: str | None = None) -> list[dict[str, Any]]:
        """The emails sent (oldest first): ``object_id``, ``sent_at``, ``recipients``."""
        query = "SELECT object_id, sent_at, recipients FROM sends"
        args: tuple[str, ...] = ()
        if object_id is not None:
            query, args = query + " WHERE object_id=?", (object_id,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        return [{**dict(row), "recipients": json.loads(row["recipients"])} for row in rows]

    def writes(self) -> list[dict[str, Any]]:
        """Every client write received (oldest first): ``operation``, ``object_id``, ``at``."""
        with self._db() as db:
            rows = db.execute("SELECT operation, object_id, at FROM writes ORDER BY seq").fetchall()
        return [dict(row) for row in rows]


def _dump(data: dict[str, Any] | None) -> str:
    return json.dumps(data or {}, default=str)


def _wrote(db: sqlite3.Connection, operation: str, object_id: str, at: float) -> None:
    db.execute("INSERT INTO writes (operation, object_id, at) VALUES (?, ?, ?)", (operation, object_id, at))


def _sent(db: sqlite3.Connection, object_id: str, at: float, recipients: list[str]) -> None:
    db.execute(
        "INSERT INTO sends (object_id, sent_at, recipients) VALUES (?, ?, ?)",
        (object_id, at, json.dumps(recipients)),
    )


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["data"] = json.loads(out["data"])
    return out

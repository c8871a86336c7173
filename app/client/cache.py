"""The device's local copy of synced records (stdlib sqlite3): what every screen reads.

Two layers, kept apart on purpose: `record` holds the server's state as last pulled or
acknowledged; `outbox` (see outbox.py) holds the writes made here and not yet confirmed.
What a screen shows is the server state with the pending writes laid over it, so a pull
never hides a write the user made offline.
"""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    collection TEXT NOT NULL,
    record_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    category TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (collection, record_id)
);
CREATE INDEX IF NOT EXISTS record_scope ON record (patient_id, category);
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL,
    record_id TEXT NOT NULL,
    op TEXT NOT NULL,
    patient_id TEXT,
    base_version INTEGER,
    after_key TEXT,
    data TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    server TEXT,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

META_CURSOR = "cursor"
META_LAST_SYNC = "last_synced_at"


@dataclass(frozen=True)
class Record:
    """A record as a screen sees it; `pending` while a local write to it awaits the server."""

    collection: str
    record_id: str
    patient_id: str
    data: dict[str, Any]
    version: int | None  # None: created here, not confirmed yet
    pending: bool = False
    conflicted: bool = False


class Cache:
    """One SQLite file per signed-in device (or per browser session in the web client)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a pull page or an answer is applied whole, even if the app dies."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- meta ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def cursor(self) -> str | None:
        return self.meta(META_CURSOR)

    @property
    def last_synced_at(self) -> datetime | None:
        value = self.meta(META_LAST_SYNC)
        return None if value is None else datetime.fromisoformat(value)

    # --- server state --------------------------------------------------------------------

    def put(
        self,
        db: sqlite3.Connection,
        *,
        collection: str,
        record_id: str,
        patient_id: str,
        category: str,
        version: int,
        data: dict[str, Any] | None,
    ) -> None:
        """Store the server's state of a record (None data: it was deleted); never go back
        to an older version than the one held."""
        held = db.execute(
            "SELECT version FROM record WHERE collection = ? AND record_id = ?",
            (collection, record_id),
        ).fetchone()
        if held is not None and held["version"] > version:
            return
        if data is None:
            db.execute(
                "DELETE FROM record WHERE collection = ? AND record_id = ?", (collection, record_id)
            )
            return
        db.execute(
            "INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?, ?, ?)",
            (collection, record_id, patient_id, category, version, json.dumps(data)),
        )

    def apply_pull(self, body: dict[str, Any], now: datetime) -> None:
        """One page of /sync/pull: reset, purges, changes and the new cursor, atomically."""
        with self.transaction() as db:
            if body.get("reset"):
                db.execute("DELETE FROM record")
            for purge in body["purges"]:
                db.execute(
                    "DELETE FROM record WHERE patient_id = ? AND category = ?",
                    (purge["patient_id"], purge["category"]),
                )
            if "scope" in body:
                # Also what this device wrote itself before access ended: nothing outside the
                # user's scope stays on the device.
                allowed = {(s["patient_id"], s["category"]) for s in body["scope"]}
                held = db.execute("SELECT DISTINCT patient_id, category FROM record").fetchall()
                for patient_id, category in held:
                    if (patient_id, category) not in allowed:
                        db.execute(
                            "DELETE FROM record WHERE patient_id = ? AND category = ?",
                            (patient_id, category),
                        )
            for change in body["changes"]:
                self.put(
                    db,
                    collection=change["collection"],
                    record_id=change["record_id"],
                    patient_id=change["patient_id"],
                    category=change["category"],
                    version=change["version"],
                    data=None if change["deleted"] else change["data"],
                )
            self.set_meta(db, META_CURSOR, body["cursor"])
            if not body["has_more"]:
                self.set_meta(db, META_LAST_SYNC, now.isoformat())

    # --- what screens read ---------------------------------------------------------------

    def server_records(self, collection: str | None = None) -> dict[tuple[str, str], Record]:
        query = "SELECT * FROM record"
        args: tuple[str, ...] = ()
        if collection is not None:
            query += " WHERE collection = ?"
            args = (collection,)
        return {
            (row["collection"], row["record_id"]): Record(
                collection=row["collection"],
                record_id=row["record_id"],
                patient_id=row["patient_id"],
                data=json.loads(row["data"]),
                version=row["version"],
            )
            for row in self.db.execute(query, args)
        }

    def records(self, collection: str, patient_id: str | None = None) -> list[Record]:
        """The records a screen shows: server state with this device's pending writes on top."""
        view = self.server_records(collection)
        for row in self.db.execute(
            "SELECT * FROM outbox WHERE collection = ? AND state IN ('pending', 'conflict') "
            "ORDER BY n",
            (collection,),
        ):
            key = (collection, row["record_id"])
            held = view.get(key)
            if row["state"] == "conflict":
                if held is not None:
                    view[key] = replace(held, conflicted=True)
                continue
            if row["op"] == "delete":
                view.pop(key, None)
                continue
            view[key] = Record(
                collection=collection,
                record_id=row["record_id"],
                patient_id=row["patient_id"] or (held.patient_id if held else ""),
                data=json.loads(row["data"]),
                version=held.version if held else None,
                pending=True,
            )
        records = [r for r in view.values() if patient_id is None or r.patient_id == patient_id]
        return sorted(records, key=lambda r: r.record_id)

    def get(self, collection: str, record_id: str) -> Record | None:
        for record in self.records(collection):
            if record.record_id == record_id:
                return record
        return None

    # --- sign-out and remote wipe --------------------------------------------------------

    def wipe(self) -> None:
        """Remove every cached health record, unsent write and cursor from this device."""
        with self.transaction() as db:
            db.execute("DELETE FROM record")
            db.execute("DELETE FROM outbox")
            db.execute("DELETE FROM meta")
        # Deleted rows stay in the file's free pages until it is rewritten.
        self.db.execute("VACUUM")

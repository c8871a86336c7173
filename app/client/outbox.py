"""The outbox: every write made on the device, saved before the screen confirms it, with the
one idempotency key it keeps through every retry, until the server answers.

States: `pending` (not confirmed yet), `conflict` (an edit of a record that changed on the
server meanwhile: a person picks a version) and `rejected` (the server refused it, with the
reason; shown until dismissed). An applied write leaves the outbox and its result enters
the cache.
"""

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from app.client.cache import Cache

Op = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class OutboxEntry:
    n: int
    idempotency_key: str
    collection: str
    record_id: str
    op: str
    patient_id: str | None
    base_version: int | None
    after_key: str | None  # an earlier unconfirmed write to the same record this one builds on
    data: dict[str, Any] | None
    state: str
    reason: str | None
    server: dict[str, Any] | None  # conflict: the server's version (version, deleted, data)
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "OutboxEntry":
        return cls(
            n=row["n"],
            idempotency_key=row["idempotency_key"],
            collection=row["collection"],
            record_id=row["record_id"],
            op=row["op"],
            patient_id=row["patient_id"],
            base_version=row["base_version"],
            after_key=row["after_key"],
            data=None if row["data"] is None else json.loads(row["data"]),
            state=row["state"],
            reason=row["reason"],
            server=None if row["server"] is None else json.loads(row["server"]),
            created_at=row["created_at"],
        )

    def mutation(self) -> dict[str, Any]:
        """The body of this write in /sync/push (identical on every retry)."""
        return {
            "idempotency_key": self.idempotency_key,
            "collection": self.collection,
            "record_id": self.record_id,
            "op": self.op,
            "patient_id": self.patient_id,
            "base_version": self.base_version,
            "data": self.data,
        }


class Outbox:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    # --- writing -------------------------------------------------------------------------

    def write(
        self,
        collection: str,
        op: Op,
        *,
        patient_id: str | None = None,
        data: dict[str, Any] | None = None,
        record_id: str | None = None,
        base_version: int | None = None,
    ) -> OutboxEntry:
        """Queue a write; returns at once (offline or not). New records get a UUID here."""
        if op != "create" and record_id is None:
            raise ValueError(f"{op} needs the record_id")
        record_id = record_id or str(uuid.uuid4())
        with self.cache.transaction() as db:
            after_key = None
            if op != "create":
                earlier = db.execute(
                    "SELECT idempotency_key FROM outbox WHERE collection = ? AND record_id = ? "
                    "AND state IN ('pending', 'conflict') ORDER BY n DESC LIMIT 1",
                    (collection, record_id),
                ).fetchone()
                if earlier is not None:
                    after_key, base_version = earlier["idempotency_key"], None
                elif base_version is None:
                    held = db.execute(
                        "SELECT version, patient_id FROM record "
                        "WHERE collection = ? AND record_id = ?",
                        (collection, record_id),
                    ).fetchone()
                    if held is not None:
                        base_version = held["version"]
            key = uuid.uuid4().hex
            db.execute(
                "INSERT INTO outbox (idempotency_key, collection, record_id, op, patient_id, "
                "base_version, after_key, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    collection,
                    record_id,
                    op,
                    patient_id,
                    base_version,
                    after_key,
                    None if data is None else json.dumps(data),
                    datetime.now(UTC).isoformat(),
                ),
            )
        entry = self.find(key)
        assert entry is not None
        return entry

    # --- reading -------------------------------------------------------------------------

    def find(self, key: str) -> OutboxEntry | None:
        row = self.cache.db.execute(
            "SELECT * FROM outbox WHERE idempotency_key = ?", (key,)
        ).fetchone()
        return None if row is None else OutboxEntry.from_row(row)

    def entries(self, state: str | None = None) -> list[OutboxEntry]:
        query = "SELECT * FROM outbox"
        args: tuple[str, ...] = ()
        if state is not None:
            query, args = query + " WHERE state = ?", (state,)
        rows = self.cache.db.execute(query + " ORDER BY n", args).fetchall()
        return [OutboxEntry.from_row(row) for row in rows]

    def pending(self) -> list[OutboxEntry]:
        return self.entries("pending")

    def pending_count(self) -> int:
        row = self.cache.db.execute(
            "SELECT count(*) FROM outbox WHERE state = 'pending'"
        ).fetchone()
        return int(row[0])

    # --- answers from the server ---------------------------------------------------------

    def mark_sent(self, entries: list[OutboxEntry]) -> None:
        with self.cache.transaction() as db:
            db.executemany(
                "UPDATE outbox SET attempts = attempts + 1 WHERE idempotency_key = ?",
                [(e.idempotency_key,) for e in entries],
            )

    def applied(self, entry: OutboxEntry, answer: dict[str, Any]) -> None:
        """The server holds the write: move it from the outbox into the cache."""
        version = int(answer["version"])
        with self.cache.transaction() as db:
            db.execute("DELETE FROM outbox WHERE idempotency_key = ?", (entry.idempotency_key,))
            db.execute(
                "UPDATE outbox SET base_version = ?, after_key = NULL WHERE after_key = ?",
                (version, entry.idempotency_key),
            )
            if answer.get("patient_id") and answer.get("category"):
                self.cache.put(
                    db,
                    collection=entry.collection,
                    record_id=entry.record_id,
                    patient_id=answer["patient_id"],
                    category=answer["category"],
                    version=version,
                    data=None if entry.op == "delete" else entry.data,
                )

    def conflicted(
        self, entry: OutboxEntry, reason: str, server: dict[str, Any] | None = None
    ) -> None:
        with self.cache.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'conflict', reason = ?, server = ? "
                "WHERE idempotency_key = ?",
                (reason, None if server is None else json.dumps(server), entry.idempotency_key),
            )

    def rejected(self, entry: OutboxEntry, reason: str) -> None:
        with self.cache.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'rejected', reason = ? WHERE idempotency_key = ?",
                (reason, entry.idempotency_key),
            )

    # --- what a person decides -----------------------------------------------------------

    def resolve(self, key: str, keep: Literal["mine", "theirs"]) -> OutboxEntry | None:
        """Settle a conflict: keep the server's version, or send mine again on top of it
        (a new write with a new key, made from the server's version)."""
        entry = self.find(key)
        if entry is None or entry.state != "conflict":
            raise ValueError("no such conflict")
        with self.cache.transaction() as db:
            db.execute("DELETE FROM outbox WHERE idempotency_key = ?", (key,))
        if keep == "theirs":
            return None
        server = entry.server or {}
        held = self.cache.server_records(entry.collection).get((entry.collection, entry.record_id))
        version = server.get("version") or (held.version if held else None)
        op: Op = "delete" if entry.op == "delete" else "update"
        if server.get("deleted") and op == "update":
            return None  # the record is gone on the server; nothing to edit any more
        return self.write(
            entry.collection,
            op,
            record_id=entry.record_id,
            data=entry.data,
            base_version=version,
        )

    def dismiss(self, key: str) -> None:
        """The person has seen a rejected write; forget it."""
        with self.cache.transaction() as db:
            db.execute(
                "DELETE FROM outbox WHERE idempotency_key = ? AND state = 'rejected'", (key,)
            )

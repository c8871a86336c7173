"""Tables of the sync protocol: the change feed, idempotency keys, pulled scopes, and the two
built-in collections (diary entries, care notes)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.core.models import utcnow

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class SyncCounter(SQLModel, table=True):
    """The single row holding the last change sequence number.

    Every write to the feed updates this row first, inside the writing transaction: the row
    lock (PostgreSQL) or the write lock (SQLite) is held until commit, so sequence numbers
    become visible in the order they were handed out and a pull never skips a change that
    commits late (a plain SEQUENCE would let seq 11 commit before seq 10).
    """

    __tablename__ = "sync_counter"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(default=0, sa_column=sa.Column(BigInt, nullable=False))


class SyncChange(SQLModel, table=True):
    """The latest state of one synced record, stamped with the sequence of its last change.

    One row per record (compacted): a later change moves the row to a new `seq`, so a pull from
    any cursor sees each record at most once, in its latest state. Deletions keep the row with
    `deleted` set (the tombstone), for as long as the record id exists.
    """

    __tablename__ = "sync_change"
    __table_args__ = (
        sa.UniqueConstraint("seq", name="uq_sync_change_seq"),
        # Pulls probe (patient, category) pairs of the caller's scope from a cursor onwards.
        sa.Index("ix_sync_change_scope_seq", "patient_id", "category", "seq"),
    )

    collection: str = Field(primary_key=True, max_length=64)
    record_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(sa_column=sa.Column(BigInt, nullable=False))
    patient_id: str = Field(max_length=64)
    category: str = Field(max_length=30)
    version: int
    deleted: bool = False
    data: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    updated_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class SyncMutation(SQLModel, table=True):
    """An idempotency key and the first answer given to it; a retry gets this answer back."""

    __tablename__ = "sync_mutation"

    subject: str = Field(primary_key=True, max_length=200)
    idempotency_key: str = Field(primary_key=True, max_length=100)
    fingerprint: str = Field(max_length=64)
    status: str = Field(max_length=20)
    answer: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class SyncScope(SQLModel, table=True):
    """A set of (patient, category) pairs a device was last given, named by its digest.

    A cursor names the scope it was issued for, so the next pull knows which pairs were lost
    (purge them on the device) and which were gained (send their history from the start).
    """

    __tablename__ = "sync_scope"

    digest: str = Field(primary_key=True, max_length=64)
    pairs: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DiaryEntry(SQLModel, table=True):
    """A health diary entry (built-in collection `diary_entries`): an append-only fact."""

    __tablename__ = "sync_diary_entry"

    id: str = Field(primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=30)
    value: float | None = None
    unit: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=2000)
    recorded_at: str = Field(max_length=40)
    author: str = Field(max_length=200)
    deleted: bool = False


class CareNote(SQLModel, table=True):
    """A shared, editable care note (built-in collection `care_notes`): versioned."""

    __tablename__ = "sync_care_note"

    id: str = Field(primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=8000)
    version: int
    updated_by: str = Field(max_length=200)
    deleted: bool = False

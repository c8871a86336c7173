"""Request and response bodies of /api/v1/sync (push and pull)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_BATCH = 500
MAX_PAGE = 2000
DEFAULT_PAGE = 500

Op = Literal["create", "update", "delete"]
Status = Literal["applied", "duplicate", "conflict", "rejected"]


class Mutation(BaseModel):
    """One write made on a device, in the order it was made."""

    idempotency_key: str = Field(min_length=8, max_length=100)
    collection: str = Field(max_length=64)
    record_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-\.]+$")
    op: Op
    patient_id: str | None = Field(default=None, max_length=64)
    base_version: int | None = Field(default=None, ge=1)  # required by update/delete (versioned)
    data: dict[str, Any] | None = None


class PushRequest(BaseModel):
    mutations: list[Mutation] = Field(max_length=MAX_BATCH)


class RecordVersion(BaseModel):
    """A record as the server holds it, for a conflict the person resolves."""

    version: int
    deleted: bool
    data: dict[str, Any] | None
    updated_by: str


class MutationResult(BaseModel):
    idempotency_key: str
    status: Status
    record_id: str
    version: int | None = None  # the record's version after this write (applied)
    patient_id: str | None = None  # applied: whose record it is, and its data category,
    category: str | None = None  # so the device can file (and later purge) it at once
    seq: int | None = None
    reason: str | None = None  # why it was rejected or conflicted, for people
    server: RecordVersion | None = None  # conflict: the server's version
    client: Mutation | None = None  # conflict: the device's version (the mutation itself)
    original: "MutationResult | None" = None  # duplicate: the first answer to this key


class PushResponse(BaseModel):
    results: list[MutationResult]


class Change(BaseModel):
    collection: str
    record_id: str
    patient_id: str
    category: str
    seq: int
    version: int
    deleted: bool
    data: dict[str, Any] | None


class Purge(BaseModel):
    """Drop every cached record of this patient in this category: access to it has ended."""

    patient_id: str
    category: str


class Access(BaseModel):
    """A patient's category of data the user may see now."""

    patient_id: str
    category: str


class PullResponse(BaseModel):
    cursor: str
    has_more: bool
    reset: bool = False  # the cursor was unknown: drop the whole cache (not the outbox) first
    changes: list[Change]
    purges: list[Purge]
    # Everything the user may see now. A device drops cached records outside it: purges only
    # name what the cursor's scope held, not records the device wrote itself and whose push
    # answer arrived after access ended (a retried push is answered "duplicate").
    scope: list[Access] = []

"""The collections a device can sync: each feature registers its own (name, data category,
append-only or versioned, how to validate and store a record).

A feature registers at import time of its router module, which `server.main` imports:

    from server.sync.registry import Collection, StoredRecord, register

    def _validate(data: dict[str, Any]) -> dict[str, Any]: ...   # raise InvalidInput to reject
    def _store(session: Session, record: StoredRecord) -> None: ...  # write your own table

    register(Collection(name="visit_records", category=DataCategory.VISITS,
                        resource="Encounter", versioned=False,
                        validate=_validate, store=_store))

The sync service owns ids, versions, idempotency, authorization and the change feed; the
collection only checks a record's data and keeps it in its own table. Writes that reach the
feature by another route (the FHIR REST API) call `server.sync.service.record_change` so
devices see them on their next pull.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from server.auth.access import DataCategory


@dataclass(frozen=True)
class StoredRecord:
    """One record as the sync service decided it: store it (or its tombstone) in your table."""

    record_id: str
    patient_id: str
    version: int
    deleted: bool
    data: dict[str, Any] | None  # None for a tombstone
    author: str  # the principal's subject


Validate = Callable[[dict[str, Any]], dict[str, Any]]
Store = Callable[[Session, StoredRecord], None]


@dataclass(frozen=True)
class Collection:
    """A kind of record devices sync.

    `versioned=False`: clinical facts (vitals, visit records, timeline posts) are append-only;
    they are created, never edited, and can never conflict (the person themself may still
    withdraw one: a tombstone). `versioned=True`: editable records (care plan, medication
    list); an update names the version it was made from, and a mismatch is a conflict that
    returns both versions for a person to resolve.
    """

    name: str
    category: DataCategory
    resource: str  # the FHIR resource type the SMART scopes and the audit speak of
    versioned: bool
    validate: Validate  # returns the normalised data; raises InvalidInput to reject
    store: Store  # only writes: every check belongs in `validate` (it runs before any write)


_registry: dict[str, Collection] = {}


def register(collection: Collection) -> Collection:
    """Add a collection; registering another one under a taken name is a programming error."""
    existing = _registry.get(collection.name)
    if existing is not None and existing != collection:
        raise ValueError(f"sync collection {collection.name!r} is already registered")
    _registry[collection.name] = collection
    return collection


def get(name: str) -> Collection | None:
    return _registry.get(name)


def collections() -> list[Collection]:
    return list(_registry.values())


def categories() -> set[DataCategory]:
    """The data categories some collection syncs: a pull's scope is computed for these."""
    return {collection.category for collection in _registry.values()}

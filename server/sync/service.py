"""The sync protocol: push a batch of device writes exactly once, pull changes since a cursor
within what the caller may see now (with tombstones and purge instructions).

Push. Each mutation runs in a savepoint of the request's transaction, in order:
idempotency key seen before → `duplicate` with the first answer (same key, other content →
`rejected`); not allowed now (consent revoked...) → `rejected` with the reason; a versioned
record whose version moved on → `conflict` with both versions; otherwise `applied`. Every
answer is stored with its key, so a retry after a lost response gets the same answer. The
whole push holds the feed's counter row from its first statement: pushes run one at a time,
so two copies of one request (a duplicated packet) cannot both apply.

Pull. A cursor is `<seq>.<scope digest>`: the last change sequence the device has and the
(patient, category) pairs it was given. Pairs still visible get changes after `seq`; pairs
newly visible get their whole history (no tombstones); pairs no longer visible become purge
instructions. Cost is one index probe per visible pair when nothing changed.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, false, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from server.auth.access import DataCategory, Principal, authorize, record_search, visible_patients
from server.core.errors import Forbidden, InvalidInput, MachiError
from server.core.models import utcnow
from server.sync import registry
from server.sync.models import SyncChange, SyncCounter, SyncMutation, SyncScope
from server.sync.registry import Collection, StoredRecord
from server.sync.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Access,
    Change,
    Mutation,
    MutationResult,
    PullResponse,
    Purge,
    RecordVersion,
)

_counter = SyncCounter.__table__  # type: ignore[attr-defined]
_change = SyncChange.__table__  # type: ignore[attr-defined]
_scope = SyncScope.__table__  # type: ignore[attr-defined]

Pair = tuple[str, str]  # (patient_id, category)
EMPTY_SCOPE = "0"


# --- the change feed ------------------------------------------------------------------------


def lock_feed(session: Session) -> None:
    """Take the feed's lock (its counter row) until the transaction ends.

    Must be the transaction's first write: on SQLite a transaction that read first cannot
    upgrade to writing once another writer committed.
    """
    connection = session.connection()
    locked = connection.execute(
        update(_counter).where(_counter.c.id == 1).values(seq=_counter.c.seq)
    )
    if locked.rowcount == 0:  # a schema made without the migration's seed row
        connection.execute(insert(_counter).values(id=1, seq=0))


def next_seq(session: Session) -> int:
    connection = session.connection()
    connection.execute(update(_counter).where(_counter.c.id == 1).values(seq=_counter.c.seq + 1))
    seq = connection.execute(select(_counter.c.seq).where(_counter.c.id == 1)).scalar_one()
    return int(seq)


def record_change(
    session: Session,
    *,
    collection: Collection,
    record_id: str,
    patient_id: str,
    version: int,
    deleted: bool,
    data: dict[str, Any] | None,
    author: str,
) -> int:
    """Put a record's latest state in the feed under a new sequence number; returns it.

    For features whose records are also written outside /sync (the FHIR REST API): call this
    in the same transaction as the write, and devices get it on their next pull.
    """
    lock_feed(session)
    seq = next_seq(session)
    row = session.get(SyncChange, (collection.name, record_id))
    if row is None:
        row = SyncChange(
            collection=collection.name,
            record_id=record_id,
            seq=seq,
            patient_id=patient_id,
            category=collection.category.value,
            version=version,
        )
    row.seq = seq
    row.patient_id = patient_id
    row.version = version
    row.deleted = deleted
    row.data = None if data is None else _dumps(data)
    row.updated_by = author
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return seq


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _loads(value: str | None) -> dict[str, Any] | None:
    return None if value is None else dict(json.loads(value))


# --- push -----------------------------------------------------------------------------------


def fingerprint(mutation: Mutation) -> str:
    """What a key stands for: the same key with other content is a client bug, not a retry."""
    body = mutation.model_dump(exclude={"idempotency_key"})
    return hashlib.sha256(_dumps(body).encode()).hexdigest()


def push(session: Session, principal: Principal, mutations: list[Mutation]) -> list[MutationResult]:
    """Apply mutations in order; each gets exactly one answer, remembered under its key."""
    if not mutations:
        return []
    lock_feed(session)
    return [_push_one(session, principal, mutation) for mutation in mutations]


def _push_one(session: Session, principal: Principal, mutation: Mutation) -> MutationResult:
    key = (principal.subject, mutation.idempotency_key)
    previous = session.get(SyncMutation, key)
    if previous is not None:
        first = MutationResult.model_validate_json(previous.answer)
        if previous.fingerprint != fingerprint(mutation):
            return _rejected(
                mutation, "this idempotency key was already used for a different change"
            )
        return MutationResult(
            idempotency_key=mutation.idempotency_key,
            status="duplicate",
            record_id=first.record_id,
            version=first.version,
            seq=first.seq,
            patient_id=first.patient_id,
            category=first.category,
            original=first,
        )
    try:
        result = _apply(session, principal, mutation)
    except Forbidden as exc:
        result = _rejected(mutation, str(exc.detail))
    except MachiError as exc:
        result = _rejected(
            mutation, exc.detail if isinstance(exc.detail, str) else _dumps(exc.detail)
        )
    session.add(
        SyncMutation(
            subject=principal.subject,
            idempotency_key=mutation.idempotency_key,
            fingerprint=fingerprint(mutation),
            status=result.status,
            answer=result.model_dump_json(exclude_none=True),
        )
    )
    session.flush()
    return result


def _rejected(mutation: Mutation, reason: str) -> MutationResult:
    return MutationResult(
        idempotency_key=mutation.idempotency_key,
        status="rejected",
        record_id=mutation.record_id,
        reason=reason,
    )


def _conflict(mutation: Mutation, current: SyncChange, reason: str) -> MutationResult:
    return MutationResult(
        idempotency_key=mutation.idempotency_key,
        status="conflict",
        record_id=mutation.record_id,
        reason=reason,
        server=RecordVersion(
            version=current.version,
            deleted=current.deleted,
            data=_loads(current.data),
            updated_by=current.updated_by,
        ),
        client=mutation,
    )


def _apply(session: Session, principal: Principal, mutation: Mutation) -> MutationResult:
    """Decide, then store one mutation; raises MachiError to reject it.

    Every check (authorization, versions, the collection's `validate`) runs before the first
    write, so a rejection leaves nothing behind without a savepoint. (Savepoints are avoided:
    the audit trail appends its queued records whenever a savepoint commits, from another
    connection, which on SQLite waits for this very transaction's write lock.)
    """
    collection = registry.get(mutation.collection)
    if collection is None:
        raise InvalidInput(f"unknown collection {mutation.collection!r}")
    current = session.get(SyncChange, (collection.name, mutation.record_id))
    if current is not None:
        if mutation.patient_id is not None and mutation.patient_id != current.patient_id:
            raise InvalidInput("a record cannot move to another patient")
        patient_id = current.patient_id
    elif mutation.patient_id is None:
        raise InvalidInput("a new record needs its patient_id")
    else:
        patient_id = mutation.patient_id

    action = {"create": "create", "update": "update", "delete": "delete"}[mutation.op]
    authorize(
        session,
        principal,
        action=action,  # type: ignore[arg-type]
        patient_id=patient_id,
        category=collection.category,
        resource=collection.resource,
    )

    data: dict[str, Any] | None = None
    if mutation.op == "create":
        if current is not None:
            if collection.versioned:
                return _conflict(mutation, current, "a record with this id already exists")
            raise InvalidInput("a record with this id already exists")
        data = collection.validate(dict(mutation.data or {}))
        version = 1
    else:
        if current is None:
            raise InvalidInput("no such record")
        if mutation.op == "update" and not collection.versioned:
            raise InvalidInput("clinical facts are append-only: record a correction instead")
        if collection.versioned and mutation.base_version != current.version:
            reason = "deleted meanwhile" if current.deleted else "changed meanwhile"
            return _conflict(mutation, current, f"the record was {reason}")
        if current.deleted:
            if mutation.op == "delete":  # withdrawing twice changes nothing
                return MutationResult(
                    idempotency_key=mutation.idempotency_key,
                    status="applied",
                    record_id=mutation.record_id,
                    version=current.version,
                    seq=current.seq,
                    patient_id=patient_id,
                    category=collection.category.value,
                )
            raise InvalidInput("the record was deleted")
        if mutation.op == "update":
            data = collection.validate(dict(mutation.data or {}))
        version = current.version + 1

    deleted = mutation.op == "delete"
    seq = record_change(
        session,
        collection=collection,
        record_id=mutation.record_id,
        patient_id=patient_id,
        version=version,
        deleted=deleted,
        data=data,
        author=principal.subject,
    )
    collection.store(
        session,
        StoredRecord(
            record_id=mutation.record_id,
            patient_id=patient_id,
            version=version,
            deleted=deleted,
            data=data,
            author=principal.subject,
        ),
    )
    return MutationResult(
        idempotency_key=mutation.idempotency_key,
        status="applied",
        record_id=mutation.record_id,
        version=version,
        seq=seq,
        patient_id=patient_id,
        category=collection.category.value,
    )


# --- pull -----------------------------------------------------------------------------------


def current_scope(session: Session, principal: Principal) -> set[Pair]:
    """(patient, category) pairs the caller may read now, for the categories that sync."""
    pairs: set[Pair] = set()
    for category in registry.categories():
        pairs |= {
            (patient, category.value) for patient in visible_patients(session, principal, category)
        }
    return pairs


def scope_digest(pairs: Iterable[Pair]) -> str:
    ordered = sorted(pairs)
    if not ordered:
        return EMPTY_SCOPE
    return hashlib.sha256(_dumps(ordered).encode()).hexdigest()[:32]


def parse_cursor(cursor: str | None) -> tuple[int, str]:
    if not cursor:
        return 0, EMPTY_SCOPE
    seq, sep, digest = cursor.partition(".")
    if not sep or not seq.isdigit() or not digest or len(digest) > 64:
        raise InvalidInput("malformed cursor: pass back the cursor of the last pull, or none")
    return int(seq), digest


def _known_scope(session: Session, digest: str) -> set[Pair] | None:
    if digest == EMPTY_SCOPE:
        return set()
    row = session.get(SyncScope, digest)
    if row is None:
        return None
    return {(patient, category) for patient, category in json.loads(row.pairs)}


def _remember_scope(session: Session, digest: str, pairs: set[Pair]) -> None:
    if digest == EMPTY_SCOPE or session.get(SyncScope, digest) is not None:
        return
    values = {"digest": digest, "pairs": _dumps(sorted(pairs)), "created_at": utcnow()}
    dialect = session.connection().dialect.name
    insert_stmt = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(_scope)
    # Two devices of one person may pull with a new scope at once: the first one stores it.
    session.connection().execute(insert_stmt.values(values).on_conflict_do_nothing())


def _pairs_clause(pairs: set[Pair]) -> Any:
    by_category: dict[str, list[str]] = defaultdict(list)
    for patient, category in pairs:
        by_category[category].append(patient)
    return or_(
        *(
            and_(_change.c.category == category, _change.c.patient_id.in_(sorted(patients)))
            for category, patients in by_category.items()
        )
    )


def pull(
    session: Session, principal: Principal, cursor: str | None, limit: int = DEFAULT_PAGE
) -> PullResponse:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    since, digest = parse_cursor(cursor)
    now_scope = current_scope(session, principal)
    now_digest = scope_digest(now_scope)
    previous = _known_scope(session, digest)
    head = session.connection().execute(select(_counter.c.seq).where(_counter.c.id == 1)).scalar()
    reset = previous is None or since > int(head or 0)
    if reset:  # unknown cursor: the device starts again from an empty cache
        since, previous = 0, set()
    assert previous is not None
    kept = now_scope & previous
    gained = now_scope - previous
    lost = previous - now_scope

    clauses = []
    if kept:
        clauses.append(and_(_change.c.seq > since, _pairs_clause(kept)))
    if gained:  # history from the start, without tombstones of records the device never had
        clauses.append(and_(_change.c.deleted == false(), _pairs_clause(gained)))
    rows: list[Any] = []
    if clauses:
        rows = list(
            session.connection()
            .execute(select(_change).where(or_(*clauses)).order_by(_change.c.seq).limit(limit + 1))
            .mappings()
            .all()
        )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if has_more:
        # Everything up to the last row is delivered for every pair of the scope now; pairs
        # kept from before may see a few changes again, which devices apply idempotently.
        next_seq_value = int(rows[-1]["seq"])
    else:
        next_seq_value = max([since, *(int(row["seq"]) for row in rows)])
    _remember_scope(session, now_digest, now_scope)
    _audit_pull(session, principal, rows)
    return PullResponse(
        cursor=f"{next_seq_value}.{now_digest}",
        has_more=has_more,
        reset=reset and cursor is not None and cursor != "",
        changes=[
            Change(
                collection=row["collection"],
                record_id=row["record_id"],
                patient_id=row["patient_id"],
                category=row["category"],
                seq=int(row["seq"]),
                version=int(row["version"]),
                deleted=bool(row["deleted"]),
                data=_loads(row["data"]),
            )
            for row in rows
        ],
        purges=[Purge(patient_id=patient, category=category) for patient, category in sorted(lost)],
        scope=[
            Access(patient_id=patient, category=category) for patient, category in sorted(now_scope)
        ],
    )


def _audit_pull(session: Session, principal: Principal, rows: list[Any]) -> None:
    """One audit record per (patient, collection) whose data this pull handed out."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        collection = registry.get(row["collection"])
        if collection is not None:
            seen[(collection.category.value, collection.resource)].add(row["patient_id"])
    for (category, resource), patients in sorted(seen.items()):
        record_search(
            session,
            principal,
            category=DataCategory(category),
            resource=resource,
            patient_ids=patients,
        )

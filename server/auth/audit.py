"""The audit trail: append-only, hash-chained records of every access decision on health data.

Records are queued on the caller's session by `authorize()`. When the session commits, they are
appended inside that same transaction, just before its one commit (a separate append
transaction cost a second commit and ~25 % of a FHIR create). When the session rolls back
(a denied request, a failed commit), the queued records, including any appended in the
transaction that was just undone, are appended again in a transaction of their own: a denied
request still leaves its record, exactly once. The append always uses the session's own
connection, so on SQLite it never waits for the write lock the request itself holds.
"""

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col
from sqlmodel import select as select_models

from server.auth.models import AuditChainHead, AuditRecord

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
_PENDING = "machi_audit_pending"
# Entries appended inside the session's open transaction: written for good by its commit,
# appended again on their own if it rolls back instead.
_IN_TRANSACTION = "machi_audit_in_transaction"
_record_table = AuditRecord.__table__  # type: ignore[attr-defined]
_head_table = AuditChainHead.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AuditEntry:
    """What one access decision was; the chain position and hashes are added on append."""

    recorded: datetime
    subject: str
    role: str
    client_id: str
    action: str
    patient_id: str | None
    category: str
    resource: str
    outcome: str
    reason: str = ""
    proxy: bool = False
    source: str | None = None
    request_id: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_hash(values: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of the record's fields and the previous record's hash."""
    canonical = {
        "seq": values["seq"],
        "recorded": _utc(values["recorded"]).isoformat(timespec="microseconds"),
        "subject": values["subject"],
        "role": values["role"],
        "client_id": values["client_id"],
        "action": values["action"],
        "patient_id": values["patient_id"],
        "category": values["category"],
        "resource": values["resource"],
        "outcome": values["outcome"],
        "reason": values["reason"],
        "proxy": bool(values["proxy"]),
        "source": values["source"],
        "request_id": values["request_id"],
        "prev_hash": prev_hash,
    }
    data = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def append(connection: Connection, entries: Sequence[AuditEntry]) -> list[int]:
    """Append entries to the chain inside the connection's current transaction.

    The first statement updates the head row, which takes SQLite's write lock or PostgreSQL's
    row lock before the head is read: concurrent appenders queue instead of forking the chain.
    """
    if not entries:
        return []
    # Lock and read the head in one round trip (UPDATE ... RETURNING: SQLite ≥ 3.35, PostgreSQL).
    head = connection.execute(
        update(_head_table)
        .where(_head_table.c.id == 1)
        .values(seq=_head_table.c.seq)
        .returning(_head_table.c.seq, _head_table.c.hash)
    ).first()
    seq: int = 0
    prev: str = GENESIS_HASH
    if head is None:  # a schema made without the migration's seed row
        connection.execute(insert(_head_table).values(id=1, seq=0, hash=GENESIS_HASH))
    else:
        seq, prev = head.seq, head.hash
    seqs = []
    rows = []
    for entry in entries:
        seq += 1
        values: dict[str, Any] = {
            "seq": seq,
            "recorded": _utc(entry.recorded),
            "subject": entry.subject,
            "role": entry.role,
            "client_id": entry.client_id,
            "action": entry.action,
            "patient_id": entry.patient_id,
            "category": entry.category,
            "resource": entry.resource,
            "outcome": entry.outcome,
            "reason": entry.reason[:200],
            "proxy": entry.proxy,
            "source": entry.source,
            "request_id": entry.request_id,
        }
        values["prev_hash"] = prev
        values["hash"] = prev = record_hash(values, prev)
        rows.append(values)
        seqs.append(seq)
    connection.execute(insert(_record_table), rows)
    connection.execute(update(_head_table).where(_head_table.c.id == 1).values(seq=seq, hash=prev))
    return seqs


def write_now(bind: Engine | Connection, entries: Sequence[AuditEntry]) -> None:
    """Append in a transaction of its own (a savepoint on a connection already in one)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            append(connection, entries)
    elif bind.in_transaction():
        with bind.begin_nested():
            append(bind, entries)
    else:
        with bind.begin():
            append(bind, entries)


def queue(session: Session, entry: AuditEntry) -> None:
    """Queue an entry; it is appended when the session's current transaction ends."""
    session.connection()  # make sure a transaction exists, so its end is observed
    session.info.setdefault(_PENDING, []).append(entry)


def pending(session: Session) -> list[AuditEntry]:
    return list(session.info.get(_PENDING, []))


def flush(session: OrmSession) -> None:
    """Append the session's queued entries now (each exactly once)."""
    entries: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not entries:
        return
    bind = session.get_bind()
    try:
        write_now(bind, entries)
    except Exception:
        log.exception("could not append %d audit records", len(entries))
        raise


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    if not session.info.get(_PENDING):
        return
    # Flush the request's own changes first: the head row lock is then the last lock the
    # transaction takes, held only for the moment until its commit (no lock-order deadlock).
    session.flush()
    entries: list[AuditEntry] = session.info.pop(_PENDING, [])
    try:
        append(session.connection(), entries)
    except Exception:
        session.info.setdefault(_PENDING, []).extend(entries)
        raise
    session.info.setdefault(_IN_TRANSACTION, []).extend(entries)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if not session.in_nested_transaction():  # a released savepoint can still be rolled back
        session.info.pop(_IN_TRANSACTION, None)
    flush(session)


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    undone: list[AuditEntry] = session.info.pop(_IN_TRANSACTION, [])
    if undone:
        session.info[_PENDING] = [*undone, *session.info.get(_PENDING, [])]
    flush(session)


# --- reading and verifying ---------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def iter_records(connection: Connection, batch: int = 5000) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        rows = (
            connection.execute(
                select(_record_table)
                .where(_record_table.c.seq > last)
                .order_by(_record_table.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield dict(row)
        last = rows[-1]["seq"]


def verify(connection: Connection, max_problems: int = 20) -> VerifyResult:
    """Recompute the chain: an edited, inserted or removed row breaks it at that point."""
    problems: list[str] = []
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    for row in iter_records(connection):
        checked += 1
        if row["seq"] != expected_seq:
            problems.append(f"record {expected_seq} is missing (next found is {row['seq']})")
        if row["prev_hash"] != prev:
            problems.append(f"record {row['seq']}: previous hash does not match (removed row?)")
        if record_hash(row, row["prev_hash"]) != row["hash"]:
            problems.append(f"record {row['seq']}: content does not match its hash (edited)")
        prev = row["hash"]
        expected_seq = row["seq"] + 1
        if len(problems) >= max_problems:
            break
    head = connection.execute(
        select(_head_table.c.seq, _head_table.c.hash).where(_head_table.c.id == 1)
    ).first()
    if (
        head is not None
        and len(problems) < max_problems
        and (head.seq != expected_seq - 1 or head.hash != prev)
    ):
        problems.append(
            f"the chain head says {head.seq} records but {expected_seq - 1} were found "
            "(last records removed?)"
        )
    return VerifyResult(ok=not problems, checked=checked, problems=problems)


def search(
    session: Session,
    *,
    patient_id: str | None = None,
    subject: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> Sequence[AuditRecord]:
    """Newest first; `before_seq` pages backwards."""
    query = select_models(AuditRecord).order_by(col(AuditRecord.seq).desc()).limit(limit)
    if patient_id is not None:
        query = query.where(col(AuditRecord.patient_id) == patient_id)
    if subject is not None:
        query = query.where(col(AuditRecord.subject) == subject)
    if outcome is not None:
        query = query.where(col(AuditRecord.outcome) == outcome)
    if since is not None:
        query = query.where(col(AuditRecord.recorded) >= since)
    if until is not None:
        query = query.where(col(AuditRecord.recorded) < until)
    if before_seq is not None:
        query = query.where(col(AuditRecord.seq) < before_seq)
    return session.exec(query).all()


_ACTION_CODES = {"create": "C", "read": "R", "search": "E", "update": "U", "delete": "D"}
_INTERACTION = {
    "create": "create",
    "read": "read",
    "search": "search-type",
    "update": "update",
    "delete": "delete",
}


def to_fhir_audit_event(record: AuditRecord, observer: str = "machi") -> dict[str, Any]:
    """The record as a FHIR R4 AuditEvent (type rest, subtype the RESTful interaction)."""
    agent_who = (
        {"reference": f"Device/{record.subject.removeprefix('client:')}"}
        if record.subject.startswith("client:")
        else {"identifier": {"system": "urn:machi:user", "value": record.subject}}
    )
    agent: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "urn:machi:role",
                    "code": record.role,
                }
            ]
        },
        "who": agent_who,
        "requestor": True,
    }
    if record.source:
        agent["network"] = {"address": record.source, "type": "2"}
    if record.proxy:
        agent["purposeOfUse"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                        "code": "FAMRQT",
                    }
                ]
            }
        ]
    event_: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(record.seq),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [
            {
                "system": "http://hl7.org/fhir/restful-interaction",
                "code": _INTERACTION.get(record.action, record.action),
            }
        ],
        "action": _ACTION_CODES.get(record.action, "E"),
        "recorded": _utc(record.recorded).isoformat(timespec="milliseconds"),
        # 0 success, 4 minor failure: a refused access is the request failing, not the system.
        "outcome": "0" if record.outcome == "allowed" else "4",
        "outcomeDesc": record.reason or record.outcome,
        "agent": [agent],
        "source": {"observer": {"display": observer}},
    }
    entity: dict[str, Any] = {
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
            "code": "1",
        },
        "description": f"{record.category} {record.resource}".strip(),
    }
    if record.patient_id:
        entity["what"] = {"reference": f"Patient/{record.patient_id}"}
    event_["entity"] = [entity]
    return event_


def fhir_bundle(records: Iterable[AuditRecord]) -> dict[str, Any]:
    entries = [{"resource": to_fhir_audit_event(r)} for r in records]
    return {"resourceType": "Bundle", "type": "collection", "total": len(entries), "entry": entries}

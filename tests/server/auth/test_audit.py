"""The audit chain: exactly one record per decision, tamper detection, concurrent appends."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from server.auth import audit
from server.auth.access import DataCategory, Role, authorize
from server.auth.models import AuditRecord
from server.core.errors import Forbidden


def _entry(n: int) -> audit.AuditEntry:
    return audit.AuditEntry(
        recorded=datetime.now(UTC),
        subject=f"user-{n}",
        role="nurse",
        client_id="machi-app",
        action="read",
        patient_id="p-audit",
        category="vitals",
        resource="Observation",
        outcome="allowed",
    )


def test_every_decision_leaves_exactly_one_record(session, make):
    resident = make.user()
    nurse = make.user(Role.NURSE)
    me, them = make.principal(resident), make.principal(nurse)
    before = session.connection().execute(text("SELECT seq FROM audit_chain_head")).scalar_one()

    authorize(
        session,
        me,
        action="read",
        patient_id=resident.patient_id,
        category=DataCategory.VITALS,
        resource="Observation",
    )
    authorize(
        session,
        me,
        action="create",
        patient_id=resident.patient_id,
        category=DataCategory.VITALS,
        resource="Observation",
    )
    with pytest.raises(Forbidden):
        authorize(
            session,
            them,
            action="read",
            patient_id=resident.patient_id,
            category=DataCategory.VITALS,
            resource="Observation",
        )
    session.rollback()

    after = session.connection().execute(text("SELECT seq FROM audit_chain_head")).scalar_one()
    rows = (
        session.connection()
        .execute(
            text("SELECT subject, action, outcome FROM audit_record WHERE seq > :s ORDER BY seq"),
            {"s": before},
        )
        .all()
    )
    assert after - before == 3
    assert [tuple(r) for r in rows] == [
        (resident.id, "read", "allowed"),
        (resident.id, "create", "allowed"),
        (nurse.id, "read", "denied"),
    ]


def _verify(session: Session) -> audit.VerifyResult:
    return audit.verify(session.connection())


def test_the_chain_verifies_and_an_edited_row_is_caught(session):
    audit.write_now(session.connection(), [_entry(i) for i in range(3)])
    assert _verify(session).ok
    last = session.connection().execute(text("SELECT max(seq) FROM audit_record")).scalar_one()

    session.connection().execute(
        text("UPDATE audit_record SET outcome = 'allowed', subject = 'someone' WHERE seq = :s"),
        {"s": last - 1},
    )

    result = _verify(session)
    assert not result.ok
    assert any("edited" in p for p in result.problems)


def test_a_removed_row_is_caught_in_the_middle_and_at_the_end(session):
    audit.write_now(session.connection(), [_entry(i) for i in range(4)])
    last = session.connection().execute(text("SELECT max(seq) FROM audit_record")).scalar_one()

    session.connection().execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": last})
    assert any("head" in p for p in _verify(session).problems)

    session.connection().execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": last - 2})
    assert any("missing" in p for p in _verify(session).problems)


def test_audit_records_export_as_fhir_r4_audit_events(session):
    from fhir.resources.R4B.auditevent import AuditEvent

    audit.write_now(session.connection(), [_entry(1)])
    record = audit.search(session, patient_id="p-audit", limit=1)[0]

    resource = audit.to_fhir_audit_event(record)

    parsed = AuditEvent.model_validate(resource)
    assert parsed.entity[0].what.reference == "Patient/p-audit"


def test_concurrent_appends_keep_one_unbroken_chain(engine: Engine, backend: str):
    """Real connections, committed: appends from 8 threads must serialise, not fork."""
    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                audit.write_now(engine, [_entry(n * 100 + i)])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    with engine.connect() as connection:
        result = audit.verify(connection)
    assert result.ok, result.problems


def test_the_record_table_is_only_appended_by_the_chain(session):
    # The model has no update path: records are built only inside append().
    assert AuditRecord.__table__.c.seq.autoincrement is False  # type: ignore[attr-defined]

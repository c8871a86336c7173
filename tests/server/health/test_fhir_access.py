"""Who sees whose diary through /fhir: the person, staff with consent; everyone audited."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.auth.models import AuditRecord, Consent, User
from tests.server.health.factories import observation


def make_user(session: Session, role: str) -> str:
    user = User(username=f"{role}-{uuid.uuid4().hex[:8]}", role=role)
    session.add(user)
    session.flush()
    return user.id


def as_user(user_id: str, role: str) -> dict[str, str]:
    return {"X-Test-Role": role, "X-Test-Subject": user_id}


def audit_of(session: Session, subject: str) -> list[tuple[str, str, str | None]]:
    rows = session.exec(
        select(AuditRecord).where(AuditRecord.subject == subject).order_by(AuditRecord.seq)
    ).all()
    return [(r.action, r.outcome, r.patient_id) for r in rows]


def test_a_nurse_with_consent_sees_the_diary_and_a_family_member_without_gets_403(
    fhir: TestClient, session: Session, me: str
) -> None:
    created = fhir.post("/fhir/Observation", json=observation(me)).json()
    nurse = make_user(session, "nurse")
    daughter = make_user(session, "family")
    session.add(Consent(patient_id=me, grantee_user_id=nurse, categories="vitals"))
    session.flush()

    nurse_read = fhir.get(f"/fhir/Observation/{created['id']}", headers=as_user(nurse, "nurse"))
    nurse_search = fhir.get(
        "/fhir/Observation", params={"patient": me}, headers=as_user(nurse, "nurse")
    )
    family_read = fhir.get(
        f"/fhir/Observation/{created['id']}", headers=as_user(daughter, "family")
    )
    family_search = fhir.get(
        "/fhir/Observation", params={"patient": me}, headers=as_user(daughter, "family")
    )

    assert nurse_read.status_code == 200
    assert nurse_search.json()["total"] == 1
    assert family_read.status_code == 403
    assert family_read.json()["resourceType"] == "OperationOutcome"
    assert family_search.status_code == 403
    assert audit_of(session, nurse) == [("read", "allowed", me), ("search", "allowed", me)]
    assert audit_of(session, daughter) == [("read", "denied", me), ("search", "denied", me)]


def test_a_search_without_patient_returns_only_visible_patients(
    fhir: TestClient, session: Session, me: str
) -> None:
    other = f"other-{me}"
    fhir.post("/fhir/Observation", json=observation(me))
    fhir.post("/fhir/Observation", json=observation(other), headers={"X-Test-Patient": other})
    nurse = make_user(session, "nurse")
    session.add(Consent(patient_id=me, grantee_user_id=nurse, categories="vitals"))
    session.flush()

    bundle = fhir.get("/fhir/Observation", headers=as_user(nurse, "nurse")).json()

    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"]}
    assert subjects == {f"Patient/{me}"}
    assert ("search", "allowed", me) in audit_of(session, nurse)


def test_a_resident_cannot_write_into_someone_elses_record(fhir: TestClient, me: str) -> None:
    response = fhir.post("/fhir/Observation", json=observation(f"not-{me}"))

    assert response.status_code == 403
    assert fhir.get("/fhir/Observation", params={"patient": me}).json()["total"] == 0


def test_consent_for_vitals_does_not_open_appointments(
    fhir: TestClient, session: Session, me: str
) -> None:
    nurse = make_user(session, "nurse")
    session.add(Consent(patient_id=me, grantee_user_id=nurse, categories="vitals"))
    session.flush()

    response = fhir.get(
        "/fhir/Appointment", params={"patient": me}, headers=as_user(nurse, "nurse")
    )

    assert response.status_code == 403

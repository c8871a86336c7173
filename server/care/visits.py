"""The visiting nurse's tablet: today's visits, each person's summary, the visit record.

A visit record is written once, with an id made on the tablet: it becomes a FHIR Encounter
(class HH, home health) with one Observation per vital sign and per nursing observation, and
a `visit_record` post on the timeline. Sending it again (a retry after a lost answer, or the
sync outbox) returns the first result; the same id with other content is a conflict.
"""

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from server.auth.access import CARE_ROLES, DataCategory, Principal, Role
from server.auth.models import User
from server.care import timeline, vitals
from server.care.common import (
    JST,
    can_see,
    fhir_create,
    fhir_instant,
    fhir_read,
    fhir_search,
    patient_name,
    require,
    utcnow,
)
from server.care.models import CarePost, CareVisit, CareVisitRecord
from server.care.schemas import (
    PostIn,
    PostKind,
    SummaryOut,
    VisitOut,
    VisitRecordIn,
    VisitRecordOut,
    VitalPoint,
)
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound

NURSING_OBSERVATIONS = {
    "meals": "食事",
    "sleep": "睡眠",
    "excretion": "排泄",
    "mood": "気分",
    "skin": "皮膚",
}
VITALS_DAYS = 14


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), JST)
    return start, start + timedelta(days=1)


def _address(resource: Any) -> str:
    if not isinstance(resource, dict):
        return ""
    for address in resource.get("address") or []:
        if address.get("text"):
            return str(address["text"])
        parts = [address.get("city", ""), *address.get("line", [])]
        if any(parts):
            return "".join(parts)
    return ""


def _visit_out(session: Session, principal: Principal, visit: CareVisit) -> VisitOut:
    patient = fhir_read(session, principal, "Patient", visit.patient_id)
    return VisitOut(
        id=visit.id,
        patient_id=visit.patient_id,
        patient_name=patient_name(session, principal, visit.patient_id),
        address=_address(patient),
        scheduled_start=visit.scheduled_start,
        scheduled_end=visit.scheduled_end,
        sequence=visit.sequence,
        purpose=visit.purpose,
        status=visit.status,
        record_id=visit.record_id,
        record_received=visit.record_id is not None,
        closed_at=visit.closed_at,
    )


def visits_of_day(session: Session, principal: Principal, day: date) -> list[VisitOut]:
    """The caller's visits of one (Japanese) day, in the order they planned them."""
    if principal.role not in CARE_ROLES:
        raise Forbidden("visits are planned for nurses and helpers")
    start, end = _day_bounds(day)
    rows = session.exec(
        select(CareVisit)
        .where(
            CareVisit.nurse_user_id == principal.subject,
            col(CareVisit.scheduled_start) >= start,
            col(CareVisit.scheduled_start) < end,
            CareVisit.status != "cancelled",
        )
        .order_by(col(CareVisit.sequence), col(CareVisit.scheduled_start))
    ).all()
    result = []
    for visit in rows:
        # A visit whose person has since withdrawn consent stays off the list.
        if not can_see(session, principal, visit.patient_id, DataCategory.VISITS):
            continue
        require(session, principal, "search", visit.patient_id, DataCategory.VISITS, "Encounter")
        result.append(_visit_out(session, principal, visit))
    return result


def reorder(session: Session, principal: Principal, visit_ids: list[str]) -> None:
    """The nurse's own order of the day (drag to reorder on the tablet)."""
    for index, visit_id in enumerate(visit_ids):
        visit = session.get(CareVisit, visit_id)
        if visit is None or visit.nurse_user_id != principal.subject:
            raise NotFound(f"no visit {visit_id} of yours")
        visit.sequence = index
        session.add(visit)


def vital_points(session: Session, principal: Principal, patient_id: str) -> list[VitalPoint]:
    since = (utcnow() - timedelta(days=VITALS_DAYS)).astimezone(JST).date().isoformat()
    resources = fhir_search(
        session,
        principal,
        "Observation",
        [
            ("patient", patient_id),
            ("code", vitals.VITAL_CODES),
            ("date", f"ge{since}"),
            ("_sort", "date"),
            ("_count", "200"),
        ],
    )
    return [point for resource in resources for point in vitals.points(resource)]


def summary(session: Session, principal: Principal, patient_id: str) -> SummaryOut:
    """What the nurse reads before ringing the bell; each part only if the consent shares it."""
    require(session, principal, "read", patient_id, DataCategory.CARE_TIMELINE, "Patient")
    hidden: list[str] = []
    patient = fhir_read(session, principal, "Patient", patient_id)

    def allowed(category: DataCategory, resource: str, section: str) -> bool:
        if can_see(session, principal, patient_id, category):
            require(session, principal, "read", patient_id, category, resource)
            return True
        hidden.append(section)
        return False

    recent = (
        vital_points(session, principal, patient_id)
        if allowed(DataCategory.VITALS, "Observation", "recent_vitals")
        else None
    )
    notes = None
    care_plan = None
    if allowed(DataCategory.VISITS, "Encounter", "notes"):
        posts = session.exec(
            select(CarePost)
            .where(CarePost.patient_id == patient_id, CarePost.kind == PostKind.VISIT_RECORD)
            .order_by(col(CarePost.occurred_at).desc())
            .limit(3)
        ).all()
        notes = timeline.post_out(session, principal, posts)
        care_plan = [
            str(activity.get("detail", {}).get("description", ""))
            for plan in fhir_search(
                session, principal, "CarePlan", [("patient", patient_id), ("status", "active")]
            )
            for activity in plan.get("activity", [])
            if activity.get("detail", {}).get("description")
        ]
    medications = None
    if allowed(DataCategory.MEDICATIONS, "MedicationStatement", "medications"):
        medications = [
            _medication_text(statement)
            for statement in fhir_search(
                session,
                principal,
                "MedicationStatement",
                [("patient", patient_id), ("status", "active")],
            )
        ]
    contacts = [
        {
            "name": _name(person),
            "relationship": _relationship(person),
            "phone": _phone(person),
        }
        for person in fhir_search(session, principal, "RelatedPerson", [("patient", patient_id)])
    ]
    return SummaryOut(
        patient_id=patient_id,
        name=patient_name(session, principal, patient_id),
        birth_date=patient.get("birthDate") if isinstance(patient, dict) else None,
        address=_address(patient),
        recent_vitals=recent,
        notes=notes,
        medications=medications,
        care_plan=care_plan,
        emergency_contacts=contacts,
        hidden=hidden,
    )


def _medication_text(statement: dict[str, Any]) -> str:
    concept = statement.get("medicationCodeableConcept") or {}
    name = concept.get("text") or next(
        (c.get("display") for c in concept.get("coding", []) if c.get("display")), "?"
    )
    dosage = " ".join(d.get("text", "") for d in statement.get("dosage", []) if d.get("text"))
    return f"{name} {dosage}".strip()


def _name(person: dict[str, Any]) -> str:
    for name in person.get("name") or []:
        if name.get("text"):
            return str(name["text"])
    return ""


def _relationship(person: dict[str, Any]) -> str:
    for concept in person.get("relationship") or []:
        if concept.get("text"):
            return str(concept["text"])
    return ""


def _phone(person: dict[str, Any]) -> str:
    for contact in person.get("telecom") or []:
        if contact.get("system") == "phone":
            return str(contact.get("value", ""))
    return ""


# ---- the visit record ---------------------------------------------------------------------


def fingerprint(record: VisitRecordIn) -> str:
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _record_out(row: CareVisitRecord) -> VisitRecordOut:
    return VisitRecordOut(
        id=row.id,
        visit_id=row.visit_id,
        encounter_id=row.encounter_id,
        post_id=row.post_id,
        received_at=row.received_at,
    )


def record_visit(
    session: Session, principal: Principal, record: VisitRecordIn, *, authorized: bool = False
) -> tuple[VisitRecordOut, bool]:
    """Store the record once; returns it and whether it was new."""
    existing = session.get(CareVisitRecord, record.id)
    if existing is not None:
        if existing.fingerprint != fingerprint(record):
            raise Conflict("a different visit record already has this id")
        return _record_out(existing), False
    visit = session.get(CareVisit, record.visit_id)
    if visit is None:
        raise NotFound("no such visit")
    if not authorized:
        require(session, principal, "create", visit.patient_id, DataCategory.VISITS, "Encounter")
    if visit.nurse_user_id != principal.subject:
        raise Forbidden("only the visiting nurse records this visit")
    if visit.record_id is not None:
        raise Conflict("this visit already has its record")
    patient_id = visit.patient_id
    effective = fhir_instant(record.recorded_at)
    encounter_id = f"visit-{record.id}"[:64]
    notes = [
        f"{label}: {getattr(record, field)}"
        for field, label in NURSING_OBSERVATIONS.items()
        if getattr(record, field)
    ]
    if record.care_given:
        notes.append("実施したケア: " + "、".join(record.care_given))
    if record.note:
        notes.append(record.note)
    fhir_create(
        session,
        principal,
        "Encounter",
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "HH",
                "display": "home health",
            },
            "type": [{"text": "訪問看護"}],
            "subject": {"reference": f"Patient/{patient_id}"},
            "participant": [
                {
                    "individual": {
                        "identifier": {"system": "urn:machi:user", "value": principal.subject}
                    }
                }
            ],
            "period": {
                "start": fhir_instant(visit.scheduled_start),
                "end": effective,
            },
            "identifier": [{"system": "urn:machi:visit", "value": visit.id}],
        },
        encounter_id,
    )
    resources = vitals.observations(
        record.vitals, patient_id=patient_id, encounter_id=encounter_id, effective=effective
    )
    for field, label in NURSING_OBSERVATIONS.items():
        text = getattr(record, field)
        if text:
            resources.append(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": vitals.VITAL_SIGNS,
                                    "code": "survey",
                                }
                            ]
                        }
                    ],
                    "code": {
                        "coding": [{"system": "urn:machi:nursing-observation", "code": field}],
                        "text": label,
                    },
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "encounter": {"reference": f"Encounter/{encounter_id}"},
                    "effectiveDateTime": effective,
                    "valueString": text,
                }
            )
    for index, resource in enumerate(resources):
        fhir_create(session, principal, "Observation", resource, f"{encounter_id}-{index}"[:64])
    post = timeline.add_post(
        session,
        principal,
        patient_id,
        PostIn(
            id=f"post-{record.id}"[:64],
            kind=PostKind.VISIT_RECORD,
            text="\n".join(notes),
            data={
                "visit_id": visit.id,
                "encounter_id": encounter_id,
                "vitals": record.vitals.model_dump(exclude_none=True),
                "care_given": record.care_given,
                **{f: getattr(record, f) for f in NURSING_OBSERVATIONS if getattr(record, f)},
            },
            audience=record.audience,
            photo_ids=record.photo_ids,
            occurred_at=record.recorded_at,
        ),
        authorized=True,
    )
    row = CareVisitRecord(
        id=record.id,
        visit_id=visit.id,
        patient_id=patient_id,
        author_user_id=principal.subject,
        recorded_at=record.recorded_at,
        fingerprint=fingerprint(record),
        data=record.model_dump_json(),
        encounter_id=encounter_id,
        post_id=post.id,
    )
    visit.record_id = record.id
    session.add(visit)
    session.add(row)
    session.flush()
    return _record_out(row), True


def close_visit(
    session: Session, principal: Principal, visit_id: str, *, without_record: bool, reason: str
) -> VisitOut:
    """Mark the visit done. Without its record on the server this is refused, unless the nurse
    says so explicitly (the app warns first: "the record has not been sent yet")."""
    visit = session.get(CareVisit, visit_id)
    if visit is None or visit.nurse_user_id != principal.subject:
        raise NotFound("no such visit of yours")
    require(session, principal, "update", visit.patient_id, DataCategory.VISITS, "Encounter")
    if visit.record_id is None and not without_record:
        raise Conflict(
            "the visit record has not reached the server yet; send it first, "
            "or close with without_record=true and a reason"
        )
    if visit.record_id is None and not reason.strip():
        raise InvalidInput("say why the visit is closed without a record")
    visit.status = "done"
    visit.closed_at = utcnow()
    visit.closed_without_record = visit.record_id is None
    session.add(visit)
    session.flush()
    return _visit_out(session, principal, visit)


def visit_for_record(session: Session, visit_id: str) -> CareVisit:
    visit = session.get(CareVisit, visit_id)
    if visit is None:
        raise InvalidInput(f"no visit {visit_id}")
    return visit


def principal_for(session: Session, user_id: str) -> Principal:
    """The author of a synced record, as a principal (the sync service authorized them)."""
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput("unknown author")
    return Principal(
        subject=user.id,
        role=Role(user.role),
        patient_id=user.patient_id,
        scopes=frozenset(),
        client_id="sync",
    )

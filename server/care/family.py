"""The family view: one simple, read-only page per relative. Each part is shown only when the
person's consent shares its category with the reader; the rest is listed as hidden."""

from sqlmodel import Session, col, select

from server.auth.access import DataCategory, Principal
from server.care import timeline
from server.care.common import aware, can_see, patient_name, require, utcnow
from server.care.models import CarePost, CarePostAck
from server.care.schemas import AppointmentBrief, Audience, FamilyViewOut, PostKind
from server.care.visits import vital_points
from server.clinic.models import Clinic, ClinicAppointment, Doctor


def family_view(session: Session, principal: Principal, patient_id: str) -> FamilyViewOut:
    require(session, principal, "read", patient_id, DataCategory.CARE_TIMELINE, "Patient")
    hidden: list[str] = []

    def allowed(category: DataCategory, resource: str, section: str) -> bool:
        if can_see(session, principal, patient_id, category):
            require(session, principal, "read", patient_id, category, resource)
            return True
        hidden.append(section)
        return False

    def posts(kind: PostKind, limit: int) -> list[CarePost]:
        return list(
            session.exec(
                select(CarePost)
                .where(
                    CarePost.patient_id == patient_id,
                    CarePost.kind == kind.value,
                    CarePost.audience == Audience.ALL.value,
                )
                .order_by(col(CarePost.occurred_at).desc())
                .limit(limit)
            ).all()
        )

    latest = (
        timeline.post_out(session, principal, posts(PostKind.VISIT_RECORD, 5))
        if allowed(DataCategory.VISITS, "Encounter", "latest_visits")
        else None
    )
    trend = (
        vital_points(session, principal, patient_id)
        if allowed(DataCategory.VITALS, "Observation", "vitals_trend")
        else None
    )
    appointments = None
    if allowed(DataCategory.APPOINTMENTS, "Appointment", "next_appointments"):
        rows = session.exec(
            select(ClinicAppointment, Doctor, Clinic)
            .join(Doctor, col(Doctor.id) == col(ClinicAppointment.doctor_id))
            .join(Clinic, col(Clinic.id) == col(Doctor.clinic_id))
            .where(
                ClinicAppointment.patient_id == patient_id,
                ClinicAppointment.status == "booked",
                col(ClinicAppointment.end) > utcnow(),
            )
            .order_by(col(ClinicAppointment.start))
            .limit(5)
        ).all()
        appointments = [
            AppointmentBrief(
                id=a.id,
                start=aware(a.start),
                end=aware(a.end),
                doctor=d.display_name,
                clinic=c.name,
                status=a.status,
            )
            for a, d, c in rows
        ]
    messages = timeline.post_out(session, principal, posts(PostKind.MESSAGE, 10))
    shown = [p.id for p in (latest or [])] + [m.id for m in messages]
    acked = set(
        session.exec(
            select(CarePostAck.post_id).where(
                col(CarePostAck.post_id).in_(shown), CarePostAck.user_id == principal.subject
            )
        ).all()
    )
    return FamilyViewOut(
        patient_id=patient_id,
        name=patient_name(session, principal, patient_id),
        latest_visits=latest,
        vitals_trend=trend,
        next_appointments=appointments,
        messages=messages,
        unread=len(set(shown) - acked),
        hidden=hidden,
    )

"""Demo clinic: かみね内科クリニック with 小林 医師's online schedule for two weeks, and an
online consultation today for 日立 花子 with the visiting nurse attending. Idempotent."""

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from server.auth.access import Principal, Role
from server.auth.models import User
from server.care.common import JST, utcnow
from server.clinic import service, video
from server.clinic.models import Clinic, ClinicAppointment, ClinicSlot, Doctor
from server.core.settings import Settings

CLINIC_NAME = "かみね内科クリニック"
PATIENT = "demo-hanako"
SLOT_MINUTES = 20


def load_demo_clinic(session: Session, settings: Settings) -> int:
    """Returns the number of open slots."""
    doctor_user = session.exec(select(User).where(User.username == "dr.kobayashi")).first()
    nurse = session.exec(select(User).where(User.username == "nurse.sato")).first()
    hanako = session.exec(select(User).where(User.username == "hanako")).first()
    if doctor_user is None or nurse is None or hanako is None:
        return 0
    principal = Principal(
        subject=doctor_user.id,
        role=Role.DOCTOR,
        patient_id=None,
        scopes=frozenset({"user/*.cruds"}),
        client_id="demo",
    )
    clinic = session.exec(select(Clinic).where(Clinic.name == CLINIC_NAME)).first()
    if clinic is None:
        clinic = Clinic(name=CLINIC_NAME, address="茨城県日立市神峰町 2-1", phone="0294-00-0000")
        session.add(clinic)
        session.flush()
        doctor = Doctor(
            clinic_id=clinic.id,
            user_id=doctor_user.id,
            display_name="小林 医師",
            specialty="内科・老年内科",
            practitioner_id="demo-dr-kobayashi",
            schedule_id="demo-dr-kobayashi-online",
        )
        session.add(doctor)
        session.flush()
        service.publish_doctor(session, principal, doctor)
        today = utcnow().astimezone(JST).date()
        starts = [
            datetime.combine(today + timedelta(days=d), time(h, m), JST)
            for d in range(1, 15)
            if (today + timedelta(days=d)).weekday() < 5
            for h, m in ((9, 0), (9, 20), (9, 40), (10, 0), (14, 0), (14, 20), (14, 40))
        ]
        service.add_slots(session, principal, doctor, starts, SLOT_MINUTES)
        _today(session, settings, principal, doctor, hanako, nurse)
    return len(session.exec(select(ClinicSlot.id).where(ClinicSlot.status == "free")).all())


def _today(
    session: Session,
    settings: Settings,
    principal: Principal,
    doctor: Doctor,
    hanako: User,
    nurse: User,
) -> None:
    """Today's consultation starts at the next quarter hour, so its join window is open soon
    after `make demo` (15 minutes before the start)."""
    now = utcnow()
    start = (now + timedelta(minutes=15 - now.minute % 15)).replace(second=0, microsecond=0)
    slot = service.add_slots(session, principal, doctor, [start], SLOT_MINUTES)[0]
    appointment = ClinicAppointment(
        patient_id=hanako.patient_id or PATIENT,
        doctor_id=doctor.id,
        slot_id=slot.id,
        start=slot.start,
        end=slot.end,
        room_name=video.new_room_name(),
        reason="血圧の経過とお薬の相談（訪問看護師同席）",
        booked_by=nurse.id,
        booked_as="staff",
        nurse_user_id=nurse.id,
    )
    session.add(appointment)
    session.flush()
    slot.status = "busy"
    slot.appointment_id = appointment.id
    session.add(slot)
    session.flush()
    service.publish_slot(session, principal, doctor, slot)
    service.publish(session, principal, settings, appointment, doctor)

"""The online clinic: directory, slots, booking (self, proxy, staff), questionnaire, video
join, cancellation, reminders, and the nurse's record of an assisted consultation.

Who may touch an appointment: the person, anyone their consent shares appointments with
(family acting for them needs a proxy consent), and the appointment's own doctor. The doctor's
right comes from the booking itself (the person chose that doctor for this consultation), not
from a standing Consent; it covers this appointment and its questionnaire only, and every such
access is audited like any other.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from server.auth.access import CARE_ROLES, DataCategory, Principal, Role, visible_patients
from server.auth.models import User
from server.care import timeline
from server.care.common import (
    JST,
    audit_practitioner,
    aware,
    can_see,
    fhir_create,
    fhir_instant,
    fhir_read,
    patient_name,
    require,
    utcnow,
)
from server.care.schemas import PostIn, PostKind
from server.clinic import video
from server.clinic.models import Clinic, ClinicAppointment, ClinicSlot, Doctor
from server.clinic.schemas import (
    AppointmentOut,
    AssistIn,
    BookIn,
    ClinicOut,
    DoctorOut,
    JoinOut,
    QuestionnaireIn,
    ReminderOut,
    SlotOut,
)
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.core.settings import Settings

SLOT = ClinicSlot.__table__  # type: ignore[attr-defined]
VIRTUAL_SERVICE = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService"
QUESTIONNAIRE = "urn:machi:questionnaire:pre-visit"
Part = Literal["patient", "doctor", "nurse", "other"]


# ---- directory ----------------------------------------------------------------------------


def clinics(session: Session) -> list[ClinicOut]:
    rows = session.exec(select(Clinic).order_by(col(Clinic.name))).all()
    return [ClinicOut.model_validate(row, from_attributes=True) for row in rows]


def doctors(session: Session, clinic_id: str | None = None) -> list[DoctorOut]:
    query = select(Doctor, Clinic).join(Clinic, col(Clinic.id) == col(Doctor.clinic_id))
    if clinic_id:
        query = query.where(Doctor.clinic_id == clinic_id)
    return [
        DoctorOut(
            id=d.id,
            clinic_id=c.id,
            clinic_name=c.name,
            name=d.display_name,
            specialty=d.specialty,
            schedule_id=d.schedule_id,
        )
        for d, c in session.exec(query.order_by(col(Doctor.display_name))).all()
    ]


def free_slots(session: Session, doctor_id: str, *, days: int = 14) -> list[SlotOut]:
    now = utcnow()
    rows = session.exec(
        select(ClinicSlot)
        .where(
            ClinicSlot.doctor_id == doctor_id,
            ClinicSlot.status == "free",
            col(ClinicSlot.start) > now,
            col(ClinicSlot.start) < now + timedelta(days=days),
        )
        .order_by(col(ClinicSlot.start))
    ).all()
    return [SlotOut.model_validate(row, from_attributes=True) for row in rows]


def publish_doctor(session: Session, principal: Principal, doctor: Doctor) -> None:
    """The doctor as FHIR Practitioner and their Schedule."""
    fhir_create(
        session,
        principal,
        "Practitioner",
        {"resourceType": "Practitioner", "name": [{"text": doctor.display_name}]},
        doctor.practitioner_id,
    )
    fhir_create(
        session,
        principal,
        "Schedule",
        {
            "resourceType": "Schedule",
            "active": True,
            "serviceType": [{"text": "オンライン診療"}],
            "actor": [
                {
                    "reference": f"Practitioner/{doctor.practitioner_id}",
                    "display": doctor.display_name,
                }
            ],
        },
        doctor.schedule_id,
    )


def add_slots(
    session: Session,
    principal: Principal,
    doctor: Doctor,
    starts: list[datetime],
    minutes: int,
) -> list[ClinicSlot]:
    """Open bookable times (and their FHIR Slots) for a doctor."""
    made = []
    for start in starts:
        slot = ClinicSlot(
            doctor_id=doctor.id, start=aware(start), end=aware(start) + timedelta(minutes=minutes)
        )
        session.add(slot)
        made.append(slot)
    session.flush()
    for slot in made:
        publish_slot(session, principal, doctor, slot)
    return made


def publish_slot(session: Session, principal: Principal, doctor: Doctor, slot: ClinicSlot) -> None:
    fhir_create(
        session,
        principal,
        "Slot",
        {
            "resourceType": "Slot",
            "schedule": {"reference": f"Schedule/{doctor.schedule_id}"},
            "status": slot.status,
            "start": fhir_instant(slot.start),
            "end": fhir_instant(slot.end),
        },
        slot.id,
    )


# ---- appointments -------------------------------------------------------------------------


def _part(principal: Principal, appointment: ClinicAppointment, doctor: Doctor) -> Part:
    if principal.patient_id == appointment.patient_id:
        return "patient"
    if doctor.user_id is not None and doctor.user_id == principal.subject:
        return "doctor"
    if principal.role in CARE_ROLES and principal.role is not Role.DOCTOR:
        return "nurse"
    return "other"


def _load(session: Session, appointment_id: str) -> tuple[ClinicAppointment, Doctor, Clinic]:
    appointment = session.get(ClinicAppointment, appointment_id)
    if appointment is None:
        raise NotFound("no such appointment")
    doctor = session.get(Doctor, appointment.doctor_id)
    clinic = session.get(Clinic, doctor.clinic_id) if doctor else None
    if doctor is None or clinic is None:
        raise NotFound("no such appointment")
    return appointment, doctor, clinic


def _allow(
    session: Session,
    principal: Principal,
    appointment: ClinicAppointment,
    doctor: Doctor,
    action: Literal["read", "update", "create"],
    resource: str = "Appointment",
    category: DataCategory = DataCategory.APPOINTMENTS,
) -> Part:
    """Authorize and audit one access to an appointment; returns how the caller takes part."""
    part = _part(principal, appointment, doctor)
    if part == "doctor":
        audit_practitioner(
            session,
            principal,
            action=action,
            patient_id=appointment.patient_id,
            resource=resource,
            reason=f"doctor of appointment {appointment.id}",
        )
    else:
        # Family acting for the person (booking, cancelling, answering for them) needs proxy.
        proxy = action != "read" and principal.role is Role.FAMILY
        require(session, principal, action, appointment.patient_id, category, resource, proxy=proxy)
    return part


def appointment_out(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment: ClinicAppointment,
    doctor: Doctor,
    clinic: Clinic,
    *,
    now: datetime | None = None,
    show_name: bool = True,
) -> AppointmentOut:
    window = video.join_window(settings, appointment.start, appointment.end)
    moment = aware(now or utcnow())
    return AppointmentOut(
        id=appointment.id,
        patient_id=appointment.patient_id,
        patient_name=patient_name(session, principal, appointment.patient_id)
        if show_name
        else None,
        doctor_id=doctor.id,
        doctor_name=doctor.display_name,
        clinic_name=clinic.name,
        start=aware(appointment.start),
        end=aware(appointment.end),
        status=appointment.status,
        reason=appointment.reason,
        booked_as=appointment.booked_as,
        nurse_assisted=appointment.nurse_user_id is not None,
        questionnaire_done=appointment.questionnaire_response_id is not None,
        join_opens=window.opens,
        join_closes=window.closes,
        can_join_now=appointment.status == "booked" and window.contains(moment),
        assist_recorded=appointment.assist_recorded_by is not None,
    )


def _fhir_appointment(
    settings: Settings, appointment: ClinicAppointment, doctor: Doctor
) -> dict[str, object]:
    participants: list[dict[str, object]] = [
        {"actor": {"reference": f"Patient/{appointment.patient_id}"}, "status": "accepted"},
        {
            "actor": {
                "reference": f"Practitioner/{doctor.practitioner_id}",
                "display": doctor.display_name,
            },
            "status": "accepted",
        },
    ]
    if appointment.nurse_user_id:
        participants.append(
            {
                "type": [{"text": "訪問看護師 (D to P with N)"}],
                "actor": {
                    "identifier": {"system": "urn:machi:user", "value": appointment.nurse_user_id}
                },
                "status": "accepted",
            }
        )
    return {
        "resourceType": "Appointment",
        "status": appointment.status,
        "description": appointment.reason or "オンライン診療",
        "start": fhir_instant(appointment.start),
        "end": fhir_instant(appointment.end),
        "slot": [{"reference": f"Slot/{appointment.slot_id}"}],
        "created": fhir_instant(appointment.created_at),
        "participant": participants,
        # R5's virtualService as the R4 cross-version extension. The address is our own join
        # endpoint, which hands out a short-lived token to whoever may join: no secret in FHIR.
        "extension": [
            {
                "url": VIRTUAL_SERVICE,
                "extension": [
                    {
                        "url": "channelType",
                        "valueCoding": {
                            "system": "urn:machi:virtual-service-type",
                            "code": "jitsi",
                            "display": "Jitsi Meet",
                        },
                    },
                    {
                        "url": "address",
                        "valueUrl": f"{settings.base_url}/api/v1/clinic/appointments/"
                        f"{appointment.id}/join",
                    },
                    {"url": "maxParticipants", "valuePositiveInt": 4},
                ],
            }
        ],
    }


def publish(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment: ClinicAppointment,
    doctor: Doctor,
) -> None:
    fhir_create(
        session,
        principal,
        "Appointment",
        _fhir_appointment(settings, appointment, doctor),
        appointment.id,
    )


def book(
    session: Session, principal: Principal, settings: Settings, body: BookIn
) -> AppointmentOut:
    """Book a free slot for oneself, as a family proxy, or as care staff for the person."""
    patient_id = body.patient_id or principal.patient_id
    if patient_id is None:
        raise InvalidInput("say for whom the appointment is (patient_id)")
    if patient_id == principal.patient_id:
        booked_as = "self"
        require(session, principal, "create", patient_id, DataCategory.APPOINTMENTS, "Appointment")
    elif principal.role in CARE_ROLES:
        booked_as = "staff"
        require(session, principal, "create", patient_id, DataCategory.APPOINTMENTS, "Appointment")
    else:
        booked_as = "proxy"
        require(
            session,
            principal,
            "create",
            patient_id,
            DataCategory.APPOINTMENTS,
            "Appointment",
            proxy=True,
        )
    slot = session.get(ClinicSlot, body.slot_id)
    if slot is None:
        raise NotFound("no such slot")
    if aware(slot.start) <= utcnow():
        raise InvalidInput("this time has already passed")
    doctor = session.get(Doctor, slot.doctor_id)
    clinic = session.get(Clinic, doctor.clinic_id) if doctor else None
    if doctor is None or clinic is None:
        raise NotFound("no such slot")
    appointment_id = uuid.uuid4().hex
    # The conditional update is the booking: of two concurrent requests exactly one matches.
    taken = session.execute(
        update(SLOT)
        .where(SLOT.c.id == slot.id, SLOT.c.status == "free")
        .values(status="busy", appointment_id=appointment_id)
    )
    if cast(CursorResult[Any], taken).rowcount != 1:
        raise Conflict("this time has just been booked by someone else; choose another")
    session.refresh(slot)
    nurse = principal.subject if body.nurse_assisted and principal.role is Role.NURSE else None
    appointment = ClinicAppointment(
        id=appointment_id,
        patient_id=patient_id,
        doctor_id=doctor.id,
        slot_id=slot.id,
        start=aware(slot.start),
        end=aware(slot.end),
        room_name=video.new_room_name(),
        reason=body.reason,
        booked_by=principal.subject,
        booked_as=booked_as,
        nurse_user_id=nurse,
    )
    session.add(appointment)
    session.flush()
    publish(session, principal, settings, appointment, doctor)
    publish_slot(session, principal, doctor, slot)
    return appointment_out(session, principal, settings, appointment, doctor, clinic)


def list_appointments(
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    patient_id: str | None,
    include_past: bool = False,
) -> list[AppointmentOut]:
    """A person's appointments (their own, or one they care for), or, without a person, the
    caller's own schedule: a doctor's consultations, a nurse's assisted ones."""
    now = utcnow()
    query = (
        select(ClinicAppointment, Doctor, Clinic)
        .join(Doctor, col(Doctor.id) == col(ClinicAppointment.doctor_id))
        .join(Clinic, col(Clinic.id) == col(Doctor.clinic_id))
    )
    if not include_past:
        query = query.where(col(ClinicAppointment.end) > now - timedelta(hours=12))
    target = patient_id or principal.patient_id
    if target is not None and (patient_id is not None or principal.role is Role.RESIDENT):
        require(session, principal, "search", target, DataCategory.APPOINTMENTS, "Appointment")
        query = query.where(ClinicAppointment.patient_id == target)
        rows = session.exec(query.order_by(col(ClinicAppointment.start))).all()
        return [appointment_out(session, principal, settings, a, d, c) for a, d, c in rows]
    if principal.role is Role.DOCTOR:
        query = query.where(Doctor.user_id == principal.subject)
    elif principal.role in CARE_ROLES:
        query = query.where(ClinicAppointment.nurse_user_id == principal.subject)
    else:
        visible = visible_patients(session, principal, DataCategory.APPOINTMENTS)
        query = query.where(col(ClinicAppointment.patient_id).in_(sorted(visible)))
    result = []
    seen: set[str] = set()
    for a, d, c in session.exec(query.order_by(col(ClinicAppointment.start))).all():
        if principal.role is Role.DOCTOR:
            if a.patient_id not in seen:
                audit_practitioner(
                    session,
                    principal,
                    action="search",
                    patient_id=a.patient_id,
                    resource="Appointment",
                    reason="the doctor's own consultation schedule",
                )
        elif not can_see(session, principal, a.patient_id, DataCategory.APPOINTMENTS):
            continue
        elif a.patient_id not in seen:
            require(
                session, principal, "search", a.patient_id, DataCategory.APPOINTMENTS, "Appointment"
            )
        seen.add(a.patient_id)
        result.append(appointment_out(session, principal, settings, a, d, c))
    return result


def get_appointment(
    session: Session, principal: Principal, settings: Settings, appointment_id: str
) -> AppointmentOut:
    appointment, doctor, clinic = _load(session, appointment_id)
    _allow(session, principal, appointment, doctor, "read")
    return appointment_out(session, principal, settings, appointment, doctor, clinic)


def cancel(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment_id: str,
    reason: str,
) -> AppointmentOut:
    """Cancel and free the slot for someone else."""
    appointment, doctor, clinic = _load(session, appointment_id)
    _allow(session, principal, appointment, doctor, "update")
    if appointment.status != "booked":
        raise Conflict(f"this appointment is already {appointment.status}")
    if aware(appointment.end) <= utcnow():
        raise Conflict("this appointment is over")
    appointment.status = "cancelled"
    appointment.cancelled_at = utcnow()
    appointment.cancel_reason = reason
    session.add(appointment)
    slot = session.get(ClinicSlot, appointment.slot_id)
    if slot is not None and slot.appointment_id == appointment.id:
        slot.status = "free"
        slot.appointment_id = None
        session.add(slot)
        session.flush()
        publish_slot(session, principal, doctor, slot)
    session.flush()
    publish(session, principal, settings, appointment, doctor)
    return appointment_out(session, principal, settings, appointment, doctor, clinic)


def answer_questionnaire(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment_id: str,
    body: QuestionnaireIn,
) -> AppointmentOut:
    """The pre-visit questionnaire as a FHIR QuestionnaireResponse (answering again replaces
    it, until the consultation starts)."""
    appointment, doctor, clinic = _load(session, appointment_id)
    _allow(
        session,
        principal,
        appointment,
        doctor,
        "create",
        resource="QuestionnaireResponse",
        category=DataCategory.VITALS,
    )
    if appointment.status != "booked":
        raise Conflict(f"this appointment is {appointment.status}")
    items = [
        ("symptoms", "今日はどうされましたか", body.symptoms),
        ("since", "いつからですか", body.since),
        ("medication_changes", "お薬の変更", body.medication_changes),
        ("allergies", "アレルギー", body.allergies),
        ("notes", "その他", body.notes),
    ]
    answers: list[dict[str, object]] = [
        {"linkId": link, "text": text, "answer": [{"valueString": value}]}
        for link, text, value in items
        if value
    ]
    if body.temperature is not None:
        answers.append(
            {
                "linkId": "temperature",
                "text": "体温",
                "answer": [
                    {
                        "valueQuantity": {
                            "value": body.temperature,
                            "unit": "Cel",
                            "system": "http://unitsofmeasure.org",
                            "code": "Cel",
                        }
                    }
                ],
            }
        )
    response_id = appointment.questionnaire_response_id or f"qr-{appointment.id}"[:64]
    fhir_create(
        session,
        principal,
        "QuestionnaireResponse",
        {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": QUESTIONNAIRE,
            "status": "completed",
            "subject": {"reference": f"Patient/{appointment.patient_id}"},
            "authored": fhir_instant(utcnow()),
            "author": {"identifier": {"system": "urn:machi:user", "value": principal.subject}},
            "item": answers,
        },
        response_id,
    )
    appointment.questionnaire_response_id = response_id
    session.add(appointment)
    session.flush()
    return appointment_out(session, principal, settings, appointment, doctor, clinic)


def read_questionnaire(
    session: Session, principal: Principal, appointment_id: str
) -> dict[str, object]:
    appointment, doctor, _ = _load(session, appointment_id)
    _allow(
        session,
        principal,
        appointment,
        doctor,
        "read",
        resource="QuestionnaireResponse",
        category=DataCategory.VITALS,
    )
    if appointment.questionnaire_response_id is None:
        raise NotFound("the questionnaire has not been answered yet")
    found = fhir_read(
        session, principal, "QuestionnaireResponse", appointment.questionnaire_response_id
    )
    if not isinstance(found, dict):
        raise NotFound("the questionnaire has not been answered yet")
    return found


def join(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment_id: str,
    *,
    now: datetime | None = None,
) -> JoinOut:
    """A personal, room-bound link, handed out only inside the join window. The doctor is the
    room's owner (moderator); the person, their family and the nurse are members."""
    appointment, doctor, _ = _load(session, appointment_id)
    part = _allow(session, principal, appointment, doctor, "read")
    if appointment.status != "booked":
        raise Conflict(f"this appointment is {appointment.status}")
    window = video.join_window(settings, appointment.start, appointment.end)
    moment = aware(now or utcnow())
    if moment < window.opens:
        raise Conflict(
            f"the room opens at {window.opens.astimezone(JST).strftime('%H:%M')} "
            f"({settings.video_join_early_minutes} minutes before the start)"
        )
    if moment >= window.closes:
        raise Conflict("this consultation has ended")
    user = session.get(User, principal.subject)
    name = user.display_name if user and user.display_name else principal.subject
    if part == "nurse":
        name = f"{name}（訪問看護・{patient_name(session, principal, appointment.patient_id)}様）"
        if appointment.nurse_user_id is None and principal.role is Role.NURSE:
            appointment.nurse_user_id = principal.subject  # the nurse runs the call on the tablet
        if appointment.nurse_user_id == principal.subject and appointment.assist_started_at is None:
            appointment.assist_started_at = moment
        session.add(appointment)
    who = video.Participant(
        user_id=principal.subject,
        name=name,
        affiliation="owner" if part == "doctor" else "member",
    )
    secret = video.video_secret(session, settings)
    token = video.issue_token(secret, settings, room=appointment.room_name, window=window, who=who)
    return JoinOut(
        room=appointment.room_name,
        url=video.room_url(settings, appointment.room_name, token),
        entry_url=f"{settings.base_url}/api/v1/clinic/rooms/{appointment.room_name}?jwt={token}",
        token=token,
        affiliation=who.affiliation,
        opens=window.opens,
        closes=window.closes,
    )


def enter_room(session: Session, settings: Settings, room: str, token: str) -> str:
    """Check a join link (signature, room, window, appointment still on) before sending the
    browser on to Jitsi: works without signing in, since the token is the credential."""
    secret = video.video_secret(session, settings)
    video.verify_token(secret, settings, token, room=room, now=utcnow())
    appointment = session.exec(
        select(ClinicAppointment).where(ClinicAppointment.room_name == room)
    ).first()
    if appointment is None or appointment.status != "booked":
        raise Forbidden("this consultation is not taking place")
    return video.room_url(settings, room, token)


def record_assist(
    session: Session,
    principal: Principal,
    settings: Settings,
    appointment_id: str,
    body: AssistIn,
) -> AppointmentOut:
    """D to P with N: afterwards the nurse records the time, what they did and the person's
    response; kept as a FHIR Encounter (virtual) and shown on the care timeline."""
    appointment, doctor, clinic = _load(session, appointment_id)
    if principal.role not in CARE_ROLES or principal.role is Role.DOCTOR:
        raise Forbidden("the assisting nurse records this")
    if appointment.nurse_user_id not in (None, principal.subject):
        raise Forbidden("another nurse assisted this consultation")
    require(session, principal, "create", appointment.patient_id, DataCategory.VISITS, "Encounter")
    if aware(body.ended_at) <= aware(body.started_at):
        raise InvalidInput("the end must be after the start")
    if appointment.status == "cancelled":
        raise Conflict("this appointment was cancelled")
    encounter_id = f"assist-{appointment.id}"[:64]
    fhir_create(
        session,
        principal,
        "Encounter",
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "VR",
                "display": "virtual",
            },
            "type": [{"text": "オンライン診療（看護師同席 D to P with N）"}],
            "subject": {"reference": f"Patient/{appointment.patient_id}"},
            "appointment": [{"reference": f"Appointment/{appointment.id}"}],
            "participant": [
                {
                    "individual": {
                        "identifier": {"system": "urn:machi:user", "value": principal.subject}
                    }
                },
                {"individual": {"reference": f"Practitioner/{doctor.practitioner_id}"}},
            ],
            "period": {"start": fhir_instant(body.started_at), "end": fhir_instant(body.ended_at)},
            "reasonCode": [{"text": appointment.reason or "オンライン診療"}],
        },
        encounter_id,
    )
    appointment.nurse_user_id = principal.subject
    appointment.assist_started_at = body.started_at
    appointment.assist_ended_at = body.ended_at
    appointment.assist_actions = body.actions
    appointment.assist_response = body.patient_response
    appointment.assist_recorded_by = principal.subject
    appointment.assist_encounter_id = encounter_id
    appointment.status = "fulfilled"
    session.add(appointment)
    session.flush()
    publish(session, principal, settings, appointment, doctor)
    minutes = int((aware(body.ended_at) - aware(body.started_at)).total_seconds() // 60)
    timeline.add_post(
        session,
        principal,
        appointment.patient_id,
        PostIn(
            id=f"post-{encounter_id}"[:64],
            kind=PostKind.SERVICE_USE,
            text=f"オンライン診療（{doctor.display_name}）に同席 {minutes}分\n"
            f"実施: {body.actions}\nご本人の反応: {body.patient_response}",
            data={
                "appointment_id": appointment.id,
                "encounter_id": encounter_id,
                "started_at": aware(body.started_at).isoformat(),
                "ended_at": aware(body.ended_at).isoformat(),
            },
            occurred_at=body.ended_at,
        ),
        authorized=True,
    )
    return appointment_out(session, principal, settings, appointment, doctor, clinic)


def reminders(
    session: Session, principal: Principal, settings: Settings, *, now: datetime | None = None
) -> list[ReminderOut]:
    """Reminders for the coming week's consultations of the caller and those they look after."""
    moment = aware(now or utcnow())
    patients = set(visible_patients(session, principal, DataCategory.APPOINTMENTS))
    if principal.patient_id:
        patients.add(principal.patient_id)
    if not patients:
        return []
    rows = session.exec(
        select(ClinicAppointment, Doctor)
        .join(Doctor, col(Doctor.id) == col(ClinicAppointment.doctor_id))
        .where(
            col(ClinicAppointment.patient_id).in_(sorted(patients)),
            ClinicAppointment.status == "booked",
            col(ClinicAppointment.end) > moment,
            col(ClinicAppointment.start) < moment + timedelta(days=7),
        )
        .order_by(col(ClinicAppointment.start))
    ).all()
    result = []
    for appointment, doctor in rows:
        start = aware(appointment.start)
        local = start.astimezone(JST)
        at = local.strftime("%H:%M")
        evening_before = datetime.combine(local.date() - timedelta(days=1), time(18, 0), JST)
        window = video.join_window(settings, appointment.start, appointment.end)
        items = [
            (
                "day_before",
                evening_before,
                f"明日 {at} から{doctor.display_name}のオンライン診療です",
            ),
            ("soon", window.opens, f"{at} からオンライン診療です。「診察に参加」を押してください"),
        ]
        if appointment.questionnaire_response_id is None:
            items.append(
                (
                    "questionnaire",
                    aware(appointment.created_at),
                    "診察の前に問診票を記入してください",
                )
            )
        for kind, remind_at, message in items:
            result.append(
                ReminderOut(
                    appointment_id=appointment.id,
                    kind=kind,
                    remind_at=remind_at.astimezone(UTC),
                    due=remind_at <= moment,
                    start=start,
                    message=message,
                )
            )
    return sorted(result, key=lambda r: r.remind_at)

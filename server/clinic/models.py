"""Tables of the online clinic: clinics, doctors, their bookable slots and the appointments.

Slots and appointments are mirrored into the FHIR store (Schedule/Slot, Appointment); these
rows are the source of truth for booking, because a conditional UPDATE of one slot row is
what makes double booking impossible on SQLite and PostgreSQL alike.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.auth.models import new_id
from server.core.models import utcnow


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    phone: str = Field(default="", max_length=50)


class Doctor(SQLModel, table=True):
    """A doctor seeing patients online; `schedule_id` is their FHIR Schedule."""

    __tablename__ = "clinic_doctor"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    clinic_id: str = Field(foreign_key="clinic.id", max_length=64, index=True)
    user_id: str | None = Field(default=None, foreign_key="auth_user.id", max_length=64)
    display_name: str = Field(max_length=200)
    specialty: str = Field(default="", max_length=200)
    practitioner_id: str = Field(max_length=64)
    schedule_id: str = Field(max_length=64)


class ClinicSlot(SQLModel, table=True):
    """A bookable time of one doctor (FHIR Slot with the same id)."""

    __tablename__ = "clinic_slot"
    __table_args__ = (sa.Index("ix_clinic_slot_doctor_start", "doctor_id", "start"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    doctor_id: str = Field(foreign_key="clinic_doctor.id", max_length=64)
    start: datetime
    end: datetime
    status: str = Field(default="free", max_length=10)  # free | busy
    appointment_id: str | None = Field(default=None, max_length=64)


class ClinicAppointment(SQLModel, table=True):
    """An online consultation (FHIR Appointment with the same id) and its video room."""

    __tablename__ = "clinic_appointment"
    __table_args__ = (sa.Index("ix_clinic_appointment_patient_start", "patient_id", "start"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64)
    doctor_id: str = Field(foreign_key="clinic_doctor.id", max_length=64, index=True)
    slot_id: str = Field(foreign_key="clinic_slot.id", max_length=64)
    start: datetime
    end: datetime
    status: str = Field(default="booked", max_length=20)  # booked | cancelled | fulfilled
    room_name: str = Field(max_length=64, unique=True)
    reason: str = Field(default="", max_length=500)
    booked_by: str = Field(foreign_key="auth_user.id", max_length=64)
    booked_as: str = Field(max_length=10)  # self | proxy | staff
    nurse_user_id: str | None = Field(default=None, foreign_key="auth_user.id", max_length=64)
    questionnaire_response_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
    cancel_reason: str = Field(default="", max_length=500)
    # D to P with N: what the assisting nurse records afterwards (2026 fee draft).
    assist_started_at: datetime | None = None
    assist_ended_at: datetime | None = None
    assist_actions: str = Field(default="", max_length=4000)
    assist_response: str = Field(default="", max_length=4000)
    assist_recorded_by: str | None = Field(default=None, max_length=64)
    assist_encounter_id: str | None = Field(default=None, max_length=64)

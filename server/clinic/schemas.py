"""Request and response bodies of the online clinic API."""

from datetime import datetime

from pydantic import BaseModel, Field


class ClinicOut(BaseModel):
    id: str
    name: str
    address: str
    phone: str


class DoctorOut(BaseModel):
    id: str
    clinic_id: str
    clinic_name: str
    name: str
    specialty: str
    schedule_id: str


class SlotOut(BaseModel):
    id: str
    doctor_id: str
    start: datetime
    end: datetime
    status: str


class BookIn(BaseModel):
    slot_id: str
    patient_id: str | None = Field(default=None, description="default: the caller themself")
    reason: str = Field(default="", max_length=500)
    nurse_assisted: bool = Field(default=False, description="D to P with N: a nurse attends")


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class QuestionnaireIn(BaseModel):
    """The pre-visit questionnaire (問診票)."""

    symptoms: str = Field(default="", max_length=2000)
    since: str = Field(default="", max_length=200)
    temperature: float | None = Field(default=None, ge=30, le=45)
    medication_changes: str = Field(default="", max_length=2000)
    allergies: str = Field(default="", max_length=1000)
    notes: str = Field(default="", max_length=2000)


class AppointmentOut(BaseModel):
    id: str
    patient_id: str
    patient_name: str | None  # None when the person's consent does not share it with you
    doctor_id: str
    doctor_name: str
    clinic_name: str
    start: datetime
    end: datetime
    status: str
    reason: str
    booked_as: str
    nurse_assisted: bool
    questionnaire_done: bool
    join_opens: datetime
    join_closes: datetime
    can_join_now: bool
    assist_recorded: bool


class JoinOut(BaseModel):
    room: str
    url: str  # the Jitsi web link with the token: opens in a browser, nothing to install
    entry_url: str  # our own link that checks the token before sending the browser on
    token: str
    affiliation: str
    opens: datetime
    closes: datetime


class AssistIn(BaseModel):
    """What the nurse records after a nurse-assisted consultation (D to P with N)."""

    started_at: datetime
    ended_at: datetime
    actions: str = Field(min_length=1, max_length=4000, description="what the nurse did")
    patient_response: str = Field(min_length=1, max_length=4000)


class ReminderOut(BaseModel):
    appointment_id: str
    kind: str  # day_before | soon | questionnaire
    remind_at: datetime
    due: bool
    start: datetime
    message: str

"""Request and response bodies of the care API."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class PostKind(StrEnum):
    VISIT_RECORD = "visit_record"
    VITALS = "vitals"
    SERVICE_USE = "service_use"
    MESSAGE = "message"
    PHOTO = "photo"


class Audience(StrEnum):
    ALL = "all"  # the whole team and the family
    TEAM = "team"  # professionals only (MCS-style separate family timeline)


class MemberOut(BaseModel):
    user_id: str
    name: str
    role: str
    since: datetime


class TeamOut(BaseModel):
    care_team_id: str | None
    patient_id: str
    patient_name: str
    members: list[MemberOut]
    fhir: dict[str, Any] | None = None


class ReceiverOut(BaseModel):
    patient_id: str
    name: str
    my_role: str  # self | family | nurse | doctor | care_manager | helper | consented


class InvitationOut(BaseModel):
    code: str
    expires_at: datetime
    care_team_id: str | None


class PostIn(BaseModel):
    id: str | None = Field(default=None, max_length=64, description="client-made id (UUID)")
    kind: PostKind = PostKind.MESSAGE
    text: str = Field(default="", max_length=4000)
    data: dict[str, Any] | None = None
    audience: Audience = Audience.ALL
    photo_ids: list[str] = Field(default_factory=list, max_length=10)
    occurred_at: datetime | None = None


class AckOut(BaseModel):
    user_id: str
    name: str
    role: str
    acked_at: datetime


class PostOut(BaseModel):
    id: str
    patient_id: str
    kind: PostKind
    audience: Audience
    text: str
    data: dict[str, Any] | None
    photo_urls: list[str]
    author_id: str
    author_name: str
    author_role: str
    occurred_at: datetime
    created_at: datetime
    acks: list[AckOut]
    acked_by_me: bool


class PhotoOut(BaseModel):
    id: str
    url: str
    content_type: str
    size: int
    document_reference_id: str


class Vitals(BaseModel):
    systolic: int | None = Field(default=None, ge=40, le=300)
    diastolic: int | None = Field(default=None, ge=20, le=200)
    pulse: int | None = Field(default=None, ge=20, le=250)
    temperature: float | None = Field(default=None, ge=30, le=45)
    spo2: int | None = Field(default=None, ge=50, le=100)
    weight: float | None = Field(default=None, ge=10, le=300)


class VisitRecordIn(BaseModel):
    """What the nurse enters at the bedside; `id` is made on the tablet (exactly once)."""

    id: str = Field(min_length=8, max_length=64)
    visit_id: str = Field(max_length=64)
    recorded_at: datetime
    vitals: Vitals = Field(default_factory=Vitals)
    meals: str = Field(default="", max_length=500)
    sleep: str = Field(default="", max_length=500)
    excretion: str = Field(default="", max_length=500)
    mood: str = Field(default="", max_length=500)
    skin: str = Field(default="", max_length=500)
    care_given: list[str] = Field(default_factory=list, max_length=30)
    note: str = Field(default="", max_length=4000)
    photo_ids: list[str] = Field(default_factory=list, max_length=10)
    audience: Audience = Audience.ALL


class VisitRecordOut(BaseModel):
    id: str
    visit_id: str
    encounter_id: str
    post_id: str
    received_at: datetime


class VisitOut(BaseModel):
    id: str
    patient_id: str
    patient_name: str
    address: str
    scheduled_start: datetime
    scheduled_end: datetime
    sequence: int
    purpose: str
    status: str
    record_id: str | None
    record_received: bool  # the server has the visit record: "synced" means this
    closed_at: datetime | None


class CloseIn(BaseModel):
    without_record: bool = False
    reason: str = Field(default="", max_length=500)


class VitalPoint(BaseModel):
    code: str  # systolic | diastolic | pulse | temperature | spo2 | weight
    value: float
    unit: str
    at: str


class SummaryOut(BaseModel):
    patient_id: str
    name: str
    birth_date: str | None
    address: str
    recent_vitals: list[VitalPoint] | None
    notes: list[PostOut] | None
    medications: list[str] | None
    care_plan: list[str] | None
    emergency_contacts: list[dict[str, str]] | None
    hidden: list[str]  # sections the person's consent does not share with the caller


class AppointmentBrief(BaseModel):
    id: str
    start: datetime
    end: datetime
    doctor: str
    clinic: str
    status: str


class FamilyViewOut(BaseModel):
    patient_id: str
    name: str
    latest_visits: list[PostOut] | None
    vitals_trend: list[VitalPoint] | None
    next_appointments: list[AppointmentBrief] | None
    messages: list[PostOut] | None
    unread: int
    hidden: list[str]

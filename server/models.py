"""Every feature's tables, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from server.auth.models import (
    AuditChainHead,
    AuditRecord,
    AuthorizationCode,
    CareTeam,
    CareTeamMember,
    Consent,
    Invitation,
    LoginThrottle,
    OAuthClient,
    RecoveryCode,
    RefreshToken,
    SigningKey,
    User,
)
from server.care.models import CarePhoto, CarePost, CarePostAck, CareVisit, CareVisitRecord
from server.clinic.models import Clinic, ClinicAppointment, ClinicSlot, Doctor
from server.core.models import SystemFact
from server.health.models import (
    FhirDateIndex,
    FhirReferenceIndex,
    FhirResource,
    FhirResourceHistory,
    FhirStringIndex,
    FhirTokenIndex,
)
from server.mobility.models import (
    Booking,
    ExternalFeed,
    GeofencingZone,
    IdempotencyRecord,
    PricingPlan,
    ShuttleBooking,
    ShuttleRun,
    ShuttleService,
    ShuttleStop,
    Station,
    Vehicle,
    VehicleType,
)
from server.sync.models import (
    CareNote,
    DiaryEntry,
    SyncChange,
    SyncCounter,
    SyncMutation,
    SyncScope,
)
from server.transit.models import TransitFeed, TransitStop, TransitTranslation

metadata = SQLModel.metadata

__all__ = [
    "AuditChainHead",
    "AuditRecord",
    "AuthorizationCode",
    "Booking",
    "CareNote",
    "CarePhoto",
    "CarePost",
    "CarePostAck",
    "CareTeam",
    "CareTeamMember",
    "CareVisit",
    "CareVisitRecord",
    "Clinic",
    "ClinicAppointment",
    "ClinicSlot",
    "Consent",
    "DiaryEntry",
    "Doctor",
    "ExternalFeed",
    "FhirDateIndex",
    "FhirReferenceIndex",
    "FhirResource",
    "FhirResourceHistory",
    "FhirStringIndex",
    "FhirTokenIndex",
    "GeofencingZone",
    "IdempotencyRecord",
    "Invitation",
    "LoginThrottle",
    "OAuthClient",
    "PricingPlan",
    "RecoveryCode",
    "RefreshToken",
    "ShuttleBooking",
    "ShuttleRun",
    "ShuttleService",
    "ShuttleStop",
    "SigningKey",
    "Station",
    "SyncChange",
    "SyncCounter",
    "SyncMutation",
    "SyncScope",
    "SystemFact",
    "TransitFeed",
    "TransitStop",
    "TransitTranslation",
    "User",
    "Vehicle",
    "VehicleType",
    "metadata",
]

"""Request and response bodies of the identity, consent and audit API."""

from datetime import datetime

from pydantic import BaseModel, Field

from server.auth.access import DataCategory


class MeOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    patient_id: str | None
    scopes: list[str]
    two_factor: bool


class ConsentIn(BaseModel):
    grantee_username: str | None = None
    care_team_id: str | None = None
    categories: list[DataCategory] = Field(min_length=1)
    proxy: bool = False
    days: int | None = Field(default=None, ge=1, le=3650)
    relationship: str | None = Field(default=None, max_length=20)


class ConsentOut(BaseModel):
    id: str
    patient_id: str
    grantee: str
    grantee_user_id: str | None
    grantee_care_team_id: str | None
    categories: list[str]
    proxy: bool
    status: str
    active: bool
    period_start: datetime
    period_end: datetime | None
    revoked_at: datetime | None


class InvitationIn(BaseModel):
    categories: list[DataCategory] = Field(min_length=1)
    proxy: bool = False
    care_team_name: str | None = Field(default=None, max_length=200)
    relationship: str | None = Field(default=None, max_length=20)
    days: int | None = Field(default=None, ge=1, le=3650)


class InvitationOut(BaseModel):
    code: str
    expires_at: datetime
    care_team_id: str | None


class AcceptIn(BaseModel):
    code: str = Field(min_length=4, max_length=20)


class AccessLogEntry(BaseModel):
    seq: int
    recorded: datetime
    who: str
    role: str
    action: str
    category: str
    resource: str
    outcome: str
    proxy: bool


class AuditOut(BaseModel):
    seq: int
    recorded: datetime
    subject: str
    role: str
    client_id: str
    action: str
    patient_id: str | None
    category: str
    resource: str
    outcome: str
    reason: str
    proxy: bool
    source: str | None
    request_id: str | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    problems: list[str]

"""Tables of community care sharing: nurse visits and their records, the timeline, photos.

The care team itself is Identity's CareTeam/CareTeamMember; clinical facts of a visit go to the
FHIR store (Encounter + Observations); these tables hold what the timeline and the nurse's day
need to answer quickly.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.auth.models import new_id
from server.core.models import utcnow


class CareVisit(SQLModel, table=True):
    """A planned home visit by a nurse (or helper) to a care receiver."""

    __tablename__ = "care_visit"
    __table_args__ = (sa.Index("ix_care_visit_nurse_start", "nurse_user_id", "scheduled_start"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    nurse_user_id: str = Field(foreign_key="auth_user.id", max_length=64)
    scheduled_start: datetime
    scheduled_end: datetime
    sequence: int = 0  # the nurse's order of the day; ties broken by start time
    purpose: str = Field(default="", max_length=500)
    status: str = Field(default="planned", max_length=20)  # planned | done | cancelled
    record_id: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = None
    closed_without_record: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class CareVisitRecord(SQLModel, table=True):
    """What the nurse recorded at one visit; its id is made on the tablet (exactly once)."""

    __tablename__ = "care_visit_record"

    id: str = Field(primary_key=True, max_length=64)
    visit_id: str = Field(foreign_key="care_visit.id", max_length=64, unique=True)
    patient_id: str = Field(max_length=64, index=True)
    author_user_id: str = Field(foreign_key="auth_user.id", max_length=64)
    recorded_at: datetime
    received_at: datetime = Field(default_factory=utcnow)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the normalised record: retries match
    data: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    encounter_id: str = Field(max_length=64)
    post_id: str = Field(max_length=64)


class CarePost(SQLModel, table=True):
    """One typed entry of a care receiver's timeline."""

    __tablename__ = "care_post"
    __table_args__ = (sa.Index("ix_care_post_patient_occurred", "patient_id", "occurred_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64)
    author_user_id: str = Field(foreign_key="auth_user.id", max_length=64)
    author_role: str = Field(max_length=20)
    kind: str = Field(max_length=20)  # visit_record | vitals | service_use | message | photo
    audience: str = Field(default="all", max_length=10)  # all | team (professionals only)
    text: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    data: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    photo_ids: str = Field(default="", max_length=2000)  # space-separated CarePhoto ids
    occurred_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class CarePostAck(SQLModel, table=True):
    """「確認しました」: who has read a post, and when."""

    __tablename__ = "care_post_ack"

    post_id: str = Field(foreign_key="care_post.id", primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="auth_user.id", primary_key=True, max_length=64)
    acked_at: datetime = Field(default_factory=utcnow)


class CarePhoto(SQLModel, table=True):
    """The bytes of a timeline photo; the FHIR DocumentReference points at its API URL."""

    __tablename__ = "care_photo"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64, index=True)
    uploaded_by: str = Field(foreign_key="auth_user.id", max_length=64)
    content_type: str = Field(max_length=50)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    document_reference_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)

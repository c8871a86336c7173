"""care and clinic: nurse visits and records, timeline posts, acknowledgements, photos;
clinics, doctors, slots and online appointments

Revision ID: 0007_care
Revises: 0001_initial
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_care"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_auth"


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "care_photo",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "document_reference_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["auth_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_photo_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "care_post",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("photo_ids", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["auth_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_post_patient_occurred", ["patient_id", "occurred_at"], unique=False
        )

    op.create_table(
        "care_visit",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("nurse_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scheduled_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("scheduled_end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_without_record", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nurse_user_id"],
            ["auth_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_visit_nurse_start", ["nurse_user_id", "scheduled_start"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_care_visit_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "clinic_doctor",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("clinic_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("specialty", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("practitioner_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("schedule_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinic.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clinic_doctor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clinic_doctor_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "care_post_ack",
        sa.Column("post_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("acked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["care_post.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id"),
    )
    op.create_table(
        "care_visit_record",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("encounter_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("post_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["auth_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["care_visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id"),
    )
    with op.batch_alter_table("care_visit_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_care_visit_record_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "clinic_slot",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("doctor_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("appointment_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["clinic_doctor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clinic_slot", schema=None) as batch_op:
        batch_op.create_index("ix_clinic_slot_doctor_start", ["doctor_id", "start"], unique=False)

    op.create_table(
        "clinic_appointment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("doctor_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("slot_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("room_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("booked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("booked_as", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("nurse_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "questionnaire_response_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("assist_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("assist_ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("assist_actions", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("assist_response", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("assist_recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "assist_encounter_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["booked_by"],
            ["auth_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["clinic_doctor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nurse_user_id"],
            ["auth_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["clinic_slot.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("room_name"),
    )
    with op.batch_alter_table("clinic_appointment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinic_appointment_doctor_id"), ["doctor_id"], unique=False
        )
        batch_op.create_index(
            "ix_clinic_appointment_patient_start", ["patient_id", "start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clinic_appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_clinic_appointment_patient_start")
        batch_op.drop_index(batch_op.f("ix_clinic_appointment_doctor_id"))

    op.drop_table("clinic_appointment")
    with op.batch_alter_table("clinic_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_clinic_slot_doctor_start")

    op.drop_table("clinic_slot")
    with op.batch_alter_table("care_visit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_visit_record_patient_id"))

    op.drop_table("care_visit_record")
    op.drop_table("care_post_ack")
    with op.batch_alter_table("clinic_doctor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinic_doctor_clinic_id"))

    op.drop_table("clinic_doctor")
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_visit_patient_id"))
        batch_op.drop_index("ix_care_visit_nurse_start")

    op.drop_table("care_visit")
    with op.batch_alter_table("care_post", schema=None) as batch_op:
        batch_op.drop_index("ix_care_post_patient_occurred")

    op.drop_table("care_post")
    with op.batch_alter_table("care_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_photo_patient_id"))

    op.drop_table("care_photo")
    op.drop_table("clinic")

"""fhir store: resources, their history, and the token/date/reference/string search index

Revision ID: 0004_fhir
Revises: 0001_initial
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_fhir"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_resource",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("res_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("res_type", "res_id", name="uq_fhir_resource_type_id"),
    )
    op.create_index(
        "ix_fhir_resource_type_patient",
        "fhir_resource",
        ["res_type", "patient_id", "last_updated"],
        unique=False,
    )
    op.create_index(
        "ix_fhir_resource_type_updated", "fhir_resource", ["res_type", "last_updated"], unique=False
    )

    op.create_table(
        "fhir_resource_history",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("res_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("res_type", "res_id", "version", name="uq_fhir_history_version"),
    )
    op.create_index(
        "ix_fhir_history_type_updated",
        "fhir_resource_history",
        ["res_type", "last_updated"],
        unique=False,
    )

    op.create_table(
        "fhir_date_index",
        sa.Column(
            "resource_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("param", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("lo", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("hi", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["resource_pk"], ["fhir_resource.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_pk", "param", "lo", "hi"),
    )
    op.create_index(
        "ix_fhir_date_lookup",
        "fhir_date_index",
        ["res_type", "param", "patient_id", "lo"],
        unique=False,
    )

    op.create_table(
        "fhir_reference_index",
        sa.Column(
            "resource_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("param", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["resource_pk"], ["fhir_resource.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_pk", "param", "target_type", "target_id"),
    )
    op.create_index(
        "ix_fhir_reference_lookup",
        "fhir_reference_index",
        ["res_type", "param", "target_id", "target_type"],
        unique=False,
    )

    op.create_table(
        "fhir_string_index",
        sa.Column(
            "resource_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("param", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["resource_pk"], ["fhir_resource.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_pk", "param", "value"),
    )
    op.create_index(
        "ix_fhir_string_lookup", "fhir_string_index", ["res_type", "param", "value"], unique=False
    )

    op.create_table(
        "fhir_token_index",
        sa.Column(
            "resource_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("param", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("res_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["resource_pk"], ["fhir_resource.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_pk", "param", "system", "code"),
    )
    op.create_index(
        "ix_fhir_token_lookup",
        "fhir_token_index",
        ["res_type", "param", "code", "patient_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fhir_token_lookup", table_name="fhir_token_index")
    op.drop_table("fhir_token_index")
    op.drop_index("ix_fhir_string_lookup", table_name="fhir_string_index")
    op.drop_table("fhir_string_index")
    op.drop_index("ix_fhir_reference_lookup", table_name="fhir_reference_index")
    op.drop_table("fhir_reference_index")
    op.drop_index("ix_fhir_date_lookup", table_name="fhir_date_index")
    op.drop_table("fhir_date_index")
    op.drop_index("ix_fhir_history_type_updated", table_name="fhir_resource_history")
    op.drop_table("fhir_resource_history")
    op.drop_index("ix_fhir_resource_type_updated", table_name="fhir_resource")
    op.drop_index("ix_fhir_resource_type_patient", table_name="fhir_resource")
    op.drop_table("fhir_resource")

"""fhir store: a token index keyed by patient first, for patient + code (+ date) searches

Revision ID: 0008_fhir_search
Revises: 0004_fhir
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_fhir_search"
down_revision: str | None = "0004_fhir"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_fhir_token_patient_code",
        "fhir_token_index",
        ["res_type", "param", "patient_id", "code", "system", "resource_pk"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fhir_token_patient_code", table_name="fhir_token_index")

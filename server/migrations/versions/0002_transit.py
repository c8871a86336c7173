"""transit: GTFS feeds, stops with search keys, GTFS-JP translations

Revision ID: 0002_transit
Revises: 0001_initial
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_transit"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "transit_feed",
        sa.Column("feed_id", String(length=64), nullable=False),
        sa.Column("source", String(length=1000), nullable=False),
        sa.Column("content_hash", String(length=64), nullable=False),
        sa.Column("version_dir", String(length=300), nullable=False),
        sa.Column("timetable_dir", String(length=300), nullable=False),
        sa.Column("feed_version", String(length=200), nullable=True),
        sa.Column("publisher", String(length=300), nullable=True),
        sa.Column("agencies", String(length=1000), nullable=False),
        sa.Column("start_date", String(length=8), nullable=True),
        sa.Column("end_date", String(length=8), nullable=True),
        sa.Column("stops", sa.Integer(), nullable=False),
        sa.Column("routes", sa.Integer(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("stop_times", sa.Integer(), nullable=False),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed_id"),
    )
    op.create_table(
        "transit_stop",
        sa.Column("id", String(length=300), nullable=False),
        sa.Column("feed_id", String(length=64), nullable=False),
        sa.Column("stop_id", String(length=255), nullable=False),
        sa.Column("name", String(length=300), nullable=False),
        sa.Column("name_kana", String(length=300), nullable=True),
        sa.Column("name_en", String(length=300), nullable=True),
        sa.Column("search_key", String(length=2000), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_type", sa.Integer(), nullable=False),
        sa.Column("parent_id", String(length=300), nullable=True),
        sa.Column("wheelchair_boarding", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["transit_feed.feed_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transit_stop_feed_id", "transit_stop", ["feed_id"])
    op.create_table(
        "transit_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", String(length=64), nullable=False),
        sa.Column("table_name", String(length=50), nullable=False),
        sa.Column("field_name", String(length=50), nullable=False),
        sa.Column("language", String(length=20), nullable=False),
        sa.Column("translation", String(length=1000), nullable=False),
        sa.Column("record_id", String(length=255), nullable=True),
        sa.Column("record_sub_id", String(length=255), nullable=True),
        sa.Column("field_value", String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["transit_feed.feed_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transit_translation_feed_id", "transit_translation", ["feed_id"])


def downgrade() -> None:
    op.drop_index("ix_transit_translation_feed_id", table_name="transit_translation")
    op.drop_table("transit_translation")
    op.drop_index("ix_transit_stop_feed_id", table_name="transit_stop")
    op.drop_table("transit_stop")
    op.drop_table("transit_feed")

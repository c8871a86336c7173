"""mobility: fleet (vehicle types, vehicles, stations, zones, prices), bookings, idempotency
keys, shuttle services/stops/runs/bookings, external GBFS feeds

Revision ID: 0005_mobility
Revises: 0001_initial
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_mobility"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mobility_external_feed",
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("last_fetched", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("system_id"),
    )
    op.create_table(
        "mobility_geofencing_zone",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("coordinates", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=False),
        sa.Column("ride_end_allowed", sa.Boolean(), nullable=False),
        sa.Column("ride_through_allowed", sa.Boolean(), nullable=False),
        sa.Column("maximum_speed_kph", sa.Integer(), nullable=True),
        sa.Column(
            "vehicle_type_ids", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_geofencing_zone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_geofencing_zone_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "mobility_idempotency",
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "key"),
    )
    op.create_table(
        "mobility_pricing_plan",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("unlock_price", sa.Integer(), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("is_taxable", sa.Boolean(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_pricing_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_pricing_plan_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "mobility_shuttle_service",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("first_slot", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("last_slot", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("speed_kph", sa.Float(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "mobility_station",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_station", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_station_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "mobility_vehicle_type",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("form_factor", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("propulsion_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("max_range_meters", sa.Float(), nullable=True),
        sa.Column("max_speed_kph", sa.Integer(), nullable=True),
        sa.Column("rider_capacity", sa.Integer(), nullable=False),
        sa.Column(
            "default_pricing_plan_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column("rentable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_vehicle_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_vehicle_type_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "mobility_shuttle_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("slot_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("booked_to_stop", sa.Integer(), nullable=False),
        sa.Column("booked_from_stop", sa.Integer(), nullable=False),
        sa.CheckConstraint("booked_from_stop <= seats", name="ck_mobility_shuttle_run_from_stop"),
        sa.CheckConstraint("booked_to_stop <= seats", name="ck_mobility_shuttle_run_to_stop"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["mobility_shuttle_service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", "slot_start", name="uq_mobility_shuttle_run_slot"),
    )
    op.create_table(
        "mobility_shuttle_stop",
        sa.Column("service_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("stop_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["mobility_shuttle_service.id"],
        ),
        sa.PrimaryKeyConstraint("service_id", "stop_id"),
    )
    op.create_table(
        "mobility_vehicle",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("system_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("vehicle_type_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("station_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("current_range_meters", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("hold_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("bookable", sa.Boolean(), nullable=False),
        sa.Column("rental_uri", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("last_reported", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["mobility_station.id"],
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_type_id"],
            ["mobility_vehicle_type.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("mobility_vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mobility_vehicle_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mobility_vehicle_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "mobility_booking",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("vehicle_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("booked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("pricing_plan_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("unlock_price", sa.Integer(), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=True),
        sa.Column("start_lat", sa.Float(), nullable=True),
        sa.Column("start_lon", sa.Float(), nullable=True),
        sa.Column("end_lat", sa.Float(), nullable=True),
        sa.Column("end_lon", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["mobility_vehicle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_booking", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_booking_booked_by"), ["booked_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mobility_booking_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_mobility_booking_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_mobility_booking_active_vehicle",
            ["vehicle_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('PENDING', 'CONFIRMED', 'STARTED')"),
            postgresql_where=sa.text("state IN ('PENDING', 'CONFIRMED', 'STARTED')"),
        )

    op.create_table(
        "mobility_shuttle_booking",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("booked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("stop_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("passengers", sa.Integer(), nullable=False),
        sa.Column("pickup_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("dropoff_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mobility_shuttle_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mobility_shuttle_booking", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_shuttle_booking_booked_by"), ["booked_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mobility_shuttle_booking_run_id"), ["run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mobility_shuttle_booking_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mobility_shuttle_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_shuttle_booking_user_id"))
        batch_op.drop_index(batch_op.f("ix_mobility_shuttle_booking_run_id"))
        batch_op.drop_index(batch_op.f("ix_mobility_shuttle_booking_booked_by"))

    op.drop_table("mobility_shuttle_booking")
    with op.batch_alter_table("mobility_booking", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mobility_booking_active_vehicle",
            sqlite_where=sa.text("state IN ('PENDING', 'CONFIRMED', 'STARTED')"),
            postgresql_where=sa.text("state IN ('PENDING', 'CONFIRMED', 'STARTED')"),
        )
        batch_op.drop_index(batch_op.f("ix_mobility_booking_user_id"))
        batch_op.drop_index(batch_op.f("ix_mobility_booking_state"))
        batch_op.drop_index(batch_op.f("ix_mobility_booking_booked_by"))

    op.drop_table("mobility_booking")
    with op.batch_alter_table("mobility_vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_vehicle_system_id"))
        batch_op.drop_index(batch_op.f("ix_mobility_vehicle_status"))

    op.drop_table("mobility_vehicle")
    op.drop_table("mobility_shuttle_stop")
    op.drop_table("mobility_shuttle_run")
    with op.batch_alter_table("mobility_vehicle_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_vehicle_type_system_id"))

    op.drop_table("mobility_vehicle_type")
    with op.batch_alter_table("mobility_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_station_system_id"))

    op.drop_table("mobility_station")
    op.drop_table("mobility_shuttle_service")
    with op.batch_alter_table("mobility_pricing_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_pricing_plan_system_id"))

    op.drop_table("mobility_pricing_plan")
    op.drop_table("mobility_idempotency")
    with op.batch_alter_table("mobility_geofencing_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_geofencing_zone_system_id"))

    op.drop_table("mobility_geofencing_zone")
    op.drop_table("mobility_external_feed")

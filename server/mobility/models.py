"""Tables of shared mobility: the fleet, its zones and prices, bookings, shuttle runs, feeds."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from server.core.models import utcnow

# The states in which a booking holds its vehicle; the partial unique index below allows at
# most one such booking per vehicle, whatever the application code does.
ACTIVE_STATES = ("PENDING", "CONFIRMED", "STARTED")
_ACTIVE_SQL = "state IN ('PENDING', 'CONFIRMED', 'STARTED')"


def new_id() -> str:
    return uuid.uuid4().hex


class PricingPlan(SQLModel, table=True):
    """A price: an unlock fee plus a per-minute rate, in yen (GBFS system_pricing_plans)."""

    __tablename__ = "mobility_pricing_plan"

    id: str = Field(primary_key=True, max_length=100)
    system_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    currency: str = Field(default="JPY", max_length=3)
    unlock_price: int = Field(ge=0)
    per_minute: int = Field(ge=0)
    is_taxable: bool = False
    description: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class VehicleType(SQLModel, table=True):
    """A kind of vehicle; form_factor and propulsion_type use GBFS 2.3 words."""

    __tablename__ = "mobility_vehicle_type"

    id: str = Field(primary_key=True, max_length=100)
    system_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    form_factor: str = Field(max_length=30)
    propulsion_type: str = Field(max_length=30)
    max_range_meters: float | None = None
    max_speed_kph: int | None = None
    rider_capacity: int = 1
    default_pricing_plan_id: str | None = Field(default=None, max_length=100)
    # Shuttles belong to the fleet but are booked by seat, not rented.
    rentable: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class Station(SQLModel, table=True):
    """A docking station or port where vehicles are picked up and may always be returned."""

    __tablename__ = "mobility_station"

    id: str = Field(primary_key=True, max_length=100)
    system_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    lat: float
    lon: float
    capacity: int = Field(default=0, ge=0)
    is_virtual: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class Vehicle(SQLModel, table=True):
    """One vehicle with its position, battery and status.

    status: available, reserved (held by a PENDING/CONFIRMED booking until `hold_until`),
    in_use, disabled or maintenance. A reserved vehicle whose hold has passed counts as
    available; the next hold takes it over (see service.hold).
    """

    __tablename__ = "mobility_vehicle"

    id: str = Field(primary_key=True, max_length=100)
    system_id: str = Field(index=True, max_length=100)
    vehicle_type_id: str = Field(foreign_key="mobility_vehicle_type.id", max_length=100)
    # GBFS bike_id: rotated to a new random value after every trip (GBFS 2.x privacy rule).
    public_id: str = Field(default_factory=new_id, unique=True, max_length=64)
    code: str = Field(max_length=30)
    lat: float
    lon: float
    station_id: str | None = Field(default=None, foreign_key="mobility_station.id", max_length=100)
    battery_percent: int | None = Field(default=None, ge=0, le=100)
    current_range_meters: float | None = None
    status: str = Field(default="available", max_length=20, index=True)
    hold_until: datetime | None = None
    # False for vehicles ingested from another operator's GBFS feed: book them in their app.
    bookable: bool = True
    rental_uri: str | None = Field(default=None, max_length=1000)
    last_reported: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GeofencingZone(SQLModel, table=True):
    """A GeoJSON MultiPolygon with rules: no parking, a slow zone, or the operating area."""

    __tablename__ = "mobility_geofencing_zone"

    id: str = Field(primary_key=True, max_length=100)
    system_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str = Field(max_length=20)  # no_parking, slow, operating_area
    coordinates: str = Field(max_length=100_000)  # JSON: MultiPolygon coordinates, [lon, lat]
    ride_end_allowed: bool = True
    ride_through_allowed: bool = True
    maximum_speed_kph: int | None = None
    vehicle_type_ids: str = Field(default="", max_length=1000)  # space-separated; empty: all
    updated_at: datetime = Field(default_factory=utcnow)


class Booking(SQLModel, table=True):
    """A rental of one vehicle, in TOMP-like states, with the price agreed at hold time."""

    __tablename__ = "mobility_booking"
    __table_args__ = (
        Index(
            "uq_mobility_booking_active_vehicle",
            "vehicle_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    vehicle_id: str = Field(foreign_key="mobility_vehicle.id", max_length=100)
    user_id: str = Field(index=True, max_length=64)  # the rider
    booked_by: str = Field(index=True, max_length=64)  # the rider, or a proxy
    state: str = Field(default="PENDING", max_length=20, index=True)
    pricing_plan_id: str | None = Field(default=None, max_length=100)
    unlock_price: int = 0
    per_minute: int = 0
    price: int | None = None  # the final price, set when the ride ends
    start_lat: float | None = None
    start_lon: float | None = None
    end_lat: float | None = None
    end_lon: float | None = None
    distance_m: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None  # PENDING: the hold; CONFIRMED: the reservation
    confirmed_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    cancelled_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to an unsafe request, replayed when the same key comes again."""

    __tablename__ = "mobility_idempotency"

    subject: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # sha256 of the method, path and body
    status_code: int
    response: str = Field(max_length=100_000)
    created_at: datetime = Field(default_factory=utcnow)


class ShuttleService(SQLModel, table=True):
    """An on-demand shuttle: a service area, the stops it serves, slots and seats per run."""

    __tablename__ = "mobility_shuttle_service"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    area: str = Field(max_length=100_000)  # JSON: MultiPolygon coordinates, [lon, lat]
    seats: int = Field(ge=1)
    slot_minutes: int = Field(default=15, ge=5)
    first_slot: str = Field(default="08:00", max_length=5)  # local time, Asia/Tokyo
    last_slot: str = Field(default="17:00", max_length=5)
    speed_kph: float = Field(default=12.0, gt=0)
    updated_at: datetime = Field(default_factory=utcnow)


class ShuttleStop(SQLModel, table=True):
    """A stop (usually a GTFS bus stop) the shuttle runs to and from."""

    __tablename__ = "mobility_shuttle_stop"

    service_id: str = Field(
        foreign_key="mobility_shuttle_service.id", primary_key=True, max_length=100
    )
    stop_id: str = Field(primary_key=True, max_length=255)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    lat: float
    lon: float


class ShuttleRun(SQLModel, table=True):
    """One slot's round trip: into the stop at `slot_start`, back out from it right after.

    Seats are counted per direction; the check constraints are the database's guarantee that
    no run is ever oversold, whatever the application code does.
    """

    __tablename__ = "mobility_shuttle_run"
    __table_args__ = (
        UniqueConstraint("service_id", "slot_start", name="uq_mobility_shuttle_run_slot"),
        CheckConstraint("booked_to_stop <= seats", name="ck_mobility_shuttle_run_to_stop"),
        CheckConstraint("booked_from_stop <= seats", name="ck_mobility_shuttle_run_from_stop"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="mobility_shuttle_service.id", max_length=100)
    slot_start: datetime
    seats: int
    booked_to_stop: int = 0
    booked_from_stop: int = 0


class ShuttleBooking(SQLModel, table=True):
    """Seats on one shuttle run, from a point in the area to a stop or the reverse."""

    __tablename__ = "mobility_shuttle_booking"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    run_id: int = Field(foreign_key="mobility_shuttle_run.id", index=True)
    service_id: str = Field(max_length=100)
    user_id: str = Field(index=True, max_length=64)
    booked_by: str = Field(index=True, max_length=64)
    direction: str = Field(max_length=10)  # to_stop, from_stop
    stop_id: str = Field(max_length=255)
    lat: float
    lon: float
    passengers: int = Field(ge=1)
    pickup_at: datetime
    dropoff_at: datetime
    state: str = Field(default="CONFIRMED", max_length=20)  # CONFIRMED, CANCELLED
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None


class ExternalFeed(SQLModel, table=True):
    """Another operator's GBFS feed whose vehicles and stations we show (not re-publish)."""

    __tablename__ = "mobility_external_feed"

    system_id: str = Field(primary_key=True, max_length=100)
    url: str = Field(max_length=1000)
    name: str = Field(default="", max_length=200)
    version: str = Field(default="", max_length=10)
    vehicles: int = 0
    stations: int = 0
    last_fetched: datetime = Field(default_factory=utcnow)

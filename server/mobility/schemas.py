"""Request and response bodies of the mobility API."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

BookingState = Literal["PENDING", "CONFIRMED", "STARTED", "FINISHED", "CANCELLED", "EXPIRED"]
VehicleStatus = Literal["available", "reserved", "in_use", "disabled", "maintenance"]
Direction = Literal["to_stop", "from_stop"]

Latitude = Field(ge=-90, le=90)
Longitude = Field(ge=-180, le=180)


class PriceOut(BaseModel):
    plan_id: str | None
    currency: str = "JPY"
    unlock_price: int
    per_minute: int


class VehicleOut(BaseModel):
    id: str
    code: str
    system_id: str
    vehicle_type_id: str
    type_name: str
    type_name_en: str
    form_factor: str
    propulsion_type: str
    lat: float
    lon: float
    station_id: str | None
    battery_percent: int | None
    current_range_meters: float | None
    status: VehicleStatus
    available: bool
    bookable: bool
    rental_uri: str | None
    distance_m: float | None = None
    price: PriceOut | None
    # When the vehicle (or an operator) last reported its state: the fleet screen shows it.
    last_reported: datetime | None = None


class QuoteOut(BaseModel):
    vehicle_id: str
    minutes: int
    price: PriceOut
    estimated_total: int
    currency: str = "JPY"
    hold_seconds: int


class StationOut(BaseModel):
    id: str
    system_id: str
    name: str
    name_en: str
    lat: float
    lon: float
    capacity: int
    vehicles_available: int


class ZoneOut(BaseModel):
    id: str
    name: str
    name_en: str
    kind: str
    ride_end_allowed: bool
    ride_through_allowed: bool
    maximum_speed_kph: int | None
    vehicle_type_ids: list[str]
    coordinates: list[list[list[list[float]]]]


class HoldRequest(BaseModel):
    vehicle_id: str = Field(min_length=1, max_length=100)
    # Booking for someone else (a proxy): their patient id; the person's consent decides.
    rider_patient_id: str | None = Field(default=None, max_length=64)


class EndRequest(BaseModel):
    lat: float = Latitude
    lon: float = Longitude


class BookingOut(BaseModel):
    id: str
    state: BookingState
    vehicle_id: str
    vehicle_code: str
    user_id: str
    booked_by: str
    price: PriceOut
    final_price: int | None
    expires_at: datetime | None
    created_at: datetime
    confirmed_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None
    start_lat: float | None
    start_lon: float | None
    end_lat: float | None
    end_lon: float | None
    distance_m: float | None


class VehicleStatusUpdate(BaseModel):
    status: Literal["available", "disabled", "maintenance"]
    battery_percent: int | None = Field(default=None, ge=0, le=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ShuttleStopOut(BaseModel):
    stop_id: str
    name: str
    name_en: str
    lat: float
    lon: float


class ShuttleServiceOut(BaseModel):
    id: str
    name: str
    name_en: str
    seats: int
    slot_minutes: int
    first_slot: str
    last_slot: str
    area: list[list[list[list[float]]]]
    stops: list[ShuttleStopOut]


class ShuttleSlotOut(BaseModel):
    slot_start: datetime
    pickup_at: datetime
    dropoff_at: datetime
    seats_left: int


class ShuttleBookingRequest(BaseModel):
    service_id: str = Field(min_length=1, max_length=100)
    slot_start: datetime
    direction: Direction = "to_stop"
    stop_id: str = Field(min_length=1, max_length=255)
    lat: float = Latitude
    lon: float = Longitude
    passengers: int = Field(default=1, ge=1, le=4)
    rider_patient_id: str | None = Field(default=None, max_length=64)


class ShuttleBookingOut(BaseModel):
    id: str
    state: Literal["CONFIRMED", "CANCELLED"]
    service_id: str
    service_name: str
    slot_start: datetime
    direction: Direction
    stop_id: str
    stop_name: str
    lat: float
    lon: float
    passengers: int
    pickup_at: datetime
    dropoff_at: datetime
    user_id: str
    booked_by: str
    summary_ja: str
    summary_en: str


class SlotQuery(BaseModel):
    day: date
    stop_id: str
    lat: float = Latitude
    lon: float = Longitude
    direction: Direction = "to_stop"

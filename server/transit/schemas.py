"""Response models of the transit API (stops, departures, journeys), OTP-like in shape and words."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Stop(BaseModel):
    stop_id: str = Field(description='Feed-scoped id, "{feed_id}:{stop_id}"')
    name: str = Field(description="In the language of Accept-Language (ja default)")
    name_kana: str | None = Field(default=None, description="Hiragana reading (GTFS-JP ja-Hrkt)")
    name_en: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_type: int = 0
    parent_station: str | None = None
    wheelchair_boarding: int = 0
    distance_m: float | None = Field(default=None, description="From the query point (nearby)")


class StopList(BaseModel):
    stops: list[Stop]


class Route(BaseModel):
    route_id: str
    short_name: str
    long_name: str
    color: str | None = Field(default=None, description="RRGGBB, no '#'")
    text_color: str | None = None
    mode: str


class Departure(BaseModel):
    stop_id: str = Field(description="The platform or stop the vehicle leaves from")
    departure: datetime
    service_date: date
    trip_id: str
    headsign: str
    route: Route


class DepartureBoard(BaseModel):
    stop: Stop
    time: datetime
    departures: list[Departure]


class Place(BaseModel):
    name: str
    stop_id: str | None = None
    lat: float
    lon: float


class StopCall(BaseModel):
    stop_id: str
    name: str
    lat: float
    lon: float
    arrival: datetime
    departure: datetime


class VehicleLegBooking(BaseModel):
    """What to book for a rental leg: this vehicle (POST /api/v1/mobility/bookings)."""

    kind: Literal["vehicle"] = "vehicle"
    vehicle_id: str
    vehicle_code: str
    system_id: str
    form_factor: str
    battery_percent: int | None
    current_range_meters: float | None
    lat: float
    lon: float
    price: dict[str, Any] | None = Field(description="unlock_price, per_minute (JPY)")
    estimated_price: int | None = Field(description="For this leg's ride time, in yen")
    park_lat: float = Field(description="Where the ride ends: a port or a spot the zones allow")
    park_lon: float
    park_station_id: str | None = Field(description="The port, when the ride ends at one")


class ShuttleLegBooking(BaseModel):
    """What to book for a shuttle leg (POST /api/v1/mobility/shuttle/bookings)."""

    kind: Literal["shuttle"] = "shuttle"
    service_id: str
    service_name: str
    slot_start: datetime
    stop_id: str = Field(description="The shuttle's stop id (the GTFS stop_id without feed)")
    direction: Literal["to_stop", "from_stop"]
    lat: float = Field(description="The pickup point")
    lon: float
    seats_left: int


class Leg(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    mode: str = Field(
        description="WALK, RAIL, BUS, SUBWAY, TRAM, FERRY, …, SCOOTER_RENTAL, BICYCLE_RENTAL, "
        "SHUTTLE"
    )
    from_: Place = Field(alias="from")
    to: Place
    start: datetime
    end: datetime
    duration_s: int
    distance_m: float
    route: Route | None = None
    trip_id: str | None = None
    headsign: str | None = None
    intermediate_stops: list[StopCall] = Field(default_factory=list)
    geometry: str = Field(description="Google encoded polyline (precision 5)")
    co2_g: float
    booking: VehicleLegBooking | ShuttleLegBooking | None = Field(
        default=None, discriminator="kind", description="What to book for this leg, if anything"
    )


class Itinerary(BaseModel):
    start: datetime
    end: datetime
    duration_s: int
    transfers: int
    walk_distance_m: float
    co2_g: float
    car_co2_g: float = Field(description="The same trip by car (see co2.basis)")
    co2_saved_g: float
    tags: list[Literal["fastest", "fewest_transfers", "least_walking"]] = Field(
        default_factory=list
    )
    legs: list[Leg]


class Co2Basis(BaseModel):
    version: str
    fiscal_year: int
    source_url: str
    car_distance: str
    extra_factors: dict[str, float] = Field(
        default_factory=dict, description="g-CO2/passenger-km of modes MLIT does not publish"
    )
    extra_source: str | None = None


class JourneyPlan(BaseModel):
    itineraries: list[Itinerary]
    reason: str | None = Field(default=None, description="Why the list is empty")
    source: Literal["embedded", "otp"]
    co2: Co2Basis

"""Response models of the transit API (stops, departures, journeys), OTP-like in shape and words."""

from datetime import date, datetime
from typing import Literal

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


class Leg(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    mode: str = Field(description="WALK, RAIL, BUS, SUBWAY, TRAM, FERRY, …")
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


class JourneyPlan(BaseModel):
    itineraries: list[Itinerary]
    reason: str | None = Field(default=None, description="Why the list is empty")
    source: Literal["embedded", "otp"]
    co2: Co2Basis

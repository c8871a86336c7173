"""HTTP API of shared mobility under /api/v1/mobility; GBFS under /gbfs (see gbfs.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from server.auth.access import CurrentPrincipal
from server.core.db import SessionDep
from server.core.settings import Settings
from server.mobility import booking, fleet, shuttle
from server.mobility.schemas import (
    BookingOut,
    EndRequest,
    HoldRequest,
    QuoteOut,
    ShuttleBookingOut,
    ShuttleBookingRequest,
    ShuttleServiceOut,
    ShuttleSlotOut,
    StationOut,
    VehicleOut,
    VehicleStatusUpdate,
    ZoneOut,
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required on every unsafe request: a retry with the same key returns the "
        "first answer and never books twice",
    ),
]

router = APIRouter(prefix="/mobility", tags=["mobility"])


@router.get("/vehicles")
def nearby_vehicles(
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, le=20_000)] = 1_000,
    form_factor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[VehicleOut]:
    """Vehicles free to rent near a point, nearest first, with battery, range and price."""
    return fleet.nearby_vehicles(
        session, lat=lat, lon=lon, radius_m=radius_m, form_factor=form_factor, limit=limit
    )


@router.get("/vehicles/{vehicle_id}")
def vehicle(session: SessionDep, vehicle_id: str) -> VehicleOut:
    return fleet.get_vehicle(session, vehicle_id)


@router.get("/vehicles/{vehicle_id}/quote")
def quote(
    session: SessionDep,
    settings: SettingsDep,
    vehicle_id: str,
    minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 15,
) -> QuoteOut:
    """What a ride would cost; reserves nothing."""
    return fleet.quote(session, vehicle_id, minutes, settings.mobility_hold_seconds)


@router.get("/stations")
def stations(session: SessionDep) -> list[StationOut]:
    return fleet.stations(session)


@router.get("/zones")
def zones(session: SessionDep) -> list[ZoneOut]:
    """Geofencing zones (no parking, slow, operating area) as GeoJSON MultiPolygon coordinates."""
    return fleet.zones(session)


@router.post("/bookings", status_code=201)
def hold(
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    body: HoldRequest,
    idempotency_key: IdempotencyKey = None,
) -> BookingOut:
    """Hold a vehicle (PENDING) until `expires_at`; confirm it before then."""
    return booking.hold(
        session,
        principal,
        body,
        idempotency_key=idempotency_key,
        hold_seconds=settings.mobility_hold_seconds,
    )


@router.get("/bookings")
def my_bookings(session: SessionDep, principal: CurrentPrincipal) -> list[BookingOut]:
    """The caller's bookings, as rider or as the person who booked for them."""
    return booking.my_bookings(session, principal)


@router.get("/bookings/{booking_id}")
def get_booking(session: SessionDep, principal: CurrentPrincipal, booking_id: str) -> BookingOut:
    return booking.get_booking(session, principal, booking_id)


@router.post("/bookings/{booking_id}/confirm")
def confirm(
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    booking_id: str,
    idempotency_key: IdempotencyKey = None,
) -> BookingOut:
    return booking.confirm(
        session,
        principal,
        booking_id,
        idempotency_key=idempotency_key,
        reservation_minutes=settings.mobility_reservation_minutes,
    )


@router.post("/bookings/{booking_id}/start")
def start(
    session: SessionDep,
    principal: CurrentPrincipal,
    booking_id: str,
    idempotency_key: IdempotencyKey = None,
) -> BookingOut:
    """Unlock the vehicle; the ride's clock starts."""
    return booking.start(session, principal, booking_id, idempotency_key=idempotency_key)


@router.post("/bookings/{booking_id}/end")
def end(
    session: SessionDep,
    principal: CurrentPrincipal,
    booking_id: str,
    body: EndRequest,
    idempotency_key: IdempotencyKey = None,
) -> BookingOut:
    """Lock the vehicle where it stands; refused (422) in a no-parking zone."""
    return booking.end(session, principal, booking_id, body, idempotency_key=idempotency_key)


@router.post("/bookings/{booking_id}/cancel")
def cancel(
    session: SessionDep,
    principal: CurrentPrincipal,
    booking_id: str,
    idempotency_key: IdempotencyKey = None,
) -> BookingOut:
    return booking.cancel(session, principal, booking_id, idempotency_key=idempotency_key)


@router.get("/shuttle/services")
def shuttle_services(session: SessionDep) -> list[ShuttleServiceOut]:
    return shuttle.services(session)


@router.get("/shuttle/services/{service_id}/slots")
def shuttle_slots(
    session: SessionDep,
    service_id: str,
    stop_id: str,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    direction: shuttle.DirectionParam = "to_stop",
    day: shuttle.DayParam = None,
) -> list[ShuttleSlotOut]:
    """The day's slots with the pickup time at this point and the seats left."""
    return shuttle.slots(
        session, service_id, stop_id=stop_id, lat=lat, lon=lon, direction=direction, day=day
    )


@router.post("/shuttle/bookings", status_code=201)
def book_shuttle(
    session: SessionDep,
    principal: CurrentPrincipal,
    body: ShuttleBookingRequest,
    idempotency_key: IdempotencyKey = None,
) -> ShuttleBookingOut:
    """Book seats on a run; refused (409) when the run is full."""
    return shuttle.book(session, principal, body, idempotency_key=idempotency_key)


@router.get("/shuttle/bookings")
def my_shuttle_bookings(
    session: SessionDep, principal: CurrentPrincipal
) -> list[ShuttleBookingOut]:
    return shuttle.my_bookings(session, principal)


@router.post("/shuttle/bookings/{booking_id}/cancel")
def cancel_shuttle(
    session: SessionDep,
    principal: CurrentPrincipal,
    booking_id: str,
    idempotency_key: IdempotencyKey = None,
) -> ShuttleBookingOut:
    return shuttle.cancel(session, principal, booking_id, idempotency_key=idempotency_key)


@router.get("/operator/vehicles")
def operator_vehicles(session: SessionDep, principal: CurrentPrincipal) -> list[VehicleOut]:
    """The whole fleet, every status (operators and administrators)."""
    return fleet.operator_vehicles(session, principal)


@router.get("/operator/bookings")
def operator_bookings(
    session: SessionDep,
    principal: CurrentPrincipal,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[BookingOut]:
    return booking.all_bookings(session, principal, state=state, limit=limit)


@router.patch("/operator/vehicles/{vehicle_id}")
def set_vehicle_status(
    session: SessionDep,
    principal: CurrentPrincipal,
    vehicle_id: str,
    body: VehicleStatusUpdate,
    idempotency_key: IdempotencyKey = None,
) -> VehicleOut:
    """Take a vehicle out of service (disabled, maintenance) or put it back (available)."""
    return fleet.set_vehicle_status(
        session, principal, vehicle_id, body, idempotency_key=idempotency_key
    )

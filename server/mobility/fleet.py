"""The fleet: nearby vehicles with their price, stations, zones, where a ride may end, and
the operator's changes to a vehicle."""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from server.auth.access import Principal, Role
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.mobility import geo
from server.mobility.idempotency import once
from server.mobility.models import (
    GeofencingZone,
    PricingPlan,
    Station,
    Vehicle,
    VehicleType,
)
from server.mobility.schemas import (
    PriceOut,
    QuoteOut,
    StationOut,
    VehicleOut,
    VehicleStatusUpdate,
    ZoneOut,
)

# A vehicle within this distance of a station of its system is parked at that station.
STATION_RADIUS_M = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def available_clause(now: datetime) -> ColumnElement[bool]:
    """SQL for "may be rented now": available, or reserved by a hold that has run out."""
    return or_(
        col(Vehicle.status) == "available",
        and_(col(Vehicle.status) == "reserved", col(Vehicle.hold_until) <= now),
    )


def is_available(vehicle: Vehicle, now: datetime) -> bool:
    if vehicle.status == "available":
        return True
    return (
        vehicle.status == "reserved"
        and vehicle.hold_until is not None
        and as_utc(vehicle.hold_until) <= now
    )


def public_status(vehicle: Vehicle, now: datetime) -> str:
    return "available" if is_available(vehicle, now) else vehicle.status


def price_of(vtype: VehicleType, plans: dict[str, PricingPlan]) -> PriceOut | None:
    plan = plans.get(vtype.default_pricing_plan_id or "")
    if plan is None:
        return None
    return PriceOut(
        plan_id=plan.id,
        currency=plan.currency,
        unlock_price=plan.unlock_price,
        per_minute=plan.per_minute,
    )


def ride_price(unlock_price: int, per_minute: int, minutes: int) -> int:
    return unlock_price + per_minute * max(minutes, 0)


def _plans(session: Session) -> dict[str, PricingPlan]:
    return {p.id: p for p in session.exec(select(PricingPlan)).all()}


def _types(session: Session) -> dict[str, VehicleType]:
    return {t.id: t for t in session.exec(select(VehicleType)).all()}


def vehicle_out(
    vehicle: Vehicle,
    vtype: VehicleType,
    plans: dict[str, PricingPlan],
    now: datetime,
    distance_m: float | None = None,
) -> VehicleOut:
    return VehicleOut(
        id=vehicle.id,
        code=vehicle.code,
        system_id=vehicle.system_id,
        vehicle_type_id=vtype.id,
        type_name=vtype.name,
        type_name_en=vtype.name_en,
        form_factor=vtype.form_factor,
        propulsion_type=vtype.propulsion_type,
        lat=vehicle.lat,
        lon=vehicle.lon,
        station_id=vehicle.station_id,
        battery_percent=vehicle.battery_percent,
        current_range_meters=vehicle.current_range_meters,
        status=public_status(vehicle, now),
        available=is_available(vehicle, now),
        bookable=vehicle.bookable,
        rental_uri=vehicle.rental_uri,
        distance_m=None if distance_m is None else round(distance_m, 1),
        price=price_of(vtype, plans),
        last_reported=vehicle.last_reported,
    )


def nearby_vehicles(
    session: Session,
    *,
    lat: float,
    lon: float,
    radius_m: float,
    form_factor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> list[VehicleOut]:
    """Rentable vehicles available now within `radius_m`, nearest first."""
    now = now or utcnow()
    # A bounding box in SQL narrows the candidates; the exact distance is computed after.
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    query = (
        select(Vehicle, VehicleType)
        .join(VehicleType, col(VehicleType.id) == col(Vehicle.vehicle_type_id))
        .where(
            col(VehicleType.rentable),
            available_clause(now),
            col(Vehicle.lat).between(lat - dlat, lat + dlat),
            col(Vehicle.lon).between(lon - dlon, lon + dlon),
        )
    )
    if form_factor:
        query = query.where(col(VehicleType.form_factor) == form_factor)
    plans = _plans(session)
    found: list[tuple[float, Vehicle, VehicleType]] = []
    for vehicle, vtype in session.exec(query).all():
        distance = geo.haversine_m(lat, lon, vehicle.lat, vehicle.lon)
        if distance <= radius_m:
            found.append((distance, vehicle, vtype))
    found.sort(key=lambda item: (item[0], item[1].id))
    return [vehicle_out(v, t, plans, now, d) for d, v, t in found[:limit]]


def get_vehicle(session: Session, vehicle_id: str, now: datetime | None = None) -> VehicleOut:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"no vehicle {vehicle_id}")
    vtype = session.get(VehicleType, vehicle.vehicle_type_id)
    assert vtype is not None  # foreign key
    return vehicle_out(vehicle, vtype, _plans(session), now or utcnow())


def quote(session: Session, vehicle_id: str, minutes: int, hold_seconds: int) -> QuoteOut:
    """What a ride of `minutes` would cost on this vehicle; nothing is reserved."""
    vehicle = get_vehicle(session, vehicle_id)
    if vehicle.price is None:
        raise Conflict(f"vehicle {vehicle.code} has no price: it cannot be booked here")
    return QuoteOut(
        vehicle_id=vehicle.id,
        minutes=minutes,
        price=vehicle.price,
        estimated_total=ride_price(vehicle.price.unlock_price, vehicle.price.per_minute, minutes),
        hold_seconds=hold_seconds,
    )


def stations(session: Session, now: datetime | None = None) -> list[StationOut]:
    now = now or utcnow()
    counts: dict[str, int] = {}
    for vehicle in session.exec(
        select(Vehicle).where(col(Vehicle.station_id).is_not(None), available_clause(now))
    ).all():
        key = vehicle.station_id or ""
        counts[key] = counts.get(key, 0) + 1
    return [
        StationOut(
            id=s.id,
            system_id=s.system_id,
            name=s.name,
            name_en=s.name_en,
            lat=s.lat,
            lon=s.lon,
            capacity=s.capacity,
            vehicles_available=counts.get(s.id, 0),
        )
        for s in session.exec(select(Station).order_by(col(Station.id))).all()
    ]


def zone_coordinates(zone: GeofencingZone) -> list[Any]:
    coordinates: list[Any] = json.loads(zone.coordinates)
    return coordinates


def zones(session: Session) -> list[ZoneOut]:
    return [
        ZoneOut(
            id=z.id,
            name=z.name,
            name_en=z.name_en,
            kind=z.kind,
            ride_end_allowed=z.ride_end_allowed,
            ride_through_allowed=z.ride_through_allowed,
            maximum_speed_kph=z.maximum_speed_kph,
            vehicle_type_ids=z.vehicle_type_ids.split(),
            coordinates=zone_coordinates(z),
        )
        for z in session.exec(select(GeofencingZone).order_by(col(GeofencingZone.id))).all()
    ]


@dataclass(frozen=True)
class Parking:
    """Where a ride ends: at a station, or free-floating."""

    station_id: str | None


def _applies(zone: GeofencingZone, vehicle_type_id: str) -> bool:
    types = zone.vehicle_type_ids.split()
    return not types or vehicle_type_id in types


@dataclass(frozen=True)
class ParkingRules:
    """One system's ports and zones, read once, to check many end positions in memory."""

    stations: tuple[Station, ...]
    zones: tuple[tuple[GeofencingZone, list[Any]], ...]  # each with its parsed coordinates

    @classmethod
    def load(cls, session: Session, system_id: str) -> "ParkingRules":
        stations = session.exec(select(Station).where(col(Station.system_id) == system_id)).all()
        zones = session.exec(
            select(GeofencingZone).where(col(GeofencingZone.system_id) == system_id)
        ).all()
        return cls(tuple(stations), tuple((z, zone_coordinates(z)) for z in zones))

    def check(self, vehicle_type_id: str, lat: float, lon: float) -> Parking:
        """Where the zones allow this vehicle type to be parked; refuse anywhere else, saying why.

        A station (port) of the vehicle's system always accepts it, even inside a no-parking
        zone (that is GBFS's `station_parking`). Elsewhere the point must lie inside an
        operating area (when the system defines any) and outside every no-parking zone.
        """
        nearest: tuple[float, Station] | None = None
        for station in self.stations:
            distance = geo.haversine_m(lat, lon, station.lat, station.lon)
            if nearest is None or distance < nearest[0]:
                nearest = (distance, station)
        if nearest is not None and nearest[0] <= STATION_RADIUS_M:
            return Parking(station_id=nearest[1].id)

        applicable = [(z, shape) for z, shape in self.zones if _applies(z, vehicle_type_id)]
        hint = ""
        if nearest is not None:
            hint = f" The nearest port is {nearest[1].name} ({round(nearest[0])} m)."
        for zone, shape in applicable:
            if not zone.ride_end_allowed and geo.in_multipolygon(lon, lat, shape):
                raise InvalidInput(
                    f"You cannot end the ride here: {zone.name} ({zone.name_en}) is a "
                    f"no-parking zone. Park at a port or outside the zone.{hint}"
                )
        areas = [shape for z, shape in applicable if z.kind == "operating_area"]
        if areas and not any(geo.in_multipolygon(lon, lat, shape) for shape in areas):
            raise InvalidInput(
                "You cannot end the ride here: this place is outside the service area. "
                f"Ride back into the area to park.{hint}"
            )
        return Parking(station_id=None)


def check_end_position(session: Session, vehicle: Vehicle, lat: float, lon: float) -> Parking:
    """Where the zones allow this vehicle to be parked (see ParkingRules.check)."""
    return ParkingRules.load(session, vehicle.system_id).check(vehicle.vehicle_type_id, lat, lon)


OPERATOR_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})


def require_operator(principal: Principal) -> None:
    if principal.role not in OPERATOR_ROLES:
        raise Forbidden("only operators and administrators manage the fleet")


def set_vehicle_status(
    session: Session,
    principal: Principal,
    vehicle_id: str,
    update: VehicleStatusUpdate,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> VehicleOut:
    """An operator takes a vehicle out of service or puts it back; never one that is booked."""
    require_operator(principal)
    moment = now or utcnow()
    return once(
        session,
        subject=principal.subject,
        key=idempotency_key,
        request=f"PATCH /mobility/operator/vehicles/{vehicle_id}",
        body=update,
        model=VehicleOut,
        run=lambda: _set_vehicle_status(session, vehicle_id, update, moment),
    )


def _set_vehicle_status(
    session: Session, vehicle_id: str, update: VehicleStatusUpdate, now: datetime
) -> VehicleOut:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"no vehicle {vehicle_id}")
    if vehicle.status == "in_use" or (
        vehicle.status == "reserved" and not is_available(vehicle, now)
    ):
        raise Conflict(
            f"vehicle {vehicle.code} is {vehicle.status} by a rider; "
            "cancel or end that booking before changing its status"
        )
    if (update.lat is None) != (update.lon is None):
        raise InvalidInput("give both lat and lon to move the vehicle, or neither")
    vehicle.status = update.status
    vehicle.hold_until = None
    if update.battery_percent is not None:
        vehicle.battery_percent = update.battery_percent
        vtype = session.get(VehicleType, vehicle.vehicle_type_id)
        if vtype is not None and vtype.max_range_meters is not None:
            vehicle.current_range_meters = vtype.max_range_meters * update.battery_percent / 100
    if update.lat is not None and update.lon is not None:
        vehicle.lat, vehicle.lon = update.lat, update.lon
    vehicle.updated_at = vehicle.last_reported = now
    session.add(vehicle)
    session.flush()
    return get_vehicle(session, vehicle_id, now)


def operator_vehicles(
    session: Session, principal: Principal, now: datetime | None = None
) -> list[VehicleOut]:
    """Every vehicle in every status, ours and other operators'."""
    require_operator(principal)
    now = now or utcnow()
    types = _types(session)
    plans = _plans(session)
    return [
        vehicle_out(v, types[v.vehicle_type_id], plans, now)
        for v in session.exec(
            select(Vehicle).order_by(col(Vehicle.system_id), col(Vehicle.code))
        ).all()
    ]

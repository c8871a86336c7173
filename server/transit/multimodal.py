"""Multimodal first and last miles for the embedded planner: a shared e-scooter or e-bike to or
from a station, and the hill-estate shuttle from home to its stop.

The router only knows access and egress as (stop, seconds). This module turns vehicles that are
available now and the shuttle's bookable slots into such options, asks the router once per
kind, and turns the router's access or egress walk back into the legs a rider takes: walk to
the vehicle, ride, park where the zones allow (a port, or the spot itself), walk the rest. Each
rented or booked leg carries a `booking` saying what the app books.
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.core.errors import InvalidInput
from server.mobility import fleet, geo, shuttle
from server.mobility.models import ShuttleService, ShuttleStop, Station, Vehicle
from server.mobility.schemas import VehicleOut
from server.transit.polyline import encode
from server.transit.router import Journey, TransitLeg, WalkLeg, nearby_stops
from server.transit.router.timetable import Timetable
from server.transit.schemas import (
    Itinerary,
    Leg,
    Place,
    ShuttleLegBooking,
    VehicleLegBooking,
)

SCOOTER_RENTAL = "SCOOTER_RENTAL"
BICYCLE_RENTAL = "BICYCLE_RENTAL"
SHUTTLE = "SHUTTLE"
RENTAL_MODES = frozenset({SCOOTER_RENTAL, BICYCLE_RENTAL})
EXTRA_MODES = RENTAL_MODES | {SHUTTLE}
# GBFS form factors (2.3 and 3.0 words) to OTP's rental modes.
FORM_FACTOR_MODES = {
    "scooter": SCOOTER_RENTAL,
    "scooter_standing": SCOOTER_RENTAL,
    "scooter_seated": SCOOTER_RENTAL,
    "moped": SCOOTER_RENTAL,
    "bicycle": BICYCLE_RENTAL,
    "cargo_bicycle": BICYCLE_RENTAL,
}

# A calm average on city streets with lights and the slow zones, for both scooters and e-bikes.
RIDE_SPEED_MPS = 15 / 3.6
# Streets are longer than the straight line (the same urban detour the car estimate uses).
RIDE_DETOUR = 1.3
WALK_DETOUR = 1.25  # as the router walks footpaths
UNLOCK_S = 60  # find the vehicle, scan, unlock
PARK_S = 60  # park, photo, lock
MAX_RIDE_M = 5_000  # on the road: ~20 minutes; longer rides are not a first or last mile
MAX_WALK_TO_VEHICLE_M = 400
PORT_WALK_M = 300  # a port this close to the stop or destination is worth the walk
# A stop this close is walked to; riding there is not an alternative worth offering.
MIN_RIDE_M = 400
MAX_CANDIDATE_STOPS = 40
RANGE_MARGIN = 1.2  # the battery's range must cover the ride with this margin
# From the shuttle's drop-off to boarding the bus or train.
SHUTTLE_CHANGE_S = 120

# g-CO2 per passenger-km. MLIT publishes none for these modes (its chart is the source of the
# other factors), so they are machi's estimates and the API says so in co2.extra_source.
CO2_G_PER_PKM = {SCOOTER_RENTAL: 60.0, BICYCLE_RENTAL: 30.0, SHUTTLE: 45.0}
CO2_SOURCE = (
    "machi estimates, not MLIT: shared e-scooters and e-bikes are life-cycle values "
    "(manufacture, charging, collection vans) of the order found by ITF (2020) 'Good to Go? "
    "Assessing the Environmental Performance of New Mobility'; the autonomous electric shuttle "
    "is ~0.2 kWh/km x ~0.45 kg-CO2/kWh (Japanese grid) shared by ~2 riders"
)


def wanted(modes: frozenset[str], mode: str, wheelchair: bool) -> bool:
    """Whether an itinerary may use `mode`: all are offered unless `modes` names some."""
    if wheelchair and mode in RENTAL_MODES:
        return False  # nobody rides a kick scooter in a wheelchair; the shuttle takes one
    return not modes or mode in modes


@dataclass(frozen=True)
class Piece:
    """One leg of a first or last mile, before it is placed in time."""

    mode: str
    start: Place
    end: Place
    seconds: int
    metres: float
    booking: VehicleLegBooking | ShuttleLegBooking | None = None


@dataclass
class Option:
    """A way to reach a stop (access) or leave one (egress) other than on foot."""

    stop: int
    seconds: int
    pieces: list[Piece]
    # Shuttle only: the bookable runs, (pickup, dropoff, slot_start, seats_left) on the query
    # clock, to snap to the one that fits the first vehicle.
    slots: list[tuple[int, int, datetime, int]] = field(default_factory=list)


def _walk(start: Place, end: Place, speed: float) -> Piece | None:
    metres = geo.haversine_m(start.lat, start.lon, end.lat, end.lon) * WALK_DETOUR
    if metres < 1:
        return None
    return Piece("WALK", start, end, math.ceil(metres / speed), metres)


class _Parking:
    """Where a vehicle may be left near a point, by the fleet's own rule, remembered per request."""

    def __init__(self, session: Session, language: str) -> None:
        self.session = session
        self.language = language
        self._allowed: dict[tuple[str, str, float, float], bool] = {}
        self._ports: dict[str, list[Station]] = {}
        self._rules: dict[str, fleet.ParkingRules] = {}

    def _may_park(self, vehicle: Vehicle, lat: float, lon: float) -> bool:
        key = (vehicle.system_id, vehicle.vehicle_type_id, round(lat, 4), round(lon, 4))
        if key not in self._allowed:
            if vehicle.system_id not in self._rules:
                self._rules[vehicle.system_id] = fleet.ParkingRules.load(
                    self.session, vehicle.system_id
                )
            try:
                self._rules[vehicle.system_id].check(vehicle.vehicle_type_id, lat, lon)
                self._allowed[key] = True
            except InvalidInput:
                self._allowed[key] = False
        return self._allowed[key]

    def spot(self, vehicle: Vehicle, place: Place) -> tuple[Place, str | None] | None:
        """Park at `place` itself when allowed, else at the nearest port within a short walk."""
        if self._may_park(vehicle, place.lat, place.lon):
            return place, None
        if vehicle.system_id not in self._ports:
            self._ports[vehicle.system_id] = list(
                self.session.exec(
                    select(Station).where(col(Station.system_id) == vehicle.system_id)
                ).all()
            )
        best: tuple[float, Station] | None = None
        for port in self._ports[vehicle.system_id]:
            d = geo.haversine_m(place.lat, place.lon, port.lat, port.lon)
            if d <= PORT_WALK_M and (best is None or d < best[0]):
                best = (d, port)
        if best is None:
            return None
        port = best[1]
        name = port.name_en if self.language == "en" and port.name_en else port.name
        return Place(name=name, lat=port.lat, lon=port.lon), port.id


@dataclass
class Context:
    """What the options need from the planner: the timetable, places and the request."""

    session: Session
    tt: Timetable
    stop_place: Callable[[int], Place]
    language: str
    walk_speed_mps: float
    modes: frozenset[str]
    wheelchair: bool
    parking: _Parking = field(init=False)

    def __post_init__(self) -> None:
        self.parking = _Parking(self.session, self.language)

    def rental_mode(self, vehicle: VehicleOut) -> str | None:
        mode = FORM_FACTOR_MODES.get(vehicle.form_factor)
        if mode is None or not wanted(self.modes, mode, self.wheelchair):
            return None
        if not vehicle.bookable or vehicle.price is None:
            return None  # another operator's vehicle: booked in its own app, not from here
        return mode

    def _vehicle_name(self, vehicle: VehicleOut) -> str:
        kind = vehicle.type_name_en if self.language == "en" else vehicle.type_name
        return f"{kind} {vehicle.code}"

    def ride(self, vehicle: VehicleOut, mode: str, start: Place, end: Place) -> list[Piece] | None:
        """Walk from `start` to the vehicle, ride towards `end`, park, walk to `end`."""
        model = self.session.get(Vehicle, vehicle.id)
        if model is None:
            return None
        parked = self.parking.spot(model, end)
        if parked is None:
            return None
        park, port_id = parked
        ride_m = geo.haversine_m(vehicle.lat, vehicle.lon, park.lat, park.lon) * RIDE_DETOUR
        if ride_m > MAX_RIDE_M:
            return None
        if vehicle.current_range_meters is not None and (
            vehicle.current_range_meters < ride_m * RANGE_MARGIN
        ):
            return None
        at_vehicle = Place(name=self._vehicle_name(vehicle), lat=vehicle.lat, lon=vehicle.lon)
        booking = VehicleLegBooking(
            vehicle_id=vehicle.id,
            vehicle_code=vehicle.code,
            system_id=vehicle.system_id,
            form_factor=vehicle.form_factor,
            battery_percent=vehicle.battery_percent,
            current_range_meters=vehicle.current_range_meters,
            lat=vehicle.lat,
            lon=vehicle.lon,
            price=vehicle.price.model_dump() if vehicle.price else None,
            estimated_price=None,
            park_lat=park.lat,
            park_lon=park.lon,
            park_station_id=port_id,
        )
        ride_s = math.ceil(ride_m / RIDE_SPEED_MPS) + UNLOCK_S + PARK_S
        if vehicle.price is not None:
            booking.estimated_price = fleet.ride_price(
                vehicle.price.unlock_price, vehicle.price.per_minute, math.ceil(ride_s / 60)
            )
        pieces = [
            p
            for p in (
                _walk(start, at_vehicle, self.walk_speed_mps),
                Piece(mode, at_vehicle, park, ride_s, ride_m, booking),
                _walk(park, end, self.walk_speed_mps),
            )
            if p is not None
        ]
        return pieces


def _keep_best(options: dict[int, Option], option: Option) -> None:
    current = options.get(option.stop)
    if current is None or option.seconds < current.seconds:
        options[option.stop] = option


def _candidate_stops(tt: Timetable, lat: float, lon: float) -> list[tuple[int, float]]:
    found = nearby_stops(tt, lat, lon, MAX_RIDE_M / RIDE_DETOUR)
    return [(s, d) for s, d in found if d >= MIN_RIDE_M][:MAX_CANDIDATE_STOPS]


def rental_access(ctx: Context, origin: Place, max_walk_m: float) -> dict[str, dict[int, Option]]:
    """Ride a vehicle standing near the origin to a stop: the nearest of each mode."""
    radius = min(max_walk_m, MAX_WALK_TO_VEHICLE_M)
    if radius <= 0:
        return {}
    chosen: dict[str, VehicleOut] = {}
    for vehicle in fleet.nearby_vehicles(
        ctx.session, lat=origin.lat, lon=origin.lon, radius_m=radius, limit=20
    ):
        mode = ctx.rental_mode(vehicle)
        if mode is not None and mode not in chosen:
            chosen[mode] = vehicle
    by_mode: dict[str, dict[int, Option]] = {}
    for mode, vehicle in chosen.items():
        options = by_mode.setdefault(mode, {})
        for stop, _d in _candidate_stops(ctx.tt, vehicle.lat, vehicle.lon):
            if geo.haversine_m(origin.lat, origin.lon, *_latlon(ctx.tt, stop)) < MIN_RIDE_M:
                continue
            pieces = ctx.ride(vehicle, mode, origin, ctx.stop_place(stop))
            if pieces:
                _keep_best(options, Option(stop, sum(p.seconds for p in pieces), pieces))
    return {mode: options for mode, options in by_mode.items() if options}


def rental_egress(ctx: Context, destination: Place) -> dict[str, dict[int, Option]]:
    """From a stop, ride a vehicle of each mode standing near it to the destination."""
    reach = MAX_RIDE_M / RIDE_DETOUR + MAX_WALK_TO_VEHICLE_M
    vehicles = [
        (v, mode)
        for v in fleet.nearby_vehicles(
            ctx.session, lat=destination.lat, lon=destination.lon, radius_m=reach, limit=200
        )
        if (mode := ctx.rental_mode(v)) is not None
    ]
    by_mode: dict[str, dict[int, Option]] = {}
    if not vehicles:
        return by_mode
    for stop, _d in _candidate_stops(ctx.tt, destination.lat, destination.lon):
        slat, slon = _latlon(ctx.tt, stop)
        nearest: dict[str, tuple[float, str, VehicleOut]] = {}
        for vehicle, mode in vehicles:
            if abs(vehicle.lat - slat) > 0.005:  # ~550 m: surely beyond a short walk
                continue
            d = geo.haversine_m(slat, slon, vehicle.lat, vehicle.lon)
            if d <= MAX_WALK_TO_VEHICLE_M and (
                mode not in nearest or (d, vehicle.id) < nearest[mode][:2]
            ):
                nearest[mode] = (d, vehicle.id, vehicle)
        for mode, (_d2, _id, vehicle) in nearest.items():
            pieces = ctx.ride(vehicle, mode, ctx.stop_place(stop), destination)
            if pieces:
                options = by_mode.setdefault(mode, {})
                _keep_best(options, Option(stop, sum(p.seconds for p in pieces), pieces))
    return by_mode


def _latlon(tt: Timetable, stop: int) -> tuple[float, float]:
    return float(tt.stop_lat[stop]), float(tt.stop_lon[stop])


def _feed_stop_index(tt: Timetable, stop_id: str) -> int | None:
    """The timetable stop of a shuttle stop, whose id is the GTFS stop_id without the feed."""
    for feed_stop in (stop_id, *(f"{f}:{stop_id}" for f in _feed_ids(tt))):
        try:
            return tt.stop_index(feed_stop)
        except KeyError:
            continue
    return None


def _feed_ids(tt: Timetable) -> list[str]:
    cached: list[str] | None = getattr(tt, "_machi_feed_ids", None)
    if cached is None:
        cached = sorted({sid.split(":", 1)[0] for sid in tt.stop_ids if ":" in sid})
        setattr(tt, "_machi_feed_ids", cached)  # noqa: B010 - a cache on a shared object
    return cached


def shuttle_access(
    ctx: Context,
    origin: Place,
    service_date: date,
    clock_s: int,
    arrive_by: bool,
    now: datetime | None = None,
) -> dict[int, Option]:
    """The shuttle from a point in its service area to each of its stops, by bookable slot.

    Depart-at: the access time runs from the requested time to the first run's drop-off (the
    wait at home is part of it). Arrive-by: only the ride; the run is chosen after routing.
    """
    if not wanted(ctx.modes, SHUTTLE, ctx.wheelchair):
        return {}
    tz = ZoneInfo(ctx.tt.timezone)
    midnight = datetime(service_date.year, service_date.month, service_date.day, tzinfo=tz)

    def on_clock(moment: datetime) -> int:
        return int((moment - midnight).total_seconds())

    options: dict[int, Option] = {}
    for service in ctx.session.exec(select(ShuttleService).order_by(col(ShuttleService.id))):
        if not geo.in_multipolygon(origin.lon, origin.lat, json.loads(service.area)):
            continue
        stops = ctx.session.exec(
            select(ShuttleStop).where(col(ShuttleStop.service_id) == service.id)
        ).all()
        for stop in stops:
            index = _feed_stop_index(ctx.tt, stop.stop_id)
            if index is None:
                continue
            slots = [
                (on_clock(s.pickup_at), on_clock(s.dropoff_at), s.slot_start, s.seats_left)
                for s in shuttle.slots(
                    ctx.session,
                    service.id,
                    stop_id=stop.stop_id,
                    lat=origin.lat,
                    lon=origin.lon,
                    direction="to_stop",
                    day=service_date,
                    now=now,
                )
                if s.seats_left > 0
            ]
            if not arrive_by:
                slots = [s for s in slots if s[0] >= clock_s]
            if not slots:
                continue
            pickup, dropoff = slots[0][0], slots[0][1]
            seconds = (dropoff - (pickup if arrive_by else clock_s)) + SHUTTLE_CHANGE_S
            metres = geo.haversine_m(origin.lat, origin.lon, stop.lat, stop.lon) * shuttle.DETOUR
            name = service.name_en if ctx.language == "en" and service.name_en else service.name
            booking = ShuttleLegBooking(
                service_id=service.id,
                service_name=name,
                slot_start=slots[0][2],
                stop_id=stop.stop_id,
                direction="to_stop",
                lat=origin.lat,
                lon=origin.lon,
                seats_left=slots[0][3],
            )
            piece = Piece(SHUTTLE, origin, ctx.stop_place(index), dropoff - pickup, metres, booking)
            _keep_best(options, Option(index, seconds, [piece], slots))
    return options


# ---- from router journeys back to legs ---------------------------------------------------


def _legs(pieces: list[Piece], start_s: int, at: Callable[[int], datetime]) -> list[Leg]:
    legs = []
    t = start_s
    for piece in pieces:
        factor = CO2_G_PER_PKM.get(piece.mode, 0.0)
        legs.append(
            Leg(
                mode=piece.mode,
                from_=piece.start,
                to=piece.end,
                start=at(t),
                end=at(t + piece.seconds),
                duration_s=piece.seconds,
                distance_m=round(piece.metres, 1),
                geometry=encode(
                    [(piece.start.lat, piece.start.lon), (piece.end.lat, piece.end.lon)]
                ),
                co2_g=round(factor * piece.metres / 1000, 1),
                booking=piece.booking,
            )
        )
        t += piece.seconds
    return legs


def _snap_shuttle(option: Option, board_s: int) -> tuple[int, Piece] | None:
    """The latest run that drops off in time for the first vehicle, as (pickup, piece)."""
    fitting = [s for s in option.slots if s[1] + SHUTTLE_CHANGE_S <= board_s]
    if not fitting:
        return None
    pickup, dropoff, slot_start, seats = fitting[-1]
    piece = option.pieces[0]
    assert isinstance(piece.booking, ShuttleLegBooking)
    booking = piece.booking.model_copy(update={"slot_start": slot_start, "seats_left": seats})
    return pickup, Piece(
        piece.mode, piece.start, piece.end, dropoff - pickup, piece.metres, booking
    )


def rebuild(
    itinerary: Itinerary,
    journey: Journey,
    access: dict[int, Option],
    egress: dict[int, Option],
    at: Callable[[int], datetime],
) -> Itinerary | None:
    """Replace the router's access/egress walk with the option's legs; None when the journey
    does not use one (or no shuttle run fits)."""
    if not journey.transit_legs:
        return None  # a ride alone is not what these options are for
    legs = list(itinerary.legs)
    first, last = journey.legs[0], journey.legs[-1]
    used = False
    if access and isinstance(first, WalkLeg) and first.from_stop is None:
        option = access.get(first.to_stop) if first.to_stop is not None else None
        if option is None:
            return None
        if option.slots:
            board: TransitLeg = journey.transit_legs[0]
            snapped = _snap_shuttle(option, board.board_s)
            if snapped is None:
                return None
            pickup, piece = snapped
            legs[:1] = _legs([piece], pickup, at)
        else:
            legs[:1] = _legs(option.pieces, first.start_s, at)
        used = True
    if egress and isinstance(last, WalkLeg) and last.to_stop is None:
        option = egress.get(last.from_stop) if last.from_stop is not None else None
        if option is None:
            return None
        legs[-1:] = _legs(option.pieces, last.start_s, at)
        used = True
    if not used:
        return None
    co2 = round(sum(leg.co2_g for leg in legs), 1)
    start, end = legs[0].start, legs[-1].end
    return itinerary.model_copy(
        update={
            "legs": legs,
            "start": start,
            "end": end,
            "duration_s": int((end - start).total_seconds()),
            "walk_distance_m": round(sum(x.distance_m for x in legs if x.mode == "WALK"), 1),
            "co2_g": co2,
            "co2_saved_g": round(max(0.0, itinerary.car_co2_g - co2), 1),
        }
    )


def clock_at(service_date: date, timezone: str) -> Callable[[int], datetime]:
    tz = ZoneInfo(timezone)
    midnight = datetime(service_date.year, service_date.month, service_date.day, tzinfo=tz)
    return lambda seconds: midnight + timedelta(seconds=int(seconds))


def options_for(
    options: dict[int, Option],
) -> list[tuple[int, int]]:
    return [(stop, option.seconds) for stop, option in options.items()]

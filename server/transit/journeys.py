"""Journey planning: parse the request, ask the embedded router (or OTP), build itineraries."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from sqlmodel import Session

from server.core.errors import InvalidInput
from server.transit import co2, multimodal
from server.transit.network import Network
from server.transit.polyline import encode
from server.transit.router import (
    Journey,
    RouterOptions,
    TransitLeg,
    WalkLeg,
    arrive_by,
    earliest_arrival,
    leg_geometry,
    range_query,
    walk_access,
)
from server.transit.schemas import Co2Basis, Itinerary, JourneyPlan, Leg, Place, StopCall
from server.transit.service import at, haversine_m, headsign, local_clock, route_out

MODES = {"WALK", "RAIL", "BUS", "SUBWAY", "TRAM", "FERRY", "CABLE_CAR", "GONDOLA", "FUNICULAR",
         "TROLLEYBUS", "MONORAIL", "COACH", "TRANSIT",
         "SCOOTER_RENTAL", "BICYCLE_RENTAL", "SHUTTLE"}  # fmt: skip
_COORD = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
# Range queries look this far past the requested time for later alternatives.
RANGE_WINDOW_S = 3600


@dataclass(frozen=True)
class Endpoint:
    """Where a journey starts or ends: a point, or a stop (public id)."""

    lat: float | None = None
    lon: float | None = None
    stop_id: str | None = None

    @classmethod
    def parse(cls, name: str, text: str) -> "Endpoint":
        if text.startswith("stop:"):
            stop_id = text.removeprefix("stop:").strip()
            if ":" not in stop_id:
                raise InvalidInput(f"{name}: {text!r}: write stop:FEED_ID:STOP_ID")
            return cls(stop_id=stop_id)
        match = _COORD.match(text)
        if not match:
            raise InvalidInput(f"{name}: {text!r} is neither LAT,LON nor stop:STOP_ID")
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput(f"{name}: {text!r} is not a valid coordinate")
        return cls(lat=lat, lon=lon)


@dataclass(frozen=True)
class JourneyRequest:
    origin: Endpoint
    destination: Endpoint
    when: datetime
    arrive_by: bool = False
    wheelchair: bool = False
    walk_speed_mps: float = 1.2
    max_walk_m: float = 800.0
    modes: frozenset[str] = frozenset()
    num: int = 5
    language: str = "ja"


def parse_modes(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    modes = frozenset(m.strip().upper() for m in text.split(",") if m.strip())
    unknown = sorted(modes - MODES)
    if unknown:
        raise InvalidInput(f"modes: unknown {', '.join(unknown)}; use {', '.join(sorted(MODES))}")
    return modes


def co2_basis() -> Co2Basis:
    f = co2.factors()
    return Co2Basis(
        version=f.version,
        fiscal_year=f.fiscal_year,
        source_url=f.source_url,
        car_distance=f"straight line from origin to destination x {co2.ROAD_DETOUR} (road detour)",
        extra_factors=dict(multimodal.CO2_G_PER_PKM),
        extra_source=multimodal.CO2_SOURCE,
    )


def _modes_allowed(itinerary: Itinerary, modes: frozenset[str]) -> bool:
    """No `modes`: everything. Else each leg's mode is listed, walking always is, and TRANSIT
    stands for every public-transport mode (not the rented or shuttle ones)."""
    if not modes:
        return True
    return all(
        leg.mode == "WALK"
        or leg.mode in modes
        or ("TRANSIT" in modes and leg.mode not in multimodal.EXTRA_MODES)
        for leg in itinerary.legs
    )


def _sorted(itineraries: list[Itinerary], by_departure: bool) -> list[Itinerary]:
    if by_departure:
        return sorted(itineraries, key=lambda i: (-i.start.timestamp(), i.transfers))
    return sorted(itineraries, key=lambda i: (i.end, i.transfers, -i.start.timestamp()))


def _path_m(points: list[tuple[float, float]]) -> float:
    return sum(haversine_m(*a, *b) for a, b in pairwise(points))


class EmbeddedPlanner:
    """Plans on the imported timetable with the in-house RAPTOR router."""

    def __init__(self, network: Network, session: Session | None = None) -> None:
        self.network = network
        self.tt = network.timetable
        # The fleet and shuttle tables, for rented and shuttle first/last miles (none: walk only).
        self.session = session

    def _endpoints(
        self, endpoint: Endpoint, request: JourneyRequest, name: str
    ) -> list[tuple[int, int]]:
        if endpoint.stop_id is not None:
            try:
                index = self.tt.stop_index(endpoint.stop_id)
            except KeyError:
                raise InvalidInput(f"{name}: no stop {endpoint.stop_id!r}") from None
            return [(s, 0) for s in self.network.expand_stop(index)]
        assert endpoint.lat is not None
        assert endpoint.lon is not None
        return walk_access(
            self.tt, endpoint.lat, endpoint.lon, request.max_walk_m, request.walk_speed_mps
        )

    def _coords(self, endpoint: Endpoint) -> tuple[float, float]:
        if endpoint.stop_id is not None:
            index = self.tt.stop_index(endpoint.stop_id)
            return float(self.tt.stop_lat[index]), float(self.tt.stop_lon[index])
        assert endpoint.lat is not None
        assert endpoint.lon is not None
        return endpoint.lat, endpoint.lon

    def plan(self, request: JourneyRequest) -> JourneyPlan:
        origins = self._endpoints(request.origin, request, "from")
        targets = self._endpoints(request.destination, request, "to")
        basis = co2_basis()
        service_date, clock = local_clock(request.when, self.tt.timezone)
        options = RouterOptions(
            walk_speed_mps=request.walk_speed_mps,
            max_walk_m=request.max_walk_m,
            wheelchair=request.wheelchair,
        )
        itineraries: list[Itinerary] = []
        if origins and targets:
            if request.arrive_by:
                journeys = arrive_by(self.tt, origins, targets, service_date, clock, options)
            else:
                journeys = earliest_arrival(self.tt, origins, targets, service_date, clock, options)
                if len(journeys) < request.num:
                    later = range_query(
                        self.tt, origins, targets, service_date, clock, RANGE_WINDOW_S, options
                    )
                    journeys = _merge(journeys, later)
            itineraries = [self._itinerary(j, request, service_date) for j in journeys]
        extras = self._multimodal(request, origins, targets, service_date, clock, options)
        itineraries = [i for i in itineraries if _modes_allowed(i, request.modes)]
        # A ride no better than a plain itinerary on departure, arrival, transfers and walking
        # (the shuttle's point, for people who cannot walk far) is no offer.
        extras = [
            i
            for i in extras
            if _modes_allowed(i, request.modes)
            and not any(
                b.start >= i.start
                and b.end <= i.end
                and b.transfers <= i.transfers
                and b.walk_distance_m <= i.walk_distance_m
                for b in itineraries
            )
        ]
        itineraries = _sorted(itineraries, request.arrive_by)
        # The rented and shuttle alternatives are offered beside the plain ones, not instead.
        room = max(request.num - len(extras), min(request.num, 2))
        itineraries = _sorted(
            itineraries[:room] + _sorted(extras, request.arrive_by)[: request.num - room],
            request.arrive_by,
        )
        itineraries = tag_itineraries(itineraries)
        reason = None
        if not itineraries:
            if not origins or not targets:
                which = "origin" if not origins else "destination"
                reason = f"no stop within {request.max_walk_m:.0f} m walking of the {which}"
            else:
                reason = (
                    "no connection found for this time"
                    + (" with wheelchair-accessible trips and stops" if request.wheelchair else "")
                    + (f" using only {', '.join(sorted(request.modes))}" if request.modes else "")
                )
        return JourneyPlan(itineraries=itineraries, reason=reason, source="embedded", co2=basis)

    def _multimodal(
        self,
        request: JourneyRequest,
        origins: list[tuple[int, int]],
        targets: list[tuple[int, int]],
        service_date: date,
        clock: int,
        options: RouterOptions,
    ) -> list[Itinerary]:
        """The best itinerary with a rented vehicle first, one last, and one with the shuttle."""
        if self.session is None:
            return []
        language = request.language
        ctx = multimodal.Context(
            session=self.session,
            tt=self.tt,
            stop_place=lambda s: self._place(s, Endpoint(), language),
            language=language,
            walk_speed_mps=request.walk_speed_mps,
            modes=request.modes,
            wheelchair=request.wheelchair,
        )
        when = multimodal.clock_at(service_date, self.tt.timezone)
        found: list[Itinerary] = []

        def route(
            o: list[tuple[int, int]],
            t: list[tuple[int, int]],
            access: dict[int, multimodal.Option],
            egress: dict[int, multimodal.Option],
        ) -> None:
            if not o or not t:
                return
            query = arrive_by if request.arrive_by else earliest_arrival
            built = []
            for journey in query(self.tt, o, t, service_date, clock, options):
                plain = self._itinerary(journey, request, service_date)
                itinerary = multimodal.rebuild(plain, journey, access, egress, when)
                if itinerary is not None and _modes_allowed(itinerary, request.modes):
                    built.append(itinerary)
            found.extend(_sorted(built, request.arrive_by)[:1])

        origin = self._endpoint_place(request.origin, "出発地", "Origin", language)
        for access in multimodal.rental_access(ctx, origin, request.max_walk_m).values():
            route(multimodal.options_for(access), targets, access, {})
        if request.origin.stop_id is None:  # the shuttle picks up at home, not at a stop
            home = multimodal.shuttle_access(ctx, origin, service_date, clock, request.arrive_by)
            route(multimodal.options_for(home), targets, home, {})
        end = self._endpoint_place(request.destination, "目的地", "Destination", language)
        for egress in multimodal.rental_egress(ctx, end).values():
            route(origins, multimodal.options_for(egress), {}, egress)
        return found

    def _endpoint_place(self, endpoint: Endpoint, ja: str, en: str, language: str) -> Place:
        """The origin or destination as a place; a stop keeps its name."""
        if endpoint.stop_id is not None:
            return self._place(self.tt.stop_index(endpoint.stop_id), endpoint, language)
        lat, lon = self._coords(endpoint)
        return Place(name=ja if language == "ja" else en, lat=lat, lon=lon)

    def _place(self, stop: int | None, endpoint: Endpoint, language: str) -> Place:
        if stop is None:
            lat, lon = self._coords(endpoint)
            return Place(name="", lat=lat, lon=lon)
        return Place(
            name=self.network.stop_name(stop, language),
            stop_id=self.tt.stop_ids[stop],
            lat=float(self.tt.stop_lat[stop]),
            lon=float(self.tt.stop_lon[stop]),
        )

    def _itinerary(self, journey: Journey, request: JourneyRequest, day: date) -> Itinerary:
        tz = self.tt.timezone
        factors = co2.factors()
        legs: list[Leg] = []
        for leg in journey.legs:
            if isinstance(leg, WalkLeg):
                start = self._place(leg.from_stop, request.origin, request.language)
                end = self._place(leg.to_stop, request.destination, request.language)
                if leg.from_stop is None:
                    start.name = "出発地" if request.language == "ja" else "Origin"
                if leg.to_stop is None:
                    end.name = "目的地" if request.language == "ja" else "Destination"
                points = [(start.lat, start.lon), (end.lat, end.lon)]
                legs.append(
                    Leg(
                        mode="WALK",
                        from_=start,
                        to=end,
                        start=at(day, leg.start_s, tz),
                        end=at(day, leg.end_s, tz),
                        duration_s=leg.end_s - leg.start_s,
                        distance_m=round(leg.metres, 1),
                        geometry=encode(points),
                        co2_g=0.0,
                    )
                )
                continue
            legs.append(self._transit_leg(leg, request.language, day, factors))
        straight = haversine_m(*self._coords(request.origin), *self._coords(request.destination))
        total_co2 = round(sum(leg.co2_g for leg in legs), 1)
        car = round(factors.car_g(straight), 1)
        return Itinerary(
            start=at(day, journey.depart_s, tz),
            end=at(day, journey.arrive_s, tz),
            duration_s=journey.duration_s,
            transfers=journey.transfers,
            walk_distance_m=round(journey.walk_metres, 1),
            co2_g=total_co2,
            car_co2_g=car,
            co2_saved_g=round(max(0.0, car - total_co2), 1),
            legs=legs,
        )

    def _transit_leg(
        self, leg: TransitLeg, language: str, day: date, factors: co2.Co2Factors
    ) -> Leg:
        tt, tz = self.tt, self.tt.timezone
        route = route_out(self.network, leg.route, language)
        points = leg_geometry(tt, leg)
        distance = _path_m(points)
        calls = [
            StopCall(
                stop_id=tt.stop_ids[s],
                name=self.network.stop_name(s, language),
                lat=float(tt.stop_lat[s]),
                lon=float(tt.stop_lon[s]),
                arrival=at(day, a, tz),
                departure=at(day, d, tz),
            )
            for s, a, d in list(zip(leg.stops, leg.arrivals, leg.departures, strict=True))[1:-1]
        ]
        return Leg(
            mode=route.mode,
            from_=self._place(leg.board_stop, Endpoint(), language),
            to=self._place(leg.alight_stop, Endpoint(), language),
            start=at(day, leg.board_s, tz),
            end=at(day, leg.alight_s, tz),
            duration_s=leg.alight_s - leg.board_s,
            distance_m=round(distance, 1),
            route=route,
            trip_id=tt.trip_id(leg.trip),
            headsign=headsign(self.network, leg.trip, language, leg.stops[-1]),
            intermediate_stops=calls,
            geometry=encode(points),
            co2_g=round(factors.leg_g(route.mode, distance), 1),
        )


def _signature(journey: Journey) -> tuple[object, ...]:
    legs = tuple(
        (leg.trip, leg.board_stop, leg.alight_stop) if isinstance(leg, TransitLeg) else ("walk",)
        for leg in journey.legs
    )
    return (*legs, journey.depart_s, journey.arrive_s)


def _merge(first: list[Journey], second: list[Journey]) -> list[Journey]:
    seen = {_signature(j) for j in first}
    merged = list(first)
    for journey in second:
        if _signature(journey) not in seen:
            seen.add(_signature(journey))
            merged.append(journey)
    return merged


def tag_itineraries(itineraries: list[Itinerary]) -> list[Itinerary]:
    """Mark the fastest, the one with fewest transfers and the one with least walking."""
    if not itineraries:
        return itineraries
    min(itineraries, key=lambda i: (i.end, i.duration_s)).tags.append("fastest")
    min(itineraries, key=lambda i: (i.transfers, i.end)).tags.append("fewest_transfers")
    min(itineraries, key=lambda i: (i.walk_distance_m, i.end)).tags.append("least_walking")
    return itineraries

"""Stop search, nearby stops and departure boards."""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from server.core.errors import InvalidInput, NotFound
from server.transit.japanese import search_terms
from server.transit.models import TransitStop
from server.transit.network import Network
from server.transit.schemas import Departure, DepartureBoard, Route, Stop, StopList

TOKYO = ZoneInfo("Asia/Tokyo")
DAY_S = 86_400
EARTH_RADIUS_M = 6_371_008.8
LANGUAGES = ("ja", "en")
_MODES = {
    0: "TRAM",
    1: "SUBWAY",
    2: "RAIL",
    3: "BUS",
    4: "FERRY",
    5: "CABLE_CAR",
    6: "GONDOLA",
    7: "FUNICULAR",
    11: "TROLLEYBUS",
    12: "MONORAIL",
}
# Extended route types (Google's HVT list) by hundreds.
_EXTENDED = {1: "RAIL", 2: "COACH", 4: "SUBWAY", 7: "BUS", 8: "TROLLEYBUS", 9: "TRAM", 10: "FERRY"}


def route_mode(route_type: int) -> str:
    if route_type in _MODES:
        return _MODES[route_type]
    return _EXTENDED.get(route_type // 100, "BUS")


def preferred_language(accept_language: str | None) -> str:
    """The first of ja/en the client accepts, by q-value; Japanese when it names neither."""
    best: tuple[float, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        key = (q - position * 1e-6, primary)
        if best is None or key > best:
            best = key
    return best[1] if best else "ja"


def parse_when(text: str | None, now: datetime | None = None) -> datetime:
    """ISO 8601 date-time; without an offset it is Tokyo time; absent means now."""
    if not text:
        return (now or datetime.now(UTC)).astimezone(TOKYO)
    try:
        when = datetime.fromisoformat(
            text.strip().replace(" ", "+", 1) if "T" in text and " " in text else text.strip()
        )
    except ValueError:
        raise InvalidInput(f"time: {text!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=TOKYO)
    return when


def local_clock(when: datetime, timezone: str) -> tuple[date, int]:
    """The service date and seconds since its midnight, in the feed's time zone."""
    local = when.astimezone(ZoneInfo(timezone))
    return local.date(), local.hour * 3600 + local.minute * 60 + local.second


def at(service_date: date, seconds: int, timezone: str) -> datetime:
    """A GTFS time (seconds after the service date's midnight, may exceed 24 h) as a datetime."""
    midnight = datetime(
        service_date.year, service_date.month, service_date.day, tzinfo=ZoneInfo(timezone)
    )
    return midnight + timedelta(seconds=int(seconds))


def _stop_out(stop: TransitStop, language: str, distance_m: float | None = None) -> Stop:
    name = stop.name_en if language == "en" and stop.name_en else stop.name
    return Stop(
        stop_id=stop.id,
        name=name,
        name_kana=stop.name_kana,
        name_en=stop.name_en,
        lat=stop.lat,
        lon=stop.lon,
        location_type=stop.location_type,
        parent_station=stop.parent_id,
        wheelchair_boarding=stop.wheelchair_boarding,
        distance_m=None if distance_m is None else round(distance_m, 1),
    )


def search_stops(session: Session, query: str, language: str, limit: int = 20) -> StopList:
    """Stops whose name, kana reading, romaji or English contains the query (any width/case)."""
    terms = search_terms(query)
    if not terms:
        raise InvalidInput("q: type at least one letter of a stop name")
    matches = or_(*(col(TransitStop.search_key).contains(t, autoescape=True) for t in terms))
    starts = or_(*(col(TransitStop.search_key).startswith(t, autoescape=True) for t in terms))
    rank = case((starts, 0), else_=1)
    statement = (
        select(TransitStop)
        # A platform is found through its station: one row per place a person means.
        .where(matches, col(TransitStop.parent_id).is_(None), col(TransitStop.location_type) <= 1)
        .order_by(
            rank,
            col(TransitStop.location_type).desc(),
            func.length(TransitStop.name),
            TransitStop.id,
        )
        .limit(limit)
    )
    return StopList(stops=[_stop_out(s, language) for s in session.exec(statement).all()])


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def nearby_stops(
    session: Session, lat: float, lon: float, radius_m: float, language: str, limit: int = 50
) -> StopList:
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    statement = select(TransitStop).where(
        col(TransitStop.lat).between(lat - dlat, lat + dlat),
        col(TransitStop.lon).between(lon - dlon, lon + dlon),
        col(TransitStop.parent_id).is_(None),
        col(TransitStop.location_type) <= 1,
    )
    found = []
    for stop in session.exec(statement).all():
        assert stop.lat is not None
        assert stop.lon is not None
        distance = haversine_m(lat, lon, stop.lat, stop.lon)
        if distance <= radius_m:
            found.append((distance, stop))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return StopList(stops=[_stop_out(s, language, d) for d, s in found[:limit]])


def route_out(network: Network, route: int, language: str) -> Route:
    tt = network.timetable
    public_id = tt.route_ids[route]
    color = tt.route_colors[route] or None
    text_color = tt.route_text_colors[route] or None
    return Route(
        route_id=public_id,
        short_name=network.translate(
            public_id, "routes", "route_short_name", tt.route_short_names[route], language
        ),
        long_name=network.translate(
            public_id, "routes", "route_long_name", tt.route_long_names[route], language
        ),
        color=color.lstrip("#").upper() if color else None,
        text_color=text_color.lstrip("#").upper() if text_color else None,
        mode=route_mode(int(tt.route_type[route])),
    )


def headsign(network: Network, trip: int, language: str, last_stop: int) -> str:
    tt = network.timetable
    text = tt.trip_headsign(trip)
    if not text:
        return network.stop_name(last_stop, language)
    return network.translate(tt.trip_id(trip), "trips", "trip_headsign", text, language)


def departures(
    session: Session,
    network: Network | None,
    stop_id: str,
    when: datetime,
    language: str,
    limit: int = 20,
) -> DepartureBoard:
    """The next departures from a stop (a station: from any of its platforms), by the calendar."""
    stop = session.get(TransitStop, stop_id)
    if stop is None or network is None:
        raise NotFound(f"no stop {stop_id!r}; find stop ids with /api/v1/stops?q=")
    tt = network.timetable
    try:
        index = tt.stop_index(stop_id)
    except KeyError:
        raise NotFound(f"no stop {stop_id!r} in the timetable") from None
    service_date, now_s = local_clock(when, tt.timezone)
    day = tt.day_index(service_date)
    n_days = tt.service_days.shape[1]
    found: list[
        tuple[int, int, int, int, int]
    ] = []  # (time on query clock, day offset, trip, stop, last stop)
    for s in network.expand_stop(index):
        for k in range(int(tt.stop_pat_ofs[s]), int(tt.stop_pat_ofs[s + 1])):
            p, pos = int(tt.stop_pats[k]), int(tt.stop_pat_pos[k])
            first, last = int(tt.pat_stop_ofs[p]), int(tt.pat_stop_ofs[p + 1])
            n_st = last - first
            if pos == n_st - 1 or not tt.pat_flags[first + pos] & 1:
                continue  # nobody boards here: the last stop, or pickup_type 1
            trips = tt.pat_trips[int(tt.pat_trip_ofs[p]) : int(tt.pat_trip_ofs[p + 1])]
            times = tt.st_dep[int(tt.pat_st_ofs[p]) + np.arange(trips.size) * n_st + pos]
            services = tt.gtfs_trip_service[tt.trip_gtfs[trips]]
            # Yesterday's trips past 24:00, today's, and tomorrow's early ones.
            for offset in (-1, 0, 1):
                d = day + offset
                if not 0 <= d < n_days:
                    continue
                clock = times.astype(np.int64) + offset * DAY_S
                ok = (tt.service_days[services, d] == 1) & (clock >= now_s)
                for i in np.flatnonzero(ok)[:limit].tolist():
                    found.append(
                        (int(clock[i]), offset, int(trips[i]), s, int(tt.pat_stops[last - 1]))
                    )
    found.sort()
    rows = []
    for seconds, offset, trip, s, terminus in found[:limit]:
        rows.append(
            Departure(
                stop_id=tt.stop_ids[s],
                departure=at(service_date, seconds, tt.timezone),
                service_date=service_date + timedelta(days=offset),
                trip_id=tt.trip_id(trip),
                headsign=headsign(network, trip, language, terminus),
                route=route_out(network, tt.trip_route(trip), language),
            )
        )
    return DepartureBoard(stop=_stop_out(stop, language), time=when, departures=rows)

"""Other operators' GBFS feeds (v2.x or 3.0): fetch through httpx, store their vehicles and
stations under their own system_id so the app and the router can show them."""

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session, col, delete, select

from server.core.errors import InvalidInput, UpstreamError
from server.mobility.fleet import utcnow
from server.mobility.models import Booking, ExternalFeed, Station, Vehicle, VehicleType

log = logging.getLogger(__name__)

# Our own words for GBFS propulsion/form factors we store as they come; anything else is
# kept as "other" so a new value in a future version never breaks ingestion.
FORM_FACTORS = {
    "bicycle",
    "cargo_bicycle",
    "car",
    "moped",
    "scooter_standing",
    "scooter_seated",
    "other",
    "scooter",
}


@dataclass
class FetchedFeed:
    """One operator's feed, already reduced to the version-independent fields we use."""

    url: str
    version: str
    system_id: str
    name: str
    vehicle_types: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    station_status: list[dict[str, Any]] = field(default_factory=list)
    vehicles: list[dict[str, Any]] = field(default_factory=list)


def text_of(value: Any, language: str = "ja") -> str:
    """A plain string (2.x) or localized strings [{text, language}] (3.0) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        for item in value:
            if isinstance(item, dict) and str(item.get("language", "")).startswith(language):
                return str(item.get("text", ""))
        first = value[0]
        return str(first.get("text", "")) if isinstance(first, dict) else str(first)
    return ""


def feed_urls(discovery: dict[str, Any]) -> dict[str, str]:
    """name → URL from gbfs.json: `data.feeds` in 3.0, `data.<language>.feeds` in 2.x."""
    data = discovery.get("data")
    if not isinstance(data, dict):
        raise UpstreamError("gbfs.json has no data object")
    feeds = data.get("feeds")
    if feeds is None:
        languages = [v for v in data.values() if isinstance(v, dict) and "feeds" in v]
        preferred = data.get("ja") or data.get("en") or (languages[0] if languages else None)
        if not isinstance(preferred, dict):
            raise UpstreamError("gbfs.json lists no feeds")
        feeds = preferred.get("feeds")
    if not isinstance(feeds, list):
        raise UpstreamError("gbfs.json lists no feeds")
    return {
        str(f["name"]): str(f["url"])
        for f in feeds
        if isinstance(f, dict) and "name" in f and "url" in f
    }


class GbfsClient:
    """Reads a GBFS feed over one injected httpx.AsyncClient; failures become UpstreamError."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            body = response.json()
        except httpx.HTTPStatusError as exc:
            raise UpstreamError(f"{url} answered HTTP {exc.response.status_code}") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{url} could not be fetched: {exc}") from None
        except ValueError:
            raise UpstreamError(f"{url} is not JSON") from None
        if not isinstance(body, dict):
            raise UpstreamError(f"{url} is not a GBFS file (not a JSON object)")
        return body

    async def _data(self, urls: dict[str, str], name: str, key: str) -> list[dict[str, Any]]:
        if name not in urls:
            return []
        data = (await self._get(urls[name])).get("data") or {}
        items = data.get(key) if isinstance(data, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    async def fetch(self, url: str) -> FetchedFeed:
        discovery = await self._get(url)
        version = str(discovery.get("version", "1.0"))
        urls = feed_urls(discovery)
        if "system_information" not in urls:
            raise UpstreamError(f"{url} lists no system_information feed")
        system = (await self._get(urls["system_information"])).get("data") or {}
        system_id = str(system.get("system_id", "")).strip()
        if not system_id:
            raise UpstreamError("system_information has no system_id")
        if version.startswith("3"):
            vehicles = await self._data(urls, "vehicle_status", "vehicles")
        else:
            vehicles = await self._data(urls, "free_bike_status", "bikes")
        return FetchedFeed(
            url=url,
            version=version,
            system_id=system_id,
            name=text_of(system.get("name")) or system_id,
            vehicle_types=await self._data(urls, "vehicle_types", "vehicle_types"),
            stations=await self._data(urls, "station_information", "stations"),
            station_status=await self._data(urls, "station_status", "stations"),
            vehicles=vehicles,
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def ingest(session: Session, feed: FetchedFeed, *, own_system_id: str) -> ExternalFeed:
    """Replace everything stored for this system with the feed's current content."""
    system = feed.system_id
    if system == own_system_id:
        raise InvalidInput(f"{feed.url} is our own system {system}; it is not an external feed")
    prefix = f"{system}:"
    # Another operator's vehicles are never booked here, but make sure before deleting.
    session.exec(delete(Booking).where(col(Booking.vehicle_id).startswith(prefix)))
    for table in (Vehicle, Station, VehicleType):
        session.exec(delete(table).where(col(table.system_id) == system))
    session.flush()

    types: dict[str, VehicleType] = {}
    for raw in feed.vehicle_types:
        type_id = str(raw.get("vehicle_type_id", ""))
        if not type_id:
            continue
        form = str(raw.get("form_factor", "other"))
        types[type_id] = VehicleType(
            id=prefix + type_id,
            system_id=system,
            name=text_of(raw.get("name")) or type_id,
            form_factor=form if form in FORM_FACTORS else "other",
            propulsion_type=str(raw.get("propulsion_type", "human")),
            max_range_meters=_number(raw.get("max_range_meters")),
            rentable=True,  # rented in the operator's own app; vehicles are not bookable
        )
    default_type = VehicleType(
        id=prefix + "default",
        system_id=system,
        name="bicycle",
        form_factor="bicycle",  # GBFS before vehicle_types: every vehicle is a bicycle
        propulsion_type="human",
        rentable=True,
    )

    stations: dict[str, Station] = {}
    for raw in feed.stations:
        station_id = str(raw.get("station_id", ""))
        lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
        if not station_id or lat is None or lon is None:
            continue
        capacity = raw.get("capacity")
        stations[station_id] = Station(
            id=prefix + station_id,
            system_id=system,
            name=text_of(raw.get("name")) or station_id,
            lat=lat,
            lon=lon,
            capacity=capacity if isinstance(capacity, int) and capacity >= 0 else 0,
            is_virtual=bool(raw.get("is_virtual_station", False)),
        )

    vehicles: list[Vehicle] = []
    for raw in feed.vehicles:
        vehicle_id = str(raw.get("vehicle_id") or raw.get("bike_id") or "")
        station = stations.get(str(raw.get("station_id", "")))
        lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
        if lat is None or lon is None:
            if station is None:
                continue  # nowhere to show it
            lat, lon = station.lat, station.lon
        if not vehicle_id:
            continue
        vtype = types.get(str(raw.get("vehicle_type_id", ""))) or default_type
        types.setdefault(vtype.id.removeprefix(prefix), vtype)
        fuel = _number(raw.get("current_fuel_percent"))
        status = "available"
        if raw.get("is_disabled"):
            status = "disabled"
        elif raw.get("is_reserved"):
            status = "reserved"
        uris = raw.get("rental_uris")
        vehicles.append(
            Vehicle(
                id=prefix + vehicle_id,
                system_id=system,
                vehicle_type_id=vtype.id,
                public_id=f"{system}:{vehicle_id}"[:64],
                code=vehicle_id[:30],
                lat=lat,
                lon=lon,
                station_id=station.id if station else None,
                battery_percent=None if fuel is None else round(min(max(fuel, 0), 1) * 100),
                current_range_meters=_number(raw.get("current_range_meters")),
                status=status,
                bookable=False,
                rental_uri=str(uris.get("web") or uris.get("android") or "")[:1000] or None
                if isinstance(uris, dict)
                else None,
            )
        )

    session.add_all([*types.values(), *stations.values()])
    session.flush()
    session.add_all(vehicles)
    record = session.get(ExternalFeed, system) or ExternalFeed(system_id=system, url=feed.url)
    record.url = feed.url
    record.name = feed.name
    record.version = feed.version
    record.vehicles = len(vehicles)
    record.stations = len(stations)
    record.last_fetched = utcnow()
    session.add(record)
    session.flush()
    log.info(
        "GBFS %s (%s): %d vehicles, %d stations", system, feed.version, len(vehicles), len(stations)
    )
    return record


def list_feeds(session: Session) -> list[ExternalFeed]:
    return list(session.exec(select(ExternalFeed).order_by(col(ExternalFeed.system_id))).all())

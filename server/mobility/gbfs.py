"""GBFS 2.3 publisher: our own fleet at /gbfs/*.json, what OpenTripPlanner and other MaaS
apps read. Vehicles in a ride are left out; held or reserved ones are `is_reserved`."""

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session, col, select

from server.core.db import SessionDep
from server.core.settings import Settings
from server.mobility import fleet
from server.mobility.models import GeofencingZone, PricingPlan, Station, Vehicle, VehicleType

GBFS_VERSION = "2.3"
# Fleet, stations, zones and prices change by operator action, not every few seconds.
STATIC_TTL = 300
FEEDS = (
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "free_bike_status",
    "geofencing_zones",
    "system_pricing_plans",
)
_ZONE_ORDER = {"no_parking": 0, "slow": 1, "operating_area": 2}


def _posix(moment: datetime) -> int:
    return int(fleet.as_utc(moment).timestamp())


def _latest(rows: Iterable[Any], default: datetime) -> int:
    moments = [fleet.as_utc(r.updated_at) for r in rows]
    return _posix(max(moments, default=default))


def _envelope(data: dict[str, Any], last_updated: int, ttl: int) -> dict[str, Any]:
    return {"last_updated": last_updated, "ttl": ttl, "version": GBFS_VERSION, "data": data}


class GbfsPublisher:
    """Builds each GBFS file from the database for one system."""

    def __init__(self, session: Session, settings: Settings, base_url: str) -> None:
        self.session = session
        self.system_id = settings.gbfs_system_id
        self.status_ttl = settings.gbfs_ttl_seconds
        self.base_url = base_url.rstrip("/")
        self.now = fleet.utcnow()

    def _types(self) -> list[VehicleType]:
        return list(
            self.session.exec(
                select(VehicleType)
                .where(VehicleType.system_id == self.system_id, col(VehicleType.rentable))
                .order_by(col(VehicleType.id))
            ).all()
        )

    def _stations(self) -> list[Station]:
        return list(
            self.session.exec(
                select(Station).where(Station.system_id == self.system_id).order_by(col(Station.id))
            ).all()
        )

    def _vehicles(self) -> list[Vehicle]:
        type_ids = [t.id for t in self._types()]
        return list(
            self.session.exec(
                select(Vehicle)
                .where(
                    Vehicle.system_id == self.system_id,
                    col(Vehicle.vehicle_type_id).in_(type_ids),
                    col(Vehicle.status) != "in_use",
                )
                .order_by(col(Vehicle.id))
            ).all()
        )

    def _static_updated(self) -> int:
        rows: list[Any] = [*self._types(), *self._stations()]
        rows += self.session.exec(
            select(GeofencingZone).where(GeofencingZone.system_id == self.system_id)
        ).all()
        rows += self.session.exec(
            select(PricingPlan).where(PricingPlan.system_id == self.system_id)
        ).all()
        return _latest(rows, self.now)

    def feed(self, name: str) -> dict[str, Any]:
        builder = getattr(self, name)
        result: dict[str, Any] = builder()
        return result

    def gbfs(self) -> dict[str, Any]:
        feeds = [{"name": name, "url": f"{self.base_url}/gbfs/{name}.json"} for name in FEEDS]
        return _envelope({"ja": {"feeds": feeds}}, self._static_updated(), STATIC_TTL)

    def system_information(self) -> dict[str, Any]:
        data = {
            "system_id": self.system_id,
            "language": "ja",
            "name": "machi 日立シェアモビリティ",
            "short_name": "machi",
            "operator": "日立市 (Hitachi City)",
            "timezone": "Asia/Tokyo",
            "url": self.base_url,
        }
        return _envelope(data, self._static_updated(), STATIC_TTL)

    def vehicle_types(self) -> dict[str, Any]:
        types = self._types()
        data = []
        for t in types:
            item: dict[str, Any] = {
                "vehicle_type_id": t.id,
                "form_factor": t.form_factor,
                "propulsion_type": t.propulsion_type,
                "name": t.name,
                "rider_capacity": t.rider_capacity,
            }
            if t.max_range_meters is not None:
                item["max_range_meters"] = t.max_range_meters
            if t.default_pricing_plan_id:
                item["default_pricing_plan_id"] = t.default_pricing_plan_id
            data.append(item)
        return _envelope({"vehicle_types": data}, _latest(types, self.now), STATIC_TTL)

    def station_information(self) -> dict[str, Any]:
        stations = self._stations()
        data = [
            {
                "station_id": s.id,
                "name": s.name,
                "lat": s.lat,
                "lon": s.lon,
                "capacity": s.capacity,
                "is_virtual_station": s.is_virtual,
                "rental_methods": ["phone"],
            }
            for s in stations
        ]
        return _envelope({"stations": data}, _latest(stations, self.now), STATIC_TTL)

    def station_status(self) -> dict[str, Any]:
        vehicles = self._vehicles()
        type_ids = [t.id for t in self._types()]
        now = _posix(self.now)
        data = []
        for s in self._stations():
            here = [v for v in vehicles if v.station_id == s.id]
            available = [v for v in here if fleet.is_available(v, self.now)]
            disabled = [v for v in here if v.status in ("disabled", "maintenance")]
            data.append(
                {
                    "station_id": s.id,
                    "num_bikes_available": len(available),
                    "vehicle_types_available": [
                        {
                            "vehicle_type_id": tid,
                            "count": sum(v.vehicle_type_id == tid for v in available),
                        }
                        for tid in type_ids
                    ],
                    "num_bikes_disabled": len(disabled),
                    "num_docks_available": max(0, s.capacity - len(here)),
                    "is_installed": True,
                    "is_renting": True,
                    "is_returning": True,
                    "last_reported": now,
                }
            )
        return _envelope({"stations": data}, now, self.status_ttl)

    def free_bike_status(self) -> dict[str, Any]:
        bikes = []
        for v in self._vehicles():
            bike: dict[str, Any] = {
                # The rotating public id, never our stable one (GBFS 2.x privacy rule).
                "bike_id": v.public_id,
                "lat": v.lat,
                "lon": v.lon,
                "is_reserved": v.status == "reserved" and not fleet.is_available(v, self.now),
                "is_disabled": v.status in ("disabled", "maintenance"),
                "vehicle_type_id": v.vehicle_type_id,
                "last_reported": _posix(v.last_reported),
                "current_range_meters": v.current_range_meters or 0,
            }
            if v.battery_percent is not None:
                bike["current_fuel_percent"] = v.battery_percent / 100
            if v.station_id:
                bike["station_id"] = v.station_id
            bikes.append(bike)
        return _envelope({"bikes": bikes}, _posix(self.now), self.status_ttl)

    def geofencing_zones(self) -> dict[str, Any]:
        zones = sorted(
            self.session.exec(
                select(GeofencingZone).where(GeofencingZone.system_id == self.system_id)
            ).all(),
            # Overlapping zones: the first listed applies, so the most specific come first.
            key=lambda z: (_ZONE_ORDER.get(z.kind, 9), z.id),
        )
        features = []
        for z in zones:
            rule: dict[str, Any] = {
                "ride_allowed": z.ride_end_allowed,
                "ride_through_allowed": z.ride_through_allowed,
            }
            if z.vehicle_type_ids:
                rule["vehicle_type_id"] = z.vehicle_type_ids.split()
            if z.maximum_speed_kph is not None:
                rule["maximum_speed_kph"] = z.maximum_speed_kph
            if not z.ride_end_allowed:
                rule["station_parking"] = True
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiPolygon",
                        "coordinates": fleet.zone_coordinates(z),
                    },
                    "properties": {"name": z.name, "rules": [rule]},
                }
            )
        data = {"geofencing_zones": {"type": "FeatureCollection", "features": features}}
        return _envelope(data, _latest(zones, self.now), STATIC_TTL)

    def system_pricing_plans(self) -> dict[str, Any]:
        plans = list(
            self.session.exec(
                select(PricingPlan)
                .where(PricingPlan.system_id == self.system_id)
                .order_by(col(PricingPlan.id))
            ).all()
        )
        data = [
            {
                "plan_id": p.id,
                "name": p.name,
                "currency": p.currency,
                "price": p.unlock_price,
                "is_taxable": p.is_taxable,
                "description": p.description or p.name,
                "per_min_pricing": [{"start": 0, "rate": p.per_minute, "interval": 1}],
            }
            for p in plans
        ]
        return _envelope({"plans": data}, _latest(plans, self.now), STATIC_TTL)


def get_publisher(request: Request, session: SessionDep) -> GbfsPublisher:
    settings: Settings = request.app.state.settings
    base = settings.public_url or str(request.base_url)
    return GbfsPublisher(session, settings, base)


PublisherDep = Annotated[GbfsPublisher, Depends(get_publisher)]

router = APIRouter(prefix="/gbfs", tags=["gbfs"])


def _serve(publisher: GbfsPublisher, name: str, response: Response) -> dict[str, Any]:
    body = publisher.feed(name)
    response.headers["Cache-Control"] = f"public, max-age={body['ttl']}"
    return body


@router.get("/gbfs.json")
def gbfs(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    """GBFS 2.3 auto-discovery: the list of this system's feeds."""
    return _serve(publisher, "gbfs", response)


@router.get("/system_information.json")
def system_information(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "system_information", response)


@router.get("/vehicle_types.json")
def vehicle_types(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "vehicle_types", response)


@router.get("/station_information.json")
def station_information(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "station_information", response)


@router.get("/station_status.json")
def station_status(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "station_status", response)


@router.get("/free_bike_status.json")
def free_bike_status(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "free_bike_status", response)


@router.get("/geofencing_zones.json")
def geofencing_zones(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "geofencing_zones", response)


@router.get("/system_pricing_plans.json")
def system_pricing_plans(publisher: PublisherDep, response: Response) -> dict[str, Any]:
    return _serve(publisher, "system_pricing_plans", response)

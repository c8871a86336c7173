"""The demo fleet around Hitachi's JR stations and the ひたちBRT, and two hill-estate shuttles.

Coordinates come from the demo GTFS feed (gtfs/hitachi/stops.txt). Loading is idempotent:
rows are merged by id, and vehicles already booked keep their state.
"""

import json
from typing import Any

from sqlmodel import Session, SQLModel

from server.mobility import geo
from server.mobility.models import (
    GeofencingZone,
    PricingPlan,
    ShuttleService,
    ShuttleStop,
    Station,
    Vehicle,
    VehicleType,
)

SYSTEM_ID = "hitachi-machi"

PLANS = [
    PricingPlan(
        id="scooter-standard",
        system_id=SYSTEM_ID,
        name="電動キックボード 標準",
        unlock_price=50,
        per_minute=15,
        description="Unlock ¥50, then ¥15 per started minute (tax included)",
    ),
    PricingPlan(
        id="ebike-standard",
        system_id=SYSTEM_ID,
        name="電動アシスト自転車 標準",
        unlock_price=100,
        per_minute=10,
        description="Unlock ¥100, then ¥10 per started minute (tax included)",
    ),
]

TYPES = [
    VehicleType(
        id="e-kick",
        system_id=SYSTEM_ID,
        name="電動キックボード",
        name_en="E-kick scooter",
        form_factor="scooter_standing",
        propulsion_type="electric",
        max_range_meters=25_000,
        max_speed_kph=20,
        default_pricing_plan_id="scooter-standard",
    ),
    VehicleType(
        id="e-bike",
        system_id=SYSTEM_ID,
        name="電動アシスト自転車",
        name_en="E-bike",
        form_factor="bicycle",
        propulsion_type="electric_assist",
        max_range_meters=40_000,
        max_speed_kph=24,
        default_pricing_plan_id="ebike-standard",
    ),
    VehicleType(
        id="auto-shuttle",
        system_id=SYSTEM_ID,
        name="自動運転シャトル",
        name_en="Autonomous shuttle",
        form_factor="other",
        propulsion_type="electric",
        max_range_meters=60_000,
        max_speed_kph=19,
        rider_capacity=6,
        rentable=False,
    ),
]

# Ports beside the stations' exits and at BRT stops (lat, lon from the demo feed, nudged off
# the stop pole onto the pavement).
STATIONS = [
    ("hitachi-central", "日立駅中央口ポート", "Hitachi Sta. Central Exit", 36.59045, 140.65240, 10),
    ("taga", "常陸多賀駅ポート", "Hitachi-Taga Sta.", 36.55185, 140.63140, 8),
    ("omika-west", "大甕駅西口ポート", "Omika Sta. West Exit", 36.51480, 140.61760, 8),
    ("katsuta", "勝田駅ポート", "Katsuta Sta.", 36.39430, 140.52500, 8),
    ("brt-kawarago", "河原子(BRT)ポート", "Kawarago (BRT)", 36.53930, 140.64080, 6),
    ("brt-osakana", "おさかなセンター(BRT)ポート", "Osakana Center (BRT)", 36.48930, 140.62830, 6),
]

# Free-floating scooters: offsets in metres (north, east) from a station port.
FLOATING = {
    "hitachi-central": [(180, -120), (-220, -260), (320, 90), (-90, -480)],
    "taga": [(150, -200), (-260, -150), (60, 380)],
    "omika-west": [(230, -300), (-180, -420), (420, -120)],
    "katsuta": [(200, 150), (-300, 60)],
    "brt-kawarago": [(160, -90)],
    "brt-osakana": [(-140, 120)],
}


def _zone(
    zone_id: str,
    name: str,
    name_en: str,
    kind: str,
    coordinates: Any,
    **rules: Any,
) -> GeofencingZone:
    return GeofencingZone(
        id=zone_id,
        system_id=SYSTEM_ID,
        name=name,
        name_en=name_en,
        kind=kind,
        coordinates=json.dumps(coordinates),
        **rules,
    )


def demo_zones() -> list[GeofencingZone]:
    no_parking = {"ride_end_allowed": False, "ride_through_allowed": True}
    return [
        _zone(
            "operating-area",
            "日立市 運行エリア",
            "Hitachi operating area",
            "operating_area",
            [
                [
                    [
                        [140.50, 36.38],
                        [140.70, 36.38],
                        [140.70, 36.69],
                        [140.50, 36.69],
                        [140.50, 36.38],
                    ]
                ]
            ],
        ),
        _zone(
            "np-hitachi-plaza",
            "日立駅前広場",
            "Hitachi Station plaza",
            "no_parking",
            geo.box(36.5906, 140.6533, 90, 130),
            **no_parking,
        ),
        _zone(
            "np-taga-rotary",
            "常陸多賀駅前ロータリー",
            "Hitachi-Taga Station rotary",
            "no_parking",
            geo.box(36.5521, 140.6324, 60, 90),
            **no_parking,
        ),
        _zone(
            "np-omika-east",
            "大甕駅東口広場",
            "Omika Station east plaza",
            "no_parking",
            geo.box(36.5145, 140.6200, 50, 70),
            **no_parking,
        ),
        _zone(
            "slow-heiwa-dori",
            "平和通り(歩行者優先)",
            "Heiwa-dori (pedestrian priority)",
            "slow",
            geo.box(36.5888, 140.6455, 60, 330),
            maximum_speed_kph=6,
        ),
        _zone(
            "slow-taga-ekimae",
            "多賀駅前通り",
            "Taga Station street",
            "slow",
            geo.box(36.5517, 140.6285, 50, 200),
            maximum_speed_kph=6,
        ),
    ]


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    box = geo.box(lat, lon, abs(north_m) or 1, abs(east_m) or 1)[0][0]
    dlat = (box[2][1] - box[0][1]) / 2
    dlon = (box[1][0] - box[0][0]) / 2
    return (
        round(lat + dlat * (1 if north_m >= 0 else -1), 6),
        round(lon + dlon * (1 if east_m >= 0 else -1), 6),
    )


def demo_vehicles() -> list[Vehicle]:
    vehicles = []
    number = 0
    for station_id, _name, _en, lat, lon, _capacity in STATIONS:
        docked = [("e-kick", 92), ("e-kick", 78), ("e-bike", 85)]
        for type_id, battery in docked:
            number += 1
            vehicles.append(_vehicle(number, type_id, lat, lon, battery, station_id))
        for i, (north, east) in enumerate(FLOATING.get(station_id, [])):
            number += 1
            vlat, vlon = _offset(lat, lon, north, east)
            vehicles.append(_vehicle(number, "e-kick", vlat, vlon, 95 - 13 * i, None))
    return vehicles


def _vehicle(
    number: int, type_id: str, lat: float, lon: float, battery: int, station_id: str | None
) -> Vehicle:
    max_range = 25_000 if type_id == "e-kick" else 40_000
    prefix = "KS" if type_id == "e-kick" else "EB"
    return Vehicle(
        id=f"{prefix.lower()}-{number:03d}",
        system_id=SYSTEM_ID,
        vehicle_type_id=type_id,
        code=f"{prefix}-{number:03d}",
        lat=lat,
        lon=lon,
        station_id=station_id,
        battery_percent=battery,
        current_range_meters=max_range * battery / 100,
    )


SHUTTLES = [
    (
        ShuttleService(
            id="mikanohara",
            name="みかの原シャトル",
            name_en="Mikanohara shuttle",
            area=json.dumps(geo.box(36.5210, 140.6040, 700, 1300)),
            seats=6,
        ),
        [
            ("bus_omika_w", "大甕駅西口", "Omika Sta. West Exit", 36.51500, 140.61720),
            ("bus_ishinazaka", "石名坂", "Ishinazaka", 36.51900, 140.60300),
        ],
    ),
    (
        ShuttleService(
            id="kanesawa",
            name="金沢団地シャトル",
            name_en="Kanesawa estate shuttle",
            area=json.dumps(geo.box(36.5740, 140.6240, 500, 700)),
            seats=6,
        ),
        [
            ("bus_kanesawa_1", "金沢町一丁目", "Kanesawa-cho 1-chome", 36.57700, 140.62900),
            (
                "bus_kanesawa_entrance",
                "金沢団地入口",
                "Kanesawa Danchi Entrance",
                36.57350,
                140.62320,
            ),
        ],
    ),
]


def load_demo_fleet(session: Session) -> int:
    """Merge the demo fleet into the database; returns the number of vehicles."""
    rows: list[SQLModel] = [*PLANS, *TYPES]
    rows += [
        Station(id=sid, system_id=SYSTEM_ID, name=name, name_en=en, lat=lat, lon=lon, capacity=cap)
        for sid, name, en, lat, lon, cap in STATIONS
    ]
    rows += demo_zones()
    for row in rows:
        session.merge(row.model_copy())
    session.flush()
    vehicles = demo_vehicles()
    for vehicle in vehicles:
        if session.get(Vehicle, vehicle.id) is None:
            session.add(vehicle)
    for service, stops in SHUTTLES:
        session.merge(service.model_copy())
        session.flush()
        for stop_id, name, en, lat, lon in stops:
            session.merge(
                ShuttleStop(
                    service_id=service.id, stop_id=stop_id, name=name, name_en=en, lat=lat, lon=lon
                )
            )
    for number, (_service, stops) in enumerate(SHUTTLES, start=1):
        shuttle_id = f"shuttle-{number:02d}"
        if session.get(Vehicle, shuttle_id) is None:
            session.add(
                Vehicle(
                    id=shuttle_id,
                    system_id=SYSTEM_ID,
                    vehicle_type_id="auto-shuttle",
                    code=f"SH-{number:02d}",
                    lat=stops[0][3],
                    lon=stops[0][4],
                    battery_percent=88,
                    current_range_meters=52_800,
                    bookable=False,
                )
            )
    session.flush()
    return len(vehicles) + len(SHUTTLES)

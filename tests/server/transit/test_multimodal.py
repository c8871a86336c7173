"""Multimodal journeys on the demo feed and fleet: rail + e-scooter, the hill-estate shuttle,
the `modes` filter, parking where the zones allow, and booking from a leg end to end."""

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, SQLModel, select

from server.auth.access import Principal, Role, current_principal
from server.auth.models import User
from server.main import create_app
from server.mobility.demo import load_demo_fleet
from server.mobility.models import Vehicle
from server.transit import multimodal
from server.transit.schemas import Place

TOKYO = ZoneInfo("Asia/Tokyo")
NEAR_OMIKA = "36.5160,140.6200"  # a few minutes' walk from 大甕駅
FAR_FROM_HITACHI = "36.6010,140.6420"  # ~1.5 km north-west of 日立駅, no stop within a walk
KANESAWA_HOME = "36.5740,140.6240"  # inside the 金沢団地 shuttle's service area
HITACHI_PLAZA = Place(name="日立駅前広場", lat=36.5906, lon=140.6533)  # no parking


def next_sunday_at(hour: int, minute: int = 0) -> str:
    """A Sunday morning in the future (the weekend timetable, whatever day the test runs):
    there the 8:00 shuttle from 金沢団地 meets the bus. On weekday mornings the bus leaves
    the estate just before the first run arrives, and walking 2 minutes to the stop wins."""
    today = datetime.now(TOKYO).date()
    day = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO).isoformat()


def tomorrow_at(hour: int, minute: int = 0) -> str:
    """A weekday-or-weekend morning in the future: shuttle slots must be bookable now."""
    day = datetime.now(TOKYO).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO).isoformat()


@pytest.fixture(scope="module")
def api(demo_env: Any) -> Iterator[TestClient]:
    with Session(demo_env.engine) as session:
        load_demo_fleet(session)
        session.commit()
    app = create_app(demo_env.settings)
    users: list[str] = []

    def sign_in(role: Role = Role.RESIDENT) -> User:
        uid = uuid.uuid4().hex
        user = User(
            id=uid,
            username=f"mm-{uid[:10]}",
            role=role.value,
            patient_id=f"p-{uid[:12]}" if role is Role.RESIDENT else None,
        )
        with Session(demo_env.engine) as session:
            session.add(user)
            session.commit()
            session.refresh(user)
        users.append(uid)
        principal = Principal(
            subject=uid,
            role=role,
            patient_id=user.patient_id,
            scopes=frozenset({"openid", "user/*.cruds"}),
            client_id="machi-app",
        )
        app.dependency_overrides[current_principal] = lambda: principal
        return user

    with TestClient(app) as client:
        client.sign_in = sign_in
        yield client
    # The module's database outlives it on PostgreSQL: leave no fleet or bookings behind.
    with Session(demo_env.engine) as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name.startswith("mobility_"):
                session.execute(delete(table))
        for uid in users:
            user = session.get(User, uid)
            if user is not None:
                session.delete(user)
        session.commit()


def plan(api: TestClient, **params: str) -> dict[str, Any]:
    response = api.get("/api/v1/journeys", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def with_mode(data: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    return [i for i in data["itineraries"] if any(leg["mode"] == mode for leg in i["legs"])]


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_commuter_gets_rail_then_e_scooter_to_a_place_far_from_the_station(
    api: TestClient,
) -> None:
    data = plan(api, **{"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "time": tomorrow_at(8)})

    scooter = with_mode(data, "SCOOTER_RENTAL")
    assert scooter, data
    legs = scooter[0]["legs"]
    modes = [leg["mode"] for leg in legs]
    assert "RAIL" in modes
    assert modes.index("RAIL") < modes.index("SCOOTER_RENTAL")
    rail = legs[modes.index("RAIL")]
    ride = legs[modes.index("SCOOTER_RENTAL")]
    assert rail["from"]["name"] == "大甕駅"
    assert rail["to"]["name"] == "日立駅"
    assert ride["start"] >= rail["end"]
    assert ride["to"]["name"] == "目的地"
    booking = ride["booking"]
    assert booking["kind"] == "vehicle"
    assert booking["vehicle_id"].startswith("ks-")
    assert booking["estimated_price"] > 0
    # ~15 km/h over the road distance, plus unlocking and parking.
    assert 0 < ride["duration_s"] <= ride["distance_m"] / (15 / 3.6) + 130
    assert ride["co2_g"] == pytest.approx(60 * ride["distance_m"] / 1000, abs=0.1)
    assert "not MLIT" in data["co2"]["extra_source"]
    assert scooter[0]["start"] == legs[0]["start"]
    assert scooter[0]["end"] == legs[-1]["end"]
    # An e-bike waits at the same port: offered as its own alternative.
    assert with_mode(data, "BICYCLE_RENTAL")


def test_booking_the_scooter_from_the_leg_works_end_to_end(api: TestClient) -> None:
    data = plan(api, **{"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "time": tomorrow_at(8)})
    ride = next(
        leg
        for leg in with_mode(data, "SCOOTER_RENTAL")[0]["legs"]
        if leg["mode"] == "SCOOTER_RENTAL"
    )
    vehicle_id = ride["booking"]["vehicle_id"]
    api.sign_in(Role.RESIDENT)

    held = api.post("/api/v1/mobility/bookings", json={"vehicle_id": vehicle_id}, headers=key())
    assert held.status_code == 201, held.text
    booking_id = held.json()["id"]
    # Held: the planner no longer offers that vehicle to anyone.
    again = plan(api, **{"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "time": tomorrow_at(8)})
    offered = {
        leg["booking"]["vehicle_id"]
        for it in again["itineraries"]
        for leg in it["legs"]
        if leg.get("booking")
    }
    assert vehicle_id not in offered

    confirmed = api.post(f"/api/v1/mobility/bookings/{booking_id}/confirm", headers=key())
    assert confirmed.json()["state"] == "CONFIRMED", confirmed.text
    started = api.post(f"/api/v1/mobility/bookings/{booking_id}/start", headers=key())
    assert started.json()["state"] == "STARTED", started.text
    ended = api.post(
        f"/api/v1/mobility/bookings/{booking_id}/end",
        json={"lat": ride["booking"]["park_lat"], "lon": ride["booking"]["park_lon"]},
        headers=key(),
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["state"] == "FINISHED"
    assert ended.json()["final_price"] >= ride["booking"]["price"]["unlock_price"]


def test_resident_in_the_hill_estate_gets_the_shuttle_to_the_bus_and_books_it(
    api: TestClient,
) -> None:
    data = plan(
        api, **{"from": KANESAWA_HOME, "to": "stop:hitachi:jr_hitachi", "time": next_sunday_at(8)}
    )

    shuttle = with_mode(data, "SHUTTLE")
    assert shuttle, data
    legs = shuttle[0]["legs"]
    first, next_leg = legs[0], legs[1]
    assert first["mode"] == "SHUTTLE"
    assert first["from"]["name"] == "出発地"
    assert next_leg["mode"] == "BUS"
    assert first["end"] <= next_leg["start"]  # dropped at the stop before the bus leaves
    assert first["co2_g"] > 0
    booking = first["booking"]
    assert booking["kind"] == "shuttle"
    assert booking["service_id"] == "kanesawa"
    assert booking["stop_id"] == first["to"]["stop_id"].split(":", 1)[1]

    api.sign_in(Role.RESIDENT)
    booked = api.post(
        "/api/v1/mobility/shuttle/bookings",
        json={
            k: booking[k]
            for k in ("service_id", "slot_start", "stop_id", "direction", "lat", "lon")
        },
        headers=key(),
    )
    assert booked.status_code == 201, booked.text
    pickup = datetime.fromisoformat(booked.json()["pickup_at"].replace("Z", "+00:00"))
    assert pickup == datetime.fromisoformat(first["start"])
    assert booked.json()["stop_name"] == first["to"]["name"]
    assert "お迎え" in booked.json()["summary_ja"]


def test_arrive_by_picks_the_latest_shuttle_run_that_makes_the_bus(api: TestClient) -> None:
    data = plan(
        api,
        **{
            "from": KANESAWA_HOME,
            "to": "stop:hitachi:jr_hitachi",
            "time": tomorrow_at(10),
            "arrive_by": "true",
        },
    )
    shuttle = with_mode(data, "SHUTTLE")
    assert shuttle, data
    first, next_leg = shuttle[0]["legs"][:2]
    gap = datetime.fromisoformat(next_leg["start"]) - datetime.fromisoformat(first["end"])
    assert timedelta(minutes=2) <= gap < timedelta(minutes=2 + 15)  # runs every 15 minutes
    assert shuttle[0]["end"] <= tomorrow_at(10)


def test_modes_include_or_exclude_the_rented_and_shuttle_legs(api: TestClient) -> None:
    common = {"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "time": tomorrow_at(8)}

    only_scooter = plan(api, **common, modes="RAIL,SCOOTER_RENTAL")
    transit_only = plan(api, **common, modes="TRANSIT")
    home = plan(
        api,
        **{"from": KANESAWA_HOME, "to": "stop:hitachi:jr_hitachi", "time": next_sunday_at(8)},
        modes="BUS,RAIL",
    )

    assert with_mode(only_scooter, "SCOOTER_RENTAL")
    assert not with_mode(only_scooter, "BICYCLE_RENTAL")
    assert not with_mode(transit_only, "SCOOTER_RENTAL")
    assert not with_mode(transit_only, "BICYCLE_RENTAL")
    assert not with_mode(home, "SHUTTLE")
    assert home["itineraries"]


def test_wheelchair_users_get_the_shuttle_but_no_scooter(api: TestClient) -> None:
    scooter_trip = plan(
        api,
        **{"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "time": tomorrow_at(8)},
        wheelchair="true",
    )
    home = plan(
        api,
        **{"from": KANESAWA_HOME, "to": "stop:hitachi:jr_hitachi", "time": next_sunday_at(8)},
        wheelchair="true",
    )

    assert not with_mode(scooter_trip, "SCOOTER_RENTAL")
    assert not with_mode(scooter_trip, "BICYCLE_RENTAL")
    assert with_mode(home, "SHUTTLE")


def test_a_ride_towards_a_no_parking_plaza_ends_at_the_port(demo_env: Any) -> None:
    with Session(demo_env.engine) as session:
        load_demo_fleet(session)
        vehicle = session.exec(select(Vehicle).where(Vehicle.id == "ks-007")).one()
        parking = multimodal._Parking(session, "ja")

        spot = parking.spot(vehicle, HITACHI_PLAZA)
        free = parking.spot(vehicle, Place(name="", lat=36.5870, lon=140.6480))
        session.rollback()

    assert spot is not None
    assert spot[1] == "hitachi-central"
    assert spot[0].name == "日立駅中央口ポート"
    assert free is not None
    assert free[1] is None  # free-floating parking is allowed on that street


def test_unknown_mode_is_refused(api: TestClient) -> None:
    response = api.get(
        "/api/v1/journeys",
        params={"from": NEAR_OMIKA, "to": FAR_FROM_HITACHI, "modes": "HOVERBOARD"},
    )
    assert response.status_code == 422
    assert "SCOOTER_RENTAL" in response.text


def test_stop_to_stop_trips_also_offer_the_scooter_for_the_last_mile(api: TestClient) -> None:
    data = plan(
        api,
        **{
            "from": "stop:hitachi:jr_omika",
            "to": "stop:hitachi:bus_kanesawa_danchi",
            "time": tomorrow_at(8),
        },
    )

    scooter = with_mode(data, "SCOOTER_RENTAL")
    assert scooter, data
    ride = scooter[0]["legs"][-1]
    assert ride["mode"] == "SCOOTER_RENTAL"
    assert ride["to"]["name"] == "金沢団地"
    # Faster than the train and bus plain itinerary that arrives later.
    plain = [
        i
        for i in data["itineraries"]
        if i not in scooter and not with_mode({"itineraries": [i]}, "BICYCLE_RENTAL")
    ]
    assert all(scooter[0]["end"] <= i["end"] for i in plain)

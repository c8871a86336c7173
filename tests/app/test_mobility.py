"""The 乗り物 tab's state against the real server (ASGI) with a real access token: nearby
vehicles, reserve → unlock → end (refused in a no-parking zone, with the zones to show), a retry
after a dropped connection books once, the shuttle for elderly riders, and booking a leg."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.client.api import ApiClient
from app.client.mobility import MobilityState
from server.auth import tokens
from server.auth.models import User, new_id
from server.mobility.demo import load_demo_fleet

from .conftest import Switch  # noqa: TID252

SCOPE = "openid offline_access patient/*.cruds user/*.cruds"
HITACHI_PLAZA = (36.5906, 140.6538)  # 日立駅前広場: no parking


@pytest.fixture
async def phone(app: FastAPI, session: Session) -> AsyncIterator[tuple[MobilityState, Switch]]:
    load_demo_fleet(session)
    session.commit()
    uid = new_id()
    patient_id = f"p-{uid[:12]}"
    session.add(User(id=uid, username=f"r-{uid[:8]}", role="resident", patient_id=patient_id))
    session.flush()
    token = tokens.issue_access_token(
        session,
        app.state.settings,
        subject=uid,
        client_id="machi-app",
        scope=SCOPE,
        role="resident",
        patient_id=patient_id,
    )

    async def provide() -> str:
        return token

    network = Switch(app)
    api = ApiClient("http://machi.test", transport=network, token_provider=provide)
    yield MobilityState(api), network
    await api.aclose()


async def test_nearby_vehicles_show_battery_range_and_price_for_the_chosen_station(
    phone: tuple[MobilityState, Switch],
) -> None:
    mob, _ = phone

    await mob.load_nearby()
    at_hitachi = {v["id"] for v in mob.vehicles}
    await mob.choose_place(1)  # 常陸多賀駅

    assert at_hitachi
    assert mob.vehicles
    assert not at_hitachi & {v["id"] for v in mob.vehicles}
    first = mob.vehicles[0]
    assert first["battery_percent"] > 0
    assert first["current_range_meters"] > 0
    assert first["price"]["unlock_price"] > 0
    assert [v["distance_m"] for v in mob.vehicles] == sorted(v["distance_m"] for v in mob.vehicles)


async def test_reserve_unlock_ride_and_end_refused_in_the_plaza_then_at_the_port(
    phone: tuple[MobilityState, Switch],
) -> None:
    mob, _ = phone
    await mob.load_nearby()
    vehicle = mob.vehicles[0]

    booking = await mob.reserve(vehicle["id"])
    assert booking is not None
    assert [b["state"] for b in mob.active] == ["CONFIRMED"]
    assert mob.view == "bookings"
    await mob.unlock(booking["id"])
    assert [b["state"] for b in mob.active] == ["STARTED"]

    refused = await mob.end(booking["id"], *HITACHI_PLAZA)

    assert not refused
    assert mob.error is not None
    assert "no-parking" in mob.error
    assert "日立駅前広場" in [z["name"] for z in mob.no_parking]
    assert [b["state"] for b in mob.active] == ["STARTED"]

    port = next(s for s in mob.stations if s["id"] == "hitachi-central")
    assert await mob.end(booking["id"], port["lat"], port["lon"])
    assert mob.active == []
    finished = next(b for b in mob.bookings if b["id"] == booking["id"])
    assert finished["state"] == "FINISHED"
    assert finished["final_price"] >= vehicle["price"]["unlock_price"]


async def test_a_reserve_retried_after_no_signal_books_the_vehicle_once(
    phone: tuple[MobilityState, Switch],
) -> None:
    mob, network = phone
    await mob.load_nearby()
    vehicle_id = mob.vehicles[0]["id"]

    network.online = False
    assert await mob.reserve(vehicle_id) is None
    assert mob.error is not None
    network.online = True
    booking = await mob.reserve(vehicle_id)

    assert booking is not None
    assert [b["vehicle_id"] for b in mob.bookings] == [vehicle_id]


async def test_an_elderly_resident_books_the_shuttle_in_three_taps_and_hears_it_back(
    phone: tuple[MobilityState, Switch],
) -> None:
    mob, _ = phone

    await mob.load_services()
    mob.choose_service("kanesawa")
    service = mob.service()
    assert service is not None
    await mob.choose_stop(service["stops"][0]["stop_id"])
    assert 0 < len(mob.slots) <= 4
    booked = await mob.book_shuttle(mob.slots[0]["slot_start"])

    assert booked is not None
    assert mob.confirmation == booked
    assert "お迎えに行きます" in booked["summary_ja"]
    assert service["stops"][0]["name"] in booked["summary_ja"]
    await mob.load_bookings()
    assert [b["id"] for b in mob.shuttle_bookings] == [booked["id"]]


async def test_booking_from_a_journey_leg_reserves_its_vehicle_or_shuttle_seat(
    phone: tuple[MobilityState, Switch],
) -> None:
    mob, _ = phone
    await mob.load_services()
    mob.choose_service("mikanohara")
    await mob.choose_stop("bus_omika_w")
    slot = mob.slots[0]
    home = mob.home
    assert home is not None

    vehicle = await mob.book_leg(
        {"mode": "SCOOTER_RENTAL", "booking": {"kind": "vehicle", "vehicle_id": "ks-007"}}
    )
    seat = await mob.book_leg(
        {
            "mode": "SHUTTLE",
            "booking": {
                "kind": "shuttle",
                "service_id": "mikanohara",
                "slot_start": slot["slot_start"],
                "stop_id": "bus_omika_w",
                "direction": "to_stop",
                "lat": home[0],
                "lon": home[1],
            },
        }
    )

    assert vehicle is not None
    assert vehicle["state"] == "CONFIRMED"
    assert vehicle["vehicle_id"] == "ks-007"
    assert seat is not None
    assert seat["stop_id"] == "bus_omika_w"
    assert mob.view == "shuttle"
    assert mob.confirmation == seat

"""The on-demand shuttle: slots with pickup times, booking, the area, full runs, cancel."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session

ActAs = Callable[[Any], TestClient]
HOME = {"lat": 36.5235, "lon": 140.5970}  # みかの原中央, in the estate
TOKYO = ZoneInfo("Asia/Tokyo")


def _tomorrow_at(hour: int, minute: int) -> str:
    day = datetime.now(TOKYO).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO).isoformat()


def _book(api: TestClient, m: Any, slot: str, passengers: int = 1) -> Any:
    return api.post(
        "/api/v1/mobility/shuttle/bookings",
        json={
            "service_id": "mikanohara",
            "slot_start": slot,
            "direction": "to_stop",
            "stop_id": "bus_omika_w",
            "passengers": passengers,
            **HOME,
        },
        headers=m.key(),
    )


def test_slots_show_the_pickup_time_before_the_run_reaches_the_stop(
    session: Session, fleet: int, client: TestClient
) -> None:
    day = (datetime.now(TOKYO).date() + timedelta(days=1)).isoformat()

    slots = client.get(
        "/api/v1/mobility/shuttle/services/mikanohara/slots",
        params={"stop_id": "bus_omika_w", "day": day, **HOME},
    ).json()

    assert len(slots) == 37  # 08:00 to 17:00 every 15 minutes
    first = slots[0]
    assert datetime.fromisoformat(first["slot_start"]).astimezone(TOKYO).strftime("%H:%M") == (
        "08:00"
    )
    pickup = datetime.fromisoformat(first["pickup_at"])
    arrival = datetime.fromisoformat(first["dropoff_at"])
    # About 2 km as the crow flies, ~2.8 km by road at 12 km/h, plus boarding.
    assert timedelta(minutes=10) <= arrival - pickup <= timedelta(minutes=20)
    assert all(s["seats_left"] == 6 for s in slots)


def test_a_resident_books_the_shuttle_to_the_bus_stop_and_it_is_read_back(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))

    booked = _book(api, m, _tomorrow_at(9, 15), passengers=2)

    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["state"] == "CONFIRMED"
    assert "大甕駅西口に09:15に着きます" in body["summary_ja"]
    assert "2名様" in body["summary_ja"]
    assert "Omika Sta. West Exit at 09:15" in body["summary_en"]
    day = (datetime.now(TOKYO).date() + timedelta(days=1)).isoformat()
    slots = api.get(
        "/api/v1/mobility/shuttle/services/mikanohara/slots",
        params={"stop_id": "bus_omika_w", "day": day, **HOME},
    ).json()
    seats = {datetime.fromisoformat(s["slot_start"]): s["seats_left"] for s in slots}
    assert seats[datetime.fromisoformat(_tomorrow_at(9, 15))] == 4
    assert [b["id"] for b in api.get("/api/v1/mobility/shuttle/bookings").json()] == [body["id"]]


def test_a_pickup_outside_the_service_area_is_refused(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))

    refused = api.post(
        "/api/v1/mobility/shuttle/bookings",
        json={
            "service_id": "mikanohara",
            "slot_start": _tomorrow_at(9, 15),
            "stop_id": "bus_omika_w",
            "lat": 36.5906,
            "lon": 140.6531,
        },
        headers=m.key(),
    )

    assert refused.status_code == 422
    assert "outside" in refused.json()["detail"]


def test_a_full_run_is_refused_and_the_next_free_run_is_named(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    assert _book(api, m, _tomorrow_at(9, 15), passengers=4).status_code == 201
    assert _book(api, m, _tomorrow_at(9, 15), passengers=2).status_code == 201

    full = _book(api, m, _tomorrow_at(9, 15))

    assert full.status_code == 409
    assert "full" in full.json()["detail"]
    assert "09:30" in full.json()["detail"]


def test_a_time_that_is_not_a_run_is_refused(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    refused = _book(act_as(m.make_user(session)), m, _tomorrow_at(9, 7))

    assert refused.status_code == 422
    assert "every 15 minutes" in refused.json()["detail"]


def test_cancelling_gives_the_seats_back(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    first = _book(api, m, _tomorrow_at(10, 0), passengers=4).json()
    assert _book(api, m, _tomorrow_at(10, 0), passengers=4).status_code == 409

    cancelled = api.post(f"/api/v1/mobility/shuttle/bookings/{first['id']}/cancel", headers=m.key())

    assert cancelled.json()["state"] == "CANCELLED"
    assert _book(api, m, _tomorrow_at(10, 0), passengers=4).status_code == 201

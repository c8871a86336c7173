"""Vehicle bookings through the API: hold → confirm → start → end, cancel, expiry, keys."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Role
from server.core.errors import Conflict
from server.mobility import booking
from server.mobility import fleet as fleet_service
from server.mobility.models import Vehicle
from server.mobility.schemas import HoldRequest

ActAs = Callable[[Any], TestClient]


def test_a_commuter_holds_confirms_rides_and_returns_a_scooter(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    rider = m.make_user(session)
    api = act_as(rider)

    held = api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key())
    assert held.status_code == 201, held.text
    booking_id = held.json()["id"]
    assert held.json()["state"] == "PENDING"
    assert held.json()["price"] == {
        "plan_id": "scooter-standard",
        "currency": "JPY",
        "unlock_price": 50,
        "per_minute": 15,
    }
    assert api.get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()["available"] is False

    for step, state in (("confirm", "CONFIRMED"), ("start", "STARTED")):
        answer = api.post(f"/api/v1/mobility/bookings/{booking_id}/{step}", headers=m.key())
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state
    lat, lon = m.FREE_SPOT
    ended = api.post(
        f"/api/v1/mobility/bookings/{booking_id}/end",
        json={"lat": lat, "lon": lon},
        headers=m.key(),
    )

    assert ended.status_code == 200, ended.text
    assert ended.json()["state"] == "FINISHED"
    assert ended.json()["final_price"] == 50 + 15  # one started minute
    vehicle = api.get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()
    assert vehicle["available"] is True
    assert (vehicle["lat"], vehicle["lon"]) == (lat, lon)
    assert vehicle["battery_percent"] < 56  # it was 56 % before the ride
    mine = api.get("/api/v1/mobility/bookings").json()
    assert [b["id"] for b in mine] == [booking_id]


def test_a_retried_hold_returns_the_first_booking_and_books_once(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    headers = m.key()

    first = api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=headers)
    retry = api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert len(api.get("/api/v1/mobility/bookings").json()) == 1


def test_a_key_reused_for_another_request_is_refused(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    headers = m.key()
    api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=headers)

    other = api.post("/api/v1/mobility/bookings", json={"vehicle_id": "ks-004"}, headers=headers)

    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert api.get("/api/v1/mobility/vehicles/ks-004").json()["available"] is True


def test_an_unsafe_request_without_a_key_is_refused(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))

    answer = api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER})

    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json()["detail"]
    assert api.get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()["available"] is True


def test_a_second_rider_cannot_hold_a_held_vehicle(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    act_as(m.make_user(session)).post(
        "/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key()
    )

    second = act_as(m.make_user(session)).post(
        "/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key()
    )

    assert second.status_code == 409
    assert "already reserved" in second.json()["detail"]


def _ride(api: TestClient, m: Any) -> str:
    booking_id: str = api.post(
        "/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key()
    ).json()["id"]
    for step in ("confirm", "start"):
        api.post(f"/api/v1/mobility/bookings/{booking_id}/{step}", headers=m.key())
    return booking_id


def test_ending_in_a_no_parking_zone_is_refused_with_a_clear_message(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    booking_id = _ride(api, m)
    lat, lon = m.HITACHI_PLAZA

    refused = api.post(
        f"/api/v1/mobility/bookings/{booking_id}/end",
        json={"lat": lat, "lon": lon},
        headers=m.key(),
    )

    assert refused.status_code == 422
    assert "日立駅前広場" in refused.json()["detail"]
    assert "no-parking zone" in refused.json()["detail"]
    assert "日立駅中央口ポート" in refused.json()["detail"]  # where to go instead
    assert api.get(f"/api/v1/mobility/bookings/{booking_id}").json()["state"] == "STARTED"


def test_ending_at_a_port_inside_a_no_parking_zone_is_allowed(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    booking_id = _ride(api, m)
    lat, lon = m.HITACHI_PORT

    ended = api.post(
        f"/api/v1/mobility/bookings/{booking_id}/end",
        json={"lat": lat, "lon": lon},
        headers=m.key(),
    )

    assert ended.status_code == 200, ended.text
    assert api.get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()["station_id"] == (
        "hitachi-central"
    )


def test_ending_outside_the_operating_area_is_refused(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    booking_id = _ride(api, m)

    refused = api.post(
        f"/api/v1/mobility/bookings/{booking_id}/end",
        json={"lat": 36.75, "lon": 140.70},
        headers=m.key(),
    )

    assert refused.status_code == 422
    assert "outside the service area" in refused.json()["detail"]


def test_cancelling_a_hold_frees_the_vehicle(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    booking_id = api.post(
        "/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key()
    ).json()["id"]

    cancelled = api.post(f"/api/v1/mobility/bookings/{booking_id}/cancel", headers=m.key())

    assert cancelled.json()["state"] == "CANCELLED"
    assert api.get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()["available"] is True


def test_a_hold_expires_and_the_vehicle_can_be_booked_again(
    session: Session, fleet: int, m: Any
) -> None:
    first, second = m.principal_of(m.make_user(session)), m.principal_of(m.make_user(session))
    start = fleet_service.utcnow()
    held = booking.hold(
        session,
        first,
        HoldRequest(vehicle_id=m.SCOOTER),
        idempotency_key="k1",
        hold_seconds=300,
        now=start,
    )
    later = start + timedelta(seconds=301)

    with pytest.raises(Conflict, match="expired"):
        booking.confirm(
            session, first, held.id, idempotency_key="k2", reservation_minutes=15, now=later
        )
    assert booking.get_booking(session, first, held.id, now=later).state == "EXPIRED"
    again = booking.hold(
        session,
        second,
        HoldRequest(vehicle_id=m.SCOOTER),
        idempotency_key="k3",
        hold_seconds=300,
        now=later,
    )

    assert again.state == "PENDING"
    assert booking.get_booking(session, first, held.id, now=later).state == "EXPIRED"
    vehicle = session.get(Vehicle, m.SCOOTER)
    assert vehicle is not None
    assert vehicle.status == "reserved"


def test_someone_else_cannot_see_or_change_my_booking(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    booking_id = (
        act_as(m.make_user(session))
        .post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key())
        .json()["id"]
    )
    stranger = act_as(m.make_user(session))

    assert stranger.get(f"/api/v1/mobility/bookings/{booking_id}").status_code == 404
    cancel = stranger.post(f"/api/v1/mobility/bookings/{booking_id}/cancel", headers=m.key())
    assert cancel.status_code == 404


def test_a_family_member_books_for_a_parent_when_the_consent_allows_proxy(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    parent = m.make_user(session)
    child = m.make_user(session, Role.FAMILY)
    m.grant(session, parent, child, proxy=True)
    api = act_as(child)

    held = api.post(
        "/api/v1/mobility/bookings",
        json={"vehicle_id": m.SCOOTER, "rider_patient_id": parent.patient_id},
        headers=m.key(),
    )

    assert held.status_code == 201, held.text
    assert held.json()["user_id"] == parent.id
    assert held.json()["booked_by"] == child.id
    mine = act_as(parent).get("/api/v1/mobility/bookings").json()
    assert [b["id"] for b in mine] == [held.json()["id"]]


def test_booking_for_someone_without_a_proxy_consent_is_forbidden(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    parent = m.make_user(session)
    child = m.make_user(session, Role.FAMILY)
    m.grant(session, parent, child, proxy=False)

    refused = act_as(child).post(
        "/api/v1/mobility/bookings",
        json={"vehicle_id": m.SCOOTER, "rider_patient_id": parent.patient_id},
        headers=m.key(),
    )

    assert refused.status_code == 403
    assert "behalf" in refused.json()["detail"]
    assert act_as(child).get(f"/api/v1/mobility/vehicles/{m.SCOOTER}").json()["available"]


def test_nearby_vehicles_are_sorted_by_distance_with_battery_and_price(
    session: Session, fleet: int, client: TestClient
) -> None:
    found = client.get(
        "/api/v1/mobility/vehicles", params={"lat": 36.5906, "lon": 140.6531, "radius_m": 600}
    ).json()

    assert len(found) >= 5
    distances = [v["distance_m"] for v in found]
    assert distances == sorted(distances)
    assert all(v["battery_percent"] is not None and v["price"] for v in found)
    assert all(v["distance_m"] <= 600 for v in found)

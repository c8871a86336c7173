"""The operator API: the whole fleet, all bookings, taking a vehicle out of service."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.access import Role

ActAs = Callable[[Any], TestClient]


def test_residents_cannot_use_the_operator_api(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))

    assert api.get("/api/v1/mobility/operator/vehicles").status_code == 403
    assert api.get("/api/v1/mobility/operator/bookings").status_code == 403
    patched = api.patch(
        "/api/v1/mobility/operator/vehicles/ks-001", json={"status": "disabled"}, headers=m.key()
    )
    assert patched.status_code == 403


def test_an_operator_sees_every_vehicle_and_booking(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    act_as(m.make_user(session)).post(
        "/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key()
    )
    operator = act_as(m.make_user(session, Role.OPERATOR))

    vehicles = operator.get("/api/v1/mobility/operator/vehicles").json()
    bookings = operator.get("/api/v1/mobility/operator/bookings", params={"state": "PENDING"})

    assert len(vehicles) == fleet
    assert {v["status"] for v in vehicles} == {"available", "reserved"}
    assert [b["vehicle_id"] for b in bookings.json()] == [m.SCOOTER]


def test_a_disabled_vehicle_disappears_from_nearby_and_shows_disabled_in_gbfs(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    operator = act_as(m.make_user(session, Role.OPERATOR))

    patched = operator.patch(
        "/api/v1/mobility/operator/vehicles/ks-001",
        json={"status": "maintenance", "battery_percent": 5},
        headers=m.key(),
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "maintenance"
    near = operator.get(
        "/api/v1/mobility/vehicles", params={"lat": 36.59045, "lon": 140.6524, "radius_m": 50}
    ).json()
    assert "ks-001" not in [v["id"] for v in near]
    status = operator.get("/gbfs/station_status.json").json()["data"]["stations"]
    hitachi = next(s for s in status if s["station_id"] == "hitachi-central")
    assert hitachi["num_bikes_disabled"] == 1


def test_a_vehicle_in_a_ride_cannot_be_taken_out_of_service(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    rider = act_as(m.make_user(session))
    ride = rider.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key())
    for step in ("confirm", "start"):
        rider.post(f"/api/v1/mobility/bookings/{ride.json()['id']}/{step}", headers=m.key())
    operator = act_as(m.make_user(session, Role.OPERATOR))

    refused = operator.patch(
        f"/api/v1/mobility/operator/vehicles/{m.SCOOTER}",
        json={"status": "disabled"},
        headers=m.key(),
    )

    assert refused.status_code == 409
    assert "in_use" in refused.json()["detail"]

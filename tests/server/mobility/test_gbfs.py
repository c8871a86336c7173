"""The GBFS 2.3 feed we publish: valid for gbfs-validator, honest about availability."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi.testclient import TestClient
from gbfs_validator import validate_feed
from sqlmodel import Session

from server.mobility.models import Vehicle

ActAs = Callable[[Any], TestClient]


def _download(client: TestClient, folder: Path) -> Path:
    """Save the served feed with file:// URLs, the form gbfs-validator reads offline."""
    index = client.get("/gbfs/gbfs.json").json()
    for feed in index["data"]["ja"]["feeds"]:
        body = client.get(urlparse(feed["url"]).path).json()
        target = folder / f"{feed['name']}.json"
        target.write_text(json.dumps(body, ensure_ascii=False))
        feed["url"] = target.as_uri()
    discovery = folder / "gbfs.json"
    discovery.write_text(json.dumps(index, ensure_ascii=False))
    return discovery


def _errors(report: dict[str, Any]) -> list[Any]:
    return [
        (f.get("file"), f.get("errors"))
        for f in report.get("files", [])
        if f.get("hasErrors") or f.get("errors")
    ]


def test_the_served_feed_passes_gbfs_validator(
    session: Session, fleet: int, act_as: ActAs, m: Any, tmp_path: Path
) -> None:
    api = act_as(m.make_user(session))
    held = api.post("/api/v1/mobility/bookings", json={"vehicle_id": "ks-001"}, headers=m.key())
    assert held.status_code == 201
    discovery = _download(api, tmp_path)

    report = validate_feed(discovery.as_uri(), docked=True, freefloating=True)

    assert report["summary"]["hasErrors"] is False, _errors(report)
    assert report["summary"]["errorsCount"] == 0
    assert report["summary"]["version"]["validated"] == "2.3"


def test_the_validator_notices_a_broken_feed(
    session: Session, fleet: int, client: TestClient, tmp_path: Path
) -> None:
    discovery = _download(client, tmp_path)
    status = tmp_path / "free_bike_status.json"
    broken = json.loads(status.read_text())
    del broken["data"]["bikes"][0]["current_range_meters"]
    status.write_text(json.dumps(broken))

    report = validate_feed(discovery.as_uri(), docked=True, freefloating=True)

    assert report["summary"]["hasErrors"] is True


def test_reserved_vehicles_are_marked_and_vehicles_in_a_ride_are_left_out(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    api = act_as(m.make_user(session))
    ride = api.post("/api/v1/mobility/bookings", json={"vehicle_id": "ks-004"}, headers=m.key())
    for step in ("confirm", "start"):
        api.post(f"/api/v1/mobility/bookings/{ride.json()['id']}/{step}", headers=m.key())
    api.post("/api/v1/mobility/bookings", json={"vehicle_id": "ks-005"}, headers=m.key())
    public = {
        v.id: v.public_id for v in (session.get(Vehicle, i) for i in ("ks-004", "ks-005")) if v
    }

    bikes = {
        b["bike_id"]: b for b in api.get("/gbfs/free_bike_status.json").json()["data"]["bikes"]
    }

    assert public["ks-004"] not in bikes
    assert bikes[public["ks-005"]]["is_reserved"] is True
    assert sum(not b["is_reserved"] and not b["is_disabled"] for b in bikes.values()) == 32 - 2


def test_status_feeds_are_fresh_and_static_feeds_cacheable(
    session: Session, fleet: int, client: TestClient
) -> None:
    status = client.get("/gbfs/free_bike_status.json")
    types = client.get("/gbfs/vehicle_types.json")

    assert status.json()["ttl"] == 30
    assert status.headers["Cache-Control"] == "public, max-age=30"
    assert types.json()["ttl"] == 300
    assert isinstance(types.json()["last_updated"], int)
    assert types.json()["last_updated"] <= status.json()["last_updated"]
    assert {t["vehicle_type_id"] for t in types.json()["data"]["vehicle_types"]} == {
        "e-kick",
        "e-bike",
    }  # the shuttle is booked by seat, not rented


def test_a_bike_id_changes_after_every_trip(
    session: Session, fleet: int, act_as: ActAs, m: Any
) -> None:
    vehicle = session.get(Vehicle, m.SCOOTER)
    assert vehicle is not None
    before = vehicle.public_id
    api = act_as(m.make_user(session))
    ride = api.post("/api/v1/mobility/bookings", json={"vehicle_id": m.SCOOTER}, headers=m.key())
    for step in ("confirm", "start"):
        api.post(f"/api/v1/mobility/bookings/{ride.json()['id']}/{step}", headers=m.key())
    lat, lon = m.FREE_SPOT
    api.post(
        f"/api/v1/mobility/bookings/{ride.json()['id']}/end",
        json={"lat": lat, "lon": lon},
        headers=m.key(),
    )

    bikes = api.get("/gbfs/free_bike_status.json").json()["data"]["bikes"]

    ids = {b["bike_id"] for b in bikes}
    assert before not in ids
    assert any(b["lat"] == lat and b["lon"] == lon for b in bikes)

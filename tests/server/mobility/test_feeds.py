"""Ingesting other operators' GBFS feeds, v2.3 and v3.0, through httpx MockTransport."""

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.core.errors import InvalidInput, UpstreamError
from server.mobility.feeds import GbfsClient, ingest
from server.mobility.models import ExternalFeed, Vehicle

BASE = "https://gbfs.example.jp/luup"


def _v23() -> dict[str, Any]:
    def feed(data: dict[str, Any]) -> dict[str, Any]:
        return {"last_updated": 1_790_000_000, "ttl": 60, "version": "2.3", "data": data}

    names = ["system_information", "vehicle_types", "station_information", "free_bike_status"]
    return {
        "/gbfs.json": feed(
            {"en": {"feeds": [{"name": n, "url": f"{BASE}/{n}.json"} for n in names]}}
        ),
        "/system_information.json": feed(
            {
                "system_id": "luup-hitachi",
                "language": "ja",
                "name": "LUUP 日立",
                "timezone": "Asia/Tokyo",
            }
        ),
        "/vehicle_types.json": feed(
            {
                "vehicle_types": [
                    {
                        "vehicle_type_id": "kick",
                        "form_factor": "scooter_standing",
                        "propulsion_type": "electric",
                        "max_range_meters": 20000,
                    }
                ]
            }
        ),
        "/station_information.json": feed(
            {"stations": [{"station_id": "p1", "name": "多賀ポート", "lat": 36.553, "lon": 140.63}]}
        ),
        "/free_bike_status.json": feed(
            {
                "bikes": [
                    {
                        "bike_id": "b1",
                        "lat": 36.5531,
                        "lon": 140.6301,
                        "is_reserved": False,
                        "is_disabled": False,
                        "vehicle_type_id": "kick",
                        "current_range_meters": 12000,
                        "current_fuel_percent": 0.6,
                        "rental_uris": {"web": "https://luup.example/r/b1"},
                    },
                    {
                        "bike_id": "b2",
                        "station_id": "p1",
                        "is_reserved": True,
                        "is_disabled": False,
                    },
                ]
            }
        ),
    }


def _v30() -> dict[str, Any]:
    def feed(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "last_updated": "2026-11-22T10:00:00+09:00",
            "ttl": 60,
            "version": "3.0",
            "data": data,
        }

    names = ["system_information", "vehicle_types", "vehicle_status"]
    return {
        "/gbfs.json": feed({"feeds": [{"name": n, "url": f"{BASE}/{n}.json"} for n in names]}),
        "/system_information.json": feed(
            {
                "system_id": "bike-mito",
                "languages": ["ja", "en"],
                "name": [
                    {"text": "Mito Bikes", "language": "en"},
                    {"text": "水戸バイク", "language": "ja"},
                ],
                "timezone": "Asia/Tokyo",
            }
        ),
        "/vehicle_types.json": feed(
            {
                "vehicle_types": [
                    {
                        "vehicle_type_id": "ebike",
                        "form_factor": "bicycle",
                        "propulsion_type": "electric_assist",
                        "name": [{"text": "E-bike", "language": "en"}],
                        "max_range_meters": 40000,
                    }
                ]
            }
        ),
        "/vehicle_status.json": feed(
            {
                "vehicles": [
                    {
                        "vehicle_id": "v9",
                        "lat": 36.39,
                        "lon": 140.52,
                        "is_reserved": False,
                        "is_disabled": False,
                        "vehicle_type_id": "ebike",
                        "current_range_meters": 30000,
                    }
                ]
            }
        ),
    }


def _client(files: dict[str, Any]) -> GbfsClient:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/luup")
        if path not in files:
            return httpx.Response(404)
        return httpx.Response(200, content=json.dumps(files[path]).encode())

    return GbfsClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_a_v23_feed_is_ingested_with_its_vehicles_and_stations(session: Session) -> None:
    fetched = await _client(_v23()).fetch(f"{BASE}/gbfs.json")

    record = ingest(session, fetched, own_system_id="hitachi-machi")

    assert (record.system_id, record.version, record.vehicles, record.stations) == (
        "luup-hitachi",
        "2.3",
        2,
        1,
    )
    b1 = session.get(Vehicle, "luup-hitachi:b1")
    b2 = session.get(Vehicle, "luup-hitachi:b2")
    assert b1 is not None
    assert b2 is not None
    assert (b1.battery_percent, b1.bookable, b1.rental_uri) == (
        60,
        False,
        "https://luup.example/r/b1",
    )
    assert (b2.lat, b2.lon, b2.status) == (36.553, 140.63, "reserved")  # placed at its station


async def test_a_v30_feed_is_ingested_with_localized_names(session: Session) -> None:
    fetched = await _client(_v30()).fetch(f"{BASE}/gbfs.json")

    record = ingest(session, fetched, own_system_id="hitachi-machi")

    assert (record.name, record.version, record.vehicles) == ("水戸バイク", "3.0", 1)
    vehicle = session.get(Vehicle, "bike-mito:v9")
    assert vehicle is not None
    assert vehicle.vehicle_type_id == "bike-mito:ebike"


async def test_ingesting_again_replaces_the_previous_snapshot(session: Session) -> None:
    files = _v23()
    ingest(session, await _client(files).fetch(f"{BASE}/gbfs.json"), own_system_id="x")
    files["/free_bike_status.json"]["data"]["bikes"].pop()

    ingest(session, await _client(files).fetch(f"{BASE}/gbfs.json"), own_system_id="x")

    ids = session.exec(select(Vehicle.id).where(Vehicle.system_id == "luup-hitachi")).all()
    assert list(ids) == ["luup-hitachi:b1"]
    assert len(session.exec(select(ExternalFeed)).all()) == 1


async def test_an_unreachable_feed_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="HTTP 404"):
        await _client({}).fetch(f"{BASE}/gbfs.json")


async def test_our_own_feed_is_not_ingested_as_external(session: Session) -> None:
    files = _v23()
    files["/system_information.json"]["data"]["system_id"] = "hitachi-machi"
    fetched = await _client(files).fetch(f"{BASE}/gbfs.json")

    with pytest.raises(InvalidInput, match="our own"):
        ingest(session, fetched, own_system_id="hitachi-machi")


async def test_external_vehicles_show_nearby_but_cannot_be_booked_here(
    session: Session, fleet: int, act_as: Any, m: Any
) -> None:
    ingest(session, await _client(_v23()).fetch(f"{BASE}/gbfs.json"), own_system_id="x")
    session.commit()
    api: TestClient = act_as(m.make_user(session))

    near = api.get(
        "/api/v1/mobility/vehicles", params={"lat": 36.5531, "lon": 140.6301, "radius_m": 50}
    ).json()
    refused = api.post(
        "/api/v1/mobility/bookings", json={"vehicle_id": "luup-hitachi:b1"}, headers=m.key()
    )

    assert [(v["id"], v["bookable"], v["rental_uri"]) for v in near] == [
        ("luup-hitachi:b1", False, "https://luup.example/r/b1")
    ]
    assert refused.status_code == 409
    assert "another operator" in refused.json()["detail"]

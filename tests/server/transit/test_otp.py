"""The OpenTripPlanner client against OTP-shaped answers served by httpx.MockTransport."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from server.core.settings import Settings
from server.main import create_app
from server.transit.api import get_otp_client
from server.transit.otp import OtpClient

OTP = "http://otp.test"
Handler = Callable[[httpx.Request], httpx.Response]


def otp_leg(mode: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "transitLeg": mode != "WALK",
        "realTime": False,
        "distance": extra.pop("distance", 250.0),
        "duration": extra.pop("duration", 300),
        "headsign": extra.pop("headsign", None),
        "rentedBike": False,
        "start": {"scheduledTime": start, "estimated": None},
        "end": {"scheduledTime": end, "estimated": None},
        "from": extra.pop(
            "from_", {"name": "Origin", "lat": 36.5735, "lon": 140.6245, "stop": None}
        ),
        "to": extra.pop(
            "to",
            {
                "name": "大甕駅",
                "lat": 36.5145,
                "lon": 140.6188,
                "stop": {"gtfsId": "hitachi:jr_omika_1", "name": "大甕駅"},
            },
        ),
        "route": extra.pop("route", None),
        "agency": extra.pop("agency", None),
        "trip": extra.pop("trip", None),
        "intermediatePlaces": extra.pop("intermediatePlaces", []),
        "legGeometry": {"length": 2, "points": "svz}EwqgyY}iF{sA"},
        "alerts": [],
        "fareProducts": [],
    }


PLAN = {
    "data": {
        "planConnection": {
            "searchDateTime": "2026-11-24T08:00:00+09:00",
            "routingErrors": [],
            "pageInfo": {
                "hasNextPage": True,
                "hasPreviousPage": True,
                "startCursor": "MXxQUkVWSU9VU19QQUdF",
                "endCursor": "MXxORVhUX1BBR0U",
                "searchWindowUsed": 3000,
            },
            "edges": [
                {
                    "cursor": "MXxORVhUX1BBR0U",
                    "node": {
                        "start": "2026-11-24T08:04:00+09:00",
                        "end": "2026-11-24T08:25:00+09:00",
                        "duration": 1260,
                        "numberOfTransfers": 0,
                        "walkDistance": 250.0,
                        "walkTime": 300,
                        "generalizedCost": 2000,
                        "accessibilityScore": None,
                        "emissionsPerPerson": {"co2": 180.5},
                        "legs": [
                            otp_leg(
                                "WALK", "2026-11-24T08:04:00+09:00", "2026-11-24T08:09:00+09:00"
                            ),
                            otp_leg(
                                "RAIL",
                                "2026-11-24T08:15:00+09:00",
                                "2026-11-24T08:25:00+09:00",
                                distance=9017.0,
                                duration=600,
                                headsign="十王",
                                from_={
                                    "name": "大甕駅",
                                    "lat": 36.5145,
                                    "lon": 140.6188,
                                    "stop": {"gtfsId": "hitachi:jr_omika_1", "name": "大甕駅"},
                                },
                                to={
                                    "name": "日立駅",
                                    "lat": 36.5906,
                                    "lon": 140.6530,
                                    "stop": {"gtfsId": "hitachi:jr_hitachi_1", "name": "日立駅"},
                                },
                                route={
                                    "gtfsId": "hitachi:jr_joban",
                                    "shortName": "常磐線",
                                    "longName": "常磐線（勝田〜十王）",
                                    "mode": "RAIL",
                                    "color": "0072BC",
                                    "textColor": "FFFFFF",
                                },
                                agency={
                                    "gtfsId": "hitachi:jr_east",
                                    "name": "JR東日本",
                                    "url": "https://www.jreast.co.jp/",
                                    "timezone": "Asia/Tokyo",
                                },
                                trip={
                                    "gtfsId": "hitachi:jr_joban_weekday_0_0815",
                                    "tripHeadsign": "十王",
                                },
                                intermediatePlaces=[
                                    {
                                        "name": "常陸多賀駅",
                                        "lat": 36.5521,
                                        "lon": 140.6323,
                                        "stop": {"gtfsId": "hitachi:jr_taga_1"},
                                        "arrival": {"scheduledTime": "2026-11-24T08:19:30+09:00"},
                                        "departure": {"scheduledTime": "2026-11-24T08:20:00+09:00"},
                                    }
                                ],
                            ),
                        ],
                    },
                }
            ],
        }
    }
}


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


def client_for(handler: Handler, tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "database_url": f"sqlite:///{tmp_path / 'm.db'}",
            "web_client": False,
            "otp_url": OTP,
        }
    )
    from server.core import migrate
    from server.core.db import create_db_engine

    migrate.upgrade(create_db_engine(settings))
    app = create_app(settings)
    otp = OtpClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), OTP, timeout_s=2)
    app.dependency_overrides[get_otp_client] = lambda: otp
    with TestClient(app) as client:
        yield client


def plan(client: TestClient, **params: Any) -> httpx.Response:
    query = {
        "from": "36.5735,140.6245",
        "to": "stop:hitachi:jr_hitachi",
        "time": "2026-11-24T08:00:00+09:00",
        **params,
    }
    return client.get("/api/v1/journeys", params=query)


def test_otp_itinerary_is_mapped_to_our_model(tmp_path: Any, seen: list[dict[str, Any]]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            {
                "url": str(request.url),
                "body": json.loads(request.content),
                "lang": request.headers.get("accept-language"),
            }
        )
        return httpx.Response(200, json=PLAN)

    for client in client_for(handler, tmp_path):
        response = plan(client, wheelchair="true", walk_speed="0.8")

    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "otp"
    first = body["itineraries"][0]
    assert first["start"] == "2026-11-24T08:04:00+09:00"
    assert [leg["mode"] for leg in first["legs"]] == ["WALK", "RAIL"]
    rail = first["legs"][1]
    assert rail["from"]["stop_id"] == "hitachi:jr_omika_1"
    assert rail["route"]["short_name"] == "常磐線"
    assert rail["trip_id"] == "hitachi:jr_joban_weekday_0_0815"
    assert rail["intermediate_stops"][0]["name"] == "常陸多賀駅"
    assert rail["co2_g"] == pytest.approx(17 * 9.017, abs=0.1)
    assert first["co2_g"] < first["car_co2_g"]
    sent = seen[0]
    assert sent["url"] == f"{OTP}/otp/gtfs/v1"
    assert "planConnection" in sent["body"]["query"]
    variables = sent["body"]["variables"]
    assert variables["dateTime"] == {"earliestDeparture": "2026-11-24T08:00:00+09:00"}
    assert variables["destination"]["location"] == {
        "stopLocation": {"stopLocationId": "hitachi:jr_hitachi"}
    }
    assert variables["preferences"]["accessibility"]["wheelchair"]["enabled"] is True
    assert variables["preferences"]["street"]["walk"]["speed"] == 0.8
    assert sent["lang"] == "ja"


def test_arrive_by_asks_for_latest_arrival(tmp_path: Any, seen: list[dict[str, Any]]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["variables"])
        return httpx.Response(200, json=PLAN)

    for client in client_for(handler, tmp_path):
        plan(client, arrive_by="true")

    assert seen[0]["dateTime"] == {"latestArrival": "2026-11-24T08:00:00+09:00"}


def test_routing_error_outside_bounds_is_a_clear_422(tmp_path: Any) -> None:
    answer = {
        "data": {
            "planConnection": {
                "searchDateTime": "2026-11-24T08:00:00+09:00",
                "edges": [],
                "pageInfo": None,
                "routingErrors": [
                    {
                        "code": "OUTSIDE_BOUNDS",
                        "description": "The location is outside the area covered",
                        "inputField": "FROM",
                    }
                ],
            }
        }
    }
    for client in client_for(lambda r: httpx.Response(200, json=answer), tmp_path):
        response = plan(client)

    assert response.status_code == 422
    assert "OUTSIDE_BOUNDS" in response.json()["detail"]
    assert "FROM" in response.json()["detail"]


def test_no_transit_connection_is_an_empty_plan_with_the_reason(tmp_path: Any) -> None:
    answer = {
        "data": {
            "planConnection": {
                "searchDateTime": "2026-11-24T08:00:00+09:00",
                "edges": [],
                "pageInfo": None,
                "routingErrors": [
                    {
                        "code": "NO_TRANSIT_CONNECTION",
                        "description": "No transit connection was found",
                        "inputField": None,
                    }
                ],
            }
        }
    }
    for client in client_for(lambda r: httpx.Response(200, json=answer), tmp_path):
        response = plan(client)

    assert response.status_code == 200
    assert response.json()["itineraries"] == []
    assert "NO_TRANSIT_CONNECTION" in response.json()["reason"]


def test_timeout_is_504_with_a_message(tmp_path: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    for client in client_for(handler, tmp_path):
        response = plan(client)

    assert response.status_code == 504
    assert "did not answer" in response.json()["detail"]


def test_connection_refused_is_502(tmp_path: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    for client in client_for(handler, tmp_path):
        response = plan(client)

    assert response.status_code == 502
    assert "Connection refused" in response.json()["detail"]


def test_graphql_errors_are_502_with_otp_message(tmp_path: Any) -> None:
    answer = {
        "errors": [
            {"message": "Validation error (FieldUndefined@[planConnection/edges/legs/fromPlace])"}
        ]
    }
    for client in client_for(lambda r: httpx.Response(200, json=answer), tmp_path):
        response = plan(client)

    assert response.status_code == 502
    assert "FieldUndefined" in response.json()["detail"]


def test_http_500_from_otp_is_502(tmp_path: Any) -> None:
    for client in client_for(lambda r: httpx.Response(500, text="Internal Server Error"), tmp_path):
        response = plan(client)

    assert response.status_code == 502
    assert "HTTP 500" in response.json()["detail"]

"""Stops, departures and journeys over HTTP on the Hitachi demo feed, checked as a person would."""

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from server.transit.polyline import decode

# A Tuesday in the demo calendar (weekday service); 2026-11-23 is 勤労感謝の日 (holiday).
TUESDAY_8AM = "2026-11-24T08:00:00+09:00"


@pytest.mark.parametrize("typed", ["大甕", "おおみか", "オオミカ", "omika", "Omika", "ＯＭＩＫＡ"])
def test_stop_search_finds_omika_station_in_every_script(
    demo_client: TestClient, typed: str
) -> None:
    response = demo_client.get("/api/v1/stops", params={"q": typed})

    assert response.status_code == 200
    assert response.json()["stops"][0]["name"] == "大甕駅"


def test_stop_search_matches_english_and_answers_in_english(demo_client: TestClient) -> None:
    response = demo_client.get(
        "/api/v1/stops", params={"q": "hitachi taga"}, headers={"Accept-Language": "en-US,en;q=0.9"}
    )

    first = response.json()["stops"][0]
    assert first["name"] == "Hitachi-Taga Station"
    assert first["name_kana"] == "ひたちたがえき"
    assert first["stop_id"] == "hitachi:jr_taga"


def test_stop_search_lists_stations_not_their_platforms(demo_client: TestClient) -> None:
    stops = demo_client.get("/api/v1/stops", params={"q": "日立駅"}).json()["stops"]

    assert all(s["parent_station"] is None for s in stops)


def test_stop_search_with_a_blank_query_is_422(demo_client: TestClient) -> None:
    assert demo_client.get("/api/v1/stops", params={"q": " "}).status_code == 422


def test_nearby_stops_are_nearest_first_and_within_the_radius(demo_client: TestClient) -> None:
    response = demo_client.get(
        "/api/v1/stops/nearby", params={"lat": 36.5145, "lon": 140.6188, "radius": 300}
    )

    stops = response.json()["stops"]
    assert stops[0]["name"] == "大甕駅"
    distances = [s["distance_m"] for s in stops]
    assert distances == sorted(distances)
    assert all(d <= 300 for d in distances)


def test_departures_follow_the_weekday_timetable(demo_client: TestClient) -> None:
    board = demo_client.get(
        "/api/v1/stops/hitachi:jr_omika/departures", params={"time": TUESDAY_8AM}
    ).json()

    times = [datetime.fromisoformat(d["departure"]) for d in board["departures"]]
    assert board["stop"]["name"] == "大甕駅"
    assert times == sorted(times)
    assert times[0] >= datetime.fromisoformat(TUESDAY_8AM)
    assert all(d["departure"].endswith("+09:00") for d in board["departures"])
    assert {d["route"]["short_name"] for d in board["departures"]} <= {"常磐線", "特急ときわ"}


def test_departures_late_at_night_include_trips_past_midnight(demo_client: TestClient) -> None:
    board = demo_client.get(
        "/api/v1/stops/hitachi:jr_omika/departures", params={"time": "2026-11-24T23:50:00+09:00"}
    ).json()

    after_midnight = [
        d
        for d in board["departures"]
        if d["departure"].startswith("2026-11-25T00") and d["service_date"] == "2026-11-24"
    ]
    assert after_midnight


def test_weekday_and_holiday_boards_differ(demo_client: TestClient) -> None:
    def trips(day: str) -> set[str]:
        board = demo_client.get(
            "/api/v1/stops/hitachi:jr_omika/departures", params={"time": f"{day}T08:00:00+09:00"}
        ).json()
        return {
            "weekend" if "_weekend_" in d["trip_id"] else "weekday" for d in board["departures"]
        }

    assert trips("2026-11-24") == {"weekday"}
    assert trips("2026-11-23") == {"weekend"}


def test_departures_of_an_unknown_stop_is_404(demo_client: TestClient) -> None:
    response = demo_client.get("/api/v1/stops/hitachi:nowhere/departures")

    assert response.status_code == 404


def journeys(client: TestClient, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/journeys", params={"time": TUESDAY_8AM, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_station_to_station_journey_reads_right(demo_client: TestClient) -> None:
    plan = journeys(
        demo_client, **{"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:jr_hitachi"}
    )

    first = plan["itineraries"][0]
    rail = [leg for leg in first["legs"] if leg["mode"] == "RAIL"]
    assert rail[0]["from"]["name"] == "大甕駅"
    assert rail[-1]["to"]["name"] == "日立駅"
    assert rail[0]["intermediate_stops"][0]["name"] == "常陸多賀駅"
    assert first["start"].endswith("+09:00")
    assert datetime.fromisoformat(first["start"]) >= datetime.fromisoformat(TUESDAY_8AM)
    assert first["duration_s"] < 30 * 60
    assert 0 < first["co2_g"] < first["car_co2_g"]
    assert first["co2_saved_g"] == pytest.approx(first["car_co2_g"] - first["co2_g"], abs=0.2)
    assert "fastest" in first["tags"]
    assert plan["co2"]["fiscal_year"] == 2024


def test_every_itinerary_moves_forward_in_time(demo_client: TestClient) -> None:
    plan = journeys(
        demo_client, **{"from": "36.5735,140.6245", "to": "stop:hitachi:jr_hitachi"}, num=5
    )

    assert plan["itineraries"]
    for itinerary in plan["itineraries"]:
        times = [itinerary["start"]]
        for leg in itinerary["legs"]:
            times += [
                leg["start"],
                *[c["departure"] for c in leg["intermediate_stops"]],
                leg["end"],
            ]
            assert decode(leg["geometry"])
        times.append(itinerary["end"])
        parsed = [datetime.fromisoformat(t) for t in times]
        assert parsed == sorted(parsed)
        assert itinerary["legs"][0]["mode"] == "WALK"
        assert itinerary["legs"][0]["from"]["name"] == "出発地"


def test_journey_names_follow_accept_language(demo_client: TestClient) -> None:
    response = demo_client.get(
        "/api/v1/journeys",
        params={
            "from": "stop:hitachi:jr_omika",
            "to": "stop:hitachi:jr_hitachi",
            "time": TUESDAY_8AM,
        },
        headers={"Accept-Language": "en"},
    )

    legs = response.json()["itineraries"][0]["legs"]
    rail = next(leg for leg in legs if leg["mode"] == "RAIL")
    assert rail["from"]["name"] == "Omika Station"
    assert rail["route"]["short_name"].isascii()


def test_arrive_by_arrives_in_time(demo_client: TestClient) -> None:
    deadline = "2026-11-24T09:00:00+09:00"
    plan = journeys(
        demo_client,
        **{"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:jr_hitachi"},
        time=deadline,
        arrive_by="true",
    )

    ends = [datetime.fromisoformat(i["end"]) for i in plan["itineraries"]]
    assert ends
    assert all(end <= datetime.fromisoformat(deadline) for end in ends)
    assert max(ends) > datetime.fromisoformat("2026-11-24T08:30:00+09:00")


def test_no_connection_is_200_with_a_reason(demo_client: TestClient) -> None:
    plan = journeys(demo_client, **{"from": "35.0,135.0", "to": "stop:hitachi:jr_hitachi"})

    assert plan["itineraries"] == []
    assert "no stop within" in plan["reason"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"from": "here", "to": "stop:hitachi:jr_hitachi"}, "from"),
        ({"from": "stop:hitachi:jr_omika", "to": "91,200"}, "to"),
        ({"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:nowhere"}, "no stop"),
        (
            {"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:jr_hitachi", "time": "tomorrow"},
            "time",
        ),
        (
            {"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:jr_hitachi", "modes": "ROCKET"},
            "modes",
        ),
        (
            {"from": "stop:hitachi:jr_omika", "to": "stop:hitachi:jr_hitachi", "walk_speed": "0"},
            "walk_speed",
        ),
    ],
)
def test_bad_parameters_are_422_saying_what_is_wrong(
    demo_client: TestClient, params: dict[str, str], fragment: str
) -> None:
    response = demo_client.get("/api/v1/journeys", params=params)

    assert response.status_code == 422
    assert fragment in str(response.json()["detail"])

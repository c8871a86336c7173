"""Trip planning state on the device: search, results, recent searches that survive a restart."""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.client.api import ApiClient
from app.client.trips import TripPlace, TripsState, TripStore, clock

PLAN = {
    "itineraries": [
        {
            "start": "2026-11-24T08:15:00+09:00",
            "end": "2026-11-24T08:40:00+09:00",
            "duration_s": 1500,
            "transfers": 1,
            "walk_distance_m": 300.0,
            "co2_g": 200.0,
            "car_co2_g": 900.0,
            "co2_saved_g": 700.0,
            "tags": ["fastest"],
            "legs": [],
        },
        {
            "start": "2026-11-24T08:10:00+09:00",
            "end": "2026-11-24T08:45:00+09:00",
            "duration_s": 2100,
            "transfers": 0,
            "walk_distance_m": 500.0,
            "co2_g": 150.0,
            "car_co2_g": 900.0,
            "co2_saved_g": 750.0,
            "tags": ["fewest_transfers"],
            "legs": [],
        },
    ],
    "reason": None,
}


def make_state(tmp_path: Path, seen: list[httpx.Request]) -> TripsState:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/stops":
            return httpx.Response(
                200,
                json={
                    "stops": [
                        {
                            "stop_id": "hitachi:jr_omika",
                            "name": "大甕駅",
                            "name_kana": "おおみかえき",
                        }
                    ]
                },
            )
        return httpx.Response(200, json=PLAN)

    api = ApiClient("http://server.test", transport=httpx.MockTransport(handler))
    return TripsState(api=api, store=TripStore.open(tmp_path))


async def test_autocomplete_sends_the_typed_kana_and_language(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    trips = make_state(tmp_path, seen)

    await trips.suggest("おおみか", "ja")

    assert trips.suggestions[0]["name"] == "大甕駅"
    assert seen[0].url.params["q"] == "おおみか"
    assert seen[0].headers["accept-language"] == "ja"


async def test_search_with_options_and_fewer_transfers_first(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    trips = make_state(tmp_path, seen)
    trips.origin = TripPlace.from_point("現在地", 36.5735, 140.6245)
    trips.destination = TripPlace.from_stop({"stop_id": "hitachi:jr_omika", "name": "大甕駅"})
    trips.wheelchair = trips.slow_walking = trips.fewer_transfers = True

    await trips.search("ja")

    params = seen[0].url.params
    assert params["from"] == "36.573500,140.624500"
    assert params["to"] == "stop:hitachi:jr_omika"
    assert params["wheelchair"] == "true"
    assert params["walk_speed"] == "0.8"
    assert [i["transfers"] for i in trips.itineraries] == [0, 1]
    assert clock(trips.itineraries[0]["start"]) == "08:10"


async def test_recent_searches_and_favourites_survive_a_restart(tmp_path: Path) -> None:
    trips = make_state(tmp_path, [])
    home = TripPlace.from_point("自宅", 36.5735, 140.6245)
    station = TripPlace("大甕駅", "stop:hitachi:jr_omika")
    trips.origin, trips.destination = home, station
    trips.store.set_favourite("home", home)

    await trips.search("ja")
    reopened = TripStore.open(tmp_path)

    assert reopened.recent == [(home, station)]
    assert reopened.favourites["home"] == home


def test_a_damaged_store_file_does_not_stop_the_app(tmp_path: Path) -> None:
    (tmp_path / "trips.json").write_text("{not json")

    store = TripStore.open(tmp_path)

    assert store.recent == []
    assert json.loads(json.dumps(store.favourites)) == {}


def test_screen_draws_results_and_the_selected_itinerary_legs(tmp_path: Path) -> None:
    from app.client.state import AppState, MemoryPreferences
    from app.client.views.trips import trips_screen

    trips = make_state(tmp_path, [])
    trips.itineraries = [dict(PLAN["itineraries"][0], legs=[])]  # type: ignore[call-overload]
    trips.selected = 0

    screen = trips_screen(AppState(prefs=MemoryPreferences()), trips, search=trips_noop)

    assert screen is not None


async def trips_noop() -> None:
    return None


def test_a_typed_time_is_read_as_that_time_today(tmp_path: Path) -> None:
    trips = TripsState(ApiClient("http://machi.test"), TripStore.open(tmp_path))
    now = datetime(2026, 11, 22, 22, 40, tzinfo=ZoneInfo("Asia/Tokyo"))

    assert trips.set_time("8:30", now)
    assert trips.when == datetime(2026, 11, 22, 8, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert trips.set_time("０８：０５", now)  # full-width digits from a Japanese keyboard
    assert trips.when is not None
    assert (trips.when.hour, trips.when.minute) == (8, 5)


@pytest.mark.parametrize("text", ["25:00", "8:75", "あさ", "830x"])
def test_a_text_that_is_not_a_time_keeps_the_previous_one(tmp_path: Path, text: str) -> None:
    trips = TripsState(ApiClient("http://machi.test"), TripStore.open(tmp_path))
    now = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    trips.set_time("7:00", now)

    assert not trips.set_time(text, now)
    assert trips.when is not None
    assert trips.when.hour == 7


def test_an_empty_time_means_now(tmp_path: Path) -> None:
    trips = TripsState(ApiClient("http://machi.test"), TripStore.open(tmp_path))
    now = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    trips.set_time("7:00", now)

    assert trips.set_time("  ", now)
    assert trips.when is None

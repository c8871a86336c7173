"""The embedded router on tiny handmade feeds: one rule per test, with times a reader can check."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from server.transit.router import (
    Journey,
    RouterOptions,
    Timetable,
    TransitLeg,
    WalkLeg,
    arrive_by,
    build_timetable,
    earliest_arrival,
    leg_geometry,
    load_or_build,
    nearby_stops,
    range_query,
    walk_access,
)

WED = dt.date(2026, 4, 1)
LAT, LON = 36.59, 140.65
M_PER_DEG_LAT = 111_194.93  # on the router's sphere (radius 6,371,008.8 m)

Row = Mapping[str, object]


def north(metres: float) -> float:
    return LAT + metres / M_PER_DEG_LAT


def hms(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def _write(folder: Path, name: str, rows: Sequence[Row]) -> None:
    if not rows:
        return
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(rows)


def write_feed(
    folder: Path,
    stops: Sequence[Row],
    stop_times: Mapping[str, Sequence[tuple[str, str] | Row]],
    *,
    trips: Sequence[Row] = (),
    calendar: Sequence[Row] | None = None,
    calendar_dates: Sequence[Row] = (),
    frequencies: Sequence[Row] = (),
    transfers: Sequence[Row] = (),
    shapes: Sequence[Row] = (),
    timezone: str = "Asia/Tokyo",
) -> Path:
    """A GTFS folder. stop_times maps trip_id to calls, each (stop_id, "H:MM:SS") or a row;
    trips not listed in `trips` run route R on service "wk" (Mon-Fri in 2026)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder,
        "agency.txt",
        [
            {
                "agency_id": "a",
                "agency_name": "A",
                "agency_url": "https://example.org",
                "agency_timezone": timezone,
            }
        ],
    )
    _write(folder, "stops.txt", [{"stop_name": r["stop_id"], **r} for r in stops])
    _write(
        folder,
        "routes.txt",
        [
            {
                "route_id": "R",
                "agency_id": "a",
                "route_short_name": "1",
                "route_long_name": "Line 1",
                "route_type": 3,
            }
        ],
    )
    listed = {str(t["trip_id"]): t for t in trips}
    _write(
        folder,
        "trips.txt",
        [
            {"route_id": "R", "service_id": "wk", **listed.get(tid, {}), "trip_id": tid}
            for tid in stop_times
        ],
    )
    rows = []
    for tid, calls in stop_times.items():
        for i, call in enumerate(calls):
            if isinstance(call, tuple):
                call = {"stop_id": call[0], "arrival_time": call[1], "departure_time": call[1]}
            rows.append({"trip_id": tid, "stop_sequence": i + 1, **call})
    _write(folder, "stop_times.txt", rows)
    week = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), 1)
    weekend = {"saturday": 0, "sunday": 0}
    _write(
        folder,
        "calendar.txt",
        calendar
        if calendar is not None
        else [
            {
                "service_id": "wk",
                **week,
                **weekend,
                "start_date": "20260101",
                "end_date": "20261231",
            }
        ],
    )
    _write(folder, "calendar_dates.txt", calendar_dates)
    _write(folder, "frequencies.txt", frequencies)
    _write(folder, "transfers.txt", transfers)
    _write(folder, "shapes.txt", shapes)
    return folder


def stop(stop_id: str, metres_north: float, **extra: object) -> dict[str, object]:
    return {"stop_id": stop_id, "stop_lat": round(north(metres_north), 7), "stop_lon": LON, **extra}


def line(*ids: str, step: float = 2000) -> list[dict[str, object]]:
    """Stops far enough apart (default 2 km) that nobody walks between them."""
    return [stop(s, i * step) for i, s in enumerate(ids)]


def build(tmp_path: Path, *feeds: tuple[str, Path]) -> Timetable:
    return build_timetable(list(feeds) or [("f", tmp_path / "f")])


def ids(tt: Timetable, journey: Journey) -> list[str]:
    return [tt.trip_id(leg.trip) for leg in journey.transit_legs]


def at(tt: Timetable, stop_id: str, walk_s: int = 0) -> list[tuple[int, int]]:
    return [(tt.stop_index(f"f:{stop_id}"), walk_s)]


# ---- transfers -------------------------------------------------------------------------------


def test_a_transfer_needs_min_transfer_s(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B", "C"),
        {
            "t1": [("A", "8:00:00"), ("B", "8:10:00")],
            "t2": [("B", "8:10:30"), ("C", "8:20:00")],
            "t3": [("B", "8:15:00"), ("C", "8:25:00")],
        },
    )
    tt = build(tmp_path)

    quick = earliest_arrival(
        tt, at(tt, "A"), at(tt, "C"), WED, hms("7:55:00"), RouterOptions(min_transfer_s=0)
    )
    careful = earliest_arrival(
        tt, at(tt, "A"), at(tt, "C"), WED, hms("7:55:00"), RouterOptions(min_transfer_s=60)
    )

    assert [(ids(tt, j), j.arrive_s, j.transfers) for j in quick] == [
        (["f:t1", "f:t2"], hms("8:20:00"), 1)
    ]
    assert [(ids(tt, j), j.arrive_s) for j in careful] == [(["f:t1", "f:t3"], hms("8:25:00"))]


def test_transfers_txt_time_at_a_station_applies_between_its_platforms(tmp_path: Path) -> None:
    stops = [
        *line("A", "C"),
        stop("S", 5000, location_type=1),
        stop("S1", 5000, parent_station="S"),
        stop("S2", 5005, parent_station="S"),
    ]
    write_feed(
        tmp_path / "f",
        stops,
        {
            "in": [("A", "8:00:00"), ("S1", "8:10:00")],
            "out1": [("S2", "8:12:00"), ("C", "8:30:00")],
            "out2": [("S2", "8:14:00"), ("C", "8:32:00")],
            "out3": [("S2", "8:20:00"), ("C", "8:38:00")],
        },
        transfers=[
            {"from_stop_id": "S", "to_stop_id": "S", "transfer_type": 2, "min_transfer_time": 180}
        ],
    )
    tt = build(tmp_path)
    opts = RouterOptions(min_transfer_s=0)

    normal = earliest_arrival(tt, at(tt, "A"), at(tt, "C"), WED, hms("7:50:00"), opts)
    slow = earliest_arrival(
        tt,
        at(tt, "A"),
        at(tt, "C"),
        WED,
        hms("7:50:00"),
        RouterOptions(min_transfer_s=0, walk_speed_mps=0.8),
    )

    # 180 s at 1.2 m/s; the same transfer takes a slow walker 180 x 1.2 / 0.8 = 270 s.
    assert ids(tt, normal[0]) == ["f:in", "f:out2"]
    walk = [leg for leg in normal[0].legs if isinstance(leg, WalkLeg)]
    assert [
        (w.seconds, tt.stop_ids[w.from_stop or 0], tt.stop_ids[w.to_stop or 0]) for w in walk
    ] == [(180, "f:S1", "f:S2")]
    assert ids(tt, slow[0]) == ["f:in", "f:out3"]


def test_walking_transfers_scale_with_walking_speed(tmp_path: Path) -> None:
    stops = [*line("A", "C"), stop("B", 5000), stop("B2", 5200)]  # 200 m apart
    write_feed(
        tmp_path / "f",
        stops,
        {
            "in": [("A", "8:00:00"), ("B", "8:10:00")],
            "out1": [("B2", "8:14:00"), ("C", "8:30:00")],
            "out2": [("B2", "8:20:00"), ("C", "8:36:00")],
        },
    )
    tt = build(tmp_path)

    def trip(speed: float) -> tuple[list[str], int, float]:
        j = earliest_arrival(
            tt,
            at(tt, "A"),
            at(tt, "C"),
            WED,
            hms("7:50:00"),
            RouterOptions(walk_speed_mps=speed, min_transfer_s=0),
        )[0]
        (walk,) = [leg for leg in j.legs if isinstance(leg, WalkLeg)]
        return ids(tt, j), walk.seconds, walk.metres

    # 200 m straight x 1.25 detour = 250 m walked: 209 s at 1.2 m/s, 313 s at 0.8 m/s.
    fast_ids, fast_s, metres = trip(1.2)
    slow_ids, slow_s, _ = trip(0.8)
    assert metres == pytest.approx(250, abs=0.5)
    assert (fast_ids, fast_s) == (["f:in", "f:out1"], 209)
    assert (slow_ids, slow_s) == (["f:in", "f:out2"], 313)


def test_max_walk_m_forbids_long_transfer_walks(tmp_path: Path) -> None:
    stops = [*line("A", "C"), stop("B", 5000), stop("B2", 5200)]
    write_feed(
        tmp_path / "f",
        stops,
        {"in": [("A", "8:00:00"), ("B", "8:10:00")], "out": [("B2", "8:20:00"), ("C", "8:36:00")]},
    )
    tt = build(tmp_path)

    allowed = earliest_arrival(
        tt, at(tt, "A"), at(tt, "C"), WED, hms("7:50:00"), RouterOptions(max_walk_m=300)
    )
    refused = earliest_arrival(
        tt, at(tt, "A"), at(tt, "C"), WED, hms("7:50:00"), RouterOptions(max_walk_m=200)
    )

    assert [ids(tt, j) for j in allowed] == [["f:in", "f:out"]]
    assert refused == []


def test_transfer_type_3_forbids_the_walk(tmp_path: Path) -> None:
    stops = [*line("A", "C"), stop("B", 5000), stop("B2", 5100)]
    calls = {
        "in": [("A", "8:00:00"), ("B", "8:10:00")],
        "out": [("B2", "8:20:00"), ("C", "8:36:00")],
    }
    write_feed(
        tmp_path / "f",
        stops,
        calls,
        transfers=[{"from_stop_id": "B", "to_stop_id": "B2", "transfer_type": 3}],
    )
    tt = build(tmp_path)

    assert earliest_arrival(tt, at(tt, "A"), at(tt, "C"), WED, hms("7:50:00")) == []


# ---- days and times --------------------------------------------------------------------------


def test_a_trip_past_midnight_is_found_from_the_next_day(tmp_path: Path) -> None:
    write_feed(tmp_path / "f", line("A", "B"), {"late": [("A", "24:30:00"), ("B", "24:50:00")]})
    tt = build(tmp_path)
    tue, sat, sun = WED - dt.timedelta(days=1), dt.date(2026, 4, 4), dt.date(2026, 4, 5)

    after_midnight = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, hms("0:20:00"))
    same_evening = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), tue, hms("23:50:00"))
    saturday_night = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), sat, hms("0:20:00"))
    sunday_night = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), sun, hms("0:20:00"))

    (leg,) = after_midnight[0].transit_legs
    assert (leg.board_s, leg.alight_s, leg.service_date) == (hms("0:30:00"), hms("0:50:00"), tue)
    assert same_evening[0].transit_legs[0].board_s == hms("24:30:00")
    assert saturday_night[0].transit_legs[0].service_date == dt.date(2026, 4, 3)  # Friday's trip
    # Saturday runs nothing: the next run is Monday's, at 24:30 on Monday's clock.
    assert [(leg.service_date, leg.board_s) for leg in sunday_night[0].transit_legs] == [
        (dt.date(2026, 4, 6), hms("48:30:00"))
    ]


def test_calendar_dates_remove_and_add_service(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B"),
        {
            "regular": [("A", "8:00:00"), ("B", "8:10:00")],
            "holiday": [("A", "9:00:00"), ("B", "9:10:00")],
        },
        trips=[{"trip_id": "holiday", "service_id": "hol"}],
        calendar_dates=[
            {"service_id": "wk", "date": "20260429", "exception_type": 2},
            {"service_id": "hol", "date": "20260429", "exception_type": 1},
        ],
    )
    tt = build(tmp_path)

    def first(day: dt.date) -> list[str]:
        return ids(tt, earliest_arrival(tt, at(tt, "A"), at(tt, "B"), day, hms("7:00:00"))[0])

    assert first(dt.date(2026, 4, 28)) == ["f:regular"]
    assert first(dt.date(2026, 4, 29)) == ["f:holiday"]
    assert first(dt.date(2026, 4, 30)) == ["f:regular"]


def test_a_date_outside_the_feed_has_no_journeys(tmp_path: Path) -> None:
    write_feed(tmp_path / "f", line("A", "B"), {"t": [("A", "8:00:00"), ("B", "8:10:00")]})
    tt = build(tmp_path)

    assert earliest_arrival(tt, at(tt, "A"), at(tt, "B"), dt.date(2030, 1, 9), 7 * 3600) == []


def test_frequencies_run_one_trip_per_headway(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B"),
        {"loop": [("A", "6:00:00"), ("B", "6:07:00")]},
        frequencies=[
            {"trip_id": "loop", "start_time": "6:00:00", "end_time": "7:00:00", "headway_secs": 600}
        ],
    )
    tt = build(tmp_path)

    at_605 = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, hms("6:05:00"))
    at_655 = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, hms("6:55:00"))

    (leg,) = at_605[0].transit_legs
    assert (tt.trip_id(leg.trip), leg.board_s, leg.alight_s) == (
        "f:loop",
        hms("6:10:00"),
        hms("6:17:00"),
    )
    assert tt.n_trips == 6  # 6:00 ... 6:50; end_time is exclusive
    # None left today: the next is tomorrow's first.
    assert [(leg.service_date, leg.board_s) for leg in at_655[0].transit_legs] == [
        (WED + dt.timedelta(days=1), hms("30:00:00"))
    ]


def test_untimed_stops_are_interpolated_by_distance(tmp_path: Path) -> None:
    stops = [stop("A", 0), stop("M", 1000), stop("B", 4000)]
    write_feed(
        tmp_path / "f",
        stops,
        {"t": [("A", "8:00:00"), {"stop_id": "M"}, ("B", "8:40:00")]},
    )
    tt = build(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "A"), at(tt, "M"), WED, hms("7:00:00"))

    assert j.arrive_s == hms("8:10:00")  # a quarter of the way, a quarter of the time


# ---- who may ride where ----------------------------------------------------------------------


def test_wheelchair_uses_only_accessible_trips_and_stops(tmp_path: Path) -> None:
    stops = [
        stop("A", 0, wheelchair_boarding=1),
        stop("P", 2000, location_type=1, wheelchair_boarding=1),
        stop("B", 2000, parent_station="P", wheelchair_boarding=0),  # inherits P's 1
        stop("C", 4000, wheelchair_boarding=2),
    ]
    write_feed(
        tmp_path / "f",
        stops,
        {
            "step": [("A", "8:00:00"), ("B", "8:10:00")],
            "low_floor": [("A", "8:15:00"), ("B", "8:25:00")],
            "to_c": [("A", "8:05:00"), ("C", "8:15:00")],
        },
        trips=[
            {"trip_id": "step", "wheelchair_accessible": 2},
            {"trip_id": "low_floor", "wheelchair_accessible": 1},
            {"trip_id": "to_c", "wheelchair_accessible": 1},
        ],
    )
    tt = build(tmp_path)
    chair = RouterOptions(wheelchair=True)

    def first(target: str, opts: RouterOptions) -> list[list[str]]:
        return [
            ids(tt, j)
            for j in earliest_arrival(tt, at(tt, "A"), at(tt, target), WED, hms("7:50:00"), opts)
        ]

    assert first("B", RouterOptions()) == [["f:step"]]
    assert first("B", chair) == [["f:low_floor"]]
    assert first("C", RouterOptions()) == [["f:to_c"]]
    assert first("C", chair) == []


def test_pickup_and_drop_off_bans_are_respected(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B", "C"),
        {
            "t": [
                ("A", "8:00:00"),
                {
                    "stop_id": "B",
                    "arrival_time": "8:10:00",
                    "departure_time": "8:10:00",
                    "pickup_type": 1,
                    "drop_off_type": 1,
                },
                ("C", "8:20:00"),
            ]
        },
    )
    tt = build(tmp_path)

    def trips(a: str, b: str) -> list[list[str]]:
        return [ids(tt, j) for j in earliest_arrival(tt, at(tt, a), at(tt, b), WED, 7 * 3600)]

    assert trips("A", "C") == [["f:t"]]
    assert trips("A", "B") == []
    assert trips("B", "C") == []


# ---- query kinds -----------------------------------------------------------------------------


def _shuttle(tmp_path: Path) -> Timetable:
    calls = {
        f"t{h}{m:02d}": [("A", f"{h}:{m:02d}:00"), ("B", f"{h}:{m + 10:02d}:00")]
        for h in (8, 9)
        for m in (0, 30)
    }
    write_feed(tmp_path / "f", line("A", "B"), calls)
    return build(tmp_path)


def test_earliest_arrival_leaves_as_late_as_the_first_vehicle_allows(tmp_path: Path) -> None:
    tt = _shuttle(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "A", 120), at(tt, "B", 60), WED, hms("8:05:00"))

    assert (j.depart_s, j.arrive_s) == (hms("8:28:00"), hms("8:41:00"))
    kinds = [(type(leg).__name__, leg.start_s, leg.end_s) for leg in j.legs]
    assert kinds == [
        ("WalkLeg", hms("8:28:00"), hms("8:30:00")),
        ("TransitLeg", hms("8:30:00"), hms("8:40:00")),
        ("WalkLeg", hms("8:40:00"), hms("8:41:00")),
    ]


def test_arrive_by_gives_the_latest_departure(tmp_path: Path) -> None:
    tt = _shuttle(tmp_path)

    (j,) = arrive_by(tt, at(tt, "A", 120), at(tt, "B"), WED, hms("9:05:00"))

    assert (ids(tt, j), j.depart_s, j.arrive_s) == (["f:t830"], hms("8:28:00"), hms("8:40:00"))


def test_range_query_lists_every_departure_in_the_window(tmp_path: Path) -> None:
    tt = _shuttle(tmp_path)

    journeys = range_query(tt, at(tt, "A"), at(tt, "B"), WED, hms("7:50:00"), window_s=7200)

    assert [ids(tt, j) for j in journeys] == [["f:t800"], ["f:t830"], ["f:t900"], ["f:t930"]]


def test_a_slower_journey_with_fewer_vehicles_is_kept(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B", "C"),
        {
            "slow": [("A", "8:00:00"), ("B", "8:30:00"), ("C", "9:00:00")],
            "fast1": [("A", "8:05:00"), ("B", "8:15:00")],
            "fast2": [("B", "8:20:00"), ("C", "8:30:00")],
        },
    )
    tt = build(tmp_path)

    journeys = earliest_arrival(tt, at(tt, "A"), at(tt, "C"), WED, hms("7:55:00"))

    assert [(ids(tt, j), j.transfers) for j in journeys] == [
        (["f:fast1", "f:fast2"], 1),
        (["f:slow"], 0),
    ]


def test_walking_alone_wins_when_it_is_quicker(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        [stop("A", 0), stop("B", 300)],
        {"t": [("A", "8:20:00"), ("B", "8:22:00")]},
    )
    tt = build(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, hms("8:00:00"))

    assert j.n_trips == 0
    assert j.arrive_s == hms("8:00:00") + math.ceil(300 * 1.25 / 1.2)


def test_origin_and_target_at_the_same_stop_need_no_legs(tmp_path: Path) -> None:
    tt = _shuttle(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "A"), at(tt, "A"), WED, hms("8:00:00"))

    assert (j.legs, j.depart_s, j.arrive_s) == ((), hms("8:00:00"), hms("8:00:00"))


def test_transit_legs_list_every_call_with_its_times(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        line("A", "B", "C", "D"),
        {"t": [("A", "8:00:00"), ("B", "8:10:00"), ("C", "8:20:00"), ("D", "8:30:00")]},
    )
    tt = build(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "B"), at(tt, "D"), WED, hms("8:00:00"))

    (leg,) = j.legs
    assert isinstance(leg, TransitLeg)
    assert [tt.stop_ids[s] for s in leg.stops] == ["f:B", "f:C", "f:D"]
    assert leg.departures == (hms("8:10:00"), hms("8:20:00"), hms("8:30:00"))
    assert tt.route_ids[leg.route] == "f:R"


def test_invalid_queries_are_rejected(tmp_path: Path) -> None:
    tt = _shuttle(tmp_path)

    with pytest.raises(ValueError, match="out of range"):
        earliest_arrival(tt, [(10_000, 0)], at(tt, "B"), WED, 0)
    with pytest.raises(ValueError, match="walk_speed"):
        earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, 0, RouterOptions(walk_speed_mps=0))
    assert earliest_arrival(tt, [], at(tt, "B"), WED, 0) == []


# ---- feeds, ids, cache -----------------------------------------------------------------------


def test_feeds_are_namespaced_and_walkable_between(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "jr",
        [stop("X", 0), stop("Y", 3000)],
        {"train": [("X", "7:00:00"), ("Y", "7:05:00")]},
    )
    write_feed(
        tmp_path / "bus",
        [stop("X", 3100), stop("Z", 6000)],
        {"bus": [("X", "7:10:00"), ("Z", "7:30:00")]},
    )
    tt = build_timetable([("jr", tmp_path / "jr"), ("bus", tmp_path / "bus")])

    (j,) = earliest_arrival(
        tt, [(tt.stop_index("jr:X"), 0)], [(tt.stop_index("bus:Z"), 0)], WED, hms("6:50:00")
    )

    assert tt.stop_index("jr:X") != tt.stop_index("bus:X")
    assert [tt.trip_id(leg.trip) for leg in j.transit_legs] == ["jr:train", "bus:bus"]
    assert isinstance(j.legs[1], WalkLeg)


def test_feeds_in_two_time_zones_are_refused(tmp_path: Path) -> None:
    calls = {"t": [("A", "8:00:00"), ("B", "8:10:00")]}
    write_feed(tmp_path / "a", line("A", "B"), calls)
    write_feed(tmp_path / "b", line("A", "B"), calls, timezone="Europe/Paris")

    with pytest.raises(ValueError, match="time zone"):
        build_timetable([("a", tmp_path / "a"), ("b", tmp_path / "b")])


def test_the_cache_round_trips_and_follows_the_feed(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "f", line("A", "B"), {"t": [("A", "8:00:00"), ("B", "8:10:00")]})
    cache = tmp_path / "cache"
    built = load_or_build([("f", feed)], cache)

    loaded = Timetable.load(cache)
    again = load_or_build([("f", feed)], cache)
    write_feed(feed, line("A", "B"), {"t": [("A", "8:00:00"), ("B", "8:20:00")]})
    rebuilt = load_or_build([("f", feed)], cache)

    def arrival(tt: Timetable) -> int:
        return earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, 7 * 3600)[0].arrive_s

    assert loaded.fingerprint == built.fingerprint == again.fingerprint
    assert arrival(loaded) == arrival(again) == hms("8:10:00")
    assert rebuilt.fingerprint != built.fingerprint
    assert arrival(rebuilt) == hms("8:20:00")
    assert Timetable.cached_fingerprint(cache) == rebuilt.fingerprint


# ---- places ----------------------------------------------------------------------------------


def test_nearby_stops_and_walk_access(tmp_path: Path) -> None:
    write_feed(
        tmp_path / "f",
        [stop("A", 0), stop("B", 300), stop("C", 900), stop("unserved", 100)],
        {"t": [("A", "8:00:00"), ("B", "8:10:00"), ("C", "8:20:00")]},
    )
    tt = build(tmp_path)

    near = nearby_stops(tt, LAT, LON, 500)
    access = walk_access(tt, LAT, LON, max_walk_m=500, walk_speed_mps=1.0)

    assert [(tt.stop_ids[s], round(d)) for s, d in near] == [("f:A", 0), ("f:B", 300)]
    # 500 m walked allows 400 m straight; B is ~300 m x 1.25 = ~375 m walked: ~375 s at 1 m/s.
    assert [tt.stop_ids[s] for s, _ in access] == ["f:A", "f:B"]
    assert [w for _, w in access] == [0, math.ceil(near[1][1] * 1.25 - 1e-6)]
    assert access[1][1] == pytest.approx(375, abs=1)


def test_leg_geometry_follows_the_shape(tmp_path: Path) -> None:
    pts = [(0, 0.0), (1000, 0.001), (2000, 0.0), (3000, 0.001), (4000, 0.0)]
    write_feed(
        tmp_path / "f",
        [stop("A", 0), stop("B", 2000), stop("C", 4000)],
        {"t": [("A", "8:00:00"), ("B", "8:10:00"), ("C", "8:20:00")]},
        trips=[{"trip_id": "t", "shape_id": "s"}],
        shapes=[
            {
                "shape_id": "s",
                "shape_pt_lat": round(north(m), 7),
                "shape_pt_lon": LON + dlon,
                "shape_pt_sequence": i,
            }
            for i, (m, dlon) in enumerate(pts)
        ],
    )
    tt = build(tmp_path)

    (j,) = earliest_arrival(tt, at(tt, "A"), at(tt, "B"), WED, hms("7:00:00"))
    (leg,) = j.transit_legs
    geometry = leg_geometry(tt, leg)

    assert len(geometry) == 5  # A, the shape's 3 points from A to B, B
    assert geometry[2] == pytest.approx((north(1000), LON + 0.001))

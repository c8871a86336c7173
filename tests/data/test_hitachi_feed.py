"""Consistency checks of the committed Hitachi demo feed (GTFS-JP) in gtfs/hitachi/."""

from __future__ import annotations

import csv
import filecmp
import json
import math
import re
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEED = ROOT / "gtfs" / "hitachi"
SCRIPT = ROOT / "scripts" / "make_hitachi_feed.py"

STANDARD_FILES = (
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "shapes.txt",
    "transfers.txt",
    "feed_info.txt",
)
GTFS_JP_FILES = ("agency_jp.txt", "routes_jp.txt", "office_jp.txt", "translations.txt")
TRANSLATIONS_HEADER = [
    "table_name",
    "field_name",
    "language",
    "translation",
    "record_id",
    "record_sub_id",
    "field_value",
]
HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")

Row = dict[str, str]


@cache
def table(name: str) -> tuple[Row, ...]:
    """The rows of one feed file."""
    with (FEED / name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def column(name: str, field: str) -> set[str]:
    """The distinct values of one column."""
    return {row[field] for row in table(name)}


def seconds(text: str) -> int:
    """GTFS HH:MM:SS (hours may exceed 23) to seconds."""
    hours, minutes, secs = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + secs


@cache
def stop_times_by_trip() -> dict[str, list[Row]]:
    """stop_times grouped by trip_id, in file order."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in table("stop_times.txt"):
        grouped[row["trip_id"]].append(row)
    return grouped


def distance_m(a: Row, b: Row) -> float:
    """Great-circle distance between two stops.txt rows in metres."""
    lat1, lon1, lat2, lon2 = (
        math.radians(float(v)) for v in (a["stop_lat"], a["stop_lon"], b["stop_lat"], b["stop_lon"])
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def test_feed_has_the_standard_and_gtfs_jp_files() -> None:
    present = {path.name for path in FEED.iterdir()}

    missing = set(STANDARD_FILES + GTFS_JP_FILES) - present

    assert not missing


def test_files_are_utf8_without_bom_and_with_lf_line_endings() -> None:
    for path in sorted(FEED.glob("*.txt")):
        data = path.read_bytes()

        assert not data.startswith(b"\xef\xbb\xbf"), path.name
        assert b"\r" not in data, path.name
        data.decode("utf-8")


@pytest.mark.parametrize(
    ("child", "field", "parent", "key"),
    [
        ("routes.txt", "route_id", "routes_jp.txt", "route_id"),
        ("routes.txt", "agency_id", "agency.txt", "agency_id"),
        ("agency_jp.txt", "agency_id", "agency.txt", "agency_id"),
        ("routes_jp.txt", "route_id", "routes.txt", "route_id"),
        ("trips.txt", "route_id", "routes.txt", "route_id"),
        ("trips.txt", "service_id", "calendar.txt", "service_id"),
        ("trips.txt", "shape_id", "shapes.txt", "shape_id"),
        ("trips.txt", "jp_office_id", "office_jp.txt", "office_id"),
        ("stop_times.txt", "trip_id", "trips.txt", "trip_id"),
        ("stop_times.txt", "stop_id", "stops.txt", "stop_id"),
        ("calendar_dates.txt", "service_id", "calendar.txt", "service_id"),
        ("transfers.txt", "from_stop_id", "stops.txt", "stop_id"),
        ("transfers.txt", "to_stop_id", "stops.txt", "stop_id"),
    ],
)
def test_every_reference_resolves(child: str, field: str, parent: str, key: str) -> None:
    dangling = column(child, field) - column(parent, key)

    assert not dangling


def test_every_trip_and_stop_is_used() -> None:
    served = column("stop_times.txt", "stop_id")
    stations = {row["stop_id"] for row in table("stops.txt") if row["location_type"] == "1"}

    assert column("trips.txt", "trip_id") == set(stop_times_by_trip())
    assert column("stops.txt", "stop_id") - stations == served


def test_parent_stations_are_stations_and_hold_the_platforms() -> None:
    stops = {row["stop_id"]: row for row in table("stops.txt")}
    parents = {row["parent_station"] for row in stops.values() if row["parent_station"]}

    assert parents
    assert all(stops[p]["location_type"] == "1" for p in parents)
    assert all(not stops[p]["parent_station"] for p in parents)


def test_stop_sequences_increase_and_times_never_go_back() -> None:
    for trip_id, rows in stop_times_by_trip().items():
        sequences = [int(row["stop_sequence"]) for row in rows]
        times = [seconds(t) for row in rows for t in (row["arrival_time"], row["departure_time"])]
        dists = [float(row["shape_dist_traveled"]) for row in rows]

        assert len(rows) >= 2, trip_id
        assert sequences == sorted(set(sequences)), trip_id
        assert times == sorted(times), trip_id
        assert dists == sorted(dists), trip_id


def test_times_are_zero_padded() -> None:
    pattern = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d$")

    bad = [
        row["trip_id"]
        for row in table("stop_times.txt")
        if not (pattern.match(row["arrival_time"]) and pattern.match(row["departure_time"]))
    ]

    assert not bad


def test_every_stop_has_a_hiragana_reading_and_an_english_name() -> None:
    names: dict[tuple[str, str], str] = {
        (row["record_id"], row["language"]): row["translation"]
        for row in table("translations.txt")
        if row["table_name"] == "stops" and row["field_name"] == "stop_name"
    }

    for stop in table("stops.txt"):
        kana = names.get((stop["stop_id"], "ja-Hrkt"), "")
        english = names.get((stop["stop_id"], "en"), "")

        assert HIRAGANA.match(kana), (stop["stop_id"], kana)
        assert english, stop["stop_id"]
        assert english.isascii(), (stop["stop_id"], english)


def test_translations_use_the_gtfs_standard_layout() -> None:
    with (FEED / "translations.txt").open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")

    assert header == TRANSLATIONS_HEADER
    for row in table("translations.txt"):
        assert bool(row["record_id"]) != bool(row["field_value"]), row


def test_routes_agencies_and_headsigns_are_translated() -> None:
    rows = table("translations.txt")
    by_table = defaultdict(set)
    for row in rows:
        by_table[(row["table_name"], row["language"])].add(row["record_id"] or row["field_value"])

    for language in ("ja-Hrkt", "en"):
        assert column("routes.txt", "route_id") <= by_table[("routes", language)]
        assert column("agency.txt", "agency_id") <= by_table[("agency", language)]
        assert column("trips.txt", "trip_headsign") <= by_table[("trips", language)]


def test_english_names_are_romanised_without_macrons() -> None:
    english = {row["translation"] for row in table("translations.txt") if row["language"] == "en"}

    assert {"Omika Station", "Hitachi-Taga Station", "Juo Station"} <= english
    assert all(text.isascii() for text in english)


def test_a_late_trip_runs_past_midnight() -> None:
    late = [row for row in table("stop_times.txt") if seconds(row["arrival_time"]) >= 24 * 3600]

    assert late


def test_service_starts_before_six_and_ends_after_eleven_pm() -> None:
    departures = [seconds(rows[0]["departure_time"]) for rows in stop_times_by_trip().values()]

    assert min(departures) < 6 * 3600
    assert max(departures) >= 23 * 3600


def test_rail_and_bus_agencies_and_modes() -> None:
    routes = table("routes.txt")
    stations = [row for row in table("stops.txt") if row["location_type"] == "1"]

    assert {row["route_type"] for row in routes} == {"2", "3"}
    assert len(stations) == 8
    assert all(row["agency_timezone"] == "Asia/Tokyo" for row in table("agency.txt"))
    assert all(row["agency_lang"] == "ja" for row in table("agency.txt"))


def test_calendar_covers_2026_and_2027() -> None:
    for row in table("calendar.txt"):
        assert row["start_date"] <= "20260101"
        assert row["end_date"] >= "20271231"
    info = table("feed_info.txt")[0]
    assert (info["feed_start_date"], info["feed_end_date"]) == ("20260101", "20271231")
    assert info["feed_lang"] == "ja"


@pytest.mark.parametrize("day", ["20260101", "20260506", "20260922", "20270322", "20271123"])
def test_a_weekday_holiday_runs_the_weekend_timetable(day: str) -> None:
    exceptions = {
        (row["service_id"], row["exception_type"])
        for row in table("calendar_dates.txt")
        if row["date"] == day
    }

    assert exceptions == {("weekday", "2"), ("weekend", "1")}


def test_station_bus_stops_are_a_short_walk_from_the_station() -> None:
    stops = {row["stop_id"]: row for row in table("stops.txt")}
    pairs = {
        "bus_hitachi_st": "jr_hitachi",
        "bus_taga_st": "jr_taga",
        "bus_omika_w": "jr_omika",
        "bus_ogitsu_w": "jr_ogitsu",
    }

    for bus, station in pairs.items():
        assert distance_m(stops[bus], stops[station]) <= 200, bus


def test_some_stops_and_trips_are_not_wheelchair_accessible() -> None:
    boarding = [row["wheelchair_boarding"] for row in table("stops.txt")]
    accessible = [row["wheelchair_accessible"] for row in table("trips.txt")]

    for values in (boarding, accessible):
        assert values.count("1") > len(values) / 2
        assert {"0", "2"} & set(values)


def test_generator_reproduces_the_committed_feed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True
    )

    names = sorted(path.name for path in FEED.glob("*.txt"))
    _, mismatch, errors = filecmp.cmpfiles(FEED, tmp_path, names, shallow=False)

    assert names == sorted(path.name for path in tmp_path.glob("*.txt"))
    assert not mismatch
    assert not errors


def test_gtfs_kit_reads_the_feed_and_finds_it_good() -> None:
    gk = pytest.importorskip("gtfs_kit")

    feed = gk.read_feed(FEED, dist_units="km")
    quality = gk.assess_quality(feed).set_index("indicator")["value"]

    assert quality["assessment"] == "good feed"
    assert len(feed.stop_times) == len(table("stop_times.txt"))


def test_manifest_lists_the_hitachi_feed() -> None:
    manifest = json.loads((ROOT / "gtfs" / "manifest.json").read_text(encoding="utf-8"))

    feeds = {feed["id"]: feed for feed in manifest["feeds"]}

    assert (ROOT / "gtfs" / feeds["hitachi"]["path"]) == FEED

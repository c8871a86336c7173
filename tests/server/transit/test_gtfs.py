"""GTFS validation: every problem names its file, line and field; good quirks are accepted."""

import shutil
from pathlib import Path

import pytest

from server.transit.gtfs import FeedError, Source, parse_time, validate_and_normalise

DEMO = Path(__file__).resolve().parents[3] / "gtfs" / "hitachi"


def tiny_feed(folder: Path) -> Path:
    """A minimal valid feed: one route, one trip over three stops, one weekday calendar."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "a,Bus,https://x.example,Asia/Tokyo\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        "s1,一,36.50,140.60\ns2,二,36.51,140.61\ns3,三,36.52,140.62\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        "r1,a,1,One,3\n",
        "trips.txt": "route_id,service_id,trip_id\nr1,wk,t1\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t1,5:30:00,5:30:00,s1,1\nt1,,,s2,2\nt1,25:10:00,25:10:00,s3,3\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n"
        "wk,1,1,1,1,1,0,0,20260101,20271231\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems_of(path: Path, tmp_path: Path) -> list[str]:
    with pytest.raises(FeedError) as caught, Source(path) as source:
        validate_and_normalise(source, tmp_path / "out")
    return [str(p) for p in caught.value.problems]


def test_unpadded_and_after_midnight_times_parse() -> None:
    assert parse_time("5:30:00") == 5 * 3600 + 30 * 60
    assert parse_time("25:10:00") == 25 * 3600 + 600
    assert parse_time("25:61:00") is None


def test_tiny_feed_is_normalised_with_padded_and_interpolated_times(tmp_path: Path) -> None:
    with Source(tiny_feed(tmp_path / "feed")) as source:
        summary = validate_and_normalise(source, tmp_path / "out")

    lines = (tmp_path / "out" / "stop_times.txt").read_text().splitlines()
    assert summary.stop_times == 3
    assert lines[1].startswith("t1,05:30:00,05:30:00")
    assert lines[2].startswith("t1,15:20:00,15:20:00")  # halfway between 05:30 and 25:10
    assert lines[3].startswith("t1,25:10:00")
    assert (summary.start_date, summary.end_date) == ("20260101", "20271231")


def test_bad_time_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    text = (feed / "stop_times.txt").read_text().replace("25:10:00,25:10:00", "25:61:00,25:10:00")
    (feed / "stop_times.txt").write_text(text)

    problems = problems_of(feed, tmp_path)

    assert problems == ["stop_times.txt line 4, field arrival_time: '25:61:00' is not a time"]


def test_dangling_references_are_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    (feed / "trips.txt").write_text("route_id,service_id,trip_id\nr9,wk,t1\n")
    text = (feed / "stop_times.txt").read_text().replace("s3,3", "nowhere,3")
    (feed / "stop_times.txt").write_text(text)

    problems = problems_of(feed, tmp_path)

    assert "trips.txt line 2, field route_id: 'r9' is not in routes.txt" in problems


def test_stop_time_with_unknown_stop_is_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    text = (feed / "stop_times.txt").read_text().replace("s3,3", "nowhere,3")
    (feed / "stop_times.txt").write_text(text)

    problems = problems_of(feed, tmp_path)

    assert problems == ["stop_times.txt line 4, field stop_id: 'nowhere' is not in stops.txt"]


def test_unknown_service_is_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    (feed / "trips.txt").write_text("route_id,service_id,trip_id\nr1,holiday,t1\n")

    problems = problems_of(feed, tmp_path)

    assert problems == [
        "trips.txt line 2, field service_id: 'holiday' is not in calendar.txt or calendar_dates.txt"
    ]


def test_missing_stop_times_is_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    (feed / "stop_times.txt").unlink()

    assert problems_of(feed, tmp_path) == ["stop_times.txt: required file is missing"]


def test_bad_calendar_date_is_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    text = (feed / "calendar.txt").read_text().replace("20271231", "20271332")
    (feed / "calendar.txt").write_text(text)

    assert problems_of(feed, tmp_path) == [
        "calendar.txt line 2, field end_date: '20271332' is not a date (YYYYMMDD)"
    ]


def test_time_going_backwards_is_reported(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "feed")
    text = (feed / "stop_times.txt").read_text().replace("25:10:00,25:10:00", "04:00:00,04:00:00")
    (feed / "stop_times.txt").write_text(text)

    assert problems_of(feed, tmp_path) == [
        "stop_times.txt line 4, field arrival_time: time goes backwards in trip 't1'"
    ]


def test_bad_zip_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")

    problems = problems_of(bad, tmp_path)

    assert len(problems) == 1
    assert problems[0].startswith("broken.zip: not a readable zip file")


def test_missing_path_is_reported_and_never_downloaded(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "https:" / "example.com" / "feed.zip", tmp_path)

    assert problems[0].endswith("no such file or folder")


def test_zip_with_files_in_a_subfolder_is_read(tmp_path: Path) -> None:
    feed = tiny_feed(tmp_path / "inner" / "gtfs")
    archive = Path(shutil.make_archive(str(tmp_path / "nested"), "zip", tmp_path / "inner"))

    with Source(archive) as source:
        summary = validate_and_normalise(source, tmp_path / "out")

    assert summary.trips == 1
    assert feed.exists()


def test_demo_feed_is_valid_and_keeps_its_gtfs_jp_files(tmp_path: Path) -> None:
    with Source(DEMO) as source:
        summary = validate_and_normalise(source, tmp_path / "out")

    assert summary.stops == 80
    assert summary.warnings == []
    for name in ("translations.txt", "agency_jp.txt", "routes_jp.txt", "office_jp.txt"):
        assert (tmp_path / "out" / name).is_file()

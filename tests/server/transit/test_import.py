"""Importing feeds: atomic, repeatable, GTFS-JP aware; a broken feed changes nothing."""

import shutil
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.main import create_app
from server.transit.gtfs import FeedError
from server.transit.importer import gtfs_root, import_feed, list_feeds, remove_feed
from server.transit.models import TransitStop

DEMO = Path(__file__).resolve().parents[3] / "gtfs" / "hitachi"


def stop(env, stop_id: str) -> TransitStop:
    with Session(env.engine) as session:
        found = session.get(TransitStop, stop_id)
        assert found is not None
        return found


def omika_departures(settings) -> int:
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/api/v1/stops/hitachi:jr_omika/departures", params={"time": "2026-11-24T08:00"}
        )
    assert response.status_code == 200
    return len(response.json()["departures"])


def test_demo_feed_imports_with_kana_and_english_names(transit_env) -> None:
    result = import_feed(transit_env.settings, transit_env.engine, DEMO, "hitachi")

    omika = stop(transit_env, "hitachi:jr_omika")
    assert result.changed
    assert result.stops == 80
    assert (omika.name, omika.name_kana, omika.name_en) == (
        "大甕駅",
        "おおみかえき",
        "Omika Station",
    )
    assert "omika" in omika.search_key
    feeds = list_feeds(transit_env.engine)
    assert [f.feed_id for f in feeds] == ["hitachi"]
    assert "東日本旅客鉄道株式会社" in feeds[0].agencies  # from agency_jp.txt


def test_reimporting_unchanged_content_is_skipped(transit_env) -> None:
    import_feed(transit_env.settings, transit_env.engine, DEMO, "hitachi")

    again = import_feed(transit_env.settings, transit_env.engine, DEMO, "hitachi")

    assert not again.changed


def test_broken_feed_leaves_the_old_data_answering(transit_env, tmp_path: Path) -> None:
    settings, engine = transit_env.settings, transit_env.engine
    import_feed(settings, engine, DEMO, "hitachi")
    before = omika_departures(settings)
    files_before = sorted(
        p.relative_to(gtfs_root(settings)) for p in gtfs_root(settings).rglob("*")
    )
    broken = tmp_path / "broken"
    shutil.copytree(DEMO, broken)
    lines = (broken / "stop_times.txt").read_text().splitlines()
    lines[1233] = lines[1233].replace(lines[1233].split(",")[1], "25:61:00", 1)
    (broken / "stop_times.txt").write_text("\n".join(lines) + "\n")

    with pytest.raises(FeedError) as caught:
        import_feed(settings, engine, broken, "hitachi")

    assert str(caught.value.problems[0]) == (
        "stop_times.txt line 1234, field arrival_time: '25:61:00' is not a time"
    )
    assert omika_departures(settings) == before
    assert stop(transit_env, "hitachi:jr_omika").name == "大甕駅"
    files_after = sorted(p.relative_to(gtfs_root(settings)) for p in gtfs_root(settings).rglob("*"))
    assert files_after == files_before


def test_bad_zip_and_missing_stop_times_are_rejected(transit_env, tmp_path: Path) -> None:
    settings, engine = transit_env.settings, transit_env.engine
    import_feed(settings, engine, DEMO, "hitachi")
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"not a zip at all")
    no_stop_times = tmp_path / "no_stop_times.zip"
    with zipfile.ZipFile(no_stop_times, "w") as archive:
        for path in DEMO.glob("*.txt"):
            if path.name != "stop_times.txt":
                archive.write(path, path.name)

    for path, message in (
        (bad_zip, "bad.zip: not a readable zip file"),
        (no_stop_times, "stop_times.txt: required file is missing"),
    ):
        with pytest.raises(FeedError) as caught:
            import_feed(settings, engine, path, "hitachi")
        assert str(caught.value.problems[0]).startswith(message)
    assert omika_departures(settings) > 0


def test_two_feeds_are_active_at_once_and_one_can_be_removed(transit_env, tmp_path: Path) -> None:
    settings, engine = transit_env.settings, transit_env.engine
    import_feed(settings, engine, DEMO, "hitachi")
    import_feed(settings, engine, DEMO, "copy")

    assert stop(transit_env, "copy:jr_omika").name == "大甕駅"
    assert [f.feed_id for f in list_feeds(engine)] == ["copy", "hitachi"]

    remove_feed(settings, engine, "copy")

    assert [f.feed_id for f in list_feeds(engine)] == ["hitachi"]
    with Session(engine) as session:
        assert not session.exec(select(TransitStop).where(TransitStop.feed_id == "copy")).all()
    assert not (gtfs_root(settings) / "feeds" / "copy").exists() or not any(
        (gtfs_root(settings) / "feeds" / "copy").iterdir()
    )
    assert omika_departures(settings) > 0


def test_invalid_feed_id_is_rejected(transit_env) -> None:
    with pytest.raises(FeedError, match="use a-z"):
        import_feed(transit_env.settings, transit_env.engine, DEMO, "Bad Id!")


def test_donanbus_old_translations_layout_gives_kana_readings(transit_env, shared_feed) -> None:
    path = shared_feed.path("muroran_donanbus_gtfsjp.zip")

    import_feed(transit_env.settings, transit_env.engine, path, "donan")

    etomo = stop(transit_env, "donan:0001")
    assert etomo.name == "絵鞆団地"
    assert etomo.name_kana == "えともだんち"
    assert "etomodanchi" in etomo.search_key


@pytest.mark.parametrize("name", ["sample_gtfs.zip", "cairns_gtfs.zip"])
def test_small_shared_feeds_import(transit_env, shared_feed, name: str) -> None:
    result = import_feed(transit_env.settings, transit_env.engine, shared_feed.path(name))

    assert result.changed
    assert result.stop_times > 0


def test_demo_loader_imports_the_manifest_feeds_once(transit_env) -> None:
    from server.transit.demo import load_demo_feeds

    first = load_demo_feeds(transit_env.settings, transit_env.engine)
    second = load_demo_feeds(transit_env.settings, transit_env.engine)

    assert first == ["hitachi"]
    assert second == []

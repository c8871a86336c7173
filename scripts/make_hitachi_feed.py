"""Generate machi's synthetic Hitachi demo feed (GTFS-JP) as plain text files in gtfs/hitachi/."""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "gtfs" / "hitachi"

FEED_START = date(2026, 1, 1)
FEED_END = date(2027, 12, 31)
FEED_VERSION = "2026.1"
ROUTE_UPDATE_DATE = "20260101"
WEEKDAY = "weekday"
WEEKEND = "weekend"  # 土休日ダイヤ: Saturdays, Sundays, public holidays and 12/30-1/3

Row = dict[str, str]


# --------------------------------------------------------------------------- stops


@dataclass(frozen=True)
class Stop:
    """A stops.txt row together with its hiragana reading and English name."""

    stop_id: str
    name: str
    kana: str
    en: str
    lat: float
    lon: float
    wheelchair: int = 1
    location_type: int = 0
    parent: str = ""
    platform_code: str = ""


# fmt: off
# The data tables below keep one stop per line (ruff format would put every field on its own).
# Joban line stations south to north: key, name, reading, English, lat, lon.
# Coordinates are the stations' real positions to ~50 m; 勝田, 常陸多賀 and 十王 come from their
# published coordinates, the others were checked against the line's kilometre posts.
RAIL_STATIONS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("katsuta", "勝田駅", "かつたえき", "Katsuta Station", 36.39448, 140.52440),
    ("sawa", "佐和駅", "さわえき", "Sawa Station", 36.42890, 140.54220),
    ("tokai", "東海駅", "とうかいえき", "Tokai Station", 36.46700, 140.56250),
    ("omika", "大甕駅", "おおみかえき", "Omika Station", 36.51450, 140.61880),
    ("taga", "常陸多賀駅", "ひたちたがえき", "Hitachi-Taga Station", 36.55209, 140.63238),
    ("hitachi", "日立駅", "ひたちえき", "Hitachi Station", 36.59060, 140.65310),
    ("ogitsu", "小木津駅", "おぎつえき", "Ogitsu Station", 36.63450, 140.67270),
    ("juo", "十王駅", "じゅうおうえき", "Juo Station", 36.67138, 140.68617),
)

# Station-plaza bus stops, each within 200 m of its rail station so a walking transfer exists.
# stop_id, name, reading, English, lat, lon, wheelchair_boarding
PLAZA_STOPS: tuple[tuple[str, str, str, str, float, float, int], ...] = (
    ("bus_taga_st", "多賀駅前", "たがえきまえ", "Taga Station", 36.55170, 140.63100, 1),
    ("bus_omika_w", "大甕駅西口", "おおみかえきにしぐち", "Omika Station West Exit",
     36.51500, 140.61720, 1),
    ("bus_hitachi_st", "日立駅中央口", "ひたちえきちゅうおうぐち", "Hitachi Station Central Exit",
     36.59030, 140.65150, 1),
    ("bus_ogitsu_w", "小木津駅西口", "おぎつえきにしぐち", "Ogitsu Station West Exit",
     36.63430, 140.67120, 1),
)

# ひたちBRT, north to south, along the former Hitachi Electric Railway right of way.
BRT_STOPS: tuple[tuple[str, str, str, str, float, float, int], ...] = (
    ("brt_izumicho", "泉町", "いずみちょう", "Izumicho", 36.54800, 140.63450, 1),
    ("brt_higashitaga", "東多賀町", "ひがしたがちょう", "Higashitagacho", 36.54480, 140.63800, 1),
    ("brt_kawarago", "河原子", "かわらご", "Kawarago", 36.53950, 140.64050, 1),
    ("brt_isotsubo", "磯坪", "いそつぼ", "Isotsubo", 36.53450, 140.63700, 1),
    ("brt_onuma", "大沼", "おおぬま", "Onuma", 36.53000, 140.63300, 1),
    ("brt_terakata", "寺方", "てらかた", "Terakata", 36.52550, 140.62900, 0),
    ("brt_mizuki", "水木", "みずき", "Mizuki", 36.52150, 140.62550, 1),
    ("brt_izumigamori", "泉が森", "いずみがもり", "Izumigamori", 36.51800, 140.62150, 1),
    ("brt_fukiagebashi", "吹上橋", "ふきあげばし", "Fukiagebashi", 36.50900, 140.61750, 1),
    ("brt_hitachi_shogyo", "日立商業高校", "ひたちしょうぎょうこうこう",
     "Hitachi Commercial High School", 36.50450, 140.61900, 1),
    ("brt_nanbu_library", "南部図書館", "なんぶとしょかん", "Nanbu Library",
     36.50050, 140.61950, 1),
    ("brt_kujihama", "久慈浜", "くじはま", "Kujihama", 36.49700, 140.62150, 1),
    ("brt_sunpia", "サンピア日立", "さんぴあひたち", "Sunpia Hitachi", 36.49350, 140.62500, 1),
    ("brt_osakana_center", "おさかなセンター", "おさかなせんたー",
     "Osakana Center (Michi-no-Eki Hitachi)", 36.48950, 140.62800, 1),
)

# Ibaraki Kotsu hill routes: stops inland (west, uphill) of the stations.
HILL_STOPS: tuple[tuple[str, str, str, str, float, float, int], ...] = (
    # 日立駅中央口 - 金沢団地
    ("bus_saiwaicho", "幸町", "さいわいちょう", "Saiwaicho", 36.58900, 140.64880, 1),
    ("bus_heiwa_dori", "平和通り", "へいわどおり", "Heiwa-dori", 36.58880, 140.64550, 1),
    ("bus_wakabacho", "若葉町", "わかばちょう", "Wakabacho", 36.58720, 140.64200, 1),
    ("bus_kashimacho", "鹿島町", "かしまちょう", "Kashimacho", 36.58500, 140.63900, 1),
    ("bus_suwacho", "諏訪町", "すわちょう", "Suwacho", 36.58180, 140.63520, 1),
    ("bus_suwa_es", "諏訪小学校前", "すわしょうがっこうまえ", "Suwa Elementary School",
     36.57950, 140.63180, 1),
    ("bus_kanesawa_1", "金沢町一丁目", "かねさわちょういっちょうめ", "Kanesawacho 1-chome",
     36.57700, 140.62900, 1),
    ("bus_kanesawa_3", "金沢町三丁目", "かねさわちょうさんちょうめ", "Kanesawacho 3-chome",
     36.57480, 140.62620, 2),
    ("bus_kanesawa_entrance", "金沢団地入口", "かねさわだんちいりぐち", "Kanesawa Danchi Entrance",
     36.57350, 140.62320, 1),
    ("bus_kanesawa_center", "金沢団地中央", "かねさわだんちちゅうおう", "Kanesawa Danchi Center",
     36.57220, 140.62050, 1),
    ("bus_kanesawa_danchi", "金沢団地", "かねさわだんち", "Kanesawa Danchi",
     36.57120, 140.61800, 1),
    # 多賀駅前 - 塙山団地
    ("bus_taga_post_office", "多賀郵便局前", "たがゆうびんきょくまえ", "Taga Post Office",
     36.55250, 140.62900, 1),
    ("bus_sengokucho", "千石町", "せんごくちょう", "Sengokucho", 36.55300, 140.62550, 1),
    ("bus_okubo_1", "大久保町一丁目", "おおくぼちょういっちょうめ", "Okubocho 1-chome",
     36.55400, 140.62150, 1),
    ("bus_okubo_es", "大久保小学校前", "おおくぼしょうがっこうまえ", "Okubo Elementary School",
     36.55480, 140.61800, 1),
    ("bus_okubo_4", "大久保町四丁目", "おおくぼちょうよんちょうめ", "Okubocho 4-chome",
     36.55550, 140.61400, 1),
    ("bus_moriyamacho", "森山町", "もりやまちょう", "Moriyamacho", 36.55450, 140.61000, 0),
    ("bus_hanayama_entrance", "塙山団地入口", "はなやまだんちいりぐち", "Hanayama Danchi Entrance",
     36.55250, 140.60700, 1),
    ("bus_hanayama_center", "塙山団地中央", "はなやまだんちちゅうおう", "Hanayama Danchi Center",
     36.55100, 140.60500, 2),
    ("bus_hanayama_danchi", "塙山団地", "はなやまだんち", "Hanayama Danchi",
     36.55000, 140.60300, 1),
    # 大甕駅西口 - みかの原団地
    ("bus_omikacho_2", "大みか町二丁目", "おおみかちょうにちょうめ", "Omikacho 2-chome",
     36.51600, 140.61400, 1),
    ("bus_omikacho_4", "大みか町四丁目", "おおみかちょうよんちょうめ", "Omikacho 4-chome",
     36.51720, 140.61050, 1),
    ("bus_omikacho_6", "大みか町六丁目", "おおみかちょうろくちょうめ", "Omikacho 6-chome",
     36.51850, 140.60700, 1),
    ("bus_ishinazaka", "石名坂", "いしなざか", "Ishinazaka", 36.51900, 140.60300, 1),
    ("bus_mikanohara_entrance", "みかの原入口", "みかのはらいりぐち", "Mikanohara Entrance",
     36.52050, 140.60100, 1),
    ("bus_mikanohara_1", "みかの原一丁目", "みかのはらいっちょうめ", "Mikanohara 1-chome",
     36.52200, 140.59900, 1),
    ("bus_mikanohara_center", "みかの原中央", "みかのはらちゅうおう", "Mikanohara Center",
     36.52350, 140.59700, 1),
    ("bus_mikanohara_2", "みかの原二丁目", "みかのはらにちょうめ", "Mikanohara 2-chome",
     36.52450, 140.59500, 2),
    ("bus_mikanohara_danchi", "みかの原団地", "みかのはらだんち", "Mikanohara Danchi",
     36.52580, 140.59300, 1),
    # 小木津駅西口 - 田尻ヶ丘
    ("bus_hidakacho", "日高町", "ひだかちょう", "Hidakacho", 36.63200, 140.66900, 1),
    ("bus_hidaka_es", "日高小学校前", "ひだかしょうがっこうまえ", "Hidaka Elementary School",
     36.63000, 140.66650, 1),
    ("bus_tajiri_1", "田尻町一丁目", "たじりちょういっちょうめ", "Tajiricho 1-chome",
     36.62700, 140.66450, 1),
    ("bus_tajiri_es", "田尻小学校前", "たじりしょうがっこうまえ", "Tajiri Elementary School",
     36.62450, 140.66200, 1),
    ("bus_tajiri_4", "田尻町四丁目", "たじりちょうよんちょうめ", "Tajiricho 4-chome",
     36.62250, 140.65950, 1),
    ("bus_tajirigaoka_entrance", "田尻ヶ丘入口", "たじりがおかいりぐち", "Tajirigaoka Entrance",
     36.62100, 140.65650, 1),
    ("bus_tajirigaoka_1", "田尻ヶ丘一丁目", "たじりがおかいっちょうめ", "Tajirigaoka 1-chome",
     36.62000, 140.65350, 2),
    ("bus_tajirigaoka_center", "田尻ヶ丘中央", "たじりがおかちゅうおう", "Tajirigaoka Center",
     36.61900, 140.65050, 1),
    ("bus_tajirigaoka", "田尻ヶ丘", "たじりがおか", "Tajirigaoka", 36.61800, 140.64800, 1),
)

# fmt: on

# Platform 1 serves northbound trains (下り, direction 0), platform 2 southbound ones (上り, 1).
PLATFORM_OFFSET_LON = 0.00012


def rail_stops() -> list[Stop]:
    """Each rail station as a parent station with two platforms."""
    stops: list[Stop] = []
    for key, name, kana, en, lat, lon in RAIL_STATIONS:
        parent = f"jr_{key}"
        stops.append(Stop(parent, name, kana, en, lat, lon, 1, location_type=1))
        for platform, offset in (("1", -PLATFORM_OFFSET_LON), ("2", PLATFORM_OFFSET_LON)):
            stops.append(
                Stop(
                    f"{parent}_{platform}",
                    name,
                    kana,
                    en,
                    lat,
                    round(lon + offset, 5),
                    1,
                    parent=parent,
                    platform_code=platform,
                )
            )
    return stops


def all_stops() -> list[Stop]:
    """Every stop of the feed, rail first."""
    simple = [Stop(*row) for row in (*PLAZA_STOPS, *BRT_STOPS, *HILL_STOPS)]
    return rail_stops() + simple


def platform(key: str, direction_id: int) -> str:
    """The platform stop_id of a rail station for a direction."""
    return f"jr_{key}_{direction_id + 1}"


def haversine_km(a: Stop, b: Stop) -> float:
    """Great-circle distance between two stops in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --------------------------------------------------------------------------- agencies, routes


@dataclass(frozen=True)
class Agency:
    """agency.txt and agency_jp.txt rows with translations of the name."""

    agency_id: str
    name: str
    kana: str
    en: str
    url: str
    official_name: str
    zip_number: str
    address: str


AGENCIES: tuple[Agency, ...] = (
    Agency(
        agency_id="jr_east",
        name="JR東日本",
        kana="じぇいあーるひがしにほん",
        en="JR East",
        url="https://www.jreast.co.jp/",
        official_name="東日本旅客鉄道株式会社",
        zip_number="1518578",
        address="東京都渋谷区代々木二丁目2番2号",
    ),
    # Ibaraki Kotsu's head-office address is left empty rather than guessed.
    Agency(
        agency_id="ibaraki_kotsu",
        name="茨城交通",
        kana="いばらきこうつう",
        en="Ibaraki Kotsu",
        url="https://www.ibako.co.jp/",
        official_name="茨城交通株式会社",
        zip_number="",
        address="",
    ),
)

# office_id, name, url. Office names are illustrative; phone numbers are deliberately left empty.
OFFICES: tuple[tuple[str, str, str], ...] = (
    ("jr_mito", "JR東日本 水戸支社", "https://www.jreast.co.jp/mito/"),
    ("ik_hitachi", "茨城交通 日立営業所", "https://www.ibako.co.jp/"),
)


@dataclass(frozen=True)
class Route:
    """routes.txt / routes_jp.txt data; long names are built from the terminal stops."""

    route_id: str
    agency_id: str
    office_id: str
    short_name: str
    short_kana: str
    short_en: str
    route_type: int
    color: str
    text_color: str
    stop_ids: tuple[str, ...]  # the full pattern in direction 0
    via: str = ""


def rail_pattern(keys: Sequence[str]) -> tuple[str, ...]:
    """Direction-0 platform ids for station keys."""
    return tuple(platform(key, 0) for key in keys)


RAIL_KEYS = tuple(row[0] for row in RAIL_STATIONS)
EXPRESS_KEYS = ("katsuta", "tokai", "omika", "taga", "hitachi")
BRT_PATTERN = (
    "bus_taga_st",
    *(row[0] for row in BRT_STOPS[:8]),
    "bus_omika_w",
    *(row[0] for row in BRT_STOPS[8:]),
)


def hill_pattern(first: str, start: str, end: str) -> tuple[str, ...]:
    """A station stop followed by the HILL_STOPS rows from start to end inclusive."""
    ids = [row[0] for row in HILL_STOPS]
    return (first, *ids[ids.index(start) : ids.index(end) + 1])


def jr_route(route_id: str, names: tuple[str, str, str], color: str, keys: Sequence[str]) -> Route:
    """A JR East rail route over the platforms of the given stations."""
    return Route(route_id, "jr_east", "jr_mito", *names, 2, color, "FFFFFF", rail_pattern(keys))


def bus_route(
    route_id: str,
    names: tuple[str, str, str],
    stop_ids: tuple[str, ...],
    via: str,
    color: str = "F39800",
    text_color: str = "000000",
) -> Route:
    """An Ibaraki Kotsu bus route; names are (ja, reading, en)."""
    return Route(
        route_id, "ibaraki_kotsu", "ik_hitachi", *names, 3, color, text_color, stop_ids, via
    )


ROUTES: tuple[Route, ...] = (
    jr_route("jr_joban", ("常磐線", "じょうばんせん", "Joban Line"), "0072BC", RAIL_KEYS),
    jr_route(
        "jr_joban_ltd",
        ("特急ときわ", "とっきゅうときわ", "Limited Express Tokiwa"),
        "C8102E",
        EXPRESS_KEYS,
    ),
    bus_route(
        "hitachi_brt",
        ("ひたちBRT", "ひたちびーあーるてぃー", "Hitachi BRT"),
        BRT_PATTERN,
        via="bus_omika_w",
        color="009E96",
        text_color="FFFFFF",
    ),
    bus_route(
        "ik_kanesawa",
        ("金沢団地線", "かねさわだんちせん", "Kanesawa Danchi Line"),
        hill_pattern("bus_hitachi_st", "bus_saiwaicho", "bus_kanesawa_danchi"),
        via="bus_suwacho",
    ),
    bus_route(
        "ik_hanayama",
        ("塙山団地線", "はなやまだんちせん", "Hanayama Danchi Line"),
        hill_pattern("bus_taga_st", "bus_taga_post_office", "bus_hanayama_danchi"),
        via="bus_okubo_es",
    ),
    bus_route(
        "ik_mikanohara",
        ("みかの原団地線", "みかのはらだんちせん", "Mikanohara Danchi Line"),
        hill_pattern("bus_omika_w", "bus_omikacho_2", "bus_mikanohara_danchi"),
        via="bus_ishinazaka",
    ),
    bus_route(
        "ik_tajirigaoka",
        ("田尻ヶ丘線", "たじりがおかせん", "Tajirigaoka Line"),
        hill_pattern("bus_ogitsu_w", "bus_hidakacho", "bus_tajirigaoka"),
        via="bus_tajiri_es",
    ),
)


# --------------------------------------------------------------------------- timetables


@dataclass(frozen=True)
class Line:
    """One route in one direction: its stops and departure offsets (minutes) from the first."""

    route_id: str
    direction_id: int
    stop_ids: tuple[str, ...]
    offsets: tuple[int, ...]
    dwell_s: int = 0  # seconds between arrival and departure at intermediate stops


@dataclass(frozen=True)
class TripSpec:
    """A trip to generate.

    `start` is the nominal departure (minutes) at the line's first stop; the trip runs from stop
    index `first` to `last` inclusive, so short workings keep the full line's timings.
    """

    line: Line
    service_id: str
    start: int
    first: int
    last: int
    short_name: str = ""
    wheelchair: int = 1
    desc: str = ""


def hhmm(text: str) -> int:
    """'HH:MM' to minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


Band = str | tuple[str, str, int]


def bands(*spec: Band) -> list[int]:
    """Departure minutes: a 'HH:MM' is one departure, (first, last, headway) a repeating band."""
    times: list[int] = []
    for band in spec:
        if isinstance(band, str):
            times.append(hhmm(band))
        else:
            first, last, headway = band
            times.extend(range(hhmm(first), hhmm(last) + 1, headway))
    return times


def cumulative(gaps: Sequence[int]) -> tuple[int, ...]:
    """Offsets from the gaps between consecutive stops."""
    offsets = [0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    return tuple(offsets)


def both_directions(
    route_id: str, stop_ids: Sequence[str], gaps: Sequence[int], dwell_s: int = 0
) -> tuple[Line, Line]:
    """The line in direction 0 and its reverse in direction 1, with the same running times."""
    forward = Line(route_id, 0, tuple(stop_ids), cumulative(gaps), dwell_s)
    reverse = Line(route_id, 1, tuple(reversed(stop_ids)), cumulative(gaps[::-1]), dwell_s)
    return forward, reverse


# Real local timings, e.g. 勝田 6:16 佐和 6:20 東海 6:25 大甕 6:31 常陸多賀 6:36 日立 6:41.
RAIL_GAPS = (4, 5, 6, 5, 5, 5, 4)
EXPRESS_GAPS = (6, 5, 4, 4)
BRT_GAPS = (2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2)


def rail_lines(keys: Sequence[str], route_id: str, gaps: Sequence[int]) -> tuple[Line, Line]:
    """Rail lines use platform 1 northbound and platform 2 southbound, 30 s dwell at each stop."""
    down = Line(route_id, 0, tuple(platform(k, 0) for k in keys), cumulative(gaps), 30)
    reverse_keys = tuple(reversed(keys))
    up = Line(route_id, 1, tuple(platform(k, 1) for k in reverse_keys), cumulative(gaps[::-1]), 30)
    return down, up


def local_rail_specs() -> list[TripSpec]:
    """Joban line locals: 15-min peaks, 30-min off-peak, short workings, a last train after 0:00."""
    down, up = rail_lines(RAIL_KEYS, "jr_joban", RAIL_GAPS)
    hitachi, taga = RAIL_KEYS.index("hitachi"), RAIL_KEYS.index("taga")
    last_index = len(RAIL_KEYS) - 1
    timetables = {
        (WEEKDAY, 0): bands(
            "05:32",
            "05:55",
            ("06:15", "08:45", 15),
            ("09:05", "16:35", 30),
            ("17:00", "19:30", 15),
            ("20:00", "23:00", 30),
            "23:30",
            "23:52",
        ),
        (WEEKDAY, 1): bands(
            "05:30",
            "05:52",
            ("06:10", "08:55", 15),
            ("09:10", "16:40", 30),
            ("17:05", "19:25", 20),
            ("20:05", "23:05", 30),
            "23:35",
        ),
        (WEEKEND, 0): bands(
            "05:32",
            ("06:05", "22:35", 30),
            "23:05",
            "23:52",
        ),
        (WEEKEND, 1): bands("05:30", ("06:10", "22:40", 30), "23:35"),
    }
    specs: list[TripSpec] = []
    for (service_id, direction_id), times in timetables.items():
        line = down if direction_id == 0 else up
        number = 521 + direction_id if service_id == WEEKDAY else 1521 + direction_id
        for i, start in enumerate(times):
            first, last = 0, last_index
            is_edge = i in (0, 1) or i >= len(times) - 2
            if not is_edge and i % 5 == 2:
                short_end = hitachi
            elif not is_edge and i % 7 == 4:
                short_end = taga
            else:
                short_end = last_index
            # Northbound short workings stop early; southbound ones start part-way down the line.
            if direction_id == 0:
                last = short_end
            else:
                first = last_index - short_end
            specs.append(TripSpec(line, service_id, start, first, last, f"{number + 2 * i}M"))
    return specs


def express_specs() -> list[TripSpec]:
    """A few limited express ときわ between 勝田 and 日立 (the same on every day)."""
    down, up = rail_lines(EXPRESS_KEYS, "jr_joban_ltd", EXPRESS_GAPS)
    last = len(EXPRESS_KEYS) - 1
    specs: list[TripSpec] = []
    for service_id in (WEEKDAY, WEEKEND):
        for i, start in enumerate(bands(("07:12", "22:12", 150))):
            specs.append(TripSpec(down, service_id, start, 0, last, f"ときわ{51 + 2 * i}号"))
        for i, start in enumerate(bands(("06:32", "21:32", 150))):
            specs.append(TripSpec(up, service_id, start, 0, last, f"ときわ{52 + 2 * i}号"))
    return specs


AUTOMATED_DESC = "自動運転バス（レベル4）"


def brt_specs() -> list[TripSpec]:
    """ひたちBRT every 15-30 min; some peak trips run only 大甕駅西口-おさかなセンター."""
    south, north = both_directions("hitachi_brt", BRT_PATTERN, BRT_GAPS)
    omika = BRT_PATTERN.index("bus_omika_w")
    last = len(BRT_PATTERN) - 1
    timetables = {
        (WEEKDAY, 0): bands(
            ("06:00", "06:40", 20),
            ("07:00", "08:45", 15),
            ("09:15", "15:45", 30),
            ("16:10", "18:50", 20),
            ("19:30", "21:30", 30),
        ),
        (WEEKDAY, 1): bands(
            ("05:45", "06:25", 20),
            ("06:45", "08:30", 15),
            ("09:00", "15:30", 30),
            ("16:00", "18:40", 20),
            ("19:10", "21:40", 30),
        ),
        (WEEKEND, 0): bands(("06:30", "21:00", 30)),
        (WEEKEND, 1): bands(("06:00", "21:30", 30)),
    }
    specs: list[TripSpec] = []
    for (service_id, direction_id), times in timetables.items():
        line = south if direction_id == 0 else north
        for i, start in enumerate(times):
            peak = start < hhmm("09:00") or hhmm("16:00") <= start < hhmm("19:00")
            short = service_id == WEEKDAY and peak and i % 3 == 1
            first, end = 0, last
            if short and direction_id == 0:
                first = omika
            elif short:
                end = last - omika
            automated = hhmm("10:00") <= start < hhmm("15:00") and i % 2 == 0
            specs.append(
                TripSpec(
                    line, service_id, start, first, end, desc=AUTOMATED_DESC if automated else ""
                )
            )
    return specs


@dataclass(frozen=True)
class HillRoute:
    """A station-to-estate bus route: running gaps and timetables per service and direction.

    Direction 0 runs uphill from the station to the estate.
    """

    route_id: str
    gaps: tuple[int, ...]
    weekday_uphill: tuple[Band, ...]
    weekday_downhill: tuple[Band, ...]
    weekend_uphill: tuple[Band, ...]
    weekend_downhill: tuple[Band, ...]


HILL_ROUTES: tuple[HillRoute, ...] = (
    HillRoute(
        route_id="ik_kanesawa",
        gaps=(2,) * 11,
        weekday_uphill=(
            ("06:15", "08:35", 20),
            ("09:15", "16:15", 60),
            ("16:45", "19:45", 30),
            ("20:30", "22:30", 60),
        ),
        weekday_downhill=(
            ("05:45", "08:25", 20),
            ("09:40", "16:40", 60),
            ("17:10", "19:40", 30),
            ("20:55", "21:55", 60),
        ),
        weekend_uphill=(("06:45", "21:45", 60),),
        weekend_downhill=(("06:15", "21:15", 60),),
    ),
    HillRoute(
        route_id="ik_hanayama",
        gaps=(2, 2, 2, 2, 2, 2, 3, 2, 2),
        weekday_uphill=(
            ("06:20", "08:20", 30),
            ("09:20", "16:20", 60),
            ("17:00", "19:30", 30),
            "20:30",
            "22:00",
        ),
        weekday_downhill=(
            ("05:50", "08:20", 30),
            ("09:50", "16:50", 60),
            ("17:30", "19:30", 40),
            "21:00",
        ),
        weekend_uphill=(("07:20", "21:20", 70),),
        weekend_downhill=(("06:40", "20:40", 70),),
    ),
    HillRoute(
        route_id="ik_mikanohara",
        gaps=(2, 2, 2, 2, 3, 2, 2, 2, 2),
        weekday_uphill=(
            ("06:25", "08:25", 30),
            ("09:30", "16:30", 70),
            ("17:10", "19:40", 30),
            "21:00",
            "22:20",
        ),
        weekday_downhill=(("05:55", "08:25", 30), ("10:00", "17:00", 70), ("17:40", "20:10", 50)),
        weekend_uphill=(("07:30", "20:30", 90),),
        weekend_downhill=(("07:00", "20:30", 90),),
    ),
    HillRoute(
        route_id="ik_tajirigaoka",
        gaps=(2, 2, 2, 2, 2, 3, 2, 2, 2),
        weekday_uphill=(
            ("06:35", "08:35", 40),
            ("09:35", "16:35", 70),
            ("17:20", "19:40", 35),
            "21:10",
        ),
        weekday_downhill=(("06:00", "08:40", 40), ("10:10", "17:10", 70), ("18:00", "20:00", 40)),
        weekend_uphill=(("07:40", "19:40", 90),),
        weekend_downhill=(("07:05", "20:35", 90),),
    ),
)


def hill_wheelchair(route_id: str, index: int, count: int) -> int:
    """wheelchair_accessible of a hill-route trip.

    Most buses are low-floor; 田尻ヶ丘 uses a small step-entry bus on every third trip, and the
    last 塙山団地 departure is a vehicle not yet surveyed (0 = no information).
    """
    if route_id == "ik_tajirigaoka" and index % 3 == 2:
        return 2
    if route_id == "ik_hanayama" and index == count - 1:
        return 0
    return 1


def hill_specs() -> list[TripSpec]:
    """Trips of the four station-to-estate routes."""
    routes = {route.route_id: route for route in ROUTES}
    specs: list[TripSpec] = []
    for hill in HILL_ROUTES:
        uphill, downhill = both_directions(hill.route_id, routes[hill.route_id].stop_ids, hill.gaps)
        last = len(uphill.stop_ids) - 1
        for service_id, line, spec in (
            (WEEKDAY, uphill, hill.weekday_uphill),
            (WEEKDAY, downhill, hill.weekday_downhill),
            (WEEKEND, uphill, hill.weekend_uphill),
            (WEEKEND, downhill, hill.weekend_downhill),
        ):
            times = bands(*spec)
            for i, start in enumerate(times):
                wheelchair = hill_wheelchair(hill.route_id, i, len(times))
                specs.append(TripSpec(line, service_id, start, 0, last, wheelchair=wheelchair))
    return specs


# --------------------------------------------------------------------------- building rows


def gtfs_time(seconds: int) -> str:
    """Seconds since the service day began to HH:MM:SS; hours pass 24 after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def headsign_of(stop: Stop) -> tuple[str, str, str]:
    """Headsign (ja, reading, en) for a terminal stop; rail headsigns drop the word 'station'."""
    if stop.parent:
        return (
            stop.name.removesuffix("駅"),
            stop.kana.removesuffix("えき"),
            stop.en.removesuffix(" Station"),
        )
    return stop.name, stop.kana, stop.en


@dataclass
class FeedTables:
    """The rows of the generated tables that depend on trips."""

    trips: list[Row]
    stop_times: list[Row]
    shapes: list[Row]
    headsigns: dict[str, tuple[str, str]]


def shape_rows(shape_id: str, stops: Sequence[Stop]) -> tuple[list[Row], list[float]]:
    """A shape through the stops' positions, and the distance (km) travelled at each stop."""
    rows: list[Row] = []
    dists: list[float] = []
    total = 0.0
    for seq, stop in enumerate(stops, start=1):
        if seq > 1:
            total += haversine_km(stops[seq - 2], stop)
        dists.append(round(total, 3))
        rows.append(
            {
                "shape_id": shape_id,
                "shape_pt_lat": f"{stop.lat:.5f}",
                "shape_pt_lon": f"{stop.lon:.5f}",
                "shape_pt_sequence": str(seq),
                "shape_dist_traveled": f"{total:.3f}",
            }
        )
    return rows, dists


def trip_id_for(spec: TripSpec, first_departure: int, taken: set[str]) -> str:
    """A readable, unique trip_id: route, service, direction and first departure time."""
    base = (
        f"{spec.line.route_id}_{spec.service_id}_{spec.line.direction_id}_"
        f"{first_departure // 60:02d}{first_departure % 60:02d}"
    )
    trip_id, suffix = base, ord("a")
    while trip_id in taken:
        trip_id = f"{base}{chr(suffix)}"
        suffix += 1
    taken.add(trip_id)
    return trip_id


def build_tables(specs: Iterable[TripSpec], stops: dict[str, Stop]) -> FeedTables:
    """trips, stop_times and shapes for the trip specs."""
    offices = {route.route_id: route.office_id for route in ROUTES}
    tables = FeedTables([], [], [], {})
    shape_dists: dict[str, list[float]] = {}
    taken: set[str] = set()
    for spec in specs:
        line = spec.line
        served = range(spec.first, spec.last + 1)
        served_stops = [stops[line.stop_ids[i]] for i in served]
        shape_id = (
            f"{line.route_id}_{line.direction_id}_{served_stops[0].stop_id}_"
            f"{served_stops[-1].stop_id}"
        )
        if shape_id not in shape_dists:
            rows, dists = shape_rows(shape_id, served_stops)
            tables.shapes.extend(rows)
            shape_dists[shape_id] = dists
        departures = [(spec.start + line.offsets[i]) * 60 for i in served]
        trip_id = trip_id_for(spec, departures[0] // 60, taken)
        headsign, kana, en = headsign_of(served_stops[-1])
        tables.headsigns[headsign] = (kana, en)
        tables.trips.append(
            {
                "route_id": line.route_id,
                "service_id": spec.service_id,
                "trip_id": trip_id,
                "trip_headsign": headsign,
                "trip_short_name": spec.short_name,
                "direction_id": str(line.direction_id),
                "shape_id": shape_id,
                "wheelchair_accessible": str(spec.wheelchair),
                "jp_trip_desc": spec.desc,
                "jp_office_id": offices[line.route_id],
            }
        )
        last_seq = len(served_stops)
        for seq, (stop, departure, dist) in enumerate(
            zip(served_stops, departures, shape_dists[shape_id], strict=True), start=1
        ):
            intermediate = 1 < seq < last_seq
            arrival = departure - line.dwell_s if intermediate else departure
            tables.stop_times.append(
                {
                    "trip_id": trip_id,
                    "arrival_time": gtfs_time(arrival),
                    "departure_time": gtfs_time(departure),
                    "stop_id": stop.stop_id,
                    "stop_sequence": str(seq),
                    "pickup_type": "1" if seq == last_seq else "0",
                    "drop_off_type": "1" if seq == 1 else "0",
                    "shape_dist_traveled": f"{dist:.3f}",
                }
            )
    return tables


# --------------------------------------------------------------------------- calendar

# Japanese public holidays (国民の祝日, 振替休日 and 国民の休日) in 2026 and 2027.
HOLIDAYS: tuple[tuple[str, str], ...] = (
    ("2026-01-01", "元日"),
    ("2026-01-12", "成人の日"),
    ("2026-02-11", "建国記念の日"),
    ("2026-02-23", "天皇誕生日"),
    ("2026-03-20", "春分の日"),
    ("2026-04-29", "昭和の日"),
    ("2026-05-03", "憲法記念日"),
    ("2026-05-04", "みどりの日"),
    ("2026-05-05", "こどもの日"),
    ("2026-05-06", "振替休日"),
    ("2026-07-20", "海の日"),
    ("2026-08-11", "山の日"),
    ("2026-09-21", "敬老の日"),
    ("2026-09-22", "国民の休日"),
    ("2026-09-23", "秋分の日"),
    ("2026-10-12", "スポーツの日"),
    ("2026-11-03", "文化の日"),
    ("2026-11-23", "勤労感謝の日"),
    ("2027-01-01", "元日"),
    ("2027-01-11", "成人の日"),
    ("2027-02-11", "建国記念の日"),
    ("2027-02-23", "天皇誕生日"),
    ("2027-03-21", "春分の日"),
    ("2027-03-22", "振替休日"),
    ("2027-04-29", "昭和の日"),
    ("2027-05-03", "憲法記念日"),
    ("2027-05-04", "みどりの日"),
    ("2027-05-05", "こどもの日"),
    ("2027-07-19", "海の日"),
    ("2027-08-11", "山の日"),
    ("2027-09-20", "敬老の日"),
    ("2027-09-23", "秋分の日"),
    ("2027-10-11", "スポーツの日"),
    ("2027-11-03", "文化の日"),
    ("2027-11-23", "勤労感謝の日"),
)


def year_end_days() -> list[date]:
    """12/30-1/3 run the weekend timetable, as JR East and the bus operators do."""
    days: list[date] = []
    day = FEED_START
    while day <= FEED_END:
        if (day.month, day.day) in ((12, 30), (12, 31), (1, 1), (1, 2), (1, 3)):
            days.append(day)
        day += timedelta(days=1)
    return days


def calendar_dates_rows() -> list[Row]:
    """Weekday holidays swap the weekday service for the weekend one."""
    days = {date.fromisoformat(text) for text, _ in HOLIDAYS} | set(year_end_days())
    rows: list[Row] = []
    for day in sorted(days):
        if day.weekday() >= 5:
            continue  # a weekend day already runs the weekend service
        stamp = day.strftime("%Y%m%d")
        rows.append({"service_id": WEEKDAY, "date": stamp, "exception_type": "2"})
        rows.append({"service_id": WEEKEND, "date": stamp, "exception_type": "1"})
    return rows


def calendar_rows() -> list[Row]:
    """Monday-Friday and Saturday-Sunday services over the whole feed period."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    rows = []
    for service_id, active in ((WEEKDAY, range(0, 5)), (WEEKEND, range(5, 7))):
        row = {"service_id": service_id}
        row.update({name: "1" if i in active else "0" for i, name in enumerate(days)})
        row.update(
            {"start_date": FEED_START.strftime("%Y%m%d"), "end_date": FEED_END.strftime("%Y%m%d")}
        )
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- static tables


def stop_rows(stops: Sequence[Stop]) -> list[Row]:
    """stops.txt rows."""
    return [
        {
            "stop_id": s.stop_id,
            "stop_name": s.name,
            "stop_lat": f"{s.lat:.5f}",
            "stop_lon": f"{s.lon:.5f}",
            "location_type": str(s.location_type),
            "parent_station": s.parent,
            "wheelchair_boarding": str(s.wheelchair),
            "platform_code": s.platform_code,
        }
        for s in stops
    ]


def long_names(route: Route, stops: dict[str, Stop]) -> tuple[str, str, str]:
    """route_long_name (ja, reading, en) from the route's terminals and its via stop."""
    names = [stops[route.stop_ids[0]], stops[route.stop_ids[-1]]]
    if route.via:
        names.insert(1, stops[route.via])
    if route.route_type == 2:
        span = [headsign_of(s) for s in names]
        return (
            f"{route.short_name}（{span[0][0]}〜{span[-1][0]}）",
            f"{route.short_kana}（{span[0][1]}〜{span[-1][1]}）",
            f"{route.short_en} ({span[0][2]} - {span[-1][2]})",
        )
    return (
        "〜".join(s.name for s in names),
        "〜".join(s.kana for s in names),
        " - ".join(s.en for s in names),
    )


def route_rows(stops: dict[str, Stop]) -> list[Row]:
    """routes.txt rows."""
    return [
        {
            "route_id": r.route_id,
            "agency_id": r.agency_id,
            "route_short_name": r.short_name,
            "route_long_name": long_names(r, stops)[0],
            "route_type": str(r.route_type),
            "route_color": r.color,
            "route_text_color": r.text_color,
        }
        for r in ROUTES
    ]


def routes_jp_rows(stops: dict[str, Stop]) -> list[Row]:
    """routes_jp.txt rows: origin, via and destination stop names."""
    return [
        {
            "route_id": r.route_id,
            "route_update_date": ROUTE_UPDATE_DATE,
            "origin_stop": stops[r.stop_ids[0]].name,
            "via_stop": stops[r.via].name if r.via else "",
            "destination_stop": stops[r.stop_ids[-1]].name,
        }
        for r in ROUTES
    ]


def agency_rows() -> list[Row]:
    """agency.txt rows."""
    return [
        {
            "agency_id": a.agency_id,
            "agency_name": a.name,
            "agency_url": a.url,
            "agency_timezone": "Asia/Tokyo",
            "agency_lang": "ja",
        }
        for a in AGENCIES
    ]


def agency_jp_rows() -> list[Row]:
    """agency_jp.txt rows; president names are left empty rather than guessed."""
    return [
        {
            "agency_id": a.agency_id,
            "agency_official_name": a.official_name,
            "agency_zip_number": a.zip_number,
            "agency_address": a.address,
            "agency_president_pos": "代表取締役社長",
            "agency_president_name": "",
        }
        for a in AGENCIES
    ]


def office_rows() -> list[Row]:
    """office_jp.txt rows."""
    return [
        {"office_id": office_id, "office_name": name, "office_url": url, "office_phone": ""}
        for office_id, name, url in OFFICES
    ]


def feed_info_rows() -> list[Row]:
    """feed_info.txt: one row."""
    return [
        {
            "feed_publisher_name": "machi（日立市デモ、合成データ）",
            "feed_publisher_url": "https://machi.example/",
            "feed_lang": "ja",
            "feed_start_date": FEED_START.strftime("%Y%m%d"),
            "feed_end_date": FEED_END.strftime("%Y%m%d"),
            "feed_version": FEED_VERSION,
        }
    ]


def transfer_rows() -> list[Row]:
    """Minimum transfer times between platforms of a station and to its plaza bus stop."""
    pairs = (
        ("jr_katsuta", "jr_katsuta", 180),
        ("jr_omika", "jr_omika", 180),
        ("jr_taga", "jr_taga", 180),
        ("jr_hitachi", "jr_hitachi", 180),
        ("jr_omika", "bus_omika_w", 300),
        ("jr_taga", "bus_taga_st", 240),
        ("jr_hitachi", "bus_hitachi_st", 300),
        ("jr_ogitsu", "bus_ogitsu_w", 240),
    )
    rows: list[Row] = []
    for a, b, seconds in pairs:
        for from_id, to_id in ((a, b),) if a == b else ((a, b), (b, a)):
            rows.append(
                {
                    "from_stop_id": from_id,
                    "to_stop_id": to_id,
                    "transfer_type": "2",
                    "min_transfer_time": str(seconds),
                }
            )
    return rows


def translation(
    table: str, field: str, language: str, text: str, record_id: str = "", field_value: str = ""
) -> Row:
    """One translations.txt row in the GTFS-standard layout."""
    return {
        "table_name": table,
        "field_name": field,
        "language": language,
        "translation": text,
        "record_id": record_id,
        "record_sub_id": "",
        "field_value": field_value,
    }


def translation_rows(stops: Sequence[Stop], headsigns: dict[str, tuple[str, str]]) -> list[Row]:
    """ja / ja-Hrkt / en names of every stop, route, agency and headsign."""
    by_id = {s.stop_id: s for s in stops}
    rows: list[Row] = []

    def add(
        table: str,
        field: str,
        names: tuple[str, str, str],
        record_id: str = "",
        field_value: str = "",
    ) -> None:
        for language, text in zip(("ja", "ja-Hrkt", "en"), names, strict=True):
            rows.append(translation(table, field, language, text, record_id, field_value))

    for a in AGENCIES:
        add("agency", "agency_name", (a.name, a.kana, a.en), a.agency_id)
    for r in ROUTES:
        add("routes", "route_short_name", (r.short_name, r.short_kana, r.short_en), r.route_id)
        add("routes", "route_long_name", long_names(r, by_id), r.route_id)
    for s in stops:
        add("stops", "stop_name", (s.name, s.kana, s.en), s.stop_id)
    for headsign, (kana, en) in sorted(headsigns.items()):
        add("trips", "trip_headsign", (headsign, kana, en), field_value=headsign)
    return rows


# --------------------------------------------------------------------------- writing


def write_table(path: Path, rows: Sequence[Row]) -> None:
    """Write rows as UTF-8 CSV without BOM, LF line endings, columns in first-row order."""
    fieldnames = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build_feed() -> dict[str, list[Row]]:
    """Every table of the feed, by file name."""
    stops = all_stops()
    by_id = {s.stop_id: s for s in stops}
    specs = local_rail_specs() + express_specs() + brt_specs() + hill_specs()
    tables = build_tables(specs, by_id)
    return {
        "agency.txt": agency_rows(),
        "agency_jp.txt": agency_jp_rows(),
        "office_jp.txt": office_rows(),
        "feed_info.txt": feed_info_rows(),
        "stops.txt": stop_rows(stops),
        "routes.txt": route_rows(by_id),
        "routes_jp.txt": routes_jp_rows(by_id),
        "trips.txt": tables.trips,
        "stop_times.txt": tables.stop_times,
        "shapes.txt": tables.shapes,
        "calendar.txt": calendar_rows(),
        "calendar_dates.txt": calendar_dates_rows(),
        "transfers.txt": transfer_rows(),
        "translations.txt": translation_rows(stops, tables.headsigns),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Write the feed to --out (default gtfs/hitachi) and print row counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in build_feed().items():
        write_table(out / name, rows)
        print(f"{name:20} {len(rows):6d} rows")


if __name__ == "__main__":
    main()

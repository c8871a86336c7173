"""The router against an independent brute-force oracle on real and randomly generated feeds.

The oracle reads GTFS with the csv module, computes footpaths over all stop pairs, and answers
"earliest arrival with at most k vehicles" by a layered connection scan. It shares no code with
the router, only the documented rules (400 m x 1.25 walks, one footpath per transfer, transfer
slack, untimed stops interpolated by distance, service days D-1/D/D+1).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
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
    range_query,
)

REPO = Path(__file__).resolve().parents[3]
SHARED_GTFS = REPO.parent / "shared" / "data" / "gtfs"
HITACHI = REPO / "gtfs" / "hitachi"
INF = 10**9
DAY = 86_400
RADIUS_M = 400.0
DETOUR = 1.25
REF_SPEED = 1.2
EARTH_M = 6_371_008.8


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not found")
    return path


# ---- an independent GTFS reader --------------------------------------------------------------


def _rows(path: Path, name: str) -> list[dict[str, str]]:
    f = path / name
    if not f.exists():
        return []
    with f.open(encoding="utf-8-sig", newline="") as fh:
        return [
            {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in csv.DictReader(fh)
        ]


def _secs(text: str) -> int | None:
    if not text:
        return None
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _date(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-6)


@dataclass
class Stop:
    pos: tuple[float, float] | None
    location_type: int
    parent: str
    wheelchair: int


@dataclass
class Trip:
    service: str
    wheelchair: int
    calls: list[tuple[str, int, int, bool, bool]]  # stop, arrival, departure, board?, alight?
    shifts: list[int]  # 0 for a scheduled trip; one per frequencies.txt departure


@dataclass
class Oracle:
    stops: dict[str, Stop] = field(default_factory=dict)
    trips: dict[str, Trip] = field(default_factory=dict)
    active: dict[str, set[dt.date]] = field(default_factory=lambda: defaultdict(set))
    transfers: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    nets: dict[tuple[dt.date, RouterOptions], Net] = field(default_factory=dict)


def load_oracle(feeds: list[tuple[str, Path]]) -> Oracle:
    o = Oracle()
    for fid, path in feeds:

        def ns(x: str, fid: str = fid) -> str:
            return f"{fid}:{x}"

        raw = {r["stop_id"]: r for r in _rows(path, "stops.txt")}
        for sid, r in raw.items():
            par = r.get("parent_station", "")
            src = r if r.get("stop_lat") else raw.get(par, r)
            pos = (float(src["stop_lat"]), float(src["stop_lon"])) if src.get("stop_lat") else None
            wc = int(r.get("wheelchair_boarding") or 0)
            if wc == 0 and par:
                wc = int(raw[par].get("wheelchair_boarding") or 0)
            o.stops[ns(sid)] = Stop(
                pos, int(r.get("location_type") or 0), ns(par) if par else "", wc
            )
        calls: dict[str, list[tuple[int, str, int | None, int | None, bool, bool]]] = defaultdict(
            list
        )
        for r in _rows(path, "stop_times.txt"):
            calls[r["trip_id"]].append(
                (
                    int(r["stop_sequence"]),
                    ns(r["stop_id"]),
                    _secs(r.get("arrival_time", "")),
                    _secs(r.get("departure_time", "")),
                    r.get("pickup_type", "") != "1",
                    r.get("drop_off_type", "") != "1",
                )
            )
        freqs: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for r in _rows(path, "frequencies.txt"):
            start, end = _secs(r["start_time"]), _secs(r["end_time"])
            assert start is not None
            assert end is not None
            freqs[r["trip_id"]].append((start, end, int(r["headway_secs"])))
        for r in _rows(path, "trips.txt"):
            cs = sorted(calls.get(r["trip_id"], []))
            if len(cs) < 2:
                continue
            timed = _fill(
                [(ns_s, a, d) for _, ns_s, a, d, _, _ in cs],
                {c[1]: o.stops[c[1]].pos for c in cs},
            )
            trip_calls = [(s, a, d, cs[i][4], cs[i][5]) for i, (s, a, d) in enumerate(timed)]
            shifts = [0]
            if r["trip_id"] in freqs:
                first = trip_calls[0][2]
                shifts = [
                    t - first for start, end, h in freqs[r["trip_id"]] for t in range(start, end, h)
                ]
            o.trips[ns(r["trip_id"])] = Trip(
                ns(r["service_id"]), int(r.get("wheelchair_accessible") or 0), trip_calls, shifts
            )
        for r in _rows(path, "calendar.txt"):
            day, last = _date(r["start_date"]), _date(r["end_date"])
            flags = [
                r[w]
                for w in (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
            ]
            while day <= last:
                if flags[day.weekday()] == "1":
                    o.active[ns(r["service_id"])].add(day)
                day += dt.timedelta(days=1)
        for r in _rows(path, "calendar_dates.txt"):
            if r["exception_type"] == "1":
                o.active[ns(r["service_id"])].add(_date(r["date"]))
            else:
                o.active[ns(r["service_id"])].discard(_date(r["date"]))
        for r in _rows(path, "transfers.txt"):
            if any(
                r.get(k) for k in ("from_route_id", "to_route_id", "from_trip_id", "to_trip_id")
            ):
                continue
            mtt = r.get("min_transfer_time", "")
            o.transfers.append(
                (
                    ns(r["from_stop_id"]),
                    ns(r["to_stop_id"]),
                    int(r.get("transfer_type") or 0),
                    float(mtt) if mtt else None,
                )
            )
    return o


def _fill(
    calls: list[tuple[str, int | None, int | None]], pos: dict[str, tuple[float, float] | None]
) -> list[tuple[str, int, int]]:
    """Untimed stops: linear in straight-line distance between timepoints, half up."""
    arr = [a if a is not None else d for _, a, d in calls]
    dep = [d if d is not None else a for _, a, d in calls]
    dep = [
        max(x, y) if x is not None and y is not None else x for x, y in zip(dep, arr, strict=True)
    ]
    stops = [s for s, _, _ in calls]
    known = [i for i, a in enumerate(arr) if a is not None]
    for i in range(len(calls)):
        if arr[i] is not None:
            continue
        prev = max(k for k in known if k < i)
        nxt = min(k for k in known if k > i)
        legs = [_dist(pos[stops[j]], pos[stops[j + 1]]) for j in range(prev, nxt)]  # type: ignore[arg-type]
        total = sum(legs)
        part = sum(legs[: i - prev])
        t0, t1 = dep[prev], arr[nxt]
        assert t0 is not None
        assert t1 is not None
        frac = part / total if total > 0 else (i - prev) / (nxt - prev)
        arr[i] = dep[i] = t0 + math.floor((t1 - t0) * frac + 0.5)
    return [(s, a, d) for s, a, d in zip(stops, arr, dep, strict=True)]  # type: ignore[misc]


# ---- the oracle's network for one query setting ---------------------------------------------


@dataclass
class Net:
    conns: list[tuple[int, int, int, tuple[str, int, int], str, str, bool, bool]]
    deps: list[int]
    fps: dict[str, list[tuple[str, int]]]
    fp_set: dict[tuple[str, str], tuple[int, float]]
    self_t: dict[str, int]
    ok: set[str] | None  # stops a wheelchair user may use; None = all


def footpaths(
    o: Oracle, speed: float, max_walk: float | None
) -> tuple[dict[tuple[str, str], tuple[int, float]], dict[str, int]]:
    walkable = [s for s, st in o.stops.items() if st.location_type in (0, 1) and st.pos is not None]
    pairs: dict[tuple[str, str], tuple[float, float]] = {}  # -> (fixed secs or -1, metres)
    for a in walkable:
        for b in walkable:
            if a != b:
                d = _dist(o.stops[a].pos, o.stops[b].pos)  # type: ignore[arg-type]
                if d <= RADIUS_M:
                    pairs[(a, b)] = (-1.0, d * DETOUR)
    children: dict[str, list[str]] = defaultdict(list)
    for s, st in o.stops.items():
        if st.parent:
            children[st.parent].append(s)
    self_s: dict[str, float] = {}
    forbidden: set[tuple[str, str]] = set()
    for u, v, typ, mtt in o.transfers:
        for x in children.get(u) or [u]:
            for y in children.get(v) or [v]:
                if typ == 3:
                    forbidden.add((x, y))
                    continue
                secs = 0.0 if typ == 1 else (mtt if typ == 2 and mtt is not None else -1.0)
                if x == y:
                    self_s[x] = max(secs, 0.0)
                    continue
                px, py = o.stops[x].pos, o.stops[y].pos
                metres = _dist(px, py) * DETOUR if px and py else 0.0
                pairs[(x, y)] = (secs, metres)
    for x, y in forbidden:
        pairs.pop((x, y), None)
        if x == y:
            self_s[x] = -1.0
    out: dict[tuple[str, str], tuple[int, float]] = {}
    for key, (fixed, metres) in pairs.items():
        if max_walk is not None and metres > max_walk:
            continue
        secs = _ceil(fixed * REF_SPEED / speed) if fixed >= 0 else _ceil(metres / speed)
        out[key] = (secs, metres)
    self_t = {s: (-1 if v < 0 else _ceil(v * REF_SPEED / speed)) for s, v in self_s.items()}
    return out, self_t


def make_net(o: Oracle, day: dt.date, opt: RouterOptions) -> Net:
    if (day, opt) not in o.nets:
        o.nets[(day, opt)] = _make_net(o, day, opt)
    return o.nets[(day, opt)]


def _make_net(o: Oracle, day: dt.date, opt: RouterOptions) -> Net:
    conns = []
    for slot in (-1, 0, 1):
        d = day + dt.timedelta(days=slot)
        off = slot * DAY
        for tid, trip in o.trips.items():
            if d not in o.active.get(trip.service, set()):
                continue
            if opt.wheelchair and trip.wheelchair != 1:
                continue
            calls = trip.calls
            for shift in trip.shifts:
                key = (tid, slot, shift)
                for i in range(len(calls) - 1):
                    u, _, dep, board, _ = calls[i]
                    v, arr, _, _, alight = calls[i + 1]
                    conns.append(
                        (dep + off + shift, arr + off + shift, i, key, u, v, board, alight)
                    )
    conns.sort(key=lambda c: (c[0], c[1], c[3], c[2]))
    fp_set, self_t = footpaths(o, opt.walk_speed_mps, opt.max_walk_m)
    fps: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (a, b), (secs, _) in fp_set.items():
        fps[a].append((b, secs))
    ok = {s for s, st in o.stops.items() if st.wheelchair == 1} if opt.wheelchair else None
    return Net(conns, [c[0] for c in conns], fps, fp_set, self_t, ok)


def oracle_ea(
    net: Net,
    origins: dict[str, int],
    targets: dict[str, int],
    t0: int,
    opt: RouterOptions,
    max_trips: int | None = None,
) -> list[int]:
    """Best arrival with at most k vehicles, k = 0 .. max_trips."""
    rounds = opt.max_transfers + 1 if max_trips is None else max_trips
    slack = opt.min_transfer_s
    ready: dict[str, int] = {}
    best = INF
    for s, w in origins.items():
        ready[s] = min(ready.get(s, INF), t0 + w)
        if s in targets:
            best = min(best, t0 + w + targets[s])
    for s, w in origins.items():
        for q, d in net.fps.get(s, ()):
            ready[q] = min(ready.get(q, INF), t0 + w + d)
            if q in targets:
                best = min(best, t0 + w + d + targets[q])
    out = [best]
    start = bisect.bisect_left(net.deps, t0)

    def ok(s: str) -> bool:
        return net.ok is None or s in net.ok

    for _ in range(rounds):
        boarded: set[tuple[str, int, int]] = set()
        tarr: dict[str, int] = {}
        for c in net.conns[start:]:
            dep, arr, _, key, u, v, board, alight = c
            if dep >= out[-1]:
                break
            if key not in boarded:
                if not (board and ok(u) and ready.get(u, INF) <= dep):
                    continue
                boarded.add(key)
            if alight and ok(v) and arr < tarr.get(v, INF):
                tarr[v] = arr
        arrive = out[-1]
        nxt: dict[str, int] = {}
        for v, a in tarr.items():
            if v in targets:
                arrive = min(arrive, a + targets[v])
            sd = net.self_t.get(v, 0)
            if sd >= 0:
                nxt[v] = min(nxt.get(v, INF), a + max(sd, slack))
            for q, d in net.fps.get(v, ()):
                if q in targets:
                    arrive = min(arrive, a + d + targets[q])
                nxt[q] = min(nxt.get(q, INF), a + max(d, slack))
        for s, r in nxt.items():
            if r < ready.get(s, INF):
                ready[s] = r
        out.append(arrive)
    return out


def front(best: list[int]) -> list[tuple[int, int]]:
    out = []
    prev = INF
    for k, a in enumerate(best):
        if a < prev:
            out.append((k, a))
            prev = a
    return out


# ---- feasibility of a returned journey, checked against the oracle's own data ---------------


def check_feasible(
    o: Oracle,
    net: Net,
    tt: Timetable,
    j: Journey,
    day: dt.date,
    opt: RouterOptions,
    origins: dict[str, int],
    targets: dict[str, int],
) -> None:
    legs = j.legs
    assert j.transfers == max(0, sum(isinstance(x, TransitLeg) for x in legs) - 1)
    if not legs:
        assert set(origins) & set(targets)
        return
    assert j.depart_s == legs[0].start_s
    assert j.arrive_s == legs[-1].end_s
    t = legs[0].start_s
    first = legs[0]
    here: str | None = None  # None: at the origin point
    if not (isinstance(first, WalkLeg) and first.from_stop is None):
        # No access leg: the journey starts at an origin stop reached with no walk.
        start = first.from_stop if isinstance(first, WalkLeg) else first.board_stop
        assert start is not None
        here = tt.stop_ids[start]
        assert origins.get(here) == 0
    last_alight: int | None = None
    walked_since: int | None = None
    for i, leg in enumerate(legs):
        assert leg.start_s >= t, f"leg {i} starts before the previous ended"
        if isinstance(leg, WalkLeg):
            frm = tt.stop_ids[leg.from_stop] if leg.from_stop is not None else None
            to = tt.stop_ids[leg.to_stop] if leg.to_stop is not None else None
            assert frm == here
            if frm is None:
                assert i == 0
                assert to in origins
                assert leg.seconds == origins[to]
            elif to is None:
                assert i == len(legs) - 1
                assert frm in targets
                assert leg.seconds == targets[frm]
            else:
                secs, metres = net.fp_set[(frm, to)]
                assert leg.seconds == secs
                assert abs(leg.metres - metres) < 1e-6
                assert walked_since is None, "two footpaths in a row"
                walked_since = leg.seconds
            here = to
        else:
            stop_ids = [tt.stop_ids[s] for s in leg.stops]
            assert stop_ids[0] == here
            trip = o.trips[tt.trip_id(leg.trip)]
            assert leg.service_date in o.active[trip.service], "trip does not run that day"
            off = (leg.service_date - day).days * DAY
            assert abs((leg.service_date - day).days) <= 1
            calls = trip.calls
            n = len(stop_ids)
            matches = [
                (k, shift)
                for shift in trip.shifts
                for k in range(len(calls) - n + 1)
                if [c[0] for c in calls[k : k + n]] == stop_ids
                and calls[k][2] + shift + off == leg.board_s
                and calls[k + n - 1][1] + shift + off == leg.alight_s
                and [c[1] + shift + off for c in calls[k : k + n]] == list(leg.arrivals)
                and [c[2] + shift + off for c in calls[k : k + n]] == list(leg.departures)
            ]
            assert matches, "not a real run of the trip"
            k, _ = matches[0]
            assert calls[k][3], "boarding not allowed there"
            assert calls[k + n - 1][4], "alighting not allowed there"
            if opt.wheelchair:
                assert trip.wheelchair == 1
                assert o.stops[stop_ids[0]].wheelchair == 1
                assert o.stops[stop_ids[-1]].wheelchair == 1
            if last_alight is not None:
                gap = leg.board_s - last_alight
                need = opt.min_transfer_s
                if walked_since is not None:
                    need = max(need, walked_since)
                else:
                    sd = net.self_t.get(stop_ids[0], 0)
                    assert sd >= 0, "transfer forbidden at this stop"
                    need = max(need, sd)
                assert gap >= need, f"transfer of {gap}s needs {need}s"
            last_alight = leg.alight_s
            walked_since = None
            here = stop_ids[-1]
        t = leg.end_s
    assert here is None or (here in targets and targets[here] == 0)


# ---- feeds ---------------------------------------------------------------------------------


def write_random_feed(path: Path, seed: int) -> None:
    """A small feed with every rule the router must get right: overtaking trips, loops,
    pickup/drop-off bans, untimed stops, trips past midnight, calendar_dates additions and
    removals, frequencies, stations with transfer rules, wheelchair flags."""
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)

    def write(name: str, header: list[str], rows: list[list[object]]) -> None:
        with (path / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    lat0, lon0 = 36.55, 140.63
    stops: list[list[object]] = [["st", "Station", lat0, lon0, 1, "", 1]]
    stops += [["st_1", "Station 1", lat0, lon0 + 0.0001, 0, "st", 0]]
    stops += [["st_2", "Station 2", lat0, lon0 - 0.0001, 0, "st", 2]]
    for i in range(22):
        stops.append(
            [
                f"s{i}",
                f"Stop {i}",
                round(lat0 + rng.uniform(-0.012, 0.012), 6),
                round(lon0 + rng.uniform(-0.015, 0.015), 6),
                0,
                "",
                rng.choice([0, 1, 1, 1, 2]),
            ]
        )
    twin_of = stops[3]
    stops.append(["s0b", "Stop 0 twin", twin_of[2], float(str(twin_of[3])) + 0.0008, 0, "", 1])
    write(
        "stops.txt",
        [
            "stop_id",
            "stop_name",
            "stop_lat",
            "stop_lon",
            "location_type",
            "parent_station",
            "wheelchair_boarding",
        ],
        stops,
    )
    write(
        "agency.txt",
        ["agency_id", "agency_name", "agency_url", "agency_timezone"],
        [["a", "A", "https://example.org", "Asia/Tokyo"]],
    )
    platforms = [str(s[0]) for s in stops if s[0] != "st"]
    routes, trips, times, freqs = [], [], [], []
    services = ["wk", "we", "extra"]
    for r in range(7):
        rid = f"r{r}"
        routes.append([rid, "a", f"{r}", f"Route {r}", 3])
        seq = rng.sample(platforms, rng.randint(4, 8))
        if r == 0:
            seq = [*seq, seq[0]]  # a loop
        hops = [rng.randint(60, 300) for _ in seq]
        frequency = r == 6
        t = rng.randint(4 * 3600, 6 * 3600)
        n = 0
        while t < (25 * 3600 + 1800):
            tid = f"t{r}_{n}"
            svc = rng.choice(services) if not frequency else "wk"
            express = rng.random() < 0.2
            pick = [rng.random() < 0.1 for _ in seq]
            trips.append([rid, svc, tid, f"To {seq[-1]}", rng.choice([0, 1, 1, 2])])
            cur = t
            for i, s in enumerate(seq):
                if i:
                    cur += hops[i] // (2 if express else 1)
                dwell = rng.choice([0, 0, 30])
                untimed = 0 < i < len(seq) - 1 and rng.random() < 0.15
                arr = "" if untimed else _hms(cur)
                dep = "" if untimed else _hms(cur + dwell)
                times.append(
                    [
                        tid,
                        arr,
                        dep,
                        s,
                        i + 1,
                        1 if pick[i] and i < len(seq) - 1 else 0,
                        1 if rng.random() < 0.05 else 0,
                    ]
                )
                cur += dwell
            n += 1
            if frequency:
                freqs += [[tid, "06:00:00", "09:00:00", 420], [tid, "16:00:00", "19:30:00", 900]]
                break
            t += rng.randint(400, 2400)
    write(
        "routes.txt",
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
        routes,
    )
    write(
        "trips.txt",
        ["route_id", "service_id", "trip_id", "trip_headsign", "wheelchair_accessible"],
        trips,
    )
    write(
        "stop_times.txt",
        [
            "trip_id",
            "arrival_time",
            "departure_time",
            "stop_id",
            "stop_sequence",
            "pickup_type",
            "drop_off_type",
        ],
        times,
    )
    write("frequencies.txt", ["trip_id", "start_time", "end_time", "headway_secs"], freqs)
    write(
        "calendar.txt",
        [
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
        [
            ["wk", 1, 1, 1, 1, 1, 0, 0, "20260301", "20260331"],
            ["we", 0, 0, 0, 0, 0, 1, 1, "20260301", "20260331"],
        ],
    )
    # 2026-03-20 (Fri) runs the weekend service; "extra" runs only on 03-19 and 03-20.
    write(
        "calendar_dates.txt",
        ["service_id", "date", "exception_type"],
        [
            ["wk", "20260320", 2],
            ["we", "20260320", 1],
            ["extra", "20260319", 1],
            ["extra", "20260320", 1],
        ],
    )
    far = [p for p in platforms if p.startswith("s")]
    write(
        "transfers.txt",
        ["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"],
        [
            ["st", "st", 2, 150],
            [far[1], far[2], 2, 200],
            [far[3], far[3], 3, ""],
            ["s0", "s0b", 3, ""],
            [far[4], far[5], 0, ""],
            [far[6], far[7], 1, ""],
        ],
    )


def _hms(t: int) -> str:
    return f"{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"


@dataclass
class Case:
    name: str
    feeds: list[tuple[str, Path]]
    days: list[dt.date]
    n_queries: int


def _cases(tmp: Path) -> dict[str, Case]:
    return {
        "random": Case(
            "random",
            [("x", tmp / "random")],
            [dt.date(2026, 3, 19), dt.date(2026, 3, 20), dt.date(2026, 3, 21)],
            60,
        ),
        "hitachi": Case(
            "hitachi",
            [("hitachi", HITACHI)],
            [dt.date(2026, 4, 1), dt.date(2026, 4, 29), dt.date(2026, 5, 2)],
            40,
        ),
        "cairns": Case(
            "cairns",
            [("cairns", SHARED_GTFS / "cairns_gtfs.zip")],
            [dt.date(2014, 6, 9), dt.date(2014, 6, 10)],
            30,
        ),
    }


@pytest.fixture(scope="module", params=["random", "hitachi", "cairns"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Case, Oracle, Timetable]:
    tmp = tmp_path_factory.mktemp("feeds")
    case = _cases(tmp)[request.param]
    feeds = []
    for fid, p in case.feeds:
        if case.name == "random":
            write_random_feed(p, seed=7)
        elif p.suffix == ".zip":
            import zipfile

            _need(p)
            dest = tmp / fid
            with zipfile.ZipFile(p) as z:
                z.extractall(dest)
            p = dest
        else:
            _need(p / "stop_times.txt")
        feeds.append((fid, p))
    case.feeds = feeds
    return case, load_oracle(feeds), build_timetable(feeds)


OPTIONS = [
    RouterOptions(),
    RouterOptions(walk_speed_mps=0.8, min_transfer_s=0),
    RouterOptions(max_transfers=1, min_transfer_s=120, max_walk_m=250),
    RouterOptions(wheelchair=True),
]


def _endpoints(
    rng: random.Random, tt: Timetable, served: list[int]
) -> tuple[list[tuple[int, int]], dict[str, int]]:
    if rng.random() < 0.5:
        s = rng.choice(served)
        pts = [(s, 0)]
    else:
        pts = [(rng.choice(served), rng.randint(0, 600)) for _ in range(rng.randint(1, 4))]
    best: dict[str, int] = {}
    for s, w in pts:
        sid = tt.stop_ids[s]
        best[sid] = min(best.get(sid, INF), w)
    return pts, best


def test_earliest_arrival_matches_the_oracle(world: tuple[Case, Oracle, Timetable]) -> None:
    case, o, tt = world
    rng = random.Random(11)
    served = tt.served_stops().tolist()
    found = 0
    for q in range(case.n_queries):
        day = rng.choice(case.days)
        opt = OPTIONS[q % len(OPTIONS)]
        net = make_net(o, day, opt)
        origins, o_map = _endpoints(rng, tt, served)
        targets, t_map = _endpoints(rng, tt, served)
        t0 = rng.randint(0, 26 * 3600) if q % 5 else rng.randint(0, 3600)  # some after midnight
        journeys = earliest_arrival(tt, origins, targets, day, t0, opt)
        want = front(oracle_ea(net, o_map, t_map, t0, opt))
        got = sorted((j.n_trips, j.arrive_s) for j in journeys)
        assert got == want, f"query {q}: {case.name} {day} t0={t0} {origins}->{targets} {opt}"
        for j in journeys:
            assert j.depart_s >= t0
            check_feasible(o, net, tt, j, day, opt, o_map, t_map)
        found += bool(journeys)
    assert found >= case.n_queries // 3, "too few queries found a journey to prove anything"


def test_arrive_by_gives_the_latest_departures(world: tuple[Case, Oracle, Timetable]) -> None:
    case, o, tt = world
    rng = random.Random(23)
    served = tt.served_stops().tolist()
    checked = 0
    for q in range(case.n_queries // 2):
        day = rng.choice(case.days)
        opt = OPTIONS[q % 2]
        net = make_net(o, day, opt)
        origins, o_map = _endpoints(rng, tt, served)
        targets, t_map = _endpoints(rng, tt, served)
        arrive = rng.randint(6 * 3600, 25 * 3600)
        journeys = arrive_by(tt, origins, targets, day, arrive, opt)
        for j in journeys:
            assert j.arrive_s <= arrive
            check_feasible(o, net, tt, j, day, opt, o_map, t_map)
        rounds = opt.max_transfers + 1
        fr = sorted((j.n_trips, j.depart_s) for j in journeys)
        for i, (n, dep) in enumerate(fr):
            # Leaving at dep works with n vehicles; leaving a second later does not, with fewer
            # vehicles than the next journey in the front uses.
            assert oracle_ea(net, o_map, t_map, dep, opt, n)[n] <= arrive
            limit = fr[i + 1][0] - 1 if i + 1 < len(fr) else rounds
            assert oracle_ea(net, o_map, t_map, dep + 1, opt, limit)[limit] > arrive
        fewest = fr[0][0] if fr else rounds + 1
        if fewest > 0:
            # Nothing with fewer vehicles arrives in time, however early one leaves.
            assert oracle_ea(net, o_map, t_map, -DAY, opt, fewest - 1)[fewest - 1] > arrive
        checked += bool(fr)
    assert checked >= 3


def test_range_query_is_the_pareto_profile(world: tuple[Case, Oracle, Timetable]) -> None:
    case, o, tt = world
    rng = random.Random(5)
    served = tt.served_stops().tolist()
    window = 7200
    checked = 0
    for q in range(max(4, case.n_queries // 5)):
        day = rng.choice(case.days)
        opt = OPTIONS[q % 2]
        net = make_net(o, day, opt)
        origins, o_map = _endpoints(rng, tt, served)
        targets, t_map = _endpoints(rng, tt, served)
        t0 = rng.randint(6 * 3600, 20 * 3600)
        journeys = range_query(tt, origins, targets, day, t0, window, opt)
        for j in journeys:
            assert t0 <= j.depart_s <= t0 + window
            check_feasible(o, net, tt, j, day, opt, o_map, t_map)
            if j.n_trips:
                # Nothing leaving at the same time with as few vehicles arrives earlier.
                assert oracle_ea(net, o_map, t_map, j.depart_s, opt, j.n_trips)[-1] == j.arrive_s
        for a in journeys:
            for b in journeys:
                assert a is b or not (
                    b.depart_s >= a.depart_s and b.arrive_s <= a.arrive_s and b.n_trips <= a.n_trips
                ), "a journey in the profile is dominated"
        # Completeness at sampled departure times: whatever the oracle reaches leaving then is
        # matched by a journey in the profile (unless it only exists leaving after the window).
        transit = [j for j in journeys if j.n_trips]
        for t in rng.sample(range(t0, t0 + window), 6):
            best = oracle_ea(net, o_map, t_map, t, opt)
            after = oracle_ea(net, o_map, t_map, t0 + window + 1, opt)
            for k in range(1, len(best)):
                if best[k] >= INF or best[k] >= best[0] or best[k] == after[k]:
                    continue
                assert any(
                    j.depart_s >= t and j.n_trips <= k and j.arrive_s <= best[k] for j in transit
                ), f"missing k={k} leaving {t}"
        checked += bool(transit)
    assert checked >= 1

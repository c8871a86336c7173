"""Journey queries over a Timetable: earliest arrival, arrive-by, range (rRAPTOR), nearby stops."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.transit.router import kernel
from server.transit.router.timetable import I32, REFERENCE_WALK_MPS, Network, Timetable

DAY_S = 86_400
_FORWARD_SLOTS = np.array([-DAY_S, 0, DAY_S], np.int32)
_REVERSE_SLOTS = np.array([DAY_S, 0, -DAY_S], np.int32)
# Whole seconds rounded up, but float noise (1.2 / 0.8 * 180 = 270.00000000000006) must not add
# a second: durations are ceil(x - _EPS).
_EPS = 1e-6
_MASK_CACHE = 32  # service-day masks kept per timetable (a few bytes per trip each)


@dataclass(frozen=True, slots=True)
class RouterOptions:
    """Per-query preferences.

    walk_speed_mps: footpath and transfer times scale with it (1.2 default; 0.8 for elderly).
    max_walk_m: longest walk allowed for a single transfer (None: the build radius only).
    wheelchair: only trips with wheelchair_accessible=1, boarding/alighting only at stops with
        wheelchair_boarding=1 (a stop's parent station's value is inherited); unknown = no.
    max_transfers: vehicles ridden at most max_transfers + 1.
    min_transfer_s: least time between alighting and boarding another vehicle (also when the
        transfer is a walk shorter than it); transfers.txt times apply when longer."""

    walk_speed_mps: float = REFERENCE_WALK_MPS
    max_walk_m: float | None = None
    wheelchair: bool = False
    max_transfers: int = 5
    min_transfer_s: int = 60


@dataclass(frozen=True, slots=True)
class TransitLeg:
    """A ride on one concrete trip. Times are seconds since midnight of the query's date (they
    may be negative or above 86,400 when the trip runs on the day before or after)."""

    trip: int
    route: int
    board_stop: int
    alight_stop: int
    board_s: int
    alight_s: int
    service_date: dt.date
    stops: tuple[int, ...]  # board stop ... alight stop, every stop the vehicle calls at
    arrivals: tuple[int, ...]  # at each of `stops`, same clock as board_s
    departures: tuple[int, ...]

    @property
    def start_s(self) -> int:
        return self.board_s

    @property
    def end_s(self) -> int:
        return self.alight_s


@dataclass(frozen=True, slots=True)
class WalkLeg:
    """A walk. from_stop None: from the query's origin point; to_stop None: to its destination
    point. Access and egress metres are estimated as seconds x walking speed."""

    from_stop: int | None
    to_stop: int | None
    start_s: int
    end_s: int
    metres: float

    @property
    def seconds(self) -> int:
        return self.end_s - self.start_s


Leg = TransitLeg | WalkLeg


@dataclass(frozen=True, slots=True)
class Journey:
    """An itinerary: legs in travel order, leaving as late as its first vehicle allows."""

    depart_s: int
    arrive_s: int
    legs: tuple[Leg, ...]

    @property
    def duration_s(self) -> int:
        return self.arrive_s - self.depart_s

    @property
    def transit_legs(self) -> tuple[TransitLeg, ...]:
        return tuple(leg for leg in self.legs if isinstance(leg, TransitLeg))

    @property
    def n_trips(self) -> int:
        return sum(1 for leg in self.legs if isinstance(leg, TransitLeg))

    @property
    def transfers(self) -> int:
        return max(0, self.n_trips - 1)

    @property
    def walk_metres(self) -> float:
        return sum(leg.metres for leg in self.legs if isinstance(leg, WalkLeg))


Endpoints = Sequence[tuple[int, int]]


# ---- preparation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ctx:
    net: Network
    fp_dur: I32
    self_dur: I32
    stop_ok: np.ndarray
    trip_mask: np.ndarray
    slot_off: I32
    fwd_fp_dur: I32


def _cached(tt: Timetable, key: Any, make: Any) -> Any:
    value = tt._cache.get(key)
    if value is None:
        value = make()
        if key[0] == "mask":
            masks = [k for k in list(tt._cache) if isinstance(k, tuple) and k[0] == "mask"]
            if len(masks) >= _MASK_CACHE:
                # Another thread may have evicted it already: queries share the timetable.
                tt._cache.pop(masks[0], None)
        tt._cache[key] = value
    return value


def _fp_dur(tt: Timetable, speed: float, max_walk: float | None) -> I32:
    def make() -> I32:
        secs = np.where(
            tt.fp_fixed_s >= 0,
            tt.fp_fixed_s * (REFERENCE_WALK_MPS / speed),
            tt.fp_metres / speed,
        )
        dur = np.ceil(secs - _EPS).astype(np.int32)
        if max_walk is not None:
            dur[tt.fp_metres > max_walk] = -1
        return dur

    return _cached(tt, ("fp", speed, max_walk), make)  # type: ignore[no-any-return]


def _trip_mask(tt: Timetable, day: int, wheelchair: bool) -> np.ndarray:
    def make() -> np.ndarray:
        svc = _cached(tt, ("trip_service",), lambda: tt.gtfs_trip_service[tt.trip_gtfs])
        n_days = tt.service_days.shape[1]
        bits = np.zeros(tt.service_days.shape[0], np.uint8)
        for slot, d in enumerate((day - 1, day, day + 1)):
            if 0 <= d < n_days:
                bits |= tt.service_days[:, d] << slot
        mask = bits[svc]
        if wheelchair:
            acc = tt.gtfs_trip_wheelchair[tt.trip_gtfs] == 1
            mask = np.where(acc, mask, 0).astype(np.uint8)
        return np.ascontiguousarray(mask, np.uint8)

    return _cached(tt, ("mask", day, wheelchair), make)  # type: ignore[no-any-return]


def _prepare(tt: Timetable, opt: RouterOptions, day: dt.date, reverse: bool) -> _Ctx:
    if opt.walk_speed_mps <= 0:
        raise ValueError("walk_speed_mps must be positive")
    if opt.max_transfers < 0:
        raise ValueError("max_transfers must be >= 0")
    speed = float(opt.walk_speed_mps)
    fwd = _fp_dur(tt, speed, opt.max_walk_m)
    fp_dur = fwd
    if reverse:
        fp_dur = _cached(
            tt, ("fp_rev", speed, opt.max_walk_m), lambda: fwd[tt.reverse_fp_perm()].copy()
        )

    def make_self() -> I32:
        s = tt.self_transfer_s
        return np.where(s < 0, -1, np.ceil(s * (REFERENCE_WALK_MPS / speed) - _EPS)).astype(
            np.int32
        )

    self_dur = _cached(tt, ("self", speed), make_self)
    stop_ok = _cached(
        tt,
        ("ok", opt.wheelchair),
        lambda: ((tt.stop_wheelchair == 1) if opt.wheelchair else np.ones(tt.n_stops, bool)).astype(
            np.uint8
        ),
    )
    mask = _trip_mask(tt, tt.day_index(day), opt.wheelchair)
    return _Ctx(
        net=tt.network(reverse),
        fp_dur=fp_dur,
        self_dur=self_dur,
        stop_ok=stop_ok,
        trip_mask=mask,
        slot_off=_REVERSE_SLOTS if reverse else _FORWARD_SLOTS,
        fwd_fp_dur=fwd,
    )


def _endpoints(tt: Timetable, points: Endpoints) -> tuple[I32, I32]:
    """Deduplicate (stop, walk seconds) keeping the shortest walk per stop."""
    best: dict[int, int] = {}
    for stop, walk in points:
        s = int(stop)
        w = int(walk)
        if not 0 <= s < tt.n_stops:
            raise ValueError(f"stop index {s} out of range")
        if w < 0:
            raise ValueError("walk seconds must be >= 0")
        if s not in best or w < best[s]:
            best[s] = w
    stops = np.fromiter(best.keys(), np.int32, len(best))
    walks = np.fromiter(best.values(), np.int32, len(best))
    return stops, walks


# ---- decoding ------------------------------------------------------------------------------

_RawLeg = tuple[int, ...]


def _raw_legs(
    tt: Timetable,
    legs: np.ndarray,
    reverse: bool,
    o_stop: I32,
    o_walk: I32,
    egress: I32,
) -> list[_RawLeg]:
    """Kernel leg rows to forward-time tuples: (LEG_ACCESS, stop, secs), (LEG_TRANSIT, pattern,
    row, slot, board pos, alight pos), (LEG_WALK, footpath), (LEG_EGRESS, stop, secs). In a
    reverse search the kernel's origins are the query's targets and its legs run backwards."""
    out: list[_RawLeg] = []
    perm = tt.reverse_fp_perm() if reverse else None
    for row in legs.tolist():
        kind = row[0]
        if kind == kernel.LEG_TRANSIT:
            p, r, slot, b, a = row[1:6]
            if reverse:
                n_st = int(tt.pat_stop_ofs[p + 1] - tt.pat_stop_ofs[p])
                n_tr = int(tt.pat_trip_ofs[p + 1] - tt.pat_trip_ofs[p])
                r, b, a = n_tr - 1 - r, n_st - 1 - a, n_st - 1 - b
            out.append((kernel.LEG_TRANSIT, p, r, slot, b, a))
        elif kind == kernel.LEG_WALK:
            f = row[1]
            out.append((kernel.LEG_WALK, int(perm[f]) if perm is not None else f))
        elif kind == kernel.LEG_ACCESS:
            o = row[1]
            if reverse:
                s = int(o_stop[o])
                out.append((kernel.LEG_EGRESS, s, int(o_walk[o])))
            else:
                out.append((kernel.LEG_ACCESS, int(o_stop[o]), int(o_walk[o])))
        else:
            q = row[1]
            if reverse:
                out.append((kernel.LEG_ACCESS, q, int(egress[q])))
            else:
                out.append((kernel.LEG_EGRESS, q, int(egress[q])))
    if reverse:
        out.reverse()
    return out


def _timed(
    tt: Timetable,
    raw: list[_RawLeg],
    day: dt.date,
    fp_dur: I32,
    speed: float,
    depart_s: int,
) -> Journey:
    """Place the legs in time: vehicles at their timetable times, walks after alighting, and
    the walks before the first vehicle just in time for it."""
    legs: list[Leg | None] = [None] * len(raw)
    first = -1
    for i, r in enumerate(raw):
        if r[0] != kernel.LEG_TRANSIT:
            continue
        if first < 0:
            first = i
        p, row, slot, b, a = r[1:6]
        s0 = int(tt.pat_stop_ofs[p])
        n_st = int(tt.pat_stop_ofs[p + 1]) - s0
        base = int(tt.pat_st_ofs[p]) + row * n_st
        off = int(_FORWARD_SLOTS[slot])
        trip = int(tt.pat_trips[int(tt.pat_trip_ofs[p]) + row])
        arrs = (tt.st_arr[base + b : base + a + 1] + off).tolist()
        deps = (tt.st_dep[base + b : base + a + 1] + off).tolist()
        stops = tt.pat_stops[s0 + b : s0 + a + 1].tolist()
        legs[i] = TransitLeg(
            trip=trip,
            route=int(tt.gtfs_trip_route[int(tt.trip_gtfs[trip])]),
            board_stop=stops[0],
            alight_stop=stops[-1],
            board_s=deps[0],
            alight_s=arrs[-1],
            service_date=day + dt.timedelta(days=slot - 1),
            stops=tuple(stops),
            arrivals=tuple(arrs),
            departures=tuple(deps),
        )

    def walk(r: _RawLeg, start: int | None, end: int | None) -> WalkLeg:
        if r[0] == kernel.LEG_WALK:
            f = r[1]
            secs = int(fp_dur[f])
            frm: int | None = int(tt.fp_from[f])
            to: int | None = int(tt.fp_to[f])
            metres = float(tt.fp_metres[f])
        else:
            secs = r[2]
            frm, to = (None, r[1]) if r[0] == kernel.LEG_ACCESS else (r[1], None)
            metres = secs * speed
        if start is None:
            assert end is not None
            start = end - secs
        return WalkLeg(frm, to, start, start + secs, metres)

    if first < 0:
        t = depart_s
        for i, r in enumerate(raw):
            legs[i] = walk(r, t, None)
            t = legs[i].end_s  # type: ignore[union-attr]
    else:
        first_leg = legs[first]
        assert first_leg is not None
        t = first_leg.start_s
        for i in range(first - 1, -1, -1):
            legs[i] = walk(raw[i], None, t)
            t = legs[i].start_s  # type: ignore[union-attr]
        t = first_leg.end_s
        for i in range(first + 1, len(raw)):
            cur = legs[i]
            if cur is None:
                legs[i] = walk(raw[i], t, None)
                cur = legs[i]
            assert cur is not None
            t = cur.end_s
    # Zero-second access/egress (stop-to-stop queries) are not legs a traveller would see.
    kept = tuple(
        leg
        for leg in legs
        if leg is not None
        and not (
            isinstance(leg, WalkLeg)
            and leg.seconds == 0
            and (leg.from_stop is None or leg.to_stop is None)
        )
    )
    if not kept:
        return Journey(depart_s, depart_s, ())
    return Journey(kept[0].start_s, kept[-1].end_s, kept)


def _walk_only(
    tt: Timetable, fp_dur: I32, o_stop: I32, o_walk: I32, egress: I32
) -> tuple[int, list[_RawLeg]] | None:
    """The quickest journey on foot alone (origin stop, at most one footpath, target stop)."""
    best: tuple[int, list[_RawLeg]] | None = None
    direct = egress[o_stop]
    for i in np.flatnonzero(direct >= 0).tolist():
        c = int(o_walk[i] + direct[i])
        if best is None or c < best[0]:
            s = int(o_stop[i])
            best = (
                c,
                [(kernel.LEG_ACCESS, s, int(o_walk[i])), (kernel.LEG_EGRESS, s, int(direct[i]))],
            )
    lo = tt.fp_ofs[o_stop].astype(np.int64)
    n = (tt.fp_ofs[o_stop + 1] - tt.fp_ofs[o_stop]).astype(np.int64)
    if n.sum() == 0:
        return best
    which = np.repeat(np.arange(o_stop.shape[0]), n)
    fps = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n) + np.arange(n.sum())
    d = fp_dur[fps]
    q = tt.fp_to[fps]
    eg = egress[q]
    ok = (d >= 0) & (eg >= 0)
    if ok.any():
        cost = o_walk[which].astype(np.int64) + d + eg
        cost[~ok] = np.iinfo(np.int64).max
        k = int(np.argmin(cost))
        c = int(cost[k])
        if best is None or c < best[0]:
            o = int(which[k])
            best = (
                c,
                [
                    (kernel.LEG_ACCESS, int(o_stop[o]), int(o_walk[o])),
                    (kernel.LEG_WALK, int(fps[k])),
                    (kernel.LEG_EGRESS, int(q[k]), int(eg[k])),
                ],
            )
    return best


def _pareto(journeys: list[Journey], by_departure: bool, by_arrival: bool) -> list[Journey]:
    """Keep the journeys no other beats on every criterion: number of vehicles, and the later
    departure and/or the earlier arrival. Ties keep the first in the sort order."""
    order = sorted(
        journeys,
        key=lambda j: (
            -j.depart_s if by_departure else 0,
            j.arrive_s if by_arrival else 0,
            j.n_trips,
            -j.depart_s,
            j.arrive_s,
        ),
    )
    kept: list[Journey] = []
    best: dict[int, int] = {}  # vehicles -> best secondary criterion among kept
    for j in order:
        n = j.n_trips
        if by_departure and by_arrival:
            # Every kept journey leaves no earlier; j survives only by arriving earlier than all
            # of them that use as few vehicles.
            if any(k <= n and a <= j.arrive_s for k, a in best.items()):
                continue
            if n not in best or j.arrive_s < best[n]:
                best[n] = j.arrive_s
        else:
            if any(k <= n for k in best):
                continue
            best[n] = 0
        kept.append(j)
    return kept


def _events(times: np.ndarray, origins: np.ndarray) -> tuple[I32, I32, I32]:
    """Distinct departure times, latest first, with the origins departing at each (CSR)."""
    if times.size == 0:
        return np.zeros(0, np.int32), np.zeros(1, np.int32), np.zeros(0, np.int32)
    order = np.lexsort((origins, -times))
    t, o = times[order], origins[order]
    keep = np.ones(t.shape[0], bool)
    keep[1:] = (t[1:] != t[:-1]) | (o[1:] != o[:-1])
    t, o = t[keep], o[keep]
    starts = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
    ofs = np.append(starts, t.shape[0]).astype(np.int32)
    return t[starts].astype(np.int32), ofs, o.astype(np.int32)


# ---- public queries ------------------------------------------------------------------------


def _run(
    tt: Timetable,
    origins: Endpoints,
    targets: Endpoints,
    day: dt.date,
    time_s: int,
    window_s: int | None,
    opt: RouterOptions,
    reverse: bool,
) -> list[Journey]:
    o_stop, o_walk = _endpoints(tt, origins)
    t_stop, t_walk = _endpoints(tt, targets)
    if o_stop.size == 0 or t_stop.size == 0:
        return []
    ctx = _prepare(tt, opt, day, reverse)
    egress = np.full(tt.n_stops, -1, np.int32)
    egress[t_stop] = t_walk
    # In a reverse search the targets are where the (backwards) search starts.
    k_stop, k_walk, k_eg = (t_stop, t_walk, None) if reverse else (o_stop, o_walk, egress)
    if k_eg is None:
        k_eg = np.full(tt.n_stops, -1, np.int32)
        k_eg[o_stop] = o_walk
    fwd_origin_walk = np.full(tt.n_stops, -1, np.int32)
    fwd_origin_walk[o_stop] = o_walk

    walk = _walk_only(tt, ctx.fwd_fp_dur, o_stop, o_walk, egress)
    ktime = -time_s if reverse else time_s
    bound = kernel.INF
    if window_s is None:
        if walk is not None:
            bound = ktime + walk[0]
        ev_time = np.array([ktime], np.int32)
        ev_ofs = np.array([0, k_stop.shape[0]], np.int32)
        ev_orig = np.arange(k_stop.shape[0], dtype=np.int32)
    else:
        ev_time, ev_ofs, ev_orig = _events(
            *kernel.departure_events(
                ctx.net,
                ctx.fp_dur,
                ctx.stop_ok,
                ctx.trip_mask,
                ctx.slot_off,
                k_stop,
                k_walk,
                ktime,
                ktime + int(window_s),
            )
        )
    jrows, lrows = kernel.raptor(
        ctx.net,
        ctx.fp_dur,
        ctx.self_dur,
        ctx.stop_ok,
        ctx.trip_mask,
        ctx.slot_off,
        k_stop,
        k_walk,
        k_eg,
        ev_time,
        ev_ofs,
        ev_orig,
        int(opt.max_transfers) + 1,
        int(opt.min_transfer_s),
        int(bound),
    )
    speed = float(opt.walk_speed_mps)
    out: list[Journey] = []
    for _round, start, n, _event in jrows.tolist():
        raw = _raw_legs(
            tt,
            lrows[start : start + n],
            reverse,
            k_stop,
            k_walk,
            fwd_origin_walk if reverse else egress,
        )
        j = _timed(tt, raw, day, ctx.fwd_fp_dur, speed, time_s)
        out.append(j)
    if walk is not None:
        secs, raw = walk
        start = time_s - secs if reverse else time_s
        wj = _timed(tt, raw, day, ctx.fwd_fp_dur, speed, start)
        if window_s is not None:
            # Walking can start any time: no vehicle journey that is slower is worth showing.
            out = [j for j in out if j.duration_s < wj.duration_s]
        out.append(wj)
    if window_s is not None:
        # The first iteration may wait for vehicles after the window; such journeys are found
        # (they prune what they beat) but are not the caller's to show.
        front = _pareto(out, True, True)
        return sorted(
            (j for j in front if j.depart_s <= time_s + window_s),
            key=lambda j: (j.depart_s, j.arrive_s),
        )
    if reverse:
        return sorted(_pareto(out, True, False), key=lambda j: (-j.depart_s, j.n_trips))
    return sorted(_pareto(out, False, True), key=lambda j: (j.arrive_s, j.n_trips))


def earliest_arrival(
    tt: Timetable,
    origins: Endpoints,
    targets: Endpoints,
    date: dt.date,
    depart_s: int,
    options: RouterOptions | None = None,
) -> list[Journey]:
    """Journeys leaving at or after depart_s: the Pareto set over (arrival, vehicles used)."""
    return _run(tt, origins, targets, date, depart_s, None, options or RouterOptions(), False)


def arrive_by(
    tt: Timetable,
    origins: Endpoints,
    targets: Endpoints,
    date: dt.date,
    arrive_s: int,
    options: RouterOptions | None = None,
) -> list[Journey]:
    """Journeys arriving by arrive_s: the Pareto set over (departure, latest first; vehicles)."""
    return _run(tt, origins, targets, date, arrive_s, None, options or RouterOptions(), True)


def range_query(
    tt: Timetable,
    origins: Endpoints,
    targets: Endpoints,
    date: dt.date,
    depart_s: int,
    window_s: int = 7200,
    options: RouterOptions | None = None,
) -> list[Journey]:
    """All journeys leaving in [depart_s, depart_s + window_s] that no other journey beats on
    departure (later), arrival (earlier) and vehicles used (fewer) together (rRAPTOR)."""
    if window_s < 0:
        raise ValueError("window_s must be >= 0")
    return _run(tt, origins, targets, date, depart_s, window_s, options or RouterOptions(), False)


# ---- places --------------------------------------------------------------------------------


def nearby_stops(tt: Timetable, lat: float, lon: float, radius_m: float) -> list[tuple[int, float]]:
    """Served stops within radius_m straight-line metres, nearest first, as (stop, metres)."""

    def make() -> tuple[I32, np.ndarray]:
        served = tt.served_stops()
        served = served[~np.isnan(tt.stop_lat[served])]
        order = np.argsort(tt.stop_lat[served], kind="stable")
        return served[order], tt.stop_lat[served[order]]

    idx, lats = _cached(tt, ("near",), make)
    dlat = math.degrees(radius_m / kernel.EARTH_RADIUS_M)
    lo = int(np.searchsorted(lats, lat - dlat, "left"))
    hi = int(np.searchsorted(lats, lat + dlat, "right"))
    cand = idx[lo:hi]
    if cand.size == 0:
        return []
    p1 = math.radians(lat)
    p2 = np.radians(tt.stop_lat[cand])
    dl = np.radians(tt.stop_lon[cand] - lon)
    h = np.sin((p2 - p1) * 0.5) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    d = 2.0 * kernel.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    ok = d <= radius_m
    cand, d = cand[ok], d[ok]
    order = np.argsort(d, kind="stable")
    return list(zip(cand[order].tolist(), d[order].tolist(), strict=True))


def walk_access(
    tt: Timetable,
    lat: float,
    lon: float,
    max_walk_m: float = 800.0,
    walk_speed_mps: float = REFERENCE_WALK_MPS,
) -> list[tuple[int, int]]:
    """(stop, walk seconds) for stops reachable on foot from a point: straight-line distance x
    the timetable's detour factor, at most max_walk_m walked. Feed it to the queries."""
    f = tt.detour_factor
    return [
        (s, math.ceil(d * f / walk_speed_mps - _EPS))
        for s, d in nearby_stops(tt, lat, lon, max_walk_m / f)
    ]


def leg_geometry(tt: Timetable, leg: TransitLeg) -> list[tuple[float, float]]:
    """(lat, lon) points of a transit leg: its trip's shape cut at the board and alight stops
    when shapes.txt has one, else the stops' coordinates."""
    stops = [(float(tt.stop_lat[s]), float(tt.stop_lon[s])) for s in leg.stops]
    shape = int(tt.gtfs_trip_shape[int(tt.trip_gtfs[leg.trip])])
    if shape < 0:
        return stops
    a, b = int(tt.shape_ofs[shape]), int(tt.shape_ofs[shape + 1])
    lat = tt.shape_lat[a:b]
    lon = tt.shape_lon[a:b]
    if lat.size < 2:
        return stops
    coslat = math.cos(math.radians(stops[0][0]))

    def nearest(p: tuple[float, float], start: int) -> int:
        d = (lat[start:] - p[0]) ** 2 + ((lon[start:] - p[1]) * coslat) ** 2
        return start + int(np.argmin(d))

    i = nearest(stops[0], 0)
    j = nearest(stops[-1], i)
    pts = list(zip(lat[i : j + 1].tolist(), lon[i : j + 1].tolist(), strict=True))
    return [stops[0], *pts, stops[-1]]


def warm_up(tt: Timetable) -> float:
    """Prepare a timetable for its first query (reverse network, kernels loaded or compiled,
    compiled once per machine and then cached on disk); returns the seconds it took."""
    t = time.perf_counter()
    served = tt.served_stops()
    if served.size:
        a, b = int(served[0]), int(served[-1])
        day = tt.base_date + dt.timedelta(days=1)
        earliest_arrival(tt, [(a, 0)], [(b, 0)], day, 8 * 3600)
        arrive_by(tt, [(a, 0)], [(b, 0)], day, 9 * 3600)
        range_query(tt, [(a, 0)], [(b, 0)], day, 8 * 3600, 600)
        nearby_stops(tt, float(tt.stop_lat[a]), float(tt.stop_lon[a]), 100.0)
    return time.perf_counter() - t

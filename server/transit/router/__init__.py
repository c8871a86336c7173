"""Embedded journey router: RAPTOR over numpy arrays, numba kernels, no HTTP and no database.

Build once, cache, query many times::

    from server.transit.router import (
        RouterOptions, build_timetable, earliest_arrival, load_or_build, walk_access,
    )

    tt = load_or_build([("jr", Path("gtfs/jr")), ("bus", Path("gtfs/bus"))], cache_dir)
    origins = walk_access(tt, 36.5991, 140.6512, max_walk_m=800)  # [(stop, walk_s)]
    targets = [(tt.stop_index("jr:hitachi"), 0)]
    journeys = earliest_arrival(tt, origins, targets, date(2026, 4, 1), 8 * 3600,
                                RouterOptions(walk_speed_mps=0.8))

Timetable (build_timetable / load_or_build / Timetable.load)
    `build_timetable(feeds)` merges (feed_id, folder) pairs of validated GTFS text files into
    one Timetable. Stops, routes and trips are indices into its arrays; their public GTFS ids
    are namespaced "{feed_id}:{id}" (`tt.stop_ids[i]`, `tt.route_ids[r]`, `tt.trip_id(t)`,
    `tt.stop_index("feed:id")`). Trips are concrete runs: frequencies.txt is expanded into one
    trip per departure (copies share their template's trip_id). `tt.save(dir)` writes
    timetable.npz + timetable.json; `Timetable.load(dir)` reads them back;
    `tt.fingerprint` is a content hash of the feed files and build parameters, and
    `load_or_build(feeds, dir)` rebuilds only when it changed. All feeds must share one time
    zone (`tt.timezone`, from agency.txt).

Times and dates
    A query names a service date and seconds since that date's local midnight. It sees the
    trips of the day before (times past 24:00, so 00:20 catches a "24:35:00" trip), of the day
    and of the day after; calendar.txt and calendar_dates.txt both apply. Returned times use
    the same clock (negative or > 86,400 when on the neighbouring day); TransitLeg carries the
    trip's own service_date.

Queries: origins and targets are lists of (stop index, walk seconds), so the caller does the
first and last mile (`walk_access` gives stops near a point). Each returns list[Journey].
    earliest_arrival(tt, origins, targets, date, depart_s, options) -> Pareto set over
        (arrival, vehicles used), earliest first.
    arrive_by(tt, origins, targets, date, arrive_s, options) -> Pareto set over (departure,
        latest first; vehicles used) among journeys arriving by arrive_s (reverse RAPTOR).
    range_query(tt, origins, targets, date, depart_s, window_s=7200, options) -> every
        journey leaving in the window not beaten on (departure, arrival, vehicles) together
        (rRAPTOR), by departure. A journey beaten by one leaving just after the window is
        left out too, and so is any vehicle journey slower than walking all the way.
    nearby_stops(tt, lat, lon, radius_m) -> [(stop, straight-line metres)], nearest first;
        only stops some trip calls at.
    walk_access(tt, lat, lon, max_walk_m, walk_speed_mps) -> [(stop, walk seconds)].
    leg_geometry(tt, leg) -> [(lat, lon)] along the trip's shape (or its stops).
    warm_up(tt) -> seconds: call at start-up so the first request does not pay for the
        reverse network or loading (first run on a machine: compiling, ~6-8 s) the kernels.
    Queries only read the timetable, so threads may share one (kernels release the GIL).

Journey rules: a journey is a walk to a stop, vehicles with at most one footpath (or a stay at
the stop) between two of them, and a walk from the last stop. Footpaths are transfers.txt
(stop-level rules; a station stands for its stops; type 3 forbids) plus walks between stops
within 400 m straight line, walked x 1.25. A transfer takes at least max(min_transfer_s, the
walk or transfers.txt time); the walk before the first vehicle needs no slack. A journey on
foot alone is included when it wins. Journey.transfers = vehicles - 1; Journey.n_trips counts
vehicles (the Pareto criterion, so a walk and a one-vehicle trip can both appear).
pickup_type/drop_off_type 1 forbid boarding/alighting (2 and 3 are treated as allowed); stops
without times are interpolated by straight-line distance between timed ones; frequencies.txt
trips run at exactly their headways whatever exact_times says.
"""

from __future__ import annotations

from pathlib import Path

from server.transit.router.build import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_TRANSFER_RADIUS_M,
    build_timetable,
)
from server.transit.router.query import (
    Journey,
    Leg,
    RouterOptions,
    TransitLeg,
    WalkLeg,
    arrive_by,
    earliest_arrival,
    leg_geometry,
    nearby_stops,
    range_query,
    walk_access,
    warm_up,
)
from server.transit.router.timetable import Timetable, feeds_fingerprint

__all__ = [
    "Journey",
    "Leg",
    "RouterOptions",
    "Timetable",
    "TransitLeg",
    "WalkLeg",
    "arrive_by",
    "build_timetable",
    "earliest_arrival",
    "feeds_fingerprint",
    "leg_geometry",
    "load_or_build",
    "nearby_stops",
    "range_query",
    "walk_access",
    "warm_up",
]


def load_or_build(
    feeds: list[tuple[str, Path]],
    cache_dir: Path,
    *,
    transfer_radius_m: float = DEFAULT_TRANSFER_RADIUS_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> Timetable:
    """The cached timetable if its fingerprint matches the feeds, else a fresh build (saved)."""
    fp = feeds_fingerprint(feeds, transfer_radius_m=transfer_radius_m, detour_factor=detour_factor)
    if Timetable.cached_fingerprint(cache_dir) == fp:
        return Timetable.load(cache_dir)
    tt = build_timetable(feeds, transfer_radius_m=transfer_radius_m, detour_factor=detour_factor)
    tt.save(cache_dir)
    return tt

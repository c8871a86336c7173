"""Build a Timetable from GTFS folders: parse, expand frequencies, group patterns, footpaths."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from server.transit.router import kernel
from server.transit.router.timetable import (
    F64,
    I8,
    I32,
    Timetable,
    feeds_fingerprint,
)

DEFAULT_TRANSFER_RADIUS_M = 400.0
DEFAULT_DETOUR_FACTOR = 1.25
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _must(path: Path, name: str, cols: Sequence[str]) -> pd.DataFrame:
    df = _read(path, name, cols, required=True)
    if df is None:
        raise FileNotFoundError(f"{path / name} is missing")
    return df


def _read(path: Path, name: str, cols: Sequence[str], *, required: bool) -> pd.DataFrame | None:
    f = path / name
    if not f.is_file():
        if required:
            raise FileNotFoundError(f"{f} is missing")
        return None
    wanted = set(cols)
    df = pd.read_csv(
        f,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        encoding="utf-8-sig",
        usecols=lambda c: c.strip() in wanted,
    )
    df.columns = [c.strip() for c in df.columns]
    for c in cols:
        if c not in df.columns:
            df[c] = ""
    return df


def _ints(s: pd.Series, default: int) -> np.ndarray:
    v = pd.to_numeric(s.str.strip() if len(s) else s, errors="coerce")
    return np.array(v.fillna(default), dtype=np.int64)


def _times(s: pd.Series) -> I32:
    raw = s.to_numpy(dtype="S12")
    out: I32 = kernel.parse_times(raw.view(np.uint8).reshape(raw.shape[0], 12))
    return out


def _dates(s: pd.Series) -> np.ndarray:
    out: np.ndarray = pd.to_datetime(s.str.strip(), format="%Y%m%d").to_numpy()
    return out.astype("datetime64[D]")


@dataclass
class _Feed:
    feed_id: str
    timezone: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    st_trip: I32
    st_stop: I32
    st_arr: I32
    st_dep: I32
    st_flags: np.ndarray
    calendar: pd.DataFrame | None
    calendar_dates: pd.DataFrame | None
    frequencies: pd.DataFrame | None
    transfers: pd.DataFrame | None
    shapes: pd.DataFrame | None


def _load_feed(feed_id: str, path: Path) -> _Feed:
    path = Path(path)
    agency = _read(path, "agency.txt", ["agency_timezone"], required=False)
    tz = ""
    if agency is not None and len(agency):
        tz = agency["agency_timezone"].iloc[0].strip()
    stops = _must(
        path,
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
    )
    routes = _must(
        path,
        "routes.txt",
        [
            "route_id",
            "route_short_name",
            "route_long_name",
            "route_type",
            "route_color",
            "route_text_color",
        ],
    )
    trips = _must(
        path,
        "trips.txt",
        ["route_id", "service_id", "trip_id", "trip_headsign", "shape_id", "wheelchair_accessible"],
    )
    st = _must(
        path,
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
    )
    trip_ix = pd.Index(trips["trip_id"]).get_indexer(st["trip_id"])
    stop_ix = pd.Index(stops["stop_id"]).get_indexer(st["stop_id"])
    seq = _ints(st["stop_sequence"], 0)
    arr = _times(st["arrival_time"])
    dep = _times(st["departure_time"])
    pick = _ints(st["pickup_type"], 0)
    drop = _ints(st["drop_off_type"], 0)
    keep = (trip_ix >= 0) & (stop_ix >= 0)
    order = np.lexsort((seq[keep], trip_ix[keep]))
    flags = (np.where(pick != 1, kernel.BOARD, 0) | np.where(drop != 1, kernel.ALIGHT, 0))[keep]
    return _Feed(
        feed_id=feed_id,
        timezone=tz,
        stops=stops,
        routes=routes,
        trips=trips,
        st_trip=trip_ix[keep][order].astype(np.int32),
        st_stop=stop_ix[keep][order].astype(np.int32),
        st_arr=arr[keep][order],
        st_dep=dep[keep][order],
        st_flags=flags[order].astype(np.uint8),
        calendar=_read(
            path,
            "calendar.txt",
            ["service_id", *_WEEKDAYS, "start_date", "end_date"],
            required=False,
        ),
        calendar_dates=_read(
            path, "calendar_dates.txt", ["service_id", "date", "exception_type"], required=False
        ),
        frequencies=_read(
            path,
            "frequencies.txt",
            ["trip_id", "start_time", "end_time", "headway_secs"],
            required=False,
        ),
        transfers=_read(
            path,
            "transfers.txt",
            [
                "from_stop_id",
                "to_stop_id",
                "transfer_type",
                "min_transfer_time",
                "from_route_id",
                "to_route_id",
                "from_trip_id",
                "to_trip_id",
            ],
            required=False,
        ),
        shapes=_read(
            path,
            "shapes.txt",
            ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
            required=False,
        ),
    )


def build_timetable(
    feeds: Sequence[tuple[str, Path]],
    *,
    transfer_radius_m: float = DEFAULT_TRANSFER_RADIUS_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> Timetable:
    """Merge validated GTFS folders into one Timetable (see the package docstring)."""
    if not feeds:
        raise ValueError("no feeds given")
    ids = [f for f, _ in feeds]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate feed ids: {ids}")
    fingerprint = feeds_fingerprint(
        feeds, transfer_radius_m=transfer_radius_m, detour_factor=detour_factor
    )
    loaded = [_load_feed(fid, Path(p)) for fid, p in feeds]
    zones = {f.timezone for f in loaded if f.timezone}
    if len(zones) > 1:
        raise ValueError(f"feeds disagree on the time zone: {sorted(zones)}")
    timezone = zones.pop() if zones else "UTC"

    # ---- stops, routes, GTFS trips, services: concatenate with per-feed offsets -----------------
    stop_ids: list[str] = []
    stop_names: list[str] = []
    lat_l, lon_l, lt_l, parent_l, wb_l = [], [], [], [], []
    route_ids: list[str] = []
    rs, rl, rc, rtc = [], [], [], []
    rtype_l = []
    trip_ids: list[str] = []
    heads: list[str] = []
    tr_route_l, tr_service_l, tr_wc_l, tr_shape_l = [], [], [], []
    service_ids: list[str] = []
    shape_ids: list[str] = []
    shape_lat_l, shape_lon_l, shape_len_l = [], [], []
    st_parts: list[tuple[I32, I32, I32, I32, np.ndarray]] = []
    svc_index: dict[str, int] = {}
    cal_rows: list[tuple[int, np.ndarray, np.datetime64, np.datetime64]] = []
    exc_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    freq_rows: list[tuple[np.ndarray, I32, I32, np.ndarray]] = []
    xfer_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    for f in loaded:
        pre = f"{f.feed_id}:"
        s_ofs = len(stop_ids)
        r_ofs = len(route_ids)
        t_ofs = len(trip_ids)
        stops = f.stops
        stop_ids += (pre + stops["stop_id"]).tolist()
        stop_names += stops["stop_name"].tolist()
        lat = pd.to_numeric(stops["stop_lat"], errors="coerce").to_numpy(np.float64, copy=True)
        lon = pd.to_numeric(stops["stop_lon"], errors="coerce").to_numpy(np.float64, copy=True)
        parent = pd.Index(stops["stop_id"]).get_indexer(stops["parent_station"])
        # Nodes and boarding areas may omit coordinates: they sit at their parent.
        miss = np.isnan(lat) & (parent >= 0)
        lat[miss] = lat[parent[miss]]
        lon[miss] = lon[parent[miss]]
        wb = _ints(stops["wheelchair_boarding"], 0)
        inherit = (wb == 0) & (parent >= 0)
        wb[inherit] = wb[parent[inherit]]
        lat_l.append(lat)
        lon_l.append(lon)
        lt_l.append(_ints(stops["location_type"], 0))
        parent_l.append(np.where(parent >= 0, parent + s_ofs, -1))
        wb_l.append(wb)

        routes = f.routes
        route_ids += (pre + routes["route_id"]).tolist()
        rs += routes["route_short_name"].tolist()
        rl += routes["route_long_name"].tolist()
        rc += routes["route_color"].tolist()
        rtc += routes["route_text_color"].tolist()
        rtype_l.append(_ints(routes["route_type"], 3))

        trips = f.trips
        trip_ids += (pre + trips["trip_id"]).tolist()
        heads += trips["trip_headsign"].tolist()
        ridx = pd.Index(routes["route_id"]).get_indexer(trips["route_id"])
        tr_route_l.append(np.where(ridx >= 0, ridx + r_ofs, -1))
        svc_keys = (pre + trips["service_id"]).tolist()
        for k in svc_keys:
            if k not in svc_index:
                svc_index[k] = len(service_ids)
                service_ids.append(k)
        tr_service_l.append(np.fromiter((svc_index[k] for k in svc_keys), np.int64, len(svc_keys)))
        tr_wc_l.append(_ints(trips["wheelchair_accessible"], 0))

        shp_local: dict[str, int] = {}
        if f.shapes is not None and len(f.shapes):
            sh = f.shapes
            seq = _ints(sh["shape_pt_sequence"], 0)
            codes, uniq = pd.factorize(sh["shape_id"])
            order = np.lexsort((seq, codes))
            counts = np.bincount(codes, minlength=len(uniq))
            base = len(shape_ids)
            for i, sid in enumerate(uniq):
                shp_local[str(sid)] = base + i
            shape_ids += [pre + str(u) for u in uniq]
            shape_lat_l.append(pd.to_numeric(sh["shape_pt_lat"]).to_numpy(np.float64)[order])
            shape_lon_l.append(pd.to_numeric(sh["shape_pt_lon"]).to_numpy(np.float64)[order])
            shape_len_l.append(counts)
        tr_shape_l.append(
            np.fromiter((shp_local.get(s, -1) for s in trips["shape_id"]), np.int64, len(trips))
        )

        st_parts.append((f.st_trip + t_ofs, f.st_stop + s_ofs, f.st_arr, f.st_dep, f.st_flags))

        def svc(s: pd.Series, pre: str = pre) -> np.ndarray:
            keys = (pre + s).tolist()
            out = np.empty(len(keys), np.int64)
            for i, k in enumerate(keys):
                if k not in svc_index:
                    svc_index[k] = len(service_ids)
                    service_ids.append(k)
                out[i] = svc_index[k]
            return out

        if f.calendar is not None and len(f.calendar):
            cal = f.calendar
            sv = svc(cal["service_id"])
            week = np.stack([_ints(cal[d], 0) for d in _WEEKDAYS], axis=1).astype(bool)
            starts = _dates(cal["start_date"])
            ends = _dates(cal["end_date"])
            for i in range(len(cal)):
                cal_rows.append((int(sv[i]), week[i], starts[i], ends[i]))
        if f.calendar_dates is not None and len(f.calendar_dates):
            cd = f.calendar_dates
            exc_rows.append(
                (svc(cd["service_id"]), _dates(cd["date"]), _ints(cd["exception_type"], 0))
            )
        if f.frequencies is not None and len(f.frequencies):
            fr = f.frequencies
            tix = pd.Index(trips["trip_id"]).get_indexer(fr["trip_id"])
            ok = tix >= 0
            freq_rows.append(
                (
                    (tix + t_ofs)[ok],
                    _times(fr["start_time"])[ok],
                    _times(fr["end_time"])[ok],
                    _ints(fr["headway_secs"], 0)[ok],
                )
            )
        if f.transfers is not None and len(f.transfers):
            tf = f.transfers
            # Route- and trip-specific rules (GTFS extensions) are not modelled: stop-level only.
            plain = (
                (tf["from_route_id"] == "")
                & (tf["to_route_id"] == "")
                & (tf["from_trip_id"] == "")
                & (tf["to_trip_id"] == "")
            ).to_numpy()
            tf = tf[plain]
            sidx = pd.Index(stops["stop_id"])
            a = sidx.get_indexer(tf["from_stop_id"])
            b = sidx.get_indexer(tf["to_stop_id"])
            ok = (a >= 0) & (b >= 0)
            mtt = pd.to_numeric(tf["min_transfer_time"], errors="coerce").to_numpy(np.float64)
            xfer_rows.append(
                (
                    (a + s_ofs)[ok],
                    (b + s_ofs)[ok],
                    _ints(tf["transfer_type"], 0)[ok],
                    mtt[ok],
                )
            )

    stop_lat: F64 = np.concatenate(lat_l)
    stop_lon: F64 = np.concatenate(lon_l)
    stop_lt: I8 = np.concatenate(lt_l).astype(np.int8)
    stop_parent: I32 = np.concatenate(parent_l).astype(np.int32)
    stop_wc: I8 = np.concatenate(wb_l).astype(np.int8)
    n_stops = len(stop_ids)
    gtfs_trip_route = np.concatenate(tr_route_l).astype(np.int32)
    gtfs_trip_service = np.concatenate(tr_service_l).astype(np.int32)
    gtfs_trip_wc = np.concatenate(tr_wc_l).astype(np.int8)
    gtfs_trip_shape = np.concatenate(tr_shape_l).astype(np.int32)

    # ---- service calendar as a [service, day] bitmap -------------------------------------------
    base_date, service_days = _service_days(len(service_ids), cal_rows, exc_rows)

    # ---- stop times: fill untimed stops, then per GTFS trip the slice [start, end) -------------
    st_trip = np.concatenate([p[0] for p in st_parts])
    st_stop = np.concatenate([p[1] for p in st_parts])
    st_arr = np.concatenate([p[2] for p in st_parts])
    st_dep = np.concatenate([p[3] for p in st_parts])
    st_flags = np.concatenate([p[4] for p in st_parts])
    n_gtfs = len(trip_ids)
    counts = np.bincount(st_trip, minlength=n_gtfs)
    trip_start = np.zeros(n_gtfs + 1, np.int64)
    np.cumsum(counts, out=trip_start[1:])
    kernel.fill_times(trip_start, st_arr, st_dep, stop_lat, stop_lon, st_stop)

    # ---- concrete trips: scheduled ones plus frequencies.txt expanded -------------------------
    has_times = (counts >= 2) & (gtfs_trip_route >= 0)
    ct_trip_l = []
    ct_shift_l = []
    templated = np.zeros(n_gtfs, bool)
    for tix, start, end, headway in freq_rows:
        for t, s0, e0, h in zip(tix, start, end, headway, strict=True):
            if not has_times[t] or h <= 0:
                continue
            templated[t] = True
            first = st_dep[trip_start[t]]
            starts = np.arange(s0, e0, h, dtype=np.int64)
            ct_trip_l.append(np.full(starts.shape[0], t, np.int64))
            ct_shift_l.append(starts - first)
    plain_trips = np.flatnonzero(has_times & ~templated)
    ct_trip = np.concatenate([plain_trips, *ct_trip_l]).astype(np.int64)
    ct_shift = np.concatenate([np.zeros(plain_trips.shape[0], np.int64), *ct_shift_l])

    # ---- patterns: same stops and same pickup/drop-off rules ----------------------------------
    pattern_of: dict[bytes, int] = {}
    gtfs_pat = np.full(n_gtfs, -1, np.int64)
    pat_template: list[int] = []
    for t in np.flatnonzero(has_times):
        a, b = trip_start[t], trip_start[t + 1]
        key = st_stop[a:b].tobytes() + st_flags[a:b].tobytes()
        p = pattern_of.get(key)
        if p is None:
            p = len(pat_template)
            pattern_of[key] = p
            pat_template.append(int(t))
        gtfs_pat[t] = p
    pat_template_a = np.asarray(pat_template, np.int64)
    pat_len = counts[pat_template_a]

    ct_pat = gtfs_pat[ct_trip]
    first_dep = st_dep[trip_start[ct_trip]] + ct_shift
    last_arr = st_arr[trip_start[ct_trip + 1] - 1] + ct_shift
    order = np.lexsort((last_arr, first_dep, ct_pat))
    ct_trip, ct_shift, ct_pat = ct_trip[order], ct_shift[order], ct_pat[order]
    arr_m, dep_m = _gather(ct_trip, ct_shift, pat_len[ct_pat], trip_start, st_arr, st_dep)
    grp_counts = np.bincount(ct_pat, minlength=len(pat_template))
    group_start = np.zeros(len(pat_template) + 1, np.int64)
    np.cumsum(grp_counts, out=group_start[1:])
    sub = kernel.fifo_split(group_start, pat_len.astype(np.int64), arr_m, dep_m)
    # Final patterns: (pattern, FIFO sub-pattern), trips kept in first-departure order.
    key = ct_pat * (int(sub.max(initial=0)) + 1) + sub
    uniq, final_pat = np.unique(key, return_inverse=True)
    order = np.argsort(final_pat, kind="stable")
    ct_trip, ct_shift, final_pat = ct_trip[order], ct_shift[order], final_pat[order]
    n_pat = uniq.shape[0]
    fp_src_pat = uniq // (int(sub.max(initial=0)) + 1)
    n_st = pat_len[fp_src_pat]
    arr_m, dep_m = _gather(ct_trip, ct_shift, n_st[final_pat], trip_start, st_arr, st_dep)
    n_tr = np.bincount(final_pat, minlength=n_pat)

    pat_stop_ofs = np.zeros(n_pat + 1, np.int64)
    np.cumsum(n_st, out=pat_stop_ofs[1:])
    tmpl_start = trip_start[pat_template_a[fp_src_pat]]
    idx = np.repeat(tmpl_start - pat_stop_ofs[:-1], n_st) + np.arange(pat_stop_ofs[-1])
    pat_stops = st_stop[idx]
    pat_flags = st_flags[idx]
    pat_trip_ofs = np.zeros(n_pat + 1, np.int64)
    np.cumsum(n_tr, out=pat_trip_ofs[1:])
    pat_st_ofs = np.zeros(n_pat + 1, np.int64)
    np.cumsum(n_st * n_tr, out=pat_st_ofs[1:])
    if pat_st_ofs[-1] >= 2**31:
        raise ValueError("timetable too large for int32 offsets")

    # stop -> (pattern, position) index
    sp_stop = pat_stops
    sp_pat = np.repeat(np.arange(n_pat), n_st)
    sp_pos = np.arange(pat_stop_ofs[-1]) - np.repeat(pat_stop_ofs[:-1], n_st)
    o = np.lexsort((sp_pos, sp_pat, sp_stop))
    stop_pat_ofs = np.zeros(n_stops + 1, np.int64)
    np.cumsum(np.bincount(sp_stop, minlength=n_stops), out=stop_pat_ofs[1:])

    # ---- footpaths -----------------------------------------------------------------------------
    fp_from, fp_to, fp_m, fp_fixed, self_s = _footpaths(
        stop_lat, stop_lon, stop_lt, stop_parent, xfer_rows, transfer_radius_m, detour_factor
    )
    fp_ofs = np.zeros(n_stops + 1, np.int64)
    np.cumsum(np.bincount(fp_from, minlength=n_stops), out=fp_ofs[1:])

    shape_len = np.concatenate(shape_len_l) if shape_len_l else np.zeros(0, np.int64)
    shape_ofs = np.zeros(len(shape_ids) + 1, np.int64)
    np.cumsum(shape_len, out=shape_ofs[1:])

    i32 = np.int32
    return Timetable(
        fingerprint=fingerprint,
        timezone=timezone,
        feed_ids=ids,
        base_date=base_date,
        transfer_radius_m=float(transfer_radius_m),
        detour_factor=float(detour_factor),
        stop_ids=stop_ids,
        stop_names=stop_names,
        stop_lat=stop_lat,
        stop_lon=stop_lon,
        stop_location_type=stop_lt,
        stop_parent=stop_parent,
        stop_wheelchair=stop_wc,
        route_ids=route_ids,
        route_short_names=rs,
        route_long_names=rl,
        route_colors=rc,
        route_text_colors=rtc,
        route_type=np.concatenate(rtype_l).astype(i32),
        gtfs_trip_ids=trip_ids,
        trip_headsigns=heads,
        gtfs_trip_route=gtfs_trip_route,
        gtfs_trip_service=gtfs_trip_service,
        gtfs_trip_wheelchair=gtfs_trip_wc,
        gtfs_trip_shape=gtfs_trip_shape,
        trip_gtfs=ct_trip.astype(i32),
        service_ids=service_ids,
        service_days=service_days,
        pat_stop_ofs=pat_stop_ofs.astype(i32),
        pat_stops=pat_stops.astype(i32),
        pat_flags=pat_flags.astype(np.uint8),
        pat_trip_ofs=pat_trip_ofs.astype(i32),
        pat_trips=np.arange(ct_trip.shape[0], dtype=i32),
        pat_st_ofs=pat_st_ofs.astype(i32),
        st_arr=arr_m.astype(i32),
        st_dep=dep_m.astype(i32),
        stop_pat_ofs=stop_pat_ofs.astype(i32),
        stop_pats=sp_pat[o].astype(i32),
        stop_pat_pos=sp_pos[o].astype(i32),
        fp_ofs=fp_ofs.astype(i32),
        fp_from=fp_from.astype(i32),
        fp_to=fp_to.astype(i32),
        fp_metres=fp_m,
        fp_fixed_s=fp_fixed,
        self_transfer_s=self_s,
        shape_ids=shape_ids,
        shape_ofs=shape_ofs.astype(i32),
        shape_lat=np.concatenate(shape_lat_l) if shape_lat_l else np.zeros(0),
        shape_lon=np.concatenate(shape_lon_l) if shape_lon_l else np.zeros(0),
    )


def _gather(
    ct_trip: np.ndarray,
    ct_shift: np.ndarray,
    n: np.ndarray,
    trip_start: np.ndarray,
    st_arr: I32,
    st_dep: I32,
) -> tuple[np.ndarray, np.ndarray]:
    """Trip-major time matrices of the given concrete trips, one after the other."""
    total = int(n.sum())
    ofs = np.zeros(n.shape[0] + 1, np.int64)
    np.cumsum(n, out=ofs[1:])
    idx = np.repeat(trip_start[ct_trip] - ofs[:-1], n) + np.arange(total)
    shift = np.repeat(ct_shift, n)
    return st_arr[idx] + shift, st_dep[idx] + shift


def _service_days(
    n_services: int,
    cal_rows: list[tuple[int, np.ndarray, np.datetime64, np.datetime64]],
    exc_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[dt.date, np.ndarray]:
    dates = [d for _, _, a, b in cal_rows for d in (a, b)]
    dates += [d for _, ds, _ in exc_rows for d in (ds.min(), ds.max()) if ds.size]
    if not dates:
        raise ValueError("no calendar.txt or calendar_dates.txt service in the feeds")
    lo = min(dates)
    hi = max(dates)
    n_days = int((hi - lo).astype(np.int64)) + 1
    days = np.zeros((max(n_services, 1), n_days), np.uint8)
    # 1970-01-01 was a Thursday: (days since epoch + 3) % 7 is 0 on Mondays.
    weekday = (np.arange(n_days) + int(lo.astype(np.int64)) + 3) % 7
    for svc, week, a, b in cal_rows:
        i0 = int((a - lo).astype(np.int64))
        i1 = int((b - lo).astype(np.int64)) + 1
        days[svc, i0:i1] = week[weekday[i0:i1]]
    for svcs, ds, ex in exc_rows:
        di = (ds - lo).astype(np.int64)
        days[svcs[ex == 1], di[ex == 1]] = 1
        days[svcs[ex == 2], di[ex == 2]] = 0
    base = dt.date.fromisoformat(str(lo))
    return base, days[:n_services]


def _footpaths(
    lat: F64,
    lon: F64,
    location_type: I8,
    parent: I32,
    xfer_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    radius_m: float,
    detour: float,
) -> tuple[np.ndarray, np.ndarray, F64, F64, F64]:
    """Walking transfers between stops and stations within `radius_m` (straight line, walked
    x `detour`), overridden by transfers.txt; returns CSR-sorted (from, to, metres, fixed
    seconds, per-stop same-stop transfer seconds)."""
    n = lat.shape[0]
    ok = ((location_type == 0) | (location_type == 1)) & ~np.isnan(lat) & ~np.isnan(lon)
    a, b, d = _near_pairs(lat, lon, ok, radius_m)
    metres = d * detour
    fixed = np.full(a.shape[0], -1.0)
    self_s = np.zeros(n)
    if xfer_rows:
        children: dict[int, list[int]] = {}
        for i in np.flatnonzero(parent >= 0):
            children.setdefault(int(parent[i]), []).append(int(i))
        xa, xb, xt, xm = [], [], [], []
        forbidden: set[tuple[int, int]] = set()
        for fa, fb, ft, fm in xfer_rows:
            for u, v, typ, mtt in zip(fa, fb, ft, fm, strict=True):
                # A station in transfers.txt stands for all of its stops (GTFS).
                us = children.get(int(u), [int(u)])
                vs = children.get(int(v), [int(v)])
                for x in us:
                    for y in vs:
                        if typ == 3:
                            forbidden.add((x, y))
                            continue
                        secs = 0.0 if typ == 1 else (mtt if typ == 2 and mtt == mtt else -1.0)
                        if x == y:
                            self_s[x] = max(secs, 0.0)
                            continue
                        xa.append(x)
                        xb.append(y)
                        xt.append(secs)
                        xm.append(
                            kernel.haversine_m(lat[x], lon[x], lat[y], lon[y]) * detour
                            if ok[x] and ok[y]
                            else 0.0
                        )
        for x, y in forbidden:
            if x == y:
                self_s[x] = -1.0
        ka = np.asarray(xa, np.int64)
        kb = np.asarray(xb, np.int64)
        key_x = ka * n + kb
        key_g = a.astype(np.int64) * n + b
        keep = ~np.isin(key_g, key_x)
        if forbidden:
            fk = np.asarray([x * n + y for x, y in forbidden], np.int64)
            keep &= ~np.isin(key_g, fk)
            kx = ~np.isin(key_x, fk)
        else:
            kx = np.ones(key_x.shape[0], bool)
        # Last row wins among duplicate transfers.txt rows.
        _, last = np.unique(key_x[::-1], return_index=True)
        sel = np.zeros(key_x.shape[0], bool)
        sel[key_x.shape[0] - 1 - last] = True
        sel &= kx
        a = np.concatenate([a[keep], ka[sel]])
        b = np.concatenate([b[keep], kb[sel]])
        metres = np.concatenate([metres[keep], np.asarray(xm, np.float64)[sel]])
        fixed = np.concatenate([fixed[keep], np.asarray(xt, np.float64)[sel]])
    o = np.lexsort((b, a))
    return a[o], b[o], metres[o], fixed[o], self_s


def _near_pairs(
    lat: F64, lon: F64, ok: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray, F64]:
    """All ordered pairs (i, j), i != j, of `ok` points within `radius_m` straight-line metres:
    a grid of radius-sized cells, each point joined with its 3 x 3 neighbourhood."""
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    dlat = math.degrees(radius_m / kernel.EARTH_RADIUS_M)
    # Cells as wide as the radius at the point furthest from the equator, so none is too narrow.
    maxlat = min(float(np.abs(lat[idx]).max()), 89.0)
    dlon = dlat / max(math.cos(math.radians(maxlat)), 1e-6)
    cy = np.floor(lat[idx] / dlat).astype(np.int64)
    cx = np.floor(lon[idx] / dlon).astype(np.int64)
    span = np.int64(1 << 31)
    key = cy * span + cx
    order = np.argsort(key, kind="stable")
    skey, sidx = key[order], idx[order]
    parts_a, parts_b = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            k = (cy + dy) * span + (cx + dx)
            lo = np.searchsorted(skey, k, "left")
            cnt = np.searchsorted(skey, k, "right") - lo
            total = int(cnt.sum())
            if total == 0:
                continue
            start = np.cumsum(cnt) - cnt
            parts_a.append(np.repeat(idx, cnt))
            parts_b.append(sidx[np.repeat(lo - start, cnt) + np.arange(total)])
    if not parts_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    a = np.concatenate(parts_a)
    b = np.concatenate(parts_b)
    a, b = a[a != b], b[a != b]
    p1, p2 = np.radians(lat[a]), np.radians(lat[b])
    h = (
        np.sin((p2 - p1) * 0.5) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon[b] - lon[a]) * 0.5) ** 2
    )
    d = 2.0 * kernel.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    near = d <= radius_m
    return a[near], b[near], d[near]

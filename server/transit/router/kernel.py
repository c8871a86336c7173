"""Numba kernels of the router: RAPTOR rounds, trip search, reconstruction, build helpers."""

# The hot path is written for speed on purpose: flat int32 arrays, no allocation inside the
# round loops, and one kernel call per query (rRAPTOR iterates over departures inside numba so
# the Python/numba boundary is crossed once). Query kernels release the GIL (nogil): they touch
# only arrays, so an API serving from a thread pool runs queries on every core. Numba's typing
# is not visible to mypy.
# mypy: ignore-errors

from __future__ import annotations

import math

import numpy as np
from numba import njit

INF = 1 << 30  # "unreached": far above any time the router produces (a few days in seconds)
BOARD = 1  # pat_flags bit: passengers may board here (pickup_type != 1)
ALIGHT = 2  # pat_flags bit: passengers may alight here (drop_off_type != 1)
N_SLOTS = 3  # service days a query sees: D-1 (trips past 24:00), D, D+1

LEG_ACCESS = 0  # (kind, origin index)
LEG_TRANSIT = 1  # (kind, pattern, trip row in pattern, slot, board pos, alight pos)
LEG_WALK = 2  # (kind, footpath index)
LEG_EGRESS = 3  # (kind, target stop)
LEG_WIDTH = 6
EARTH_RADIUS_M = 6_371_008.8

# Indices into the network tuple passed to the kernels (see timetable.Network).
# (pat_stop_ofs, pat_stops, pat_flags, pat_trip_ofs, pat_trips, pat_st_ofs, st_arr, st_dep,
#  stop_pat_ofs, stop_pats, stop_pat_pos, fp_ofs, fp_from, fp_to)


@njit(cache=True, nogil=True)
def _find_trip(
    st_dep,
    base,
    n_st,
    n_tr,
    pos,
    t,
    pat_trips,
    trip_ofs,
    trip_mask,
    slot_off,
    bound,
    cur_row,
    cur_slot,
):
    """Earliest (row, slot) departing at position `pos` at or after `t` and strictly before
    `bound` (the current trip's departure, row `cur_row` of `cur_slot`, or INF), among trips
    running on their slot's service day; (-1, -1, bound) if none."""
    best_row = -1
    best_slot = -1
    best_dep = bound
    for slot in range(N_SLOTS):
        off = slot_off[slot]
        # Trips of a pattern are FIFO at every stop, so the first and last rows bound the slot.
        if st_dep[base + pos] + off >= best_dep:
            continue
        if st_dep[base + (n_tr - 1) * n_st + pos] + off < t:
            continue
        bit = 1 << slot
        if slot == cur_slot:
            # Earlier trips of the held trip's day sit just above it: walk back a few rows
            # instead of a binary search (the common case once a trip is held).
            j = cur_row - 1
            while j >= 0:
                d = st_dep[base + j * n_st + pos] + off
                if d < t:
                    break
                if d < best_dep and trip_mask[pat_trips[trip_ofs + j]] & bit:
                    best_row = j
                    best_slot = slot
                    best_dep = d
                j -= 1
            continue
        target = t - off
        lo = 0
        hi = n_tr
        while lo < hi:
            mid = (lo + hi) >> 1
            if st_dep[base + mid * n_st + pos] < target:
                lo = mid + 1
            else:
                hi = mid
        j = lo
        while j < n_tr:
            d = st_dep[base + j * n_st + pos] + off
            if d >= best_dep:
                break
            if trip_mask[pat_trips[trip_ofs + j]] & bit:
                best_row = j
                best_slot = slot
                best_dep = d
                break
            j += 1
    return best_row, best_slot, best_dep


@njit(cache=True, nogil=True)
def _grow(a, need):
    if need <= a.shape[0]:
        return a
    cap = max(need, 2 * a.shape[0])
    b = np.empty((cap, a.shape[1]), a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True, nogil=True)
def _reconstruct(
    k, q, f_last, net, slot_off, t_pat, t_row, t_slot, t_bpos, t_apos, ready, r_fp, buf
):
    """Walk the labels back from the target reached in round `k`; legs land in `buf` in
    travel order. Returns the number of legs, or -1 if the labels are inconsistent."""
    pat_stop_ofs, pat_stops = net[0], net[1]
    pat_st_ofs, st_dep = net[5], net[7]
    fp_from = net[12]
    n = 0
    buf[n, 0] = LEG_EGRESS
    buf[n, 1] = q
    n += 1
    cur = q
    if f_last >= 0:
        buf[n, 0] = LEG_WALK
        buf[n, 1] = f_last
        n += 1
        cur = fp_from[f_last]
    rnd = k
    while True:
        p = t_pat[rnd, cur]
        row = t_row[rnd, cur]
        slot = t_slot[rnd, cur]
        bpos = t_bpos[rnd, cur]
        buf[n, 0] = LEG_TRANSIT
        buf[n, 1] = p
        buf[n, 2] = row
        buf[n, 3] = slot
        buf[n, 4] = bpos
        buf[n, 5] = t_apos[rnd, cur]
        n += 1
        n_st = pat_stop_ofs[p + 1] - pat_stop_ofs[p]
        b = pat_stops[pat_stop_ofs[p] + bpos]
        dep = st_dep[pat_st_ofs[p] + row * n_st + bpos] + slot_off[slot]
        # The fewest trips that still make this departure: a journey never gets more legs
        # than the round that found it.
        j = 0
        while j < rnd and ready[j, b] > dep:
            j += 1
        if j >= rnd:
            return -1
        f = r_fp[j, b]
        src = b
        if f >= 0:
            buf[n, 0] = LEG_WALK
            buf[n, 1] = f
            n += 1
            src = fp_from[f]
        if j == 0:
            buf[n, 0] = LEG_ACCESS
            buf[n, 1] = t_row[0, src]
            n += 1
            break
        cur = src
        rnd = j
        if n + 4 > buf.shape[0]:
            return -1
    # Reverse into travel order.
    for i in range(n // 2):
        for c in range(LEG_WIDTH):
            tmp = buf[i, c]
            buf[i, c] = buf[n - 1 - i, c]
            buf[n - 1 - i, c] = tmp
    return n


@njit(cache=True, nogil=True)
def raptor(
    net,
    fp_dur,
    self_dur,
    stop_ok,
    trip_mask,
    slot_off,
    o_stop,
    o_walk,
    tgt_egress,
    ev_time,
    ev_ofs,
    ev_orig,
    n_rounds,
    slack,
    walk_bound,
):
    """(r)RAPTOR over departure events (descending times), labels kept across events.

    Returns (journeys, legs): journeys rows are (round, first leg, number of legs, event);
    legs rows are LEG_* tuples. Every journey recorded improved the best arrival at the
    targets for its number of trips at that event, so the list is a superset of the Pareto
    set over (departure, arrival, trips)."""
    pat_stop_ofs, pat_stops, pat_flags = net[0], net[1], net[2]
    pat_trip_ofs, pat_trips, pat_st_ofs = net[3], net[4], net[5]
    st_arr, st_dep = net[6], net[7]
    stop_pat_ofs, stop_pats, stop_pat_pos = net[8], net[9], net[10]
    fp_ofs, fp_to = net[11], net[13]
    n_stops = stop_pat_ofs.shape[0] - 1
    n_pat = pat_stop_ofs.shape[0] - 1
    n_lab = n_rounds + 1

    tarr = np.full((n_lab, n_stops), INF, np.int32)  # arrival by a vehicle (round 0: origin)
    tle = np.full((n_lab, n_stops), INF, np.int32)  # best tarr over rounds <= k
    t_pat = np.zeros((n_lab, n_stops), np.int32)
    t_row = np.zeros((n_lab, n_stops), np.int32)  # round 0: origin index
    t_slot = np.zeros((n_lab, n_stops), np.int32)
    t_bpos = np.zeros((n_lab, n_stops), np.int32)
    t_apos = np.zeros((n_lab, n_stops), np.int32)
    ready = np.full((n_lab, n_stops), INF, np.int32)  # may board the next vehicle from this time
    rle = np.full((n_lab, n_stops), INF, np.int32)  # best ready over rounds <= k
    r_fp = np.full((n_lab, n_stops), -1, np.int32)  # footpath walked to get ready; -1 = none
    tgt_le = np.full(n_lab, walk_bound, np.int64)
    tgt_stop = np.zeros(n_lab, np.int32)
    tgt_fp = np.zeros(n_lab, np.int32)
    changed = np.zeros(n_lab, np.bool_)

    marked = np.zeros(n_stops, np.bool_)
    mlist = np.empty(n_stops, np.int32)
    boardable = np.zeros(n_stops, np.bool_)
    blist = np.empty(n_stops, np.int32)
    tflag = np.zeros(n_stops, np.bool_)
    tlist = np.empty(n_stops, np.int32)
    q_pos = np.full(n_pat, -1, np.int32)
    plist = np.empty(n_pat, np.int32)

    out_j = np.empty((16, 4), np.int32)
    out_l = np.empty((64, LEG_WIDTH), np.int32)
    buf = np.empty((4 * n_lab + 8, LEG_WIDTH), np.int32)
    nj = 0
    nl = 0

    for e in range(ev_time.shape[0]):
        tau = ev_time[e]
        changed[:] = False
        nm = 0
        # Round 0: every origin's label moves to this (earlier) departure; after the first
        # event only the origins with a departure at exactly this time are marked: the others
        # board nothing they did not board at a later event.
        for o in range(o_stop.shape[0]):
            s = o_stop[o]
            t = tau + o_walk[o]
            if t < tarr[0, s]:
                tarr[0, s] = t
                t_row[0, s] = o
                # Riding back to where one already stands is never useful: prune it.
                for j in range(n_lab):
                    if t < tle[j, s]:
                        tle[j, s] = t
                if t < rle[0, s]:
                    ready[0, s] = t
                    r_fp[0, s] = -1
                    for j in range(n_lab):
                        if t < rle[j, s]:
                            rle[j, s] = t
        # The first event is a full search from every origin: departures after the window
        # are no events, yet what they reach must prune the window's journeys.
        first = e == 0
        n_ev = o_stop.shape[0] if first else ev_ofs[e + 1] - ev_ofs[e]
        for ei in range(n_ev):
            s = o_stop[ei] if first else o_stop[ev_orig[ev_ofs[e] + ei]]
            if not marked[s]:
                marked[s] = True
                mlist[nm] = s
                nm += 1
            a = tarr[0, s]
            for f in range(fp_ofs[s], fp_ofs[s + 1]):
                d = fp_dur[f]
                if d < 0:
                    continue
                q = fp_to[f]
                r = a + d
                if r < rle[0, q]:
                    ready[0, q] = r
                    r_fp[0, q] = f
                    for j in range(n_lab):
                        if r < rle[j, q]:
                            rle[j, q] = r
                    if not marked[q]:
                        marked[q] = True
                        mlist[nm] = q
                        nm += 1

        for k in range(1, n_lab):
            if nm == 0:
                break
            last = k == n_lab - 1
            npl = 0
            # Only stops whose ready time improved last round can board anything new: from the
            # others every trip was already tried in an earlier round (or event), and its
            # arrivals are in tle.
            nb = nm
            for mi in range(nm):
                s = mlist[mi]
                marked[s] = False
                boardable[s] = True
                blist[mi] = s
                for x in range(stop_pat_ofs[s], stop_pat_ofs[s + 1]):
                    p = stop_pats[x]
                    pos = stop_pat_pos[x]
                    if q_pos[p] < 0:
                        plist[npl] = p
                        npl += 1
                        q_pos[p] = pos
                    elif pos < q_pos[p]:
                        q_pos[p] = pos
            nm = 0
            ntl = 0
            for pi in range(npl):
                p = plist[pi]
                start = q_pos[p]
                q_pos[p] = -1
                s0 = pat_stop_ofs[p]
                n_st = pat_stop_ofs[p + 1] - s0
                tr0 = pat_trip_ofs[p]
                n_tr = pat_trip_ofs[p + 1] - tr0
                base = pat_st_ofs[p]
                row = -1
                slot = 0
                off = 0
                bpos = 0
                rowbase = 0
                for i in range(start, n_st):
                    s = pat_stops[s0 + i]
                    fl = pat_flags[s0 + i]
                    if row >= 0 and (fl & ALIGHT) and stop_ok[s]:
                        a = st_arr[rowbase + i] + off
                        if a < tle[k, s] and a < tgt_le[k]:
                            tarr[k, s] = a
                            t_pat[k, s] = p
                            t_row[k, s] = row
                            t_slot[k, s] = slot
                            t_bpos[k, s] = bpos
                            t_apos[k, s] = i
                            for j in range(k, n_lab):
                                if a < tle[j, s]:
                                    tle[j, s] = a
                                else:
                                    break
                            if not tflag[s]:
                                tflag[s] = True
                                tlist[ntl] = s
                                ntl += 1
                    if boardable[s] and (fl & BOARD) and stop_ok[s]:
                        r = rle[k - 1, s]
                        if r < INF:
                            cur = INF
                            cur_slot = -1
                            if row >= 0:
                                cur = st_dep[rowbase + i] + off
                                cur_slot = slot
                            if r <= cur:
                                nr, ns, _ = _find_trip(
                                    st_dep,
                                    base,
                                    n_st,
                                    n_tr,
                                    i,
                                    r,
                                    pat_trips,
                                    tr0,
                                    trip_mask,
                                    slot_off,
                                    cur,
                                    row,
                                    cur_slot,
                                )
                                if nr >= 0:
                                    row = nr
                                    slot = ns
                                    off = slot_off[ns]
                                    bpos = i
                                    rowbase = base + nr * n_st
            for bi in range(nb):
                boardable[blist[bi]] = False
            # Transfers: one footpath (or a stay) after each vehicle, never chained walks.
            for ti in range(ntl):
                s = tlist[ti]
                tflag[s] = False
                a = tarr[k, s]
                eg = tgt_egress[s]
                if eg >= 0 and a + eg < tgt_le[k]:
                    c = a + eg
                    tgt_stop[k] = s
                    tgt_fp[k] = -1
                    changed[k] = True
                    for j in range(k, n_lab):
                        if c < tgt_le[j]:
                            tgt_le[j] = c
                sd = self_dur[s]
                if not last and sd >= 0:
                    r = a + max(sd, slack)
                    if r < rle[k, s] and r < tgt_le[k]:
                        ready[k, s] = r
                        r_fp[k, s] = -1
                        for j in range(k, n_lab):
                            if r < rle[j, s]:
                                rle[j, s] = r
                            else:
                                break
                        if not marked[s]:
                            marked[s] = True
                            mlist[nm] = s
                            nm += 1
                for f in range(fp_ofs[s], fp_ofs[s + 1]):
                    d = fp_dur[f]
                    if d < 0:
                        continue
                    q = fp_to[f]
                    eg = tgt_egress[q]
                    if eg >= 0 and a + d + eg < tgt_le[k]:
                        c = a + d + eg
                        tgt_stop[k] = q
                        tgt_fp[k] = f
                        changed[k] = True
                        for j in range(k, n_lab):
                            if c < tgt_le[j]:
                                tgt_le[j] = c
                    if last:
                        continue
                    r = a + max(d, slack)
                    if r < rle[k, q] and r < tgt_le[k]:
                        ready[k, q] = r
                        r_fp[k, q] = f
                        for j in range(k, n_lab):
                            if r < rle[j, q]:
                                rle[j, q] = r
                            else:
                                break
                        if not marked[q]:
                            marked[q] = True
                            mlist[nm] = q
                            nm += 1
        for mi in range(nm):
            marked[mlist[mi]] = False
        nm = 0

        for k in range(1, n_lab):
            if not changed[k]:
                continue
            n = _reconstruct(
                k,
                tgt_stop[k],
                tgt_fp[k],
                net,
                slot_off,
                t_pat,
                t_row,
                t_slot,
                t_bpos,
                t_apos,
                ready,
                r_fp,
                buf,
            )
            if n < 0:
                continue
            out_j = _grow(out_j, nj + 1)
            out_l = _grow(out_l, nl + n)
            out_j[nj, 0] = k
            out_j[nj, 1] = nl
            out_j[nj, 2] = n
            out_j[nj, 3] = e
            nj += 1
            out_l[nl : nl + n] = buf[:n]
            nl += n
    return out_j[:nj], out_l[:nl]


@njit(cache=True, nogil=True)
def departure_events(net, fp_dur, stop_ok, trip_mask, slot_off, o_stop, o_walk, t_from, t_to):
    """(time, origin) for every vehicle departure reachable from an origin leaving it in
    [t_from, t_to]: the iterations of rRAPTOR, unsorted."""
    pat_stop_ofs, pat_flags = net[0], net[2]
    pat_trip_ofs, pat_trips, pat_st_ofs, st_dep = net[3], net[4], net[5], net[7]
    stop_pat_ofs, stop_pats, stop_pat_pos = net[8], net[9], net[10]
    fp_ofs, fp_to = net[11], net[13]
    n_stops = stop_pat_ofs.shape[0] - 1
    best = np.full(n_stops, INF, np.int64)
    for o in range(o_stop.shape[0]):
        if o_walk[o] < best[o_stop[o]]:
            best[o_stop[o]] = o_walk[o]
    ev_t = np.empty(256, np.int64)
    ev_o = np.empty(256, np.int32)
    n = 0
    for o in range(o_stop.shape[0]):
        s = o_stop[o]
        w = o_walk[o]
        if w > best[s]:
            continue
        for idx in range(-1, fp_ofs[s + 1] - fp_ofs[s]):
            q = s
            ww = w
            if idx >= 0:
                f = fp_ofs[s] + idx
                if fp_dur[f] < 0:
                    continue
                q = fp_to[f]
                ww = w + fp_dur[f]
                # Another origin reaches q on foot at least as fast: its events cover q.
                if ww >= best[q]:
                    continue
            if not stop_ok[q]:
                continue
            for x in range(stop_pat_ofs[q], stop_pat_ofs[q + 1]):
                p = stop_pats[x]
                pos = stop_pat_pos[x]
                s0 = pat_stop_ofs[p]
                if not (pat_flags[s0 + pos] & BOARD):
                    continue
                n_st = pat_stop_ofs[p + 1] - s0
                tr0 = pat_trip_ofs[p]
                n_tr = pat_trip_ofs[p + 1] - tr0
                base = pat_st_ofs[p]
                for slot in range(N_SLOTS):
                    off = slot_off[slot]
                    lo_t = t_from + ww - off
                    hi_t = t_to + ww - off
                    lo = 0
                    hi = n_tr
                    while lo < hi:
                        mid = (lo + hi) >> 1
                        if st_dep[base + mid * n_st + pos] < lo_t:
                            lo = mid + 1
                        else:
                            hi = mid
                    bit = 1 << slot
                    j = lo
                    while j < n_tr:
                        d = st_dep[base + j * n_st + pos]
                        if d > hi_t:
                            break
                        if trip_mask[pat_trips[tr0 + j]] & bit:
                            if n == ev_t.shape[0]:
                                ev_t2 = np.empty(2 * n, np.int64)
                                ev_o2 = np.empty(2 * n, np.int32)
                                ev_t2[:n] = ev_t
                                ev_o2[:n] = ev_o
                                ev_t = ev_t2
                                ev_o = ev_o2
                            ev_t[n] = d + off - ww
                            ev_o[n] = o
                            n += 1
                        j += 1
    # Sorting is left to numpy in the caller: numba's sort costs seconds of compile time.
    return ev_t[:n], ev_o[:n]


# ---------------------------------------------------------------------------------------------
# Build helpers


@njit(cache=True)
def parse_times(buf):
    """GTFS H:MM:SS byte strings (rows of a fixed-width byte matrix) to seconds; -1 if empty.
    Hours may have one digit or exceed 24 (GTFS allows both)."""
    n = buf.shape[0]
    out = np.empty(n, np.int32)
    for i in range(n):
        fields = 0
        val = 0
        acc = 0
        digits = 0
        for j in range(buf.shape[1]):
            c = buf[i, j]
            if c == 0:
                break
            if c == 58:  # ':'
                acc = acc * 60 + val
                val = 0
                fields += 1
            elif 48 <= c <= 57:
                val = val * 10 + (c - 48)
                digits += 1
        if digits == 0:
            out[i] = -1
        else:
            acc = acc * 60 + val
            # "H:MM" without seconds is not GTFS, but read it as minutes rather than seconds.
            if fields == 1:
                acc *= 60
            out[i] = acc
    return out


@njit(cache=True)
def haversine_m(lat1, lon1, lat2, lon2):
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp * 0.5) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@njit(cache=True)
def fill_times(trip_start, arr, dep, lat, lon, stop):
    """Copy arrival<->departure where one is missing and interpolate untimed stops linearly
    by straight-line distance between the timed ones (GTFS allows times only at timepoints)."""
    n_trips = trip_start.shape[0] - 1
    for i in range(arr.shape[0]):
        if arr[i] < 0 and dep[i] >= 0:
            arr[i] = dep[i]
        elif (dep[i] < 0 and arr[i] >= 0) or (arr[i] >= 0 and dep[i] < arr[i]):
            dep[i] = arr[i]
    for t in range(n_trips):
        a = trip_start[t]
        b = trip_start[t + 1]
        prev = -1
        i = a
        while i < b:
            if arr[i] >= 0:
                prev = i
                i += 1
                continue
            nxt = i
            while nxt < b and arr[nxt] < 0:
                nxt += 1
            if prev < 0 or nxt >= b:
                # No timepoint on one side: hold the nearest known time.
                v = dep[prev] if prev >= 0 else (arr[nxt] if nxt < b else 0)
                for j in range(i, nxt):
                    arr[j] = v
                    dep[j] = v
            else:
                total = 0.0
                for j in range(prev, nxt):
                    total += haversine_m(
                        lat[stop[j]], lon[stop[j]], lat[stop[j + 1]], lon[stop[j + 1]]
                    )
                acc = 0.0
                t0 = dep[prev]
                t1 = arr[nxt]
                for j in range(prev + 1, nxt):
                    acc += haversine_m(
                        lat[stop[j - 1]], lon[stop[j - 1]], lat[stop[j]], lon[stop[j]]
                    )
                    # Round half up (not half even) so the rule is easy to state and reproduce.
                    if total > 0.0:
                        v = t0 + math.floor((t1 - t0) * acc / total + 0.5)
                    else:
                        v = t0 + math.floor((t1 - t0) * (j - prev) / (nxt - prev) + 0.5)
                    arr[j] = v
                    dep[j] = v
            i = nxt
    return arr, dep


@njit(cache=True)
def fifo_split(group_start, n_st, arr, dep):
    """Split each pattern group (trips group_start[g]..group_start[g+1], sorted by first
    departure, `n_st[g]` stops each; `arr`/`dep` hold the groups' trip-major matrices one after
    the other) into sub-patterns in which no trip overtakes another, as RAPTOR's trip search
    assumes. Greedy first fit. Returns a sub-pattern number per trip (0-based in its group)."""
    n_rows = group_start[-1]
    sub = np.empty(n_rows, np.int32)
    last = np.empty(n_rows, np.int64)  # last trip (row) per open sub-pattern of the group
    ofs = 0
    for g in range(group_start.shape[0] - 1):
        m = n_st[g]
        nsub = 0
        for r in range(group_start[g], group_start[g + 1]):
            base = ofs + (r - group_start[g]) * m
            chosen = -1
            for sp in range(nsub):
                lb = ofs + (last[sp] - group_start[g]) * m
                ok = True
                for i in range(m):
                    if arr[base + i] < arr[lb + i] or dep[base + i] < dep[lb + i]:
                        ok = False
                        break
                if ok:
                    chosen = sp
                    break
            if chosen < 0:
                chosen = nsub
                nsub += 1
            last[chosen] = r
            sub[r] = chosen
        ofs += (group_start[g + 1] - group_start[g]) * m
    return sub

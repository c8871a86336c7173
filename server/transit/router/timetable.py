"""The router's compact timetable: numpy arrays for RAPTOR, strings for display, a disk cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]

# Bump when the layout or the build's rules change: it is part of every fingerprint, so caches
# written by an older build are rebuilt rather than misread.
FORMAT_VERSION = 1
REFERENCE_WALK_MPS = 1.2  # speed at which transfers.txt times are taken to be walked
GTFS_FILES = (
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "frequencies.txt",
    "transfers.txt",
    "shapes.txt",
)

Network = tuple[I32, I32, U8, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]
"""Arrays handed to the kernels, in kernel order: pat_stop_ofs, pat_stops, pat_flags,
pat_trip_ofs, pat_trips, pat_st_ofs, st_arr, st_dep, stop_pat_ofs, stop_pats, stop_pat_pos,
fp_ofs, fp_from, fp_to."""


def feeds_fingerprint(
    feeds: Sequence[tuple[str, Path]], *, transfer_radius_m: float, detour_factor: float
) -> str:
    """A content hash of the feeds and build parameters; equal fingerprints, equal timetables."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"v{FORMAT_VERSION}|{transfer_radius_m!r}|{detour_factor!r}".encode())
    for feed_id, path in feeds:
        h.update(f"|feed:{feed_id}".encode())
        for name in GTFS_FILES:
            f = Path(path) / name
            if not f.is_file():
                continue
            h.update(f"|{name}:".encode())
            with f.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    return h.hexdigest()


@dataclass(eq=False)
class Timetable:
    """All feeds merged into one RAPTOR-ready timetable.

    Indices are positions in these arrays; public GTFS ids are namespaced "{feed_id}:{id}".
    Stop times are trip-major per pattern: the time of trip row j of pattern p at its stop
    position i is st_dep[pat_st_ofs[p] + j * n_stops(p) + i]. Trips are the concrete trips run
    (frequencies.txt expanded); `trip_gtfs` maps each back to its GTFS trip."""

    fingerprint: str
    timezone: str
    feed_ids: list[str]
    base_date: dt.date  # day 0 of service_days
    transfer_radius_m: float
    detour_factor: float
    # stops
    stop_ids: list[str]
    stop_names: list[str]
    stop_lat: F64
    stop_lon: F64
    stop_location_type: I8
    stop_parent: I32  # -1: none
    stop_wheelchair: I8  # 0 unknown, 1 accessible, 2 not (parent station's value inherited)
    # routes
    route_ids: list[str]
    route_short_names: list[str]
    route_long_names: list[str]
    route_colors: list[str]
    route_text_colors: list[str]
    route_type: I32
    # GTFS trips
    gtfs_trip_ids: list[str]
    trip_headsigns: list[str]
    gtfs_trip_route: I32
    gtfs_trip_service: I32
    gtfs_trip_wheelchair: I8  # 0 unknown, 1 accessible, 2 not
    gtfs_trip_shape: I32  # -1: no shape
    # concrete trips
    trip_gtfs: I32
    # services
    service_ids: list[str]
    service_days: U8  # [service, day] 1 if active
    # patterns and stop times
    pat_stop_ofs: I32
    pat_stops: I32
    pat_flags: U8
    pat_trip_ofs: I32
    pat_trips: I32
    pat_st_ofs: I32
    st_arr: I32
    st_dep: I32
    stop_pat_ofs: I32
    stop_pats: I32
    stop_pat_pos: I32
    # footpaths (CSR by from-stop) and same-stop transfer times
    fp_ofs: I32
    fp_from: I32
    fp_to: I32
    fp_metres: F64
    fp_fixed_s: F64  # transfers.txt time at REFERENCE_WALK_MPS; -1: derive from metres
    self_transfer_s: F64  # per stop; 0 default, -1 transfers forbidden (transfer_type 3)
    # shapes
    shape_ids: list[str]
    shape_ofs: I32
    shape_lat: F64
    shape_lon: F64

    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    _META: ClassVar[tuple[str, ...]] = (
        "fingerprint",
        "timezone",
        "feed_ids",
        "transfer_radius_m",
        "detour_factor",
    )

    # ---- sizes and ids -----------------------------------------------------------------------

    @property
    def n_stops(self) -> int:
        return len(self.stop_ids)

    @property
    def n_trips(self) -> int:
        return int(self.trip_gtfs.shape[0])

    @property
    def n_patterns(self) -> int:
        return int(self.pat_stop_ofs.shape[0] - 1)

    @property
    def n_stop_times(self) -> int:
        return int(self.st_arr.shape[0])

    @property
    def n_footpaths(self) -> int:
        return int(self.fp_to.shape[0])

    def stop_index(self, stop_id: str) -> int:
        """Index of a namespaced stop id ("feed:stop_id"); KeyError if unknown."""
        index: dict[str, int] | None = self._cache.get("stop_index")
        if index is None:
            index = {s: i for i, s in enumerate(self.stop_ids)}
            self._cache["stop_index"] = index
        return index[stop_id]

    def trip_id(self, trip: int) -> str:
        """Namespaced GTFS trip_id of a concrete trip (frequency copies share their template's)."""
        return self.gtfs_trip_ids[int(self.trip_gtfs[trip])]

    def trip_headsign(self, trip: int) -> str:
        return self.trip_headsigns[int(self.trip_gtfs[trip])]

    def trip_route(self, trip: int) -> int:
        return int(self.gtfs_trip_route[int(self.trip_gtfs[trip])])

    def served_stops(self) -> I32:
        """Stops at which some pattern stops (the ones worth walking to)."""
        served: I32 | None = self._cache.get("served")
        if served is None:
            counts = np.diff(self.stop_pat_ofs)
            served = np.flatnonzero(counts > 0).astype(np.int32)
            self._cache["served"] = served
        return served

    def day_index(self, day: dt.date) -> int:
        return (day - self.base_date).days

    # ---- networks ------------------------------------------------------------------------------

    def network(self, reverse: bool = False) -> Network:
        """Kernel arrays; the reverse network runs time backwards for arrive-by searches."""
        if not reverse:
            return (
                self.pat_stop_ofs,
                self.pat_stops,
                self.pat_flags,
                self.pat_trip_ofs,
                self.pat_trips,
                self.pat_st_ofs,
                self.st_arr,
                self.st_dep,
                self.stop_pat_ofs,
                self.stop_pats,
                self.stop_pat_pos,
                self.fp_ofs,
                self.fp_from,
                self.fp_to,
            )
        rev: Network | None = self._cache.get("reverse")
        if rev is None:
            rev = self._reverse_network()
            self._cache["reverse"] = rev
        return rev

    def reverse_fp_perm(self) -> I32:
        """Forward footpath index of each reverse footpath."""
        self.network(reverse=True)
        perm: I32 = self._cache["reverse_fp_perm"]
        return perm

    def _reverse_network(self) -> Network:
        # Negating times and reading every pattern backwards turns "latest departure arriving
        # by T" into "earliest arrival departing at -T", so one kernel serves both directions.
        n_st = np.diff(self.pat_stop_ofs).astype(np.int64)
        n_tr = np.diff(self.pat_trip_ofs).astype(np.int64)
        n_pat = n_st.shape[0]
        pat_of_stop = np.repeat(np.arange(n_pat), n_st)
        local = np.arange(self.pat_stops.shape[0]) - np.repeat(self.pat_stop_ofs[:-1], n_st)
        src = self.pat_stop_ofs[:-1][pat_of_stop] + (n_st[pat_of_stop] - 1 - local)
        pat_stops = self.pat_stops[src]
        f = self.pat_flags[src]
        pat_flags = (((f & 1) << 1) | ((f & 2) >> 1)).astype(np.uint8)
        pat_of_trip = np.repeat(np.arange(n_pat), n_tr)
        tlocal = np.arange(self.pat_trips.shape[0]) - np.repeat(self.pat_trip_ofs[:-1], n_tr)
        pat_trips = self.pat_trips[
            self.pat_trip_ofs[:-1][pat_of_trip] + (n_tr[pat_of_trip] - 1 - tlocal)
        ]
        size = n_st * n_tr
        pat_of_st = np.repeat(np.arange(n_pat), size)
        g = np.arange(self.st_arr.shape[0], dtype=np.int64) - np.repeat(
            self.pat_st_ofs[:-1].astype(np.int64), size
        )
        m = n_st[pat_of_st]
        row = g // m
        pos = g - row * m
        st_src = self.pat_st_ofs[pat_of_st] + (n_tr[pat_of_st] - 1 - row) * m + (m - 1 - pos)
        st_arr = (-self.st_dep[st_src]).astype(np.int32)
        st_dep = (-self.st_arr[st_src]).astype(np.int32)
        stop_pat_pos = (n_st[self.stop_pats] - 1 - self.stop_pat_pos).astype(np.int32)
        perm = np.argsort(self.fp_to, kind="stable").astype(np.int32)
        fp_from = self.fp_to[perm]
        fp_to = self.fp_from[perm]
        counts = np.bincount(fp_from, minlength=self.n_stops)
        fp_ofs = np.zeros(self.n_stops + 1, np.int32)
        np.cumsum(counts, out=fp_ofs[1:])
        self._cache["reverse_fp_perm"] = perm
        return (
            self.pat_stop_ofs,
            pat_stops.astype(np.int32),
            pat_flags,
            self.pat_trip_ofs,
            pat_trips.astype(np.int32),
            self.pat_st_ofs,
            st_arr,
            st_dep,
            self.stop_pat_ofs,
            self.stop_pats,
            stop_pat_pos,
            fp_ofs,
            fp_from.astype(np.int32),
            fp_to.astype(np.int32),
        )

    # ---- persistence -------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write timetable.npz (arrays) and timetable.json (strings, metadata) atomically."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {}
        strings: dict[str, Any] = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                arrays[f.name] = value
            elif f.name == "base_date":
                strings[f.name] = value.isoformat()
            else:
                strings[f.name] = value
        # Write beside the target then rename, so a reader never sees half a cache.
        for name, writer in (
            ("timetable.npz", lambda fh: np.savez(fh, **arrays)),
            (
                "timetable.json",
                lambda fh: fh.write(json.dumps(strings, ensure_ascii=False).encode()),
            ),
        ):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "wb") as fh:
                    writer(fh)
                os.replace(tmp, directory / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    @classmethod
    def load(cls, directory: Path) -> Timetable:
        """Read a timetable written by save()."""
        directory = Path(directory)
        strings = json.loads((directory / "timetable.json").read_text(encoding="utf-8"))
        kwargs: dict[str, Any] = dict(strings)
        kwargs["base_date"] = dt.date.fromisoformat(strings["base_date"])
        with np.load(directory / "timetable.npz") as npz:
            for name in npz.files:
                kwargs[name] = npz[name]
        return cls(**kwargs)

    @staticmethod
    def cached_fingerprint(directory: Path) -> str | None:
        """The fingerprint of the timetable cached in `directory`, without loading it."""
        try:
            text = (Path(directory) / "timetable.json").read_text(encoding="utf-8")
        except OSError:
            return None
        # The fingerprint is written first, so a prefix parse would do; the file is small.
        value = json.loads(text).get("fingerprint")
        return value if isinstance(value, str) else None

"""Reads a GTFS feed (zip or folder), checks what routing needs, and writes it out normalised.

Problems are reported the way a person fixes them: file, line and field. The normalised copy is
UTF-8 without BOM, LF line endings, times as zero-padded HH:MM:SS (hours may exceed 23), and
stop_times sorted by trip and stop_sequence, with missing intermediate times interpolated.
"""

import contextlib
import csv
import hashlib
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
REQUIRED_FIELDS = {
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"),
    "calendar.txt": (
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
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers.txt": ("from_stop_id", "to_stop_id", "transfer_type"),
}
# Beyond this many problems a report stops helping; the first ones show what is wrong.
MAX_PROBLEMS = 50
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class FeedError(Exception):
    """The feed cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{shown}{more}")


class _TooMany(Exception):
    pass


@dataclass
class _Report:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, file: str, line: int | None, fld: str | None, message: str) -> None:
        self.problems.append(Problem(file, line, fld, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooMany


def parse_time(text: str) -> int | None:
    """GTFS time (H:MM:SS or HH:MM:SS, hours may exceed 24) in seconds, or None if not a time."""
    match = _TIME.match(text)
    if not match:
        return None
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse_date(text: str) -> date | None:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


class Source:
    """The files of a feed, from a zip or a folder; zips with the files in a sub-folder work too."""

    def __init__(self, path: Path) -> None:
        # gtfs-kit would treat a missing path as a URL and download it: we never go there.
        if not path.exists():
            raise FeedError([Problem(str(path), None, None, "no such file or folder")])
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if path.is_dir():
            self._names = {p.name: str(p) for p in path.iterdir() if p.suffix == ".txt"}
        else:
            try:
                self._zip = zipfile.ZipFile(path)
                bad = self._zip.testzip()
            except (zipfile.BadZipFile, OSError) as exc:
                raise FeedError(
                    [Problem(path.name, None, None, f"not a readable zip file ({exc})")]
                ) from None
            if bad is not None:
                raise FeedError([Problem(path.name, None, None, f"zip member {bad} is corrupt")])
            for name in self._zip.namelist():
                base = name.rsplit("/", 1)[-1]
                if base.endswith(".txt") and not base.startswith(".") and "__MACOSX" not in name:
                    self._names.setdefault(base, name)

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()

    @property
    def names(self) -> list[str]:
        return sorted(self._names)

    def has(self, name: str) -> bool:
        return name in self._names

    def content_hash(self) -> str:
        """A digest of the feed's files, so re-importing unchanged data can be skipped."""
        digest = hashlib.sha256()
        for name in self.names:
            digest.update(name.encode())
            with self._open_binary(name) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()

    def _open_binary(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(self._names[name])
        return Path(self._names[name]).open("rb")

    def rows(self, name: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
        """The header and (line number, row) pairs; header names are stripped, BOM dropped."""
        raw = self._open_binary(name)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raw.close()
            return [], iter(())
        except UnicodeDecodeError:
            raw.close()
            raise FeedError([Problem(name, 1, None, "is not UTF-8 text")]) from None

        def generate() -> Iterator[tuple[int, dict[str, str]]]:
            try:
                width = len(header)
                for values in reader:
                    if not values or values == [""]:
                        continue
                    if len(values) < width:
                        values += [""] * (width - len(values))
                    yield reader.line_num, dict(zip(header, values, strict=False))
            except UnicodeDecodeError:
                raise FeedError(
                    [Problem(name, reader.line_num + 1, None, "is not UTF-8 text")]
                ) from None
            except csv.Error as exc:
                raise FeedError([Problem(name, reader.line_num, None, str(exc))]) from None
            finally:
                raw.close()

        return header, generate()


@dataclass
class FeedSummary:
    """What an import found: counts, the feed's dates, and non-fatal warnings."""

    stops: int = 0
    routes: int = 0
    trips: int = 0
    stop_times: int = 0
    start_date: str | None = None
    end_date: str | None = None
    feed_version: str | None = None
    publisher: str | None = None
    agencies: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _write(out_dir: Path, name: str, header: list[str], rows: Iterator[list[str]]) -> None:
    with (out_dir / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _check_header(report: _Report, name: str, header: list[str]) -> bool:
    missing = [f for f in REQUIRED_FIELDS.get(name, ()) if f not in header]
    for fld in missing:
        report.add(name, 1, fld, "required column is missing")
    return not missing


def validate_and_normalise(
    source: Source, out_dir: Path, progress: Progress = no_progress
) -> FeedSummary:
    """Check the feed and write the normalised copy into `out_dir`; raise FeedError if unusable."""
    report = _Report()
    summary = FeedSummary()
    with contextlib.suppress(_TooMany):
        _run(source, out_dir, report, summary, progress)
    if report.problems:
        raise FeedError(report.problems)
    summary.warnings = report.warnings
    return summary


def _run(
    source: Source, out_dir: Path, report: _Report, summary: FeedSummary, progress: Progress
) -> None:
    for name in REQUIRED_FILES:
        if not source.has(name):
            report.add(name, None, None, "required file is missing")
    if not (source.has("calendar.txt") or source.has("calendar_dates.txt")):
        report.add("calendar.txt", None, None, "calendar.txt or calendar_dates.txt is required")
    if report.problems:
        return
    out_dir.mkdir(parents=True, exist_ok=True)

    stops = _stops(source, out_dir, report)
    summary.stops = len(stops)
    services = _calendars(source, out_dir, report, summary)
    route_ids = _routes(source, out_dir, report)
    summary.routes = len(route_ids)
    trip_ids = _trips(source, out_dir, report, route_ids, services)
    summary.trips = len(trip_ids)
    if report.problems:
        return
    summary.stop_times = _stop_times(source, out_dir, report, trip_ids, stops, progress)
    _frequencies(source, out_dir, report, trip_ids)
    _transfers(source, out_dir, report, stops)
    _agency_and_info(source, out_dir, summary)
    handled = {
        "stops.txt",
        "calendar.txt",
        "calendar_dates.txt",
        "routes.txt",
        "trips.txt",
        "stop_times.txt",
        "frequencies.txt",
        "transfers.txt",
        "agency.txt",
        "feed_info.txt",
    }
    for name in source.names:
        if name not in handled:
            header, rows = source.rows(name)
            _write(out_dir, name, header, ([r.get(h, "") for h in header] for _, r in rows))


def _stops(source: Source, out_dir: Path, report: _Report) -> set[str]:
    name = "stops.txt"
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return set()
    kept: list[dict[str, str]] = []
    seen: set[str] = set()
    parents: list[tuple[int, str]] = []
    for line, row in rows:
        stop_id = row["stop_id"].strip()
        if not stop_id:
            report.add(name, line, "stop_id", "is empty")
            continue
        if stop_id in seen:
            report.add(name, line, "stop_id", f"{stop_id!r} appears twice")
            continue
        seen.add(stop_id)
        location_type = row.get("location_type", "").strip() or "0"
        if location_type not in {"0", "1", "2", "3", "4"}:
            report.add(name, line, "location_type", f"{location_type!r} is not 0-4")
        if location_type in {"0", "1", "2"}:
            for fld, limit in (("stop_lat", 90.0), ("stop_lon", 180.0)):
                value = row.get(fld, "").strip()
                try:
                    number = float(value)
                except ValueError:
                    report.add(name, line, fld, f"{value!r} is not a number")
                    continue
                if not -limit <= number <= limit:
                    report.add(name, line, fld, f"{value!r} is out of range")
        if row.get("parent_station", "").strip():
            parents.append((line, row["parent_station"].strip()))
        kept.append(row)
    for line, parent in parents:
        if parent not in seen:
            report.add(name, line, "parent_station", f"{parent!r} is not a stop_id in stops.txt")
    _write(out_dir, name, header, ([r.get(h, "") for h in header] for r in kept))
    return seen


def _calendars(source: Source, out_dir: Path, report: _Report, summary: FeedSummary) -> set[str]:
    services: set[str] = set()
    dates: list[date] = []
    if source.has("calendar.txt"):
        name = "calendar.txt"
        header, rows = source.rows(name)
        if _check_header(report, name, header):
            kept = []
            for line, row in rows:
                for day in REQUIRED_FIELDS[name][1:8]:
                    if row[day].strip() not in {"0", "1"}:
                        report.add(name, line, day, f"{row[day]!r} is not 0 or 1")
                for fld in ("start_date", "end_date"):
                    parsed = parse_date(row[fld])
                    if parsed is None:
                        report.add(name, line, fld, f"{row[fld]!r} is not a date (YYYYMMDD)")
                    else:
                        dates.append(parsed)
                services.add(row["service_id"].strip())
                kept.append([row.get(h, "").strip() for h in header])
            _write(out_dir, name, header, iter(kept))
    if source.has("calendar_dates.txt"):
        name = "calendar_dates.txt"
        header, rows = source.rows(name)
        if _check_header(report, name, header):
            kept = []
            for line, row in rows:
                parsed = parse_date(row["date"])
                if parsed is None:
                    report.add(name, line, "date", f"{row['date']!r} is not a date (YYYYMMDD)")
                else:
                    dates.append(parsed)
                if row["exception_type"].strip() not in {"1", "2"}:
                    report.add(
                        name, line, "exception_type", f"{row['exception_type']!r} is not 1 or 2"
                    )
                services.add(row["service_id"].strip())
                kept.append([row.get(h, "").strip() for h in header])
            _write(out_dir, name, header, iter(kept))
    if dates:
        summary.start_date = min(dates).strftime("%Y%m%d")
        summary.end_date = max(dates).strftime("%Y%m%d")
    return services


def _routes(source: Source, out_dir: Path, report: _Report) -> set[str]:
    name = "routes.txt"
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return set()
    seen: set[str] = set()
    kept = []
    for line, row in rows:
        route_id = row["route_id"].strip()
        if route_id in seen:
            report.add(name, line, "route_id", f"{route_id!r} appears twice")
        seen.add(route_id)
        if not row["route_type"].strip().isdigit():
            report.add(name, line, "route_type", f"{row['route_type']!r} is not a route type")
        kept.append([row.get(h, "") for h in header])
    _write(out_dir, name, header, iter(kept))
    return seen


def _trips(
    source: Source, out_dir: Path, report: _Report, route_ids: set[str], services: set[str]
) -> set[str]:
    name = "trips.txt"
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return set()
    seen: set[str] = set()
    kept = []
    for line, row in rows:
        trip_id = row["trip_id"].strip()
        if trip_id in seen:
            report.add(name, line, "trip_id", f"{trip_id!r} appears twice")
        seen.add(trip_id)
        if row["route_id"].strip() not in route_ids:
            report.add(name, line, "route_id", f"{row['route_id']!r} is not in routes.txt")
        if row["service_id"].strip() not in services:
            report.add(
                name,
                line,
                "service_id",
                f"{row['service_id']!r} is not in calendar.txt or calendar_dates.txt",
            )
        kept.append([row.get(h, "") for h in header])
    _write(out_dir, name, header, iter(kept))
    return seen


def _stop_times(
    source: Source,
    out_dir: Path,
    report: _Report,
    trip_ids: set[str],
    stop_ids: set[str],
    progress: Progress,
) -> int:
    name = "stop_times.txt"
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return 0
    # (sequence, arrival, departure, line, values) per trip; times None when left blank.
    by_trip: dict[str, list[tuple[int, int | None, int | None, int, list[str]]]] = defaultdict(list)
    total_bytes = max(1, _approx_lines(source, name))
    count = 0
    for line, row in rows:
        count += 1
        if count % 20000 == 0:
            progress("checking stop_times", count, total_bytes)
        trip_id = row["trip_id"].strip()
        if trip_id not in trip_ids:
            report.add(name, line, "trip_id", f"{trip_id!r} is not in trips.txt")
            continue
        stop_id = row["stop_id"].strip()
        if stop_id not in stop_ids:
            report.add(name, line, "stop_id", f"{stop_id!r} is not in stops.txt")
            continue
        try:
            sequence = int(row["stop_sequence"])
        except ValueError:
            report.add(name, line, "stop_sequence", f"{row['stop_sequence']!r} is not a number")
            continue
        times: list[int | None] = []
        for fld in ("arrival_time", "departure_time"):
            text = row[fld].strip()
            seconds = parse_time(text) if text else None
            if text and seconds is None:
                report.add(name, line, fld, f"{text!r} is not a time")
            times.append(seconds)
        arrival, departure = times
        if arrival is None:
            arrival = departure
        if departure is None:
            departure = arrival
        by_trip[trip_id].append(
            (sequence, arrival, departure, line, [row.get(h, "") for h in header])
        )
    progress("checking stop_times", total_bytes, total_bytes)
    if report.problems:
        return 0

    arrival_col, departure_col = header.index("arrival_time"), header.index("departure_time")
    written = 0
    out_rows: list[list[str]] = []
    for trip_id, stops in by_trip.items():
        stops.sort(key=lambda s: s[0])
        if len(stops) < 2:
            report.warnings.append(f"trip {trip_id} has fewer than two stops; it was left out")
            continue
        first, last = stops[0], stops[-1]
        for stop, fld in ((first, "departure_time"), (last, "arrival_time")):
            if stop[1] is None:
                report.add(
                    name,
                    stop[3],
                    fld,
                    f"the first and last stop of trip {trip_id!r} need times",
                )
        if first[1] is None or last[1] is None:
            continue
        filled = _interpolate([(s[1], s[2]) for s in stops])
        previous = -1
        for (arrival, departure), stop in zip(filled, stops, strict=True):
            # Only times the feed gave can go backwards; interpolated ones follow them.
            if stop[1] is not None and (arrival < previous or departure < arrival):
                report.add(
                    name, stop[3], "arrival_time", f"time goes backwards in trip {trip_id!r}"
                )
                break
            if stop[1] is not None:
                previous = departure
            values = stop[4]
            values[arrival_col] = format_time(arrival)
            values[departure_col] = format_time(departure)
            out_rows.append(values)
        written += len(stops)
    if not report.problems:
        _write(out_dir, name, header, iter(out_rows))
    return written


def _interpolate(times: list[tuple[int | None, int | None]]) -> list[tuple[int, int]]:
    """Fill blank intermediate times evenly between the timed stops around them."""
    result: list[tuple[int, int]] = []
    last_index, last_time = 0, times[0][1]
    for index, (arrival, departure) in enumerate(times):
        if arrival is None or departure is None:
            continue
        assert last_time is not None
        gap = index - last_index
        for k in range(1, gap):
            t = last_time + (arrival - last_time) * k // gap
            result.append((t, t))
        result.append((arrival, departure))
        last_index, last_time = index, departure
    return result


def _approx_lines(source: Source, name: str) -> int:
    if source._zip is not None:
        size = source._zip.getinfo(source._names[name]).file_size
    else:
        size = Path(source._names[name]).stat().st_size
    return max(1, size // 60)


def _frequencies(source: Source, out_dir: Path, report: _Report, trip_ids: set[str]) -> None:
    name = "frequencies.txt"
    if not source.has(name):
        return
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return
    kept = []
    for line, row in rows:
        if row["trip_id"].strip() not in trip_ids:
            report.add(name, line, "trip_id", f"{row['trip_id']!r} is not in trips.txt")
        for fld in ("start_time", "end_time"):
            seconds = parse_time(row[fld])
            if seconds is None:
                report.add(name, line, fld, f"{row[fld]!r} is not a time")
            else:
                row[fld] = format_time(seconds)
        if not row["headway_secs"].strip().isdigit() or int(row["headway_secs"]) <= 0:
            report.add(
                name, line, "headway_secs", f"{row['headway_secs']!r} is not a positive number"
            )
        kept.append([row.get(h, "") for h in header])
    _write(out_dir, name, header, iter(kept))


def _transfers(source: Source, out_dir: Path, report: _Report, stop_ids: set[str]) -> None:
    name = "transfers.txt"
    if not source.has(name):
        return
    header, rows = source.rows(name)
    if not _check_header(report, name, header):
        return
    kept = []
    for line, row in rows:
        ok = True
        for fld in ("from_stop_id", "to_stop_id"):
            if row[fld].strip() not in stop_ids:
                report.warnings.append(
                    f"{name} line {line}: {fld} {row[fld]!r} is not a stop; row left out"
                )
                ok = False
        if ok:
            kept.append([row.get(h, "") for h in header])
    _write(out_dir, name, header, iter(kept))


def _agency_and_info(source: Source, out_dir: Path, summary: FeedSummary) -> None:
    for name in ("agency.txt", "feed_info.txt"):
        if not source.has(name):
            continue
        header, rows = source.rows(name)
        kept = [row for _, row in rows]
        if name == "agency.txt":
            summary.agencies = [r.get("agency_name", "") for r in kept]
        elif kept:
            summary.feed_version = kept[0].get("feed_version") or None
            summary.publisher = kept[0].get("feed_publisher_name") or None
        _write(out_dir, name, header, ([r.get(h, "") for h in header] for r in kept))

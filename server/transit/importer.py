"""Atomic GTFS import and removal: validate, normalise, build the timetable, then swap in.

Layout under MACHI_DATA_DIR/gtfs/:
    feeds/<feed_id>/<version>/   normalised GTFS text files of the active version of each feed
    timetables/<version>/        the router's timetable over every active feed
    .tmp-<uuid>/                 work in progress; never read by the server

New files go to fresh folders (a rename moves them into place), so the old version keeps
answering until the database transaction that points at the new one commits. A failure before
the commit removes the new folders and leaves everything as it was.
"""

import contextlib
import csv
import fcntl
import logging
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session, col, select

from server.core.models import utcnow
from server.core.settings import Settings
from server.transit.gtfs import FeedError, Problem, Progress, Source, no_progress
from server.transit.gtfs import validate_and_normalise as normalise
from server.transit.japanese import search_key
from server.transit.jp_extras import ENGLISH, KANA, Translator, read_jp_extras
from server.transit.models import TransitFeed, TransitStop, TransitTranslation

log = logging.getLogger(__name__)

FEED_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass
class ImportResult:
    feed_id: str
    changed: bool
    stops: int = 0
    routes: int = 0
    trips: int = 0
    stop_times: int = 0
    start_date: str | None = None
    end_date: str | None = None
    warnings: list[str] = field(default_factory=list)


def gtfs_root(settings: Settings) -> Path:
    return settings.data_dir / "gtfs"


def default_feed_id(path: Path) -> str:
    """A feed id from a file name: "Tampa HART.zip" → "tampa_hart"."""
    stem = path.name.removesuffix(".zip")
    cleaned = re.sub(r"[^a-z0-9_-]+", "_", stem.lower()).strip("_-")
    return cleaned[:63] or "feed"


@contextlib.contextmanager
def _import_lock(root: Path) -> Iterator[None]:
    """One import or removal at a time per data folder, across processes."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_timetable(feeds: list[tuple[str, Path]], target: Path, progress: Progress) -> str:
    """Build and save the router's timetable over `feeds`; return its fingerprint."""
    from server.transit.router import build_timetable

    progress("building timetable", 0, 1)
    try:
        timetable = build_timetable(sorted(feeds))
    except ValueError as exc:
        # The router refuses feeds it cannot merge (e.g. two time zones): say so, change nothing.
        raise FeedError([Problem("feed", None, None, str(exc))]) from None
    timetable.save(target)
    progress("building timetable", 1, 1)
    return str(timetable.fingerprint)


def import_feed(
    settings: Settings,
    engine: Engine,
    path: Path,
    feed_id: str | None = None,
    *,
    progress: Progress = no_progress,
    force: bool = False,
) -> ImportResult:
    """Import (or replace) one feed; raise FeedError with file/line/field problems if unusable."""
    feed_id = feed_id or default_feed_id(path)
    if not FEED_ID.match(feed_id):
        raise FeedError(
            [Problem("--id", None, None, f"{feed_id!r}: use a-z, 0-9, '_' and '-' (max 63)")]
        )
    root = gtfs_root(settings)
    with _import_lock(root), Source(path) as source:
        progress("reading", 0, 1)
        content_hash = source.content_hash()
        with Session(engine) as session:
            current = session.get(TransitFeed, feed_id)
            others = session.exec(select(TransitFeed).where(TransitFeed.feed_id != feed_id)).all()
            if (
                current is not None
                and current.content_hash == content_hash
                and (root / current.version_dir).is_dir()
                and (root / current.timetable_dir).is_dir()
                and not force
            ):
                return ImportResult(feed_id, changed=False)
            other_feeds = [(f.feed_id, root / f.version_dir) for f in others]
            old_dirs = [current.version_dir] if current else []
            old_dirs += list(
                {f.timetable_dir for f in others} | ({current.timetable_dir} if current else set())
            )

        work = root / f".tmp-{uuid.uuid4().hex}"
        moved: list[Path] = []
        try:
            feed_dir = work / "feed"
            summary = normalise(source, feed_dir, progress)
            fingerprint = _build_timetable(
                [*other_feeds, (feed_id, feed_dir)], work / "timetable", progress
            )
            extras = read_jp_extras(feed_dir)
            stops = _stop_rows(feed_id, feed_dir, Translator(extras.translations))
            tag = uuid.uuid4().hex[:8]
            version_dir = f"feeds/{feed_id}/{content_hash[:16]}-{tag}"
            timetable_dir = f"timetables/{fingerprint[:16]}-{tag}"
            for src, dst in ((feed_dir, version_dir), (work / "timetable", timetable_dir)):
                (root / dst).parent.mkdir(parents=True, exist_ok=True)
                src.rename(root / dst)
                moved.append(root / dst)
            progress("saving stops", 0, 1)
            agencies = ", ".join(
                a.get("agency_official_name") or "" for a in extras.agencies_jp
            ) or ", ".join(summary.agencies)
            with Session(engine) as session:
                session.execute(delete(TransitStop).where(col(TransitStop.feed_id) == feed_id))
                session.execute(
                    delete(TransitTranslation).where(col(TransitTranslation.feed_id) == feed_id)
                )
                row = session.get(TransitFeed, feed_id) or TransitFeed(
                    feed_id=feed_id, source="", content_hash="", version_dir="", timetable_dir=""
                )
                row.source = str(path.resolve())[:1000]
                row.content_hash = content_hash
                row.version_dir = version_dir
                row.timetable_dir = timetable_dir
                row.feed_version = summary.feed_version
                row.publisher = summary.publisher
                row.agencies = agencies[:1000]
                row.start_date, row.end_date = summary.start_date, summary.end_date
                row.stops, row.routes = summary.stops, summary.routes
                row.trips, row.stop_times = summary.trips, summary.stop_times
                row.imported_at = utcnow()
                session.add(row)
                session.flush()
                session.execute(
                    update(TransitFeed).values(timetable_dir=timetable_dir)  # every active feed
                )
                if stops:
                    session.execute(insert(TransitStop), stops)
                translations = [{"feed_id": feed_id, **t.__dict__} for t in extras.translations]
                if translations:
                    session.execute(insert(TransitTranslation), translations)
                session.commit()
            progress("saving stops", 1, 1)
        except BaseException:
            for folder in moved:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for old in old_dirs:
            if old and old not in (version_dir, timetable_dir):
                shutil.rmtree(root / old, ignore_errors=True)
        _sweep(root)
    return ImportResult(
        feed_id,
        changed=True,
        stops=summary.stops,
        routes=summary.routes,
        trips=summary.trips,
        stop_times=summary.stop_times,
        start_date=summary.start_date,
        end_date=summary.end_date,
        warnings=summary.warnings,
    )


def remove_feed(
    settings: Settings, engine: Engine, feed_id: str, *, progress: Progress = no_progress
) -> None:
    """Deactivate a feed: rebuild the timetable without it, then drop its rows and files."""
    root = gtfs_root(settings)
    with _import_lock(root):
        with Session(engine) as session:
            current = session.get(TransitFeed, feed_id)
            if current is None:
                raise KeyError(feed_id)
            others = session.exec(select(TransitFeed).where(TransitFeed.feed_id != feed_id)).all()
            remaining = [(f.feed_id, root / f.version_dir) for f in others]
            old_dirs = [current.version_dir, current.timetable_dir]
        work = root / f".tmp-{uuid.uuid4().hex}"
        new_timetable: Path | None = None
        try:
            timetable_dir = ""
            if remaining:
                fingerprint = _build_timetable(remaining, work / "timetable", progress)
                timetable_dir = f"timetables/{fingerprint[:16]}-{uuid.uuid4().hex[:8]}"
                new_timetable = root / timetable_dir
                new_timetable.parent.mkdir(parents=True, exist_ok=True)
                (work / "timetable").rename(new_timetable)
            with Session(engine) as session:
                session.execute(delete(TransitStop).where(col(TransitStop.feed_id) == feed_id))
                session.execute(
                    delete(TransitTranslation).where(col(TransitTranslation.feed_id) == feed_id)
                )
                session.execute(delete(TransitFeed).where(col(TransitFeed.feed_id) == feed_id))
                if timetable_dir:
                    session.execute(update(TransitFeed).values(timetable_dir=timetable_dir))
                session.commit()
        except BaseException:
            if new_timetable is not None:
                shutil.rmtree(new_timetable, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for old in old_dirs:
            shutil.rmtree(root / old, ignore_errors=True)
        _sweep(root)


def list_feeds(engine: Engine) -> list[TransitFeed]:
    with Session(engine) as session:
        return list(session.exec(select(TransitFeed).order_by(TransitFeed.feed_id)).all())


def _sweep(root: Path) -> None:
    """Remove work folders left by a crashed import (we hold the lock, so none is in use)."""
    for leftover in root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _stop_rows(feed_id: str, feed_dir: Path, translator: Translator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with (feed_dir / "stops.txt").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stop_id = row["stop_id"].strip()
            name = (row.get("stop_name") or "").strip() or stop_id
            kana = translator.get("stops", "stop_name", stop_id, name, KANA)
            english = translator.get("stops", "stop_name", stop_id, name, ENGLISH)
            parent = (row.get("parent_station") or "").strip()
            rows.append(
                {
                    "id": f"{feed_id}:{stop_id}",
                    "feed_id": feed_id,
                    "stop_id": stop_id,
                    "name": name[:300],
                    "name_kana": kana[:300] if kana else None,
                    "name_en": english[:300] if english else None,
                    "search_key": search_key(name, kana, english)[:2000],
                    "lat": _float(row.get("stop_lat")),
                    "lon": _float(row.get("stop_lon")),
                    "location_type": int((row.get("location_type") or "0").strip() or 0),
                    "parent_id": f"{feed_id}:{parent}" if parent else None,
                    "wheelchair_boarding": _int(row.get("wheelchair_boarding")),
                }
            )
    return rows


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text and text.strip() else None
    except ValueError:
        return None


def _int(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0

"""Demo data for transit: import every feed listed in gtfs/manifest.json (unchanged ones skip)."""

import json
import logging
from pathlib import Path

from sqlalchemy import Engine

from server.core.settings import Settings
from server.transit.importer import import_feed

log = logging.getLogger(__name__)

GTFS_DIR = Path(__file__).resolve().parents[2] / "gtfs"


def load_demo_feeds(settings: Settings, engine: Engine, gtfs_dir: Path = GTFS_DIR) -> list[str]:
    """Import the manifest's feeds; returns the ids that changed (empty on a fast restart)."""
    manifest = gtfs_dir / "manifest.json"
    if not manifest.is_file():
        log.warning("no %s: no demo transit data", manifest)
        return []
    changed = []
    for feed in json.loads(manifest.read_text(encoding="utf-8"))["feeds"]:
        result = import_feed(settings, engine, gtfs_dir / feed["path"], feed["id"])
        if result.changed:
            changed.append(result.feed_id)
        log.info("demo feed %s: %s", feed["id"], "imported" if result.changed else "unchanged")
    return changed

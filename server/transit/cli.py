"""`machi gtfs import|list|remove`: manage the GTFS feeds the journey planner uses."""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from server.core.db import create_db_engine
from server.core.settings import Settings
from server.transit.gtfs import FeedError
from server.transit.importer import import_feed, list_feeds, remove_feed

Command = Callable[[argparse.Namespace, Settings], int]


class ProgressBar:
    """A one-line progress bar on a terminal (plain lines when output is not a terminal)."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self._stage = ""
        self._started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            if self._stage and self.tty:
                self.stream.write("\n")
            self._stage = stage
            if not self.tty:
                self.stream.write(f"machi: {stage}…\n")
        if self.tty:
            fraction = min(1.0, done / total) if total else 1.0
            filled = int(self.width * fraction)
            elapsed = time.monotonic() - self._started
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(f"\r{stage:<22} [{bar}] {fraction:4.0%}  {elapsed:5.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self._stage and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.path)
    engine = create_db_engine(settings)
    bar = ProgressBar()
    try:
        result = import_feed(settings, engine, path, args.id, progress=bar, force=args.force)
    except FeedError as exc:
        bar.close()
        print(f"machi: {path} was not imported; the active data is unchanged:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    bar.close()
    if not result.changed:
        print(f"machi: feed {result.feed_id} is unchanged; nothing to do")
        return 0
    for warning in result.warnings[:20]:
        print(f"  warning: {warning}", file=sys.stderr)
    print(
        f"machi: imported feed {result.feed_id}: {result.stops} stops, {result.routes} routes, "
        f"{result.trips} trips, {result.stop_times} stop times, "
        f"service {result.start_date}–{result.end_date}"
    )
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings)
    try:
        feeds = list_feeds(engine)
    finally:
        engine.dispose()
    if not feeds:
        print("machi: no GTFS feeds imported (machi gtfs import PATH)")
        return 0
    print(f"{'id':<24} {'stops':>7} {'trips':>7} {'stop_times':>10}  service            imported")
    for feed in feeds:
        print(
            f"{feed.feed_id:<24} {feed.stops:>7} {feed.trips:>7} {feed.stop_times:>10}  "
            f"{feed.start_date}–{feed.end_date}  {feed.imported_at:%Y-%m-%d %H:%M}  {feed.agencies}"
        )
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings)
    try:
        remove_feed(settings, engine, args.feed_id, progress=ProgressBar())
    except KeyError:
        print(f"machi: error: no feed {args.feed_id!r} (see machi gtfs list)", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"machi: removed feed {args.feed_id}")
    return 0


def add_gtfs_commands(verbs: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register `machi gtfs …` on the main parser."""
    from server.cli import _prepare

    def prepared(func: Command) -> Command:
        def run(args: argparse.Namespace, settings: Settings) -> int:
            _prepare(settings)
            return func(args, settings)

        return run

    gtfs = verbs.add_parser("gtfs", help="GTFS feeds for journey planning")
    sub = gtfs.add_subparsers(dest="gtfs_verb", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="import or replace a GTFS/GTFS-JP feed (zip or folder)")
    imp.add_argument("path", help="a GTFS zip file or a folder of .txt files")
    imp.add_argument("--id", help="feed id (default: from the file name); ids namespace stop ids")
    imp.add_argument("--force", action="store_true", help="import even if the content is unchanged")
    imp.set_defaults(func=prepared(cmd_import))
    lst = sub.add_parser("list", help="list the active feeds")
    lst.set_defaults(func=prepared(cmd_list))
    rm = sub.add_parser("remove", help="remove a feed")
    rm.add_argument("feed_id")
    rm.set_defaults(func=prepared(cmd_remove))

"""`machi gbfs add|refresh|list`: ingest other operators' GBFS feeds."""

import argparse
import asyncio
import sys

import httpx
from sqlmodel import Session

from server.core.db import create_db_engine
from server.core.errors import MachiError
from server.core.settings import Settings
from server.mobility.feeds import FetchedFeed, GbfsClient, ingest, list_feeds


async def _fetch(urls: list[str]) -> list[FetchedFeed]:
    async with httpx.AsyncClient(timeout=15, follow_redirects=True) as http:
        client = GbfsClient(http)
        return [await client.fetch(url) for url in urls]


def _ingest(settings: Settings, urls: list[str]) -> int:
    engine = create_db_engine(settings)
    try:
        fetched = asyncio.run(_fetch(urls))
        with Session(engine) as session:
            for feed in fetched:
                record = ingest(session, feed, own_system_id=settings.gbfs_system_id)
                print(
                    f"machi: GBFS {record.system_id} ({record.name}, v{record.version}): "
                    f"{record.vehicles} vehicles, {record.stations} stations",
                    flush=True,
                )
            session.commit()
    except MachiError as exc:
        print(f"machi: error: {exc.detail}; nothing was changed", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    return _ingest(settings, [args.url])


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings)
    with Session(engine) as session:
        urls = [feed.url for feed in list_feeds(session)]
    engine.dispose()
    if not urls:
        print("machi: no external GBFS feeds; add one with `machi gbfs add URL`")
        return 0
    return _ingest(settings, urls)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings)
    with Session(engine) as session:
        for feed in list_feeds(session):
            print(
                f"{feed.system_id}\tv{feed.version}\t{feed.vehicles} vehicles\t"
                f"{feed.stations} stations\t{feed.last_fetched:%Y-%m-%d %H:%M}\t{feed.url}"
            )
    engine.dispose()
    return 0


def add_gbfs_commands(verbs: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    gbfs = verbs.add_parser("gbfs", help="other operators' shared-vehicle feeds (GBFS)")
    sub = gbfs.add_subparsers(dest="gbfs_verb", required=True, metavar="COMMAND")
    add = sub.add_parser("add", help="ingest a GBFS feed (v2.x or 3.0) by its gbfs.json URL")
    add.add_argument("url", help="URL of the operator's gbfs.json")
    add.set_defaults(func=cmd_add)
    refresh = sub.add_parser("refresh", help="fetch every added feed again")
    refresh.set_defaults(func=cmd_refresh)
    listing = sub.add_parser("list", help="list the added feeds")
    listing.set_defaults(func=cmd_list)

"""The transit network a process answers from: the router's timetable plus names in every language.

Loaded once per process from the cached timetable folder (an import builds it; a restart only
reads it) and kept in `app.state`. Each request checks which timetable the database points at;
after an import or removal it differs, and the new one is loaded while the old keeps answering.
"""

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, col, select

from server.core.db import SessionDep
from server.core.settings import Settings
from server.transit.importer import gtfs_root
from server.transit.jp_extras import Translation, Translator
from server.transit.models import TransitFeed, TransitStop, TransitTranslation
from server.transit.router import Timetable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StopNames:
    name: str
    name_kana: str | None
    name_en: str | None

    def pick(self, language: str) -> str:
        if language == "en" and self.name_en:
            return self.name_en
        return self.name


class Network:
    """One loaded timetable and the names that go with it."""

    def __init__(
        self,
        timetable_dir: str,
        timetable: Timetable,
        stops: dict[str, StopNames],
        translators: dict[str, Translator],
    ) -> None:
        self.timetable_dir = timetable_dir
        self.timetable = timetable
        self.stops = stops
        self.translators = translators
        children: dict[int, list[int]] = defaultdict(list)
        for index, parent in enumerate(timetable.stop_parent.tolist()):
            if parent >= 0:
                children[parent].append(index)
        self.children = dict(children)

    def stop_names(self, index: int) -> StopNames:
        stop_id = self.timetable.stop_ids[index]
        return self.stops.get(stop_id) or StopNames(self.timetable.stop_names[index], None, None)

    def stop_name(self, index: int, language: str) -> str:
        return self.stop_names(index).pick(language)

    def translate(
        self, public_id: str, table: str, field_name: str, value: str, language: str
    ) -> str:
        """`value` in `language` when the feed translates it (record id or text), else itself."""
        if language == "ja" or not value:
            return value
        feed_id, _, record_id = public_id.partition(":")
        translator = self.translators.get(feed_id)
        if translator is None:
            return value
        return translator.get(table, field_name, record_id, value, language) or value

    def expand_stop(self, index: int) -> list[int]:
        """A station means any of its platforms; a platform or plain stop means itself."""
        return [index, *self.children.get(index, [])]


class NetworkCache:
    """Holds the current Network for this process; thread-safe, loads lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._network: Network | None = None
        self._lock = threading.Lock()

    def current(self, session: Session) -> Network | None:
        wanted = session.exec(select(TransitFeed.timetable_dir).limit(1)).first()
        if not wanted:
            return None
        network = self._network
        if network is not None and network.timetable_dir == wanted:
            return network
        with self._lock:
            network = self._network
            if network is None or network.timetable_dir != wanted:
                network = self._load(session, wanted)
                self._network = network
        return network

    def _load(self, session: Session, timetable_dir: str) -> Network:
        path: Path = gtfs_root(self.settings) / timetable_dir
        log.info("loading timetable %s", path)
        timetable = Timetable.load(path)
        stops = {
            s.id: StopNames(s.name, s.name_kana, s.name_en)
            for s in session.exec(select(TransitStop)).all()
        }
        by_feed: dict[str, list[Translation]] = defaultdict(list)
        rows = session.exec(
            select(TransitTranslation).where(
                col(TransitTranslation.table_name).in_(["routes", "trips", "*"])
            )
        ).all()
        for t in rows:
            by_feed[t.feed_id].append(
                Translation(
                    t.table_name,
                    t.field_name,
                    t.language,
                    t.translation,
                    t.record_id,
                    t.record_sub_id,
                    t.field_value,
                )
            )
        translators = {feed_id: Translator(items) for feed_id, items in by_feed.items()}
        return Network(timetable_dir, timetable, stops, translators)


def get_network_cache(request: Request) -> NetworkCache:
    cache: NetworkCache | None = getattr(request.app.state, "transit_networks", None)
    if cache is None:
        cache = NetworkCache(request.app.state.settings)
        request.app.state.transit_networks = cache
    return cache


NetworkCacheDep = Annotated[NetworkCache, Depends(get_network_cache)]


def get_network(cache: NetworkCacheDep, session: SessionDep) -> Network | None:
    return cache.current(session)


NetworkDep = Annotated[Network | None, Depends(get_network)]

"""Trip planning on the device: places, the search, results, favourites and recent searches.

Plain Python (no Flet): the view in views/trips.py only draws this state. Favourites and recent
searches are a small JSON file in the app's storage folder, so they work with no signal.
"""

import json
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.client.api import ApiClient, ApiError

RECENT_LIMIT = 10
SLOW_WALK_MPS = 0.8  # elderly walking speed; the default is 1.2 m/s


@dataclass(frozen=True)
class TripPlace:
    """A place to plan from or to: a stop ("stop:ID") or a point ("LAT,LON"), with its label."""

    label: str
    query: str

    @classmethod
    def from_stop(cls, stop: dict[str, Any]) -> "TripPlace":
        return cls(label=str(stop["name"]), query=f"stop:{stop['stop_id']}")

    @classmethod
    def from_point(cls, label: str, lat: float, lon: float) -> "TripPlace":
        return cls(label=label, query=f"{lat:.6f},{lon:.6f}")


@dataclass
class TripStore:
    """Favourite places (home, clinic, work…) and recent searches, kept in one JSON file."""

    path: Path | None
    favourites: dict[str, TripPlace] = field(default_factory=dict)
    recent: list[tuple[TripPlace, TripPlace]] = field(default_factory=list)

    @classmethod
    def open(cls, folder: Path | None) -> "TripStore":
        store = cls(path=folder / "trips.json" if folder else None)
        if store.path and store.path.is_file():
            try:
                data = json.loads(store.path.read_text(encoding="utf-8"))
                store.favourites = {
                    k: TripPlace(**v) for k, v in data.get("favourites", {}).items()
                }
                store.recent = [
                    (TripPlace(**a), TripPlace(**b)) for a, b in data.get("recent", [])
                ][:RECENT_LIMIT]
            except (ValueError, TypeError, KeyError):
                pass  # a damaged file must not stop the app; it is rewritten on the next save
        return store

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "favourites": {k: asdict(v) for k, v in self.favourites.items()},
            "recent": [[asdict(a), asdict(b)] for a, b in self.recent],
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)

    def remember(self, origin: TripPlace, destination: TripPlace) -> None:
        pair = (origin, destination)
        self.recent = [pair, *[p for p in self.recent if p != pair]][:RECENT_LIMIT]
        self.save()

    def set_favourite(self, name: str, place: TripPlace) -> None:
        self.favourites[name] = place
        self.save()


@dataclass
class TripsState:
    """What the trips screen shows; every change calls `on_change` so the view redraws."""

    api: ApiClient
    store: TripStore
    origin: TripPlace | None = None
    destination: TripPlace | None = None
    when: datetime | None = None  # None: now
    arrive_by: bool = False
    wheelchair: bool = False
    slow_walking: bool = False
    fewer_transfers: bool = False
    typed: dict[str, str] = field(default_factory=dict)  # text in a place field not yet chosen
    tile_url: str = ""
    tiles_ok: bool = False  # whether the map tiles can be fetched (checked once at start)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    itineraries: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None
    busy: bool = False
    selected: int | None = None
    on_change: Callable[[], None] = lambda: None
    # Books what a leg's `booking` says (a scooter, e-bike or shuttle seat); set by main.py.
    book_leg: Callable[[dict[str, Any]], Awaitable[Any]] | None = None

    def _changed(self) -> None:
        self.on_change()

    async def suggest(self, text: str, language: str) -> None:
        """Stop autocomplete: kanji, kana or romaji, from the first character.

        It does not call `on_change`: the field's own suggestion list is redrawn by the view.
        """
        if not text.strip():
            self.suggestions = []
            return
        try:
            self.suggestions = await self.api.search_stops(text, language)
        except ApiError as exc:
            self.error = exc.message
            self.suggestions = []

    def set_time(self, text: str, now: datetime) -> bool:
        """Read "8:30" / "08:30" / "８：３０" as that time on `now`'s day; empty means now.

        Returns False (and keeps the previous time) when the text is not a time of day.
        """
        cleaned = unicodedata.normalize("NFKC", text).strip()
        if not cleaned:
            self.when = None
            return True
        match = re.fullmatch(r"(\d{1,2})[:時.]?(\d{2})分?", cleaned)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            return False
        self.when = now.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
        return True

    def swap(self) -> None:
        self.origin, self.destination = self.destination, self.origin
        self._changed()

    def params(self) -> dict[str, str]:
        assert self.origin is not None
        assert self.destination is not None
        params = {"from": self.origin.query, "to": self.destination.query, "num": "5"}
        if self.when is not None:
            params["time"] = self.when.isoformat()
        if self.arrive_by:
            params["arrive_by"] = "true"
        if self.wheelchair:
            params["wheelchair"] = "true"
        if self.slow_walking:
            params["walk_speed"] = str(SLOW_WALK_MPS)
            params["max_walk"] = "500"
        return params

    async def search(self, language: str) -> None:
        if self.origin is None or self.destination is None:
            return
        self.busy, self.error, self.selected = True, None, None
        self._changed()
        try:
            plan = await self.api.journeys(self.params(), language)
        except ApiError as exc:
            self.error, self.itineraries = exc.message, []
        else:
            itineraries = list(plan.get("itineraries", []))
            if self.fewer_transfers:
                itineraries.sort(key=lambda i: (i["transfers"], i["end"]))
            self.itineraries, self.reason = itineraries, plan.get("reason")
            self.store.remember(self.origin, self.destination)
        self.busy = False
        self._changed()


def minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def clock(iso: str) -> str:
    """ "2026-11-24T08:05:00+09:00" → "08:05" (the time as the server gave it, Tokyo time)."""
    return datetime.fromisoformat(iso).strftime("%H:%M")

"""The app shell's state in plain Python: language, text size, section, connection."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.client.api import ApiClient, ApiError
from app.client.i18n import LANGUAGES, translate


class Section(StrEnum):
    TRIPS = "trips"
    MOBILITY = "mobility"
    CLINIC = "clinic"
    DIARY = "diary"
    CARE = "care"
    SETTINGS = "settings"


SECTIONS = list(Section)


class Connection(StrEnum):
    CHECKING = "checking"
    ONLINE = "online"
    OFFLINE = "offline"


class Preferences(Protocol):
    """Small settings kept on the device (Flet's SharedPreferences, or a dict in tests)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class MemoryPreferences:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value


PREF_LANGUAGE = "machi.language"
PREF_LARGE_TEXT = "machi.large_text"


@dataclass
class AppState:
    prefs: Preferences
    language: str = "ja"
    large_text: bool = False
    section: Section = Section.TRIPS
    connection: Connection = Connection.CHECKING
    server_version: str | None = None
    last_checked: datetime | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list)
    _status_listeners: list[Callable[[], None]] = field(default_factory=list)

    def t(self, key: str) -> str:
        return translate(self.language, key)

    def text_size(self, base: float) -> float:
        """Font size for `base`, enlarged when the user chose large text."""
        return round(base * 1.3) if self.large_text else base

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def subscribe_status(self, listener: Callable[[], None]) -> None:
        """Hear connection changes only: redrawing everything would drop what the user types."""
        self._status_listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _status_changed(self) -> None:
        for listener in self._status_listeners:
            listener()

    async def load(self) -> None:
        """Restore what the user chose last time on this device."""
        language = await self.prefs.get(PREF_LANGUAGE)
        if language in LANGUAGES:
            self.language = language
        self.large_text = (await self.prefs.get(PREF_LARGE_TEXT)) == "1"

    async def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        await self.prefs.set(PREF_LANGUAGE, language)
        self._changed()

    async def set_large_text(self, on: bool) -> None:
        self.large_text = on
        await self.prefs.set(PREF_LARGE_TEXT, "1" if on else "0")
        self._changed()

    def select(self, section: Section) -> None:
        self.section = section
        self._changed()

    async def check_connection(self, api: ApiClient, now: Callable[[], datetime]) -> None:
        """Ask the server's /health; the status dot shows the answer."""
        try:
            health = await api.health()
        except ApiError:
            self.connection = Connection.OFFLINE
        else:
            ok = health.status == "ok"
            self.connection = Connection.ONLINE if ok else Connection.OFFLINE
            self.server_version = health.version
        self.last_checked = now()
        self._status_changed()

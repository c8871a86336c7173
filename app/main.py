"""Entry point of the machi app (phones, tablets, and the web client served by the server)."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import flet as ft

from app.client.api import ApiClient
from app.client.state import AppState, Preferences, Section
from app.client.trips import TripsState, TripStore
from app.client.views.sections import Actions
from app.client.views.shell import build_shell, status_chip
from app.client.views.trips import trips_screen

APP_ASSETS = Path(__file__).resolve().parent / "assets"
FONT_FAMILY = "BIZ UDPGothic"
# How often the status dot re-checks the server.
HEALTH_INTERVAL_S = 20
PREF_DEVICE_ID = "machi.device_id"


class FletPreferences:
    """Device preferences through Flet's SharedPreferences service (localStorage on the web)."""

    def __init__(self) -> None:
        self._prefs = ft.SharedPreferences()

    async def get(self, key: str) -> str | None:
        value = await self._prefs.get(key)
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        await self._prefs.set(key, value)


async def device_id(prefs: Preferences) -> str:
    """A random id for this device (this browser, on the web), kept in its preferences.

    The web client's Python runs on the server for every browser, so on-device data (favourites,
    the offline cache) goes in a folder per device id rather than in one shared folder.
    """
    value = await prefs.get(PREF_DEVICE_ID)
    if not value or not value.isalnum():
        value = uuid.uuid4().hex
        await prefs.set(PREF_DEVICE_ID, value)
    return value


def make_main(
    api_url: str, tile_url: str = "", storage_dir: Path | None = None
) -> Callable[[ft.Page], Awaitable[None]]:
    """Build the app's `main(page)` bound to a server URL and a folder for on-device data."""
    del tile_url  # for the trips map
    base_storage = storage_dir or Path(os.environ.get("FLET_APP_STORAGE_DATA", "."))

    async def main(page: ft.Page) -> None:
        page.title = "machi"
        page.fonts = {FONT_FAMILY: "fonts/BIZUDPGothic-Regular.ttf"}
        page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=ft.Colors.BLUE_800)
        page.padding = 0

        api = ApiClient(api_url)
        state = AppState(prefs=FletPreferences())
        await state.load()
        device_dir = base_storage / await device_id(state.prefs)
        trips = TripsState(api, TripStore.open(device_dir), on_change=lambda: render())

        async def search_trips() -> None:
            await trips.search(state.language)

        status_slot: ft.Container | None = None

        def render() -> None:
            nonlocal status_slot
            status_slot = build_shell(page, state, actions)
            page.update()

        def status_changed() -> None:
            if state.section is Section.SETTINGS or status_slot is None:
                render()  # the settings screen shows the connection details
            else:
                status_slot.content = status_chip(state)
                status_slot.update()

        async def check_connection() -> None:
            await state.check_connection(api, now=lambda: datetime.now(UTC))

        actions = Actions(
            set_language=state.set_language,
            set_large_text=state.set_large_text,
            check_connection=check_connection,
            screens={Section.TRIPS: lambda: trips_screen(state, trips, search_trips)},
        )
        state.subscribe(render)
        state.subscribe_status(status_changed)
        page.on_resize = lambda _e: render()

        closed = asyncio.Event()

        async def keep_checking() -> None:
            while not closed.is_set():
                await check_connection()
                # Wake up early when the session closes, so no task outlives its page.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closed.wait(), HEALTH_INTERVAL_S)
            await api.aclose()

        render()
        page.run_task(keep_checking)
        page.on_close = lambda _e: closed.set()

    return main


if __name__ == "__main__":
    ft.run(
        make_main(os.environ.get("MACHI_API_URL", "http://127.0.0.1:8000")),
        assets_dir="assets",
    )

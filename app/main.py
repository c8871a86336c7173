"""Entry point of the machi app (phones, tablets, and the web client served by the server)."""

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import flet as ft

from app.client.api import ApiClient
from app.client.state import AppState
from app.client.views.sections import Actions
from app.client.views.shell import build_shell

APP_ASSETS = Path(__file__).resolve().parent / "assets"
FONT_FAMILY = "BIZ UDPGothic"
# How often the status dot re-checks the server.
HEALTH_INTERVAL_S = 20


class FletPreferences:
    """Device preferences through Flet's SharedPreferences service (localStorage on the web)."""

    def __init__(self) -> None:
        self._prefs = ft.SharedPreferences()

    async def get(self, key: str) -> str | None:
        value = await self._prefs.get(key)
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        await self._prefs.set(key, value)


def make_main(
    api_url: str, tile_url: str = "", storage_dir: Path | None = None
) -> Callable[[ft.Page], Awaitable[None]]:
    """Build the app's `main(page)` bound to a server URL (and, later, a local cache folder)."""
    del tile_url, storage_dir  # used by the trips map and the offline cache

    async def main(page: ft.Page) -> None:
        page.title = "machi"
        page.fonts = {FONT_FAMILY: "fonts/BIZUDPGothic-Regular.ttf"}
        page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=ft.Colors.BLUE_800)
        page.padding = 0

        api = ApiClient(api_url)
        state = AppState(prefs=FletPreferences())
        await state.load()

        def render() -> None:
            build_shell(page, state, actions)
            page.update()

        async def check_connection() -> None:
            await state.check_connection(api, now=lambda: datetime.now(UTC))

        actions = Actions(
            set_language=state.set_language,
            set_large_text=state.set_large_text,
            check_connection=check_connection,
        )
        state.subscribe(render)
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

"""Serves the Flet web client (the same app that ships to phones) at /, fully offline."""

import flet as ft
import flet_web.fastapi as flet_fastapi
from fastapi import FastAPI

from app.main import APP_ASSETS, make_main
from server.core.settings import Settings


def mount_web_client(app: FastAPI, settings: Settings) -> None:
    # In web mode the app's Python runs here, one session per browser tab; its SQLite files
    # go under the data folder (a phone build uses FLET_APP_STORAGE_DATA instead).
    storage = settings.data_dir.resolve() / "webclient"
    storage.mkdir(parents=True, exist_ok=True)
    app.mount(
        "/",
        flet_fastapi.app(
            make_main(api_url=settings.base_url, tile_url=settings.tile_url, storage_dir=storage),
            assets_dir=str(APP_ASSETS),
            app_name="machi",
            app_short_name="machi",
            app_description="日立市の市民アプリ machi",
            no_cdn=True,
            web_renderer=ft.WebRenderer.CANVAS_KIT,
        ),
    )

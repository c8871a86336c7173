"""Entry point of the machi app (phones, tablets, and the web client served by the server)."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import flet as ft

from app.client.api import ApiClient
from app.client.auth import Auth, AuthError, Session, UnsentWrites, parse_callback
from app.client.care import CareState
from app.client.clinic import ClinicState
from app.client.diary import DiaryBook
from app.client.maps import tiles_reachable
from app.client.mobility import MobilityState
from app.client.operator import OperatorState
from app.client.privacy import ConsentView, PrivacyState
from app.client.state import AppState, Connection, Preferences, Section
from app.client.trips import TripsState, TripStore
from app.client.views.care import care_tab
from app.client.views.clinic import clinic_tab
from app.client.views.diary import diary_tab
from app.client.views.mobility import mobility_screen
from app.client.views.privacy import privacy_screen, revoke_dialog
from app.client.views.sections import Actions, settings_screen
from app.client.views.shell import build_shell, is_phone, status_chip
from app.client.views.signin import account_card
from app.client.views.sync_status import sync_chip, sync_details
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
        # The signed-in person: `session.api` (= api, with their token), `session.me`, and
        # `session.sync` (their SyncEngine over device_dir/<user>/cache.db) while signed in.
        session = Session(Auth(api_url, state.prefs), api, device_dir)
        await session.load()
        sync_stop: asyncio.Event | None = None
        sync_slot: ft.Container | None = None
        notice: str | None = None
        trips = TripsState(
            api, TripStore.open(device_dir), on_change=lambda: render(), tile_url=tile_url
        )

        async def check_tiles() -> None:
            trips.tiles_ok = await tiles_reachable(tile_url)

        diaries = DiaryBook(
            api,
            on_change=lambda: render(),
            known_offline=lambda: state.connection is Connection.OFFLINE,
        )

        def my_role() -> str | None:
            return session.me.role if session.me else None

        care = CareState(
            api, engine=lambda: session.sync, whoami=my_role, on_change=lambda: render()
        )
        clinic = ClinicState(api, whoami=my_role, on_change=lambda: render())

        async def search_trips() -> None:
            await trips.search(state.language)

        status_slot: ft.Container | None = None

        def render() -> None:
            nonlocal status_slot, notice
            status_slot = build_shell(page, state, actions)
            page.update()
            if notice:
                page.show_dialog(ft.SnackBar(ft.Text(notice, size=state.text_size(16))))
                notice = None

        # --- session: sign-in, the sync loop, sign-out ---------------------------------

        def sync_changed() -> None:
            engine = session.sync
            if engine is not None and engine.wiped:
                page.run_task(end_session)  # disabled remotely: the cache is already wiped
                return
            if sync_slot is None or engine is None:
                return
            sync_slot.content = sync_chip(state, engine.status(), show_sync_details)
            with contextlib.suppress(RuntimeError):  # not on the page (any more)
                sync_slot.update()

        def start_sync() -> None:
            nonlocal sync_stop
            engine = session.sync
            if engine is None or sync_stop is not None:
                return
            sync_stop = asyncio.Event()
            engine.subscribe(sync_changed)
            page.run_task(engine.run, sync_stop)

        def stop_sync() -> None:
            nonlocal sync_stop
            if sync_stop is not None:
                sync_stop.set()
                sync_stop = None

        def sync_indicator() -> list[ft.Control]:
            nonlocal sync_slot
            engine = session.sync
            if engine is None:
                sync_slot = None
                return []
            sync_slot = ft.Container(sync_chip(state, engine.status(), show_sync_details))
            return [sync_slot, ft.Container(width=6)]

        def show_sync_details() -> None:
            engine = session.sync
            if engine is None:
                return

            async def sync_now() -> None:
                engine.kick()
                page.pop_dialog()

            def resolve(key: str, keep: Literal["mine", "theirs"]) -> None:
                engine.outbox.resolve(key, keep)
                engine.kick()
                page.pop_dialog()

            def dismiss(key: str) -> None:
                engine.outbox.dismiss(key)
                engine.kick()
                page.pop_dialog()

            page.show_dialog(
                sync_details(
                    state,
                    engine.status(),
                    sync_now=sync_now,
                    resolve=resolve,
                    dismiss=dismiss,
                    close=page.pop_dialog,
                )
            )

        async def end_session(discard_unsent: bool = True) -> None:
            nonlocal notice
            stop_sync()
            await session.sign_out(discard_unsent=discard_unsent)
            notice = state.t("signout.done")
            render()

        async def sign_out() -> None:
            engine = session.sync
            if engine is not None and engine.outbox.pending_count():
                with contextlib.suppress(Exception):
                    await engine.sync()  # one last try to send them
            try:
                stop_sync()
                await session.sign_out()
            except UnsentWrites as unsent:
                start_sync()
                ask_discard(unsent.count)
                return
            nonlocal notice
            notice = state.t("signout.done")
            render()

        def ask_discard(count: int) -> None:
            async def discard() -> None:
                page.pop_dialog()
                await end_session(discard_unsent=True)

            async def send_first() -> None:
                page.pop_dialog()
                if session.sync is not None:
                    session.sync.kick()

            page.show_dialog(
                ft.AlertDialog(
                    modal=True,
                    title=ft.Text(state.t("signout.unsent_title"), size=state.text_size(22)),
                    content=ft.Text(
                        state.t("signout.unsent_body").format(n=count), size=state.text_size(17)
                    ),
                    actions=[
                        ft.Button(state.t("signout.send_first"), height=56, on_click=send_first),
                        ft.TextButton(state.t("signout.discard"), height=56, on_click=discard),
                    ],
                )
            )

        privacy = PrivacyState(api, on_change=lambda: render())

        def open_privacy() -> None:
            privacy.open = True
            me = session.me
            page.run_task(privacy.load, has_record=me is not None and me.has_own_record)

        def close_privacy() -> None:
            privacy.open = False
            render()

        def ask_revoke(consent: ConsentView) -> None:
            async def confirm() -> None:
                page.pop_dialog()
                await privacy.revoke(consent.id)

            page.show_dialog(revoke_dialog(state, consent, confirm=confirm, cancel=page.pop_dialog))

        def settings_page() -> ft.Control:
            if privacy.open and session.signed_in:
                return privacy_screen(
                    state,
                    session,
                    privacy,
                    back=close_privacy,
                    revoke=ask_revoke,
                    invite=privacy.invite,
                    accept=privacy.accept,
                )
            return settings_screen(state, actions)

        def account() -> ft.Control:
            return account_card(state, session, sign_out=sign_out, open_privacy=open_privacy)

        mobility = MobilityState(api, on_change=lambda: render())
        operator = OperatorState(api, on_change=lambda: render())  # operators' fleet screen

        def run_mobility(make: Callable[[], Awaitable[object]]) -> None:
            async def go() -> None:
                await make()

            page.run_task(go)

        def mobility_page() -> ft.Control:
            if not mobility.started:
                mobility.started = True
                run_mobility(mobility.load_nearby)
            return mobility_screen(state, mobility, session, run_mobility, operator)

        async def book_leg(leg: dict[str, Any]) -> None:
            """「予約する」 on a journey's scooter or shuttle leg: book it on the 乗り物 tab."""
            mobility.started = True
            mobility.view = (
                "shuttle" if (leg.get("booking") or {}).get("kind") == "shuttle" else "bookings"
            )
            state.select(Section.MOBILITY)
            if session.signed_in:
                await mobility.book_leg(leg)

        trips.book_leg = book_leg

        def status_changed() -> None:
            if state.section is Section.SETTINGS or status_slot is None:
                render()  # the settings screen shows the connection details
            else:
                status_slot.content = status_chip(state, compact=is_phone(page.width))
                status_slot.update()

        async def check_connection() -> None:
            await state.check_connection(api, now=lambda: datetime.now(UTC))

        actions = Actions(
            set_language=state.set_language,
            set_large_text=state.set_large_text,
            check_connection=check_connection,
            screens={
                Section.TRIPS: lambda: trips_screen(state, trips, search_trips),
                Section.MOBILITY: mobility_page,
                Section.DIARY: lambda: diary_tab(
                    state, session, diaries, page.run_task, page.width
                ),
                Section.CARE: lambda: care_tab(page, state, session, care),
                Section.CLINIC: lambda: clinic_tab(page, state, session, clinic),
                Section.SETTINGS: settings_page,
            },
            account=account,
            app_bar_extras=sync_indicator,
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
            await session.aclose()
            await api.aclose()

        async def handle_callback(route: str | None) -> bool:
            """Back from the server's sign-in page at /callback?code=…&state=…: complete it.

            On the web the redirect comes back into the same tab, and Flet re-attaches that tab
            to its running session (main() does not run again): the answer then arrives as a
            route change. A new tab or a restarted server runs main() with it as the route.
            """
            nonlocal notice
            callback = parse_callback(route, _query(page))
            if callback is None:
                return False
            try:
                me = await session.complete_sign_in(callback)
            except AuthError as exc:
                notice = f"{state.t('signin.failed')}: {exc.message}"
            else:
                notice = f"{state.t('signin.welcome')} {me.display_name}"
                privacy.open = False
                if session.auth.return_to in {s.value for s in Section}:
                    state.section = Section(session.auth.return_to)
                start_sync()
            await page.push_route("/")
            return True

        async def on_route_change(e: ft.RouteChangeEvent) -> None:
            if await handle_callback(e.route):
                render()

        await handle_callback(page.route)
        session.subscribe(render)
        page.on_route_change = on_route_change
        start_sync()

        def on_close(_e: object) -> None:
            closed.set()
            stop_sync()

        render()
        page.run_task(keep_checking)
        page.run_task(check_tiles)
        page.on_close = on_close

    return main


def _query(page: ft.Page) -> dict[str, str]:
    with contextlib.suppress(Exception):  # no URL yet (native app), or none to parse
        return {str(k): str(v) for k, v in page.query.to_dict.items()}
    return {}


if __name__ == "__main__":
    ft.run(
        make_main(os.environ.get("MACHI_API_URL", "http://127.0.0.1:8000")),
        assets_dir="assets",
    )

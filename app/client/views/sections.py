"""One screen per section; later features fill them in, each in its own module."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import flet as ft

from app.client.i18n import LANGUAGE_NAMES, LANGUAGES
from app.client.state import AppState, Section
from app.client.views.common import heading, paragraph

# Times are shown in Hitachi's time zone, also in the web client whose Python runs on a server.
LOCAL_TZ = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Actions:
    """What the views may ask of the app; implemented in main.py."""

    set_language: Callable[[str], Awaitable[None]]
    set_large_text: Callable[[bool], Awaitable[None]]
    check_connection: Callable[[], Awaitable[None]]
    # The feature screens main.py has wired in; a section without one shows its introduction.
    screens: Mapping[Section, Callable[[], ft.Control]]
    # Settings' account card (signed in as…, 私の情報を見られる人, sign-out) and what the app
    # bar shows besides the connection (sync status, signed-in person); from main.py.
    account: Callable[[], ft.Control] | None = None
    app_bar_extras: Callable[[], list[ft.Control]] | None = None


def intro_screen(state: AppState, section: Section) -> ft.Control:
    """A section that later features fill: what it will do, in plain words."""
    return ft.Column(
        [
            heading(state, f"{section}.title"),
            paragraph(state, state.t(f"{section}.body")),
            ft.Container(height=8),
            ft.Text(state.t("coming_soon"), size=state.text_size(16), color=ft.Colors.GREY_700),
        ],
        spacing=12,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


def settings_screen(state: AppState, actions: Actions) -> ft.Control:
    async def on_language(e: ft.Event[ft.SegmentedButton]) -> None:
        chosen = e.control.selected
        if chosen:
            await actions.set_language(next(iter(chosen)))

    async def on_large_text(e: ft.Event[ft.Switch]) -> None:
        await actions.set_large_text(bool(e.control.value))

    checked = (
        state.last_checked.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        if state.last_checked
        else state.t("never")
    )
    rows = [
        heading(state, "settings.title"),
        *([actions.account(), ft.Divider()] if actions.account else []),
        ft.Text(state.t("settings.language"), size=state.text_size(18), weight=ft.FontWeight.BOLD),
        ft.SegmentedButton(
            selected=[state.language],
            allow_empty_selection=False,
            on_change=on_language,
            segments=[
                ft.Segment(
                    value=lang, label=ft.Text(LANGUAGE_NAMES[lang], size=state.text_size(18))
                )
                for lang in LANGUAGES
            ],
        ),
        ft.Switch(
            label=state.t("settings.large_text"),
            label_text_style=ft.TextStyle(size=state.text_size(18)),
            value=state.large_text,
            on_change=on_large_text,
        ),
        ft.Text(state.t("settings.large_text_help"), size=state.text_size(14)),
        ft.Divider(),
        ft.Text(state.t("settings.server"), size=state.text_size(18), weight=ft.FontWeight.BOLD),
        ft.Text(
            f"{state.t(f'status.{state.connection.value}')}"
            + (
                f" · {state.t('settings.version')} {state.server_version}"
                if state.server_version
                else ""
            ),
            size=state.text_size(16),
        ),
        ft.Text(f"{state.t('settings.last_checked')}: {checked}", size=state.text_size(16)),
        ft.Button(
            state.t("settings.check_now"),
            icon=ft.Icons.REFRESH,
            on_click=actions.check_connection,
            height=56,
        ),
    ]
    return ft.Column(rows, spacing=14, scroll=ft.ScrollMode.AUTO, expand=True)


def build_section(state: AppState, actions: Actions) -> ft.Control:
    screen = actions.screens.get(state.section)
    if screen:
        return screen()  # settings too, when main.py opens a page of it (私の情報を見られる人)
    if state.section is Section.SETTINGS:
        return settings_screen(state, actions)
    return intro_screen(state, state.section)
